"""Compiled bend relaxation (:func:`mvd_sim.anatomy.placement.place_vessel` calls it after
each round of avoidance and once a vessel is placed): the stretches of a vessel bent tighter
than its floor are smoothed where they are, off the brainstem.

Each step measures every point's bend radius over one vessel radius of arc either side
(:func:`mvd_sim.core.geometry.curve.bend_radius_kernel`, the measure
:func:`mvd_sim.anatomy.bends.check_vessel_shape` refuses by; again only where the last step's
moves can have changed it, :func:`_measured_alike`) and moves the points within a few
radii of arc of a point under the floor by a step of bending-energy (biharmonic) flow on that
scale: ``-L(L(p))``, where ``L(p)`` is the mean of the points one radius of arc before and
after a point, less the point. Unlike curve shortening (``+L(p)``), which pulls a bend in
toward its centre, this flow straightens a kink by moving its neighbours outward as well
as inward, and leaves a circle arc (no bend to relax) where it is. The move is made across
the vessel only (along it, it would only bunch its points). Points that came nearer the
brainstem than their height are put back on its offset surface
(:func:`mvd_sim.anatomy.surface_kernels.push_out`).

Everything is in mm, in the scene frame.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.surface_kernels import SURFACE, push_out
from mvd_sim.core.compiled import FLOAT, INT, array, compiled
from mvd_sim.core.geometry.curve import arc_length_kernel, bend_radius_from, point_at_kernel

__all__ = ["relax_bends"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_OUT2 = array(2, writable=True, contiguous=True)
_IDX = array(1, "intp", contiguous=True)
#: Step of the flow, times ``L(L(p))``: the explicit step is stable below 0.5 (``L(L)``'s
#: eigenvalues lie in [0, 4]); 0.25 damps the shortest waves fastest.
_RATE = 0.25
#: The flow stops once its tightest bend has not widened by :data:`_GAIN` (in vessel radii)
#: for this many steps: stuck against the brainstem. On 2 x 150 sampled cases (seeds 3, 11)
#: sampling took a quarter less time than with all :data:`max_steps`, with 30 and 25 redraws
#: instead of 30 and 23 (25 steps: a few more redraws again).
_PATIENCE = 50
_GAIN = 0.01
#: A moved point is measured against the brainstem again once its moves add up to its room
#: less this (mm): far above the distance query's rounding.
_ROOM_MARGIN_MM = 1e-9


@compiled(_V, _V, _V)
def _within_arc(s: np.ndarray, reach_mm: np.ndarray, tight: np.ndarray) -> np.ndarray:
    """(n,) bool: the points within ``reach_mm[k]`` of arc (``s`` (n,), mm) of a point where
    ``tight`` is nonzero."""
    n = len(s)
    near = np.zeros(n, np.bool_)
    last = -np.inf
    for k in range(n):                      # the nearest tight point before each point
        if tight[k] != 0.0:
            last = s[k]
        near[k] = s[k] - last <= reach_mm[k]
    last = np.inf
    for k in range(n - 1, -1, -1):          # ... and after it
        if tight[k] != 0.0:
            last = s[k]
        near[k] = near[k] or last - s[k] <= reach_mm[k]
    return near


@compiled(_P, _V, _V, _V, INT, INT)
def _laplacian(values: np.ndarray, s: np.ndarray, before: np.ndarray, after: np.ndarray,
               lo: int, hi: int) -> np.ndarray:
    """(n, 3): the mean of ``values`` (n, 3), along the vessel of arc lengths ``s`` (n,),
    at the arcs ``before`` and ``after`` (n,), less ``values``, at the points ``lo`` to
    ``hi - 1`` (those a step needs); 0 at the others and at the two ends."""
    out = np.zeros(values.shape)
    if hi > lo:
        out[lo:hi] = 0.5 * (point_at_kernel(values, s, before[lo:hi])
                            + point_at_kernel(values, s, after[lo:hi])) - values[lo:hi]
    out[0] = 0.0
    out[len(out) - 1] = 0.0
    return out


@compiled(_V, _V, INT)
def _measured_alike(s: np.ndarray, span_mm: np.ndarray, changed: int) -> int:
    """How many of the first points of a vessel (arcs ``s`` (n,), mm) keep their bend
    (:func:`~mvd_sim.core.geometry.curve.bend_radius_from`, over ``span_mm`` (n,) either
    side) to the bit when only points ``changed`` and after moved: those whose span ends
    before the arc of point ``changed - 1`` read only points and arcs before ``changed``,
    which did not change (the arcs add up from the first point), and the last arc, which
    stays beyond their span."""
    if changed == 0:
        return 0
    k, limit = 0, s[min(changed, len(s)) - 1]
    while k < len(s) and s[k] + span_mm[k] < limit:
        k += 1
    return k


@compiled(_V, _V, _V, _IDX)
def _knots_under(s: np.ndarray, before: np.ndarray, after: np.ndarray, rows: np.ndarray
                 ) -> tuple[int, int]:
    """The points (``lo`` to ``hi - 1``) whose values the means at ``before`` and ``after``
    of the points ``rows`` (ascending, not empty) interpolate between."""
    first, last = before[rows[0]], after[rows[0]]
    for k in rows:
        first, last = min(first, before[k]), max(last, after[k])
    lo = max(np.searchsorted(s, first, side="right") - 2, 0)
    hi = min(np.searchsorted(s, last, side="right") + 1, len(s))
    return lo, hi


@compiled(_OUT2, INT, _P, _P, INT, FLOAT)
def _across_move(points: np.ndarray, k: int, moves: np.ndarray, chords: np.ndarray, j: int,
                 rate: float) -> float:
    """Move point ``k`` of ``points`` (n, 3) by ``rate`` times ``moves[k]`` (3,), less its
    part along ``chords[j]`` (3,), the vessel's direction there (along it the move would only
    slide the point along the vessel, bunching its points), in place; returns how far (mm)
    it moved, at least."""
    # numpy's (and numba's np.sum's) arithmetic, written out on scalars: no small arrays
    # or views made for each point moved (sums run from 0 in order, as np.sum's)
    chord = (chords[j, 0], chords[j, 1], chords[j, 2])
    squared = 0.0
    for c in range(3):
        squared += chord[c] * chord[c]
    length = np.sqrt(squared)
    step = (moves[k, 0], moves[k, 1], moves[k, 2])
    if length > 0.0:
        unit = (chord[0] / length, chord[1] / length, chord[2] / length)
        along = 0.0
        for c in range(3):
            along += step[c] * unit[c]
        step = (step[0] - along * unit[0], step[1] - along * unit[1],
                step[2] - along * unit[2])
    moved = 0.0
    for c in range(3):
        start = points[k, c]
        points[k, c] += rate * step[c]
        moved += (points[k, c] - start) * (points[k, c] - start)
    return np.sqrt(moved)


@compiled(_OUT2, _V, FLOAT, FLOAT, INT, SURFACE, _V, _V, FLOAT)
def relax_bends(points: np.ndarray, radius_mm: np.ndarray, floor_ratio: float,
                reach_radii: float, max_steps: int, surface: tuple, origin: np.ndarray,
                heights_mm: np.ndarray, reach_mm: float) -> float:
    """Relax the bends of a vessel ``points`` (n, 3) of radii ``radius_mm`` (n,) tighter than
    ``floor_ratio`` of their radius, in place.

    Each step, the points within ``reach_radii`` radii of arc of a point under the floor
    move by ``-_RATE L(L(p))`` across the vessel (:func:`_laplacian`,
    :func:`_across_move`); the two ends never move. Points moved nearer the brainstem than
    ``heights_mm`` (n,) are put back on its offset surface (``surface``, ``origin``,
    ``reach_mm``: as for :func:`mvd_sim.anatomy.surface_kernels.push_out`; a point is
    measured only once its moves since it was last measured add up to its room there).
    Stops when no point is under the floor, after ``max_steps`` or once stuck
    (:data:`_PATIENCE`), and leaves the vessel as it was at the step whose tightest bend was
    widest (next to the brainstem, or where a course doubles back on itself, the flow can
    tighten a bend it cannot open).

    Returns
    -------
    float
        The smallest bend radius over the vessel's radius, as left (``inf`` if it does not
        bend).
    """
    n = len(points)
    tight = np.zeros(n)
    # how far each point may move before it can come below its height, when last measured
    # (none yet: -1), and how far it has moved since: a point whose moves add up to less
    # cannot have come below it (a distance changes no faster than the point moves), so
    # push_out would leave it where it is and is not asked
    room = np.full(n, -1.0)
    moved = np.zeros(n)
    best, best_points, improved = -np.inf, points.copy(), 0
    # each point's bend over its radius, measured again each step from the first point
    # whose bend the last step's moves can have changed (:func:`_measured_alike`)
    ratio, changed = np.empty(n), 0
    for step in range(max_steps + 1):
        s = arc_length_kernel(points)
        start = _measured_alike(s, radius_mm, changed)
        bend_radius_from(points, s, radius_mm, start, ratio)
        for k in range(start, n):
            ratio[k] = ratio[k] / radius_mm[k]
        worst = ratio.min()
        for k in range(n):
            tight[k] = 1.0 if ratio[k] < floor_ratio else 0.0
        if worst > best:
            if worst > best + _GAIN:
                improved = step
            best = worst
            best_points[:] = points
        if worst >= floor_ratio or step == max_steps or step - improved > _PATIENCE:
            break
        before, after = np.maximum(s - radius_mm, 0.0), np.minimum(s + radius_mm, s[-1])
        near = _within_arc(s, reach_radii * radius_mm, tight)
        near[0] = near[n - 1] = False
        rows = np.flatnonzero(near)
        changed = rows[0] if len(rows) else n     # no point but rows moves
        if len(rows):
            # only the moved points' bilaplacian is asked, so the laplacian only where it
            # interpolates from: the same numbers as over the whole vessel
            lo, hi = _knots_under(s, before, after, rows)
            lap = _laplacian(points, s, before, after, lo, hi)
            first, stop = rows[0], rows[len(rows) - 1] + 1
            bilap = _laplacian(lap, s, before, after, first, stop)
            chord = point_at_kernel(points, s, after[first:stop]) - \
                point_at_kernel(points, s, before[first:stop])
            for k in rows:
                moved[k] += _across_move(points, k, bilap, chord, k - first, -_RATE)
        asked = rows[moved[rows] >= room[rows] - _ROOM_MARGIN_MM]
        push_out(surface, origin, points, asked, heights_mm, reach_mm, room)
        moved[asked] = 0.0
    points[:] = best_points
    return best
