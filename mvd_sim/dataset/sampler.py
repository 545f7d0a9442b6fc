"""Draw one case from the priors: a scenario fully determined by (seed, case index).

Each case has its own random stream, ``numpy.random.default_rng([seed, index, attempt])``,
so a case never depends on which worker draws it or in which order. A draw the scene
builder cannot place (an awkward course) is redrawn with the next ``attempt``.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.atlas import build_scene
from mvd_sim.dataset.priors import Priors
from mvd_sim.errors import ScenarioError
from mvd_sim.scenario import ScenarioSpec, parse_scenario
from mvd_sim.scene import Scene

__all__ = ["draw_spec", "sample_case", "MAX_ATTEMPTS", "SIDES_BY_VESSEL"]

MAX_ATTEMPTS = 8
# sides a vessel comes from (AICA ventral 53% / dorsal 44%: Ballesteros 2020; PICA loops up
# from below; the VA lies caudal-anterior): *estimate* of the split within each
SIDES_BY_VESSEL = {"AICA": ("anterior", "caudal", "posterior"),
                   "PICA": ("caudal", "posterior", "anterior"),
                   "VA": ("anterior", "caudal"), "vein": ("rostral", "posterior", "caudal")}


def _contact(priors: Priors, rng: np.random.Generator, kind: str, segment: str) -> dict:
    severity = priors.choose("severity", rng)
    contact = {"target": "CN7", "segment": segment,
               "from": str(rng.choice(SIDES_BY_VESSEL[kind])),
               "crossing_angle_deg": round(priors.crossing_angle_deg.draw(rng), 2)}
    if severity != "mild":
        contact["indentation_mm"] = round(priors.indentation_mm.draw(rng), 3)
    if severity == "severe":
        contact["nerve_deviation_mm"] = round(priors.deviation_mm.draw(rng), 3)
    return contact


def draw_spec(priors: Priors, rng: np.random.Generator, name: str) -> ScenarioSpec:
    """One scenario drawn from the priors (not yet built)."""
    side = priors.choose("side", rng)
    nerve = {"cisternal_length_mm": round(priors.facial_nerve.cisternal_length_mm.draw(rng), 2),
             "angle_to_midline_deg": round(priors.facial_nerve.angle_to_midline_deg.draw(rng),
                                           2)}
    culprits = [priors.choose("culprit", rng)]
    if rng.random() < priors.multivessel_rate:
        for _ in range(8):
            other = priors.choose("culprit", rng)
            if other not in culprits:
                culprits.append(other)
                break
    control = rng.random() < priors.control_rate
    vessels = [{"id": "ba", "type": "BA"}]
    pusher = "VA" in culprits and len(culprits) > 1
    kinds = set(culprits) | ({"VA"} if "PICA" in culprits else set())
    for kind in ("VA", "PICA", "AICA", "vein"):
        if kind not in kinds:
            continue
        vessel = {"id": kind.lower(), "type": kind,
                  "radius_mm": round(priors.vessel_radius_mm[kind].draw(rng), 3)}
        if control or kind not in culprits:
            vessels.append(vessel)
            continue
        if kind == "VA" and pusher:  # the VA pushes the other culprit into the nerve
            target = next(c for c in culprits if c != "VA").lower()
            vessel["compresses"] = [{"target": target}]
        else:
            site = priors.choose("site", rng)
            vessel["compresses"] = [_contact(priors, rng, kind, site)]
            if site != "CP" and rng.random() < priors.double_rate:
                vessel["compresses"].append(_contact(priors, rng, kind, "CP"))
        vessels.append(vessel)
    return parse_scenario({
        "schema_version": 1, "title": f"Sampled case {name}",
        "description": "Drawn from the dataset priors: " + ", ".join(culprits)
        + (" (control: no compression)" if control else ""),
        "side": side, "anatomy": {"facial_nerve": nerve}, "vessels": vessels}, name)


def sample_case(priors: Priors, seed: int, index: int) -> tuple[ScenarioSpec, Scene, int]:
    """The case ``index`` of a dataset: its scenario, its scene and the attempt that placed.

    Raises
    ------
    ScenarioError
        If no attempt of :data:`MAX_ATTEMPTS` can be placed.
    """
    name = f"case{index:07d}"
    for attempt in range(MAX_ATTEMPTS):
        spec = draw_spec(priors, np.random.default_rng([seed, index, attempt]), name)
        try:
            return spec, build_scene(spec, name), attempt
        except ScenarioError:
            continue
    raise ScenarioError(f"{name}: no placeable draw in {MAX_ATTEMPTS} attempts")
