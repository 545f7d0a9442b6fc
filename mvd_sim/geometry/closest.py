"""Exact closest points between segments, polylines and tubes (pure numpy / scipy).

A tube is a polyline centerline ``(n, 3)`` with a per-point radius ``(n,)``; along segment
``i`` the radius is interpolated linearly, ``r(u) = r_i + u (r_{i+1} - r_i)`` for the local
parameter ``u`` in [0, 1]. The *surface gap* between two tubes at centreline points ``A`` and
``B`` is ``|A - B| - r_a - r_b`` (negative = overlap depth). Everything is in mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from mvd_sim._typing import Points, Radii
from mvd_sim.constants import TOL
from mvd_sim.geometry import curve
from mvd_sim.geometry.vec import cross, dot, norm, unit_clip

__all__ = ["segment_segment", "point_segment", "point_polyline", "SegmentSet",
           "PolylinePairs", "polyline_pairs", "ClosestApproach", "closest_approach",
           "segment_min_gap"]

#: Segments with ``sin^2`` of their angle below this are treated as parallel.
_PARALLEL_SIN2 = 1e-20
#: Largest temporary array (entries) :func:`point_polyline` allocates per chunk.
_CHUNK_ENTRIES = 4_000_000


def _lerp(values: np.ndarray, i: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``values[i] + u (values[i + 1] - values[i])`` for (n,) or (n, 3) ``values``."""
    u = u.reshape(u.shape + (1,) * (values.ndim - 1))
    start = np.take(values, i, axis=0)
    return start + u * (np.take(values, i + 1, axis=0) - start)


def segment_segment(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray,
                    q1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact closest points between batches of segments ``P(s) = p0 + s (p1 - p0)`` and
    ``Q(t) = q0 + t (q1 - q0)``, ``s, t`` in [0, 1].

    Clamped closest-point algorithm of Ericson, *Real-Time Collision Detection* (2005),
    section 5.1.9: the unclamped line-line parameter ``s`` is clamped to [0, 1], ``t`` is the
    optimum for that ``s``, and if ``t`` must be clamped ``s`` is recomputed for the clamped
    ``t``. The line-line parameter is evaluated in the cross-product form
    ``s = (d1 x d2) . (d2 x r) / |d1 x d2|^2``, which avoids the cancellation of
    ``a e - b^2`` for nearly parallel segments. Parallel segments (``sin^2`` of their angle
    below ``1e-20``) start from ``s = 0``, which still yields a closest pair; segments shorter
    than ``TOL.zero_segment_mm`` are treated as points.

    Parameters
    ----------
    p0, p1, q0, q1 : (..., 3) float, mm
        Segment end points; broadcast against each other.

    Returns
    -------
    s, t : (...,) float in [0, 1]
        Parameters of the closest points on ``P`` and ``Q``.
    dist : (...,) float, mm
        ``|P(s) - Q(t)|``.
    """
    p0, p1, q0, q1 = (np.asarray(x, dtype=float) for x in (p0, p1, q0, q1))
    if not p0.shape == p1.shape == q0.shape == q1.shape:
        p0, p1, q0, q1 = np.broadcast_arrays(p0, p1, q0, q1)
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e, b, c = dot(d1, d1), dot(d2, d2), dot(d1, d2), dot(d1, r)
    normal = cross(d1, d2)
    denom = dot(normal, normal)
    p_point = a <= TOL.zero_segment_mm ** 2
    q_point = e <= TOL.zero_segment_mm ** 2
    parallel = denom <= _PARALLEL_SIN2 * a * e
    s = np.where(parallel | p_point, 0.0,
                 unit_clip(dot(normal, cross(d2, r)) / np.where(parallel, 1.0, denom)))
    t = np.where(q_point, 0.0, (b * s + dot(d2, r)) / np.where(q_point, 1.0, e))
    t_clamped = unit_clip(t)
    redo = ((t != t_clamped) | q_point) & ~p_point
    s = np.where(redo, unit_clip((b * t_clamped - c) / np.where(p_point, 1.0, a)), s)
    dist = norm(r + s[..., None] * d1 - t_clamped[..., None] * d2)
    return s, t_clamped, dist


def point_segment(x: np.ndarray, s0: np.ndarray, s1: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest point on each segment ``s0 s1`` to the matching point of ``x`` (all (n, 3),
    mm; a zero-length segment is its start point).

    Returns
    -------
    u : (n,) float in [0, 1]
        Local parameter of the closest point.
    dist : (n,) float, mm
    normal : (n, 3) float
        Unit vector from the closest point to ``x``.
    """
    d = s1 - s0
    dd = dot(d, d)
    u = unit_clip(dot(x - s0, d) / np.where(dd > 0, dd, 1.0))
    rel = x - (s0 + u[:, None] * d)
    dist = norm(rel)
    normal = rel / np.maximum(dist, 1e-12)[:, None]
    return u, dist, normal


def point_polyline(points: Points, polyline: Points
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closest point of a polyline to each query point.

    Vectorised over all point-segment pairs in chunks of points, so that no temporary
    exceeds about four million entries. The squared distance to every segment is expanded
    into dot products, ``|p - s - u d|^2 = |p - s|^2 - 2 u (p - s).d + u^2 |d|^2``, so
    that the point-segment products are two matrix products (BLAS) instead of (m, n, 3)
    temporaries; coordinates are first centred on the polyline. The expansion's rounding,
    about ``R sqrt(eps)`` in distance (``R`` the polyline's extent: ~1e-7 mm here), only
    decides between segments that close to equally near; the returned distance is measured
    directly from the closest point on the chosen one.

    Parameters
    ----------
    points : (m, 3) float, mm
    polyline : (n, 3) float, mm, ``n >= 2``

    Returns
    -------
    dist : (m,) float, mm
    seg_index : (m,) int
        Closest segment, ``0 <= seg_index <= n - 2`` (on a tie, as at a shared vertex,
        either one).
    u : (m,) float in [0, 1]
        Local parameter on that segment.
    closest : (m, 3) float, mm
    """
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    polyline = np.asarray(polyline, dtype=float)
    centre = np.add.reduce(polyline, axis=0) / len(polyline)   # the mean, without its wrapper
    start, delta = polyline[:-1] - centre, np.diff(polyline, axis=0)
    length2 = dot(delta, delta)
    inv_length2 = np.divide(1.0, length2, out=np.zeros_like(length2),
                            where=length2 > TOL.zero_segment_mm ** 2)
    start_delta, start2 = dot(start, delta), dot(start, start)
    seg_index = np.empty(len(points), dtype=np.intp)
    u = np.empty(len(points))
    chunk = max(1, _CHUNK_ENTRIES // (3 * len(delta)))
    for lo in range(0, len(points), chunk):
        p = points[lo:lo + chunk] - centre
        along = p @ delta.T - start_delta                    # (p - s).d
        uu = unit_clip(along * inv_length2)
        squared = (dot(p, p)[:, None] - 2.0 * (p @ start.T) + start2
                   - uu * (2.0 * along - uu * length2))
        best = np.argmin(squared, axis=1)
        seg_index[lo:lo + chunk] = best
        u[lo:lo + chunk] = uu[np.arange(len(best)), best]
    closest = _lerp(polyline, seg_index, u)
    return norm(points - closest), seg_index, u, closest


@dataclass(frozen=True, eq=False)
class PolylinePairs:
    """Segment pairs of two tubes whose surface gap is within a margin.

    Attributes
    ----------
    i, j : (k,) int
        Segment of polyline ``a`` and of polyline ``b``.
    s, t : (k,) float in [0, 1]
        Local parameters, on segments ``i`` and ``j``, of the pair's minimum surface gap
        (the closest centreline points unless a segment tapers).
    centre_distance : (k,) float, mm
        Distance between those points.
    gap : (k,) float, mm
        ``centre_distance - r_a(s) - r_b(t)``, the pair's minimum; negative is an overlap.
    point_a, point_b : (k, 3) float, mm
        The centreline points at ``s`` and ``t``.
    """

    i: np.ndarray
    j: np.ndarray
    s: np.ndarray
    t: np.ndarray
    centre_distance: np.ndarray
    gap: np.ndarray
    point_a: np.ndarray
    point_b: np.ndarray


@dataclass(frozen=True, eq=False)
class ClosestApproach:
    """Minimum surface gap between two tubes.

    Attributes
    ----------
    gap : float, mm
        Minimum of ``|A - B| - r_a - r_b``; negative = overlap depth.
    centre_distance : float, mm
        ``|point_a - point_b|``.
    arc_a, arc_b : float, mm
        Arc length of ``point_a`` along ``a`` and of ``point_b`` along ``b`` from their first
        points.
    point_a, point_b : (3,) float, mm
        Centreline points where the minimum is reached.
    """

    gap: float
    centre_distance: float
    arc_a: float
    arc_b: float
    point_a: np.ndarray
    point_b: np.ndarray


def _tube(points: Points, radius: Radii | float) -> tuple[np.ndarray, np.ndarray]:
    points = np.asarray(points, dtype=float)
    return points, np.broadcast_to(np.asarray(radius, dtype=float), (len(points),))


@dataclass(frozen=True, eq=False)
class SegmentSet:
    """A tube's segments, with a k-d tree over their midpoints and a bounding box.

    Build it once per tube (:meth:`of`) and query it against many others.

    Attributes
    ----------
    start, end : (k, 3) float, mm
        Segment end points.
    r0, r1 : (k,) float, mm
        Radius at each end.
    half : (k,) float, mm
        Half-lengths.
    arc0 : (k,) float, mm
        Arc length of each segment's start along the polyline.
    tree : cKDTree
        Over the segment midpoints.
    reach : float, mm
        Longest half-length plus largest radius.
    box : (2, 3) float, mm
        Bounding box of the tube(s) (centerlines grown by the largest radius).
    owner : (k,) int
        Which tube each segment belongs to (0 for a single tube; see :meth:`stack`).
    local : (k,) int
        Index of each segment within its tube.
    """

    start: np.ndarray
    end: np.ndarray
    r0: np.ndarray
    r1: np.ndarray
    half: np.ndarray
    arc0: np.ndarray
    tree: cKDTree
    reach: float
    box: np.ndarray
    owner: np.ndarray
    local: np.ndarray

    @classmethod
    def stack(cls, sets: list[SegmentSet]) -> SegmentSet:
        """Several tubes' segments in one set (one k-d tree), ``owner`` = position in
        ``sets``."""
        def cat(name):
            return np.concatenate([getattr(s, name) for s in sets])
        start, end = cat("start"), cat("end")
        boxes = np.stack([s.box for s in sets])
        return cls(start, end, cat("r0"), cat("r1"), cat("half"), cat("arc0"),
                   cKDTree(0.5 * (start + end)), max(s.reach for s in sets),
                   np.stack([boxes[:, 0].min(axis=0), boxes[:, 1].max(axis=0)]),
                   np.concatenate([np.full(len(s.start), k) for k, s in enumerate(sets)]),
                   cat("local"))

    @classmethod
    def of(cls, points: Points, radius: Radii | float) -> SegmentSet:
        """Segments of the tube with centerline ``points`` (n, 3) and ``radius`` (n,) mm."""
        points, radius = _tube(points, radius)
        start, end = points[:-1], points[1:]
        half = 0.5 * np.linalg.norm(end - start, axis=1)
        grow = float(radius.max())
        box = np.stack([points.min(axis=0) - grow, points.max(axis=0) + grow])
        return cls(start, end, radius[:-1], radius[1:], half, curve.arc_length(points)[:-1],
                   cKDTree(0.5 * (start + end)), float(half.max()) + grow, box,
                   np.zeros(len(start), dtype=np.intp), np.arange(len(start)))

    def point(self, row: np.ndarray | int, u: np.ndarray | float) -> np.ndarray:
        """Centerline point(s) at local parameter ``u`` of segment(s) ``row``."""
        u = np.asarray(u, dtype=float)
        return self.start[row] + u[..., None] * (self.end[row] - self.start[row])

    def near_pairs(self, other: SegmentSet, margin: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segment pairs whose exact minimum surface gap is at most ``margin``.

        Pairs are pruned by the bounding boxes, a ball query on the midpoint trees and the
        bound ``|mid_a - mid_b| - half_a - half_b - max r_a - max r_b``, then solved exactly:
        by the closest centerline points (:func:`segment_segment`) where neither segment
        tapers, by :func:`segment_min_gap` where one does (only if the closest-point gap
        minus the radius change along both could still be within the margin).

        Returns
        -------
        a, b : (k,) int
            Rows of self and of other (in no particular order).
        s, t : (k,) float in [0, 1]
            Local parameters of the minimum gap.
        gap : (k,) float, mm
        """
        empty = (np.empty(0, np.intp),) * 2 + (np.empty(0),) * 3
        if (self.box[0] - margin > other.box[1]).any() or \
                (other.box[0] - margin > self.box[1]).any():
            return empty
        pairs = self.tree.sparse_distance_matrix(other.tree, margin + self.reach + other.reach,
                                                 output_type="ndarray")
        a, b = pairs["i"].astype(np.intp), pairs["j"].astype(np.intp)
        bound = (pairs["v"] - (self.half + np.maximum(self.r0, self.r1))[a]
                 - (other.half + np.maximum(other.r0, other.r1))[b])
        a, b = a[bound <= margin], b[bound <= margin]
        if len(a) == 0:
            return empty
        a0, a1 = np.take(self.start, a, axis=0), np.take(self.end, a, axis=0)
        b0, b1 = np.take(other.start, b, axis=0), np.take(other.end, b, axis=0)
        ra0, ra1, rb0, rb1 = self.r0[a], self.r1[a], other.r0[b], other.r1[b]
        taper_a, taper_b = ra1 - ra0, rb1 - rb0
        s, t, dist = segment_segment(a0, a1, b0, b1)
        gap = dist - (ra0 + s * taper_a) - (rb0 + t * taper_b)
        slack = np.abs(taper_a) + np.abs(taper_b)
        keep = np.flatnonzero(gap - slack <= margin)
        a, b, s, t, gap = a[keep], b[keep], s[keep], t[keep], gap[keep]
        tapered = np.flatnonzero(slack[keep] > 0)
        if len(tapered):
            x = keep[tapered]
            s[tapered], t[tapered], gap[tapered] = segment_min_gap(
                a0[x], a1[x], ra0[x], ra1[x], b0[x], b1[x], rb0[x], rb1[x])
        keep = gap <= margin
        return a[keep], b[keep], s[keep], t[keep], gap[keep]


def polyline_pairs(a: Points, b: Points, radius_a: Radii | float, radius_b: Radii | float,
                   margin: float) -> PolylinePairs:
    """All segment pairs of tubes ``a`` and ``b`` whose surface gap is at most ``margin``.

    See :meth:`SegmentSet.near_pairs`; the gap of each pair is its exact minimum, tapering
    radii included.

    Parameters
    ----------
    a : (n, 3) float, mm, ``n >= 2``
    b : (m, 3) float, mm, ``m >= 2``
    radius_a : (n,) float, mm
    radius_b : (m,) float, mm
        Radii at the points (a scalar means a uniform tube).
    margin : float, mm

    Returns
    -------
    PolylinePairs
        ``k`` pairs (possibly none) with ``gap <= margin``, ordered by ``i`` then ``j``.
    """
    set_a, set_b = SegmentSet.of(a, radius_a), SegmentSet.of(b, radius_b)
    i, j, s, t, gap = set_a.near_pairs(set_b, margin)
    order = np.lexsort((j, i))
    i, j, s, t, gap = i[order], j[order], s[order], t[order], gap[order]
    point_a, point_b = set_a.point(i, s), set_b.point(j, t)
    return PolylinePairs(i, j, s, t, np.linalg.norm(point_a - point_b, axis=1), gap,
                         point_a, point_b)


def _edge_argmin(w0: np.ndarray, d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Exact minimiser over ``u`` in [0, 1] of the convex ``|w0 + u d| - k u``.

    With ``u_p`` the projection, ``h`` the distance to the line and ``kappa = k / |d|``, the
    unconstrained minimum is at ``u_p + kappa h / (|d| sqrt(1 - kappa^2))`` when
    ``|kappa| < 1``, and at ``+-infinity`` otherwise; it is then clamped to [0, 1].

    Parameters
    ----------
    w0, d : (k, 3) float, mm
    k : (k,) float

    Returns
    -------
    (k,) float in [0, 1]
    """
    length = np.maximum(norm(d), TOL.zero_segment_mm)
    u_p = -dot(w0, d) / length ** 2
    h = norm(w0 + u_p[:, None] * d)
    kappa = k / length
    slack = 1.0 - kappa * kappa
    shift = np.where(slack > 0, kappa * h / np.sqrt(np.where(slack > 0, slack, 1.0)),
                     np.copysign(np.inf, kappa))
    return unit_clip(u_p + shift / length)


def _stationary_point(w0: np.ndarray, da: np.ndarray, db: np.ndarray, alpha: np.ndarray,
                      beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stationary point of ``|w0 + s da - t db| - alpha s - beta t`` over all ``(s, t)``.

    Write ``w = h n + v`` with ``n`` the unit common normal and ``v`` in the plane of ``da``
    and ``db``. Stationarity says ``c = v / |w|`` satisfies ``c . da = alpha`` and
    ``c . db = -beta``, a 2 x 2 Gram system; then ``|w| = |h| / sqrt(1 - |c|^2)`` and
    ``(s, t)`` follow from the closest points of the two lines.

    Returns
    -------
    s, t : (k,) float
        Unclamped parameters.
    valid : (k,) bool
        False for parallel segments or ``|c| >= 1`` (no stationary point).
    """
    normal = cross(da, db)
    nn = dot(normal, normal)
    a11, a12, a22 = dot(da, da), dot(da, db), dot(db, db)
    valid = nn > _PARALLEL_SIN2 * a11 * a22
    nn = np.where(valid, nn, 1.0)
    x = (a22 * alpha + a12 * beta) / nn
    y = -(a12 * alpha + a11 * beta) / nn
    c2 = x * alpha - y * beta
    valid &= c2 < 1.0
    rho = np.abs(dot(w0, normal)) / np.sqrt(nn * np.where(valid, 1.0 - c2, 1.0))
    s_line = dot(normal, cross(db, w0)) / nn
    t_line = dot(normal, cross(da, w0)) / nn
    return s_line + x * rho, t_line - y * rho, valid


def _min_gap_params(w0: np.ndarray, da: np.ndarray, db: np.ndarray, alpha: np.ndarray,
                    beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact minimiser of ``g(s, t) = |w0 + s da - t db| - alpha s - beta t`` on [0, 1]^2.

    For segment pairs ``A(s) = a0 + s da``, ``B(t) = b0 + t db`` with radii changing by
    ``alpha`` and ``beta`` along them, ``w0 = a0 - b0`` and ``g`` is their surface gap less
    the start radii. ``g`` is convex on [0, 1]^2 (a norm of an affine map minus a linear
    function), so its minimum is the stationary point when that lies in the square, and
    otherwise lies on one of the four edges, each a one-dimensional problem with a
    closed-form solution (:func:`_edge_argmin`); for those pairs the four edge minima are
    compared.

    Parameters
    ----------
    w0, da, db : (k, 3) float, mm
    alpha, beta : (k,) float, mm

    Returns
    -------
    s, t : (k,) float in [0, 1]
    """
    s_in, t_in, valid = _stationary_point(w0, da, db, alpha, beta)
    # a stationary point inside the square is the minimum (g is convex): only the other
    # pairs need the four edges
    inside = valid & (s_in >= 0.0) & (s_in <= 1.0) & (t_in >= 0.0) & (t_in <= 1.0)
    e = np.flatnonzero(~inside)
    if len(e) == 0:
        return s_in, t_in
    w0, da, db, alpha, beta = w0[e], da[e], db[e], alpha[e], beta[e]
    m = len(e)
    # the edges s = 0, s = 1 (t free), t = 0, t = 1 (s free), solved as one batch
    free = _edge_argmin(np.concatenate([w0, w0 + da, w0, w0 - db]),
                       np.concatenate([-db, -db, da, da]),
                       np.concatenate([beta, beta, alpha, alpha])).reshape(4, m)
    zero, one = np.zeros(m), np.ones(m)
    s = np.stack([zero, one, free[2], free[3]])
    t = np.stack([free[0], free[1], zero, one])
    g = norm(w0 + s[..., None] * da - t[..., None] * db) - alpha * s - beta * t
    best = np.argmin(g, axis=0)
    k = np.arange(m)
    s_out, t_out = s_in.copy(), t_in.copy()
    s_out[e], t_out[e] = s[best, k], t[best, k]
    return s_out, t_out


def segment_min_gap(a0: np.ndarray, a1: np.ndarray, ra0: np.ndarray, ra1: np.ndarray,
                    b0: np.ndarray, b1: np.ndarray, rb0: np.ndarray, rb1: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact minimum surface gap of each pair of tapered tube segments.

    Segment ``k`` of tube a runs from ``a0[k]`` (radius ``ra0[k]``) to ``a1[k]`` (radius
    ``ra1[k]``), likewise for b; the minimum of ``|A(s) - B(t)| - r_a(s) - r_b(t)`` over
    ``[0, 1]^2`` is found exactly as in :func:`closest_approach`.

    Parameters
    ----------
    a0, a1, b0, b1 : (k, 3) float, mm
    ra0, ra1, rb0, rb1 : (k,) float, mm

    Returns
    -------
    s, t : (k,) float in [0, 1]
        Local parameters of the minimum on each segment.
    gap : (k,) float, mm
    """
    w0, da, db, alpha, beta = a0 - b0, a1 - a0, b1 - b0, ra1 - ra0, rb1 - rb0
    s, t = _min_gap_params(w0, da, db, alpha, beta)
    gap = norm(w0 + s[:, None] * da - t[:, None] * db) - (ra0 + s * alpha) - (rb0 + t * beta)
    return s, t, gap


def closest_approach(a: Points, b: Points, radius_a: Radii | float,
                     radius_b: Radii | float) -> ClosestApproach:
    """Global minimum surface gap between tubes ``a`` and ``b``, exact on the polylines.

    1. Each segment of ``a`` is paired with the segment of ``b`` with the nearest midpoint
       (KD-tree); the smallest gap at the closest centreline points of these pairs is an
       upper bound on the answer.
    2. Every pair that could come within that bound is found and solved exactly by
       :meth:`SegmentSet.near_pairs` (with variable radius the minimum need not be at the
       closest centreline points). The smallest gap wins.

    Parameters
    ----------
    a : (n, 3) float, mm, ``n >= 2``
    b : (m, 3) float, mm, ``m >= 2``
    radius_a : (n,) float, mm
    radius_b : (m,) float, mm
        Radii at the points (a scalar means a uniform tube).

    Returns
    -------
    ClosestApproach
    """
    set_a, set_b = SegmentSet.of(a, radius_a), SegmentSet.of(b, radius_b)
    i = np.arange(len(set_a.start))
    j = set_b.tree.query(set_a.tree.data, k=1)[1]
    s, t, dist = segment_segment(set_a.start[i], set_a.end[i], set_b.start[j], set_b.end[j])
    bound = float(np.min(dist - (set_a.r0[i] + s * (set_a.r1[i] - set_a.r0[i]))
                         - (set_b.r0[j] + t * (set_b.r1[j] - set_b.r0[j])))) + TOL.length_mm

    i, j, s, t, gap = set_a.near_pairs(set_b, bound)
    k = int(np.argmin(gap))
    point_a, point_b = set_a.point(i[k], s[k]), set_b.point(j[k], t[k])
    return ClosestApproach(
        gap=float(gap[k]), centre_distance=float(np.linalg.norm(point_a - point_b)),
        arc_a=float(set_a.arc0[i[k]] + 2 * s[k] * set_a.half[i[k]]),
        arc_b=float(set_b.arc0[j[k]] + 2 * t[k] * set_b.half[j[k]]),
        point_a=point_a, point_b=point_b)
