"""``Tube``: validation, immutability and the closed-form geometry of simple tubes."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.core.errors import GeometryError
from mvd_sim.core.tube import Tube

STRAIGHT = np.array([[0.0, 0, 0], [2, 0, 0], [5, 0, 0], [10, 0, 0]])


def arc_points(radius: float, angle: float, n: int) -> np.ndarray:
    phi = np.linspace(0.0, angle, n)
    return np.stack([radius * np.cos(phi), radius * np.sin(phi), np.zeros(n)], axis=1)


# -- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("points, radius, reason", [
    (np.zeros((3, 2)), 1.0, r"\(n, 3\) array"),
    (np.zeros(3), 1.0, r"\(n, 3\) array"),
    (np.zeros((1, 3)), 1.0, r"n >= 2"),
    (np.zeros((2, 2, 3)), 1.0, r"\(n, 3\) array"),
    (np.array([[0.0, 0, 0], [1, 0, np.nan]]), 1.0, "finite"),
    (np.array([[0.0, 0, 0], [np.inf, 0, 0]]), 1.0, "finite"),
    (np.array([[0.0, 0, 0], [1, 0, 0], [1, 0, 0]]), 1.0, "zero-length segment at index 1"),
    (STRAIGHT, 0.0, "positive"),
    (STRAIGHT, -0.5, "positive"),
    (STRAIGHT, [1.0, 1.0, -1.0, 1.0], "positive"),
    (STRAIGHT, np.nan, "finite"),
    (STRAIGHT, [1.0, 2.0], r"scalar or an \(4,\) array"),
    (STRAIGHT, np.ones((4, 1)), r"scalar or an \(4,\) array"),
])
def test_invalid_tubes_raise_geometry_error_naming_the_tube(points, radius, reason):
    with pytest.raises(GeometryError, match=rf"tube 'AICA-2'.*{reason}"):
        Tube("AICA-2", "AICA", points, radius)


def test_geometry_error_is_a_value_error():
    with pytest.raises(ValueError, match="tube 'x'"):
        Tube("x", "vein", np.zeros((2, 3)), 1.0)


@pytest.mark.parametrize("spacing", [0.0, -1.0, np.nan])
def test_resampling_spacing_must_be_positive(spacing):
    tube = Tube("CN7", "CN7", STRAIGHT, 1.0)
    with pytest.raises(GeometryError, match=r"tube 'CN7'.*spacing must be positive"):
        tube.resampled(spacing)
    with pytest.raises(GeometryError, match=r"tube 'CN7'.*spacing must be positive"):
        Tube.from_points("CN7", "CN7", STRAIGHT, 1.0, spacing_mm=spacing)


# -- immutability ----------------------------------------------------------------------------

def test_arrays_are_read_only_copies():
    points = STRAIGHT.copy()
    radius = np.array([1.0, 0.9, 0.8, 0.7])
    tube = Tube("CN8", "CN8", points, radius)
    points[1] = [99.0, 99.0, 99.0]
    radius[:] = 5.0
    assert_allclose(tube.points, STRAIGHT, rtol=0, atol=0)
    assert_allclose(tube.radius, [1.0, 0.9, 0.8, 0.7], rtol=0, atol=0)
    for array in (tube.points, tube.radius, tube.s, tube.tangents, tube.curvature, *tube.frames):
        assert not array.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        tube.points[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        tube.radius[0] = 1.0


def test_points_are_float64_and_scalar_radius_is_broadcast():
    tube = Tube("v", "vein", STRAIGHT.astype(np.int32), 2)
    assert tube.points.dtype == np.float64
    assert tube.radius.dtype == np.float64
    assert_allclose(tube.radius, [2.0, 2.0, 2.0, 2.0], rtol=0, atol=0)


def test_tube_is_frozen():
    tube = Tube("v", "vein", STRAIGHT, 1.0)
    with pytest.raises(AttributeError):
        tube.name = "w"


# -- geometry --------------------------------------------------------------------------------

def test_straight_tube_arc_length_and_length():
    tube = Tube("BA", "BA", STRAIGHT, 1.6)
    assert_allclose(tube.s, [0.0, 2.0, 5.0, 10.0], rtol=0, atol=1e-12)
    assert tube.length_mm == pytest.approx(10.0, rel=0, abs=1e-12)
    assert_allclose(tube.tangents, np.tile([1.0, 0, 0], (4, 1)), rtol=0, atol=1e-12)
    assert_allclose(tube.curvature, 0.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("spacing", [0.3, 1.0, 2.5, 7.0])
def test_resampled_straight_tube_keeps_length_endpoints_and_linear_taper(spacing):
    radius = 1.5 - 0.05 * np.array([0.0, 2.0, 5.0, 10.0])      # 1.5 mm -> 1.0 mm linearly
    tube = Tube("CN7", "CN7", STRAIGHT, radius)
    out = tube.resampled(spacing)
    assert (out.name, out.kind) == ("CN7", "CN7")
    assert out.length_mm == pytest.approx(10.0, rel=0, abs=1e-12)
    assert_allclose(out.points[[0, -1]], STRAIGHT[[0, -1]], rtol=0, atol=1e-12)
    assert np.all(np.diff(out.s) <= spacing * (1 + 1e-12))
    assert_allclose(out.radius, 1.5 - 0.05 * out.s, rtol=0, atol=1e-12)


def test_resampled_arc_keeps_length_and_radius_taper_within_chord_error():
    radius_mm, angle = 10.0, np.pi / 2
    points = arc_points(radius_mm, angle, 2001)
    taper = np.linspace(1.2, 0.6, len(points))
    tube = Tube.from_points("AICA", "AICA", points, taper)
    out = tube.resampled(0.5)
    # chords of 0.5 mm on R = 10 mm shorten the arc by about (0.5/R)^2 / 24
    assert_allclose(out.length_mm, radius_mm * angle, rtol=2e-4, atol=0)
    assert_allclose(out.radius[[0, -1]], [1.2, 0.6], rtol=0, atol=1e-12)
    s_fraction = out.s / out.length_mm
    assert_allclose(out.radius, 1.2 - 0.6 * s_fraction, rtol=0, atol=1e-3)


def test_from_points_with_spacing_equals_resampled():
    a = Tube.from_points("x", "vein", STRAIGHT, 0.5, spacing_mm=1.0)
    b = Tube("x", "vein", STRAIGHT, 0.5).resampled(1.0)
    assert_allclose(a.points, b.points, rtol=0, atol=0)
    assert_allclose(a.radius, b.radius, rtol=0, atol=0)


@pytest.mark.parametrize("s_query, expected", [
    (0.0, 2.0), (1.0, 1.75), (2.0, 1.5), (3.5, 1.25), (10.0, 0.5),
    (-3.0, 2.0), (25.0, 0.5),
])
def test_radius_at_interpolates_and_clamps(s_query, expected):
    tube = Tube("CN7", "CN7", STRAIGHT, [2.0, 1.5, 1.0, 0.5])
    assert tube.radius_at(s_query) == pytest.approx(expected, rel=0, abs=1e-12)


def test_radius_at_vectorised():
    tube = Tube("CN7", "CN7", STRAIGHT, [2.0, 1.5, 1.0, 0.5])
    assert_allclose(tube.radius_at(np.array([0.5, 5.0, 7.5])), [1.875, 1.0, 0.75],
                    rtol=0, atol=1e-12)


def test_point_at_and_tangent_at():
    tube = Tube("v", "vein", [[0.0, 0, 0], [3, 0, 0], [3, 4, 0]], 1.0)
    assert_allclose(tube.point_at(5.0), [3.0, 2.0, 0.0], rtol=0, atol=1e-12)
    assert_allclose(tube.point_at(-1.0), [0.0, 0.0, 0.0], rtol=0, atol=0)
    assert_allclose(tube.tangent_at(1.0), [1.0, 0.0, 0.0], rtol=0, atol=1e-12)
    assert_allclose(tube.tangent_at(5.0), [0.0, 1.0, 0.0], rtol=0, atol=1e-12)
    assert_allclose(tube.tangent_at(7.0), [0.0, 1.0, 0.0], rtol=0, atol=1e-12)


def test_translated():
    rng = np.random.default_rng(3)
    points = np.cumsum(rng.normal(size=(12, 3)), axis=0)
    tube = Tube("PICA", "PICA", points, rng.uniform(0.3, 1.0, 12))
    offset = np.array([1.5, -2.0, 7.25])
    moved = tube.translated(offset)
    assert_allclose(moved.points, points + offset, rtol=0, atol=1e-12)
    assert_allclose(moved.radius, tube.radius, rtol=0, atol=0)
    assert_allclose(moved.s, tube.s, rtol=0, atol=1e-12)
    assert (moved.name, moved.kind) == ("PICA", "PICA")
    assert_allclose(tube.points, points, rtol=0, atol=0)        # the original is untouched


def test_mirrored_x():
    rng = np.random.default_rng(4)
    points = np.cumsum(rng.normal(size=(12, 3)), axis=0)
    tube = Tube("CN7", "CN7", points, 1.1)
    mirror = tube.mirrored_x()
    assert_allclose(mirror.points, points * [-1.0, 1.0, 1.0], rtol=0, atol=0)
    assert_allclose(mirror.s, tube.s, rtol=0, atol=1e-12)
    assert_allclose(mirror.curvature, tube.curvature, rtol=0, atol=1e-12)
    assert_allclose(mirror.mirrored_x().points, points, rtol=0, atol=0)


def test_mirrored_x_is_kept_and_is_the_tube_built_afresh():
    """The mirror, made once and not validated again, is the tube validated from the
    mirrored points to the bit (arc lengths and radii), read-only like it."""
    rng = np.random.default_rng(5)
    points = np.cumsum(rng.normal(size=(30, 3)), axis=0)
    tube = Tube("aica", "AICA", points, rng.uniform(0.5, 1.5, 30))
    mirror = tube.mirrored_x()
    fresh = Tube("aica", "AICA", points * [-1.0, 1.0, 1.0], tube.radius)
    assert tube.mirrored_x() is mirror
    assert mirror.mirrored_x() is tube   # negation is exact: no chain of mirrors grows
    assert (mirror.name, mirror.kind) == (fresh.name, fresh.kind)
    for a, b in ((mirror.points, fresh.points), (mirror.radius, fresh.radius),
                 (mirror.s, fresh.s)):
        assert np.array_equal(a, b) and not a.flags.writeable


def test_a_mirror_takes_the_segments_and_tangents_found_mirrored_to_the_bit():
    """What the tube had found (its segments, its tangents) the mirror has from the start,
    and it is what the mirrored tube finds afresh, to the bit; what the tube had not found,
    the mirror finds itself."""
    rng = np.random.default_rng(6)
    points = np.cumsum(rng.normal(size=(50, 3)), axis=0)
    tube = Tube("pica", "PICA", points, rng.uniform(0.5, 1.5, 50))
    tube.segments, tube.tangents      # found, as a placed vessel's are
    mirror = tube.mirrored_x()
    fresh = Tube("pica", "PICA", points * [-1.0, 1.0, 1.0], tube.radius)
    assert {"segments", "tangents"} <= set(mirror.__dict__)
    assert np.array_equal(mirror.tangents, fresh.tangents) and not mirror.tangents.flags.writeable
    for name in ("segments", "half", "arc0", "balls", "runs", "box"):
        assert np.array_equal(getattr(mirror.segments, name), getattr(fresh.segments, name))
    other = Tube("aica", "AICA", points, 0.8).mirrored_x()
    assert "segments" not in other.__dict__ and "tangents" not in other.__dict__


def test_with_points_keeps_radius_by_index():
    tube = Tube("CN7", "CN7", STRAIGHT, [2.0, 1.5, 1.0, 0.5])
    moved = tube.with_points(STRAIGHT + np.array([0.0, 1.0, 0.0]))
    assert_allclose(moved.radius, tube.radius, rtol=0, atol=0)
    with pytest.raises(GeometryError, match="tube 'CN7'"):
        tube.with_points(STRAIGHT[:3])


def test_smooth_tangent_is_continuous_across_a_vertex():
    """Two segments meeting at 40 deg: the segment tangent jumps at the vertex, the smooth
    one turns through the bisector there and is each segment's own direction at the ends."""
    a = np.radians(40.0)
    points = np.array([[0.0, 0, 0], [1.0, 0, 0], [1.0 + np.cos(a), np.sin(a), 0]])
    tube = Tube("t", "AICA", points, 0.5)
    bisector = np.array([np.cos(a / 2), np.sin(a / 2), 0.0])
    assert_allclose(tube.smooth_tangent_at(1.0), bisector, atol=1e-12)
    before, after = tube.smooth_tangent_at(1.0 - 1e-9), tube.smooth_tangent_at(1.0 + 1e-9)
    assert np.linalg.norm(before - after) < 1e-8
    assert np.linalg.norm(tube.tangent_at(1.0 - 1e-9) - tube.tangent_at(1.0 + 1e-9)) > 0.6
    assert_allclose(tube.smooth_tangent_at(0.0), [1.0, 0, 0], atol=1e-12)
    assert_allclose(np.linalg.norm(tube.smooth_tangent_at(0.4)), 1.0, atol=1e-12)
