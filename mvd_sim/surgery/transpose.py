"""Transposing a vessel with a sling: from a :class:`~mvd_sim.scenario.TranspositionSpec` to a
:class:`~mvd_sim.scene.slings.Sling` in the scene.

A surgeon moves a VA (or a large AICA or PICA loop) off the nerve and holds it there with a
band of ePTFE sutured to the dura: the VA is moved superolaterally and the sling sutured to
the petrous dura (Masuoka J et al., Neurosurg Rev 2011), or held there with glue. The band
goes round the vessel at ``vessel_s_mm`` (default: where it comes closest to CN VII) over
``width_mm``, and holds its nodes there ``distance_mm`` from where they lay, in the
direction (the rule, an *estimate*; no published geometry):

    ``d = unit(away + toward)``

with ``away`` the unit direction from CN VII's nearest centerline point to the vessel's, and
``toward`` the unit direction toward the anchor: into the petrous face (minus its normal)
for ``petrous``, rostral (+z) for ``tentorium``. A sling whose anchor lies behind the nerve
(``|away + toward| <`` :data:`MIN_PULL`) would pull the vessel across it and is refused.
The anchor point is recorded for reports and pictures: on the petrous face, the foot of the
band's target point, moved out of the porus opening onto its rim; on the tentorium (taken
as the horizontal plane :data:`TENTORIUM_ABOVE_PORUS_MM` above the porus, an *estimate*),
the point of that plane above the target.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry.closest import closest_approach, point_polyline
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.scenario import TranspositionSpec, check_transpositions
from mvd_sim.scene.scene import Scene
from mvd_sim.scene.slings import Sling
from mvd_sim.surgery.pads import spread_along

__all__ = ["place_slings", "slung_start", "MIN_PULL", "TENTORIUM_ABOVE_PORUS_MM"]

#: *estimate*: the tentorium, where a sling may be tied instead of the petrous dura, taken as
#: a horizontal plane this far (mm) above the porus (no published distance).
TENTORIUM_ABOVE_PORUS_MM = 10.0
#: Least ``|away + toward|`` (of two unit vectors) of a sling: below it the anchor lies
#: behind the nerve (more than about 150 degrees from ``away``).
MIN_PULL = 0.5
_ROSTRAL = np.array([0.0, 0.0, 1.0])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _sling(scene: Scene, spec: TranspositionSpec, name: str) -> Sling:
    vessel, nerve = scene.vessels[spec.vessel], scene.nerves["CN7"]
    if spec.vessel_s_mm is None:
        s = closest_approach(vessel.points, nerve.points, vessel.radius, nerve.radius).arc_a
    elif spec.vessel_s_mm > vessel.length_mm:
        raise ScenarioError(f"vessel_s_mm {spec.vessel_s_mm:g} is beyond the end of "
                            f"{vessel.name} ({vessel.length_mm:.1f} mm)")
    else:
        s = spec.vessel_s_mm
    point = vessel.point_at(s)
    *_, near = point_polyline(point[None], nerve.points)
    away = _unit(point - near[0])
    if spec.anchor == "petrous":
        if scene.petrous is None:
            raise ScenarioError("the scene has no petrous face to tie a sling to")
        toward = -scene.petrous.normal
    else:
        toward = _ROSTRAL
    pull = away + toward
    if np.linalg.norm(pull) < MIN_PULL:
        raise ScenarioError(f"the {spec.anchor} dura lies behind CN7 from {vessel.name} at "
                            f"vessel_s_mm {s:.1f}: a sling tied there would pull the vessel "
                            "across the nerve")
    translation = spec.distance_mm * _unit(pull)
    target = point + translation
    if spec.anchor == "petrous":
        anchor_point = scene.petrous.off_porus(target)[0]
    else:
        level = scene.rest_nerves["CN7"].points[-1, 2] + TENTORIUM_ABOVE_PORUS_MM
        anchor_point = np.array([target[0], target[1], max(level, target[2])])
    return Sling(name, vessel.name, float(s), spec.width_mm, translation, spec.anchor,
                 anchor_point)


def place_slings(scene: Scene, specs: Sequence[TranspositionSpec],
                 labels: Sequence[str] | None = None) -> tuple[Sling, ...]:
    """Slings for the specs (see the module docstring).

    ``labels`` names where each spec came from in errors (default ``transpositions[k]``;
    the CLI passes ``--transpose 'va,distance=5'``).

    Raises
    ------
    ScenarioError
        ``<label>: ...`` if a spec names a vessel not in ``scene`` or a vein, places the band
        beyond the vessel's end, or ties it behind the nerve.
    """
    labels = labels or [f"transpositions[{k}]" for k in range(len(specs))]
    check_transpositions({name: tube.kind for name, tube in scene.vessels.items()}, specs,
                         labels)
    slings = []
    for k, (spec, label) in enumerate(zip(specs, labels)):
        try:
            slings.append(_sling(scene, spec, spec.id or f"sling{k + 1}"))
        except ScenarioError as err:
            raise ScenarioError(f"{label}: {err}") from None
    return tuple(slings)


def slung_start(model: MechanicalModel, base: np.ndarray) -> np.ndarray:
    """Starting displacements ``base`` (n_dof,) with each slung vessel moved as its band will
    hold it (``Sling.translation`` under the band, spread smoothly along the vessel), as a
    surgeon moves the vessel before tying the sling; ``base`` itself without slings."""
    if not model.slings:
        return base
    u0 = base.copy()
    names = [rod.name for rod in model.rods]
    for sling in model.slings:
        k = names.index(sling.vessel)
        tube = model.rods[k].tube
        need = np.zeros(len(tube.points))
        need[sling.nodes(tube)] = sling.distance_mm
        u0[model.translation_dofs(k)] += spread_along(tube.s, need)[:, None] * sling.direction
    return u0
