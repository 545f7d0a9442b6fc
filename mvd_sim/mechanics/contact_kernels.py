"""Compiled kernels of the rod-on-rod contact law (:class:`mvd_sim.mechanics.contacts.RodOnRod`).

The solver detects contacts at every iteration and at every trial of its line search. A
detection is two steps here:

- :func:`near_segments`, the search: for every node of a rod, the segments of every other
  rod whose midpoints lie within its reach (below) plus a slack, found by skipping rod
  pairs, nodes and runs of 8 segments whose bounding boxes or balls lie beyond it;
- :func:`node_segment_contacts`, the contacts on that list: each node's candidates (the
  listed segments within its reach now), their closest points and soft-min weights, and
  :func:`rod_rows`, the law's rows of those contacts (slots, weights, stiffnesses, the
  sliding curvature); :func:`rod_contacts` calls both, in one call from Python.

A list found at positions ``x0`` still holds every candidate of a node of rod a on rod b
at positions ``x`` while the largest node displacements of both rods since ``x0`` and the
growth of b's longest half-segment add up to less than its slack: a node and a segment's
midpoint each move at most their rod's displacement. The caller keeps the list across
detections (a solve's iterations move the nodes by less than the slack once it nears its
end); where the bound fails (:func:`rods_to_search`), only the pairs of the rods that moved
most are searched again, at their new positions, the others' groups kept from the old list
(:func:`near_segments`'s ``fresh``), so each rod keeps its own reference positions. The
contacts are the same, to the bit, as those of a fresh search.

Everything is in mm, in whatever frame the points are given.
"""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import FLOAT, INT, VEC3, array, compiled
from mvd_sim.core.geometry.closest_kernels import (_axpy, _cross, _norm, _point_segment, _row,
                                                   _sub)

__all__ = ["near_segments", "rods_to_search", "node_segment_contacts", "rod_rows",
           "rod_contacts", "planes_to_query", "brainstem_rows", "pad_face_rows"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)
_SKIP = array(3, "boolean", contiguous=True)
_ROD = array(1, "boolean", contiguous=True)
#: Segments per bounding ball of the search: a node skips a run whose ball lies beyond reach.
_RUN = 8


@compiled(_P, _V, _IDX, _IDX)
def _extents(x, r, first, count):
    """Per rod: its nodes' bounding box ``low, high`` (rods, 3), its longest half-segment
    ``half`` (rods,) and its largest radius ``widest`` (rods,), mm."""
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
    return low, high, half, widest


@compiled(_P, _P, _ROD, _V, _IDX, _IDX, _SKIP, FLOAT, FLOAT, FLOAT, _IDX, _IDX, _IDX, _IDX,
          _IDX)
def near_segments(x, x0, fresh, r, first, count, skip, margin, width, slack, old_a, old_b,
                  old_node, old_start, old_segment):
    """For every node of every rod, the segments of every other rod that may be its
    candidates (:func:`node_segment_contacts`) and matter to its contacts, with ``slack``
    (mm) to spare, at the reference positions: ``x`` for the rods flagged ``fresh``,
    ``x0`` for the others. A pair of rods of which neither is fresh keeps its groups of
    the old list (found at those same positions of both rods); the other pairs are
    searched: a segment is listed when its midpoint lies within ``reach + slack`` of the
    node, ``reach = margin + max ra + max rb + (b's longest half-segment)``, and its
    distance less the node's radius and the larger of the segment's end radii is under
    ``margin + 8 width + slack`` (a segment farther off has a gap ``8 width`` beyond the
    margin: no share of a contact). The node is not flagged in ``skip[a, b]``, neither
    end of the segment in ``skip[b, a]`` (a branch near its junction with its trunk).

    Parameters
    ----------
    x, x0 : (n, 3) float, mm
        Every rod's nodes, rod after rod: now, and where the old list found them.
    fresh : (rods,) bool
        The rods taken at ``x`` (all of them, with an empty old list, for a first search).
    r : (n,) float, mm
        Their radii.
    first, count : (rods,) int
        Each rod's first row in ``x`` and its node count.
    skip : (rods, rods, n) bool
        ``skip[a, b, k]``: node ``k`` (of rod a) never touches rod b.
    margin, width, slack : float, mm
        The contacts' margin and soft-min width, and the slack.
    old_a, old_b, old_node, old_start, old_segment : int arrays
        The old list (as returned), with the same radii, margin, width and slack.

    Returns
    -------
    a, b, node : (g,) int
        Each group's rods and node (row of ``x``, of rod a), in the order rod a, rod b,
        node; only groups with a segment.
    start : (g + 1,) int
        Group ``q``'s segments are ``segment[start[q]:start[q + 1]]``.
    segment : (s,) int
        Each listed segment's first node (row of ``x``, of rod b), ascending in a group.
    half : (rods,) float, mm
        Each rod's longest half-segment at the reference positions (for
        :func:`rods_to_search`).
    reference : (n, 3) float, mm
        The reference positions.
    """
    rods = len(first)
    reference = x0.copy()
    for k in range(rods):
        if fresh[k]:
            reference[first[k]:first[k] + count[k]] = x[first[k]:first[k] + count[k]]
    x = reference
    low, high, half, widest = _extents(x, r, first, count)
    # the run of _RUN segments starting at each row j with (j - first) % _RUN == 0: a ball
    # holding their midpoints (centre ball[j], radius spread[j]); the run of _RUN nodes
    # starting there: a ball holding them (node_ball[j], node_spread[j])
    ball, spread = np.zeros((len(x), 3)), np.zeros(len(x))
    node_ball, node_spread = np.zeros((len(x), 3)), np.zeros(len(x))
    for k in range(rods):
        end = first[k] + count[k] - 1
        for j in range(first[k], end, _RUN):
            centre, spread[j] = _run_ball(x, j, min(j + _RUN, end))
            for c in range(3):
                ball[j, c] = centre[c]
        for j in range(first[k], end + 1, _RUN):
            centre, node_spread[j] = _node_ball(x, j, min(j + _RUN, end + 1))
            for c in range(3):
                node_ball[j, c] = centre[c]
    near_run = np.zeros(max(np.max(count) // _RUN + 1, 1), np.bool_)
    near = margin + 8.0 * width + slack
    cap, groups, g = max(256, len(old_segment)), max(64, len(old_a)), 0
    segment = np.empty(cap, np.intp)
    out_a, out_b, out_node = (np.empty(groups, np.intp), np.empty(groups, np.intp),
                              np.empty(groups, np.intp))
    start = np.zeros(groups + 1, np.intp)
    s, q = 0, 0   # segments listed; the old list's next group
    for a in range(rods):
        for b in range(rods):
            if a == b:
                continue
            while q < len(old_a) and (old_a[q] < a or (old_a[q] == a and old_b[q] < b)):
                q += 1
            if not (fresh[a] or fresh[b]):   # the old list's groups of the pair
                while q < len(old_a) and old_a[q] == a and old_b[q] == b:
                    length = old_start[q + 1] - old_start[q]
                    if s + length > cap:
                        cap = 2 * (s + length)
                        segment = _grow_int(segment, cap)
                    segment[s:s + length] = old_segment[old_start[q]:old_start[q + 1]]
                    if g == groups:
                        groups *= 2
                        out_a, out_b = _grow_int(out_a, groups), _grow_int(out_b, groups)
                        out_node = _grow_int(out_node, groups)
                        start = _grow_int(start, groups + 1)
                    out_a[g], out_b[g], out_node[g] = a, b, old_node[q]
                    start[g] = s
                    s += length
                    start[g + 1] = s
                    g += 1
                    q += 1
                continue
            reach = margin + widest[a] + widest[b] + half[b] + slack
            reach2 = reach * reach
            grown = widest[a] + widest[b] + near  # no listed segment farther than this
            apart = False
            for c in range(3):
                if low[a, c] - grown > high[b, c] or low[b, c] - grown > high[a, c]:
                    apart = True
            if apart:
                continue
            end = first[b] + count[b] - 1  # b's segments are first[b] .. end - 1
            for i in range(first[a], first[a] + count[a]):
                if (i - first[a]) % _RUN == 0:  # a run of nodes starts: which runs of b?
                    for j in range(first[b], end, _RUN):
                        near_run[(j - first[b]) // _RUN] = (
                            _norm(_sub(_row(node_ball, i), _row(ball, j)))
                            - node_spread[i] - spread[j] <= reach)
                if skip[a, b, i]:
                    continue
                p = _row(x, i)
                outside = False
                for c in range(3):
                    if p[c] < low[b, c] - grown or p[c] > high[b, c] + grown:
                        outside = True
                if outside:
                    continue
                opened = s
                for run in range(first[b], end, _RUN):
                    if not near_run[(run - first[b]) // _RUN] or \
                            _norm(_sub(p, _row(ball, run))) - spread[run] > reach:
                        continue
                    for j in range(run, min(run + _RUN, end)):
                        if skip[b, a, j] or skip[b, a, j + 1]:
                            continue
                        s0 = _row(x, j)
                        d = _sub(_row(x, j + 1), s0)
                        rel = _sub(p, _axpy(0.5, d, s0))
                        mid2 = rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2]
                        if mid2 > reach2:
                            continue
                        # lower bounds of the gap, whatever the closest point's radius: from
                        # the midpoint's distance, then from the exact one
                        thick = r[i] + max(r[j], r[j + 1])
                        if math.sqrt(mid2) - 0.5 * _norm(d) - thick >= near:
                            continue
                        dist = _norm(_sub(p, _axpy(_point_segment(p, s0, d), d, s0)))
                        if dist - thick >= near:
                            continue
                        if s == cap:
                            cap *= 2
                            segment = _grow_int(segment, cap)
                        segment[s] = j
                        s += 1
                if s == opened:
                    continue
                if g == groups:
                    groups *= 2
                    out_a, out_b = _grow_int(out_a, groups), _grow_int(out_b, groups)
                    out_node, start = _grow_int(out_node, groups), _grow_int(start, groups + 1)
                out_a[g], out_b[g], out_node[g] = a, b, i
                start[g] = opened
                start[g + 1] = s
                g += 1
    return out_a[:g], out_b[:g], out_node[:g], start[:g + 1], segment[:s], half, reference


@compiled(_P, _P, _IDX, _IDX, _V, FLOAT)
def rods_to_search(x, x0, first, count, half0, slack):
    """The rods whose pairs a list found at reference positions ``x0`` (both (n, 3), mm),
    whose rods' longest half-segments were ``half0`` (rods,), must be searched again for
    positions ``x`` (:func:`near_segments`, its ``fresh``), and how many nodes they have:
    none while every pair of rods a, b holds ``D_a + D_b + g_b < slack``, ``D`` a rod's
    largest node displacement since ``x0`` and ``g`` the growth of its longest
    half-segment (at least 0): a node within ``reach`` of a segment's midpoint in ``x``
    was within ``reach + slack`` of it in ``x0``. Else every rod with ``D + g`` of half
    the slack or more, so that every pair holds again once those rods are searched at
    ``x`` (each of the others under half the slack)."""
    rods = len(first)
    used = np.zeros(rods)   # D + g of each rod
    moved = np.zeros(rods)  # D
    for k in range(rods):
        longest = 0.0
        for q in range(first[k], first[k] + count[k]):
            moved[k] = max(moved[k], _norm(_sub(_row(x, q), _row(x0, q))))
            if q + 1 < first[k] + count[k]:
                longest = max(longest, 0.5 * _norm(_sub(_row(x, q + 1), _row(x, q))))
        used[k] = moved[k] + max(longest - half0[k], 0.0)
    fresh = np.zeros(rods, np.bool_)
    holds = True
    for a in range(rods):
        for b in range(rods):
            if a != b and moved[a] + used[b] >= slack:
                holds = False
    nodes = 0
    if not holds:
        for k in range(rods):
            if 2.0 * used[k] >= slack:
                fresh[k] = True
                nodes += count[k]
    return fresh, nodes


@compiled(_P, _V, _IDX, _IDX, _IDX, _IDX, _IDX, _IDX, _IDX, FLOAT, FLOAT)
def node_segment_contacts(x, r, first, count, group_a, group_b, group_node, start, segment,
                          margin, width):
    """Every listed node against its listed segments within ``margin`` (mm) of a surface
    gap (the list of :func:`near_segments`, holding every segment within reach).

    A node of rod a takes as candidates the listed segments of rod b whose midpoint lies
    within ``reach = margin + max ra + max rb + (b's longest half-segment)`` of it; each
    candidate's gap is ``|x - closest| - ra - r(u)``, the segment's radius interpolated at
    the closest point. The node shares its contact among its candidates by soft-min
    weights ``exp(-(gap - min gap) / width)`` (zero beyond ``8 width`` above its minimum,
    normalised over its candidates); a candidate is returned when its weight is positive
    and its gap under ``margin``.

    Parameters
    ----------
    x, r, first, count : as for :func:`near_segments`
    group_a, group_b, group_node, start, segment : int arrays
        A list of :func:`near_segments`.
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
    _, _, half, widest = _extents(x, r, first, count)
    cap = 256
    out_a, out_b = np.empty(cap, np.intp), np.empty(cap, np.intp)
    out_i, out_j = np.empty(cap, np.intp), np.empty(cap, np.intp)
    out_u, out_gap, out_share = np.empty(cap), np.empty(cap), np.empty(cap)
    out_n = np.empty((cap, 3))
    most = max(np.max(count) - 1, 1)
    cand_j, cand_u, cand_gap = np.empty(most, np.intp), np.empty(most), np.empty(most)
    cand_n = np.empty((most, 3))
    k = 0
    for g in range(len(group_a)):
        a, b, i = group_a[g], group_b[g], group_node[g]
        reach = margin + widest[a] + widest[b] + half[b]
        reach2 = reach * reach
        p = _row(x, i)
        m = 0
        lowest = np.inf
        for q in range(start[g], start[g + 1]):
            j = segment[q]
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


@compiled(_P, INT, INT, INT)
def _unit_tangent(x, vertex, first, last):
    """Unit tangent of the polyline ``x[first:last + 1]`` at row ``vertex``: the central
    difference, one-sided at the ends, as ``np.gradient(points, axis=0)`` gives it (the
    same numbers), divided by its length."""
    after, before = min(vertex + 1, last), max(vertex - 1, first)
    step = 2.0 if after - before == 2 else 1.0
    t = ((x[after, 0] - x[before, 0]) / step, (x[after, 1] - x[before, 1]) / step,
         (x[after, 2] - x[before, 2]) / step)
    length = _norm(t)
    return (t[0] / length, t[1] / length, t[2] / length)


@compiled(_P, _V, _IDX, _IDX, _IDX, _IDX, _IDX, _IDX, _V, _V, _P, _V, _V, _V, _V, FLOAT)
def rod_rows(x, r, first, count, a, b, node, segment, u, gap, normal, share, dent,
             capacity, tributary, hard):
    """The rows of :func:`node_segment_contacts`'s contacts (node of rod a, point b on
    rod b's segment): point a minus point b as slots ``(segment, segment + 1, node)``
    weighted ``(-(1 - u), -u, 1)``, the stiffnesses of half the node's tributary length
    times its share, the layers (dent, MPa, and capacity, mm) of the node and of the
    segment interpolated at ``u``, in series and summed, and the sliding direction and
    curvature about the segment.

    Parameters
    ----------
    x, r, first, count : as for :func:`near_segments`
    a, b, node, segment, u, gap, normal, share : as :func:`node_segment_contacts` returns
    dent, capacity, tributary : (n,) float
        Each node's dent stiffness (MPa), layer capacity (mm) and tributary length (mm).
    hard : float, MPa
        The rigid stiffness beyond the layers' capacity.

    Returns
    -------
    slots : (k, 3) int
    weights : (k, 3) float
    k_soft, k_hard : (k,) float, N/mm
    pair_capacity : (k,) float, mm
    binormal : (k, 3) float
        The unit direction square to the segment's axis (interpolated between its vertex
        tangents, so it is continuous from one segment to the next) and the normal.
    curvature : (k,) float, 1/mm
        ``1 / centerline distance``.
    """
    n = len(node)
    slots, weights = np.empty((n, 3), np.intp), np.empty((n, 3))
    k_soft, k_hard, pair_capacity = np.empty(n), np.empty(n), np.empty(n)
    binormal, curvature = np.empty((n, 3)), np.empty(n)
    for k in range(n):
        i, j, w = node[k], segment[k], u[k]
        last = first[b[k]] + count[b[k]] - 1
        t0 = _unit_tangent(x, j, first[b[k]], last)
        t1 = _unit_tangent(x, j + 1, first[b[k]], last)
        axis = ((1 - w) * t0[0] + w * t1[0], (1 - w) * t0[1] + w * t1[1],
                (1 - w) * t0[2] + w * t1[2])
        side = _cross(axis, _row(normal, k))
        length = max(_norm(side), 1e-12)
        for c in range(3):
            binormal[k, c] = side[c] / length
        curvature[k] = 1.0 / max(gap[k] + r[i] + (1 - w) * r[j] + w * r[j + 1], 1e-6)
        dent_b = (1 - w) * dent[j] + w * dent[j + 1]
        tributary_half = 0.5 * tributary[i] * share[k]
        k_soft[k] = tributary_half * (dent[i] * dent_b / (dent[i] + dent_b))
        k_hard[k] = tributary_half * hard
        pair_capacity[k] = capacity[i] + ((1 - w) * capacity[j] + w * capacity[j + 1])
        slots[k, 0], slots[k, 1], slots[k, 2] = j, j + 1, i
        weights[k, 0], weights[k, 1], weights[k, 2] = -(1 - w), -w, 1.0
    return slots, weights, k_soft, k_hard, pair_capacity, binormal, curvature


@compiled(_P, _V, _IDX, _IDX, _IDX, _IDX, _IDX, _IDX, _IDX, FLOAT, FLOAT, _V, _V, _V, FLOAT)
def rod_contacts(x, r, first, count, group_a, group_b, group_node, start, segment, margin,
                 width, dent, capacity, tributary, hard):
    """The rod-on-rod contacts on a list of :func:`near_segments` in one call:
    :func:`node_segment_contacts`, then their :func:`rod_rows`, returned as the fields of
    their ``ContactSet``, in its order (``slots, weights, normal, gap, k_soft, k_hard,
    pair_capacity``, then the segment's rod ``b``, the node's rod ``a``, the node on rod
    ``a``, ``binormal, curvature``; arguments as those two take them)."""
    a, b, node, seg, u, gap, normal, share = node_segment_contacts(
        x, r, first, count, group_a, group_b, group_node, start, segment, margin, width)
    slots, weights, k_soft, k_hard, pair_capacity, binormal, curvature = rod_rows(
        x, r, first, count, a, b, node, seg, u, gap, normal, share, dent, capacity, tributary,
        hard)
    on_rod = np.empty(len(node), np.intp)
    for k in range(len(node)):
        on_rod[k] = node[k] - first[a[k]]
    return (slots, weights, normal, gap, k_soft, k_hard, pair_capacity, b, a, on_rod,
            binormal, curvature)


@compiled(_P, INT, INT)
def _run_ball(x, j0, j1):
    """A ball (centre, radius, mm) holding the midpoints of segments ``j0 .. j1 - 1`` of
    ``x`` (segment ``j`` joins rows ``j`` and ``j + 1``): the centre of their bounding box."""
    lo0 = lo1 = lo2 = np.inf
    hi0 = hi1 = hi2 = -np.inf
    for j in range(j0, j1):
        mid0, mid1, mid2 = (0.5 * (x[j, 0] + x[j + 1, 0]), 0.5 * (x[j, 1] + x[j + 1, 1]),
                            0.5 * (x[j, 2] + x[j + 1, 2]))
        lo0, lo1, lo2 = min(lo0, mid0), min(lo1, mid1), min(lo2, mid2)
        hi0, hi1, hi2 = max(hi0, mid0), max(hi1, mid1), max(hi2, mid2)
    centre = (0.5 * (lo0 + hi0), 0.5 * (lo1 + hi1), 0.5 * (lo2 + hi2))
    spread = 0.0
    for j in range(j0, j1):
        mid = _axpy(0.5, _sub(_row(x, j + 1), _row(x, j)), _row(x, j))
        spread = max(spread, _norm(_sub(mid, centre)))
    return centre, spread


@compiled(_P, INT, INT)
def _node_ball(x, i0, i1):
    """A ball (centre, radius, mm) holding rows ``i0 .. i1 - 1`` of ``x``: the centre of
    their bounding box."""
    lo0 = lo1 = lo2 = np.inf
    hi0 = hi1 = hi2 = -np.inf
    for i in range(i0, i1):
        lo0, lo1, lo2 = min(lo0, x[i, 0]), min(lo1, x[i, 1]), min(lo2, x[i, 2])
        hi0, hi1, hi2 = max(hi0, x[i, 0]), max(hi1, x[i, 1]), max(hi2, x[i, 2])
    centre = (0.5 * (lo0 + hi0), 0.5 * (lo1 + hi1), 0.5 * (lo2 + hi2))
    spread = 0.0
    for i in range(i0, i1):
        spread = max(spread, _norm(_sub(_row(x, i), centre)))
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


@compiled(_IDX, _P, _V, _P, _V)
def planes_to_query(slots, x, reach, point, far):
    """The slots of ``slots`` (k,) whose brainstem planes must be queried before their
    contacts are read (:meth:`mvd_sim.mechanics.surface.BrainstemSurface.ensure`): never
    queried (``point`` not finite), or a placeholder (``far`` finite: a lower bound of the
    distance at ``point``) the slot, at ``x``, has moved ``far - reach`` toward or more.

    Parameters
    ----------
    slots : (k,) int
    x : (slots, 3) float, mm
        Every slot's position.
    reach : (slots,) float, mm
        How near each slot's plane must be to matter (its radius plus the margin).
    point, far : (slots, 3), (slots,) float, mm
        Where each slot was last queried, and the placeholder's bound (``-inf`` for a
        tangent plane).

    Returns
    -------
    (q,) int, in the order of ``slots``.
    """
    out = np.empty(len(slots), np.intp)
    m = 0
    for q in range(len(slots)):
        s = slots[q]
        if not math.isfinite(point[s, 0]):
            out[m] = s
            m += 1
        elif math.isfinite(far[s]):
            moved = math.sqrt((x[s, 0] - point[s, 0]) ** 2 + (x[s, 1] - point[s, 1]) ** 2
                              + (x[s, 2] - point[s, 2]) ** 2)
            if moved >= far[s] - reach[s]:
                out[m] = s
                m += 1
    return out[:m]


@compiled(_P, _V, _IDX, _P, _P, _V, _IDX, _IDX, FLOAT, FLOAT, INT)
def brainstem_rows(x, r, slots, closest, normal, tributary, node_rod, first, hard, margin,
                   brainstem):
    """The contacts of rod nodes ``slots`` (k,) with the brainstem's tangent planes
    (:class:`mvd_sim.mechanics.contacts.RodOnBrainstem`): a node whose signed distance to
    its slot's plane (through ``closest[slot]``, outward ``normal[slot]``) less its radius
    is under ``margin`` (mm), rigid over its tributary length.

    Parameters
    ----------
    x : (slots, 3) float, mm
        Every slot's position.
    r, tributary, node_rod : (rod slots,)
        Each rod node's radius (mm), tributary length (mm) and rod.
    slots : (k,) int
    closest, normal : (slots, 3) float
        Each slot's tangent plane (every one of ``slots`` queried).
    first : (rods,) int
        Each rod's first slot.
    hard, margin : float
        The rigid stiffness (MPa) and the margin (mm).
    brainstem : int
        The brainstem's body index.

    Returns
    -------
    The fields of the contacts' ``ContactSet``, in its order:

    rows : (c, 3) int
        ``(-1, -1, slot)``: each contact's node slot (the brainstem fixed).
    weights : (c, 3) float
        ``(0, 0, 1)``.
    out_normal : (c, 3) float
    gap : (c,) float, mm
    k, k_hard : (c,) float, N/mm
        The rigid stiffness, twice (the law's soft and hard stiffnesses are one).
    capacity : (c,) float
        ``inf``: no compliant layer.
    body : (c,) int
        ``brainstem``, the brainstem's body index.
    rod, node : (c,) int
        Each contact's rod and its node on the rod.
    binormal, curvature : (c, 3), (c,) float
        Zero: a flat contact.
    """
    n = len(slots)
    rows, weights = np.full((n, 3), -1, np.intp), np.zeros((n, 3))
    rod, node = np.empty(n, np.intp), np.empty(n, np.intp)
    out_normal, gap, k = np.empty((n, 3)), np.empty(n), np.empty(n)
    m = 0
    for q in range(n):
        s = slots[q]
        # summed as numpy's einsum sums three products (0 + 2, then 1): the numbers of
        # BrainstemSurface.query, to the bit
        distance = (((x[s, 0] - closest[s, 0]) * normal[s, 0]
                     + (x[s, 2] - closest[s, 2]) * normal[s, 2])
                    + (x[s, 1] - closest[s, 1]) * normal[s, 1])
        g = distance - r[s]
        if not g < margin:
            continue
        rows[m, 2], weights[m, 2], rod[m] = s, 1.0, node_rod[s]
        node[m] = s - first[node_rod[s]]
        for c in range(3):
            out_normal[m, c] = normal[s, c]
        gap[m], k[m] = g, tributary[s] * hard
        m += 1
    return (rows[:m], weights[:m], out_normal[:m], gap[:m], k[:m], k[:m].copy(),
            np.full(m, np.inf), np.full(m, brainstem, np.intp), rod[:m], node[:m],
            np.zeros((m, 3)), np.zeros(m))


@compiled(_P, _V, _V, VEC3, VEC3, VEC3, FLOAT, INT, INT, _IDX, _IDX, _V, _V, _V, FLOAT, FLOAT,
          FLOAT, INT, INT, FLOAT)
def pad_face_rows(x, r, height, facing, p0, p1, pad_radius, holds_off, against, node_rod,
                  first, dent, capacity, tributary, felt, hard, felt_capacity, pad_slot,
                  pad_body, margin):
    """Rod nodes against a pad's flat faces (:class:`mvd_sim.mechanics.contacts.SpongeOnRod`),
    within its footprint: felt and the node's layer in series over its tributary length
    times the share of its section over the pad.

    Parameters
    ----------
    x : (n, 3) float, mm
        The rod nodes.
    r : (n,) float, mm
        Their radii.
    height : (n,) float, mm
        Each node's height above the pad's mid-plane along ``facing``
        (``Sponge.over_faces``).
    facing : 3-tuple
        The pad's unit facing.
    p0, p1 : 3-tuples, mm
        The ends of its axis.
    pad_radius : float, mm
    holds_off, against : int
        The rods pressing its ``+facing`` and ``-facing`` faces always (-1: none); any other
        rod presses the face it is nearer to.
    node_rod : (n,) int
    first : (rods,) int
        Each rod's first node (row of ``x``).
    dent, capacity, tributary : (n,) float
        Each node's dent stiffness (MPa), layer capacity (mm) and tributary length (mm).
    felt, hard : float, MPa
        The felt's stiffness and the rigid stiffness beyond the layers' capacity.
    felt_capacity : float, mm
        The overlap the felt takes.
    pad_slot, pad_body : int
        The pad centre's slot, and the pad's body index.
    margin : float, mm

    Returns
    -------
    The fields of the contacts' ``ContactSet``, in its order:

    slots : (c, 3) int
        ``(pad_slot, -1, node)``: the node minus the pad's centre.
    weights : (c, 3) float
        ``(-1, 0, 1)``.
    normal : (c, 3) float
        ``+-facing``: the face the node is on.
    gap : (c,) float, mm
    k_soft, k_hard : (c,) float, N/mm
    pair_capacity : (c,) float, mm
    body : (c,) int
        ``pad_body``.
    rod, node : (c,) int
        The node's rod and its node on the rod.
    binormal, curvature : (c, 3), (c,) float
        Zero: a flat contact.
    """
    n = len(x)
    slots, weights, normal = np.empty((n, 3), np.intp), np.zeros((n, 3)), np.empty((n, 3))
    gap, k_soft, k_hard, pair_capacity = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    rod, node = np.empty(n, np.intp), np.empty(n, np.intp)
    d = _sub(p1, p0)
    m = 0
    for q in range(n):
        h = height[q]
        if node_rod[q] == holds_off:
            side = 1.0
        elif node_rod[q] == against:
            side = -1.0
        else:
            side = 1.0 if h >= 0 else -1.0
        g = side * h - pad_radius - r[q]
        if not g < margin or not side * h > -(pad_radius + r[q]):
            continue
        flat = (x[q, 0] - h * facing[0], x[q, 1] - h * facing[1], x[q, 2] - h * facing[2])
        across = _norm(_sub(flat, _axpy(_point_segment(flat, p0, d), d, p0)))
        # at the rim the share of the node's section still over the pad falls linearly
        share = min(max((pad_radius + r[q] - across) / r[q], 0.0), 1.0)
        if not share > 0:
            continue
        length = tributary[q] * share
        slots[m, 0], slots[m, 1], slots[m, 2] = pad_slot, -1, q
        weights[m, 0], weights[m, 2] = -1.0, 1.0
        for c in range(3):
            normal[m, c] = side * facing[c]
        gap[m] = g
        k_soft[m] = length * (felt * dent[q] / (felt + dent[q]))
        k_hard[m] = length * hard
        pair_capacity[m] = felt_capacity + capacity[q]
        rod[m], node[m] = node_rod[q], q - first[node_rod[q]]
        m += 1
    return (slots[:m], weights[:m], normal[:m], gap[:m], k_soft[:m], k_hard[:m],
            pair_capacity[:m], np.full(m, pad_body, np.intp), rod[:m], node[:m],
            np.zeros((m, 3)), np.zeros(m))
