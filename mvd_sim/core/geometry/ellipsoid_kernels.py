"""Compiled loop of :func:`mvd_sim.core.geometry.ellipsoid.closest_point` (mm, the
ellipsoid's frame): each point's bisection on its own, with numpy's arithmetic in numpy's
order (sums of three terms left to right), so the answers are the array version's, bit for
bit, without its hundred-odd array passes a call."""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import INT, array, compiled

__all__ = ["closest_point"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)


@compiled(_P, _V, INT)
def closest_point(points, semi_axes_mm, bisections):
    """The closest surface point of each of ``points`` (n, 3) and its signed distance
    (negative inside) to the ellipsoid of ``semi_axes_mm`` (3,), bisecting the root's
    bracket ``bisections`` times (the method: :mod:`mvd_sim.core.geometry.ellipsoid`).

    Returns
    -------
    closest : (n, 3) float, mm
    distance : (n,) float, mm
    """
    a2 = np.empty(3)
    root = np.empty(3)
    for i in range(3):
        a2[i] = semi_axes_mm[i] * semi_axes_mm[i]
        root[i] = math.sqrt(a2[i])
    least = min(a2[0], min(a2[1], a2[2]))
    shift = np.empty(3)
    for i in range(3):
        shift[i] = a2[i] - least
    n = len(points)
    closest, distance = np.empty((n, 3)), np.empty(n)
    y, ay, q = np.empty(3), np.empty(3), np.empty(3)
    for k in range(n):
        for i in range(3):
            y[i] = max(abs(points[k, i]), 1e-12)
            ay[i] = root[i] * y[i]
        lo = 0.0
        hi = math.sqrt(ay[0] * ay[0] + ay[1] * ay[1] + ay[2] * ay[2]) + least
        for _ in range(bisections):
            u = 0.5 * (lo + hi)
            t0 = ay[0] / (u + shift[0])
            t1 = ay[1] / (u + shift[1])
            t2 = ay[2] / (u + shift[2])
            if t0 * t0 + t1 * t1 + t2 * t2 > 1.0:
                lo = u
            else:
                hi = u
        mid = 0.5 * (lo + hi)
        for i in range(3):
            q[i] = a2[i] * y[i] / (mid + shift[i])
        e0, e1, e2 = y[0] / root[0], y[1] / root[1], y[2] / root[2]
        sign = -1.0 if e0 * e0 + e1 * e1 + e2 * e2 < 1.0 else 1.0
        d0, d1, d2 = y[0] - q[0], y[1] - q[1], y[2] - q[2]
        distance[k] = sign * math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        for i in range(3):
            closest[k, i] = -q[i] if points[k, i] < 0 else q[i]
    return closest, distance
