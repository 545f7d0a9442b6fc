"""Pure functions on polyline curves: arc length, resampling, tangents, frames, curvature.

All points are ``(n, 3) float64`` in mm in whatever frame the caller uses; arc length ``s`` is
measured from the first point.
"""

from __future__ import annotations

import numpy as np

from mvd_sim._numba import compiled
from mvd_sim._typing import Points

__all__ = ["arc_length", "point_at", "resample", "tangents", "parallel_transport_frames",
           "curvature", "smooth_bump"]


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
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate(([0.0], np.cumsum(seg)))


def point_at(points: Points, s: np.ndarray, s_query: np.ndarray | float) -> np.ndarray:
    """Linear interpolation of a polyline at arc lengths ``s_query`` (clipped to its ends).

    Parameters
    ----------
    points : (n, 3) float, mm
    s : (n,) float, mm
        Cumulative arc length of ``points`` (from :func:`arc_length`).
    s_query : float or (m,) float, mm

    Returns
    -------
    (3,) or (m, 3) float, mm
    """
    q = np.clip(np.asarray(s_query, dtype=float), s[0], s[-1])
    return np.stack([np.interp(q, s, points[:, k]) for k in range(3)], axis=-1)


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
    t = np.gradient(points, arc_length(points), axis=0, edge_order=1)
    return t / np.linalg.norm(t, axis=1, keepdims=True)


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
    normal -= np.einsum("ij,ij->i", normal, t)[:, None] * t
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    return t, normal, np.cross(t, normal)


@compiled
def _transported(t: np.ndarray, n0: np.ndarray) -> np.ndarray:
    """``n0`` carried along unit tangents ``t`` (n, 3): at each step rotated (Rodrigues'
    formula) about ``k = t[i-1] x t[i] / sin`` by the angle between them; a U-turn
    (``sin = 0``) keeps it."""
    out = np.empty_like(t)
    out[0] = n0
    for i in range(1, len(t)):
        ax, ay, az = t[i - 1, 0], t[i - 1, 1], t[i - 1, 2]
        bx, by, bz = t[i, 0], t[i, 1], t[i, 2]
        nx, ny, nz = out[i - 1, 0], out[i - 1, 1], out[i - 1, 2]
        kx, ky, kz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
        sin = np.sqrt(kx * kx + ky * ky + kz * kz)
        if sin <= 1e-15:
            out[i] = out[i - 1]
            continue
        angle = np.arctan2(sin, ax * bx + ay * by + az * bz)
        kx, ky, kz = kx / sin, ky / sin, kz / sin
        c, s = np.cos(angle), np.sin(angle)
        along = (kx * nx + ky * ny + kz * nz) * (1.0 - c)
        out[i, 0] = nx * c + (ky * nz - kz * ny) * s + kx * along
        out[i, 1] = ny * c + (kz * nx - kx * nz) * s + ky * along
        out[i, 2] = nz * c + (kx * ny - ky * nx) * s + kz * along
    return out


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
    u = np.clip(np.abs(np.asarray(s, dtype=float) - centre) / half_width, 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * u))
