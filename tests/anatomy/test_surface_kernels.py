"""The compiled brainstem kernels against independent evaluations: numpy's polynomial
evaluation of the profile table, and a brute-force nearest point on a dense sampling of the
closed-form surface."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial import cKDTree

from mvd_sim.anatomy import surface_kernels as kernels
from mvd_sim.anatomy.brainstem import BrainstemShape, _profile_table

CONVERGED, QUADRATIC, MAX_STEPS = 1e-11, 1e-6, 30


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


def test_profiles_match_numpy_polynomial_evaluation(table):
    rng = np.random.default_rng(31)
    knots = table.knots
    t = np.concatenate([rng.uniform(0.0, np.pi, 300), knots, knots[1:-1] - 1e-9,
                        [-0.1, np.pi + 0.1]])
    got = kernels.profiles(table.coefficients, table.knots, t, 2)
    want = np.array([polyval_profiles(table, x) for x in t])
    assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # a lower order gives the leading rows only
    assert_allclose(kernels.profiles(table.coefficients, table.knots, t, 0), got[:, :1])


def surface_samples(table, n: int, rng) -> tuple[np.ndarray, ...]:
    """``n`` random surface parameters away from the poles, their points and unit normals
    (midline frame)."""
    theta = rng.uniform(-np.pi, np.pi, n)
    t = rng.uniform(0.3, np.pi - 0.3, n)
    frame = kernels.frames(table.coefficients, table.knots, table.z_mid_mm,
                           table.half_length_mm, theta, t, 1)
    normal = np.cross(frame[:, 1], frame[:, 2])
    return theta, t, frame[:, 0], normal / np.linalg.norm(normal, axis=1)[:, None]


def solve(table, points, theta, t) -> np.ndarray:
    return kernels.closest_points(table.coefficients, table.knots, table.z_mid_mm,
                                  table.half_length_mm, points, theta, t, MAX_STEPS,
                                  CONVERGED, QUADRATIC)


def test_closest_points_are_stationary_and_refine_the_nearest_sample(shape, table):
    """Points 2 mm inside to 4 mm outside the surface, started (as queries start) from the
    nearest of 2.4 million closed-form surface samples: the solution is stationary (S - p
    normal to both tangents), no farther than that sample and nearer by at most the
    samples' spacing."""
    rng = np.random.default_rng(32)
    _, _, feet, normals = surface_samples(table, 60, rng)
    points = feet + rng.uniform(-2.0, 4.0, 60)[:, None] * normals
    theta, t = np.meshgrid(np.linspace(-np.pi, np.pi, 2000, endpoint=False),
                           np.linspace(0.01, np.pi - 0.01, 1200), indexing="ij")
    sample_mm, nearest = cKDTree(shape.surface(theta, t).reshape(-1, 3)).query(points)
    solved = solve(table, points, theta.ravel()[nearest], t.ravel()[nearest])
    gap = points - solved[:, 0]
    distance = np.linalg.norm(gap, axis=1)
    for tangent in (solved[:, 1], solved[:, 2]):
        cosine = np.einsum("ij,ij->i", gap, tangent) / (distance
                                                        * np.linalg.norm(tangent, axis=1))
        assert np.max(np.abs(cosine)) < 1e-8
    assert np.all(distance <= sample_mm + 1e-9)
    assert np.max(sample_mm - distance) < 0.02


def test_a_surface_point_solved_from_its_own_parameters_stays_put(table):
    rng = np.random.default_rng(33)
    theta, t, feet, _ = surface_samples(table, 40, rng)
    solved = solve(table, feet, theta, t)
    assert np.max(np.linalg.norm(solved[:, 0] - feet, axis=1)) < 1e-9
