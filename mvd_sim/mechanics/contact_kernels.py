"""Compiled kernel of the rod-on-rod contact search (:class:`mvd_sim.mechanics.contacts.RodOnRod`).

The solver detects contacts at every iteration; as numpy array calls (two k-d trees per rod,
a sparse distance matrix, the closest points and the soft-min per rod pair) one detection cost
about 4 ms for seven rods, most of it in call overhead. Here every rod pair is one loop over
its node-segment pairs, in a few hundred microseconds for all, with the same candidates, the same closest points
and the same soft-min weights.

Everything is in mm, in whatever frame the points are given.
"""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import FLOAT, INT, array, compiled
from mvd_sim.core.geometry.closest_kernels import _axpy, _norm, _point_segment, _row, _sub

__all__ = ["node_segment_contacts"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)
_SKIP = array(3, "boolean", contiguous=True)
#: Segments per bounding ball of the search: a node skips a run whose ball lies beyond reach.
_RUN = 8


@compiled(_P, _V, _IDX, _IDX, _SKIP, FLOAT, FLOAT)
def node_segment_contacts(x, r, first, count, skip, margin, width):
    """Every rod's nodes against every other rod's segments within ``margin`` (mm) of a
    surface gap.

    Rod pairs whose bounding boxes (grown by their largest radius) lie more than ``margin``
    apart are skipped. A node of rod a takes as candidates the segments of rod b whose
    midpoint lies within ``margin + max ra + max rb + (b's longest half-segment)`` of it (the
    node not flagged in ``skip[a, b]``, neither end of the segment in ``skip[b, a]``: a branch
    near its junction with its trunk); each candidate's gap is ``|x - closest| - ra - r(u)``,
    the segment's radius interpolated at the closest point. The node shares its contact among
    its candidates by soft-min weights ``exp(-(gap - min gap) / width)`` (zero beyond
    ``8 width`` above its minimum, normalised over its candidates); a candidate is returned
    when its weight is positive and its gap under ``margin``.

    Parameters
    ----------
    x : (n, 3) float, mm
        Every rod's nodes, rod after rod.
    r : (n,) float, mm
        Their radii.
    first, count : (rods,) int
        Each rod's first row in ``x`` and its node count.
    skip : (rods, rods, n) bool
        ``skip[a, b, k]``: node ``k`` (of rod a) never touches rod b.
    margin, width : float, mm

    Returns
    -------
    a, b : (k,) int
        The rods of each contact: a node of a against a segment of b.
    node, segment : (k,) int
        The node (row of ``x``) and the segment's first node (row of ``x``).
    u : (k,) float in [0, 1]
        Local parameter of the closest point on the segment.
    gap : (k,) float, mm
    normal : (k, 3) float
        Unit vector from the closest point to the node.
    share : (k,) float
        Soft-min weight.
    """
    rods = len(first)
    low, high = np.empty((rods, 3)), np.empty((rods, 3))
    half, widest = np.zeros(rods), np.zeros(rods)
    for k in range(rods):
        for c in range(3):
            low[k, c], high[k, c] = np.inf, -np.inf
        for q in range(first[k], first[k] + count[k]):
            widest[k] = max(widest[k], r[q])
            for c in range(3):
                low[k, c], high[k, c] = min(low[k, c], x[q, c]), max(high[k, c], x[q, c])
            if q + 1 < first[k] + count[k]:
                half[k] = max(half[k], 0.5 * _norm(_sub(_row(x, q + 1), _row(x, q))))
    # the run of _RUN segments starting at each row j with (j - first) % _RUN == 0: a ball
    # holding their midpoints (centre ball[j], radius spread[j])
    ball, spread = np.zeros((len(x), 3)), np.zeros(len(x))
    for k in range(rods):
        end = first[k] + count[k] - 1
        for j in range(first[k], end, _RUN):
            centre, spread[j] = _run_ball(x, j, min(j + _RUN, end))
            for c in range(3):
                ball[j, c] = centre[c]
    cap = 256
    out_a, out_b = np.empty(cap, np.intp), np.empty(cap, np.intp)
    out_i, out_j = np.empty(cap, np.intp), np.empty(cap, np.intp)
    out_u, out_gap, out_share = np.empty(cap), np.empty(cap), np.empty(cap)
    out_n = np.empty((cap, 3))
    most = max(np.max(count) - 1, 1)
    cand_j, cand_u, cand_gap = np.empty(most, np.intp), np.empty(most), np.empty(most)
    cand_n = np.empty((most, 3))
    k = 0
    for a in range(rods):
        for b in range(rods):
            if a == b:
                continue
            apart = False
            for c in range(3):
                grown = widest[a] + widest[b] + margin
                if low[a, c] - grown > high[b, c] or low[b, c] - grown > high[a, c]:
                    apart = True
            if apart:
                continue
            reach = margin + widest[a] + widest[b] + half[b]
            reach2 = reach * reach
            end = first[b] + count[b] - 1  # b's segments are first[b] .. end - 1
            for i in range(first[a], first[a] + count[a]):
                if skip[a, b, i]:
                    continue
                p = _row(x, i)
                outside = False
                for c in range(3):
                    if p[c] < low[b, c] - reach or p[c] > high[b, c] + reach:
                        outside = True
                if outside:
                    continue
                m = 0
                lowest = np.inf
                for j in range(first[b], end):
                    if (j - first[b]) % _RUN == 0:  # a run of segments starts: skip it whole?
                        skipping = _norm(_sub(p, _row(ball, j))) - spread[j] > reach
                    if skipping or skip[b, a, j] or skip[b, a, j + 1]:
                        continue
                    s0 = _row(x, j)
                    d = _sub(_row(x, j + 1), s0)
                    rel = _sub(p, _axpy(0.5, d, s0))
                    if rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2] > reach2:
                        continue
                    u = _point_segment(p, s0, d)
                    rel = _sub(p, _axpy(u, d, s0))
                    dist = _norm(rel)
                    gap = dist - r[i] - ((1.0 - u) * r[j] + u * r[j + 1])
                    scale = 1.0 / max(dist, 1e-12)
                    cand_j[m], cand_u[m], cand_gap[m] = j, u, gap
                    for c in range(3):
                        cand_n[m, c] = rel[c] * scale
                    lowest = min(lowest, gap)
                    m += 1
                if m == 0 or lowest >= margin:
                    continue
                total = 0.0
                for q in range(m):
                    excess = cand_gap[q] - lowest
                    total += math.exp(-excess / width) if excess < 8.0 * width else 0.0
                for q in range(m):
                    excess = cand_gap[q] - lowest
                    if excess >= 8.0 * width or cand_gap[q] >= margin:
                        continue
                    share = math.exp(-excess / width) / total
                    if share <= 0.0:
                        continue
                    if k == cap:
                        cap *= 2
                        out_a, out_b = _grow_int(out_a, cap), _grow_int(out_b, cap)
                        out_i, out_j = _grow_int(out_i, cap), _grow_int(out_j, cap)
                        out_u, out_gap = _grow(out_u, cap), _grow(out_gap, cap)
                        out_share = _grow(out_share, cap)
                        more = np.empty((cap, 3))
                        more[:k] = out_n[:k]
                        out_n = more
                    out_a[k], out_b[k], out_i[k], out_j[k] = a, b, i, cand_j[q]
                    out_u[k], out_gap[k], out_share[k] = cand_u[q], cand_gap[q], share
                    for c in range(3):
                        out_n[k, c] = cand_n[q, c]
                    k += 1
    return (out_a[:k], out_b[:k], out_i[:k], out_j[:k], out_u[:k], out_gap[:k], out_n[:k],
            out_share[:k])


@compiled(_P, INT, INT)
def _run_ball(x, j0, j1):
    """A ball (centre, radius, mm) holding the midpoints of segments ``j0 .. j1 - 1`` of
    ``x`` (segment ``j`` joins rows ``j`` and ``j + 1``): the centre of their bounding box."""
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for j in range(j0, j1):
        for c in range(3):
            mid = 0.5 * (x[j, c] + x[j + 1, c])
            lo[c], hi[c] = min(lo[c], mid), max(hi[c], mid)
    centre = (0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), 0.5 * (lo[2] + hi[2]))
    spread = 0.0
    for j in range(j0, j1):
        mid = _axpy(0.5, _sub(_row(x, j + 1), _row(x, j)), _row(x, j))
        spread = max(spread, _norm(_sub(mid, centre)))
    return centre, spread


@compiled(array(1, writable=True, contiguous=True), INT)
def _grow(values, size):
    """``values`` copied into a new array of ``size`` (>= its length)."""
    out = np.empty(size)
    out[:len(values)] = values
    return out


@compiled(array(1, "intp", writable=True, contiguous=True), INT)
def _grow_int(values, size):
    """``values`` (int) copied into a new array of ``size`` (>= its length)."""
    out = np.empty(size, np.intp)
    out[:len(values)] = values
    return out
