"""Compiled inner step of vessel avoidance (:func:`mvd_sim.anatomy.placement.avoid_tubes`):
how far each point of a vessel falls short of its clearance from one tube, and the push that
frees it.

Avoidance takes some forty steps a placed vessel, each against every tube the vessel must not
touch, for the few points whose room to move is used up. As numpy array calls a step cost
about a hundred microseconds a tube whatever its size; compiled, it is one loop over the
points, the exact point-to-polyline search inside it
(:func:`mvd_sim.geometry.closest_kernels.nearest_on_polyline`).

Everything is in mm, in the frame the points are given in.
"""

from __future__ import annotations

import numpy as np

from mvd_sim._numba import compiled
from mvd_sim.geometry.closest_kernels import nearest_on_polyline, tube_segments

__all__ = ["polyline_runs", "push_off_tube", "take_step"]


def polyline_runs(polyline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding-ball runs of a polyline (n, 3), mm, for :func:`push_off_tube`:
    ``runs`` (k, 4) and ``run_start`` (k + 1,)."""
    polyline = np.ascontiguousarray(polyline, dtype=float)
    _, _, _, _, runs, run_start, _ = tube_segments(polyline, np.zeros(len(polyline)))
    return runs, run_start


@compiled
def push_off_tube(points: np.ndarray, radius_mm: float, movable: np.ndarray,
                  clearance_mm: np.ndarray, polyline: np.ndarray, polyline_radius: np.ndarray,
                  runs: np.ndarray, run_start: np.ndarray, room_mm: np.ndarray,
                  push: np.ndarray) -> float:
    """Shortfalls of a vessel's clearances from one tube, and the pushes that undo them.

    For each point ``k`` of the vessel ``points`` (n, 3) that is ``movable`` and has no room
    left (``room_mm[k] <= 0``) from this tube: its gap to the tube (centerline ``polyline``
    (m, 3), radius ``polyline_radius`` (m,), linear along each segment; ``runs``,
    ``run_start`` from :func:`polyline_runs`), the distance to the nearest centerline point
    less both radii there, falls short of ``clearance_mm[k]`` by ``shortfall``; where
    ``shortfall > 0``, ``push[k]`` gains ``shortfall + 0.05`` mm straight away from that
    centerline point. ``room_mm[k]`` becomes how far the point may move before it can fall
    short: its distance to the centerline less its radius, the tube's largest radius and the
    clearance (a tapering tube's radius at the nearest point changes as the point moves, so
    ``-shortfall`` itself is not a bound), at least 0.

    Returns
    -------
    float
        The largest shortfall found (mm), 0 if none.
    """
    start, end = polyline[:-1], polyline[1:]
    ball_mm = np.empty(len(runs))
    widest_mm = polyline_radius.max()
    worst = 0.0
    for k in range(len(points)):
        if not movable[k] or room_mm[k] > 0:
            continue
        p = (points[k, 0], points[k, 1], points[k, 2])
        i, u = nearest_on_polyline(p, start, end, runs, run_start, ball_mm)
        rel = (p[0] - (start[i, 0] + u * (end[i, 0] - start[i, 0])),
               p[1] - (start[i, 1] + u * (end[i, 1] - start[i, 1])),
               p[2] - (start[i, 2] + u * (end[i, 2] - start[i, 2])))
        dist = np.sqrt(rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2])
        r_obstacle = polyline_radius[i] + u * (polyline_radius[i + 1] - polyline_radius[i])
        shortfall = clearance_mm[k] - (dist - radius_mm - r_obstacle)
        room_mm[k] = max(dist - radius_mm - widest_mm - clearance_mm[k], 0.0)
        if shortfall > 0:
            worst = max(worst, shortfall)
            for c in range(3):
                push[k, c] += (shortfall + 0.05) * (rel[c] / max(dist, 1e-9))
    return worst


@compiled
def _row_norm(a: np.ndarray, k: int) -> float:
    return np.sqrt(a[k, 0] * a[k, 0] + a[k, 1] * a[k, 1] + a[k, 2] * a[k, 2])


@compiled
def take_step(points: np.ndarray, push: np.ndarray, smoothed: np.ndarray,
              frozen: np.ndarray, step_mm: float, room_mm: np.ndarray,
              obstacle_room_mm: np.ndarray) -> np.ndarray:
    """Move a vessel by its smoothed pushes, in place; return the points to check against
    the brainstem.

    The smoothed pushes (n, 3) are scaled so the largest moves as far as the largest push,
    but at most ``step_mm``, and each point by ``1 - frozen`` of that. Each point's room
    (``room_mm`` (n,), from the brainstem, and ``obstacle_room_mm`` (tubes, n)) shrinks by
    how far it moved.

    Returns
    -------
    (n,) bool
        The points that moved and have no room left.
    """
    n = len(points)
    size, largest = 0.0, 0.0
    for k in range(n):
        size = max(size, _row_norm(smoothed, k))
        largest = max(largest, _row_norm(push, k))
    scale = min(largest, step_mm) / max(size, 1e-12)
    check = np.zeros(n, np.bool_)
    for k in range(n):
        move = (scale * smoothed[k, 0] * (1.0 - frozen[k]),
                scale * smoothed[k, 1] * (1.0 - frozen[k]),
                scale * smoothed[k, 2] * (1.0 - frozen[k]))
        moved_mm = np.sqrt(move[0] * move[0] + move[1] * move[1] + move[2] * move[2])
        for c in range(3):
            points[k, c] += move[c]
        room_mm[k] -= moved_mm
        for j in range(obstacle_room_mm.shape[0]):
            obstacle_room_mm[j, k] -= moved_mm
        check[k] = moved_mm > 0 and room_mm[k] <= 0
    return check
