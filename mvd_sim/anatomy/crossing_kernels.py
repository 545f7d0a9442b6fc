"""Compiled waypoints of a vessel crossing its target (:func:`mvd_sim.anatomy.placement.
_crossing`): a side question tries some thirty sides of a contact at once, each a handful of
numpy calls on arrays of a few rows, which cost more than the arithmetic. The arithmetic is
numpy's, operation for operation, so the waypoints are the same to the bit.

Everything is in mm, in the scene frame.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.compiled import FLOAT, array, compiled

__all__ = ["crossing_waypoints"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
#: Where the waypoints lie along the crossing and how far each is lifted onto the vessel's
#: side, in half-lengths: ``q - 2.5 L v``, ``q - L v``, ``q``, ``q + L v``, ``q + 2.5 L v``,
#: the outer two lifted ``L / 2``.
_ALONG = (-2.5, -1.0, 0.0, 1.0, 2.5)
_LIFT = (0.5, 0.0, 0.0, 0.0, 0.5)


@compiled(_V, _V, FLOAT, FLOAT, FLOAT, _P, FLOAT)
def crossing_waypoints(point: np.ndarray, tangent: np.ndarray, distance_mm: float,
                       cos_a: float, sin_a: float, sides: np.ndarray, half_length_mm: float
                       ) -> np.ndarray:
    """(k, 5, 3): the waypoints of a crossing of the target at ``point`` (3,), of unit
    ``tangent`` (3,), on each of ``sides`` (k, 3, unit, across the target): its centre
    ``q = point + distance_mm * side``, its direction ``v = cos_a tangent + sin_a (side x
    tangent)``, and the waypoints ``q + half_length_mm (along v + lift side)``
    (:data:`_ALONG`, :data:`_LIFT`)."""
    k = len(sides)
    out = np.empty((k, 5, 3))
    q, v = np.empty(3), np.empty(3)
    for i in range(k):
        x, y, z = sides[i, 0], sides[i, 1], sides[i, 2]
        across = (y * tangent[2] - z * tangent[1], z * tangent[0] - x * tangent[2],
                  x * tangent[1] - y * tangent[0])
        for c in range(3):
            q[c] = point[c] + distance_mm * sides[i, c]
            v[c] = cos_a * tangent[c] + sin_a * across[c]
        for j in range(5):
            for c in range(3):
                out[i, j, c] = q[c] + half_length_mm * (_ALONG[j] * v[c]
                                                        + _LIFT[j] * sides[i, c])
    return out
