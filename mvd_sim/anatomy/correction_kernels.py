"""Compiled contact correction (step 3 of :mod:`mvd_sim.anatomy.placement`): measure where a
vessel meets the target it was asked to touch, and move it until the contact is as deep and
where it was asked.

A contact takes a few correction steps a round, each an exact closest approach between the
windows of vessel and target around it, a point-to-polyline distance, a smooth bump, the move
and a brainstem push-out of the points moved. As numpy calls a step cost some hundred
microseconds whatever the windows' size; compiled, the whole loop is one call. The arithmetic
is numpy's, operation for operation (arc lengths, the bump, the target's segment tangent), so
the placed vessels are the same to the bit.

Everything is in mm, in the scene frame.
"""

from __future__ import annotations

import numpy as np
from numba import types

from mvd_sim.core.compiled import FLOAT, INT, array, compiled
from mvd_sim.anatomy.surface_kernels import SURFACE, push_out
from mvd_sim.core.geometry.closest_kernels import nearest_pair, point_polyline, tube_segments
from mvd_sim.core.geometry.curve import arc_length_kernel, bump, segment_tangent

__all__ = ["TARGET", "window", "measure", "correct_contact"]

# argument types, C-contiguous like those of the kernels they call: rows (n, k) and values
# (n,) (read-only); the vessel moved in place
_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_OUT2 = array(2, writable=True, contiguous=True)
#: The type of the target window of :func:`measure`.
TARGET = types.Tuple((_P, _V, _V, _P, _P, array(1, "intp", contiguous=True), FLOAT, _V, FLOAT))


@compiled(_V, FLOAT, FLOAT)
def window(s: np.ndarray, centre: float, half: float) -> tuple[int, int]:
    """First and last row of the polyline points with arc lengths ``s`` (n,) that cover
    ``centre +- half``, one point beyond either side where there is one."""
    lo = max(np.searchsorted(s, centre - half) - 1, 0)
    hi = min(np.searchsorted(s, centre + half) + 1, len(s) - 1)
    return lo, hi


@compiled(_P, _V, _V, TARGET, FLOAT, FLOAT)
def measure(points: np.ndarray, s_v: np.ndarray, radius_mm: np.ndarray, target: tuple,
            vessel_arc: float, window_mm: float
            ) -> tuple[float, float, float, float, np.ndarray]:
    """A vessel's contact with its target, measured exactly around the asked point.

    The closest approach (:func:`mvd_sim.core.geometry.closest_kernels.nearest_pair`) of the
    vessel's points within ``window_mm`` of arc of ``vessel_arc`` (``s_v``: the arc lengths
    of ``points``; ``radius_mm`` (n,) their radii, linear along each segment) and the
    target's window. ``target`` is that window: its segments packed
    by :func:`mvd_sim.core.geometry.closest_kernels.tube_segments` (``segments, half, arc0,
    balls, runs, run_start``), the target arc of its first point, the asked point (3,) and
    the target's radius there.

    Returns
    -------
    gap : float
        The minimum surface gap.
    s_target, vessel_arc : float
        Target arc and vessel arc where it is reached.
    gap_at_asked : float
        The gap at the asked point (differs from the minimum when the contact is broad and
        its deepest point ill-defined).
    direction : (3,) float
        Unit direction from the target's centerline to the vessel's at the minimum.
    """
    (target_segments, target_half, target_arc0, target_balls, target_runs, target_run_start,
     target_first_arc, asked_point, asked_radius_mm) = target
    lo, hi = window(s_v, vessel_arc, window_mm)
    near = np.ascontiguousarray(points[lo:hi + 1])
    segments, half, arc0, balls, runs, run_start, _ = tube_segments(
        near, np.ascontiguousarray(radius_mm[lo:hi + 1]))
    i, j, s, t, gap = nearest_pair(target_segments, target_balls, target_runs,
                                   target_run_start, segments, balls, runs, run_start)
    direction = np.empty(3)
    for c in range(3):
        a = target_segments[i, c] + s * (target_segments[i, 3 + c] - target_segments[i, c])
        b = segments[j, c] + t * (segments[j, 3 + c] - segments[j, c])
        direction[c] = b - a
    centre_distance = np.sqrt(direction[0] * direction[0] + direction[1] * direction[1]
                              + direction[2] * direction[2])
    for c in range(3):
        direction[c] = direction[c] / max(centre_distance, 1e-12)
    dist, row, u, _ = point_polyline(asked_point.reshape(1, 3), near)
    k = lo + row[0]
    radius_there = radius_mm[k] + u[0] * (radius_mm[min(k + 1, hi)] - radius_mm[k])
    return (gap, target_first_arc + (target_arc0[i] + 2 * s * target_half[i]),
            s_v[lo] + (arc0[j] + 2 * t * half[j]), dist[0] - asked_radius_mm - radius_there,
            direction)


@compiled(_OUT2, _V, TARGET, _P, _V, _V, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, INT,
          SURFACE, _V, _V)
def correct_contact(points: np.ndarray, radius_mm: np.ndarray, target: tuple,
                    target_points: np.ndarray, target_s: np.ndarray, side: np.ndarray,
                    gap_mm: float, s_mm: float, vessel_arc: float, half_mm: float,
                    window_mm: float, converged_mm: float, max_steps: int, surface: tuple,
                    origin: np.ndarray, heights_mm: np.ndarray
                    ) -> tuple[float, int, bool, float, float]:
    """Move a vessel until its contact with the target lies where it was asked; in place.

    Each step measures the contact (:func:`measure`; ``target``, as there, the window of the
    target with centerline ``target_points`` (m, 3) and arc lengths ``target_s`` (m,)) and
    moves the vessel ``points`` (n, 3) of radii ``radius_mm`` (n,), weighted by a raised-cosine
    bump (:func:`mvd_sim.core.geometry.curve.bump`) of half-width ``half_mm`` about the
    contact's vessel arc, by the depth error
    (asked ``gap_mm`` less the measured) along the unit ``side`` (3,) and the position error
    (asked ``s_mm`` less the measured target arc) along the target's tangent there. A gain
    halves (down to 1/8) whenever its error changes sign: where the target is curved (a
    deviated nerve, say) the contact can move more than the vessel and overshoot. The points
    moved are then kept ``heights_mm`` (n,) off the brainstem
    (:func:`mvd_sim.anatomy.surface_kernels.push_out`; ``surface`` and ``origin`` as there).

    The contact has landed when the deepest point is as deep as asked and the asked point is
    (within ``converged_mm``) as deep as the deepest, i.e. it lies in the contact. After
    ``max_steps`` moves without landing it gives up (the last move is not measured).

    Returns
    -------
    vessel_arc : float
        The contact's vessel arc, last measured.
    steps : int
        Moves made (at most ``max_steps``).
    landed : bool
    err_gap, err_s : float
        The last depth and position errors.
    """
    n = len(points)
    reach_mm = heights_mm.max()
    room = np.empty(n)
    moved = np.empty(n, np.intp)
    gain_gap, gain_s, previous_gap, previous_s = 1.0, 1.0, 0.0, 0.0
    err_gap, err_s = 0.0, 0.0
    for step in range(max_steps):
        s_v = arc_length_kernel(points)
        gap, s_target, vessel_arc, gap_at_asked, _ = measure(points, s_v, radius_mm, target,
                                                             vessel_arc, window_mm)
        err_gap, err_s = gap_mm - gap, s_mm - s_target
        if abs(err_gap) < converged_mm and (abs(err_s) < converged_mm
                                            or gap_at_asked - gap < converged_mm):
            return vessel_arc, step, True, err_gap, err_s
        gain_gap = max(gain_gap * (0.5 if err_gap * previous_gap < 0 else 1.0), 0.125)
        gain_s = max(gain_s * (0.5 if err_s * previous_s < 0 else 1.0), 0.125)
        previous_gap, previous_s = err_gap, err_s
        tangent = segment_tangent(target_points, target_s, s_target)
        along_side, along_tangent = gain_gap * err_gap, gain_s * err_s
        count = 0
        for k in range(n):
            weight = bump(s_v[k], vessel_arc, half_mm)
            nonzero = False
            for c in range(3):
                move = weight * (along_side * side[c] + along_tangent * tangent[c])
                points[k, c] = points[k, c] + move
                nonzero = nonzero or move != 0.0
            if nonzero:
                moved[count] = k
                count += 1
        if count:
            push_out(surface, origin, points, moved[:count], heights_mm, reach_mm, room)
    return vessel_arc, max_steps, False, err_gap, err_s
