"""Other causes of hemifacial spasm in a dataset: which one a case has (drawn at its
published share, :class:`~mvd_sim.dataset.priors.CausePriors`), and its scenario with the
lesion, the ectatic VA or the band added.

A case's cause is drawn from its own stream, ``default_rng([seed, index, 2])``, so the
vascular part of every case (its diagnosis and geometry) is the same with or without the
``causes`` section of the priors. Only symptomatic cases have one; a dolichoectatic VA only
where the VA is a culprit, at the share of those cases that gives its overall rate.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.constants import MASS_DEFAULT_SEMI_AXES_MM, MASS_ORIGINS, MAX_MASS_SEMI_AXIS_MM
from mvd_sim.core.geometry.closest import closest_approach
from mvd_sim.dataset.priors import Priors, combination_types
from mvd_sim.scenario import ScenarioSpec, parse_scenario
from mvd_sim.scene.scene import Scene

__all__ = ["VASCULAR", "draw_cause", "with_cause", "CAUSE_STREAM"]

VASCULAR = "vascular"
#: The third key of a case's cause stream (0: diagnosis, 1: geometry).
CAUSE_STREAM = 2
#: Sides of CN VII a sampled mass lies on (*estimate*: a schwannoma behind VII, from VIII,
#: the others in front or behind alike).
MASS_SIDES = ("posterior", "anterior")


def _va_share(priors: Priors) -> float:
    """Share of symptomatic cases whose culprits include the VA."""
    table = priors.table("combination")
    return sum(w for key, w in table.items() if "VA" in combination_types(key))


def draw_cause(priors: Priors, culprits: tuple[str, ...], control: bool, seed: int,
               index: int) -> str:
    """The cause of case ``index``: :data:`VASCULAR`, or one of the priors' ``causes.rate``
    keys at its share (none for a control or without the section)."""
    if priors.causes is None or control:
        return VASCULAR
    rates = dict(priors.causes.rate)
    share = _va_share(priors)
    rates["dolichoectasia"] = rates.get("dolichoectasia", 0.0) / share \
        if "VA" in culprits and share > 0 else 0.0
    u = np.random.default_rng([seed, index, CAUSE_STREAM]).random()
    total = 0.0
    for cause, rate in rates.items():
        total += rate
        if u < total:
            return cause
    return VASCULAR


def _first_culprit(spec: ScenarioSpec, arteries_only: bool = False) -> str | None:
    """The id of the first vessel asked to compress CN VII (an artery, if asked)."""
    for vessel in spec.vessels:
        if arteries_only and vessel.type == "vein":
            continue
        if any(c.target == "CN7" for c in vessel.compresses):
            return vessel.id
    return None


def _closest_arc(scene: Scene, vessel: str) -> float:
    tube, nerve = scene.vessels[vessel], scene.nerves["CN7"]
    return round(float(closest_approach(tube.points, nerve.points, tube.radius,
                                        nerve.radius).arc_a), 2)


def with_cause(spec: ScenarioSpec, scene: Scene, cause: str, priors: Priors,
               rng: np.random.Generator) -> ScenarioSpec:
    """``spec`` (whose case as built is ``scene``) with ``cause`` added: a mass beside CN VII
    (kind, origin, size and displacement drawn), an AVM's nidus at the first compression's
    segment fed by its artery and drained by a vein, an aneurysm on the first compressing
    artery where it comes closest to CN VII, the VA widened past the dolichoectasia
    threshold, or an arachnoid band tethering the first compressing vessel there.

    Raises
    ------
    ScenarioError
        If the scenario so changed is not valid (the caller draws the case again).
    """
    if cause == VASCULAR:
        return spec
    drawn = priors.causes
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    first = _first_culprit(spec)
    if cause == "tumour":
        kinds = list(drawn.mass_kind)
        weights = np.array([drawn.mass_kind[k] for k in kinds], dtype=float)
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        scale = drawn.mass_scale.draw(rng)
        axes = [round(float(np.clip(a * scale, 0.6, MAX_MASS_SEMI_AXIS_MM)), 2)
                for a in MASS_DEFAULT_SEMI_AXES_MM[kind]]
        displacement = min(drawn.mass_displacement_mm.draw(rng), 2.0 * axes[1])
        data["masses"] = [{"id": "tumour", "kind": kind,
                           "origin": MASS_ORIGINS[int(rng.integers(len(MASS_ORIGINS)))],
                           "semi_axes_mm": axes,
                           "from": MASS_SIDES[int(rng.integers(len(MASS_SIDES)))],
                           "displacement_mm": round(displacement, 2)}]
    elif cause == "avm":
        feeder = _first_culprit(spec, arteries_only=True)
        vessel = next(v for v in spec.vessels if v.id == feeder)
        segment = next(c.segment for c in vessel.compresses if c.target == "CN7") or "AS"
        if not any(v.type == "vein" for v in spec.vessels):
            data["vessels"].append({"id": "vein", "type": "vein"})
        drain = next((v.id for v in spec.vessels if v.type == "vein"), "vein")
        data["avms"] = [{"id": "nidus", "segment": segment, "from": "anterior",
                         "feeders": [feeder], "drainers": [drain]}]
    elif cause == "aneurysm":
        parent = _first_culprit(spec, arteries_only=True)
        dome = round(drawn.aneurysm_dome_mm.draw(rng), 2)
        data["aneurysms"] = [{"id": "aneurysm", "vessel": parent,
                              "vessel_s_mm": _closest_arc(scene, parent), "dome_mm": dome,
                              "neck_mm": round(0.5 * dome, 2)}]
    elif cause == "dolichoectasia":
        for vessel in data["vessels"]:
            if vessel["type"] == "VA":
                vessel["radius_mm"] = round(drawn.va_radius_mm.draw(rng), 3)
    elif cause == "arachnoid_band":
        data["bands"] = [{"id": "band1", "vessel": first,
                          "vessel_s_mm": _closest_arc(scene, first)}]
    data["description"] += f" Cause: {cause.replace('_', ' ')}."
    return parse_scenario(data, spec.title)
