"""Exact distance to an axis-aligned ellipsoid, in its own frame (mm).

The closest point ``q`` of the ellipsoid ``sum((q_i / a_i)^2) = 1`` to a point ``y`` is
``q_i = a_i^2 y_i / (t + a_i^2)``, where ``t`` is the one root on ``(-min a_i^2, inf)`` of

    F(t) = sum((a_i y_i / (t + a_i^2))^2) - 1,

positive outside the ellipsoid and negative inside; ``F`` decreases there, so bisection finds
it (Eberly D, "Distance from a point to an ellipse, an ellipsoid, or a hyperellipsoid",
Geometric Tools 2013). A point exactly on a plane of symmetry inside the ellipsoid is nudged
off it by 1e-12 mm, which keeps the root on the branch of the nearest point.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.geometry import ellipsoid_kernels as kernels

__all__ = ["signed_distance", "closest_point", "surface"]

_BISECTIONS = 110   # halvings of the root's bracket (under 1e-30 of a few hundred mm^2)


def signed_distance(points: np.ndarray, semi_axes_mm: np.ndarray) -> np.ndarray:
    """(n,) float, mm: signed distance of ``points`` (n, 3), in the ellipsoid's frame, to the
    ellipsoid of semi-axes ``semi_axes_mm`` (3,); negative inside.

    Examples
    --------
    >>> import numpy as np
    >>> signed_distance(np.array([[0.0, 0.0, 5.0], [0.0, 0.0, 0.0]]), np.array([4.0, 3.0, 2.0]))
    array([ 3., -2.])
    """
    return closest_point(points, semi_axes_mm)[1]


def closest_point(points: np.ndarray, semi_axes_mm: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The closest surface point of each of ``points`` (n, 3), in the ellipsoid's frame, and
    its signed distance (negative inside), mm.

    Each point's root is bisected on its own in a compiled loop
    (:func:`mvd_sim.core.geometry.ellipsoid_kernels.closest_point`).

    Returns
    -------
    closest : (n, 3) float, mm
    distance : (n,) float, mm
    """
    return kernels.closest_point(np.ascontiguousarray(np.atleast_2d(points), dtype=float),
                                 np.ascontiguousarray(semi_axes_mm, dtype=float), _BISECTIONS)


def surface(theta: np.ndarray, t: np.ndarray, semi_axes_mm: np.ndarray) -> np.ndarray:
    """(..., 3) float, mm: ellipsoid points at angle ``theta`` round its third axis and polar
    parameter ``t`` (0 at the pole on its negative third axis, pi at the positive); with
    ``theta`` counter-clockwise and ``t`` rising, ``S_theta x S_t`` points outward."""
    a, b, c = np.asarray(semi_axes_mm, dtype=float)
    return np.stack([a * np.sin(t) * np.cos(theta), b * np.sin(t) * np.sin(theta),
                     -c * np.cos(t)], axis=-1)
