"""Compiled kernels of the brainstem surface: its profile table, its frame, the nearest sample
of its start grid, and the damped Newton solve for closest points
(:mod:`mvd_sim.anatomy.brainstem` wraps them).

Scene placement asks the brainstem for closest points some forty times a case, for a few to a
few hundred points at a time. One :func:`query` call answers such a question in one loop:
per point, an inside test, a depth-first branch and bound over bounding balls and slabs of
a tree of tiles of the start grid for the nearest sample (about a microsecond; a k-d tree call
cost some 45 microseconds however few the points, more for points a few mm off the surface),
and Newton's steps from it.

Frames and units are those of :mod:`mvd_sim.anatomy.brainstem`: the midline frame, mm, and the
surface parameters ``theta`` (around the axial section, rad) and ``t`` (polar, rad, 0 at the
caudal pole).

The profile table (``coefficients`` (pieces, 15, 3), ``knots`` (pieces + 1,)) holds, for each
piece, the local power-basis coefficients, highest power first, of the profiles ``A``, ``Y``,
``B`` (rows 0-5: quintic, :data:`TABLE_DEGREE`), of their first derivatives (rows 6-10) and of
their second (rows 11-14).
"""

from __future__ import annotations

import numpy as np
from numba import types

from mvd_sim.core.compiled import BOOL, FLOAT, INT, array, compiled

__all__ = ["TABLE_DEGREE", "FAN", "SURFACE", "SCRATCH", "frames", "nearest_sample", "query",
           "query_scratch", "query_point", "push_out"]

#: Degree of the profile table's pieces.
TABLE_DEGREE = 5
#: Children per side of a node of the start grid's tree of tiles (:func:`nearest_sample`).
FAN = 4
#: first coefficient row of the profiles' k-th derivative, and its polynomial degree
_ROW_START = (0, TABLE_DEGREE + 1, 2 * TABLE_DEGREE + 1)
_DEGREE = (TABLE_DEGREE, TABLE_DEGREE - 1, TABLE_DEGREE - 2)
#: how far from the poles ``t`` is kept (rad): the chart is singular at them
_POLE_MARGIN = 1e-7
# argument types, C-contiguous (indexed without strides in the hot loops): the profile table
# (pieces, 15, 3), rows (n, k) and values (n,) (read-only); scratch and outputs; the search's
# stack of nodes
_TABLE, _P = array(3, contiguous=True), array(2, contiguous=True)
_V = array(1, contiguous=True)
_OUT1 = array(1, writable=True, contiguous=True)
_OUT2 = array(2, writable=True, contiguous=True)
_STACK = array(1, "int64", writable=True, contiguous=True)
#: The type of :func:`query`'s ``surface`` (:func:`mvd_sim.anatomy.brainstem.kernel_surface`).
SURFACE = types.Tuple((_TABLE, _V, FLOAT, FLOAT, FLOAT, FLOAT, _TABLE, _V, _V, _P, _P, _P, _P,
                       INT, FLOAT, INT, FLOAT, FLOAT))
#: The type of :func:`query_scratch`'s work arrays.
SCRATCH = types.Tuple((_OUT2, _OUT2, _OUT2, _OUT1, _STACK, _STACK, _OUT1))


@compiled(_TABLE, _V, FLOAT, INT, _OUT2)
def _profile_rows(coefficients: np.ndarray, knots: np.ndarray, t: float, order: int,
                  out: np.ndarray) -> None:
    """``out[k, c]``: the k-th derivative (k <= order) of profile c (A, Y, B) at ``t``."""
    # the piece holding t (the first or last piece beyond the ends)
    piece = np.searchsorted(knots[1:-1], t, side="right")
    x = t - knots[piece]
    for k in range(order + 1):
        start = _ROW_START[k]
        for c in range(3):
            value = coefficients[piece, start, c]
            for j in range(1, _DEGREE[k] + 1):
                value = value * x + coefficients[piece, start + j, c]
            out[k, c] = value


@compiled(_TABLE, _V, FLOAT, FLOAT, FLOAT, FLOAT, INT, _OUT2, _OUT2)
def _frame(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
           theta: float, t: float, order: int, profile: np.ndarray, out: np.ndarray) -> None:
    """Rows of ``out``: ``S`` (order 0); and ``S_theta, S_t`` (1); and ``S_theta_theta,
    S_t_t, S_theta_t`` (2), with ``S = (A cos theta, Y + B sin theta, z_mid - half cos t)``."""
    _profile_rows(coefficients, knots, t, order, profile)
    c, s = np.cos(theta), np.sin(theta)
    a, y, b = profile[0, 0], profile[0, 1], profile[0, 2]
    out[0, 0], out[0, 1], out[0, 2] = a * c, y + b * s, z_mid - half * np.cos(t)
    if order == 0:
        return
    a1, y1, b1 = profile[1, 0], profile[1, 1], profile[1, 2]
    out[1, 0], out[1, 1], out[1, 2] = -a * s, b * c, 0.0
    out[2, 0], out[2, 1], out[2, 2] = a1 * c, y1 + b1 * s, half * np.sin(t)
    if order == 1:
        return
    a2, y2, b2 = profile[2, 0], profile[2, 1], profile[2, 2]
    out[3, 0], out[3, 1], out[3, 2] = -a * c, -b * s, 0.0
    out[4, 0], out[4, 1], out[4, 2] = a2 * c, y2 + b2 * s, half * np.cos(t)
    out[5, 0], out[5, 1], out[5, 2] = -a1 * s, b1 * c, 0.0


@compiled(_TABLE, _V, FLOAT, FLOAT, _V, _V, INT)
def frames(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
           theta: np.ndarray, t: np.ndarray, order: int) -> np.ndarray:
    """``S`` and its parameter derivatives at ``(theta, t)``: (n, (1, 3, 6)[order], 3), mm
    (rows as in :func:`_frame`)."""
    rows = (1, 3, 6)[order]
    out = np.empty((len(t), rows, 3))
    profile = np.empty((3, 3))
    for i in range(len(t)):
        _frame(coefficients, knots, z_mid, half, theta[i], t[i], order, profile, out[i])
    return out


@compiled(_V, _V)
def _dot(u: np.ndarray, v: np.ndarray) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


@compiled(_P, _OUT2, INT)
def _copy_rows(source: np.ndarray, target: np.ndarray, rows: int) -> None:
    """``target[:rows] = source[:rows]`` as a loop (numba compiles array assignment slowly)."""
    for r in range(rows):
        for c in range(3):
            target[r, c] = source[r, c]


@compiled(_P, _V)
def _squared_gap(frame: np.ndarray, p: np.ndarray) -> float:
    dx, dy, dz = frame[0, 0] - p[0], frame[0, 1] - p[1], frame[0, 2] - p[2]
    return dx * dx + dy * dy + dz * dz


@compiled(_TABLE, _V, FLOAT, FLOAT, _V, FLOAT, FLOAT, INT, FLOAT, FLOAT, _OUT2, _OUT2, _OUT2,
          _OUT1)
def _newton(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
            p: np.ndarray, th: float, tp: float, max_steps: int, converged: float,
            quadratic: float, profile: np.ndarray, frame: np.ndarray,
            trial: np.ndarray, f: np.ndarray) -> None:
    """Damped Newton minimising ``|S(theta, t) - p|^2`` from ``(th, tp)``; leaves ``S``,
    ``S_theta``, ``S_t`` (mm, mm/rad) at the solution in ``frame[:3]``.

    The point iterates until its step is below ``converged`` (rad, ``|d theta| + |d t|``), or
    until a full undamped Newton step shorter than ``quadratic`` has been taken
    (convergence is quadratic from there), at most ``max_steps`` steps. Levenberg damping
    keeps each step a descent direction where the Hessian is not positive definite (far
    points near concave regions); a full step is taken unless it goes uphill (beyond
    rounding), then a half, then a quarter, else the point stays. ``profile``, ``trial``
    and ``f`` are scratch space."""
    lo, hi = _POLE_MARGIN, np.pi - _POLE_MARGIN
    _frame(coefficients, knots, z_mid, half, th, tp, 2, profile, frame)
    for _ in range(max_steps):
        for c in range(3):
            f[c] = frame[0, c] - p[c]
        f2, g1, g2 = _dot(f, f), _dot(f, frame[1]), _dot(f, frame[2])
        h11 = _dot(frame[1], frame[1]) + _dot(f, frame[3])
        h22 = _dot(frame[2], frame[2]) + _dot(f, frame[4])
        h12 = _dot(frame[1], frame[2]) + _dot(f, frame[5])
        lam = max(0.0, -min(h11, h22))
        det = (h11 + lam) * (h22 + lam) - h12 * h12
        if det <= 0.0:
            lam += abs(h12) + 1.0
            det = (h11 + lam) * (h22 + lam) - h12 * h12
        step_theta = -((h22 + lam) * g1 - h12 * g2) / det
        step_t = -((h11 + lam) * g2 - h12 * g1) / det
        # near convergence the squared distance stalls at its last bits
        allowed = f2 * (1.0 + 1e-12) + 1e-24
        new_th, new_t = th + step_theta, min(max(tp + step_t, lo), hi)
        _frame(coefficients, knots, z_mid, half, new_th, new_t, 2, profile, trial)
        full = _squared_gap(trial, p) <= allowed
        if full:
            _copy_rows(trial, frame, 6)
        else:
            new_th, new_t = th, tp
            frac = 0.5
            while frac > 0.2:           # half, then quarter steps
                cand_th = th + frac * step_theta
                cand_t = min(max(tp + frac * step_t, lo), hi)
                _frame(coefficients, knots, z_mid, half, cand_th, cand_t, 0, profile, trial)
                if _squared_gap(trial, p) <= allowed:
                    new_th, new_t = cand_th, cand_t
                    _frame(coefficients, knots, z_mid, half, new_th, new_t, 2, profile,
                           frame)
                    break
                frac *= 0.5
        taken = abs(new_th - th) + abs(new_t - tp)
        th, tp = new_th, new_t
        if taken < converged or (full and lam == 0.0
                                 and abs(step_theta) + abs(step_t) < quadratic):
            break


@compiled(_P, INT, _V, FLOAT)
def _node_bound(nodes: np.ndarray, k: int, p: np.ndarray, best: float) -> float:
    """Lower bound (mm) of the distance from ``p`` to the samples of node ``k`` (``nodes``
    (n, 8): centre, radius, unit normal, half-thickness): its slab's ``|(p - centre) .
    normal| - half_thickness``, or, if that is no more than ``best``, its ball's ``|p -
    centre| - radius`` if larger."""
    dx, dy, dz = p[0] - nodes[k, 0], p[1] - nodes[k, 1], p[2] - nodes[k, 2]
    slab = abs(dx * nodes[k, 4] + dy * nodes[k, 5] + dz * nodes[k, 6]) - nodes[k, 7]
    if slab > best:
        return slab
    return max(slab, np.sqrt(dx * dx + dy * dy + dz * dz) - nodes[k, 3])


@compiled(_STACK, _OUT1, INT, INT)
def _to_top(stack_node: np.ndarray, stack_bound: np.ndarray, k: int, top: int) -> None:
    """Swap stack entries ``k`` and ``top`` (node and bound; the levels are equal)."""
    stack_node[k], stack_node[top] = stack_node[top], stack_node[k]
    stack_bound[k], stack_bound[top] = stack_bound[top], stack_bound[k]


@compiled(_P, types.UniTuple(_P, 3), INT, _V)
def _greedy_sample(samples: np.ndarray, levels: tuple, top: int, p: np.ndarray) -> int:
    """Depth-first index of a sample near ``p``: from ``top``, the child of least bound at
    each level, then that leaf's nearest sample (not always the nearest sample)."""
    fan = FAN * FAN
    node = top
    for level in (1, 2):
        children, best, first = levels[level], np.inf, node * fan
        for k in range(node * fan, (node + 1) * fan):
            bound = _node_bound(children, k, p, np.inf)
            if bound < best:
                best, first = bound, k
        node = first
    best, nearest = np.inf, node * fan
    for k in range(node * fan, (node + 1) * fan):
        dx, dy, dz = p[0] - samples[k, 0], p[1] - samples[k, 1], p[2] - samples[k, 2]
        if dx * dx + dy * dy + dz * dz < best:
            best, nearest = dx * dx + dy * dy + dz * dz, k
    return nearest


@compiled(_P, _P, _P, _P, INT, INT, INT, _V, FLOAT, INT, _STACK, _STACK, _OUT1)
def nearest_sample(samples: np.ndarray, leaves: np.ndarray, mids: np.ndarray,
                   tops: np.ndarray, top_columns: int, n_theta: int, n_t: int, p: np.ndarray,
                   limit_mm: float, warm: int, stack_node: np.ndarray,
                   stack_level: np.ndarray, stack_bound: np.ndarray
                   ) -> tuple[int, float, float, int]:
    """The sample of a surface grid nearest to ``p`` (mm), if one lies within ``limit_mm``.

    The grid (``n_theta``, ``n_t``), padded by repeating its last samples to whole tops, is
    a tree of tiles: tops of :data:`FAN` x :data:`FAN` mids, of as many leaves, of as many
    samples.
    Each level is stored depth first, a node's children contiguous and row-major:

    - ``samples`` (tops * FAN^6, 3), mm;
    - ``leaves``, ``mids`` (tops * FAN^4 and tops * FAN^2, 8): each node's bounding ball
      (centre, radius) and a slab about its centre holding its samples (unit normal,
      half-thickness), mm (:func:`_node_bound`);
    - ``tops`` (tops, 8): the same, ``top_columns`` tops a row.

    Depth first, each node's nearest child searched first (the others after it, in order);
    a node is skipped once its bound exceeds the nearest sample found (or ``limit_mm``), so
    the answer is the exact nearest sample. A warm start ``warm`` (a depth-first sample
    index, or -1), the previous point's sample when points come in order along a curve,
    bounds the search from the start (it is kept unless a sample is strictly nearer). The
    search's stack (``stack_node``, ``stack_level`` (int64) and ``stack_bound`` (float),
    each ``tops + 2 FAN^2`` long) is the caller's, so that a query allocates it once for
    all its points.

    Returns
    -------
    index : int
        Flat index ``i * n_t + j`` in the unpadded grid of the nearest sample if within
        ``limit_mm``; else of a sample near ``p`` (the nearest seen, the warm start, else
        :func:`_greedy_sample`).
    distance_mm : float
        Its distance if within ``limit_mm``, else ``inf``.
    floor_mm : float
        A lower bound of every sample's distance (the nearest's own distance when found).
    searched : int
        The same sample's depth-first index (the next point's warm start).
    """
    fan = FAN * FAN
    levels = (tops, mids, leaves)
    limit2 = limit_mm * limit_mm
    best, best2, nearest = limit_mm, np.inf, -1
    if warm >= 0:
        dx, dy, dz = p[0] - samples[warm, 0], p[1] - samples[warm, 1], p[2] - samples[warm, 2]
        best2, nearest = dx * dx + dy * dy + dz * dz, warm
        if best2 <= limit2:
            best = np.sqrt(best2)
    floor = np.inf
    # the tops, the nearest last (popped first)
    nearest_top = 0
    for k in range(len(tops)):
        stack_node[k], stack_level[k], stack_bound[k] = k, 0, _node_bound(tops, k, p, best)
        if stack_bound[k] < stack_bound[nearest_top]:
            nearest_top = k
    size = len(tops)
    _to_top(stack_node, stack_bound, nearest_top, size - 1)
    while size > 0:
        size -= 1
        node, level, bound = stack_node[size], stack_level[size], stack_bound[size]
        if bound > best:
            floor = min(floor, bound)
            continue
        if level == 2:
            for k in range(node * fan, (node + 1) * fan):
                dx, dy, dz = p[0] - samples[k, 0], p[1] - samples[k, 1], p[2] - samples[k, 2]
                d2 = dx * dx + dy * dy + dz * dz
                if d2 < best2:
                    best2, nearest = d2, k
                    if d2 <= limit2:
                        best = np.sqrt(d2)
            continue
        children = levels[level + 1]
        first = size
        for k in range(node * fan, (node + 1) * fan):
            stack_node[size], stack_level[size] = k, level + 1
            stack_bound[size] = _node_bound(children, k, p, best)
            if stack_bound[size] < stack_bound[first]:
                first = size
            size += 1
        _to_top(stack_node, stack_bound, first, size - 1)
    found = best2 <= limit2
    if not found:
        floor = min(floor, np.sqrt(best2))
        if nearest < 0:
            nearest = _greedy_sample(samples, levels, nearest_top, p)
    # depth-first index -> (i, j) in the grid: FAN x FAN digits per level, row-major
    searched, i, j, k = nearest, 0, 0, nearest
    scale = 1
    for _ in range(3):
        digit = k % fan
        i, j, k = i + (digit // FAN) * scale, j + (digit % FAN) * scale, k // fan
        scale *= FAN
    i, j = i + (k // top_columns) * scale, j + (k % top_columns) * scale
    index = min(i, n_theta - 1) * n_t + min(j, n_t - 1)
    if found:
        return index, best, best, searched
    return index, np.inf, floor, searched


@compiled(_TABLE, _V, FLOAT, FLOAT, FLOAT, FLOAT, _V, _OUT2)
def _inside(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
            z_bottom: float, z_top: float, p: np.ndarray, profile: np.ndarray) -> bool:
    """Is midline point ``p`` inside the (capped) ellipse of its own axial level?"""
    if not z_bottom < p[2] < z_top:
        return False
    t = np.arccos(min(max((z_mid - p[2]) / half, -1.0), 1.0))
    _profile_rows(coefficients, knots, t, 0, profile)
    a, y_mid, b = profile[0, 0], profile[0, 1], profile[0, 2]
    return (p[0] / a) ** 2 + ((p[1] - y_mid) / b) ** 2 < 1.0


@compiled(SURFACE)
def query_scratch(surface: tuple) -> tuple:
    """The work arrays :func:`query_point` fills, allocated once for a run of points: the
    Newton frame and trial frame (6, 3), the profile rows (3, 3), a 3-vector, and
    :func:`nearest_sample`'s stack (nodes and levels, int64, and bounds)."""
    depth = len(surface[12]) + 2 * FAN * FAN     # the deepest nearest_sample's stack gets
    return (np.empty((6, 3)), np.empty((6, 3)), np.empty((3, 3)), np.empty(3),
            np.empty(depth, np.int64), np.empty(depth, np.int64), np.empty(depth))


@compiled(SURFACE, _V, FLOAT, BOOL, INT, SCRATCH, INT, _OUT1, _OUT2, _OUT2)
def query_point(surface: tuple, p: np.ndarray, max_distance_mm: float, exact_inside: bool,
                warm: int, scratch: tuple, k: int, signed: np.ndarray, closest: np.ndarray,
                normal: np.ndarray) -> int:
    """:func:`query` of one midline point ``p`` (3,), written to row ``k`` of ``signed``,
    ``closest`` and ``normal``, with the work arrays ``scratch`` (:func:`query_scratch`); a
    run of points passes each the search's warm start ``warm`` (:func:`nearest_sample`; -1
    for none) the previous one returned.

    Returns
    -------
    int
        The warm start for the next point.
    """
    (coefficients, knots, z_mid, half, z_bottom, z_top, samples, sample_theta, sample_t,
     tree_samples, leaves, mids, tops, top_columns, cover_mm, max_steps, converged,
     quadratic) = surface
    frame, trial, profile, f, stack_node, stack_level, stack_bound = scratch
    n_t = samples.shape[1]
    inside = _inside(coefficients, knots, z_mid, half, z_bottom, z_top, p, profile)
    sign = -1.0 if inside else 1.0
    limit = np.inf if exact_inside and inside else max_distance_mm + cover_mm
    index, distance, floor, warm = nearest_sample(
        tree_samples, leaves, mids, tops, top_columns, samples.shape[0], n_t, p, limit,
        warm, stack_node, stack_level, stack_bound)
    i, j = index // n_t, index % n_t
    if distance < np.inf:
        _newton(coefficients, knots, z_mid, half, p, sample_theta[i], sample_t[j],
                max_steps, converged, quadratic, profile, frame, trial, f)
        s_th, s_t = frame[1], frame[2]
        nx = s_th[1] * s_t[2] - s_th[2] * s_t[1]
        ny = s_th[2] * s_t[0] - s_th[0] * s_t[2]
        nz = s_th[0] * s_t[1] - s_th[1] * s_t[0]
        length = np.sqrt(nx * nx + ny * ny + nz * nz)
        for c in range(3):
            f[c] = p[c] - frame[0, c]
            closest[k, c] = frame[0, c]
        normal[k, 0], normal[k, 1], normal[k, 2] = nx / length, ny / length, nz / length
        signed[k] = sign * np.sqrt(_dot(f, f))
    else:
        for c in range(3):
            closest[k, c] = samples[i, j, c]
            f[c] = p[c] - samples[i, j, c]
        length = max(np.sqrt(_dot(f, f)), 1e-12)
        for c in range(3):
            normal[k, c] = sign * f[c] / length
        signed[k] = sign * max(floor - cover_mm, 0.0)
    return warm


@compiled(SURFACE, _P, FLOAT, BOOL)
def query(surface: tuple, points: np.ndarray, max_distance_mm: float, exact_inside: bool
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signed distance, closest point and outward normal of midline points ``points`` (n, 3).

    ``surface`` holds the shape and the solve's settings
    (:func:`mvd_sim.anatomy.brainstem.kernel_surface`): the profile table (``coefficients``,
    ``knots``), the polar map (``z_mid``, ``half``), the poles' levels (``z_bottom``,
    ``z_top``), the start grid's ``samples`` (n_theta, n_t, 3) at parameters
    ``sample_theta`` (n_theta,) and ``sample_t`` (n_t,), the same samples as a tree
    (``tree_samples``, ``leaves``, ``mids``, ``tops``, ``top_columns``; see
    :func:`nearest_sample`), the grid's covering radius ``cover_mm`` (every surface point
    lies within it of a sample), and Newton's ``max_steps``, ``converged`` and
    ``quadratic`` (:func:`_newton`).

    The sign comes from :func:`_inside`. A point whose nearest grid sample lies within
    ``max_distance_mm + cover_mm``, or that is inside when ``exact_inside``, is solved
    exactly by :func:`_newton` from that sample. For the others the distance is a lower
    bound above ``max_distance_mm``, and the closest point a grid sample near the point
    (the normal points from it to the point).

    Returns
    -------
    signed_distance : (n,) float, mm (negative inside)
    closest : (n, 3) float, mm
    normal : (n, 3) float (unit, outward)
    """
    n = len(points)
    signed, closest, normal = np.empty(n), np.empty((n, 3)), np.empty((n, 3))
    scratch = query_scratch(surface)
    warm = -1
    for k in range(n):
        warm = query_point(surface, points[k], max_distance_mm, exact_inside, warm, scratch,
                           k, signed, closest, normal)
    return signed, closest, normal


@compiled(SURFACE, _V, _OUT2, array(1, "intp", contiguous=True), _V, FLOAT, _OUT1)
def push_out(surface: tuple, origin: np.ndarray, points: np.ndarray, rows: np.ndarray,
             height_mm: np.ndarray, reach_mm: float, room_mm: np.ndarray) -> None:
    """Put the rows ``rows`` of scene points ``points`` (n, 3) that lie closer than their
    ``height_mm`` (n,) to the surface (or inside it) on the offset surface at that height,
    along the normal at their exact closest point; in place.

    ``surface``, as for :func:`query`; ``origin``: the scene origin in the midline frame.
    Each row's query is exact within ``reach_mm`` and inside. ``room_mm[row]`` becomes how far
    the point may then move before it can come below its height: 0 for the points moved,
    else their distance less their height (a lower bound beyond the reach).
    """
    if len(rows) == 0:      # a step of the relaxation or the avoidance that asks none
        return
    midline = np.empty((len(rows), 3))
    for i in range(len(rows)):
        for c in range(3):
            midline[i, c] = points[rows[i], c] + origin[c]
    signed, closest, normal = query(surface, midline, reach_mm, True)
    for i in range(len(rows)):
        row = rows[i]
        if signed[i] < height_mm[row]:
            for c in range(3):
                points[row, c] = (closest[i, c] - origin[c]) + height_mm[row] * normal[i, c]
            room_mm[row] = 0.0
        else:
            room_mm[row] = signed[i] - height_mm[row]
