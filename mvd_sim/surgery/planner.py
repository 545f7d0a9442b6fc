"""Automatic sponge planning: the fewest, smallest pads that free CN VII through the pulse.

The planner settles the case at the systolic peak (the worst phase) and takes its CN VII
contacts, worst first (severity, then the root exit zone before the cisternal portion). For
each contact still present it tries pads from the smallest up (:data:`PAD_DIAMETERS_MM`,
within 0.5-1.5 times the vessel's diameter, the facts file's *estimate*), balls before
rolled cylinders, at the contact and 1 mm either side along the nerve. A pad is accepted
when the contact is gone at systole, it does not deviate the nerve and it presses on the
nerve with less than :data:`NERVE_STRESS_LIMIT_KPA`; among the accepted pads of the smallest
size the one off the root exit zone, then with the least pressure, wins (pads on the REZ or
adherent to the nerve cause failures and revisions: Thieme 2015; Al Mutawa M et al. 2024).
Vessels that push a culprit into the nerve (a VA behind a PICA) are named to be mobilised
first. The finished plan is checked over the whole pulse by :func:`mvd_sim.surgery.decompress`.

When no pad frees a contact (no room between the vessel and the nerve, or the vessel needs
more force than the nerve can take), the plan says so and which vessel would need
transposition instead (VA transposition with a Teflon sling: Lee SH et al., JKNS 2016).
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mvd_sim.case import Case
from mvd_sim.contact.analysis import Contact, analyze
from mvd_sim.core.constants import MAX_SCENARIO_BYTES
from mvd_sim.core.errors import MvdSimError, ScenarioError, SolverError
from mvd_sim.core.labels import SEVERITIES
from mvd_sim.core.validation import one_line
from mvd_sim.mechanics.simulate import Settled, build_model, settle
from mvd_sim.mechanics.sweep import clearances
from mvd_sim.scenario import SpongeSpec
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.decompress import (DecompressionReport, decompress_states,
                                        nerve_deviation_mm, over_impacted, settle_postop)
from mvd_sim.surgery.operation import Operation
from mvd_sim.surgery.pads import place_sponges

__all__ = ["plan", "plan_states", "load_plan", "Plan", "PlanStep", "PAD_DIAMETERS_MM",
           "NERVE_STRESS_LIMIT_KPA", "MAX_CANDIDATES"]

PAD_DIAMETERS_MM = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)  # facts file: about 1-4 mm
PAD_TO_VESSEL = (0.5, 1.5)  # pad diameter / vessel diameter (facts file, *estimate*)
SITE_SHIFTS_MM = (0.0, -1.0, 1.0)
SHAPES = ("ball", "cylinder")
# nerve stress at symptomatic neurovascular contacts, trigeminal FSI model (Lu HP et al.)
NERVE_STRESS_LIMIT_KPA = 25.0
#: Most candidate pads the planner solves for a case (the bundled cases need at most 6): with
#: the schema's size limits this bounds a plan's time (see the README); beyond it the plan
#: says no pad set was found within the budget.
MAX_CANDIDATES = 48

_log = logging.getLogger(__name__)  # progress of the search (INFO), shown by the CLI


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanStep(_Model):
    """One pad of the plan, in the order a surgeon places them."""

    vessel: str
    segment: Literal["RExP", "AS", "RDP", "CP"]
    s_mm: float
    sponge: SpongeSpec
    pressure_kpa: float
    on_rez: bool


class Plan(_Model):
    """``plan``'s answer (JSON schema ``mvd-sim/sponge-plan``, version 2).

    ``case_sha256`` is the planned case's fingerprint (:attr:`mvd_sim.case.Case.fingerprint`),
    so a plan file is only ever applied to the case it was made for.
    """

    schema_name: Literal["mvd-sim/sponge-plan"] = "mvd-sim/sponge-plan"
    schema_version: Literal[2] = 2
    scenario: str
    case_sha256: str
    feasible: bool
    message: str
    mobilise_first: list[str]
    steps: Annotated[list[PlanStep], Field(max_length=8)]
    predicted: DecompressionReport | None
    candidates_tried: int

    @property
    def sponges(self) -> list[SpongeSpec]:
        return [step.sponge for step in self.steps]


def load_plan(path: str | os.PathLike, scenario: str | None = None,
              case_sha256: str | None = None) -> Plan:
    """Read a plan written by ``mvd-sim plan -o``: a regular file of bounded size, validated,
    with at least one pad and (given ``scenario`` and ``case_sha256``) made for that case.

    Raises
    ------
    MvdSimError
        One line naming the file and what is wrong with it.
    """
    path = Path(path)
    limit = 4 * MAX_SCENARIO_BYTES
    try:
        if not path.is_file():
            raise MvdSimError(f"{path}: not a regular file" if path.exists()
                              else f"{path}: cannot read: no such file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise MvdSimError(f"{path}: cannot read: {err.strerror or err}") from None
    if len(data) > limit:
        raise MvdSimError(f"{path}: over the {limit}-byte limit for a plan")
    try:
        plan = Plan.model_validate_json(data)
    except ValidationError as err:
        if any(e["loc"] == ("schema_version",) and e.get("input") == 1 for e in err.errors()):
            raise MvdSimError(f"{path}: a plan of schema version 1 (an older mvd-sim) does not "
                              "say which case it was made for; run 'mvd-sim plan' again") \
                from None
        raise MvdSimError(f"{path}: {one_line(err)}") from None
    if not plan.steps:
        raise MvdSimError(f"{path}: the plan places no pad ({plan.message})")
    if scenario is not None and plan.scenario != scenario:
        raise MvdSimError(f"{path}: the plan is for scenario {plan.scenario!r}, not "
                          f"{scenario!r}")
    if case_sha256 is not None and plan.case_sha256 != case_sha256:
        raise MvdSimError(f"{path}: the plan was made for another case named {plan.scenario!r} "
                          "(its anatomy, vessels or mechanics differ); run 'mvd-sim plan' on "
                          "this one")
    return plan


def _targets(contacts: list[Contact]) -> list[Contact]:
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    return sorted((c for c in contacts if c.nerve == "CN7"),
                  key=lambda c: (-rank[c.severity], not c.in_rez, c.s_deepest_mm))


def _still_there(state: Settled, target: Contact, free_mm: float) -> bool:
    """Whether the target's vessel is not yet free of CN VII: within the at-risk margin
    (the verdict's ``cn7_free``)."""
    return clearances(state.scene)[target.vessel] < free_mm


def _sizes(vessel_diameter_mm: float) -> list[float]:
    low, high = (k * vessel_diameter_mm for k in PAD_TO_VESSEL)
    sizes = [d for d in PAD_DIAMETERS_MM if low - 1e-9 <= d <= high + 1e-9]
    return sizes or [min(PAD_DIAMETERS_MM, key=lambda d: abs(d - vessel_diameter_mm))]


class _OverBudget(Exception):
    """The search has solved :data:`MAX_CANDIDATES` candidates."""


class _Evaluator:
    """Quick checks of candidate pad sets at the systolic peak, from the settled pre-op."""

    def __init__(self, case: Case):
        self.scene, self.materials, self.thresholds = case.scene, case.materials, case.thresholds
        self.model = build_model(self.scene, (), self.materials)
        self.before: Settled = settle(self.scene, level=1.0, model=self.model)
        self.tried = 0

    def __call__(self, specs: list[SpongeSpec]) -> tuple[Settled, list[Contact]] | None:
        """The systolic state with the pads in, and its CN VII contacts; None if a pad has
        no room or the solve fails."""
        try:
            bodies, holds_off = place_sponges(self.scene, specs)
        except ScenarioError:
            return None
        if self.tried >= MAX_CANDIDATES:
            raise _OverBudget
        self.tried += 1
        last = specs[-1]
        _log.info("plan: candidate %d of at most %d, a %g mm %s for %s", self.tried,
                  MAX_CANDIDATES, last.diameter_mm, last.shape, last.vessel)
        model = build_model(self.scene, bodies, self.materials)
        try:
            state = settle_postop(self.scene, self.model, model, holds_off, self.before, 1.0)
        except SolverError:
            return None
        report = analyze(state.scene, self.thresholds)
        return state, [c for c in report.contacts if c.nerve == "CN7"]


def _pad_load(state: Settled, index: int, rez_end_mm: float, rest_s: np.ndarray
              ) -> tuple[float, bool]:
    from mvd_sim.surgery.decompress import sponge_outcomes

    outcome = sponge_outcomes(state, ("",) * len(state.scene.sponges), rez_end_mm, rest_s)
    return outcome[index].nerve_pressure_kpa, outcome[index].on_rez


def plan(case: Case) -> Plan:
    """Find a sponge plan for the case (see the module docstring), with its materials and
    thresholds; the plan records the case's fingerprint."""
    return plan_states(case)[0]


def plan_states(case: Case) -> tuple[Plan, Settled | None]:
    """:func:`plan` and the post-operative state at its worst phase (None without pads)."""
    scene = case.scene
    answer = partial(Plan, scenario=case.name, case_sha256=case.fingerprint)
    evaluate = _Evaluator(case)
    pre = analyze(evaluate.before.scene, case.thresholds)
    mobilise = [c.vessel for c in pre.culprits if c.pushes is not None]
    targets = _targets(pre.contacts)
    meshes = sorted({c.vessel for c in targets if c.vessel not in scene.vessels})
    if meshes:
        return answer(feasible=False, mobilise_first=mobilise, steps=[],
                    predicted=None, candidates_tried=0,
                    message=f"no sponge plan: {', '.join(meshes)} touch(es) CN VII but "
                            "is known only as a mesh; the mechanics need a centerline"), None
    if not targets:
        return answer(feasible=True, mobilise_first=[], steps=[],
                    predicted=None, candidates_tried=0,
                    message="no vessel touches CN VII at systole: nothing to decompress"), None
    marks, rest_s = scene.landmarks["CN7"], scene.rest_nerves["CN7"].s
    steps: list[PlanStep] = []
    current = evaluate.before, [c for c in pre.contacts if c.nerve == "CN7"]
    for target in targets:
        if not _still_there(current[0], target, case.thresholds.near_miss_mm):
            continue
        try:
            chosen = _best_pad(scene, evaluate, steps, target, marks.rez_end_mm, rest_s)
        except _OverBudget:
            return answer(
                feasible=False, mobilise_first=mobilise, steps=steps,
                predicted=None, candidates_tried=evaluate.tried,
                message=(f"no sponge plan within the search's budget of {MAX_CANDIDATES} "
                         f"candidate pads: {len(steps)} pad(s) placed, CN VII still touched "
                         f"by {target.vessel} at the {target.segment}")), None
        if chosen is None:
            vessel = scene.vessels[target.vessel]
            sizes = ", ".join(f"{d:g}" for d in _sizes(2 * float(vessel.radius[0])))
            return answer(
                feasible=False, mobilise_first=mobilise, steps=steps,
                predicted=None, candidates_tried=evaluate.tried,
                message=(f"no sponge plan: no pad of {sizes} mm "
                         f"frees CN VII from {target.vessel} ({vessel.kind}) at the "
                         f"{target.segment} without lifting the nerve or pressing on it with "
                         f"more than {NERVE_STRESS_LIMIT_KPA:g} kPa, or there is no room for "
                         f"one; consider transposing {target.vessel} instead")), None
        steps.append(chosen[0])
        current = chosen[1]
    report, _, after = decompress_states(case, Operation(pads=[s.sponge for s in steps]))
    if report.decompressed:
        message = (f"{len(steps)} pad(s) free CN VII through the whole pulse: "
                   + "; ".join(report.reasons))
    else:
        message = "no sponge plan frees CN VII through the whole pulse: " + \
            "; ".join(report.reasons)
    return answer(feasible=report.decompressed, mobilise_first=mobilise,
                steps=steps, predicted=report, candidates_tried=evaluate.tried,
                message=message), after


def _best_pad(scene: Scene, evaluate: _Evaluator, steps: list[PlanStep], target: Contact,
              rez_end_mm: float, rest_s: np.ndarray):
    """The smallest accepted pad for ``target`` with the previous steps in place.

    At each size a ball at the contact is tried first; only if it is accepted are the sites
    either side tried too (for less pressure on the REZ), and only if no ball is accepted
    is a rolled cylinder tried.
    """
    nerve_length = scene.rest_nerves["CN7"].length_mm
    vessel = scene.vessels[target.vessel]
    previous = [s.sponge for s in steps]

    def attempt(shape: str, diameter: float, shift: float):
        s_mm = float(np.clip(target.s_deepest_mm + shift, 0.3, nerve_length - 0.3))
        spec = SpongeSpec(id=f"pad{len(steps) + 1}", shape=shape, diameter_mm=diameter,
                          s_mm=s_mm, vessel=target.vessel,
                          length_mm=max(4.0, diameter) if shape == "cylinder" else None)
        result = evaluate(previous + [spec])
        if result is None or _still_there(result[0], target, evaluate.thresholds.near_miss_mm):
            return None
        state = result[0]
        pressure, on_rez = _pad_load(state, len(previous), rez_end_mm, rest_s)
        if pressure > NERVE_STRESS_LIMIT_KPA or over_impacted(
                nerve_deviation_mm(state.scene), nerve_deviation_mm(evaluate.before.scene),
                evaluate.thresholds):
            return None
        step = PlanStep(vessel=target.vessel, segment=target.segment, s_mm=s_mm, sponge=spec,
                        pressure_kpa=pressure, on_rez=on_rez)
        return (on_rez, pressure), step, result

    for diameter in _sizes(2.0 * float(vessel.radius[0])):
        for shape in SHAPES:
            first = attempt(shape, diameter, SITE_SHIFTS_MM[0])
            if first is None:
                continue
            accepted = [first]
            if first[0][0]:  # on the REZ: see whether a site beside it spares the REZ
                accepted += [a for a in (attempt(shape, diameter, shift)
                                         for shift in SITE_SHIFTS_MM[1:]) if a is not None]
            best = min(accepted, key=lambda a: a[0])
            return best[1], best[2]
    return None
