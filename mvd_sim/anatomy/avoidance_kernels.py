"""Compiled vessel avoidance (:func:`mvd_sim.anatomy.placement.avoid_tubes`): each step,
how far each point of a vessel falls short of its clearance from each tube it must not touch,
the pushes that free it, smoothed along the vessel, the move, and the brainstem push-out of
the points that came near it.

Avoidance takes some forty steps a placed vessel, each against every such tube, for the few
points whose room to move is used up. As numpy and scipy calls a step cost about a hundred
microseconds a tube whatever its size, plus a brainstem query's call; compiled, the whole loop
is one call, with the exact point-to-polyline search
(:func:`mvd_sim.core.geometry.closest_kernels.nearest_in_runs`, only for points within reach of
a run of segments' bounding ball) and the brainstem push-out
(:func:`mvd_sim.anatomy.surface_kernels.push_out`) inside it.

Everything is in mm, in the scene frame unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.compiled import BOOL, FLOAT, INT, array, compiled
from mvd_sim.anatomy.surface_kernels import SURFACE, push_out
from mvd_sim.core.geometry.closest_kernels import nearest_in_runs, run_bounds, tube_segments

__all__ = ["polyline_runs", "frozen_weights", "clearance_rows", "push_off_tube", "take_step",
           "smooth_rows", "avoid"]

# argument types, C-contiguous like those of the kernels they call: rows (n, k), values (n,)
# and indices (read-only); the arrays moved in place
_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)
_OUT1 = array(1, writable=True, contiguous=True)
_OUT2 = array(2, writable=True, contiguous=True)


@compiled(_V, _V, FLOAT)
def frozen_weights(s: np.ndarray, arcs: np.ndarray, half_mm: float) -> np.ndarray:
    """(n,) in [0, 1]: how much each point of a vessel at arcs ``s`` (n,) is held, 1 within
    ``half_mm`` of one of ``arcs`` (k,) (its anchors and asked contacts), easing to 0 over
    the next ``half_mm`` (0 everywhere for no arcs); numpy's arithmetic
    (``clip(2 - |s - arc| / half_mm, 0, 1)``, the largest over the arcs)."""
    out = np.zeros(len(s))
    if len(arcs) == 0:
        return out
    for i in range(len(s)):
        best = -np.inf
        for j in range(len(arcs)):
            best = max(best, min(max(2.0 - abs(s[i] - arcs[j]) / half_mm, 0.0), 1.0))
        out[i] = best
    return out


@compiled(_V, _V, array(2, "boolean"), _V, _V, FLOAT, array(1, "boolean"), BOOL, FLOAT)
def clearance_rows(s: np.ndarray, base_mm: np.ndarray, owns: np.ndarray, gaps_mm: np.ndarray,
                   arcs: np.ndarray, stretch_mm: float, exempt: np.ndarray,
                   exempt_from_first: bool, exempt_mm: float) -> np.ndarray:
    """(k, n) mm: the clearance each point of a vessel at arcs ``s`` (n,) keeps from each of
    ``k`` obstacles (:func:`mvd_sim.anatomy.placement.avoid_tubes`'s rows), in one call:
    ``base_mm[j]`` from obstacle ``j``; within ``stretch_mm`` of arc of an asked contact
    ``r`` on it (``owns[r, j]``, at vessel arc ``arcs[r]``), no more than its gap
    ``gaps_mm[r]``, the contacts in order; from the obstacles ``exempt`` (k,) names, -1e6
    within ``exempt_mm`` of arc of the vessel's first point (``exempt_from_first``) or last.
    numpy's arithmetic (``|s - arc| <= stretch``, ``minimum`` keeping the clearance held on
    a tie), so the same bits."""
    k, n = len(base_mm), len(s)
    out = np.empty((k, n))
    for j in range(k):
        for i in range(n):
            out[j, i] = base_mm[j]
        for r in range(len(gaps_mm)):
            if owns[r, j]:
                for i in range(n):
                    if abs(s[i] - arcs[r]) <= stretch_mm and gaps_mm[r] < out[j, i]:
                        out[j, i] = gaps_mm[r]
    for j in range(k):
        if exempt[j]:
            for i in range(n):
                if (s[i] if exempt_from_first else s[n - 1] - s[i]) <= exempt_mm:
                    out[j, i] = -1e6
    return out


def polyline_runs(polyline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding-ball runs of a polyline (n, 3), mm, for :func:`push_off_tube`:
    ``runs`` (k, 4) and ``run_start`` (k + 1,)."""
    polyline = np.ascontiguousarray(polyline, dtype=float)
    _, _, _, _, runs, run_start, _ = tube_segments(polyline, np.zeros(len(polyline)))
    return runs, run_start


@compiled(_P, _V, array(1, "boolean", contiguous=True), _V, _P, _V, _P, _IDX, _OUT1,
          _OUT2)
def push_off_tube(points: np.ndarray, radius_mm: np.ndarray, movable: np.ndarray,
                  clearance_mm: np.ndarray, polyline: np.ndarray, polyline_radius: np.ndarray,
                  runs: np.ndarray, run_start: np.ndarray, room_mm: np.ndarray,
                  push: np.ndarray) -> float:
    """Shortfalls of a vessel's clearances from one tube, and the pushes that undo them.

    For each point ``k`` of the vessel ``points`` (n, 3), of radius ``radius_mm[k]`` (a vessel
    tapers), that is ``movable`` and has no room
    left (``room_mm[k] <= 0``) from this tube: its gap to the tube (centerline ``polyline``
    (m, 3), radius ``polyline_radius`` (m,), linear along each segment; ``runs``,
    ``run_start`` from :func:`polyline_runs`), the distance to the nearest centerline point
    less both radii there, falls short of ``clearance_mm[k]`` by ``shortfall``; where
    ``shortfall > 0``, ``push[k]`` gains ``shortfall + 0.05`` mm straight away from that
    centerline point. ``room_mm[k]`` becomes how far the point may move before it can fall
    short: its distance to the centerline less its radius, the tube's largest radius and the
    clearance (a tapering tube's radius at the nearest point changes as the point moves, so
    ``-shortfall`` itself is not a bound), at least 0; for a point so far from every run's
    bounding ball that it cannot fall short, its distance to the nearest ball instead.

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
        first = run_bounds(p, runs, ball_mm)
        beyond_mm = ball_mm[first] - radius_mm[k] - widest_mm - clearance_mm[k]
        if beyond_mm > 0.0:
            # beyond the nearest run's bounding ball by more than it could fall short: that
            # is room enough, without the nearest point
            room_mm[k] = beyond_mm
            continue
        i, u = nearest_in_runs(p, start, end, run_start, ball_mm, first)
        rel = (p[0] - (start[i, 0] + u * (end[i, 0] - start[i, 0])),
               p[1] - (start[i, 1] + u * (end[i, 1] - start[i, 1])),
               p[2] - (start[i, 2] + u * (end[i, 2] - start[i, 2])))
        dist = np.sqrt(rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2])
        r_obstacle = polyline_radius[i] + u * (polyline_radius[i + 1] - polyline_radius[i])
        shortfall = clearance_mm[k] - (dist - radius_mm[k] - r_obstacle)
        room_mm[k] = max(dist - radius_mm[k] - widest_mm - clearance_mm[k], 0.0)
        if shortfall > 0:
            worst = max(worst, shortfall)
            for c in range(3):
                push[k, c] += (shortfall + 0.05) * (rel[c] / max(dist, 1e-9))
    return worst


@compiled(_P, INT)
def _row_norm(a: np.ndarray, k: int) -> float:
    return np.sqrt(a[k, 0] * a[k, 0] + a[k, 1] * a[k, 1] + a[k, 2] * a[k, 2])


@compiled(_OUT2, _P, _P, _V, FLOAT, _OUT1, _OUT2)
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


@compiled(_P, _V, _OUT2)
def smooth_rows(push: np.ndarray, weights: np.ndarray, out: np.ndarray) -> None:
    """``out``: the rows of ``push`` (n, 3) correlated with the symmetric ``weights``
    (2 r + 1,), the ends extended by their edge rows. This is
    ``scipy.ndimage.correlate1d(push, weights, axis=0, mode="nearest")`` bit for bit (its
    loop for symmetric weights: the centre, then the pairs from the farthest in), written out
    because a compiled loop cannot call scipy; a test holds it to scipy's.

    Avoidance pushes a few rows of a vessel at a step: a pair of rows both 0 adds an exact 0
    to a sum (never -0: the centre's term starts it at +0 or at a nonzero value, and nonzero
    terms that cancel give +0), so each row sums only the pairs with a nonzero row, in the
    same order (farthest first); rows farther than ``r`` from every nonzero row are 0. Where
    an end row is pushed (the edge extension repeats it) every pair is summed."""
    n, r = len(push), len(weights) // 2
    pushed, count = np.empty(n, np.intp), 0
    for i in range(n):
        if push[i, 0] != 0.0 or push[i, 1] != 0.0 or push[i, 2] != 0.0:
            pushed[count] = i
            count += 1
    ends = count > 0 and (pushed[0] == 0 or pushed[count - 1] == n - 1)
    first, stop = 0, 0      # the pushed rows within r of row i: pushed[first:stop]
    for i in range(n):
        while first < count and pushed[first] < i - r:
            first += 1
        while stop < count and pushed[stop] <= i + r:
            stop += 1
        if first == stop:
            out[i, 0] = out[i, 1] = out[i, 2] = 0.0
            continue
        for c in range(3):
            acc = push[i, c] * weights[r]
            if ends:
                for j in range(r, 0, -1):
                    acc += (push[max(i - j, 0), c] + push[min(i + j, n - 1), c]) \
                        * weights[r - j]
            else:
                # the pairs at the distances j of the pushed rows before i (falling as they
                # come nearer) and after it (from the last back), merged, farthest first
                a, b = first, stop - 1
                while True:
                    j_before = i - pushed[a] if a < stop and pushed[a] < i else 0
                    j_after = pushed[b] - i if b >= first and pushed[b] > i else 0
                    j = max(j_before, j_after)
                    if j == 0:
                        break
                    acc += (push[max(i - j, 0), c] + push[min(i + j, n - 1), c]) \
                        * weights[r - j]
                    if j_before == j:
                        a += 1
                    if j_after == j:
                        b -= 1
            out[i, c] = acc


@compiled(_OUT2, _V, _V, _P, _P, _V, _IDX, _P, _IDX, _IDX, _V, FLOAT, INT, SURFACE, _V, _V,
          FLOAT, BOOL)
def avoid(points: np.ndarray, radius_mm: np.ndarray, frozen: np.ndarray, clearances: np.ndarray,
          polylines: np.ndarray, polyline_radii: np.ndarray, offsets: np.ndarray,
          runs: np.ndarray, run_starts: np.ndarray, run_offsets: np.ndarray,
          weights: np.ndarray, step_mm: float, max_steps: int, surface: tuple,
          origin: np.ndarray, heights_mm: np.ndarray, reach_mm: float, use_room: bool) -> float:
    """Avoidance's steps (:func:`mvd_sim.anatomy.placement.avoid_tubes`), moving ``points``
    (n, 3) of radii ``radius_mm`` (n,), scene frame, in place.

    Each step: every obstacle's shortfalls and pushes (:func:`push_off_tube`; obstacle ``j``
    is ``polylines[offsets[j]:offsets[j + 1]]`` with its radii, its runs
    ``runs[run_offsets[j]:run_offsets[j + 1]]`` and their starts from
    ``run_starts[run_offsets[j] + j]``, its clearances ``clearances[j]``); none: done. Else the
    pushes smoothed (:func:`smooth_rows` with ``weights``) move the vessel
    (:func:`take_step`), and the points that used up their room to the brainstem are put back
    on its offset surface at ``heights_mm`` (n,) where they came nearer
    (:func:`mvd_sim.anatomy.surface_kernels.push_out`; ``surface``:
    :func:`mvd_sim.anatomy.brainstem.kernel_surface`; ``origin``: the scene origin in the
    midline frame; queries exact within ``reach_mm`` and inside). A point is checked against an
    obstacle or the brainstem again only once it has moved as far as its room; with
    ``use_room`` false every point is checked at every step (the reference the room must not
    change).

    Returns
    -------
    float
        The largest shortfall of the last step (mm), 0 if none was left.
    """
    n, count = len(points), len(offsets) - 1
    movable = frozen < 1.0
    obstacle_room_mm, room_mm = np.zeros((count, n)), np.zeros(n)
    push, smoothed = np.empty((n, 3)), np.empty((n, 3))
    shortfall_mm = 0.0
    for _ in range(max_steps):
        push[:] = 0.0
        shortfall_mm = 0.0
        for j in range(count):
            a, b = offsets[j], offsets[j + 1]
            first, last = run_offsets[j], run_offsets[j + 1]
            shortfall_mm = max(shortfall_mm, push_off_tube(
                points, radius_mm, movable, clearances[j], polylines[a:b],
                polyline_radii[a:b], runs[first:last], run_starts[first + j:last + j + 1],
                obstacle_room_mm[j], push))
        if not np.any(push != 0.0):
            return 0.0
        smooth_rows(push, weights, smoothed)
        rows = np.flatnonzero(take_step(points, push, smoothed, frozen, step_mm, room_mm,
                                        obstacle_room_mm))
        if not use_room:
            obstacle_room_mm[:] = 0.0
            room_mm[:] = 0.0
        if len(rows):
            push_out(surface, origin, points, rows, heights_mm, reach_mm, room_mm)
    return shortfall_mm
