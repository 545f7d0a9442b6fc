"""Compiled kernel of a contact's patch on a nerve: the nerve's surface sampled on rings, each
sample's signed gap to a tube vessel, and which part of each ring lies within the contact
threshold (:func:`mvd_sim.contact.analysis._describe` measures the patch's area and arc
interval from them).

It computes, sample for sample, what :func:`mvd_sim.core.geometry.rings.surface_samples`,
:meth:`mvd_sim.contact.regions.TubeSurface.signed_gap` and the arc fractions of
:mod:`mvd_sim.contact.analysis` compute in numpy, in one loop (the same operations in the
same order, so the same numbers), without the arrays in between; a ring whose every sample is
provably farther than the threshold from the vessel is not sampled (its fractions are 0, as
they would be; proven by its centre's distance from the vessel, or by its plane's and axis's,
:func:`_ring_beyond`), a sample is measured only against the vessel segments that can be nearest
to its ring (the last sample's nearest first, then nearest the ring first; one whose
bounding ball is farther than the nearest distance found is passed over), and not at all
where bounds put it and both its neighbours on one side of the threshold (every arc from it
then has fraction 0, or 1, as it would): a distance is 1-Lipschitz, so round a ring a
sample's distance to the vessel's axis is at least the last measured one's less the chord
between them (which passes over most of the nerve's far side), and from one ring to the
next it changes by at most as much as the sample's point moved (which passes over much of
the rest, within the threshold too). Scene frame, mm.
"""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import FLOAT, INT, VEC3, array, compiled
from mvd_sim.core.geometry.closest_kernels import (_axpy, _cross, _dot, _norm, _point_segment,
                                                   _row, _sub)

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_FRAMES = array(3, contiguous=True)
_IDX = array(1, "intp", contiguous=True)


#: Slack (mm) of the bound that skips a sample: far above the rounding of its distances.
_SLACK_MM = 1e-9
#: Least squared distance (mm^2) of a sample's foot on a segment from its joint with the
#: next for that next segment to be passed over (far above the rounding of squared
#: distances of about 1 mm^2).
_JOINT2_MM2 = 1e-12


@compiled(_P, INT, INT)
def _chord(around, j, k):
    """Distance between samples ``j`` and ``k`` of a ring of unit radius."""
    return math.sqrt((around[k, 0] - around[j, 0]) ** 2 + (around[k, 1] - around[j, 1]) ** 2)


@compiled(VEC3, FLOAT, _P, INT, _V, _V)
def _ring_point(centre, ring_radius, around, j, normal, binormal):
    """Sample ``j`` of a ring (mm): ``centre + ring_radius (cos normal + sin binormal)``."""
    c, w = around[j, 0], around[j, 1]
    return (centre[0] + ring_radius * (c * normal[0] + w * binormal[0]),
            centre[1] + ring_radius * (c * normal[1] + w * binormal[1]),
            centre[2] + ring_radius * (c * normal[2] + w * binormal[2]))


@compiled(VEC3, _P, _V, _IDX, INT, _P, INT)
def _ring_sample_gap(p, vessel, vessel_radius, near, candidates, balls, hint):
    """Signed gap (mm) of the sample ``p`` of a ring to the tube vessel's segments
    ``near[:candidates]`` (the lowest-numbered nearest wins a tie, as
    :func:`mvd_sim.core.geometry.closest.point_polyline` finds it), its distance to
    their axis, the nearest segment and the foot's parameter on it. ``balls`` holds each
    segment's midpoint and half-length: a segment whose ball is farther from the sample
    than the nearest distance found is not measured (list the nearest candidates first).
    ``hint``, one of them (the last sample's nearest) or -1, is measured first, and a
    neighbour of it whose nearest point to ``p`` is their joint is not measured (it is
    farther than the hint's foot)."""
    best2, best, best_i, best_u = np.inf, np.inf, 0, 0.0
    before = after = -1   # the hint's neighbours, where their nearest point is the joint
    if hint >= 0:
        start = _row(vessel, hint)
        d = _sub(_row(vessel, hint + 1), start)
        v = _point_segment(p, start, d)
        rel = _sub(p, _axpy(v, d, start))
        best2, best_i, best_u = _dot(rel, rel), hint, v
        best = math.sqrt(best2)
        # a neighbour whose nearest point to p is the joint with the hint (p is not beyond
        # the joint along it) is farther than the hint's foot, by (the foot's distance from
        # the joint)^2 in the square: not measured where that is far above rounding
        length2 = _dot(d, d)
        if hint > 0 and v * v * length2 > _JOINT2_MM2 and _dot(
                _sub(p, start), _sub(_row(vessel, hint - 1), start)) <= 0.0:
            before = hint - 1
        end = _row(vessel, hint + 1)
        if hint + 2 < len(vessel) and (1.0 - v) * (1.0 - v) * length2 > _JOINT2_MM2 and _dot(
                _sub(p, end), _sub(_row(vessel, hint + 2), end)) <= 0.0:
            after = hint + 1
    for m in range(candidates):
        i = near[m]
        if i == hint or i == before or i == after:
            continue
        offset = (p[0] - balls[i, 0], p[1] - balls[i, 1], p[2] - balls[i, 2])
        reach = best + balls[i, 3] + _SLACK_MM
        if _dot(offset, offset) > reach * reach:
            continue
        start = _row(vessel, i)
        d = _sub(_row(vessel, i + 1), start)
        v = _point_segment(p, start, d)
        rel = _sub(p, _axpy(v, d, start))
        d2 = _dot(rel, rel)
        if d2 < best2 or (d2 == best2 and i < best_i):
            best2, best_i, best_u = d2, i, v
            best = math.sqrt(d2)
    # the nearest distance found is the distance to its foot, computed the same way
    return best - (vessel_radius[best_i] + best_u * (
        vessel_radius[best_i + 1] - vessel_radius[best_i])), best, best_i, best_u


@compiled(VEC3, FLOAT, _V, _V, _P, _V, _IDX, INT, FLOAT)
def _ring_beyond(centre, ring_radius, normal, binormal, vessel, vessel_radius, near, candidates,
                 threshold):
    """Whether every point of a ring (its centre, radius and plane's unit vectors ``normal``,
    ``binormal``) is surely farther than ``threshold`` (mm, surface gap) from the tube
    vessel's segments ``near[:candidates]`` (those that can be nearest to a point of the
    ring). A point ``q`` lies ``sqrt(axial^2 + (radial - ring_radius)^2)`` from the ring
    (``axial`` its offset along the ring's axis, ``radial`` its distance from that axis), so a
    segment is at least as far from the ring as its least ``|axial|`` and least
    ``|radial - ring_radius|`` together make, less its larger end radius; tighter than the
    distance from the ring's centre less its radius where the vessel passes beside the ring
    rather than through its plane. :data:`_SLACK_MM` to spare for rounding."""
    axis = _cross((normal[0], normal[1], normal[2]), (binormal[0], binormal[1], binormal[2]))
    for m in range(candidates):
        i = near[m]
        start, end = _row(vessel, i), _row(vessel, i + 1)
        rel_a, rel_b = _sub(start, centre), _sub(end, centre)
        a0, a1 = _dot(rel_a, axis), _dot(rel_b, axis)
        axial = 0.0 if a0 * a1 <= 0.0 else min(abs(a0), abs(a1))
        wa, wb = _axpy(-a0, axis, rel_a), _axpy(-a1, axis, rel_b)
        wd = _sub(wb, wa)
        length2 = _dot(wd, wd)
        u = 0.0 if length2 <= 0.0 else min(max(-_dot(wa, wd) / length2, 0.0), 1.0)
        least = _norm(_axpy(u, wd, wa))
        most = max(_norm(wa), _norm(wb))
        radial = least - ring_radius if ring_radius < least else \
            ring_radius - most if ring_radius > most else 0.0
        if math.sqrt(axial * axial + radial * radial) - max(
                vessel_radius[i], vessel_radius[i + 1]) - threshold - _SLACK_MM <= 0.0:
            return False
    return True


@compiled(_V, _P, _V, _FRAMES, FLOAT, FLOAT, FLOAT, _P, _P, _V, FLOAT)
def tube_patch(s_mm, points, radius, segment_frames, s0, s1, ds, around, vessel, vessel_radius,
               threshold):
    """A nerve's surface rings between arc lengths ``s0`` and ``s1`` (clipped to the nerve)
    against a tube vessel.

    Parameters
    ----------
    s_mm, points, radius, segment_frames : arrays
        The nerve's centerline arc lengths (n,), points (n, 3), radii (n,) and segment frames
        (n - 1, 2, 3) (:attr:`mvd_sim.core.tube.Tube.segment_frames`).
    s0, s1, ds : float, mm
        Arc interval and ring spacing (:func:`mvd_sim.core.geometry.rings.surface_samples`).
    around : (m, 2) float
        ``cos`` and ``sin`` of each sample's angle round a ring.
    vessel : (v, 3) float, mm, ``v >= 2``
    vessel_radius : (v,) float, mm
    threshold : float, mm
        The contact threshold.

    Returns
    -------
    s : (k,) float, mm
        Each ring's arc length.
    fraction : (k, m) float in [0, 1]
        Fraction of each arc from a sample to the next round its ring within ``threshold`` of
        the vessel, the gap interpolated linearly along it.
    area : (k,) float, mm^2
        Area each sample of a ring stands for.
    touching : (k,) bool
        Whether a sample of the ring lies within ``threshold``.
    """
    n_around = around.shape[0]
    s0, s1 = max(s0, 0.0), min(s1, s_mm[-1])
    count = max(int(math.ceil((s1 - s0) / ds)), 1)
    step = (s1 - s0) / count
    s = np.empty(count)
    fraction = np.zeros((count, n_around))
    area = np.empty(count)
    touching = np.zeros(count, dtype=np.bool_)
    segments = len(vessel) - 1
    reach = np.empty(segments)      # distance from a ring's centre to each vessel segment
    near = np.empty(segments, dtype=np.intp)
    widest, narrowest = 0.0, np.inf
    for i in range(len(vessel_radius)):
        widest, narrowest = max(widest, vessel_radius[i]), min(narrowest, vessel_radius[i])
    # bounds on each sample's distance to the vessel's axis (mm), the side of the threshold
    # they prove, and the ring before's centre, radius and nerve segment
    least, most = np.empty(n_around), np.empty(n_around)
    side = np.zeros(n_around, dtype=np.intp)
    have_last = False
    dist, moved, last_radius, last_seg = 0.0, 0.0, 0.0, 0
    last_centre = foot = (0.0, 0.0, 0.0)
    balls = np.empty((segments, 4))    # each segment's midpoint and half-length
    for i in range(segments):
        for c in range(3):
            balls[i, c] = 0.5 * (vessel[i, c] + vessel[i + 1, c])
        balls[i, 3] = 0.5 * _norm(_sub(_row(vessel, i + 1), _row(vessel, i)))
    gap = np.empty(n_around)
    last = len(s_mm) - 2
    for k in range(count):
        sk = s0 + (k + 0.5) * step
        s[k] = sk
        seg = min(max(np.searchsorted(s_mm, sk, side="right") - 1, 0), last)
        u = (sk - s_mm[seg]) / (s_mm[seg + 1] - s_mm[seg])
        a, b = _row(points, seg), _row(points, seg + 1)
        centre = _axpy(u, _sub(b, a), a)
        ring_radius = radius[seg] + u * (radius[seg + 1] - radius[seg])
        area[k] = ring_radius * (2 * np.pi / n_around) * step
        # every sample lies within ring_radius of the centre, so its nearest vessel segment
        # is one whose distance from the centre less ring_radius is at most the least
        # distance plus ring_radius; and where even the nearest keeps the ring beyond the
        # threshold, no arc of it is within it
        closest = np.inf
        for i in range(segments):
            start = _row(vessel, i)
            d = _sub(_row(vessel, i + 1), start)
            reach[i] = _norm(_sub(centre, _axpy(_point_segment(centre, start, d), d, start)))
            closest = min(closest, reach[i])
        if closest - ring_radius - widest > threshold:
            have_last = False
            continue
        candidates = 0
        for i in range(segments):   # nearest the centre first (insertion sort)
            if reach[i] - ring_radius <= closest + ring_radius:
                m = candidates
                while m > 0 and reach[near[m - 1]] > reach[i]:
                    near[m] = near[m - 1]
                    m -= 1
                near[m] = i
                candidates += 1
        normal, binormal = segment_frames[seg, 0], segment_frames[seg, 1]
        if _ring_beyond(centre, ring_radius, normal, binormal, vessel, vessel_radius, near,
                        candidates, threshold):
            have_last = False
            continue
        # a sample's distance to the vessel's axis is within the distance its point moved of
        # the same sample's on the ring before (a distance is 1-Lipschitz), at most
        # |centre moved| + |radius changed| + last radius (|normal turned| + |binormal
        # turned|): each sample's side of the threshold that this proves (1 beyond, -1
        # within, 0 neither)
        if have_last:
            moved = _norm(_sub(centre, last_centre)) + abs(ring_radius - last_radius) + (
                last_radius * (_norm(_sub(_row(segment_frames[seg], 0),
                                          _row(segment_frames[last_seg], 0)))
                               + _norm(_sub(_row(segment_frames[seg], 1),
                                            _row(segment_frames[last_seg], 1))))
                if seg != last_seg else 0.0) + _SLACK_MM
        for j in range(n_around):
            side[j] = 0
            if have_last:
                least[j], most[j] = least[j] - moved, most[j] + moved
                if least[j] - widest - threshold - _SLACK_MM > 0.0:
                    side[j] = 1
                elif most[j] - narrowest - threshold + _SLACK_MM < 0.0:
                    side[j] = -1
        # round the ring: a sample is measured unless it and both its neighbours are proven
        # on one side of the threshold (every arc from it then has fraction 0, or 1, whatever
        # its gap): by the ring before, or beyond it by the last sample measured on this
        # ring, less the chord between them (1-Lipschitz again)
        anchor, hint = -1, -1
        for j in range(n_around):
            right = (j + 1) % n_around
            if j == 0:
                skip = side[0] != 0 and side[n_around - 1] == side[0] and side[1] == side[0]
            else:
                beyond = gap[j - 1] > threshold
                reach_j = 0.0
                if anchor >= 0:
                    reach_j = dist - widest - threshold - _SLACK_MM
                if beyond:
                    skip = (side[j] == 1 or (
                        anchor >= 0 and reach_j > ring_radius * _chord(around, anchor, j))) and (
                        gap[0] > threshold if right == 0 else side[right] == 1 or (
                            anchor >= 0 and reach_j > ring_radius * _chord(around, anchor,
                                                                            right)))
                    if skip and side[j] != 1:
                        least[j] = dist - ring_radius * _chord(around, anchor, j) - _SLACK_MM
                        most[j] = np.inf
                else:   # within it: proven so by the ring before, or by the distance to
                    # the last measured sample's foot (a point of the vessel's axis, so at
                    # least the sample's distance to the axis)
                    up = np.inf
                    if side[j] != -1 and anchor >= 0:
                        up = _norm(_sub(_ring_point(centre, ring_radius, around, j, normal,
                                                    binormal), foot)) + _SLACK_MM
                    skip = (side[j] == -1 or up - narrowest < threshold) and (
                        gap[0] <= threshold if right == 0 else side[right] == -1 or (
                            anchor >= 0 and _norm(_sub(_ring_point(
                                centre, ring_radius, around, right, normal, binormal),
                                foot)) + _SLACK_MM - narrowest < threshold))
                    if skip and side[j] != -1:
                        least[j], most[j] = 0.0, up
            if skip:   # beyond the threshold, or within it, as its bound is
                gap[j] = threshold + 1.0 if (side[j] == 1 if j == 0 else beyond) \
                    else threshold - 1.0
                continue
            gap[j], dist, hint, u_foot = _ring_sample_gap(
                _ring_point(centre, ring_radius, around, j, normal, binormal), vessel,
                vessel_radius, near, candidates, balls, hint)
            foot = _axpy(u_foot, _sub(_row(vessel, hint + 1), _row(vessel, hint)),
                         _row(vessel, hint))
            least[j] = most[j] = dist
            anchor = j
        last_centre, last_radius, last_seg = centre, ring_radius, seg
        have_last = True
        for j in range(n_around):
            if gap[j] <= threshold:
                touching[k] = True
        for j in range(n_around):
            g, h = gap[j], gap[(j + 1) % n_around]
            low, high = min(g, h), max(g, h)
            if high <= threshold:
                fraction[k, j] = 1.0
            elif low <= threshold:
                fraction[k, j] = (threshold - low) / (high - low if high > low else 1.0)
    return s, fraction, area, touching


@compiled(_V, INT, INT)
def _pairwise_sum(values, start, n):
    """``np.sum(values[start:start + n])`` with numpy's arithmetic (its pairwise summation:
    eight running sums over blocks of up to 128 values, halves beyond), to the bit."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    if n <= 128:
        r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
        r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
        i = 8
        while i < n - n % 8:
            j = start + i
            r0, r1, r2, r3 = r0 + values[j], r1 + values[j + 1], r2 + values[j + 2], \
                r3 + values[j + 3]
            r4, r5, r6, r7 = r4 + values[j + 4], r5 + values[j + 5], r6 + values[j + 6], \
                r7 + values[j + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for j in range(start + i, start + n):
            total += values[j]
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values, start, half) + _pairwise_sum(values, start + half, n - half)


@compiled(array(2, contiguous=True), _V)
def patch_area(fraction, area):
    """A patch's area (mm^2): each ring's fractions (k, m) summed, times the area each of its
    samples stands for (k,), summed: ``np.sum(fraction.sum(axis=1) * area)``, to the bit."""
    rings = np.empty(len(area))
    for k in range(len(area)):
        rings[k] = _pairwise_sum(fraction[k], 0, fraction.shape[1]) * area[k]
    return _pairwise_sum(rings, 0, len(rings))
