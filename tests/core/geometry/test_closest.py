"""Tests of mvd_sim.core.geometry.closest: closed forms and brute force (lengths in mm)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize

from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import (SegmentSet, closest_approach, point_polyline,
                                           polyline_pairs, segment_min_gap, segment_segment)


def _line(start, end, spacing: float | None = None) -> np.ndarray:
    """Straight polyline from ``start`` to ``end``, resampled to ``spacing`` when given."""
    pts = np.array([start, end], dtype=float)
    return pts if spacing is None else curve.resample(pts, spacing)


def _rotz(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _nearest(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Brute force: for each row of ``x`` (k, 3), the distance to the nearest row of ``y``.

    The nearest row is picked with the fast expansion ``|x|^2 + |y|^2 - 2 x.y`` and its
    distance recomputed directly, so the result is always the distance of a real pair."""
    d2 = np.sum(x * x, axis=1)[:, None] + np.sum(y * y, axis=1)[None] - 2.0 * x @ y.T
    return np.linalg.norm(x - y[np.argmin(d2, axis=1)], axis=1)


def _grid_min(p0, p1, q0, q1, samples: int = 1001) -> float:
    """Brute force: smallest distance between ``samples`` points on each segment."""
    u = np.linspace(0.0, 1.0, samples)[:, None]
    return float(_nearest(p0 + u * (p1 - p0), q0 + u * (q1 - q0)).min())


# -- segment_segment: closed forms -------------------------------------------------------------

@pytest.mark.parametrize("h", [1e-3, 0.5, 7.25])
def test_perpendicular_skew_segments(h):
    s, t, dist = segment_segment([-1.0, 0, 0], [1.0, 0, 0], [0, -2.0, h], [0, 2.0, h])
    assert_allclose(dist, h, rtol=0, atol=1e-12)
    assert_allclose([s, t], [0.5, 0.5], rtol=0, atol=1e-12)


@pytest.mark.parametrize("d", [0.0, 0.3, 4.0])
@pytest.mark.parametrize("flip_q", [False, True])
def test_parallel_overlapping_segments(d, flip_q):
    q0, q1 = np.array([1.0, d, 0]), np.array([3.0, d, 0])
    if flip_q:
        q0, q1 = q1, q0
    p0, p1 = np.array([0.0, 0, 0]), np.array([2.0, 0, 0])
    s, t, dist = segment_segment(p0, p1, q0, q1)
    assert_allclose(dist, d, rtol=0, atol=1e-12)
    pa, pb = p0 + s * (p1 - p0), q0 + t * (q1 - q0)
    assert_allclose(np.linalg.norm(pa - pb), dist, rtol=0, atol=1e-12)
    assert 1.0 - 1e-12 <= pa[0] <= 2.0 + 1e-12  # inside the overlap


@pytest.mark.parametrize("flip_q", [False, True])
@pytest.mark.parametrize("d", [0.0, 0.5])
def test_parallel_end_to_end_segments(d, flip_q):
    q0, q1 = np.array([3.0, d, 0]), np.array([5.0, d, 0])
    if flip_q:
        q0, q1 = q1, q0
    s, t, dist = segment_segment([0.0, 0, 0], [1.0, 0, 0], q0, q1)
    assert_allclose(dist, np.hypot(2.0, d), rtol=0, atol=1e-12)
    assert_allclose([s, t], [1.0, 1.0 if flip_q else 0.0], rtol=0, atol=1e-12)


@pytest.mark.parametrize(("q0", "q1", "expected"), [
    ([2.5, 0, 0], [4.0, 0, 0], 1.5),    # collinear, apart
    ([4.0, 0, 0], [2.5, 0, 0], 1.5),    # collinear, apart, reversed
    ([0.5, 0, 0], [3.0, 0, 0], 0.0),    # collinear, overlapping
    ([-1.0, 0, 0], [-3.0, 0, 0], 1.0),  # collinear, on the other side
])
def test_collinear_segments(q0, q1, expected):
    _, _, dist = segment_segment([0.0, 0, 0], [1.0, 0, 0], q0, q1)
    assert_allclose(dist, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("point", "expected_t", "expected"), [
    ([1.0, 2.0, 0.0], 0.25, 2.0),               # projects inside
    ([-3.0, 0.0, 4.0], 0.0, 5.0),               # beyond the start
    ([6.0, 0.0, 1.0], 1.0, np.hypot(2.0, 1.0)), # beyond the end
])
def test_zero_length_segment_is_a_point(point, expected_t, expected):
    q0, q1 = [0.0, 0, 0], [4.0, 0, 0]
    s, t, dist = segment_segment(point, point, q0, q1)
    assert_allclose([s, t, dist], [0.0, expected_t, expected], rtol=0, atol=1e-12)
    t2, s2, dist2 = segment_segment(q0, q1, point, point)  # the other way round
    assert_allclose([s2, t2, dist2], [0.0, expected_t, expected], rtol=0, atol=1e-12)


def test_two_points():
    s, t, dist = segment_segment([1.0, 2, 3], [1.0, 2, 3], [4.0, 6, 3], [4.0, 6, 3])
    assert_allclose([s, t, dist], [0.0, 0.0, 5.0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("angle_deg", [90.0, 45.0, 3.0])
def test_intersecting_segments(angle_deg):
    direction = _rotz(angle_deg) @ np.array([1.0, 0, 0])
    s, t, dist = segment_segment([-1.0, 0, 0], [3.0, 0, 0], -2 * direction, 2 * direction)
    assert_allclose([s, t, dist], [0.25, 0.5, 0.0], rtol=0, atol=1e-9)


def test_broadcast_shapes():
    rng = np.random.default_rng(1)
    p0, p1 = rng.normal(size=(4, 5, 3)), rng.normal(size=(5, 3))
    s, t, dist = segment_segment(p0, p1, np.zeros(3), np.ones(3))
    assert s.shape == t.shape == dist.shape == (4, 5)
    _, _, one = segment_segment(p0[2, 3], p1[3], np.zeros(3), np.ones(3))
    assert_allclose(dist[2, 3], one, rtol=0, atol=1e-15)


# -- segment_segment: brute force --------------------------------------------------------------

def _random_segments(kind: str, rng: np.random.Generator, count: int):
    p0 = rng.uniform(-1, 1, (count, 3))
    u = rng.normal(size=(count, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    p1 = p0 + rng.uniform(0.1, 1.0, (count, 1)) * u
    q0 = rng.uniform(-1, 1, (count, 3))
    if kind == "generic":
        v = rng.normal(size=(count, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    elif kind == "parallel":
        v = u * rng.choice([-1.0, 1.0], (count, 1))
    elif kind == "near_parallel":
        v = u + 1e-7 * rng.normal(size=(count, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    else:  # "point": Q has zero length
        v = np.zeros((count, 3))
    q1 = q0 + rng.uniform(0.1, 1.0, (count, 1)) * v
    return p0, p1, q0, q1


@pytest.mark.parametrize("kind", ["generic", "parallel", "near_parallel", "point"])
def test_segment_segment_matches_brute_force(kind):
    rng = np.random.default_rng(12345)
    p0, p1, q0, q1 = _random_segments(kind, rng, 40)
    s, t, dist = segment_segment(p0, p1, q0, q1)
    assert np.all((s >= 0) & (s <= 1) & (t >= 0) & (t <= 1))
    pa, pb = p0 + s[:, None] * (p1 - p0), q0 + t[:, None] * (q1 - q0)
    assert_allclose(np.linalg.norm(pa - pb, axis=1), dist, rtol=0, atol=1e-14)
    brute = np.array([_grid_min(*x) for x in zip(p0, p1, q0, q1)])
    assert np.all(dist <= brute + 1e-12)
    # segments are at most 1 mm long, so the 1e-3 grid is within 1e-3 mm of the true minimum
    assert_allclose(dist, brute, rtol=0, atol=1e-3)


# -- point_polyline ----------------------------------------------------------------------------

@pytest.mark.parametrize("n_points, samples", [(25, 2001), (300, 201)])
def test_point_polyline_matches_brute_force(n_points, samples):
    """Short polylines (two runs of segments) and long ones (19 runs, most of them pruned by
    their bounding balls) against dense samples and every segment on its own."""
    rng = np.random.default_rng(7)
    polyline = np.cumsum(rng.normal(scale=0.8, size=(n_points, 3)), axis=0)
    points = rng.uniform(polyline.min(0) - 2, polyline.max(0) + 2, (150, 3))
    dist, seg, u, cp = point_polyline(points, polyline)

    assert dist.shape == seg.shape == u.shape == (150,) and cp.shape == (150, 3)
    assert_allclose(cp, polyline[seg] + u[:, None] * (polyline[seg + 1] - polyline[seg]),
                    rtol=0, atol=1e-12)
    assert_allclose(np.linalg.norm(points - cp, axis=1), dist, rtol=0, atol=1e-12)

    w = np.linspace(0.0, 1.0, samples)[:, None, None]
    dense = (polyline[:-1] + w * np.diff(polyline, axis=0)).reshape(-1, 3)
    brute = _nearest(points, dense)
    assert np.all(dist <= brute + 1e-12)
    # within the sample spacing on the longest segment
    spacing = np.linalg.norm(np.diff(polyline, axis=0), axis=1).max() / (samples - 1)
    assert_allclose(dist, brute, rtol=0, atol=spacing)
    # the reported segment is as close as any other: exact check segment by segment
    for i in range(len(polyline) - 1):
        _, _, d_i = segment_segment(points, points, polyline[i], polyline[i + 1])
        assert np.all(dist <= d_i + 1e-12)


# -- polyline_pairs and closest_approach: straight tubes ---------------------------------------

@pytest.mark.parametrize("spacing", [None, 0.37])
@pytest.mark.parametrize("angle_deg", [90.0, 45.0])
@pytest.mark.parametrize(("h", "r1", "r2"), [(3.0, 1.1, 0.5), (1.0, 0.8, 0.6), (0.0, 1.0, 0.5)])
def test_crossing_tubes(spacing, angle_deg, h, r1, r2):
    a = _line([-10.0, 0, 0], [10.0, 0, 0], spacing)
    b = _line(_rotz(angle_deg) @ [-8.0, 0, 0], _rotz(angle_deg) @ [8.0, 0, 0], spacing)
    b = b + [0.0, 0.0, h]
    expected = h - r1 - r2  # negative: overlap depth

    ca = closest_approach(a, b, np.full(len(a), r1), np.full(len(b), r2))
    assert_allclose([ca.gap, ca.centre_distance], [expected, h], rtol=0, atol=1e-9)
    assert_allclose([ca.arc_a, ca.arc_b], [10.0, 8.0], rtol=0, atol=1e-9)
    assert_allclose(ca.point_a, [0, 0, 0], rtol=0, atol=1e-9)
    assert_allclose(ca.point_b, [0, 0, h], rtol=0, atol=1e-9)

    pairs = polyline_pairs(a, b, np.full(len(a), r1), np.full(len(b), r2), expected + 0.01)
    assert len(pairs.i) >= 1
    assert_allclose(pairs.gap.min(), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("spacing", [None, 0.5])
@pytest.mark.parametrize(("d", "r1", "r2"), [(4.0, 1.0, 0.7), (1.2, 1.0, 0.7)])
def test_parallel_tubes(spacing, d, r1, r2):
    a = _line([0.0, 0, 0], [10.0, 0, 0], spacing)
    b = _line([4.0, 0, d], [16.0, 0, d], spacing)
    ca = closest_approach(a, b, np.full(len(a), r1), np.full(len(b), r2))
    assert_allclose([ca.gap, ca.centre_distance], [d - r1 - r2, d], rtol=0, atol=1e-9)
    assert 4.0 - 1e-9 <= ca.arc_a <= 10.0 + 1e-9  # in the overlap
    assert_allclose(ca.arc_a - ca.arc_b, 4.0, rtol=0, atol=1e-9)

    pairs = polyline_pairs(a, b, np.full(len(a), r1), np.full(len(b), r2), d - r1 - r2 + 1e-6)
    assert_allclose(pairs.gap, d - r1 - r2, rtol=0, atol=1e-9)
    # every overlapping segment pair touches: union of a's segments covers the overlap
    covered = np.unique(pairs.i)
    s_a = curve.arc_length(a)
    assert s_a[covered.min()] <= 4.0 + 1e-9 and s_a[covered.max() + 1] >= 10.0 - 1e-9


def test_closest_approach_at_known_crossing_position():
    a = _line([-5.0, 1.0, 0], [15.0, 1.0, 0], 0.3)   # arc 0 at x = -5
    b = _line([3.0, 20.0, 2.0], [3.0, -4.0, 2.0], 0.45)  # arc 0 at y = 20
    ca = closest_approach(a, b, np.full(len(a), 0.4), np.full(len(b), 0.6))
    assert_allclose([ca.gap, ca.arc_a, ca.arc_b], [1.0, 8.0, 19.0], rtol=0, atol=1e-9)


# -- polyline_pairs: margin filter and separate contacts ---------------------------------------

def _u_shape(h: float) -> np.ndarray:
    """U in the plane z = h: arms x = -5 and x = 5 from y = -10 up to y = 5, joined by a half
    circle of radius 5; it crosses the x axis at x = -5 and x = 5."""
    arm = np.linspace(-10.0, 5.0, 31)
    phi = np.linspace(np.pi, 0.0, 41)[1:-1]
    pts = np.concatenate([np.c_[np.full(31, -5.0), arm],
                          np.c_[5 * np.cos(phi), 5.0 + 5 * np.sin(phi)],
                          np.c_[np.full(31, 5.0), arm[::-1]]])
    return np.c_[pts, np.full(len(pts), h)]


def test_u_shape_crosses_straight_tube_twice():
    straight = _line([-20.0, 0, 0], [20.0, 0, 0], 0.5)
    u = _u_shape(h=1.6)
    r_s, r_u = np.full(len(straight), 1.0), np.full(len(u), 0.5)  # gap at crossings 0.1
    margin = 0.3
    pairs = polyline_pairs(straight, u, r_s, r_u, margin)

    assert np.all(pairs.gap <= margin)
    assert_allclose(pairs.gap, pairs.centre_distance - 1.5, rtol=0, atol=1e-12)
    assert_allclose(np.linalg.norm(pairs.point_a - pairs.point_b, axis=1),
                    pairs.centre_distance, rtol=0, atol=1e-12)
    x = pairs.point_a[:, 0]
    left, right = x < 0, x > 0
    assert np.all(np.abs(np.abs(x) - 5.0) < 1.0)  # only near the two crossings
    assert left.any() and right.any()
    assert_allclose([pairs.gap[left].min(), pairs.gap[right].min()], [0.1, 0.1],
                    rtol=0, atol=1e-9)

    # the KD-tree pruning loses nothing: compare with all segment pairs
    i, j = np.meshgrid(np.arange(len(straight) - 1), np.arange(len(u) - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    _, _, dist = segment_segment(straight[i], straight[i + 1], u[j], u[j + 1])
    brute = set(zip(i[dist - 1.5 <= margin], j[dist - 1.5 <= margin]))
    assert set(zip(pairs.i, pairs.j)) == brute


def test_polyline_pairs_empty():
    a = _line([0.0, 0, 0], [10.0, 0, 0], 1.0)
    b = a + [0.0, 5.0, 0]
    pairs = polyline_pairs(a, b, np.ones(len(a)), np.ones(len(b)), margin=2.9)
    assert pairs.i.shape == pairs.j.shape == pairs.gap.shape == pairs.s.shape == (0,)
    assert pairs.point_a.shape == pairs.point_b.shape == (0, 3)
    assert pairs.i.dtype.kind == "i"
    touching = polyline_pairs(a, b, np.ones(len(a)), np.ones(len(b)), margin=3.0)
    assert_array_equal(np.abs(touching.i - touching.j) <= 1, True)  # overlapping in x
    assert len(touching.i) == 10 + 2 * 9


# -- random polylines against all pairs --------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_polylines_against_all_pairs(seed):
    rng = np.random.default_rng(seed)
    a = np.cumsum(rng.normal(scale=0.7, size=(40, 3)), axis=0)
    b = np.cumsum(rng.normal(scale=0.7, size=(30, 3)), axis=0) + rng.normal(scale=2.0, size=3)
    ra, rb = rng.uniform(0.3, 1.0, len(a)), rng.uniform(0.3, 1.0, len(b))
    i, j = np.meshgrid(np.arange(len(a) - 1), np.arange(len(b) - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    s, t, dist = segment_segment(a[i], a[i + 1], b[j], b[j + 1])
    gap_at_closest = dist - (ra[i] + s * (ra[i + 1] - ra[i])) - (rb[j] + t * (rb[j + 1] - rb[j]))
    # every pair's exact minimum gap (the radii taper, so it can lie off the closest points)
    _, _, gap = segment_min_gap(a[i], a[i + 1], ra[i], ra[i + 1], b[j], b[j + 1], rb[j],
                                rb[j + 1])
    assert np.all(gap <= gap_at_closest + 1e-12)

    margin = float(np.quantile(gap, 0.05))
    pairs = polyline_pairs(a, b, ra, rb, margin)
    keep = gap <= margin
    assert_array_equal(pairs.i, i[keep])
    assert_array_equal(pairs.j, j[keep])
    assert_allclose(pairs.gap, gap[keep], rtol=0, atol=1e-12)

    assert_allclose(closest_approach(a, b, ra, rb).gap, gap.min(), rtol=0, atol=1e-12)


def test_closest_approach_constant_radius_equals_brute_force():
    rng = np.random.default_rng(3)
    a = np.cumsum(rng.normal(scale=0.7, size=(60, 3)), axis=0)
    b = np.cumsum(rng.normal(scale=0.7, size=(50, 3)), axis=0) + [1.0, 0.0, 0.0]
    i, j = np.meshgrid(np.arange(len(a) - 1), np.arange(len(b) - 1), indexing="ij")
    _, _, dist = segment_segment(a[i], a[i + 1], b[j], b[j + 1])
    ca = closest_approach(a, b, np.full(len(a), 0.6), np.full(len(b), 0.4))
    assert_allclose([ca.gap, ca.centre_distance], [dist.min() - 1.0, dist.min()],
                    rtol=0, atol=1e-12)
    assert_allclose(ca.point_a, curve.point_at(a, curve.arc_length(a), ca.arc_a),
                    rtol=0, atol=1e-9)
    assert_allclose(ca.point_b, curve.point_at(b, curve.arc_length(b), ca.arc_b),
                    rtol=0, atol=1e-9)


# -- variable radius ---------------------------------------------------------------------------

@pytest.mark.parametrize("spacing", [None, 0.5, 0.13])
@pytest.mark.parametrize(("h", "k"), [(5.0, 0.1), (3.0, -0.2)])
def test_tapered_tube_gap_is_not_at_min_centre_distance(spacing, h, k):
    """A: x axis, radius 1.5 + k x; B: line x = 0, z = h, radius 0.5.

    ``g(x) = sqrt(x^2 + h^2) - (1.5 + k x) - 0.5`` is smallest at
    ``x* = k h / sqrt(1 - k^2)`` with ``g = h sqrt(1 - k^2) - 2``, not at ``x = 0`` where
    the centrelines are closest."""
    a = _line([-10.0, 0, 0], [10.0, 0, 0], spacing)
    b = _line([0, -10.0, h], [0, 10.0, h], spacing)
    ra = 1.5 + k * a[:, 0]
    x_star = k * h / np.sqrt(1 - k * k)
    ca = closest_approach(a, b, ra, np.full(len(b), 0.5))
    assert_allclose(ca.gap, h * np.sqrt(1 - k * k) - 2.0, rtol=0, atol=1e-9)
    assert ca.gap < h - 2.0 - 1e-3  # strictly below the gap at the closest centrelines
    assert_allclose([ca.arc_a, ca.arc_b], [10.0 + x_star, 10.0], rtol=0, atol=1e-9)
    assert_allclose(ca.centre_distance, np.hypot(x_star, h), rtol=0, atol=1e-9)


@pytest.mark.parametrize("spacing", [None, 0.5])
@pytest.mark.parametrize("tilt", [0.0, 1e-9, 1e-3])
def test_parallel_tapered_tubes(spacing, tilt):
    """A: x in [0, 10], radius 1 + x / 10; B: parallel (up to ``tilt``) at z = 5 over
    x in [2, 12], radius 0.5. The gap shrinks along A, so it is smallest at A's thick end."""
    a = _line([0.0, 0, 0], [10.0, 0, 0], spacing)
    b = _line([2.0, 0, 5.0], [12.0, 0, 5.0 + 10.0 * tilt], spacing)
    ca = closest_approach(a, b, 1.0 + a[:, 0] / 10.0, np.full(len(b), 0.5))
    z_b = 5.0 + 8.0 * tilt  # B's height at x = 10
    assert_allclose(ca.gap, z_b / np.sqrt(1 + tilt ** 2) - 2.5, rtol=0, atol=1e-9)
    assert_allclose(ca.arc_a, 10.0, rtol=0, atol=1e-9)


def test_steep_taper_gap_at_thick_end():
    """Radius slope 2 > 1: the gap keeps falling toward the thick end, x = 1."""
    a = _line([0.0, 0, 0], [1.0, 0, 0])
    b = _line([0, -5.0, 3.0], [0, 5.0, 3.0])
    ca = closest_approach(a, b, [0.1, 2.1], [0.5, 0.5])
    assert_allclose([ca.gap, ca.arc_a, ca.arc_b], [np.sqrt(10.0) - 2.6, 1.0, 5.0],
                    rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_segment_pair_min_gap_against_optimizer(seed):
    """Single tapered segment pairs: the exact minimum of g(s, t) against L-BFGS-B."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        a, b = rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))
        ra, rb = rng.uniform(0.1, 1.5, 2), rng.uniform(0.1, 1.5, 2)

        def g(x):
            s, t = x
            return (np.linalg.norm(a[0] + s * (a[1] - a[0]) - b[0] - t * (b[1] - b[0]))
                    - ra[0] - s * (ra[1] - ra[0]) - rb[0] - t * (rb[1] - rb[0]))

        best = min(minimize(g, x0, bounds=[(0, 1), (0, 1)], method="L-BFGS-B",
                            options={"ftol": 1e-15, "gtol": 1e-12}).fun
                   for x0 in ([0.5, 0.5], [0.1, 0.9], [0.9, 0.1]))
        ca = closest_approach(a, b, ra, rb)
        assert ca.gap <= best + 1e-12
        assert_allclose(ca.gap, best, rtol=0, atol=1e-7)


def test_segment_min_gap_against_a_dense_grid():
    """Many tapered pairs, most with their minimum on an edge or corner of [0, 1]^2 (where
    only the edges the stationary point lies beyond are searched): never above the
    minimum over a 101 x 101 grid of (s, t), and within the grid's resolution of it."""
    rng = np.random.default_rng(11)
    k = 400
    a0, a1, b0, b1 = (rng.uniform(-2, 2, (k, 3)) for _ in range(4))
    ra0, ra1, rb0, rb1 = (rng.uniform(0.1, 1.5, k) for _ in range(4))
    s, t, gap = segment_min_gap(a0, a1, ra0, ra1, b0, b1, rb0, rb1)
    w = np.linspace(0.0, 1.0, 101)
    ws, wt = (x.ravel() for x in np.meshgrid(w, w, indexing="ij"))
    centre = (a0[:, None] + ws[None, :, None] * (a1 - a0)[:, None]
              - b0[:, None] - wt[None, :, None] * (b1 - b0)[:, None])
    grid = (np.linalg.norm(centre, axis=-1) - (ra0[:, None] + ws * (ra1 - ra0)[:, None])
            - (rb0[:, None] + wt * (rb1 - rb0)[:, None])).min(axis=1)
    on_edge = (s == 0) | (s == 1) | (t == 0) | (t == 1)
    assert on_edge.mean() > 0.5
    assert np.all(gap <= grid + 1e-12)
    # g is Lipschitz with constant |da| + |db| + |dra| + |drb| (< 14.3 here) in each
    # parameter: within a grid step of 0.01 of the minimiser, g is within 0.143
    lipschitz = (np.linalg.norm(a1 - a0, axis=1) + np.linalg.norm(b1 - b0, axis=1)
                 + np.abs(ra1 - ra0) + np.abs(rb1 - rb0))
    assert np.all(gap >= grid - 0.01 * lipschitz)
    # and the reported parameters reach the reported gap
    centre_st = a0 + s[:, None] * (a1 - a0) - b0 - t[:, None] * (b1 - b0)
    assert_allclose(np.linalg.norm(centre_st, axis=1) - ra0 - s * (ra1 - ra0) - rb0
                    - t * (rb1 - rb0), gap, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_closest_approach_variable_radius_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    a = np.cumsum(rng.normal(scale=0.7, size=(40, 3)), axis=0)
    b = np.cumsum(rng.normal(scale=0.7, size=(30, 3)), axis=0) + rng.normal(scale=2.0, size=3)
    ra, rb = rng.uniform(0.3, 1.0, len(a)), rng.uniform(0.3, 1.0, len(b))
    ca = closest_approach(a, b, ra, rb)

    def gap(i, j, s, t):
        centre = a[i] + s[..., None] * (a[i + 1] - a[i]) - b[j] - t[..., None] * (b[j + 1] - b[j])
        return (np.linalg.norm(centre, axis=-1)
                - (ra[i] + s * (ra[i + 1] - ra[i])) - (rb[j] + t * (rb[j + 1] - rb[j])))

    # dense grid on every pair that could hold the minimum (centre distance bound)
    i, j = np.meshgrid(np.arange(len(a) - 1), np.arange(len(b) - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    s, t, dist = segment_segment(a[i], a[i + 1], b[j], b[j + 1])
    upper = gap(i, j, s, t).min()
    maybe = dist - np.maximum(ra[i], ra[i + 1]) - np.maximum(rb[j], rb[j + 1]) <= upper
    w = np.linspace(0.0, 1.0, 401)
    ws, wt = np.meshgrid(w, w, indexing="ij")
    grid = min(gap(ii, jj, ws, wt).min()
               for ii, jj in zip(i[maybe], j[maybe]))
    assert ca.gap <= grid + 1e-12
    # the grid is within (|da| + |db| + |dra| + |drb|) / 800 of the true minimum
    assert ca.gap >= grid - 0.02
    assert_allclose(ca.gap, ca.centre_distance - np.interp(ca.arc_a, curve.arc_length(a), ra)
                    - np.interp(ca.arc_b, curve.arc_length(b), rb), rtol=0, atol=1e-12)


def test_point_segment_closed_forms():
    from mvd_sim.core.geometry.closest import point_segment

    s0 = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    s1 = np.array([[2.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    x = np.array([[0.5, 3.0, 0.0],     # over the interior: u = 1/4, distance 3
                  [-1.0, 0.0, 4.0],    # before the start: clamped to it
                  [5.0, 0.0, 0.0],     # beyond the end, on the axis
                  [1.0, 1.0, 3.0]])    # zero-length segment: its point
    u, dist, normal = point_segment(x, s0, s1)
    assert_allclose(u, [0.25, 0.0, 1.0, 0.0], atol=1e-15)
    assert_allclose(dist, [3.0, np.sqrt(17.0), 3.0, 2.0], atol=1e-15)
    assert_allclose(normal, [[0, 1, 0], [-1 / np.sqrt(17), 0, 4 / np.sqrt(17)], [1, 0, 0],
                             [0, 0, 1]], atol=1e-15)


def test_malformed_tubes_are_refused_before_the_kernels_read_them():
    """The compiled kernels do not check bounds: a polyline of one point or a radius array
    of another length than the points is refused in the wrappers."""
    from mvd_sim.core.geometry.closest import SegmentSet

    line = np.array([[0.0, 0, 0], [10.0, 0, 0], [20.0, 0, 0]])
    with pytest.raises(ValueError):
        SegmentSet.of(line, np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        SegmentSet.of(line[:1], 1.0)
    with pytest.raises(ValueError):
        point_polyline(line, line[:1])
    assert_allclose(SegmentSet.of(line, np.array([2.0])).balls[:, 3], [7.0, 7.0])


def test_one_segment_pair_gives_scalars():
    s, t, dist = segment_segment([-1.0, 0, 0], [1.0, 0, 0], [0, -2.0, 3.0], [0, 2.0, 3.0])
    assert all(np.ndim(x) == 0 and isinstance(x, np.floating) for x in (s, t, dist))
    assert (s, t, dist) == (0.5, 0.5, 3.0)


def test_a_mirrored_set_is_the_mirrored_tubes_set_to_the_bit():
    """:meth:`SegmentSet.mirrored_x` of one tube's set and of a stack of them is :meth:`of` and
    :meth:`stack` of the tubes mirrored through x = 0, every array to the bit."""
    rng = np.random.default_rng(12)
    tubes = [(np.cumsum(rng.normal(size=(n, 3)), axis=0) + rng.normal(size=3) * 20,
              rng.uniform(0.3, 2.0, n)) for n in (2, 7, 40)]
    mirror = np.array([-1.0, 1.0, 1.0])
    for made, fresh in (
            (SegmentSet.of(*tubes[2]).mirrored_x(), SegmentSet.of(tubes[2][0] * mirror,
                                                                  tubes[2][1])),
            (SegmentSet.stack([SegmentSet.of(p, r) for p, r in tubes]).mirrored_x(),
             SegmentSet.stack([SegmentSet.of(p * mirror, r) for p, r in tubes]))):
        for name in ("segments", "half", "arc0", "balls", "runs", "run_start", "tube_runs",
                     "box", "owner", "local"):
            assert np.array_equal(getattr(made, name), getattr(fresh, name)), name


def test_a_stack_holds_each_tubes_set_in_turn():
    """:meth:`SegmentSet.stack`: each tube's rows in turn, its runs' starts moved by the
    segments before it, ``owner`` its position, ``local`` its own rows, the box round all."""
    rng = np.random.default_rng(13)
    sets = [SegmentSet.of(np.cumsum(rng.normal(size=(n, 3)), axis=0) + rng.normal(size=3) * 9,
                          rng.uniform(0.3, 2.0, n)) for n in (2, 37, 9, 70)]
    stack = SegmentSet.stack(sets)
    before = np.cumsum([0] + [len(s.segments) for s in sets])
    for name in ("segments", "half", "arc0", "balls", "runs", "local"):
        assert np.array_equal(getattr(stack, name),
                              np.concatenate([getattr(s, name) for s in sets])), name
    assert np.array_equal(stack.owner, np.concatenate([np.full(len(s.segments), k)
                                                       for k, s in enumerate(sets)]))
    assert np.array_equal(stack.run_start, np.concatenate(
        [s.run_start[:-1] + b for s, b in zip(sets, before)] + [before[-1:]]))
    assert np.array_equal(stack.tube_runs, np.cumsum([0] + [len(s.runs) for s in sets]))
    assert np.array_equal(stack.box, [np.min([s.box[0] for s in sets], axis=0),
                                      np.max([s.box[1] for s in sets], axis=0)])
    assert stack.run_start.dtype == stack.tube_runs.dtype == np.intp
