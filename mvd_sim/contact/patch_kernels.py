"""Compiled kernel of a contact's patch on a nerve: the nerve's surface sampled on rings, each
sample's signed gap to a tube vessel, and which part of each ring lies within the contact
threshold (:func:`mvd_sim.contact.analysis._describe` measures the patch's area and arc
interval from them).

It computes, sample for sample, what :func:`mvd_sim.core.geometry.rings.surface_samples`,
:meth:`mvd_sim.contact.regions.TubeSurface.signed_gap` and the arc fractions of
:mod:`mvd_sim.contact.analysis` compute in numpy, in one loop (the same operations in the
same order, so the same numbers), without the arrays in between; a ring whose every sample is
provably farther than the threshold from the vessel is not sampled (its fractions are 0, as
they would be), a sample is measured only against the vessel segments that can be nearest
to its ring, and not at all where a bound puts it and both its neighbours beyond the threshold
(every arc from it then has fraction 0, as it would). Scene frame, mm.
"""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import FLOAT, array, compiled
from mvd_sim.core.geometry.closest_kernels import _axpy, _dot, _norm, _point_segment, _row, _sub

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_FRAMES = array(3, contiguous=True)


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
    widest = 0.0
    for i in range(len(vessel_radius)):
        widest = max(widest, vessel_radius[i])
    gap, bound = np.empty(n_around), np.empty(n_around)
    sample = np.empty((n_around, 3))
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
            continue
        # the candidates' end points lie in a ball (hence their segments): a sample farther
        # from it than its radius, the widest vessel radius and the threshold is beyond the
        # threshold, and so is every arc between two such samples
        candidates = 0
        low, high = (np.inf, np.inf, np.inf), (-np.inf, -np.inf, -np.inf)
        for i in range(segments):
            if reach[i] - ring_radius <= closest + ring_radius:
                near[candidates] = i
                candidates += 1
                for end in (_row(vessel, i), _row(vessel, i + 1)):
                    low = (min(low[0], end[0]), min(low[1], end[1]), min(low[2], end[2]))
                    high = (max(high[0], end[0]), max(high[1], end[1]), max(high[2], end[2]))
        middle = _axpy(0.5, _sub(high, low), low)
        ball = 0.0
        for m in range(candidates):
            for end in (_row(vessel, near[m]), _row(vessel, near[m] + 1)):
                ball = max(ball, _norm(_sub(end, middle)))
        normal, binormal = segment_frames[seg, 0], segment_frames[seg, 1]
        for j in range(n_around):
            c, w = around[j, 0], around[j, 1]
            sample[j, 0] = centre[0] + ring_radius * (c * normal[0] + w * binormal[0])
            sample[j, 1] = centre[1] + ring_radius * (c * normal[1] + w * binormal[1])
            sample[j, 2] = centre[2] + ring_radius * (c * normal[2] + w * binormal[2])
            bound[j] = _norm(_sub(_row(sample, j), middle)) - ball - widest
        for j in range(n_around):
            if min(bound[j], bound[j - 1], bound[(j + 1) % n_around]) > threshold:
                gap[j] = bound[j]   # it and both arcs from it lie beyond the threshold
                continue
            p = _row(sample, j)
            best2, best_i, best_u = np.inf, 0, 0.0
            for m in range(candidates):
                i = near[m]
                start = _row(vessel, i)
                d = _sub(_row(vessel, i + 1), start)
                v = _point_segment(p, start, d)
                rel = _sub(p, _axpy(v, d, start))
                d2 = _dot(rel, rel)
                if d2 < best2:
                    best2, best_i, best_u = d2, i, v
            start = _row(vessel, best_i)
            foot = _axpy(best_u, _sub(_row(vessel, best_i + 1), start), start)
            gap[j] = _norm(_sub(p, foot)) - (vessel_radius[best_i] + best_u * (
                vessel_radius[best_i + 1] - vessel_radius[best_i]))
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
