"""The compiled avoidance: its steps against the same written with numpy array operations
(brute-force point-to-segment distances over every segment), its room bound along a tapering
tube, and the whole loop freeing a vessel from a tube it crosses."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mvd_sim.anatomy.avoidance_kernels import (clearance_rows, frozen_weights, polyline_runs,
                                               push_off_tube, take_step)
from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.anatomy.placement import avoid_tubes
from mvd_sim.core.tube import Tube


def brute_point_polyline(points: np.ndarray, polyline: np.ndarray):
    """Distance, segment, parameter and foot point of every point against every segment."""
    start, end = polyline[:-1], polyline[1:]
    d = end - start
    u = np.clip(np.einsum("mki,ki->mk", points[:, None] - start[None], d)
                / np.einsum("ki,ki->k", d, d), 0.0, 1.0)
    feet = start[None] + u[..., None] * d[None]
    dist = np.linalg.norm(points[:, None] - feet, axis=-1)
    seg = np.argmin(dist, axis=1)
    rows = np.arange(len(points))
    return dist[rows, seg], seg, u[rows, seg], feet[rows, seg]


def test_push_off_tube_matches_numpy():
    rng = np.random.default_rng(41)
    s = np.linspace(0.0, 30.0, 61)
    polyline = np.column_stack([s, 2.0 * np.sin(s / 5.0), np.zeros_like(s)])
    polyline_radius = np.linspace(1.2, 0.8, len(s))
    # near the tube, and up to 12 mm off it
    points = np.column_stack([rng.uniform(-2.0, 32.0, 300),
                              np.concatenate([rng.uniform(-4.0, 6.0, 200),
                                              rng.uniform(-12.0, 14.0, 100)]),
                              np.concatenate([rng.uniform(-3.0, 3.0, 200),
                                              rng.uniform(-8.0, 8.0, 100)])])
    radius_mm, clearance = 0.7, rng.uniform(0.0, 1.0, 300)
    movable = rng.uniform(size=300) < 0.9
    room, push = np.where(rng.uniform(size=300) < 0.8, 0.0, 7.0), np.zeros((300, 3))
    check, room_before = movable & (room <= 0), room.copy()

    worst = push_off_tube(points, np.full(300, radius_mm), movable, clearance, polyline, polyline_radius,
                          *polyline_runs(polyline), room, push)

    dist, seg, u, feet = brute_point_polyline(points[check], polyline)
    r_obstacle = polyline_radius[seg] + u * (polyline_radius[seg + 1] - polyline_radius[seg])
    shortfall = clearance[check] - (dist - radius_mm - r_obstacle)
    hit = shortfall > 0
    assert 10 < np.count_nonzero(hit) < np.count_nonzero(check)
    assert_allclose(worst, shortfall.max(), rtol=0, atol=1e-12)
    # the room is a lower bound of how far the point may move before it can fall short:
    # exact (0) where it could, else at most its distance less the radii and clearance
    # (points far from every run of segments are only bounded by the runs' balls)
    room_bound = np.maximum(dist - radius_mm - polyline_radius.max() - clearance[check], 0.0)
    assert np.all((room[check] >= 0.0) & (room[check] <= room_bound + 1e-12))
    assert_array_equal(room[check][room_bound == 0.0], 0.0)
    assert np.count_nonzero(room[check] < room_bound - 0.1) > 10
    assert_array_equal(room[~check], room_before[~check])
    want = np.zeros((np.count_nonzero(check), 3))
    want[hit] = ((shortfall[hit] + 0.05)[:, None]
                 * (points[check][hit] - feet[hit]) / dist[hit][:, None])
    assert_allclose(push[check], want, rtol=0, atol=1e-12)
    assert_array_equal(push[~check], 0.0)


def test_take_step_matches_numpy():
    rng = np.random.default_rng(42)
    points = rng.normal(size=(50, 3))
    push, smoothed = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    frozen = np.clip(rng.uniform(-0.5, 1.5, 50), 0.0, 1.0)
    room, obstacle_room = rng.uniform(-0.1, 0.5, 50), rng.uniform(0.0, 1.0, (2, 50))
    moved_points, moved_room, moved_obstacle_room = (points.copy(), room.copy(),
                                                     obstacle_room.copy())

    check = take_step(moved_points, push, smoothed, frozen, 0.3, moved_room,
                      moved_obstacle_room)

    scale = (min(np.linalg.norm(push, axis=1).max(), 0.3)
             / np.linalg.norm(smoothed, axis=1).max())
    move = scale * smoothed * (1.0 - frozen)[:, None]
    moved_mm = np.linalg.norm(move, axis=1)
    assert_allclose(moved_points, points + move, rtol=0, atol=1e-15)
    assert_allclose(moved_room, room - moved_mm, rtol=0, atol=1e-15)
    assert_allclose(moved_obstacle_room, obstacle_room - moved_mm, rtol=0, atol=1e-15)
    assert_array_equal(check, (moved_mm > 0) & (room - moved_mm <= 0))
    assert np.any(check) and not np.all(check)


@pytest.mark.parametrize("off_mm, least_room_mm", [(10.0, 4.0), (4.8, 0.1)])
def test_room_is_a_lower_bound_along_a_tapering_tube(off_mm, least_room_mm):
    """A point off a tube tapering from 3 to 1 mm: moving by its room (less 1e-9 mm) down
    the gap's steepest slope, across the taper, never brings it short of its clearance (the
    gap there shrinks faster than the distance to the centerline). 10 mm off, the room is
    the distance to the nearest run of segments' bounding ball; 4.8 mm off, the exact one."""
    s = np.linspace(0.0, 10.0, 41)
    polyline = np.column_stack([s, np.zeros_like(s), np.zeros_like(s)])
    polyline_radius = 3.0 - 0.2 * s
    point = np.array([[5.0, off_mm, 0.0]])
    room = np.zeros(1)
    push_off_tube(point, np.full(1, 0.5), np.ones(1, bool), np.full(1, 0.6), polyline, polyline_radius,
                  *polyline_runs(polyline), room, np.zeros((1, 3)))
    assert room[0] > least_room_mm
    step = -np.array([0.2, 1.0, 0.0]) / np.hypot(0.2, 1.0)
    for moved in np.linspace(0.0, room[0] - 1e-9, 200):
        probe = point + moved * step
        dist, seg, u, _ = brute_point_polyline(probe, polyline)
        r = polyline_radius[seg] + u * (polyline_radius[seg + 1] - polyline_radius[seg])
        assert dist[0] - 0.5 - r[0] >= 0.6 - 1e-12


def test_avoidance_frees_a_vessel_crossing_a_tube_and_keeps_frozen_points():
    """A straight vessel (radius 0.5 mm) through a tube (radius 1 mm) crossing it at right
    angles, far from the brainstem: after avoidance every point keeps its 0.6 mm clearance
    from the tube's surface, and the frozen ends have not moved."""
    shape = BrainstemShape()
    brainstem = Brainstem(shape, np.array([0.0, 60.0, 0.0]))   # 60 mm off, out of the way
    x = np.linspace(-12.0, 12.0, 97)
    vessel = np.column_stack([x, np.zeros_like(x), np.full_like(x, 0.4)])
    tube = Tube("t", "AICA", np.column_stack([np.zeros(41), np.linspace(-10, 10, 41),
                                              np.zeros(41)]), 1.0)
    frozen = np.zeros(len(x))
    frozen[:8] = frozen[-8:] = 1.0
    moved, shortfall = avoid_tubes(brainstem, vessel, 0.5, [(tube, np.full(len(x), 0.6))],
                                   frozen)
    assert shortfall == 0.0
    dist, *_ = brute_point_polyline(moved, tube.points)
    assert np.min(dist - 0.5 - 1.0) >= 0.6
    assert_array_equal(moved[frozen == 1.0], vessel[frozen == 1.0])
    assert np.max(np.linalg.norm(moved - vessel, axis=1)) > 1.5


@pytest.mark.parametrize("arcs", [[], [3.0], [0.0, 4.2, 9.9], [5.0, 5.5]])
def test_frozen_weights_are_numpys_to_the_bit(arcs):
    """The compiled weights against numpy's ``clip(2 - |s - arc| / half, 0, 1)``, largest
    over the arcs (0 for none), bit for bit."""
    s = np.cumsum(np.random.default_rng(len(arcs)).uniform(0.1, 0.6, 40)) - 0.1
    half = 1.3
    expected = np.zeros_like(s) if not arcs else np.clip(
        2.0 - np.abs(s[:, None] - np.array(arcs)[None, :]) / half, 0.0, 1.0).max(axis=1)
    got = frozen_weights(s, np.array(arcs, dtype=float), half)
    assert_array_equal(got.view(np.int64), expected.view(np.int64))


def numpy_clearance_rows(s, base, owns, gaps, arcs, stretch, exempt, from_first, exempt_mm):
    """The clearances as numpy made them, one obstacle at a time (placement before the
    compiled rows)."""
    out = []
    for j in range(len(base)):
        clearance = np.full(len(s), base[j])
        for r in np.flatnonzero(owns[:, j]):
            near = np.abs(s - arcs[r]) <= stretch
            clearance[near] = np.minimum(clearance[near], gaps[r])
        if exempt[j]:
            clearance[(s if from_first else s[-1] - s) <= exempt_mm] = -1e6
        out.append(clearance)
    return np.array(out, dtype=float).reshape(len(base), len(s))


@pytest.mark.parametrize("from_first", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_clearance_rows_are_numpys_to_the_bit(seed, from_first):
    """The compiled clearances of a vessel from its obstacles against numpy's, bit for bit:
    contacts on the same obstacle overlapping (the smaller gap holds), a contact asked at
    the base clearance (a tie), none on some obstacles, a parent trunk exempt from either
    end, no contacts at all."""
    rng = np.random.default_rng(seed)
    s = np.cumsum(rng.uniform(0.2, 0.4, 120)) - 0.2
    k = 4
    gaps = np.array([0.3, -0.2, 0.7, 0.0])
    arcs = rng.uniform(0.0, s[-1], len(gaps))
    arcs[1] = arcs[0] + 2.0                  # overlapping stretches on obstacle 0
    owns = np.zeros((len(gaps), k), dtype=bool)
    owns[[0, 1, 2, 3], [0, 0, 2, 3]] = True
    base = np.array([0.8, 0.6, 0.7, 0.6])    # obstacle 2's base equal to its contact's gap
    exempt = np.array([False, True, False, False])
    for rows in (slice(None), slice(0, 0)):  # the contacts, and none
        args = (s, base, owns[rows], gaps[rows], arcs[rows], 4.0, exempt, from_first, 5.0)
        expected = numpy_clearance_rows(*args)
        got = clearance_rows(*args)
        assert_array_equal(got.view(np.int64), expected.view(np.int64))
    assert np.any(got[1] == -1e6) and np.any(got[1] != -1e6)
