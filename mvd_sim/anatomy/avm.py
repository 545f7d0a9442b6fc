"""An AVM's vessels: the branches joining its named feeders and drainers to the nidus, and
the tangle of small tortuous vessels the nidus is drawn as (scene frame, mm).

- :func:`connector`: a short branch from a named vessel's centerline point nearest the
  nidus into the nidus (its last point :data:`CONNECTOR_DEPTH_TO_RADIUS` of its own radius
  inside the surface), bowed round the nerves it would otherwise cross. ``None`` when the
  vessel already meets the nidus (its surface within :data:`MEETS_TOLERANCE_MM` of it).
- :func:`reach_gap`: how far a vessel (and its connector) stays from the nidus' surface,
  the quantity the tests hold under :data:`MEETS_TOLERANCE_MM`.
- :func:`tangle`: closed tortuous loops inside the nidus (the picture's tangle; the contact
  engine and the mechanics keep the ellipsoid).
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.core.geometry.ellipsoid import closest_point
from mvd_sim.core.geometry.vec import unit
from mvd_sim.core.tube import Tube

__all__ = ["connector", "reach_gap", "tangle", "CONNECTOR_RADIUS_RATIO",
           "CONNECTOR_DEPTH_TO_RADIUS", "MEETS_TOLERANCE_MM", "TANGLE_RADIUS_MM",
           "TANGLE_BEND_TO_RADIUS", "NERVE_CLEARANCE_MM"]

#: *estimate*: a connecting branch's radius over its parent's radius where it leaves it.
CONNECTOR_RADIUS_RATIO = 0.6
#: A connector ends this many of its radii inside the nidus' surface (it enters the nidus).
CONNECTOR_DEPTH_TO_RADIUS = 1.0
#: A vessel meets the nidus when its surface comes this close (mm) to the nidus' surface.
MEETS_TOLERANCE_MM = 0.05
#: *estimate*: radius (mm) of the tangle's vessels.
TANGLE_RADIUS_MM = 0.3
#: How far (mm) a connector's surface keeps off a nerve's surface.
NERVE_CLEARANCE_MM = 0.2
_BOW_STEPS = 40
_SAMPLES = 24
#: (frequencies, phases) of the tangle's loops: each coordinate of the unit ball
#: ``sin(f t + phase)``; small integer frequencies make closed, tortuous loops, and these
#: phases the gentlest turns of each set of frequencies (a search over phases 0.4 apart).
_LOOPS = (((2, 3, 4), (0.0, 2.4, 0.4)), ((2, 4, 3), (0.0, 0.4, 2.4)),
          ((3, 2, 4), (0.0, 2.0, 2.4)), ((3, 4, 2), (0.0, 2.4, 2.0)),
          ((1, 2, 3), (0.0, 0.0, 0.0)), ((2, 3, 1), (0.0, 1.6, 1.6)))
#: A tangle vessel's bend radius is kept at least this many of its radii (no folded tube).
TANGLE_BEND_TO_RADIUS = 1.2
_LOOP_SCALE = 1.0 / np.sqrt(3.0)   # every loop point inside the unit ball


def reach_gap(tube: Tube, nidus: Ellipsoid) -> float:
    """mm: the least distance from ``tube``'s surface to the nidus' surface (0 or less where
    it enters; centerline points only)."""
    return float(np.min(nidus.signed_distance(tube.points) - tube.radius))


def _bezier(p0: np.ndarray, c: np.ndarray, p1: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, _SAMPLES)[:, None]
    return (1 - t) ** 2 * p0 + 2 * t * (1 - t) * c + t ** 2 * p1


def _nerve_overlap(points: np.ndarray, radius: float, nerves: list[Tube]
                   ) -> tuple[float, np.ndarray]:
    """The deepest (mm) a tube of ``radius`` on ``points`` comes within the clearance of a
    nerve, and the unit direction pushing it out there (zero when clear)."""
    worst, push = 0.0, np.zeros(3)
    for nerve in nerves:
        distance, seg, _, nearest = point_polyline(points, nerve.points)
        need = nerve.radius[seg] + radius + NERVE_CLEARANCE_MM - distance
        i = int(np.argmax(need))
        if need[i] > worst:
            worst, push = float(need[i]), unit(points[i] - nearest[i])
    return worst, push


def connector(name: str, vessel: Tube, nidus: Ellipsoid, nerves: list[Tube]) -> Tube | None:
    """A branch from ``vessel`` into the nidus, or ``None`` when ``vessel`` meets it already.

    It leaves the vessel's centerline at the point nearest the nidus' surface, with
    :data:`CONNECTOR_RADIUS_RATIO` of the vessel's radius there, and ends at the nidus'
    surface point nearest that point, :data:`CONNECTOR_DEPTH_TO_RADIUS` of its radius
    inside. Its course is a quadratic Bezier curve; where it would come within
    :data:`NERVE_CLEARANCE_MM` of a nerve of ``nerves`` its middle control point is moved
    away from the nerve until it clears (or after 40 steps, as near as it got). Its kind is
    the vessel's, so it is drawn in the vessel's colour.
    """
    if reach_gap(vessel, nidus) <= MEETS_TOLERANCE_MM:
        return None
    gap = nidus.signed_distance(vessel.points) - vessel.radius
    i = int(np.argmin(gap))
    start = vessel.points[i]
    radius = CONNECTOR_RADIUS_RATIO * float(vessel.radius[i])
    local = nidus.local(start[None])
    near, _ = closest_point(local, nidus.semi_axes_mm)
    normal = unit(near / nidus.semi_axes_mm ** 2) @ nidus.axes
    surface = near[0] @ nidus.axes + nidus.centre
    end = surface - CONNECTOR_DEPTH_TO_RADIUS * radius * normal[0]
    control = 0.5 * (start + end)
    for _ in range(_BOW_STEPS):
        points = _bezier(start, control, end)
        deficit, push = _nerve_overlap(points[1:-1], radius, nerves)
        if deficit <= 0.0:
            break
        control = control + 2.0 * deficit * push
    return Tube(name, vessel.kind, _bezier(start, control, end), np.full(_SAMPLES, radius))


def tangle(nidus: Ellipsoid, radius_mm: float = TANGLE_RADIUS_MM) -> tuple[Tube, ...]:
    """The nidus drawn as a tangle: six closed tortuous loops (Lissajous curves inside the
    unit ball scaled to the nidus' semi-axes less ``radius_mm``), whose centerlines lie
    inside the ellipsoid. Each is a tube of ``radius_mm``, or thinner where a small nidus
    bends its loops under :data:`TANGLE_BEND_TO_RADIUS` of it. Deterministic: the same nidus
    gives the same tangle."""
    t = np.linspace(0.0, 2.0 * np.pi, 160, endpoint=False)
    scale = np.maximum(nidus.semi_axes_mm - radius_mm, 0.5 * nidus.semi_axes_mm)
    loops = [(_LOOP_SCALE * np.sin(np.outer(t, freq) + np.asarray(phase)) * scale)
             @ nidus.axes + nidus.centre for freq, phase in _LOOPS]
    tightest = min(float(curve.bend_radius(p, curve.arc_length(p), radius_mm).min())
                   for p in loops)
    radius = min(radius_mm, tightest / TANGLE_BEND_TO_RADIUS)
    return tuple(Tube(f"{nidus.name}:tangle{k}", "avm", p, np.full(len(p), radius))
                 for k, p in enumerate(loops))
