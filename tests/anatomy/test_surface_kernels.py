"""The compiled brainstem kernels against independent evaluations: numpy's polynomial
evaluation of the profile table, a k-d tree's nearest sample of the start grid, and a
brute-force nearest point on a dense sampling of the closed-form surface."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial import cKDTree

from mvd_sim.anatomy import surface_kernels as kernels
from mvd_sim.anatomy.brainstem import (Brainstem, BrainstemShape, _profile_table, _sample_grid,
                                      kernel_surface)

@pytest.fixture(scope="module")
def shape() -> BrainstemShape:
    return BrainstemShape()


@pytest.fixture(scope="module")
def table(shape):
    return _profile_table(shape)


def polyval_profiles(table, t: float) -> np.ndarray:
    """(3, 3): value, first and second derivative of A, Y, B at ``t`` by np.polyval on the
    piece np.searchsorted picks (the first or last piece beyond the ends)."""
    piece = int(np.clip(np.searchsorted(table.knots, t, side="right") - 1, 0,
                        len(table.knots) - 2))
    x = t - table.knots[piece]
    rows = [(0, 6), (6, 11), (11, 15)]
    return np.array([[np.polyval(table.coefficients[piece, a:b, c], x) for c in range(3)]
                     for a, b in rows])


def test_frames_match_numpy_polynomial_evaluation(table):
    """The surface and its first and second derivatives from the compiled table evaluation,
    against the same built from np.polyval on the table's pieces."""
    rng = np.random.default_rng(31)
    knots = table.knots
    t = np.concatenate([rng.uniform(0.0, np.pi, 300), knots, knots[1:-1] - 1e-9,
                        [-0.1, np.pi + 0.1]])
    theta = rng.uniform(-np.pi, np.pi, len(t))
    got = kernels.frames(table.coefficients, table.knots, table.z_mid_mm,
                         table.half_length_mm, theta, t, 2)
    (a, y, b), (a1, y1, b1), (a2, y2, b2) = np.array(
        [polyval_profiles(table, x) for x in t]).transpose(1, 2, 0)
    c, s = np.cos(theta), np.sin(theta)
    zero, z_mid, half = np.zeros_like(t), table.z_mid_mm, table.half_length_mm
    want = np.stack([np.stack(row, axis=-1) for row in (
        (a * c, y + b * s, z_mid - half * np.cos(t)), (-a * s, b * c, zero),
        (a1 * c, y1 + b1 * s, half * np.sin(t)), (-a * c, -b * s, zero),
        (a2 * c, y2 + b2 * s, half * np.cos(t)), (-a1 * s, b1 * c, zero))], axis=1)
    assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # a lower order gives the leading rows only
    assert_allclose(kernels.frames(table.coefficients, table.knots, table.z_mid_mm,
                                   table.half_length_mm, theta, t, 0), got[:, :1])


def surface_samples(table, n: int, rng) -> tuple[np.ndarray, ...]:
    """``n`` random surface parameters away from the poles, their points and unit normals
    (midline frame)."""
    theta = rng.uniform(-np.pi, np.pi, n)
    t = rng.uniform(0.3, np.pi - 0.3, n)
    frame = kernels.frames(table.coefficients, table.knots, table.z_mid_mm,
                           table.half_length_mm, theta, t, 1)
    normal = np.cross(frame[:, 1], frame[:, 2])
    return theta, t, frame[:, 0], normal / np.linalg.norm(normal, axis=1)[:, None]


def test_nearest_sample_is_exact_and_its_floor_a_lower_bound(shape, table):
    """The branch and bound over the grid's tree of tiles finds the same nearest sample as a
    k-d tree over the grid, at any limit, from any warm start; beyond the limit it reports
    none, and a lower bound above the limit. Points 5 mm inside to 6 mm outside the surface,
    and anywhere in its box."""
    grid = _sample_grid(shape)
    n_t = grid.samples.shape[1]
    rng = np.random.default_rng(34)
    _, _, feet, normals = surface_samples(table, 2000, rng)
    points = np.concatenate([feet + rng.uniform(-5.0, 6.0, 2000)[:, None] * normals,
                             np.column_stack([rng.uniform(-25.0, 25.0, (1000, 2)),
                                              rng.uniform(-45.0, 50.0, 1000)])])
    distance, index = cKDTree(grid.samples.reshape(-1, 3)).query(points)
    depth = len(grid.tops) + 2 * kernels.FAN ** 2     # the deepest the search stack gets
    stack = np.empty(depth, np.int64), np.empty(depth, np.int64), np.empty(depth)
    for limit, warm_start in ((np.inf, False), (3.0, False), (0.5, False), (3.0, True),
                              (0.5, True)):
        # warm: each point's search starts from the sample the one before it found
        found, warm = [], -1
        for p in points:
            found.append(kernels.nearest_sample(
                grid.tree_samples, grid.leaves, grid.mids, grid.tops, grid.top_columns,
                len(grid.samples), n_t, p, limit, warm if warm_start else -1, *stack))
            warm = found[-1][3]
        got_index, got_distance, floor, _ = (np.array(column) for column in zip(*found))
        within = distance <= limit
        assert np.count_nonzero(within) > 100
        assert_array_equal(got_index[within], index[within])
        assert_allclose(got_distance[within], distance[within], rtol=0, atol=1e-12)
        assert np.all(np.isinf(got_distance[~within]))
        assert np.all((floor[~within] > limit) & (floor[~within] <= distance[~within] + 1e-12))


def test_queries_are_stationary_and_refine_the_nearest_sample(shape, table):
    """Points 2 mm inside to 4 mm outside the surface: the solution is stationary (S - p
    normal to both tangents), no farther than the nearest of 2.4 million closed-form surface
    samples and nearer by at most the samples' spacing."""
    rng = np.random.default_rng(32)
    _, _, feet, normals = surface_samples(table, 60, rng)
    points = feet + rng.uniform(-2.0, 4.0, 60)[:, None] * normals
    theta, t = np.meshgrid(np.linspace(-np.pi, np.pi, 2000, endpoint=False),
                           np.linspace(0.01, np.pi - 0.01, 1200), indexing="ij")
    sample_mm, _ = cKDTree(shape.surface(theta, t).reshape(-1, 3)).query(points)
    q = Brainstem(shape, np.zeros(3)).query(points)
    gap = points - q.closest
    distance = np.linalg.norm(gap, axis=1)
    assert_allclose(np.abs(q.signed_distance), distance, rtol=0, atol=1e-12)
    s_theta, s_t = surface_samples_at(table, q.closest)
    for tangent in (s_theta, s_t):
        cosine = np.einsum("ij,ij->i", gap, tangent) / (distance
                                                        * np.linalg.norm(tangent, axis=1))
        assert np.max(np.abs(cosine)) < 1e-8
    assert np.all(distance <= sample_mm + 1e-9)
    assert np.max(sample_mm - distance) < 0.02


def surface_samples_at(table, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tangents ``S_theta``, ``S_t`` at surface points (midline frame), from their
    parameters: ``t`` from the level, ``theta`` from the axial ellipse."""
    t = np.arccos(np.clip((table.z_mid_mm - points[:, 2]) / table.half_length_mm, -1, 1))
    a, y_mid, b = np.array([polyval_profiles(table, x)[0] for x in t]).T
    theta = np.arctan2((points[:, 1] - y_mid) / b, points[:, 0] / a)
    frame = kernels.frames(table.coefficients, table.knots, table.z_mid_mm,
                           table.half_length_mm, theta, t, 1)
    assert_allclose(frame[:, 0], points, rtol=0, atol=1e-9)
    return frame[:, 1], frame[:, 2]


def test_a_surface_point_is_its_own_closest_point(shape, table):
    rng = np.random.default_rng(33)
    _, _, feet, normals = surface_samples(table, 40, rng)
    q = Brainstem(shape, np.zeros(3)).query(feet)
    assert np.max(np.linalg.norm(q.closest - feet, axis=1)) < 1e-9
    assert np.max(np.abs(q.signed_distance)) < 1e-9
    assert_allclose(q.normal, normals, rtol=0, atol=1e-9)


def test_a_point_at_a_time_is_the_query_of_the_run(shape):
    """query_point, run over the points with the warm start each returns, is query to the
    bit; started cold at each point, the same wherever the answer is exact (within reach),
    and beyond the reach still a lower bound beyond it."""
    rng = np.random.default_rng(34)
    points = rng.uniform(-12.0, 12.0, (200, 3)) + np.array([0.0, 0.0, shape.z_bottom_mm
                                                            + 20.0])
    surface = kernel_surface(shape)
    for reach, inside in ((1.5, False), (4.0, True)):
        signed, closest, normal = kernels.query(surface, points, reach, inside)
        scratch = kernels.query_scratch(surface)
        got = np.empty(len(points)), np.empty((len(points), 3)), np.empty((len(points), 3))
        cold = np.empty(len(points)), np.empty((len(points), 3)), np.empty((len(points), 3))
        warm = -1
        for k, p in enumerate(points):
            warm = kernels.query_point(surface, p, reach, inside, warm, scratch, k, *got)
            kernels.query_point(surface, p, reach, inside, -1, scratch, k, *cold)
        for a, b in zip(got, (signed, closest, normal)):
            assert_array_equal(a, b)
        exact = np.abs(signed) <= reach
        assert 20 <= np.count_nonzero(exact) < len(points)
        assert_array_equal(cold[0][exact], signed[exact])
        assert np.all(np.abs(cold[0][~exact]) > reach)
