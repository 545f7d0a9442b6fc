"""Compiled kernels of exact tube geometry: closest points of segment pairs, tapered surface
gaps, and the pruned searches over two polylines (:mod:`mvd_sim.core.geometry.closest` wraps
them).

A contact report, a placement step or a pulse sweep asks many small questions of a few
hundred segments at a time. As numpy array operations each question cost tens to hundreds
of microseconds in array calls whatever its size; compiled with numba, each pair is a
scalar function of its end points and a search is one loop, in microseconds.

Everything is in mm, in whatever frame the points are given. Vectors are 3-tuples inside
the kernels.

Pruning
-------
Every segment lies in the ball around its midpoint of its half-length, grown by its larger
end radius; consecutive runs of :data:`BLOCK` segments lie in the ball around the centre of
their end points' bounding box that holds all of them. Two balls' centre distance less
their radii bounds the surface gap of everything in them from below, so pairs of runs, then
a segment against a run, then pairs of segments are skipped before any pair is solved; two
segments side by side that their balls cannot tell apart are also skipped when their
separation along the line through their midpoints exceeds the margin
(:func:`_segments_apart`).
"""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import FLOAT, INT, VEC3, array, compiled

__all__ = ["BLOCK", "segment_pairs", "tapered_pairs", "point_segments", "run_bounds",
           "nearest_in_runs", "nearest_on_polyline", "point_polyline", "tube_segments",
           "near_pairs", "self_near_pairs", "tube_boxes", "nearest_near_pairs_by_tube",
           "nearest_pair", "nearest_by_tube", "paths_clear"]

#: Segments per bounding ball of the pruned searches.
BLOCK = 8
#: Segments with ``sin^2`` of their angle below this are treated as parallel.
_PARALLEL_SIN2 = 1e-20
#: Segments shorter than this (mm) are treated as points: the kernels' guard against dividing
#: by a zero length. It is defined here, not read from ``TOL.zero_segment_mm`` (the length
#: below which a tube's segment is refused, same value), because numba fixes the globals a
#: kernel reads when it compiles it and re-compiles a cached kernel only when this file
#: changes.
_ZERO_MM = 1e-9
_ZERO2 = _ZERO_MM ** 2
#: Slack (mm) of a bound that passes over a pair as farther than one found: far above the
#: rounding of the gaps.
_SLACK_MM = 1e-9
# argument types, C-contiguous (indexed without strides in the hot loops): rows of points or
# packed segments, values, indices (read-only), scratch
_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_IDX, _OUT = array(1, "intp", contiguous=True), array(1, writable=True, contiguous=True)
_ROWS = array(2, "intp", writable=True, contiguous=True)
_VALUES = array(2, writable=True, contiguous=True)


# -- 3-vectors -------------------------------------------------------------------------------
@compiled(_P, INT)
def _row(a, i):
    return (a[i, 0], a[i, 1], a[i, 2])


@compiled(VEC3, VEC3)
def _sub(x, y):
    return (x[0] - y[0], x[1] - y[1], x[2] - y[2])


@compiled(FLOAT, VEC3, VEC3)
def _axpy(k, x, y):
    """``y + k x``."""
    return (y[0] + k * x[0], y[1] + k * x[1], y[2] + k * x[2])


@compiled(VEC3, VEC3)
def _dot(x, y):
    return x[0] * y[0] + x[1] * y[1] + x[2] * y[2]


@compiled(VEC3, VEC3)
def _cross(x, y):
    return (x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0])


@compiled(VEC3)
def _norm(x):
    return math.sqrt(_dot(x, x))


@compiled(FLOAT)
def _clip(x):
    return min(max(x, 0.0), 1.0)


# -- one pair --------------------------------------------------------------------------------
@compiled(VEC3, VEC3, VEC3)
def _closest_params(d1, d2, r):
    """Parameters ``s, t`` in [0, 1] of the closest points of segments ``P(s) = p0 + s d1``
    and ``Q(t) = q0 + t d2``, with ``r = p0 - q0``.

    Clamped closest-point algorithm of Ericson, *Real-Time Collision Detection* (2005),
    section 5.1.9: the unclamped line-line parameter ``s`` is clamped to [0, 1], ``t`` is the
    optimum for that ``s``, and if ``t`` must be clamped ``s`` is recomputed for the clamped
    ``t``. The line-line parameter is evaluated in the cross-product form
    ``s = (d1 x d2) . (d2 x r) / |d1 x d2|^2``, which avoids the cancellation of
    ``a e - b^2`` for nearly parallel segments. Parallel segments (``sin^2`` of their angle
    below :data:`_PARALLEL_SIN2`) start from ``s = 0``, which still yields a closest pair;
    segments shorter than :data:`_ZERO_MM` are points.
    """
    a, e, b, c = _dot(d1, d1), _dot(d2, d2), _dot(d1, d2), _dot(d1, r)
    normal = _cross(d1, d2)
    denom = _dot(normal, normal)
    p_point, q_point = a <= _ZERO2, e <= _ZERO2
    s = 0.0
    if not (p_point or denom <= _PARALLEL_SIN2 * a * e):
        s = _clip(_dot(normal, _cross(d2, r)) / denom)
    t = 0.0 if q_point else (b * s + _dot(d2, r)) / e
    t_clamped = _clip(t)
    if (t != t_clamped or q_point) and not p_point:
        s = _clip((b * t_clamped - c) / a)
    return s, t_clamped


@compiled(VEC3, VEC3, FLOAT)
def _edge_argmin(w0, d, k):
    """Exact minimiser over ``u`` in [0, 1] of the convex ``|w0 + u d| - k u``.

    With ``u_p`` the projection, ``h`` the distance to the line and ``kappa = k / |d|``, the
    unconstrained minimum is at ``u_p + kappa h / (|d| sqrt(1 - kappa^2))`` when
    ``|kappa| < 1``, and at ``+-infinity`` otherwise; it is then clamped to [0, 1].
    """
    length = max(_norm(d), _ZERO_MM)
    u_p = -_dot(w0, d) / (length * length)
    h = _norm(_axpy(u_p, d, w0))
    kappa = k / length
    slack = 1.0 - kappa * kappa
    if slack > 0.0:
        shift = kappa * h / math.sqrt(slack)
    else:
        shift = math.copysign(math.inf, kappa)
    return _clip(u_p + shift / length)


@compiled(VEC3, VEC3, VEC3, FLOAT, FLOAT, FLOAT, FLOAT)
def _tapered_gap(w0, da, db, alpha, beta, s, t):
    """``|w0 + s da - t db| - alpha s - beta t``."""
    return _norm(_axpy(-t, db, _axpy(s, da, w0))) - alpha * s - beta * t


@compiled(VEC3, VEC3, VEC3, FLOAT, FLOAT)
def _min_gap_params(w0, da, db, alpha, beta):
    """Exact minimiser ``s, t`` of ``g(s, t) = |w0 + s da - t db| - alpha s - beta t`` on
    [0, 1]^2.

    For segments ``A(s) = a0 + s da``, ``B(t) = b0 + t db`` whose radii change by ``alpha``
    and ``beta`` along them, ``w0 = a0 - b0`` and ``g`` is their surface gap less the start
    radii. ``g`` is convex (a norm of an affine map minus a linear function), so its minimum
    is its stationary point when that lies in the square, and otherwise lies on one of the
    edges the stationary point lies beyond (all four when there is none), each a
    one-dimensional problem with a closed form (:func:`_edge_argmin`).

    The stationary point: write ``w = h n + v`` with ``n`` the unit common normal and ``v``
    in the plane of ``da`` and ``db``. Stationarity says ``c = v / |w|`` satisfies
    ``c . da = alpha`` and ``c . db = -beta``, a 2 x 2 Gram system; then
    ``|w| = |h| / sqrt(1 - |c|^2)`` and ``(s, t)`` follow from the closest points of the two
    lines. There is none for parallel segments or ``|c| >= 1``.
    """
    normal = _cross(da, db)
    nn = _dot(normal, normal)
    a11, a12, a22 = _dot(da, da), _dot(da, db), _dot(db, db)
    # edges s = 0, s = 1 (t free), t = 0, t = 1 (s free) the minimum may lie on: all four,
    # unless there is a stationary point outside the square; then only those it lies beyond
    # (g decreases from the constrained minimum towards it, so that way leaves the square)
    beyond = (True, True, True, True)
    if nn > _PARALLEL_SIN2 * a11 * a22:
        x = (a22 * alpha + a12 * beta) / nn
        y = -(a12 * alpha + a11 * beta) / nn
        c2 = x * alpha - y * beta
        if c2 < 1.0:
            rho = abs(_dot(w0, normal)) / math.sqrt(nn * (1.0 - c2))
            s = _dot(normal, _cross(db, w0)) / nn + x * rho
            t = _dot(normal, _cross(da, w0)) / nn - y * rho
            if 0.0 <= s <= 1.0 and 0.0 <= t <= 1.0:
                return s, t
            beyond = (s < 0.0, s > 1.0, t < 0.0, t > 1.0)
    minus_db = (-db[0], -db[1], -db[2])
    best_s, best_t, best = 0.0, 0.0, math.inf
    for edge in range(4):
        if not beyond[edge]:
            continue
        if edge < 2:
            s = float(edge)
            t = _edge_argmin(_axpy(s, da, w0), minus_db, beta)
        else:
            t = float(edge - 2)
            s = _edge_argmin(_axpy(-t, db, w0), da, alpha)
        g = _tapered_gap(w0, da, db, alpha, beta, s, t)
        if g < best:
            best_s, best_t, best = s, t, g
    return best_s, best_t


@compiled(_P, INT, _P, INT, FLOAT)
def _pair_gap(segments_a, i, segments_b, j, margin):
    """``s, t, gap``: the minimum surface gap of segment ``i`` of tube a and ``j`` of tube b
    (rows of packed segments, see :func:`near_pairs`), at local parameters ``s`` and ``t``;
    exact wherever it may be ``<= margin`` (else only known to exceed it: ``inf`` where
    even the closest centreline points are farther apart than the margin and the larger
    radii).

    The gap at the closest centreline points is exact for untapered segments; where a
    segment tapers it exceeds the minimum by at most the radius change along both, and the
    exact tapered minimum (:func:`_min_gap_params`) is only solved when that could bring it
    within ``margin``.
    """
    sa, sb = segments_a, segments_b
    d1 = (sa[i, 3] - sa[i, 0], sa[i, 4] - sa[i, 1], sa[i, 5] - sa[i, 2])
    d2 = (sb[j, 3] - sb[j, 0], sb[j, 4] - sb[j, 1], sb[j, 5] - sb[j, 2])
    r = (sa[i, 0] - sb[j, 0], sa[i, 1] - sb[j, 1], sa[i, 2] - sb[j, 2])
    ra0, ra1, rb0, rb1 = sa[i, 6], sa[i, 7], sb[j, 6], sb[j, 7]
    s, t = _closest_params(d1, d2, r)
    centre = _axpy(-t, d2, _axpy(s, d1, r))
    # no point of the pair is nearer than the closest centreline points
    reach = margin + max(ra0, ra1) + max(rb0, rb1)
    if reach < 0.0 or _dot(centre, centre) > reach * reach:
        return s, t, math.inf
    alpha, beta = ra1 - ra0, rb1 - rb0
    gap = _norm(centre) - ra0 - s * alpha - rb0 - t * beta
    if (alpha != 0.0 or beta != 0.0) and gap - abs(alpha) - abs(beta) <= margin:
        s, t = _min_gap_params(r, d1, d2, alpha, beta)
        gap = _tapered_gap(r, d1, d2, alpha, beta, s, t) - ra0 - rb0
    return s, t, gap


@compiled(VEC3, VEC3, VEC3)
def _point_segment(p, s0, d):
    """Local parameter in [0, 1] of the point of segment ``s0 + u d`` closest to ``p``
    (a segment shorter than :data:`_ZERO_MM` is its start point)."""
    dd = _dot(d, d)
    return _clip(_dot(_sub(p, s0), d) / dd) if dd > _ZERO2 else 0.0


# -- batches of pairs ------------------------------------------------------------------------
@compiled(_P, _P, _P, _P)
def segment_pairs(p0, p1, q0, q1):
    """Closest points of segments ``p0[k] p1[k]`` and ``q0[k] q1[k]`` (all (k, 3), mm):
    ``s, t`` (k,) in [0, 1] and the distance ``dist`` (k,) between them (mm)."""
    n = len(p0)
    s, t, dist = np.empty(n), np.empty(n), np.empty(n)
    for k in range(n):
        a, b = _row(p0, k), _row(q0, k)
        d1, d2, r = _sub(_row(p1, k), a), _sub(_row(q1, k), b), _sub(a, b)
        s[k], t[k] = _closest_params(d1, d2, r)
        dist[k] = _norm(_axpy(-t[k], d2, _axpy(s[k], d1, r)))
    return s, t, dist


@compiled(_P, _P, _V, _V, _P, _P, _V, _V)
def tapered_pairs(a0, a1, ra0, ra1, b0, b1, rb0, rb1):
    """Exact minimum surface gap of tapered segment pairs ``k`` (points (k, 3), radii (k,),
    mm): ``s, t`` (k,) in [0, 1] where it is reached and the gap (k,), mm."""
    n = len(a0)
    s, t, gap = np.empty(n), np.empty(n), np.empty(n)
    for k in range(n):
        w0 = _sub(_row(a0, k), _row(b0, k))
        da, db = _sub(_row(a1, k), _row(a0, k)), _sub(_row(b1, k), _row(b0, k))
        alpha, beta = ra1[k] - ra0[k], rb1[k] - rb0[k]
        s[k], t[k] = _min_gap_params(w0, da, db, alpha, beta)
        gap[k] = _tapered_gap(w0, da, db, alpha, beta, s[k], t[k]) - ra0[k] - rb0[k]
    return s, t, gap


@compiled(array(3, contiguous=True), FLOAT, _P, _P, FLOAT)
def paths_clear(paths, radius, segments, balls, margin):
    """(k,) bool: does each path ``paths[k]`` (m, 3), a tube of radius ``radius`` along its
    straight segments, keep a surface gap above ``margin`` from a tube's ``segments`` and
    ``balls`` (:func:`tube_segments`)? All in mm.

    Each pair of segments is solved exactly (the gap of :func:`tapered_pairs`, operation for
    operation) unless their balls already keep the margin; a path stops at its first pair
    that does not."""
    k, m = paths.shape[0], paths.shape[1]
    clear = np.ones(k, np.bool_)
    for p in range(k):
        for i in range(m - 1):
            a0 = (paths[p, i, 0], paths[p, i, 1], paths[p, i, 2])
            da = _sub((paths[p, i + 1, 0], paths[p, i + 1, 1], paths[p, i + 1, 2]), a0)
            mid = _axpy(0.5, da, a0)
            reach = 0.5 * _norm(da) + radius + margin
            for j in range(len(segments)):
                centre = _sub(_row(balls, j), mid)
                if _norm(centre) - balls[j, 3] - reach > _ZERO_MM:
                    continue        # the balls keep the margin, and so do the segments
                b0 = _row(segments, j)
                w0 = _sub(a0, b0)
                db = _sub((segments[j, 3], segments[j, 4], segments[j, 5]), b0)
                beta = segments[j, 7] - segments[j, 6]
                s, t = _min_gap_params(w0, da, db, 0.0, beta)
                gap = _tapered_gap(w0, da, db, 0.0, beta, s, t) - radius - segments[j, 6]
                if not gap > margin:
                    clear[p] = False
                    break
            if not clear[p]:
                break
    return clear


@compiled(_P, _P, _P)
def point_segments(x, s0, s1):
    """Closest point of segment ``s0[k] s1[k]`` to ``x[k]`` (all (k, 3), mm): the local
    parameter ``u`` (k,), the distance (k,) and the unit vector (k, 3) from it to ``x``."""
    n = len(x)
    u, dist, normal = np.empty(n), np.empty(n), np.empty((n, 3))
    for k in range(n):
        p, a = _row(x, k), _row(s0, k)
        d = _sub(_row(s1, k), a)
        u[k] = _point_segment(p, a, d)
        rel = _sub(p, _axpy(u[k], d, a))
        dist[k] = _norm(rel)
        scale = 1.0 / max(dist[k], 1e-12)
        for c in range(3):
            normal[k, c] = rel[c] * scale
    return u, dist, normal


# -- pruned searches -------------------------------------------------------------------------
@compiled(_P, _V)
def tube_segments(points, radius):
    """A tube's segments packed for the searches, with their bounds (mm).

    Parameters
    ----------
    points : (n, 3) float, mm, ``n >= 2``
    radius : (n,) float, mm

    Returns
    -------
    segments : (n - 1, 8) float
        Rows of start point, end point and the radius at each.
    half, arc0 : (n - 1,) float
        Half-length of each segment and the arc length of its start along the polyline.
    balls : (n - 1, 4) float
        Each segment's midpoint and its half-length plus its larger end radius.
    runs : (ceil((n - 1) / BLOCK), 4) float
        Each run of :data:`BLOCK` consecutive segments: the centre of the box of their end
        points and the radius of a ball about it that holds them.
    run_start : (runs + 1,) int
        First segment of each run, then ``n - 1``.
    box : (2, 3) float
        Bounding box of the centerline grown by the largest radius.
    """
    k = len(points) - 1
    segments, half, arc0 = np.empty((k, 8)), np.empty(k), np.empty(k)
    balls = np.empty((k, 4))
    arc = 0.0
    for i in range(k):
        for c in range(3):
            segments[i, c], segments[i, 3 + c] = points[i, c], points[i + 1, c]
            balls[i, c] = 0.5 * (points[i, c] + points[i + 1, c])
        segments[i, 6], segments[i, 7] = radius[i], radius[i + 1]
        length = _norm(_sub(_row(points, i + 1), _row(points, i)))
        half[i], arc0[i] = 0.5 * length, arc
        balls[i, 3] = 0.5 * length + max(radius[i], radius[i + 1])
        arc += length
    count = (k + BLOCK - 1) // BLOCK
    runs, run_start = np.zeros((count, 4)), np.empty(count + 1, np.intp)
    for r in range(count):
        lo, hi = r * BLOCK, min((r + 1) * BLOCK, k)
        run_start[r] = lo
        for c in range(3):
            low, high = math.inf, -math.inf
            for i in range(lo, hi + 1):
                low, high = min(low, points[i, c]), max(high, points[i, c])
            runs[r, c] = 0.5 * (low + high)
        for i in range(lo, hi + 1):
            far = _norm(_sub(_row(points, i), _row(runs, r)))
            runs[r, 3] = max(runs[r, 3], far + radius[i])
    run_start[count] = k
    grow = radius.max()
    box = np.empty((2, 3))
    for c in range(3):
        box[0, c] = points[:, c].min() - grow
        box[1, c] = points[:, c].max() + grow
    return segments, half, arc0, balls, runs, run_start, box


@compiled(_P, INT, _P, INT)
def _ball_gap(balls_a, i, balls_b, j):
    """Lower bound (mm) of the surface gap between what balls ``i`` and ``j`` (rows of
    centre and radius) hold."""
    return _norm(_sub(_row(balls_a, i), _row(balls_b, j))) - balls_a[i, 3] - balls_b[j, 3]


@compiled(_P, INT, _P, INT, FLOAT)
def _apart(balls_a, i, balls_b, j, margin):
    """Whether :func:`_ball_gap` exceeds ``margin`` (compared squared, without a root)."""
    reach = margin + balls_a[i, 3] + balls_b[j, 3]
    offset = _sub(_row(balls_a, i), _row(balls_b, j))
    return reach < 0.0 or _dot(offset, offset) > reach * reach


@compiled(_P, _P, INT, _P, _P, INT, FLOAT)
def _segments_apart(segments_a, balls_a, i, segments_b, balls_b, j, margin):
    """Whether segments ``i`` of a and ``j`` of b (packed, with their balls) are surely more
    than ``margin`` apart (surface gap, mm): their balls are (:func:`_apart`), or they are
    separated along the line through their midpoints, unit ``u``: for points ``p``, ``q`` of
    the two, ``|q - p| >= (q - p).u >= |m_b - m_a| - |d_a.u| / 2 - |d_b.u| / 2``, a bound
    much tighter than the balls for segments side by side (two tubes running together;
    measured on the benchmark's 5- and 10-vessel scenes, together with the seed of
    :func:`_nearest_in`, it cut that search by a third)."""
    if _apart(balls_a, i, balls_b, j, margin):
        return True
    sa, sb = segments_a, segments_b
    offset = _sub(_row(balls_b, j), _row(balls_a, i))
    length = _norm(offset)
    spread = (abs((sa[i, 3] - sa[i, 0]) * offset[0] + (sa[i, 4] - sa[i, 1]) * offset[1]
                  + (sa[i, 5] - sa[i, 2]) * offset[2])
              + abs((sb[j, 3] - sb[j, 0]) * offset[0] + (sb[j, 4] - sb[j, 1]) * offset[1]
                    + (sb[j, 5] - sb[j, 2]) * offset[2]))
    reach = margin + max(sa[i, 6], sa[i, 7]) + max(sb[j, 6], sb[j, 7])
    return length * (length - reach) > 0.5 * spread


@compiled(_V, _V, INT, INT, INT, INT, FLOAT)
def _along_within(arc0, half, first_a, last_a, first_b, last_b, apart_mm):
    """Whether every point of segments ``first_a..last_a`` of a tube lies within
    ``apart_mm`` of arc of every point of its segments ``first_b..last_b`` (``arc0``,
    ``half``: as :func:`tube_segments` gives them); never for a negative ``apart_mm``."""
    if apart_mm < 0.0:
        return False
    end_a = arc0[last_a] + 2.0 * half[last_a]
    end_b = arc0[last_b] + 2.0 * half[last_b]
    return max(end_b - arc0[first_a], end_a - arc0[first_b]) <= apart_mm


@compiled(_P, _P, _P, _IDX, INT, INT, _P, _P, _P, _IDX, INT, INT, FLOAT, _ROWS, _VALUES, INT,
          _V, _V, FLOAT)
def _near_pairs_in(segments_a, balls_a, runs_a, run_start_a, first_a, stop_a,
                   segments_b, balls_b, runs_b, run_start_b, first_b, stop_b, margin,
                   rows, values, count, arc0, half, apart_mm):
    """:func:`near_pairs` between runs ``first_a:stop_a`` of a and ``first_b:stop_b`` of b,
    appended from row ``count`` of ``rows`` (k, 2) (segment of a, of b) and ``values``
    (k, 3) (``s``, ``t``, gap): returns them (doubled in size where they ran out of room)
    and the new count. Where a and b are one tube, of segment arcs ``arc0`` and half-lengths
    ``half``, the pairs within ``apart_mm`` (mm) of arc of each other
    (:func:`_along_within`) are left out; a negative ``apart_mm`` leaves none out (and the
    arcs are not read)."""
    for ka in range(first_a, stop_a):
        for kb in range(first_b, stop_b):
            if _apart(runs_a, ka, runs_b, kb, margin) or _along_within(
                    arc0, half, run_start_a[ka], run_start_a[ka + 1] - 1, run_start_b[kb],
                    run_start_b[kb + 1] - 1, apart_mm):
                continue
            for i in range(run_start_a[ka], run_start_a[ka + 1]):
                if _apart(balls_a, i, runs_b, kb, margin):
                    continue
                for j in range(run_start_b[kb], run_start_b[kb + 1]):
                    if _along_within(arc0, half, i, i, j, j, apart_mm) or _segments_apart(
                            segments_a, balls_a, i, segments_b, balls_b, j, margin):
                        continue
                    s, t, gap = _pair_gap(segments_a, i, segments_b, j, margin)
                    if gap > margin:
                        continue
                    if count == len(rows):  # double the room (the copies are overwritten)
                        rows = np.concatenate((rows, rows))
                        values = np.concatenate((values, values))
                    rows[count, 0], rows[count, 1] = i, j
                    values[count, 0], values[count, 1], values[count, 2] = s, t, gap
                    count += 1
    return rows, values, count


@compiled(_P, _P, _P, _IDX, _P, _P, _P, _IDX, FLOAT)
def near_pairs(segments_a, balls_a, runs_a, run_start_a,
               segments_b, balls_b, runs_b, run_start_b, margin):
    """Every segment pair of tubes a and b whose exact minimum surface gap is at most
    ``margin`` (mm).

    A tube's segments are packed as rows (k, 8) of start point, end point (mm) and the
    radius at each (mm), with their bounding balls from :func:`tube_segments` (runs of stacked
    tubes never span two tubes).

    Returns
    -------
    i, j : (k,) int
        Segment of a and of b, in run order.
    s, t : (k,) float in [0, 1]
        Local parameters of the pair's minimum gap.
    gap : (k,) float, mm
    """
    rows, values, count = _near_pairs_in(
        segments_a, balls_a, runs_a, run_start_a, 0, len(runs_a),
        segments_b, balls_b, runs_b, run_start_b, 0, len(runs_b), margin,
        np.empty((64, 2), np.intp), np.empty((64, 3)), 0, np.empty(0), np.empty(0), -1.0)
    return (rows[:count, 0].copy(), rows[:count, 1].copy(), values[:count, 0].copy(),
            values[:count, 1].copy(), values[:count, 2].copy())


@compiled(_P, _P, _P, _IDX, _V, _V, FLOAT, FLOAT)
def self_near_pairs(segments, balls, runs, run_start, arc0, half, margin, apart_mm):
    """:func:`near_pairs` of one tube (packed, with its segments' arcs ``arc0`` and
    half-lengths ``half`` from :func:`tube_segments`) against itself, leaving out the pairs
    whose every two points lie within ``apart_mm`` (mm) of arc of each other: the same pairs
    in the same order, less those (a segment and its neighbours always touch, and a search
    for where a tube folds through itself drops them)."""
    rows, values, count = _near_pairs_in(
        segments, balls, runs, run_start, 0, len(runs),
        segments, balls, runs, run_start, 0, len(runs), margin,
        np.empty((64, 2), np.intp), np.empty((64, 3)), 0, arc0, half, apart_mm)
    return (rows[:count, 0].copy(), rows[:count, 1].copy(), values[:count, 0].copy(),
            values[:count, 1].copy(), values[:count, 2].copy())


@compiled(_P, _IDX)
def tube_boxes(runs, tube_runs):
    """Each tube's bounding box of its runs' balls (tubes, 6): least then greatest x, y, z
    (mm); tube ``k`` owns runs ``tube_runs[k]:tube_runs[k + 1]``."""
    boxes = np.empty((len(tube_runs) - 1, 6))
    for k in range(len(tube_runs) - 1):
        for c in range(3):
            boxes[k, c], boxes[k, 3 + c] = math.inf, -math.inf
        for r in range(tube_runs[k], tube_runs[k + 1]):
            for c in range(3):
                boxes[k, c] = min(boxes[k, c], runs[r, c] - runs[r, 3])
                boxes[k, 3 + c] = max(boxes[k, 3 + c], runs[r, c] + runs[r, 3])
    return boxes


@compiled(_P, INT, _P, INT, FLOAT)
def _ball_box_apart(balls, i, boxes, k, margin):
    """Whether ball ``i`` is surely more than ``margin`` (mm) from everything box ``k``
    holds (:func:`tube_boxes`): its centre's distance to the box exceeds its radius and
    ``margin``, with :data:`_SLACK_MM` to spare for rounding. Then every ball within the
    box is :func:`_apart` from it."""
    outside = 0.0
    for c in range(3):
        below, above = boxes[k, c] - balls[i, c], balls[i, c] - boxes[k, 3 + c]
        if below > 0.0:
            outside += below * below
        elif above > 0.0:
            outside += above * above
    reach = balls[i, 3] + margin + _SLACK_MM
    return outside > reach * reach


@compiled(_P, _P, _P, _IDX, _IDX, array(2, "boolean", contiguous=True), FLOAT)
def nearest_near_pairs_by_tube(segments, balls, runs, run_start, tube_runs, asked, margin):
    """For each pair of tubes of one stack that ``asked`` (tubes, tubes) names, each segment of
    the first tube that comes within ``margin`` (mm, surface gap) of the second: its nearest
    segment pair, in one call (tube ``k`` owns runs ``tube_runs[k]:tube_runs[k + 1]``).

    It is :func:`near_pairs` between the two tubes reduced to each segment of the first's
    pair of least gap (the first in :func:`near_pairs`' order on a tie), the same numbers,
    without solving every pair within the margin: once a segment has a pair within it, a
    pair surely farther than that pair's gap (:func:`_segments_apart`, with
    :data:`_SLACK_MM` to spare for rounding) cannot be its nearest and is not solved, and a
    segment is paired first with the nearest of the segment before it (a tight bound at
    once). A run of the first tube whose ball is beyond the margin of the second's
    bounding box (:func:`tube_boxes`) is passed over without testing its runs. Two
    vessels lying along each other have hundreds of pairs within the contact threshold and
    a run of them is reported by its nearest alone
    (:func:`mvd_sim.contact.analysis._vessel_contacts`).

    Returns
    -------
    pair : (k,) int
        ``first * tubes + second`` of each pair's tubes; the pairs of tubes in row-major
        order of ``asked``, each one's by segment of the first tube.
    i, j : (k,) int
        Segment of the first tube and of the second (rows of the stack).
    s, t, gap : (k,) float
        As :func:`near_pairs`.
    """
    tubes = len(tube_runs) - 1
    pair = np.empty(64, np.intp)
    rows, values, count = np.empty((64, 2), np.intp), np.empty((64, 3)), 0
    near = np.empty(len(runs), np.intp)
    boxes = tube_boxes(runs, tube_runs)
    for ta in range(tubes):
        for tb in range(tubes):
            if not asked[ta, tb]:
                continue
            seed = -1     # the last segment's nearest of the second tube
            for ka in range(tube_runs[ta], tube_runs[ta + 1]):
                close = 0     # the runs of the second tube within the margin of this run
                if not _ball_box_apart(runs, ka, boxes, tb, margin):
                    for kb in range(tube_runs[tb], tube_runs[tb + 1]):
                        if not _apart(runs, ka, runs, kb, margin):
                            near[close] = kb
                            close += 1
                if close == 0:
                    seed = -1
                    continue
                for i in range(run_start[ka], run_start[ka + 1]):
                    bound, best_j, best_s, best_t, best = margin, -1, 0.0, 0.0, math.inf
                    if seed >= 0:
                        s, t, gap = _pair_gap(segments, i, segments, seed, margin)
                        if gap <= margin:
                            best_j, best_s, best_t, best = seed, s, t, gap
                            bound = min(margin, gap + _SLACK_MM)
                    for m in range(close):
                        kb = near[m]
                        if _apart(balls, i, runs, kb, bound):
                            continue
                        for j in range(run_start[kb], run_start[kb + 1]):
                            if j == seed or _segments_apart(segments, balls, i, segments, balls,
                                                            j, bound):
                                continue
                            s, t, gap = _pair_gap(segments, i, segments, j, margin)
                            if gap <= margin and (gap < best or (gap == best and j < best_j)):
                                best_j, best_s, best_t, best = j, s, t, gap
                                bound = min(margin, gap + _SLACK_MM)
                    seed = best_j
                    if best_j < 0:
                        continue
                    if count == len(rows):  # double the room (the copies are overwritten)
                        rows = np.concatenate((rows, rows))
                        values = np.concatenate((values, values))
                        pair = np.concatenate((pair, pair))
                    pair[count], rows[count, 0], rows[count, 1] = ta * tubes + tb, i, best_j
                    values[count, 0], values[count, 1], values[count, 2] = best_s, best_t, best
                    count += 1
    return (pair[:count].copy(), rows[:count, 0].copy(), rows[:count, 1].copy(),
            values[:count, 0].copy(), values[:count, 1].copy(), values[:count, 2].copy())


@compiled(_P, _P, _P, _IDX, INT, INT, _P, _P, _P, _IDX, INT, INT)
def _nearest_in(segments_a, balls_a, runs_a, run_start_a, first_a, stop_a,
                segments_b, balls_b, runs_b, run_start_b, first_b, stop_b):
    """Branch and bound for the segment pair of smallest surface gap between runs
    ``first_a:stop_a`` of a and ``first_b:stop_b`` of b: ``i, j, s, t, gap`` (mm).

    The search starts from the pair of segments with the lowest bound within the pair of
    runs whose centres are nearest; then every pair of runs whose bound does not exceed the
    best gap found is searched, skipping within it the segments that are surely farther
    apart (:func:`_segments_apart`). The first pair found wins a tie.
    """
    # start from the pair of runs whose centres are nearest, and within it from the pair of
    # segments with the lowest bound: its gap prunes the rest of the search from the start
    seed_a, seed_b, nearest = first_a, first_b, math.inf
    for ka in range(first_a, stop_a):
        for kb in range(first_b, stop_b):
            offset = _sub(_row(runs_a, ka), _row(runs_b, kb))
            if _dot(offset, offset) < nearest:
                seed_a, seed_b, nearest = ka, kb, _dot(offset, offset)
    best_i, best_j, lowest = 0, 0, math.inf
    for i in range(run_start_a[seed_a], run_start_a[seed_a + 1]):
        for j in range(run_start_b[seed_b], run_start_b[seed_b + 1]):
            low = _ball_gap(balls_a, i, balls_b, j)
            if low < lowest:
                best_i, best_j, lowest = i, j, low
    best_s, best_t, best = _pair_gap(segments_a, best_i, segments_b, best_j, math.inf)
    for visit in range(2):         # the seed's pair of runs, then every other one
        for ka in range(first_a, stop_a) if visit else range(seed_a, seed_a + 1):
            for kb in range(first_b, stop_b) if visit else range(seed_b, seed_b + 1):
                if visit and ((ka == seed_a and kb == seed_b)
                              or _apart(runs_a, ka, runs_b, kb, best)):
                    continue
                for i in range(run_start_a[ka], run_start_a[ka + 1]):
                    if _apart(balls_a, i, runs_b, kb, best):
                        continue
                    for j in range(run_start_b[kb], run_start_b[kb + 1]):
                        if _segments_apart(segments_a, balls_a, i, segments_b, balls_b, j,
                                           best):
                            continue
                        s, t, gap = _pair_gap(segments_a, i, segments_b, j, best)
                        if gap < best:
                            best_i, best_j, best_s, best_t, best = i, j, s, t, gap
    return best_i, best_j, best_s, best_t, best


@compiled(_P, _P, _P, _IDX, _P, _P, _P, _IDX)
def nearest_pair(segments_a, balls_a, runs_a, run_start_a,
                 segments_b, balls_b, runs_b, run_start_b):
    """The segment pair of tubes a and b (packed as in :func:`near_pairs`) with the smallest
    surface gap, exact: ``i, j, s, t, gap`` (mm) (:func:`_nearest_in`)."""
    return _nearest_in(segments_a, balls_a, runs_a, run_start_a, 0, len(runs_a),
                       segments_b, balls_b, runs_b, run_start_b, 0, len(runs_b))


@compiled(_P, _P, _P, _IDX, _IDX, _P, _P, _P, _IDX, _IDX)
def nearest_by_tube(segments_a, balls_a, runs_a, run_start_a, tube_runs_a,
                    segments_b, balls_b, runs_b, run_start_b, tube_runs_b):
    """The smallest surface gap (mm) between each tube of stack a and each of stack b,
    exact: (tubes of a, tubes of b). Tube ``k`` of a stack owns runs
    ``tube_runs[k]:tube_runs[k + 1]`` (:func:`_nearest_in` on each pair of tubes)."""
    gaps = np.empty((len(tube_runs_a) - 1, len(tube_runs_b) - 1))
    for ta in range(len(tube_runs_a) - 1):
        for tb in range(len(tube_runs_b) - 1):
            gaps[ta, tb] = _nearest_in(
                segments_a, balls_a, runs_a, run_start_a, tube_runs_a[ta], tube_runs_a[ta + 1],
                segments_b, balls_b, runs_b, run_start_b, tube_runs_b[tb],
                tube_runs_b[tb + 1])[4]
    return gaps


@compiled(VEC3, _P, _OUT)
def run_bounds(p, runs, ball_mm):
    """Lower bounds (mm) of the distance from ``p`` (a 3-tuple, mm) to each run of a
    polyline's segments (``runs`` from :func:`tube_segments` of the polyline with zero
    radius): ``ball_mm[b]``, the distance to run ``b``'s bounding ball (negative inside it).
    Returns the run whose ball is nearest."""
    first = 0
    for b in range(len(runs)):
        ball_mm[b] = _norm(_sub(p, _row(runs, b))) - runs[b, 3]
        if ball_mm[b] < ball_mm[first]:
            first = b
    return first


@compiled(VEC3, _P, _P, _P, _IDX, _OUT)
def nearest_on_polyline(p, start, end, runs, run_start, ball_mm):
    """Nearest segment of a polyline to ``p`` (a 3-tuple, mm) and the parameter of the foot
    point on it: ``(index, u)``.

    ``start``, ``end`` (n - 1, 3) are the segments' end points, ``runs`` and ``run_start``
    their runs of :data:`BLOCK` (:func:`tube_segments` of the polyline with zero radius);
    ``ball_mm`` (len(runs),) is scratch space. The run whose bounding ball is nearest is
    searched first, then every other run whose ball is no farther than the nearest segment
    found. The first segment found wins a tie (as at a shared vertex).
    """
    return nearest_in_runs(p, start, end, run_start, ball_mm,
                           run_bounds(p, runs, ball_mm))


@compiled(VEC3, _P, _P, _IDX, _V, INT)
def nearest_in_runs(p, start, end, run_start, ball_mm, first):
    """:func:`nearest_on_polyline` given the runs' bounds ``ball_mm`` and the nearest run
    ``first`` (:func:`run_bounds`)."""
    best2, best_i, best_u = math.inf, 0, 0.0
    for visit in range(len(ball_mm) + 1):
        b = first if visit == 0 else visit - 1
        if (visit > 0 and b == first) or (ball_mm[b] > 0.0
                                          and ball_mm[b] * ball_mm[b] > best2):
            continue
        for i in range(run_start[b], run_start[b + 1]):
            s0 = _row(start, i)
            d = _sub(_row(end, i), s0)
            ui = _point_segment(p, s0, d)
            rel = _sub(p, _axpy(ui, d, s0))
            d2 = _dot(rel, rel)
            if d2 < best2:
                best2, best_i, best_u = d2, i, ui
    return best_i, best_u


@compiled(_P, _P)
def point_polyline(points, polyline):
    """Closest point of the polyline (n, 3), ``n >= 2``, to each of ``points`` (m, 3), mm
    (:func:`nearest_on_polyline`).

    Returns
    -------
    dist : (m,) float, mm
    seg_index : (m,) int
    u : (m,) float in [0, 1]
    closest : (m, 3) float, mm
    """
    start, end = polyline[:-1], polyline[1:]
    bounds = tube_segments(polyline, np.zeros(len(polyline)))
    runs, run_start = bounds[4], bounds[5]
    m = len(points)
    dist, seg_index, u, closest = np.empty(m), np.empty(m, np.intp), np.empty(m), \
        np.empty((m, 3))
    ball_mm = np.empty(len(runs))
    for k in range(m):
        p = _row(points, k)
        best_i, best_u = nearest_on_polyline(p, start, end, runs, run_start, ball_mm)
        s0 = _row(start, best_i)
        foot = _axpy(best_u, _sub(_row(end, best_i), s0), s0)
        for c in range(3):
            closest[k, c] = foot[c]
        dist[k], seg_index[k], u[k] = _norm(_sub(p, foot)), best_i, best_u
    return dist, seg_index, u, closest
