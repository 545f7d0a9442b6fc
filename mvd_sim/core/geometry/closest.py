"""Exact closest points between segments, polylines and tubes.

A tube is a polyline centerline ``(n, 3)`` with a per-point radius ``(n,)``; along segment
``i`` the radius is interpolated linearly, ``r(u) = r_i + u (r_{i+1} - r_i)`` for the local
parameter ``u`` in [0, 1]. The *surface gap* between two tubes at centreline points ``A`` and
``B`` is ``|A - B| - r_a - r_b`` (negative = overlap depth). Everything is in mm.

The functions here take and return numpy arrays; the geometry itself runs in the compiled
kernels of :mod:`mvd_sim.core.geometry.closest_kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from mvd_sim.core._typing import Points, Radii
from mvd_sim.core.geometry import closest_kernels as kernels

__all__ = ["segment_segment", "point_segment", "point_polyline", "SegmentSet",
           "PolylinePairs", "polyline_pairs", "ClosestApproach", "closest_approach",
           "closest_between", "segment_min_gap"]


def _polyline(points: Points) -> np.ndarray:
    """``points`` as a contiguous (n, 3) float array, ``n >= 2`` (the kernels read past the
    end of anything shorter)."""
    points = np.ascontiguousarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) < 2:
        raise ValueError(f"a polyline needs (n >= 2, 3) points, got shape {points.shape}")
    return points


def _point_rows(*arrays: Points) -> tuple[np.ndarray, ...]:
    """Point arrays (..., 3) broadcast against each other, as contiguous (k, 3) rows."""
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in arrays))
    return tuple(np.ascontiguousarray(x.reshape(-1, 3)) for x in arrays)


def segment_segment(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray,
                    q1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact closest points between batches of segments ``P(s) = p0 + s (p1 - p0)`` and
    ``Q(t) = q0 + t (q1 - q0)``, ``s, t`` in [0, 1].

    Clamped closest-point algorithm of Ericson, *Real-Time Collision Detection* (2005),
    section 5.1.9, in the cross-product form that keeps nearly parallel segments accurate
    (:func:`mvd_sim.core.geometry.closest_kernels._closest_params`); parallel segments start
    from ``s = 0``, which still yields a closest pair; segments shorter than 1e-9 mm are
    treated as points.

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
    shape = np.broadcast_shapes(*(np.shape(x) for x in (p0, p1, q0, q1)))[:-1]
    # [()] makes the results of a single pair numpy scalars, as numpy's reductions do
    return tuple(x.reshape(shape)[()]
                 for x in kernels.segment_pairs(*_point_rows(p0, p1, q0, q1)))


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
    return kernels.point_segments(*_point_rows(x, s0, s1))


def point_polyline(points: Points, polyline: Points
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closest point of a polyline to each query point, exact
    (:func:`mvd_sim.core.geometry.closest_kernels.point_polyline`: runs of segments whose
    bounding ball lies beyond the nearest segment found are skipped).

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
    points = np.ascontiguousarray(points, dtype=float).reshape(-1, 3)
    return kernels.point_polyline(points, _polyline(polyline))


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


@dataclass(frozen=True, eq=False)
class SegmentSet:
    """A tube's segments, with bounding balls and a bounding box.

    Build it once per tube (:meth:`of`) and query it against many others.

    Attributes
    ----------
    segments : (k, 8) float, mm
        Rows of start point, end point and the radius at each.
    half : (k,) float, mm
        Half-lengths.
    arc0 : (k,) float, mm
        Arc length of each segment's start along the polyline.
    balls, runs, run_start : arrays
        Bounding balls of each segment and of runs of consecutive segments
        (:func:`mvd_sim.core.geometry.closest_kernels.tube_segments`); a run never spans two
        tubes.
    tube_runs : (tubes + 1,) int
        Tube ``k`` owns runs ``tube_runs[k]:tube_runs[k + 1]``.
    box : (2, 3) float, mm
        Bounding box of the tube(s) (centerlines grown by the largest radius).
    owner : (k,) int
        Which tube each segment belongs to (0 for a single tube; see :meth:`stack`).
    local : (k,) int
        Index of each segment within its tube.
    """

    segments: np.ndarray
    half: np.ndarray
    arc0: np.ndarray
    balls: np.ndarray
    runs: np.ndarray
    run_start: np.ndarray
    tube_runs: np.ndarray
    box: np.ndarray
    owner: np.ndarray
    local: np.ndarray

    @property
    def start(self) -> np.ndarray:
        """(k, 3) float, mm: segment start points."""
        return self.segments[:, 0:3]

    @property
    def end(self) -> np.ndarray:
        """(k, 3) float, mm: segment end points."""
        return self.segments[:, 3:6]

    @property
    def r0(self) -> np.ndarray:
        """(k,) float, mm: radius at each start."""
        return self.segments[:, 6]

    @property
    def r1(self) -> np.ndarray:
        """(k,) float, mm: radius at each end."""
        return self.segments[:, 7]

    @classmethod
    def stack(cls, sets: list[SegmentSet]) -> SegmentSet:
        """Several tubes' segments in one set, ``owner`` = position in ``sets`` (the counts
        and offsets in Python integers, the boxes' bounds in one reduction each: a stack of
        four tubes 85 -> 60 us)."""
        def cat(name):
            return np.concatenate([getattr(s, name) for s in sets])
        counts = [len(s.segments) for s in sets]
        offsets = list(accumulate(counts, initial=0))
        run_start = np.concatenate([s.run_start[:-1] + o for s, o in zip(sets, offsets)]
                                   + [np.array(offsets[-1:], dtype=np.intp)])
        tube_runs = np.array(list(accumulate((len(s.runs) for s in sets), initial=0)),
                             dtype=np.intp)
        box = np.array([np.minimum.reduce([s.box[0] for s in sets]),
                        np.maximum.reduce([s.box[1] for s in sets])])
        return cls(cat("segments"), cat("half"), cat("arc0"), cat("balls"), cat("runs"),
                   run_start, tube_runs, box, np.repeat(np.arange(len(sets)), counts),
                   cat("local"))

    @classmethod
    def of(cls, points: Points, radius: Radii | float) -> SegmentSet:
        """Segments of the tube with centerline ``points`` (n, 3) and ``radius`` (n,) mm."""
        points = _polyline(points)
        radius = np.asarray(radius, dtype=float)
        if radius.shape != (len(points),):   # a scalar (a tube's radii are (n,) already)
            radius = np.broadcast_to(radius, (len(points),))
        radius = np.ascontiguousarray(radius)
        segments, half, arc0, balls, runs, run_start, box = kernels.tube_segments(points,
                                                                                  radius)
        return cls(segments, half, arc0, balls, runs, run_start,
                   np.array([0, len(runs)], dtype=np.intp), box,
                   np.zeros(len(segments), dtype=np.intp), np.arange(len(segments)))

    def mirrored_x(self) -> SegmentSet:
        """The set of the tubes mirrored through the plane ``x = 0``: :meth:`of` and
        :meth:`stack` of the mirrored tubes, to the bit, without the search.

        Every number in a set is the tubes' coordinates added, subtracted, halved, squared or
        compared, so mirroring negates the x column of the points, balls and runs (IEEE
        rounding is symmetric in sign, and a sum of squares does not see it) and swaps the
        box's x bounds; lengths, radii and indices are kept.
        """
        def negated_x(array: np.ndarray, columns: tuple[int, ...]) -> np.ndarray:
            out = array.copy()
            out[:, columns] = -out[:, columns]
            return out
        box = self.box.copy()
        box[:, 0] = -self.box[::-1, 0]
        return SegmentSet(negated_x(self.segments, (0, 3)), self.half, self.arc0,
                          negated_x(self.balls, (0,)), negated_x(self.runs, (0,)),
                          self.run_start, self.tube_runs, box, self.owner, self.local)

    def point(self, row: np.ndarray | int, u: np.ndarray | float) -> np.ndarray:
        """Centerline point(s) at local parameter ``u`` of segment(s) ``row``."""
        u = np.asarray(u, dtype=float)
        return self.start[row] + u[..., None] * (self.end[row] - self.start[row])

    def near_pairs(self, other: SegmentSet, margin: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segment pairs whose exact minimum surface gap is at most ``margin``.

        Pruned by the bounding boxes, then by the bounding balls of runs of segments and of
        single segments (:func:`mvd_sim.core.geometry.closest_kernels.near_pairs`); each pair
        left is solved at its closest centerline points, and exactly for tapered radii
        where that could bring it within the margin.

        Returns
        -------
        a, b : (k,) int
            Rows of self and of other (in no particular order).
        s, t : (k,) float in [0, 1]
            Local parameters of the minimum gap.
        gap : (k,) float, mm
        """
        if (self.box[0] - margin > other.box[1]).any() or \
                (other.box[0] - margin > self.box[1]).any():
            return (np.empty(0, np.intp),) * 2 + (np.empty(0),) * 3
        return kernels.near_pairs(*self._searched(), *other._searched(), float(margin))

    def self_near_pairs(self, margin: float, apart_mm: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`near_pairs` of a single tube's set (built by :meth:`of`) against itself,
        less the pairs whose every two points lie within ``apart_mm`` (mm) of arc of each
        other, which are not searched
        (:func:`mvd_sim.core.geometry.closest_kernels.self_near_pairs`): the same pairs, in
        the same order, as :meth:`near_pairs` gives once those are dropped."""
        return kernels.self_near_pairs(*self._searched(), self.arc0, self.half, float(margin),
                                       float(apart_mm))

    def nearest_near_pairs_by_tube(self, asked: np.ndarray, margin: float
                                   ) -> tuple[np.ndarray, ...]:
        """For each pair of tubes of this stack that ``asked`` ((tubes, tubes) bool) names,
        each segment of the first tube within ``margin`` of the second: its pair of least
        gap among :meth:`near_pairs` between the two (the first on a tie), in one call
        (:func:`mvd_sim.core.geometry.closest_kernels.nearest_near_pairs_by_tube`).

        Returns
        -------
        pair : (k,) int
            ``first * tubes + second`` of each pair's tubes, in row-major order of
            ``asked``.
        a, b : (k,) int
            Rows of this stack (of the first tube, ascending within each pair of tubes; of
            the second).
        s, t, gap : (k,) float
        """
        return kernels.nearest_near_pairs_by_tube(*self._searched(), self.tube_runs,
                                                  np.ascontiguousarray(asked, dtype=bool),
                                                  float(margin))

    def nearest_pair(self, other: SegmentSet) -> tuple[int, int, float, float, float]:
        """The segment pair with the smallest surface gap between two single tubes (sets
        built by :meth:`of`): rows of self and of other, their local parameters and the
        gap (mm), exact (:func:`mvd_sim.core.geometry.closest_kernels.nearest_pair`)."""
        return kernels.nearest_pair(*self._searched(), *other._searched())

    def nearest_by_tube(self, other: SegmentSet) -> np.ndarray:
        """(tubes of self, tubes of other) float, mm: the smallest surface gap between each
        tube of this stack and each of the other, exact
        (:func:`mvd_sim.core.geometry.closest_kernels.nearest_by_tube`)."""
        return kernels.nearest_by_tube(*self._searched(), self.tube_runs,
                                       *other._searched(), other.tube_runs)

    def _searched(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``segments, balls, runs, run_start`` as the kernels take them."""
        return self.segments, self.balls, self.runs, self.run_start


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


def segment_min_gap(a0: np.ndarray, a1: np.ndarray, ra0: np.ndarray, ra1: np.ndarray,
                    b0: np.ndarray, b1: np.ndarray, rb0: np.ndarray, rb1: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact minimum surface gap of each pair of tapered tube segments.

    Segment ``k`` of tube a runs from ``a0[k]`` (radius ``ra0[k]``) to ``a1[k]`` (radius
    ``ra1[k]``), likewise for b; the minimum of ``|A(s) - B(t)| - r_a(s) - r_b(t)`` over
    ``[0, 1]^2`` is the stationary point where that lies in the square and otherwise the
    least of four edge minima, each in closed form
    (:func:`mvd_sim.core.geometry.closest_kernels._min_gap_params`).

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
    a0, a1, b0, b1 = _point_rows(a0, a1, b0, b1)
    ra0, ra1, rb0, rb1 = (np.ascontiguousarray(np.broadcast_to(np.asarray(r, dtype=float),
                                                               (len(a0),)))
                          for r in (ra0, ra1, rb0, rb1))
    return kernels.tapered_pairs(a0, a1, ra0, ra1, b0, b1, rb0, rb1)


def closest_approach(a: Points, b: Points, radius_a: Radii | float,
                     radius_b: Radii | float) -> ClosestApproach:
    """Global minimum surface gap between tubes ``a`` and ``b``, exact on the polylines
    (:func:`closest_between` of their segments).

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
    return closest_between(SegmentSet.of(a, radius_a), SegmentSet.of(b, radius_b))


def closest_between(set_a: SegmentSet, set_b: SegmentSet) -> ClosestApproach:
    """Global minimum surface gap between two tubes' segments (each a :class:`SegmentSet` of
    one tube), exact on the polylines.

    Branch and bound over runs of segments (:func:`mvd_sim.core.geometry.closest_kernels.
    nearest_pair`): every pair of segments that could beat the best gap found is solved
    exactly (with tapering radii the minimum need not be at the closest centreline points),
    starting from the most promising.
    """
    i, j, s, t, gap = set_a.nearest_pair(set_b)
    point_a, point_b = set_a.point(i, s), set_b.point(j, t)
    return ClosestApproach(
        gap=float(gap), centre_distance=float(np.linalg.norm(point_a - point_b)),
        arc_a=float(set_a.arc0[i] + 2 * s * set_a.half[i]),
        arc_b=float(set_b.arc0[j] + 2 * t * set_b.half[j]),
        point_a=point_a, point_b=point_b)
