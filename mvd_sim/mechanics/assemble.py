"""Rods for a scene's nerves and vessels, supported where anatomy holds them.

- CN VII and CN VIII: clamped at the brainstem (their first node) and at the internal
  acoustic porus (last node); the attached segment (RExP to RDP) is bound to the pons by the
  pia (:attr:`Materials.pia_tether_mpa`). The stress-free shape is the rest course; a nerve
  the scenario deviates starts deviated. The section dents like brain tissue where it is
  centrally myelinated and like root tissue beyond the transition zone.
- Vessels: clamped at both ends (the parent trunk or its origin, and the distal end); the
  arachnoid tethers every node to its course (:func:`tether_per_length`). The stress-free
  shape is the course the scenario places (nodes at most :data:`VESSEL_NODE_SPACING_MM`
  apart); arteries pulse, veins do not. A branch's first
  :data:`~mvd_sim.core.constants.BRANCH_ORIGIN_MM` mm never contacts its trunk (they join there).
"""

from __future__ import annotations

import weakref

import numpy as np

from mvd_sim.anatomy.vessels import arc_from_junction
from mvd_sim.core.constants import BRANCH_ORIGIN_MM, VESSEL_PARENT
from mvd_sim.mechanics.bodies import Rod, tributary_lengths
from mvd_sim.core.materials import Materials
from mvd_sim.mechanics.sections import tether_per_length
from mvd_sim.scene.scene import Scene

__all__ = ["scene_rods", "ROOTED_TOLERANCE_MM", "VESSEL_NODE_SPACING_MM"]

ROOTED_TOLERANCE_MM = 0.01  # nodes deeper than this in the brainstem at rest are rooted in it
# vessel rods use nodes at most this far apart (a 0.5 mm chord on a 3 mm bend is 0.01 mm off
# the curve); nerves keep the scene's nodes, which the contact engine pairs with their rest
VESSEL_NODE_SPACING_MM = 0.5


def _ends_clamped(n: int) -> np.ndarray:
    clamped = np.zeros(n, dtype=bool)
    clamped[[0, -1]] = True
    return clamped


def _free_of_brainstem(scene: Scene, points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    gap = scene.brainstem.signed_distance(points, max_distance_mm=float(radius.max()) + 1.0)
    return gap - radius >= -ROOTED_TOLERANCE_MM


def _nerve_rod(scene: Scene, name: str, materials: Materials) -> Rod:
    rest, placed, marks = scene.rest_nerves[name], scene.nerves[name], scene.landmarks[name]
    trib = tributary_lengths(rest.points)
    pia = np.where(rest.s <= marks.rdp_mm, materials.pia_tether_mpa * trib, 0.0)
    central = marks.centrally_myelinated(rest.s)
    dent = np.where(central, materials.central_dent_mpa, materials.peripheral_dent_mpa)
    return Rod(tube=rest, start=placed.points, clamped=_ends_clamped(len(rest.points)),
               tether_n_per_mm=pia, dent_mpa=dent,
               capacity_mm=materials.dent_capacity * rest.radius,
               brainstem_contact=_free_of_brainstem(scene, rest.points, rest.radius))


def _vessel_rod(scene: Scene, name: str, materials: Materials) -> Rod:
    tube = scene.vessels[name].resampled(VESSEL_NODE_SPACING_MM)
    trib = tributary_lengths(tube.points)
    near = {trunk.name: arc_from_junction(tube, trunk.points) <= BRANCH_ORIGIN_MM
            for trunk in scene.vessels.values() if VESSEL_PARENT.get(tube.kind) == trunk.kind}
    n = len(tube.points)
    return Rod(tube=tube, start=tube.points, clamped=_ends_clamped(n),
               tether_n_per_mm=tether_per_length(materials) * trib,
               dent_mpa=np.full(n, materials.vessel_wall_dent_mpa),
               capacity_mm=materials.dent_capacity * tube.radius,
               brainstem_contact=_free_of_brainstem(scene, tube.points, tube.radius),
               near_junction=near, pulsatile=tube.kind != "vein")


# per scene (a value: never changed once made), its rods for each materials asked with: a
# case's models with and without pads (the planner's candidates, the pulse sweeps, a
# session's tries) share one set of rods, and with them each rod's assembled stiffness
_RODS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def scene_rods(scene: Scene, materials: Materials) -> list[Rod]:
    """The scene's nerves, then its tube vessels, as supported rods (made once per scene
    and materials; a new list each call)."""
    made = _RODS.setdefault(scene, {})
    key = (materials, VESSEL_NODE_SPACING_MM)  # the spacing: benchmarks vary it
    if key not in made:
        made[key] = ([_nerve_rod(scene, name, materials) for name in scene.nerves]
                     + [_vessel_rod(scene, name, materials) for name in scene.vessels])
    return list(made[key])
