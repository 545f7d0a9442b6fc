"""Compiled waypoints of a vessel crossing its target (:func:`mvd_sim.anatomy.placement.
_crossing`): a side question tries some thirty sides of a contact at once, each a handful of
numpy calls on arrays of a few rows, which cost more than the arithmetic. The arithmetic is
numpy's, operation for operation, so the waypoints are the same to the bit.

And the first of a contact's turned sides whose crossing clears the brainstem and the other
nerves (:func:`first_clearing`, :func:`mvd_sim.anatomy.placement.clearing_side`), in one
loop that stops at a side's first waypoint that fails and at the first side that clears.

Everything is in mm, in the scene frame.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.surface_kernels import SURFACE, query_point, query_scratch
from mvd_sim.core.compiled import FLOAT, array, compiled
from mvd_sim.core.geometry.closest_kernels import paths_clear

__all__ = ["crossing_waypoints", "first_clearing"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
#: Where the waypoints lie along the crossing and how far each is lifted onto the vessel's
#: side, in half-lengths: ``q - 2.5 L v``, ``q - L v``, ``q``, ``q + L v``, ``q + 2.5 L v``,
#: the outer two lifted ``L / 2``.
_ALONG = (-2.5, -1.0, 0.0, 1.0, 2.5)
_LIFT = (0.5, 0.0, 0.0, 0.0, 0.5)
#: The order :func:`first_clearing` asks a crossing's waypoints of the brainstem: its ends
#: first, where a crossing beside the brainstem enters it (all 4,926 that did in the side
#: questions of cases 0-119 of seed 1, n = 240), its centre last.
_BRAINSTEM_ORDER = (4, 0, 3, 1, 2)


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


@compiled(SURFACE, _V, _V, _V, FLOAT, FLOAT, FLOAT, _P, FLOAT, FLOAT, FLOAT, _P, _P, FLOAT)
def first_clearing(surface: tuple, origin: np.ndarray, point: np.ndarray, tangent: np.ndarray,
                   distance_mm: float, cos_a: float, sin_a: float, sides: np.ndarray,
                   half_length_mm: float, radius_mm: float, clearance_mm: float,
                   segments: np.ndarray, balls: np.ndarray, margin_mm: float) -> int:
    """Index of the first of ``sides`` (k, 3) whose crossing (:func:`crossing_waypoints` of
    ``point``, ``tangent``, ``distance_mm``, ``cos_a``, ``sin_a`` and ``half_length_mm``)
    clears, or -1 where none does.

    A crossing clears where each waypoint, a ball of ``radius_mm``, keeps ``clearance_mm``
    from the brainstem (``surface``, :func:`mvd_sim.anatomy.surface_kernels.query`, exact
    within ``radius_mm + clearance_mm``; ``origin``: the scene origin in the midline
    frame), as :meth:`mvd_sim.anatomy.brainstem.Brainstem.signed_distance` measures it, and
    a vessel of ``radius_mm`` along it keeps more than ``margin_mm`` from the tube of
    ``segments`` and ``balls`` (:func:`mvd_sim.core.geometry.closest_kernels.paths_clear`).
    Each waypoint's distance and each pair's gap are those arithmetic's own, so the side
    found is the first that clears them, whatever the order they are asked in.
    """
    scratch = query_scratch(surface)
    signed, closest, normal = np.empty(1), np.empty((1, 3)), np.empty((1, 3))
    midline = np.empty(3)
    reach_mm = radius_mm + clearance_mm
    warm = -1
    for i in range(len(sides)):
        waypoints = crossing_waypoints(point, tangent, distance_mm, cos_a, sin_a,
                                       sides[i:i + 1], half_length_mm)
        clear = True
        for j in _BRAINSTEM_ORDER:
            for c in range(3):
                midline[c] = waypoints[0, j, c] + origin[c]
            warm = query_point(surface, midline, reach_mm, False, warm, scratch, 0, signed,
                               closest, normal)
            if not signed[0] - radius_mm >= clearance_mm:
                clear = False
                break
        if clear and paths_clear(waypoints, radius_mm, segments, balls, margin_mm)[0]:
            return i
    return -1
