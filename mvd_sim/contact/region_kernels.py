"""Compiled kernel of the regions where the vessels come near a nerve
(:func:`mvd_sim.contact.nerve_kernels.nerve_findings` describes them,
:func:`mvd_sim.contact.analysis._nerve_regions` makes them
:class:`~mvd_sim.contact.regions.Region` objects): the segment pairs within the near-miss
margin, grouped into runs along each vessel, and each run's deepest point, the span of the
nerve that can hold its patch and the stretch of the vessel that can touch it. The same
numbers as the numpy grouping it replaces (a stable sort by vessel and segment,
``argmin``'s first least gap), from fewer pairs solved: only what each vessel segment's
pairs decide (whether it is within the margin, its nearest pair, its pairs within the
contact threshold). And the vessel-vessel contacts' runs, each by its nearest pair
(:func:`vessel_contact_rows`). Scene frame, mm.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.contact.describe_kernels import smooth_tangent
from mvd_sim.core.compiled import FLOAT, array, compiled
from mvd_sim.core.geometry.closest_kernels import (_SLACK_MM, _apart, _pair_gap, _segments_apart,
                                                   nearest_near_pairs_by_tube)

__all__ = ["runs_of", "deepest_of_runs", "nerve_regions", "vessel_contact_rows"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)


@compiled(_IDX, _IDX)
def runs_of(group, local):
    """Pairs grouped into runs: by ``group`` (a vessel, a pair of vessels), then along it,
    runs of segments ``local`` at most 2 apart (a vessel passing a nerve twice gives two).

    Returns
    -------
    order : (k,) int
        The pairs sorted by group, then local index (stable: ties keep their order).
    bounds : (runs + 1,) int
        Run ``r`` is ``order[bounds[r]:bounds[r + 1]]``.
    """
    count = len(group)
    key = np.empty(count, np.intp)
    top = 1
    for n in range(count):
        top = max(top, local[n] + 1)
    for n in range(count):
        key[n] = group[n] * top + local[n]
    order = np.argsort(key, kind="mergesort")
    bounds = np.empty(count + 1, np.intp)
    runs = 0
    for m in range(count):
        if m == 0 or group[order[m]] != group[order[m - 1]] \
                or local[order[m]] - local[order[m - 1]] > 2:
            bounds[runs] = m
            runs += 1
    bounds[runs] = count
    return order, bounds[:runs + 1].copy()


@compiled(_IDX, _IDX, _V)
def deepest_of_runs(group, local, gap):
    """:func:`runs_of`, and each run's pair of least ``gap`` (the first in the run's order on a
    tie): ``(k,)`` indices of the pairs, by run."""
    order, bounds = runs_of(group, local)
    deepest = np.empty(len(bounds) - 1, np.intp)
    for r in range(len(deepest)):
        best = order[bounds[r]]
        for m in range(bounds[r], bounds[r + 1]):
            if gap[order[m]] < gap[best]:
                best = order[m]
        deepest[r] = best
    return deepest


@compiled(_P, _P, _P, _IDX, _P, _P, _P, _IDX, FLOAT, FLOAT)
def _nearest_by_vessel_segment(segments, balls, runs, run_start, vessel_segments,
                               vessel_balls, vessel_runs, vessel_run_start, margin,
                               contact_mm):
    """For each vessel segment within ``margin`` of the nerve (surface gap, mm): its nearest
    pair of the nerve's segments, and the first and last nerve segment within
    ``contact_mm`` of it.

    :func:`mvd_sim.core.geometry.closest_kernels.near_pairs` between the nerve and the
    vessels reduced to what :func:`nerve_regions` keeps of each vessel segment's pairs,
    without solving every pair. A vessel segment's candidates are the nerve's segments
    within the margin of its run (in ascending order); it is paired first with the segment
    nearest the one before it in the run (a tight bound at once), then with its candidates
    upwards until one is within ``contact_mm`` (the first), then downwards until one is (the
    last); a pair surely farther (:func:`_segments_apart`, with :data:`_SLACK_MM` to spare
    for rounding) than both the nearest pair found and ``contact_mm`` can change none of
    these and is not solved, and between the first and the last only a pair that may be
    nearer than the nearest found is. Each pair solved is solved as ``near_pairs`` solves
    it, and the nearest is the first of least gap in ``near_pairs``' order (the lowest
    nerve segment).

    Returns
    -------
    found : (v,) bool
        Whether the vessel segment has a pair within ``margin``.
    nearest : (v,) int
        Its nearest pair's nerve segment.
    values : (v, 3) float
        That pair's ``s``, ``t`` (local parameters) and gap (mm).
    lo, hi : (v,) int
        The first and last nerve segment within ``contact_mm`` of it (``hi < lo``: none).
    """
    count = len(vessel_segments)
    found = np.zeros(count, np.bool_)
    nearest = np.zeros(count, np.intp)
    values = np.full((count, 3), np.inf)
    lo, hi = np.full(count, len(segments), np.intp), np.full(count, -1, np.intp)
    near = np.empty(len(segments), np.intp)
    for kb in range(len(vessel_runs)):
        close = 0    # the nerve's segments within the margin of this vessel run, in order
        for ka in range(len(runs)):
            if _apart(runs, ka, vessel_runs, kb, margin):
                continue
            for i in range(run_start[ka], run_start[ka + 1]):
                if not _apart(balls, i, vessel_runs, kb, margin):
                    near[close] = i
                    close += 1
        if close == 0:
            continue
        for j in range(vessel_run_start[kb], vessel_run_start[kb + 1]):
            seed = nearest[j - 1] if j > vessel_run_start[kb] and found[j - 1] else -1
            # step 0 the seed, 1 upwards to the first within contact_mm, 2 downwards to the
            # last, 3 between them
            step, m, first, last = 0, 0, close, close
            while True:
                again = step != 0   # the seed is paired in step 0 only
                if step == 0:
                    step, i, bound = 1, seed, margin
                    if i < 0:
                        continue
                elif step == 1:
                    if m == close or lo[j] <= near[m]:
                        step, first, m = 2, m, close - 1
                        continue
                    i, m = near[m], m + 1
                    bound = min(margin, max(values[j, 2], contact_mm) + _SLACK_MM) \
                        if found[j] else margin
                elif step == 2:
                    if m < first or hi[j] >= near[m]:
                        step, last, m = 3, m + 1, first
                        continue
                    i, m = near[m], m - 1
                    bound = min(margin, max(values[j, 2], contact_mm) + _SLACK_MM) \
                        if found[j] else margin
                else:
                    if m >= last:
                        break
                    i, m = near[m], m + 1
                    if i == lo[j] or i == hi[j]:
                        continue
                    bound = min(margin, values[j, 2] + _SLACK_MM)
                if (again and i == seed) or _segments_apart(
                        segments, balls, i, vessel_segments, vessel_balls, j, bound):
                    continue
                s, t, gap = _pair_gap(segments, i, vessel_segments, j, margin)
                if gap > margin:
                    continue
                found[j] = True
                if gap < values[j, 2] or (gap == values[j, 2] and i < nearest[j]):
                    nearest[j] = i
                    values[j, 0], values[j, 1], values[j, 2] = s, t, gap
                if gap <= contact_mm:
                    lo[j], hi[j] = min(lo[j], i), max(hi[j], i)
    return found, nearest, values, lo, hi


@compiled(_P, _P, _P, _IDX, _V, _V, _P, _P, _P, _IDX, _IDX, _IDX, _V, _V, _P, _P, _V, _IDX,
          FLOAT, FLOAT)
def nerve_regions(segments, balls, runs, run_start, arc0, half,
                  vessel_segments, vessel_balls, vessel_runs, vessel_run_start, owner, local,
                  vessel_arc0, vessel_half, vessel_points, vessel_tangents, vessel_s,
                  point_start, margin, contact_mm):
    """Every region where a vessel comes within ``margin`` of the nerve.

    Parameters
    ----------
    segments, balls, runs, run_start, arc0, half : arrays
        The nerve's packed segments (:class:`mvd_sim.core.geometry.closest.SegmentSet`).
    vessel_segments, ..., vessel_half : arrays
        The vessels' stacked segments, with each one's vessel (``owner``) and index within
        it (``local``).
    vessel_points, vessel_tangents, vessel_s : arrays
        The vessels' centerlines, vertex tangents and arc lengths, stacked: vessel ``v``'s
        are rows ``point_start[v]:point_start[v + 1]``.
    margin, contact_mm : float, mm
        The near-miss margin and the contact threshold.

    Returns
    -------
    vessel : (k,) int
        Each region's vessel; the regions by vessel, then along it (runs of vessel segments
        within the margin at most 2 apart: a vessel passing the nerve twice gives two).
    numbers : (k, 13) float
        ``placed_s`` (the deepest point's arc length on the nerve as placed; the deepest
        pair the first of least gap along the vessel), ``gap``, the nerve's and the
        vessel's centerline points there (3 each), the vessel's unit direction there
        (``smooth_tangent_at``) and the nerve's span that can hold the patch (the nerve
        segments of the pairs within ``contact_mm``; where none is, the deepest pair's
        nerve segment).
    keep : (k, 2) int
        The vessel's points (start, stop) that can touch the patch: the vessel segments of
        those pairs (the deepest pair's where none is within ``contact_mm``) and one either
        side.
    """
    found, nearest, values, lo_of, hi_of = _nearest_by_vessel_segment(
        segments, balls, runs, run_start, vessel_segments, vessel_balls, vessel_runs,
        vessel_run_start, margin, contact_mm)
    rows = np.flatnonzero(found)
    group = np.empty(len(rows), np.intp)
    along = np.empty(len(rows), np.intp)
    for n in range(len(rows)):
        group[n], along[n] = owner[rows[n]], local[rows[n]]
    order, bounds = runs_of(group, along)
    vessel = np.empty(len(bounds) - 1, np.intp)
    numbers, keep = np.empty((len(vessel), 13)), np.empty((len(vessel), 2), np.intp)
    for regions in range(len(vessel)):
        first, last = bounds[regions], bounds[regions + 1]
        b = rows[order[first]]
        for m in range(first, last):
            if values[rows[order[m]], 2] < values[b, 2]:
                b = rows[order[m]]
        lo, hi, row_lo, row_hi = len(arc0), -1, len(owner), -1
        for m in range(first, last):
            j = rows[order[m]]
            if lo_of[j] <= hi_of[j]:
                lo, hi = min(lo, lo_of[j]), max(hi, hi_of[j])
                row_lo, row_hi = min(row_lo, local[j]), max(row_hi, local[j])
        a = nearest[b]
        if hi < 0:      # no pair within contact_mm: the deepest pair's segments
            lo, hi, row_lo, row_hi = a, a, local[b], local[b]
        s, t = values[b, 0], values[b, 1]
        v = owner[b]
        p0, p1 = point_start[v], point_start[v + 1]
        out = numbers[regions]
        out[0] = arc0[a] + 2 * s * half[a]
        out[1] = values[b, 2]
        for c in range(3):
            out[2 + c] = segments[a, c] + s * (segments[a, 3 + c] - segments[a, c])
            out[5 + c] = vessel_segments[b, c] + t * (vessel_segments[b, 3 + c]
                                                      - vessel_segments[b, c])
        arc = vessel_arc0[b] + 2 * t * vessel_half[b]
        axis = smooth_tangent(vessel_points[p0:p1], vessel_tangents[p0:p1], vessel_s[p0:p1],
                              arc)
        for c in range(3):
            out[8 + c] = axis[c]
        out[11] = arc0[lo]
        out[12] = arc0[hi] + 2 * half[hi]
        vessel[regions] = v
        keep[regions, 0] = max(row_lo - 1, 0)
        keep[regions, 1] = min(row_hi + 3, p1 - p0)
    return vessel, numbers, keep


@compiled(_P, _P, _P, _IDX, _IDX, array(2, "boolean", contiguous=True), _IDX, _IDX, FLOAT)
def vessel_contact_rows(segments, balls, runs, run_start, tube_runs, asked, pair_of, local,
                        contact_mm):
    """The vessel-vessel contacts of a stack of segment sets in one call: each asked pair of
    sets' nearest pairs within ``contact_mm``
    (:func:`mvd_sim.core.geometry.closest_kernels.nearest_near_pairs_by_tube`), grouped by
    their vessel pair (``pair_of[first * sets + second]``) into runs along the first set
    (``local``: each row's index within its set), each run's pair of least gap
    (:func:`deepest_of_runs`).

    Returns
    -------
    key : (k,) int
        Each contact's vessel pair, from ``pair_of``.
    gap : (k,) float, mm
    points : (k, 6) float, mm
        The centerline points of the pair on the first set and on the second
        (:meth:`mvd_sim.core.geometry.closest.SegmentSet.point`'s arithmetic).
    """
    pair, a, b, s, t, gaps = nearest_near_pairs_by_tube(segments, balls, runs, run_start,
                                                        tube_runs, asked, contact_mm)
    count = len(pair)
    keys, along = np.empty(count, np.intp), np.empty(count, np.intp)
    for n in range(count):
        keys[n], along[n] = pair_of[pair[n]], local[a[n]]
    deepest = deepest_of_runs(keys, along, gaps)
    key, gap = np.empty(len(deepest), np.intp), np.empty(len(deepest))
    points = np.empty((len(deepest), 6))
    for m in range(len(deepest)):
        n = deepest[m]
        key[m], gap[m] = keys[n], gaps[n]
        i, j, u, v = a[n], b[n], s[n], t[n]
        for c in range(3):
            points[m, c] = segments[i, c] + u * (segments[i, 3 + c] - segments[i, c])
            points[m, 3 + c] = segments[j, c] + v * (segments[j, 3 + c] - segments[j, c])
    return key, gap, points
