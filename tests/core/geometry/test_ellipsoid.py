"""Exact distance to an ellipsoid, against closed forms and a dense sampling of its surface."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.core.geometry.ellipsoid import signed_distance, surface


def test_a_sphere_is_the_distance_to_its_centre_less_its_radius():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(200, 3)) * 6.0
    assert_allclose(signed_distance(points, np.full(3, 2.5)),
                    np.linalg.norm(points, axis=1) - 2.5, rtol=0, atol=1e-9)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_on_an_axis_the_distance_is_along_it(axis):
    semi = np.array([5.0, 3.0, 2.5])
    outside, centre = np.zeros((1, 3)), np.zeros((1, 3))
    outside[0, axis] = semi[axis] + 1.75
    assert_allclose(signed_distance(outside, semi), [1.75], rtol=0, atol=1e-9)
    # the centre is as deep as the shortest semi-axis
    assert_allclose(signed_distance(centre, semi), [-2.5], rtol=0, atol=1e-9)


def test_outside_it_matches_the_nearest_of_dense_surface_samples():
    semi = np.array([5.0, 3.0, 2.5])
    theta, t = np.meshgrid(np.linspace(0, 2 * np.pi, 720), np.linspace(0, np.pi, 360))
    samples = surface(theta, t, semi).reshape(-1, 3)
    rng = np.random.default_rng(1)
    points = rng.normal(size=(40, 3)) * 6.0
    points = points[np.sum((points / semi) ** 2, axis=1) > 1.0]
    nearest = np.min(np.linalg.norm(points[:, None] - samples[None], axis=2), axis=1)
    exact = signed_distance(points, semi)
    assert np.all(exact <= nearest + 1e-9)
    assert_allclose(exact, nearest, rtol=0, atol=0.03)


def test_surface_points_are_on_it():
    semi = np.array([5.0, 3.0, 2.5])
    theta, t = np.meshgrid(np.linspace(0, 2 * np.pi, 13), np.linspace(0.1, 3.0, 7))
    assert_allclose(signed_distance(surface(theta, t, semi).reshape(-1, 3), semi), 0.0,
                    rtol=0, atol=1e-9)


def test_closest_points_lie_on_it_at_the_distance_and_mirror_with_the_point():
    from mvd_sim.core.geometry.ellipsoid import closest_point

    semi = np.array([5.0, 3.0, 2.5])
    rng = np.random.default_rng(3)
    points = rng.normal(size=(300, 3)) * 4.0
    points[:10, 1] = 0.0   # on a plane of symmetry, inside and out
    closest, distance = closest_point(points, semi)
    assert_allclose(np.sum((closest / semi) ** 2, axis=1), 1.0, rtol=0, atol=1e-9)
    assert_allclose(np.linalg.norm(points - closest, axis=1), np.abs(distance), atol=1e-9)
    inside = np.sum((points / semi) ** 2, axis=1) < 1.0
    assert np.all((distance < 0) == inside)
    # off the planes of symmetry (on one, the point is nudged to its positive side)
    mirrored, same = closest_point(-points[10:], semi)
    assert np.array_equal(mirrored, -closest[10:]) and np.array_equal(same, distance[10:])
