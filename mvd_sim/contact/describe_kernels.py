"""Compiled kernel of a contact's description around its deepest point: where it lies along
the nerve at rest, how far the vessel has deviated the nerve, the side it presses from and
the surface points (:func:`mvd_sim.contact.nerve_kernels.nerve_findings` calls it for each
of a nerve's contacts with a tube vessel, :func:`mvd_sim.contact.analysis._describe` for one
with a mesh or a lesion; :func:`mvd_sim.contact.analysis._contact` builds the report's
fields from it).

It computes what the numpy calls it replaces computed, to the bit, on this VM's numpy and
OpenBLAS: ``np.interp``'s arithmetic, and the three-term dot products as each numpy call
took them (``np.dot`` and ``np.linalg.norm`` of 3-vectors as OpenBLAS's ``ddot`` does on a
CPU with fused multiply-add, ``fma(x2, y2, fma(x1, y1, x0 y0))``; a matrix of several rows
times a vector as its ``dgemv``, ``fma(x2, y2, fma(x0, y0, x1 y1))``; a row norm as
``np.einsum``, ``(x0 y0 + x2 y2) + x1 y1``), so the reports are the same numbers as before
(a test holds it to the numpy calls). Scene frame, mm.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import intrinsic

from mvd_sim.core.compiled import FLOAT, VEC3, array, compiled
from mvd_sim.core.geometry.curve import point_at_kernel, segment_tangent

__all__ = ["describe_contact", "ddot3", "dgemv3", "einsum_dot3",
           "interp", "smooth_tangent"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_FLAGS = array(1, "boolean", contiguous=True)


@intrinsic
def _fma(typingctx, x, y, z):
    """``x y + z`` rounded once (LLVM's ``llvm.fma``)."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        return builder.fma(*args)

    return signature, codegen


@compiled(VEC3, VEC3)
def ddot3(x, y):
    """``np.dot`` of two 3-vectors (OpenBLAS ``ddot`` with fused multiply-adds)."""
    return _fma(x[2], y[2], _fma(x[1], y[1], x[0] * y[0]))


@compiled(VEC3, VEC3)
def dgemv3(x, y):
    """A row of ``m @ y`` for an (k, 3) matrix ``m``, ``k >= 2`` (OpenBLAS ``dgemv``)."""
    return _fma(x[2], y[2], _fma(x[0], y[0], x[1] * y[1]))


@compiled(VEC3, VEC3)
def einsum_dot3(x, y):
    """``np.einsum("...k,...k->...", x, y)`` of two 3-vectors."""
    return (x[0] * y[0] + x[2] * y[2]) + x[1] * y[1]


@compiled(FLOAT, _V, _V)
def interp(x, xp, fp):
    """``np.interp(x, xp, fp)`` of one value, with its arithmetic (as
    :func:`mvd_sim.core.geometry.curve.point_at_kernel`): clipped to the ends, a knot's own
    value on a knot, else ``slope * (x - xp[j]) + fp[j]``."""
    n = len(xp)
    x = min(max(x, xp[0]), xp[-1])
    j = min(max(np.searchsorted(xp, x, side="right") - 1, 0), n - 1)
    if j == n - 1 or xp[j] == x:
        return fp[j]
    return (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]) * (x - xp[j]) + fp[j]


@compiled(_P, _P, _V, FLOAT)
def smooth_tangent(points, tangents, s, s_mm):
    """:meth:`mvd_sim.core.tube.Tube.smooth_tangent_at` of the tube with centerline
    ``points``, vertex tangents ``tangents`` and arc lengths ``s`` at ``s_mm``: the vertex
    tangents interpolated and normalised (the segment's own direction where they cancel),
    a 3-tuple."""
    t = point_at_kernel(tangents, s, np.full(1, s_mm))
    mean = (t[0, 0], t[0, 1], t[0, 2])
    length = np.sqrt(ddot3(mean, mean))
    if length > 1e-9:
        return (mean[0] / length, mean[1] / length, mean[2] / length)
    d = segment_tangent(points, s, s_mm)
    return (d[0], d[1], d[2])


@compiled(_V, _P, _V, _P, _V, _P, _V, FLOAT, _V, _FLAGS, FLOAT, VEC3, VEC3, VEC3, FLOAT,
          FLOAT)
def describe_contact(s, points, radius, tangents, rest_s, rest_points, landmarks, placed_s,
                     ring_s, touching, spacing, nerve_centre, vessel_centre, vessel_axis, gap,
                     lateral):
    """The numbers of a contact around its deepest point.

    Parameters
    ----------
    s, points, radius, tangents : arrays
        The nerve as placed: arc lengths (n,), centerline (n, 3), radii (n,) and vertex
        tangents (n, 3) (:attr:`mvd_sim.core.tube.Tube.tangents`).
    rest_s, rest_points : arrays
        The nerve at rest (the same material points).
    landmarks : (4,) float, mm
        ``rexp_zone_end_mm``, ``rdp_mm``, ``rdp_zone_mm``, ``tz_start_mm``
        (:class:`mvd_sim.anatomy.landmarks.NerveLandmarks`).
    placed_s : float, mm
        The deepest point's arc length as placed.
    ring_s, touching : (k,) float, mm, and (k,) bool
        The patch's rings (their arc lengths as placed, ``spacing`` mm apart) and which
        touch the vessel: the contact's placed arc interval is theirs, each touching ring
        standing for half a spacing either side (clipped to the nerve), or the deepest
        point's alone where none touches (a touch narrower than the spacing).
    nerve_centre, vessel_centre : 3-tuples, mm
        The centerline points of the deepest point.
    vessel_axis : 3-tuple
        The vessel's unit direction there.
    gap : float, mm
        The least surface gap there.
    lateral : float
        ``+1`` on a right case, ``-1`` on a left one (the lateral direction's x).

    Returns
    -------
    s_deep, s_start, s_end : float, mm
        The deepest point and the interval on the rest course.
    deviation : float, mm
        How far the vessel has deviated the nerve (below).
    segment : int
        Index into :data:`mvd_sim.anatomy.landmarks.SEGMENTS` of ``s_deep``.
    central_myelin : bool
    side : int
        Index into :data:`mvd_sim.core.approach.SIDES` (:func:`mvd_sim.core.approach.side_of`).
    cosine : float
        The dot product of the nerve's unit tangent at the deepest point
        (``smooth_tangent_at``) and ``vessel_axis`` (the crossing angle's cosine).
    nerve_point, vessel_point : 3-tuples, mm
        The nerve's surface point facing the vessel, and the vessel's.
    """
    s_lo = s_hi = placed_s
    first = -1
    for k in range(len(ring_s)):
        if touching[k]:
            if first < 0:
                first = k
                s_lo = max(ring_s[k] - 0.5 * spacing, 0.0)
            s_hi = min(ring_s[k] + 0.5 * spacing, s[-1])
    tangent = smooth_tangent(points, tangents, s, placed_s)
    direction = (vessel_centre[0] - nerve_centre[0], vessel_centre[1] - nerve_centre[1],
                 vessel_centre[2] - nerve_centre[2])
    scale = max(np.sqrt(ddot3(direction, direction)), 1e-12)
    unit = (direction[0] / scale, direction[1] / scale, direction[2] / scale)
    r_nerve = interp(placed_s, s, radius)
    s_deep = interp(placed_s, s, rest_s)
    s_start, s_end = interp(s_lo, s, rest_s), interp(s_hi, s, rest_s)
    # the deviation: the largest displacement of the nerve's centerline from its rest course
    # under the contact and at its deepest point, counting only displacements away from the
    # vessel. A neighbour that deviates the nerve beside this vessel moves the nerve under it
    # less, or towards it. Only the sign is asked, not how directly away: a nerve pushed
    # while it slides over the brainstem moves along the surface, as little as 70 deg off
    # straight away from the vessel pushing it. So where the nerve moved away from two
    # vessels touching it close together (the same side; or a push across one vessel tilted
    # even slightly away from it) both read as deviating it: geometry alone cannot tell which.
    rows = 1
    for i in range(len(s)):
        if s_lo <= s[i] <= s_hi:
            rows += 1
    placed_deep = point_at_kernel(points, s, np.full(1, placed_s))
    rest_deep = point_at_kernel(rest_points, rest_s, np.full(1, s_deep))
    deviation = 0.0
    for i in range(len(s) + 1):
        if i < len(s):
            if not s_lo <= s[i] <= s_hi:
                continue
            moved = (rest_points[i, 0] - points[i, 0], rest_points[i, 1] - points[i, 1],
                     rest_points[i, 2] - points[i, 2])
        else:
            moved = (rest_deep[0, 0] - placed_deep[0, 0], rest_deep[0, 1] - placed_deep[0, 1],
                     rest_deep[0, 2] - placed_deep[0, 2])
        along = ddot3(moved, unit) if rows == 1 else dgemv3(moved, unit)
        if along > 0.0:
            deviation = max(deviation, np.sqrt(einsum_dot3(moved, moved)))
    half = 0.5 * landmarks[2]
    segment = 0 if s_deep < landmarks[0] else 1 if s_deep < landmarks[1] - half else \
        2 if s_deep <= landmarks[1] + half else 3
    # the side: the patient axis nearest the direction across the nerve (the first on a tie)
    across = ddot3(direction, tangent)
    d = (direction[0] - across * tangent[0], direction[1] - across * tangent[1],
         direction[2] - across * tangent[2])
    scores = (lateral * d[0], -lateral * d[0], d[1], -d[1], d[2], -d[2])
    side = 0
    for k in range(1, 6):
        if scores[k] > scores[side]:
            side = k
    nerve_point = (nerve_centre[0] + r_nerve * unit[0], nerve_centre[1] + r_nerve * unit[1],
                   nerve_centre[2] + r_nerve * unit[2])
    reach = r_nerve + gap
    vessel_point = (nerve_centre[0] + reach * unit[0], nerve_centre[1] + reach * unit[1],
                    nerve_centre[2] + reach * unit[2])
    return (s_deep, s_start, s_end, deviation, segment, s_deep < landmarks[3], side,
            ddot3(tangent, vessel_axis), nerve_point, vessel_point)
