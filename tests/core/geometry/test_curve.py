"""Closed-form checks of the polyline kernels in ``mvd_sim.core.geometry.curve``."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.interpolate import make_interp_spline
from scipy.spatial.transform import Rotation

from mvd_sim.core.geometry import curve


def circle_arc(radius: float, angle: float, n: int) -> np.ndarray:
    """``n`` evenly spaced points on an arc in the xy plane, starting at (R, 0, 0)."""
    phi = np.linspace(0.0, angle, n)
    return np.stack([radius * np.cos(phi), radius * np.sin(phi), np.zeros(n)], axis=1)


def helix(a: float, b: float, turns: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points of the helix ``(a cos u, a sin u, b u)`` and their parameters ``u``."""
    u = np.linspace(0.0, 2.0 * np.pi * turns, n)
    return np.stack([a * np.cos(u), a * np.sin(u), b * u], axis=1), u


def observed_order(errors: list[float]) -> np.ndarray:
    """Convergence orders between successive halvings of the step."""
    return np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))


def dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", u, v)


# -- arc length ------------------------------------------------------------------------------

@pytest.mark.parametrize("radius, angle", [(1.0, np.pi / 3), (7.0, 2.5), (25.0, 2 * np.pi)])
def test_arc_length_of_circle_is_chord_sum_and_converges_to_r_times_angle(radius, angle):
    errors = []
    for n in (50, 100, 200, 400):
        s = curve.arc_length(circle_arc(radius, angle, n))
        m = n - 1
        # the polyline is m chords of 2 R sin(angle / 2m), exactly
        assert_allclose(s[-1], 2 * radius * m * np.sin(angle / (2 * m)), rtol=1e-12, atol=0)
        assert s[0] == 0.0
        assert np.all(np.diff(s) > 0)
        errors.append(radius * angle - s[-1])
    # leading error term: R a^3 / (24 m^2)
    assert_allclose(errors[-1], radius * angle ** 3 / (24 * 399 ** 2), rtol=1e-3, atol=0)
    assert_allclose(observed_order(errors), 2.0, rtol=0, atol=0.05)


def test_arc_length_of_straight_segments():
    points = np.array([[0.0, 0, 0], [3, 4, 0], [3, 4, 12]])
    assert_allclose(curve.arc_length(points), [0.0, 5.0, 17.0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_segment_lengths_are_numpys_to_the_bit(seed):
    """The compiled segment lengths against numpy's ``norm(diff(points), axis=1)``, bit for
    bit, for polylines of 2 to 1,100 points at spacings from 0.01 to 30 mm."""
    rng = np.random.default_rng(seed)
    for n in [2, 3, 8, 9, 128, 129, 130, 257, 300, 1100, *rng.integers(2, 700, 40)]:
        points = np.cumsum(rng.normal(size=(n, 3)) * rng.uniform(0.01, 10.0), axis=0)
        lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
        assert_array_equal(curve.segment_lengths(points).view(np.int64),
                           lengths.view(np.int64))


# -- curvature -------------------------------------------------------------------------------

@pytest.mark.parametrize("radius", [0.5, 7.0, 40.0])
@pytest.mark.parametrize("angle, n", [(np.pi / 4, 3), (2.5, 8), (2.5, 50), (2 * np.pi, 400)])
def test_curvature_is_exact_for_evenly_sampled_circle(radius, angle, n):
    kappa = curve.curvature(circle_arc(radius, angle, n))
    assert_allclose(kappa, 1.0 / radius, rtol=1e-9, atol=0)


def test_curvature_of_a_straight_line_is_zero():
    points = np.linspace([0.0, 0, 0], [3.0, -1, 2], 20)
    assert_allclose(curve.curvature(points), 0.0, rtol=0, atol=1e-6)


def test_curvature_of_two_points_is_zero():
    assert_allclose(curve.curvature(np.array([[0.0, 0, 0], [1, 0, 0]])), 0.0, rtol=0, atol=0)


@pytest.mark.parametrize("a, b", [(5.0, 2.0), (1.5, 0.5), (3.0, 6.0)])
def test_helix_curvature_converges_at_second_order(a, b):
    exact = a / (a * a + b * b)
    errors = []
    for n in (100, 200, 400, 800):
        points, _ = helix(a, b, turns=2.0, n=n)
        errors.append(np.max(np.abs(curve.curvature(points) - exact)))
    assert errors[-1] < 1e-4 * exact
    assert_allclose(observed_order(errors), 2.0, rtol=0, atol=0.1)


@pytest.mark.parametrize("radius", [0.5, 7.0, 40.0])
@pytest.mark.parametrize("angle, n", [(np.pi / 4, 3), (2.5, 8), (2 * np.pi, 400)])
def test_bending_energy_of_evenly_sampled_circle_is_its_interior_chords_over_r_squared(
        radius, angle, n):
    """Each of the ``n - 2`` interior nodes bears ``1 / R^2`` times its chord
    ``2 R sin(step / 2)``; the sum tends to the arc's ``angle / R``."""
    step = angle / (n - 1)
    expected = (n - 2) * 2.0 * radius * np.sin(step / 2) / radius ** 2
    assert_allclose(curve.bending_energy(circle_arc(radius, angle, n)), expected, rtol=1e-9)
    if n > 100:
        assert_allclose(curve.bending_energy(circle_arc(radius, angle, n)), angle / radius,
                        rtol=2.0 / n)


def test_bending_energy_of_a_straight_line_or_two_points_is_zero():
    assert curve.bending_energy(np.linspace([0.0, 0, 0], [3.0, -1, 2], 20)) < 1e-12
    assert curve.bending_energy(np.array([[0.0, 0, 0], [1, 0, 0]])) == 0.0

# -- tangents and frames ---------------------------------------------------------------------

def random_smooth_curve(seed: int, n: int = 300) -> np.ndarray:
    """A smooth non-planar curve from a few random Fourier modes (mm)."""
    rng = np.random.default_rng(seed)
    u = np.linspace(0.0, 1.0, n)[:, None]
    k = np.arange(1, 4)[None, :]
    coeff = rng.normal(size=(2, 3, 3)) * 5.0
    return np.stack([np.sin(2 * np.pi * k * u) @ coeff[0, d] + np.cos(2 * np.pi * k * u)
                     @ coeff[1, d] + 10.0 * d * u[:, 0] for d in range(3)], axis=1)


def test_tangents_of_circle_are_unit_and_perpendicular_to_radius():
    points = circle_arc(3.0, 2.0, 200)
    t = curve.tangents(points)
    assert_allclose(np.linalg.norm(t, axis=1), 1.0, rtol=0, atol=1e-12)
    assert_allclose(dot(t[1:-1], points[1:-1]), 0.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_frames_are_orthonormal_and_right_handed(seed):
    t, n, b = curve.parallel_transport_frames(random_smooth_curve(seed))
    for v in (t, n, b):
        assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=0, atol=1e-12)
    for u, v in ((t, n), (n, b), (b, t)):
        assert_allclose(dot(u, v), 0.0, rtol=0, atol=1e-12)
    assert_allclose(np.linalg.det(np.stack([t, n, b], axis=2)), 1.0, rtol=0, atol=1e-12)
    assert_allclose(t, curve.tangents(random_smooth_curve(seed)), rtol=0, atol=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frames_do_not_twist_on_a_tilted_planar_curve(seed):
    """On a planar curve, parallel transport keeps each frame vector's plane-normal part."""
    rot = Rotation.random(random_state=seed).as_matrix()
    u = np.linspace(0.0, 4 * np.pi, 400)
    points = np.stack([3 * u, 4 * np.sin(u), np.zeros_like(u)], axis=1) @ rot.T
    plane_normal = rot[:, 2]
    _, n, b = curve.parallel_transport_frames(points)
    assert abs(n[0] @ plane_normal) > 1e-3          # the test needs a generic start
    assert_allclose(n @ plane_normal, n[0] @ plane_normal, rtol=0, atol=1e-12)
    assert_allclose(b @ plane_normal, b[0] @ plane_normal, rtol=0, atol=1e-12)


def planar_curve_starting_along_y() -> np.ndarray:
    """In the xy plane: 5 mm straight along +y, then a half circle of radius 3 mm."""
    straight = np.stack([np.zeros(11), np.linspace(0.0, 5.0, 11), np.zeros(11)], axis=1)
    phi = np.linspace(0.0, np.pi, 200)[1:]
    arc = np.stack([3 - 3 * np.cos(phi), 5 + 3 * np.sin(phi), np.zeros_like(phi)], axis=1)
    return np.concatenate([straight, arc])


@pytest.mark.parametrize("points, normal_is_plane_normal", [
    (circle_arc(10.0, 2 * np.pi, 300), True),    # first tangent ~ +y, x part != 0: picks z
    (planar_curve_starting_along_y(), False),    # first tangent exactly +y: picks x
])
def test_frames_on_an_xy_curve_keep_normal_in_plane_or_along_plane_normal(
        points, normal_is_plane_normal):
    _, n, b = curve.parallel_transport_frames(points)
    along, across = (n, b) if normal_is_plane_normal else (b, n)
    assert_allclose(np.abs(along[:, 2]), 1.0, rtol=0, atol=1e-12)
    assert_allclose(along, np.tile(along[0], (len(along), 1)), rtol=0, atol=1e-12)
    assert_allclose(across[:, 2], 0.0, rtol=0, atol=1e-12)


def test_frames_on_a_straight_line_are_constant():
    t, n, b = curve.parallel_transport_frames(np.linspace([1.0, 2, 3], [4.0, -2, 9], 30))
    for v in (t, n, b):
        assert_allclose(v, np.tile(v[0], (len(v), 1)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("a, b", [(5.0, 2.0), (2.0, 3.0)])
def test_frames_on_a_helix_rotate_against_frenet_at_minus_torsion(a, b):
    """Bishop: the transported normal turns by -tau * s relative to the Frenet frame."""
    tau = b / (a * a + b * b)
    errors = []
    for count in (100, 200, 400, 800):
        points, u = helix(a, b, turns=2.0, n=count)
        _, n, _ = curve.parallel_transport_frames(points)
        frenet_n = np.stack([-np.cos(u), -np.sin(u), np.zeros_like(u)], axis=1)
        frenet_t = np.stack([-a * np.sin(u), a * np.cos(u), np.full_like(u, b)], 1)
        frenet_t /= np.hypot(a, b)
        frenet_b = np.cross(frenet_t, frenet_n)
        angle = np.unwrap(np.arctan2(dot(n, frenet_b), dot(n, frenet_n)))
        s = np.hypot(a, b) * u
        errors.append(np.max(np.abs(angle - angle[0] + tau * s)))
    assert errors[-1] < 1e-3
    assert_allclose(observed_order(errors), 2.0, rtol=0, atol=0.1)


# -- resampling and interpolation ------------------------------------------------------------

@pytest.mark.parametrize("spacing", [0.05, 0.3, 1.0, 2.7, 100.0])
def test_resample_keeps_endpoints_and_spacing_at_most_requested(spacing):
    points = random_smooth_curve(7, n=60)
    out = curve.resample(points, spacing)
    assert_allclose(out[[0, -1]], points[[0, -1]], rtol=0, atol=1e-12)
    s_in = curve.arc_length(points)
    # arc-length spacing along the input is uniform and <= spacing; chords are shorter still
    expected = s_in[-1] / np.ceil(s_in[-1] / spacing)
    chords = np.linalg.norm(np.diff(out, axis=0), axis=1)
    assert np.all(chords <= spacing * (1 + 1e-12))
    assert np.all(chords <= expected * (1 + 1e-12))
    assert len(out) == max(int(np.ceil(s_in[-1] / spacing)), 1) + 1


def test_resample_of_a_straight_line_is_uniform():
    out = curve.resample(np.array([[0.0, 0, 0], [1, 0, 0], [10, 0, 0]]), 0.4)
    assert len(out) == 26
    assert_allclose(np.diff(out[:, 0]), 0.4, rtol=0, atol=1e-12)


def test_point_at_interpolates_linearly_and_clips():
    points = np.array([[0.0, 0, 0], [2, 0, 0], [2, 3, 0]])
    s = curve.arc_length(points)
    assert_allclose(curve.point_at(points, s, 1.0), [1.0, 0, 0], rtol=0, atol=1e-12)
    assert_allclose(curve.point_at(points, s, 2.0), [2.0, 0, 0], rtol=0, atol=1e-12)
    assert_allclose(curve.point_at(points, s, 3.5), [2.0, 1.5, 0], rtol=0, atol=1e-12)
    assert_allclose(curve.point_at(points, s, np.array([-4.0, 99.0])),
                    [[0.0, 0, 0], [2, 3, 0]], rtol=0, atol=0)
    assert curve.point_at(points, s, 1.0).shape == (3,)
    assert curve.point_at(points, s, np.array([0.5, 1.5, 4.5])).shape == (3, 3)


@pytest.mark.parametrize("seed", range(4))
def test_arc_length_and_point_at_match_numpy_to_the_bit(seed):
    """The compiled kernels do numpy's arithmetic (norm of differences and cumsum;
    np.interp per coordinate after clipping), whatever the order of the queries, with
    queries on knots and a zero-length segment."""
    rng = np.random.default_rng(seed)
    points = np.cumsum(rng.normal(size=(rng.integers(2, 200), 3)) * 3.0, axis=0)
    points[len(points) // 2] = points[len(points) // 2 - 1]
    s = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))))
    assert np.array_equal(curve.arc_length(points), s)
    query = rng.uniform(-1.0, s[-1] + 1.0, rng.integers(1, 400))
    query[::3] = s[rng.integers(0, len(s), len(query[::3]))]
    for q in (query, np.sort(query), query[:1]):
        clipped = np.clip(q, s[0], s[-1])
        expected = np.stack([np.interp(clipped, s, points[:, k]) for k in range(3)], axis=-1)
        assert np.array_equal(curve.point_at(points, s, q), expected)


@pytest.mark.parametrize("seed", range(3))
def test_tangents_match_numpy_gradient_to_the_bit(seed):
    """The compiled tangents are np.gradient's at uneven spacing (one-sided at the ends),
    each divided by its norm, operation for operation."""
    rng = np.random.default_rng(seed)
    points = np.cumsum(rng.normal(size=(rng.integers(2, 150), 3)) * rng.uniform(0.1, 5.0),
                       axis=0)
    expected = np.gradient(points, curve.arc_length(points), axis=0, edge_order=1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.array_equal(curve.tangents(points), expected)


@pytest.mark.parametrize("n", [2, 3, 5, 12])
def test_natural_spline_matches_scipy_and_passes_through_the_points(n):
    rng = np.random.default_rng(n)
    points = np.cumsum(rng.normal(size=(n, 3)) * 4.0 + [3.0, 0.0, 0.0], axis=0)
    u = curve.arc_length(points)
    query = np.linspace(0.0, u[-1], 701)
    k, bc = (3, "natural") if n > 2 else (1, None)   # two points: the straight line
    expected = make_interp_spline(u, points, k=k, bc_type=bc)(query)
    assert_allclose(curve.natural_spline(points, u, query), expected, rtol=0, atol=1e-12)
    assert_allclose(curve.natural_spline(points, u, u), points, rtol=0, atol=1e-12)


def test_natural_spline_keeps_a_line_and_has_no_curvature_at_its_ends():
    """Closed form: through points on a straight line the spline is that line; through a
    bend its second derivative vanishes at both ends (the natural end conditions)."""
    u = np.linspace(0.0, 10.0, 6)
    line = np.stack([u, 2.0 * u - 1.0, -u], axis=1)
    query = np.linspace(0.0, 10.0, 57)
    assert_allclose(curve.natural_spline(line, u, query),
                    np.stack([query, 2.0 * query - 1.0, -query], axis=1), rtol=0, atol=1e-12)
    bend = np.stack([u, np.sin(np.pi * u / 10.0), np.zeros(6)], axis=1)
    h = 1e-3
    ends = curve.natural_spline(bend, u, np.array([0.0, h, 2 * h, 10 - 2 * h, 10 - h, 10.0]))
    second = (ends[[0, 3], 1] - 2 * ends[[1, 4], 1] + ends[[2, 5], 1]) / h ** 2
    assert_allclose(second, 0.0, atol=1e-2)


# -- smooth bump -----------------------------------------------------------------------------

@pytest.mark.parametrize("centre, half_width", [(0.0, 1.0), (-7.5, 7.5), (3.2, 0.4)])
def test_smooth_bump_values(centre, half_width):
    def bump(x):
        return curve.smooth_bump(np.asarray(x, dtype=float), centre, half_width)

    assert_allclose(bump(centre), 1.0, rtol=0, atol=0)
    assert_allclose(bump([centre - half_width, centre + half_width]), 0.0, rtol=0, atol=1e-15)
    assert_allclose(bump(centre + 0.5 * half_width), 0.5, rtol=0, atol=1e-15)
    outside = centre + half_width * np.array([-10.0, -1.5, 1.01, 3.0])
    assert_allclose(bump(outside), 0.0, rtol=0, atol=0)
    x = centre + half_width * np.linspace(-1.2, 1.2, 241)
    assert_allclose(bump(x), bump(2 * centre - x), rtol=0, atol=1e-15)
    # C1: the slope vanishes where the bump meets zero
    h = 1e-6 * half_width
    slope = (bump(centre + half_width) - bump(centre + half_width - h)) / h
    assert abs(slope) < 1e-4 / half_width


def test_subdivide_splits_only_long_segments_and_keeps_the_points():
    points = np.array([[0.0, 0.0, 0.0], [0.2, 0.0, 0.0], [1.2, 0.0, 0.0], [1.2, 0.7, 0.0]])
    out, rows = curve.subdivide(points, 0.3)
    assert_allclose(out[rows], points)                       # old points kept, in order
    assert_allclose(np.diff(rows), [1, 4, 3])                # 1.0 mm -> 4 pieces, 0.7 -> 3
    assert np.linalg.norm(np.diff(out, axis=0), axis=1).max() <= 0.3 + 1e-12
    assert_allclose(curve.arc_length(out)[-1], curve.arc_length(points)[-1])
    assert_allclose(out[1:6, 0], [0.2, 0.45, 0.7, 0.95, 1.2])  # evenly along the segment


def test_subdivide_can_leave_segments_up_to_a_length_alone():
    points = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [2.0, 0.0, 0.0]])
    out, rows = curve.subdivide(points, 0.3, longer_than_mm=0.9)
    assert_allclose(np.diff(rows), [1, 5])                   # 0.5 kept, 1.5 -> 5 pieces
    assert_allclose(out[rows], points)
    with pytest.raises(ValueError, match="positive"):
        curve.subdivide(points, 0.0)


def test_bend_radius_of_an_evenly_sampled_circle_is_exact():
    """Any three points of a circle give its radius: vertices a whole number of spacings
    apart lie on it."""
    angle = np.linspace(0.0, np.pi, 101)
    arc = 2.5 * np.column_stack([np.cos(angle), np.sin(angle), np.zeros(101)])
    s = curve.arc_length(arc)
    bend = curve.bend_radius(arc, s, 3 * s[1])
    assert_allclose(bend[3:-3], 2.5, rtol=1e-9)
    assert np.all(bend[:1] == np.inf)


@pytest.mark.parametrize("spacing_mm, span_mm, rtol", [(0.05, 0.6, 0.005), (0.1, 1.0, 0.006),
                                                       (0.2, 1.0, 0.02)])
def test_bend_radius_of_an_unevenly_sampled_circle(spacing_mm, span_mm, rtol):
    """Spacing jittered by 30%: the points a span apart lie on chords, so the radius read is
    within the chords' sag of the circle's, a little tighter, and does not depend on where
    the vertices fall."""
    radius = 2.5
    n = int(np.pi * radius / spacing_mm) + 1
    angle = np.linspace(0.0, np.pi, n)
    angle[1:-1] += np.random.default_rng(1).uniform(-0.3, 0.3, n - 2) * angle[1]
    arc = radius * np.column_stack([np.cos(angle), np.sin(angle), np.zeros(n)])
    s = curve.arc_length(arc)
    bend = curve.bend_radius(arc, s, span_mm)
    inside = (s >= span_mm) & (s <= s[-1] - span_mm)
    assert np.all(bend[inside] <= radius * (1 + 1e-9))
    assert_allclose(bend[inside], radius, rtol=rtol)


def test_bend_radius_of_a_straight_line_is_infinite():
    line = np.column_stack([np.linspace(0.0, 5.0, 11), np.zeros(11), np.zeros(11)])
    assert np.all(curve.bend_radius(line, curve.arc_length(line), 0.5) == np.inf)


def test_bend_radius_reads_a_kink_on_the_scale_of_its_span():
    """A 90 deg corner between two straight legs, seen over 1 mm either side: the circle
    through (-1, 0), (0, 0), (0, 1) has radius sqrt(2) / 2 mm."""
    legs = np.vstack([np.column_stack([np.linspace(-3.0, 0.0, 31), np.zeros(31)]),
                      np.column_stack([np.zeros(30), np.linspace(0.1, 3.0, 30)])])
    points = np.column_stack([legs, np.zeros(len(legs))])
    bend = curve.bend_radius(points, curve.arc_length(points), 1.0)
    assert_allclose(bend.min(), np.sqrt(2.0) / 2.0, rtol=1e-12)
