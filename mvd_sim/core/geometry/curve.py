"""Pure functions on polyline curves: arc length, resampling, tangents, frames, curvature.

All points are ``(n, 3) float64`` in mm in whatever frame the caller uses; arc length ``s`` is
measured from the first point.
"""

from __future__ import annotations

import math

import numpy as np

from mvd_sim.core.compiled import FLOAT, INT, array, compiled
from mvd_sim.core._typing import Points

__all__ = ["arc_length", "arc_length_kernel", "segment_lengths", "segment_tangent",
           "point_at", "point_at_kernel", "natural_spline", "resample", "tangents", "parallel_transport_frames",
           "complete_frames", "curvature", "bending_energy", "bend_radius",
           "bend_radius_kernel", "bend_radius_from", "smooth_bump", "bump"]

# argument types of the kernels: points (n, 3) and values (n,), read-only
_P, _V = array(2), array(1)


def arc_length(points: Points) -> np.ndarray:
    """Cumulative arc length at each point.

    Parameters
    ----------
    points : (n, 3) float, mm

    Returns
    -------
    s : (n,) float, mm
        ``s[0] = 0`` and ``s[-1]`` is the polyline's length.
    """
    return arc_length_kernel(np.ascontiguousarray(points, dtype=float))


@compiled(_P)
def arc_length_kernel(points: np.ndarray) -> np.ndarray:
    """:func:`arc_length` of a contiguous (n, 3) float array, compiled (other compiled loops
    call it): the same sums as numpy's (``norm`` of the differences and ``cumsum``), so the
    same to the bit, without a dozen numpy calls' overhead."""
    s = np.zeros(max(len(points), 1))
    for i in range(len(points) - 1):
        dx = points[i + 1, 0] - points[i, 0]
        dy = points[i + 1, 1] - points[i, 1]
        dz = points[i + 1, 2] - points[i, 2]
        s[i + 1] = s[i] + np.sqrt(dx * dx + dy * dy + dz * dz)
    return s


@compiled(_P)
def segment_lengths(points: np.ndarray) -> np.ndarray:
    """(n - 1,) float, mm: the length of each segment of the polyline ``points`` (n, 3),
    numpy's ``norm(diff(points), axis=1)`` to the bit (the squares summed in order, as
    :func:`arc_length_kernel` sums them), in one call."""
    out = np.empty(max(len(points) - 1, 0))
    for i in range(len(points) - 1):
        dx = points[i + 1, 0] - points[i, 0]
        dy = points[i + 1, 1] - points[i, 1]
        dz = points[i + 1, 2] - points[i, 2]
        out[i] = np.sqrt(dx * dx + dy * dy + dz * dz)
    return out


@compiled(_P, _V, FLOAT)
def segment_tangent(points: np.ndarray, s: np.ndarray, s_mm: float) -> np.ndarray:
    """Unit tangent (3,) of the segment of the polyline ``points`` (n, 3), arc lengths ``s``
    (n,), that holds arc ``s_mm`` (the first or last segment beyond the ends), compiled."""
    i = min(max(np.searchsorted(s, s_mm, side="right") - 1, 0), len(s) - 2)
    d = points[i + 1] - points[i]
    return d / np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])


def point_at(points: Points, s: np.ndarray, s_query: np.ndarray | float) -> np.ndarray:
    """Linear interpolation of a polyline at arc lengths ``s_query`` (clipped to its ends).

    Parameters
    ----------
    points : (n, 3) float, mm
    s : (n,) float, mm
        Cumulative arc length of ``points`` (from :func:`arc_length`), increasing.
    s_query : float or (m,) float, mm

    Returns
    -------
    (3,) or (m, 3) float, mm
    """
    query = np.asarray(s_query, dtype=float)
    out = point_at_kernel(np.ascontiguousarray(points, dtype=float),
                        np.ascontiguousarray(s, dtype=float), query.reshape(-1))
    return out.reshape(query.shape + (3,))


@compiled(_P, _V, _V)
def point_at_kernel(points: np.ndarray, s: np.ndarray, query: np.ndarray) -> np.ndarray:
    """:func:`point_at`, compiled: ``np.interp`` of each coordinate at the clipped queries,
    with its arithmetic (``dy / dx * (x - x0) + y0``; a query on a knot takes the knot's
    value), so the same to the bit."""
    n, m = len(s), len(query)
    out = np.empty((m, 3))
    j = 0
    for i in range(m):
        x = min(max(query[i], s[0]), s[-1])
        # the knot interval [s[j], s[j + 1]) holding x (the last knot's at the end): the
        # last one or the next (queries mostly come in order), else a binary search
        if not (s[j] <= x and (j == n - 1 or x < s[j + 1])):
            if j + 2 < n and s[j + 1] <= x < s[j + 2]:
                j += 1
            else:
                j = np.searchsorted(s, x, side="right") - 1
        for c in range(3):
            if j == n - 1 or s[j] == x:
                out[i, c] = points[j, c]
            else:
                slope = (points[j + 1, c] - points[j, c]) / (s[j + 1] - s[j])
                out[i, c] = slope * (x - s[j]) + points[j, c]
    return out


def natural_spline(points: Points, u: np.ndarray, u_query: np.ndarray) -> np.ndarray:
    """The natural cubic spline through ``points`` at knots ``u``, sampled at ``u_query``.

    The interpolating cubic with zero second derivative at both ends (two points give the
    straight line), as ``scipy.interpolate.make_interp_spline(u, points, k=3,
    bc_type="natural")`` builds it (the same to rounding); compiled, because scipy's
    construction costs some 180 microseconds of Python a call and vessels are built by the
    thousand.

    Parameters
    ----------
    points : (n, 3) float, mm, ``n >= 2``
    u : (n,) float
        Knots, strictly increasing (chord lengths, say).
    u_query : (m,) float
        Parameters within ``[u[0], u[-1]]``, increasing.

    Returns
    -------
    (m, 3) float, mm
    """
    return _natural_spline(np.ascontiguousarray(points, dtype=float),
                           np.ascontiguousarray(u, dtype=float),
                           np.ascontiguousarray(u_query, dtype=float))


@compiled(_P, _V, _V)
def _natural_spline(points: np.ndarray, u: np.ndarray, u_query: np.ndarray) -> np.ndarray:
    """:func:`natural_spline`: the second derivatives at the knots from the tridiagonal
    continuity equations (Thomas' algorithm), then each query from its interval's cubic."""
    n = len(u)
    h = u[1:] - u[:-1]
    second = np.zeros((n, 3))
    if n > 2:
        # h[i-1] M[i-1] + 2 (h[i-1] + h[i]) M[i] + h[i] M[i+1] = 6 (slope[i] - slope[i-1])
        diagonal = np.empty(n)
        rhs = np.zeros((n, 3))
        for i in range(1, n - 1):
            diagonal[i] = 2.0 * (h[i - 1] + h[i])
            for c in range(3):
                rhs[i, c] = 6.0 * ((points[i + 1, c] - points[i, c]) / h[i]
                                   - (points[i, c] - points[i - 1, c]) / h[i - 1])
        for i in range(2, n - 1):
            factor = h[i - 1] / diagonal[i - 1]
            diagonal[i] -= factor * h[i - 1]
            for c in range(3):
                rhs[i, c] -= factor * rhs[i - 1, c]
        for i in range(n - 2, 0, -1):
            for c in range(3):
                second[i, c] = (rhs[i, c] - h[i] * second[i + 1, c]) / diagonal[i]
    out = np.empty((len(u_query), 3))
    j = 0
    for k in range(len(u_query)):
        x = u_query[k]
        while j < n - 2 and u[j + 1] < x:
            j += 1
        step = h[j]
        a, b = u[j + 1] - x, x - u[j]
        for c in range(3):
            out[k, c] = ((second[j, c] * a * a * a + second[j + 1, c] * b * b * b) / (6.0 * step)
                         + (points[j, c] / step - second[j, c] * step / 6.0) * a
                         + (points[j + 1, c] / step - second[j + 1, c] * step / 6.0) * b)
    return out


def resample(points: Points, spacing_mm: float) -> Points:
    """Resample a polyline to near-uniform spacing, keeping both end points.

    Parameters
    ----------
    points : (n, 3) float, mm
    spacing_mm : float
        Largest allowed spacing; the actual spacing is ``length / ceil(length / spacing)``.

    Returns
    -------
    (m, 3) float, mm
    """
    s = arc_length(points)
    count = max(int(np.ceil(s[-1] / spacing_mm)), 1) + 1
    return point_at(points, s, np.linspace(0.0, s[-1], count))


def subdivide(points: Points, max_spacing_mm: float, longer_than_mm: float | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Split every segment longer than ``longer_than_mm`` (default ``max_spacing_mm``) evenly
    into the fewest pieces no longer than ``max_spacing_mm`` (to rounding); the existing
    points are kept (so the polyline's shape and length are).

    Returns
    -------
    (m, 3) float, mm
        The points, old and inserted, in order.
    (n,) int
        Row of each old point in the result.
    """
    if not max_spacing_mm > 0:
        raise ValueError(f"subdivide: spacing must be positive, got {max_spacing_mm!r}")
    points = np.asarray(points, dtype=float)
    if len(points) < 2:
        return points.copy(), np.arange(len(points))
    delta = np.diff(points, axis=0)
    length = np.linalg.norm(delta, axis=1)
    split = length > (max_spacing_mm if longer_than_mm is None else longer_than_mm)
    pieces = np.where(split, np.ceil(length / max_spacing_mm), 1).astype(int)
    segment = np.repeat(np.arange(len(delta)), pieces)
    first = np.cumsum(pieces) - pieces                     # row of each segment's start
    fraction = (np.arange(len(segment)) - first[segment]) / pieces[segment]
    out = np.vstack([points[segment] + fraction[:, None] * delta[segment], points[-1:]])
    return out, np.append(first, len(out) - 1)


def tangents(points: Points) -> np.ndarray:
    """Unit tangents at the points: central differences inside, one-sided at the ends.

    Returns
    -------
    (n, 3) float, unit vectors
    """
    points = np.ascontiguousarray(points, dtype=float)
    return _unit_gradient(points, arc_length_kernel(points))


@compiled(_P, _V)
def _unit_gradient(points: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``np.gradient(points, s, axis=0, edge_order=1)`` (second-order differences at uneven
    spacing inside, one-sided at the ends), each row divided by its norm, compiled with
    numpy's arithmetic operation for operation, so the same to the bit."""
    n = len(points)
    out = np.empty((n, 3))
    for i in range(n):
        if i == 0 or i == n - 1:
            lo = 0 if i == 0 else n - 2
            step = s[lo + 1] - s[lo]
            for c in range(3):
                out[i, c] = (points[lo + 1, c] - points[lo, c]) / step
        else:
            dx1, dx2 = s[i] - s[i - 1], s[i + 1] - s[i]
            a = -dx2 / (dx1 * (dx1 + dx2))
            b = (dx2 - dx1) / (dx1 * dx2)
            e = dx1 / (dx2 * (dx1 + dx2))
            for c in range(3):
                out[i, c] = a * points[i - 1, c] + b * points[i, c] + e * points[i + 1, c]
        length = np.sqrt(out[i, 0] * out[i, 0] + out[i, 1] * out[i, 1] + out[i, 2] * out[i, 2])
        for c in range(3):
            out[i, c] = out[i, c] / length
    return out


def parallel_transport_frames(points: Points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotation-minimising (parallel-transport) frames along a polyline.

    The first normal is the unit vector most orthogonal to the first tangent among the
    coordinate axes, then it is transported by the rotation taking each tangent to the next
    (Bishop 1975), so the frame does not twist about the curve.

    Returns
    -------
    tangent, normal, binormal : (n, 3) float
        Orthonormal, right-handed (``binormal = tangent x normal``).
    """
    t = tangents(points)
    axis = np.eye(3)[np.argmin(np.abs(t[0]))]
    n0 = axis - np.dot(axis, t[0]) * t[0]
    normal = _transported(t, n0 / np.linalg.norm(n0))
    return t, normal, complete_frames(t, normal)


@compiled(_P, _V)
def _transported(t: np.ndarray, n0: np.ndarray) -> np.ndarray:
    """``n0`` carried along unit tangents ``t`` (n, 3): at each step rotated (Rodrigues'
    formula) about ``k = t[i-1] x t[i] / sin`` by the angle between them; a U-turn
    (``sin = 0``) keeps it."""
    out = np.empty((len(t), 3))
    for c in range(3):  # rows copied element by element: numba compiles row assignment slowly
        out[0, c] = n0[c]
    for i in range(1, len(t)):
        ax, ay, az = t[i - 1, 0], t[i - 1, 1], t[i - 1, 2]
        bx, by, bz = t[i, 0], t[i, 1], t[i, 2]
        nx, ny, nz = out[i - 1, 0], out[i - 1, 1], out[i - 1, 2]
        kx, ky, kz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
        sin = np.sqrt(kx * kx + ky * ky + kz * kz)
        if sin <= 1e-15:
            out[i, 0], out[i, 1], out[i, 2] = nx, ny, nz
            continue
        angle = np.arctan2(sin, ax * bx + ay * by + az * bz)
        kx, ky, kz = kx / sin, ky / sin, kz / sin
        c, s = np.cos(angle), np.sin(angle)
        along = (kx * nx + ky * ny + kz * nz) * (1.0 - c)
        out[i, 0] = nx * c + (ky * nz - kz * ny) * s + kx * along
        out[i, 1] = ny * c + (kz * nx - kx * nz) * s + ky * along
        out[i, 2] = nz * c + (kx * ny - ky * nx) * s + kz * along
    return out


@compiled(_P, array(2, writable=True))
def complete_frames(t: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Make the rows of ``normal`` (n, 3) exactly normal to the unit tangents ``t`` (n, 3)
    and unit, in place; return the binormals ``t x normal`` (n, 3)."""
    binormal = np.empty((len(t), 3))
    for i in range(len(t)):
        along = normal[i, 0] * t[i, 0] + normal[i, 1] * t[i, 1] + normal[i, 2] * t[i, 2]
        for c in range(3):
            normal[i, c] = normal[i, c] - along * t[i, c]
        length = np.sqrt(normal[i, 0] * normal[i, 0] + normal[i, 1] * normal[i, 1]
                         + normal[i, 2] * normal[i, 2])
        for c in range(3):
            normal[i, c] = normal[i, c] / length
        binormal[i, 0] = t[i, 1] * normal[i, 2] - t[i, 2] * normal[i, 1]
        binormal[i, 1] = t[i, 2] * normal[i, 0] - t[i, 0] * normal[i, 2]
        binormal[i, 2] = t[i, 0] * normal[i, 1] - t[i, 1] * normal[i, 0]
    return binormal


def bend_radius(points: Points, s: np.ndarray, span_mm: float | np.ndarray) -> np.ndarray:
    """Bend radius (mm) at each point: the radius of the circle through the curve's points
    ``span_mm`` of arc before it, at it and ``span_mm`` after it.

    Measured between points a fixed arc apart (interpolated along the polyline), not between
    neighbouring vertices, so it does not depend on how densely the curve is sampled: any
    three points of a circle give its radius, and a kink reads as a bend of about
    ``span / (2 sin(turn / 2))``, resolved on the scale ``span_mm``. Near the ends the span is
    cut short; where less than a quarter of it is left on either side the bend is ``inf``,
    as it is on straight stretches.

    Parameters
    ----------
    points : (n, 3) float, mm
    s : (n,) float, mm
        Arc length of each point (:func:`arc_length`).
    span_mm : float or (n,) float, mm
        Arc either side over which each bend is measured (a vessel's own radius, say).

    Returns
    -------
    (n,) float, mm
        Circumradius ``|ab| |bc| |ca| / (2 |ab x ac|)`` of each point's three points.
    """
    span = np.broadcast_to(np.asarray(span_mm, dtype=float), np.shape(s))
    return bend_radius_kernel(np.ascontiguousarray(points, dtype=float),
                              np.ascontiguousarray(s, dtype=float), np.ascontiguousarray(span))


@compiled(_P, _V, _V)
def bend_radius_kernel(points: np.ndarray, s: np.ndarray, span_mm: np.ndarray) -> np.ndarray:
    """:func:`bend_radius` of contiguous arrays, compiled: ``span_mm`` (n,), mm."""
    out = np.empty(len(s))
    bend_radius_from(points, s, span_mm, 0, out)
    return out


@compiled(_P, _V, _V, INT, array(1, writable=True))
def bend_radius_from(points: np.ndarray, s: np.ndarray, span_mm: np.ndarray, start: int,
                     out: np.ndarray) -> None:
    """:func:`bend_radius_kernel` of the points from ``start`` on, into ``out[start:]``
    (mm), each the same number as over the whole curve (a point's bend reads only the
    points and arcs within its span, and the last arc: the vessel relaxation measures again
    only the points whose span a step's moves reached)."""
    n = len(s)
    before = point_at_kernel(points, s, np.maximum(s[start:] - span_mm[start:], 0.0))
    after = point_at_kernel(points, s, np.minimum(s[start:] + span_mm[start:], s[-1]))
    for k in range(start, n):
        i = k - start
        out[k] = np.inf
        ab = (before[i, 0] - points[k, 0], before[i, 1] - points[k, 1],
              before[i, 2] - points[k, 2])
        bc = (after[i, 0] - points[k, 0], after[i, 1] - points[k, 1],
              after[i, 2] - points[k, 2])
        ca = (after[i, 0] - before[i, 0], after[i, 1] - before[i, 1],
              after[i, 2] - before[i, 2])
        cx = ab[1] * ca[2] - ab[2] * ca[1]
        cy = ab[2] * ca[0] - ab[0] * ca[2]
        cz = ab[0] * ca[1] - ab[1] * ca[0]
        area2 = math.sqrt(cx * cx + cy * cy + cz * cz)
        span = span_mm[k]
        if min(s[k], s[n - 1] - s[k]) >= 0.25 * span and area2 > 1e-12 * span * span:
            la = math.sqrt(ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2])
            lb = math.sqrt(bc[0] * bc[0] + bc[1] * bc[1] + bc[2] * bc[2])
            lc = math.sqrt(ca[0] * ca[0] + ca[1] * ca[1] + ca[2] * ca[2])
            out[k] = la * lb * lc / (2.0 * area2)


def curvature(points: Points) -> np.ndarray:
    """Discrete curvature (1/mm) at each point: turning angle over the Voronoi length.

    Uses ``kappa_i = 2 sin(phi_i / 2) / sqrt(l_{i-1} l_i)`` at interior nodes, with ``phi_i``
    the angle between consecutive edges of lengths ``l``; the end nodes copy their neighbours.
    Exact for points sampled evenly on a circle, whose chords are ``l = 2 R sin(phi / 2)``.

    Returns
    -------
    (n,) float, 1/mm
    """
    edges = np.diff(points, axis=0)
    lengths = np.linalg.norm(edges, axis=1)
    unit = edges / lengths[:, None]
    cos_phi = np.clip(np.einsum("ij,ij->i", unit[:-1], unit[1:]), -1.0, 1.0)
    sin_half = np.sqrt((1.0 - cos_phi) / 2.0)
    kappa = np.empty(len(points))
    kappa[1:-1] = 2.0 * sin_half / np.sqrt(lengths[:-1] * lengths[1:])
    if len(points) > 2:
        kappa[0], kappa[-1] = kappa[1], kappa[-2]
    else:
        kappa[:] = 0.0
    return kappa


def bending_energy(points: Points) -> float:
    """Bending energy per unit stiffness (1/mm) of a polyline (n, 3) mm: the discrete
    integral of curvature squared, each interior node's :func:`curvature` squared times
    half its two edges (the ends bear none)."""
    points = np.asarray(points, dtype=float)
    if len(points) < 3:
        return 0.0
    lengths = segment_lengths(points)
    return float(np.sum(curvature(points)[1:-1] ** 2 * (0.5 * (lengths[:-1] + lengths[1:]))))


def smooth_bump(s: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    """Raised-cosine bump: 1 at ``centre``, 0 beyond ``half_width``, C1 everywhere.

    Parameters
    ----------
    s : (n,) float, mm
    centre, half_width : float, mm

    Returns
    -------
    (n,) float in [0, 1]
    """
    s = np.asarray(s, dtype=float)
    return _bumps(s.ravel(), float(centre), float(half_width)).reshape(s.shape)[()]


@compiled(FLOAT, FLOAT, FLOAT)
def bump(x: float, centre: float, half_width: float) -> float:
    """:func:`smooth_bump` at one arc length ``x`` (mm), for compiled loops."""
    u = abs(x - centre) / half_width
    if u > 1.0:
        u = 1.0
    return 0.5 * (1.0 + math.cos(math.pi * u))


@compiled(_V, FLOAT, FLOAT)
def _bumps(s: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    out = np.empty(len(s))
    for k in range(len(s)):
        out[k] = bump(s[k], centre, half_width)
    return out
