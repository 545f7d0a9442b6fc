"""The compiled crossing waypoints against the same written with numpy array operations, to
the bit (mm); the first side whose crossing clears against placement's numpy check of every
side."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mvd_sim.anatomy import placement
from mvd_sim.anatomy.crossing_kernels import crossing_waypoints
from mvd_sim.anatomy.placement import ContactRequest
from mvd_sim.core.approach import usable_sides

from ..conftest import bundled_scene


def numpy_waypoints(point, tangent, distance, angle_rad, sides, half_length):
    """The crossing's waypoints as numpy computes them (placement's formula before the
    kernel): centre, direction, then the five waypoints along it, the outer two lifted."""
    q = point + distance * sides
    v = np.cos(angle_rad) * tangent + np.sin(angle_rad) * np.stack(
        [sides[:, 1] * tangent[2] - sides[:, 2] * tangent[1],
         sides[:, 2] * tangent[0] - sides[:, 0] * tangent[2],
         sides[:, 0] * tangent[1] - sides[:, 1] * tangent[0]], axis=1)
    along = np.array([-2.5, -1.0, 0.0, 1.0, 2.5])[:, None] * v[..., None, :]
    lift = np.array([0.5, 0.0, 0.0, 0.0, 0.5])[:, None] * sides[..., None, :]
    return q[..., None, :] + half_length * (along + lift)


@pytest.mark.parametrize("seed", range(4))
def test_crossing_waypoints_are_numpys_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    tangent = rng.normal(size=3)
    tangent /= np.linalg.norm(tangent)
    sides = rng.normal(size=(int(rng.integers(1, 40)), 3))
    sides -= (sides @ tangent)[:, None] * tangent
    sides /= np.linalg.norm(sides, axis=1)[:, None]
    point, distance = rng.normal(scale=10.0, size=3), float(rng.uniform(0.5, 3.0))
    angle = np.radians(rng.uniform(0.0, 180.0))
    expected = numpy_waypoints(point, tangent, distance, angle, sides, 1.2)
    got = crossing_waypoints(point, tangent, distance, float(np.cos(angle)),
                             float(np.sin(angle)), sides, 1.2)
    assert_array_equal(got.view(np.int64), expected.view(np.int64))
    assert crossing_waypoints(point, tangent, distance, 1.0, 0.0, sides[:0], 1.2).shape \
        == (0, 5, 3)


def _requests(scene):
    """Contact requests on the bundled atlas's CN VII, each side at each of a few points,
    angles, gaps and radii, and on its CN VIII; with the nerves each must clear."""
    nerves = scene.nerves
    for target, other in (("CN7", "CN8"), ("CN8", "CN7")):
        tube = nerves[target]
        for s_mm in np.linspace(1.0, tube.length_mm - 1.0, 6):
            usable = usable_sides(tube.smooth_tangent_at(s_mm), np.array([1.0, 0.0, 0.0]))
            for side in usable:
                for angle, gap, radius in ((85.0, -0.2, 0.5), (35.0, 0.0, 1.2),
                                           (140.0, 0.3, 0.8)):
                    normal = placement.resolve_side(tube, s_mm, side, "probe")
                    yield (ContactRequest("probe", tube, float(s_mm), normal, gap, angle, side),
                           radius, (nerves[other],))


def test_the_first_clearing_side_is_the_first_numpys_check_clears():
    """Each request's turned sides that read as its side, least turn first: the side
    first_clearing finds (stopping at a crossing's first waypoint in the brainstem, and at
    the first side that clears) is the first of them placement's numpy check clears (every
    crossing's five waypoints' distances, then its gaps to the other nerve), or none."""
    scene = bundled_scene("atlas_default_right")
    found = {"first": 0, "turned": 0, "none": 0}
    for req, radius, nerves in _requests(scene):
        sides, allowed = placement._turned_sides(req)
        tried = sides[allowed]
        clears = placement._clearing(scene.brainstem, req, tried, radius, nerves)
        (got,) = placement._clearing_sides([req], scene.brainstem, radius, nerves)
        if not np.any(clears):
            assert got is None
            found["none"] += 1
            continue
        assert_array_equal(got, tried[np.argmax(clears)])
        found["first" if clears[0] else "turned"] += 1
    # the three outcomes all met
    assert min(found.values()) >= 3, found


def test_with_no_nerve_to_clear_only_the_brainstem_is_asked():
    """No nerve to keep clear of (a vessel target's contact): the first side clear of the
    brainstem, as numpy's check finds it."""
    scene = bundled_scene("atlas_default_right")
    cleared = 0
    for req, radius, _ in list(_requests(scene))[::5]:
        sides, allowed = placement._turned_sides(req)
        clears = placement._clearing(scene.brainstem, req, sides[allowed], radius)
        (got,) = placement._clearing_sides([req], scene.brainstem, radius, ())
        if np.any(clears):
            assert_array_equal(got, sides[allowed][np.argmax(clears)])
            cleared += 1
        else:
            assert got is None
    assert cleared >= 3


def test_several_tubes_to_clear_are_asked_together():
    """Two tubes to keep clear of (the other nerve and the scene's AICA, their segments
    stacked into one set): the first side numpy's check clears against each in turn, which
    the AICA turns off the nerve's alone for some requests."""
    scene = bundled_scene("atlas_default_right")
    vessel = scene.vessels["aica"]
    found = {"cleared": 0, "none": 0, "turned by the vessel": 0}
    for req, radius, (nerve,) in list(_requests(scene))[::3]:
        sides, allowed = placement._turned_sides(req)
        clears = placement._clearing(scene.brainstem, req, sides[allowed], radius,
                                     (nerve, vessel))
        (got,) = placement._clearing_sides([req], scene.brainstem, radius, (nerve, vessel))
        (alone,) = placement._clearing_sides([req], scene.brainstem, radius, (nerve,))
        if np.any(clears):
            assert_array_equal(got, sides[allowed][np.argmax(clears)])
            found["cleared"] += 1
        else:
            assert got is None
            found["none"] += 1
        found["turned by the vessel"] += (got is None) != (alone is None) or (
            got is not None and not np.array_equal(got, alone))
    assert min(found.values()) >= 3, found
