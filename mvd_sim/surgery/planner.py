"""The planner: the operation a surgeon would choose, simulated and checked through the pulse.

The case is settled at the systolic peak (the worst phase). Every vessel that is not free of
CN VII there (nearer than the at-risk margin, ``near_miss_mm``: the verdict's own
``cn7_free``) is a target, worst first (the severity of its compression, the root exit zone
before the cisternal portion). For each target the planner tries, in order of preference,
the moves a surgeon would (each move solved at systole with the moves already chosen; the
first accepted is kept):

1. **Pads away from the nerve** (interposition between the vessel and the brainstem, its
   parent trunk or the petrous dura: pads adherent to the nerve caused 53.5% of revisions,
   Al Mutawa M et al. 2024; prefer pads that do not touch the REZ, Thieme 2015), at seats
   along the vessel :data:`SEAT_OFFSETS_MM` either side of where it comes closest to CN VII,
   the nearest first, smallest pads first (:data:`PAD_DIAMETERS_MM`, within 0.5-1.5 times
   the vessel's diameter, the facts file's *estimate*); a seat that cannot hold a pad is
   skipped without a solve. A pad that touches the root exit zone is not accepted here.
2. **Pads on the nerve**, at the contact and 1 mm either side, balls before rolled
   cylinders, the smallest size that frees the site; of that size the first off the root
   exit zone is chosen, else the first.
3. **Transposition** (arteries): a sling (:data:`TRANSPOSE_DISTANCES_MM`, the nearest that
   works, tied at the vessel's closest point to CN VII or :data:`SLING_OFFSETS_MM` along it)
   holding the vessel off the nerve, tied to the petrous dura (VA transposition with a
   sling: 42 of 42 patients spasm-free, Lee SH et al., JKNS 2016). It comes FIRST for a VA
   whose compression is severe as built (a dominant, ectatic VA deviating the nerve: the
   rule this planner states), and last for other arteries.
4. **Coagulation and division** (veins only, after pads fail to mobilise it), with the
   venous-infarct caveat.

Causes pads do not treat (:mod:`mvd_sim.surgery.causes`): a case with a tumour, an aneurysm
or an AVM is refused with what the literature does instead (no solve is spent); a
dolichoectatic VA or BA is transposed before pads are tried; an arachnoid band tethering a
culprit is cut first (a move of its own), and the search runs on the case without it.

A move is accepted when, at systole, the target is free by the margin, the nerve is not
over-impacted, no vessel touches CN VIII that did not before (nor deeper), and no pad presses
a nerve or the brainstem beyond the verdict's limits. Vessels that push a culprit into the
nerve (a VA behind a PICA) are named to be mobilised first. The chosen operation is then
judged through the whole pulse by :func:`mvd_sim.surgery.decompress.decompress`: the plan is
feasible only if the verdict is ``decompressed``. Where the pulse alone brings a vessel inside
the margin, the search runs once more asking that much more (plus
:data:`PULSE_ALLOWANCE_MM`) at systole; where the chosen operation does not settle at some
phase, the plan says so.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mvd_sim.case import Case
from mvd_sim.contact.analysis import ContactReport, analyze
from mvd_sim.contact.causes import dolichoectatic
from mvd_sim.contact.regions import TubeSurface
from mvd_sim.core.constants import MAX_SCENARIO_BYTES
from mvd_sim.core.errors import MvdSimError, ScenarioError, SolverError
from mvd_sim.core.geometry.closest import closest_approach
from mvd_sim.core.labels import SEVERITIES
from mvd_sim.core.validation import one_line
from mvd_sim.mechanics.simulate import Settled, build_model, settle
from mvd_sim.scenario import SpongeSpec, TranspositionSpec
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.causes import (BAND_ADVICE, DOLICHOECTASIA_ADVICE, lesion_loads,
                                    lesion_refusal)
from mvd_sim.surgery.decompress import (PRESSURE_LIMITS_KPA, DecompressionReport,
                                        SpongeOutcome, decompress_states, new_cn8_contacts,
                                        nerve_deviation_mm, over_impacted, settle_postop,
                                        sponge_outcomes)
from mvd_sim.surgery.operation import Operation, operate
from mvd_sim.surgery.pads import START_TOLERANCE_MM, pad_gap

__all__ = ["plan", "plan_states", "load_plan", "pad_sizes", "Plan", "PlanMove",
           "PAD_DIAMETERS_MM", "SEAT_OFFSETS_MM", "TRANSPOSE_DISTANCES_MM", "SLING_OFFSETS_MM",
           "MAX_CANDIDATES", "IDLE_PAD_GAP_MM", "PULSE_ALLOWANCE_MM"]

PAD_DIAMETERS_MM = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)  # facts file: about 1-4 mm
PAD_TO_VESSEL = (0.5, 1.5)  # pad diameter / vessel diameter (facts file, *estimate*)
#: Where along the vessel (mm, from where it comes closest to CN VII) pads away from the
#: nerve are tried, the nearest first. *estimate*: within a few millimetres, where lifting
#: the vessel still lifts it off the nerve.
SEAT_OFFSETS_MM = (2.0, -2.0, 3.5, -3.5, 5.0, -5.0, 7.0, -7.0)
AWAY_SEATS = ("brainstem", "trunk", "petrous")
NERVE_SHIFTS_MM = (0.0, -1.0, 1.0)
SHAPES = ("ball", "cylinder")
#: How far a sling moves the vessel (mm), the nearest that frees the nerve being chosen.
#: *estimate*: VA displaced 3-8 mm off the REZ (facts file 9.3).
TRANSPOSE_DISTANCES_MM = (3.0, 4.0, 6.0, 8.0)
#: Where along the vessel (mm from its closest point to CN VII) a sling is tied, in turn.
#: *estimate*: the band goes round the loop that presses, within a few millimetres.
SLING_OFFSETS_MM = (0.0, 2.0, -2.0, 4.0, -4.0)
#: Most moves a plan makes (a plan file holds at most this many).
MAX_MOVES = 8
#: Most candidate moves the planner solves for a case: with the schema's size limits this
#: bounds a plan's time (see the README); beyond it the plan says no operation was found
#: within the budget.
MAX_CANDIDATES = 160
#: Where the pulse brings a vessel of the chosen operation inside the margin (and nothing
#: else fails), the search runs once more asking that shortfall plus this (mm) at systole.
PULSE_ALLOWANCE_MM = 0.02
#: A candidate pad farther than this (mm) from every vessel and nerve where the case now lies
#: (touching only its seat) holds nothing: the state it would settle to is the current one,
#: which does not free the target, so it is refused without a solve.
IDLE_PAD_GAP_MM = 0.02
#: A pad that leaves its target's site less free than it was by more than this (mm) is not
#: tried larger at the same place.
WORSE_MM = 0.005

_log = logging.getLogger(__name__)  # progress of the search (INFO), shown by the CLI


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanMove(_Model):
    """One move of the plan, in the order a surgeon makes them.

    ``segment`` and ``s_mm`` say which compression of CN VII it treats (arc length on the
    nerve's rest course); for a pad, ``pressure_kpa`` is its largest mean pressure on a
    nerve or the brainstem at systole and ``on_rez`` whether it touches the root exit zone.
    """

    kind: Literal["pad", "transposition", "division", "band_division"]
    vessel: str
    segment: Literal["RExP", "AS", "RDP", "CP"]
    s_mm: float
    sponge: SpongeSpec | None = None
    transposition: TranspositionSpec | None = None
    pressure_kpa: float = 0.0
    on_rez: bool = False
    band: str | None = None


class Plan(_Model):
    """``plan``'s answer (JSON schema ``mvd-sim/sponge-plan``, version 3: version 2 had pads
    only, as ``steps``).

    ``case_sha256`` is the planned case's fingerprint (:attr:`mvd_sim.case.Case.fingerprint`),
    so a plan file is only ever applied to the case it was made for. ``feasible`` is true when
    nothing needs doing or the predicted verdict is ``decompressed``; ``rez_spared`` when no
    pad of the plan touches the root exit zone.
    """

    schema_name: Literal["mvd-sim/sponge-plan"] = "mvd-sim/sponge-plan"
    schema_version: Literal[3] = 3
    scenario: str
    case_sha256: str
    feasible: bool
    rez_spared: bool
    message: str
    mobilise_first: list[str]
    moves: Annotated[list[PlanMove], Field(max_length=MAX_MOVES)]
    predicted: DecompressionReport | None
    candidates_tried: int

    @property
    def operation(self) -> Operation:
        """The plan's moves as one operation."""
        return Operation(pads=[m.sponge for m in self.moves if m.kind == "pad"],
                         transpositions=[m.transposition for m in self.moves
                                         if m.kind == "transposition"],
                         divided=[m.vessel for m in self.moves if m.kind == "division"],
                         cut_bands=[m.band for m in self.moves if m.kind == "band_division"])


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
        old = [e.get("input") for e in err.errors() if e["loc"] == ("schema_version",)]
        if old and old[0] in (1, 2):
            raise MvdSimError(f"{path}: a plan of schema version {old[0]} (an older mvd-sim); "
                              "run 'mvd-sim plan' again") from None
        raise MvdSimError(f"{path}: {one_line(err)}") from None
    if not plan.moves:
        raise MvdSimError(f"{path}: the plan makes no move ({plan.message})")
    if scenario is not None and plan.scenario != scenario:
        raise MvdSimError(f"{path}: the plan is for scenario {plan.scenario!r}, not "
                          f"{scenario!r}; make this case's own with 'mvd-sim plan'")
    if case_sha256 is not None and plan.case_sha256 != case_sha256:
        raise MvdSimError(f"{path}: the plan was made for another case named {plan.scenario!r} "
                          "(its anatomy, vessels or mechanics differ); run 'mvd-sim plan' on "
                          "this one")
    return plan


def pad_sizes(vessel_diameter_mm: float) -> list[float]:
    """Pad diameters (mm, of :data:`PAD_DIAMETERS_MM`, smallest first) for a vessel of that
    diameter: :data:`PAD_TO_VESSEL` times it, else the one size nearest it."""
    low, high = (k * vessel_diameter_mm for k in PAD_TO_VESSEL)
    sizes = [d for d in PAD_DIAMETERS_MM if low - 1e-9 <= d <= high + 1e-9]
    return sizes or [min(PAD_DIAMETERS_MM, key=lambda d: abs(d - vessel_diameter_mm))]


class _OverBudget(Exception):
    """The search has solved :data:`MAX_CANDIDATES` candidates."""


class _Evaluator:
    """Candidate operations solved at the systolic peak, from the settled case."""

    def __init__(self, case: Case):
        self.case, self.thresholds = case, case.thresholds
        self.model = build_model(case.scene, (), case.materials)
        self.before: Settled = settle(case.scene, level=1.0, model=self.model)
        self.before_report: ContactReport = analyze(self.before.scene, self.thresholds)
        self.tried = 0
        self.extra_mm = 0.0  # asked over the margin at systole, for what the pulse takes back

    def __call__(self, operation: Operation, what: str, current: Settled) -> Settled | str:
        """The systolic state with the operation made (``current``: the state with the moves
        already chosen), or why there is none: the move cannot be made or a new pad would
        hold nothing (no solve is spent on either), or the solve failed."""
        try:
            operated = operate(self.case.scene, operation)
        except ScenarioError:
            return "cannot be made"
        if len(operation.pads) > len(current.scene.sponges) and \
                _idle(operated.sponges[-1], current.scene):
            return "holds nothing"
        if self.tried >= MAX_CANDIDATES:
            raise _OverBudget
        self.tried += 1
        _log.info("plan: candidate %d of at most %d, %s", self.tried, MAX_CANDIDATES, what)
        try:
            return settle_postop(operated.scene, current.model, operated.model(self.model),
                                 operated.holds_off, current, 1.0)
        except SolverError:
            return "did not settle"

    def refusal(self, state: Settled, target: _Target) -> str | None:
        """Why a solved candidate is not accepted for ``target``, or None."""
        if site_clearance(state.scene, target) < self.thresholds.near_miss_mm + self.extra_mm:
            return "not free"
        if over_impacted(nerve_deviation_mm(state.scene),
                         nerve_deviation_mm(self.before.scene), self.thresholds):
            return "over-impaction"
        if new_cn8_contacts(self.before_report.contacts,
                            analyze(state.scene, self.thresholds).contacts,
                            self.thresholds.contact_mm):
            return "CN VIII"
        for pad in self.pad_outcomes(state):
            if any(load.pressure_kpa > PRESSURE_LIMITS_KPA.get(load.body, np.inf)
                   for load in pad.loads):
                return "pressure"
        return None

    def pad_outcomes(self, state: Settled) -> list[SpongeOutcome]:
        """The pads of a solved candidate: their loads, whether on the REZ."""
        scene = self.case.scene
        return sponge_outcomes(state, ("",) * len(state.scene.sponges),
                               scene.landmarks["CN7"].rez_end_mm, scene.rest_nerves["CN7"].s)


def _idle(pad, scene: Scene) -> bool:
    """Whether a new pad touches no vessel, nerve or pad of ``scene`` (a settled state): all
    farther than :data:`IDLE_PAD_GAP_MM`, bar the trunk it is seated on, which it may touch
    but not enter (pads are bounded by their axis segments' spheres, conservatively)."""
    for name, tube in {**scene.vessels, **scene.nerves}.items():
        gap = pad_gap(pad, tube)
        if gap <= (-START_TOLERANCE_MM if name == pad.against else IDLE_PAD_GAP_MM):
            return False
    reach = np.linalg.norm(pad.half_axis) + pad.radius_mm + IDLE_PAD_GAP_MM
    return all(np.linalg.norm(other.centre - pad.centre) >
               reach + np.linalg.norm(other.half_axis) + other.radius_mm
               for other in scene.sponges)


def _targets(report: ContactReport, operating: bool,
             severity: dict[str, str]) -> list[_Target]:
    """The compression sites to treat in a solved state at systole (``report``: its contact
    analysis), worst first: every CN VII contact (its severity, then the root exit zone
    first, then nearest the brainstem), then every vessel at risk of CN VII (an operation
    leaves none at risk) where there is a contact or an operation under way; none where
    nothing touches the nerve before surgery. ``severity`` is each vessel's worst grade in
    the case as built."""
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    contacts = sorted((c for c in report.contacts if c.nerve == "CN7"),
                      key=lambda c: (-rank[c.severity], not c.in_rez, c.s_deepest_mm))
    if not contacts and not operating:
        return []
    risk = sorted((r for r in report.vessels_at_risk if r.nerve == "CN7"),
                  key=lambda r: r.min_separation_mm)
    return ([_Target(c.vessel, c.segment, c.s_deepest_mm, severity.get(c.vessel))
             for c in contacts]
            + [_Target(r.vessel, r.segment, r.s_mm, None) for r in risk])


def _closest_arc(case: Case, vessel: str) -> float:
    """Arc length (mm) along ``vessel`` where it comes closest to CN VII."""
    tube, nerve = case.scene.vessels[vessel], case.scene.nerves["CN7"]
    return float(closest_approach(tube.points, nerve.points, tube.radius, nerve.radius).arc_a)


def _pad_options(case: Case, target, chosen: Operation, away: bool
                 ) -> Iterator[tuple[Operation, PlanMove, str]]:
    """Pads for ``target``, smallest first: at seats along the vessel (``away``) or on the
    nerve."""
    vessel = case.scene.vessels[target.vessel]
    k = len(chosen.pads) + 1
    base_arc = _closest_arc(case, target.vessel)
    sizes = pad_sizes(2.0 * float(vessel.radius[0]))
    if away:  # off the nerve a larger pad presses nothing delicate: up to the largest
        sizes = [d for d in PAD_DIAMETERS_MM if d >= sizes[0]]
    for diameter in sizes:
        if away:
            for offset in SEAT_OFFSETS_MM:
                arc = base_arc + offset
                if not 0.5 <= arc <= vessel.length_mm - 0.5:
                    continue
                for seat in AWAY_SEATS:
                    spec = SpongeSpec(id=f"pad{k}", diameter_mm=diameter, seat=seat,
                                      vessel=target.vessel, vessel_s_mm=round(arc, 3))
                    yield (Operation(chosen.pads + (spec,), chosen.transpositions,
                                     chosen.divided),
                           _move(target, "pad", sponge=spec),
                           f"a {diameter:g} mm ball between {target.vessel} and the {seat}")
            continue
        for shape in SHAPES:
            for shift in NERVE_SHIFTS_MM:
                s_mm = float(np.clip(target.s_mm + shift, 0.3,
                                     case.scene.rest_nerves["CN7"].length_mm - 0.3))
                spec = SpongeSpec(id=f"pad{k}", shape=shape, diameter_mm=diameter, s_mm=s_mm,
                                  vessel=target.vessel,
                                  length_mm=max(4.0, diameter) if shape == "cylinder" else None)
                yield (Operation(chosen.pads + (spec,), chosen.transpositions, chosen.divided),
                       _move(target, "pad", sponge=spec),
                       f"a {diameter:g} mm {shape} on CN VII for {target.vessel}")


def _sling_options(case: Case, target, chosen: Operation
                   ) -> Iterator[tuple[Operation, PlanMove, str]]:
    """Slings for ``target``: the shortest distance first, each at the vessel's closest point
    to CN VII and then :data:`SLING_OFFSETS_MM` along it."""
    k = len(chosen.transpositions) + 1
    vessel = case.scene.vessels[target.vessel]
    base_arc = _closest_arc(case, target.vessel)
    arcs = [base_arc + offset for offset in SLING_OFFSETS_MM
            if 0.5 <= base_arc + offset <= vessel.length_mm - 0.5]
    for distance in TRANSPOSE_DISTANCES_MM:
        for arc in arcs:
            spec = TranspositionSpec(id=f"sling{k}", vessel=target.vessel,
                                     vessel_s_mm=round(arc, 3), distance_mm=distance)
            yield (Operation(chosen.pads, chosen.transpositions + (spec,), chosen.divided),
                   _move(target, "transposition", transposition=spec),
                   f"{target.vessel} transposed {distance:g} mm with a sling at "
                   f"{arc:.1f} mm along it")


def _division_options(target, chosen: Operation) -> Iterator[tuple[Operation, PlanMove, str]]:
    yield (Operation(chosen.pads, chosen.transpositions, chosen.divided + (target.vessel,)),
           _move(target, "division"), f"{target.vessel} coagulated and divided")


def _move(target, kind: str, **fields) -> PlanMove:
    return PlanMove(kind=kind, vessel=target.vessel, segment=target.segment,
                    s_mm=target.s_mm, **fields)


def _options(case: Case, target, chosen: Operation):
    """Every move for ``target`` in the order of preference (see the module docstring)."""
    kind = case.scene.vessels[target.vessel].kind
    pads = [_pad_options(case, target, chosen, away=True),
            _pad_options(case, target, chosen, away=False)]
    if kind == "vein":
        return [*pads, _division_options(target, chosen)]
    slings = [_sling_options(case, target, chosen)]
    if (kind == "VA" and target.severity == "severe") or \
            dolichoectatic(case.scene.vessels[target.vessel]):
        return [*slings, *pads]
    return [*pads, *slings]


#: Half-width (mm of CN VII's rest arc) of a compression's site: a move frees it when its
#: vessel keeps the margin from the nerve over this stretch either side of it.
SITE_HALF_WIDTH_MM = 3.0


def site_clearance(scene: Scene, target: _Target) -> float:
    """Least surface gap (mm) from ``target``'s vessel to CN VII over the target's site (the
    nerve within :data:`SITE_HALF_WIDTH_MM` of its arc length ``s_mm``; ``inf`` if the
    vessel is gone: a divided vein)."""
    if target.vessel not in scene.vessels:
        return np.inf
    nerve, rest = scene.nerves["CN7"], scene.rest_nerves["CN7"]
    near = np.abs(rest.s - target.s_mm) <= SITE_HALF_WIDTH_MM
    gap = TubeSurface.of(scene.vessels[target.vessel]).signed_gap(nerve.points[near])
    return float(np.min(gap - nerve.radius[near], initial=np.inf))


@dataclass(frozen=True)
class _Target:
    """A compression to treat: the vessel, where on CN VII (rest arc length, segment), and its
    severity in the case as built (None for a vessel only at risk)."""

    vessel: str
    segment: str
    s_mm: float
    severity: str | None


def _as_built_severity(case: Case) -> dict[str, str]:
    """Each vessel's worst CN VII severity in the case as built (its own grade)."""
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    worst: dict[str, str] = {}
    for c in analyze(case.scene, case.thresholds).contacts:
        if c.nerve == "CN7" and rank[c.severity] > rank.get(worst.get(c.vessel), -1):
            worst[c.vessel] = c.severity
    return worst


def _larger_no_better(why: str, state: Settled | str, target: _Target,
                      clearance: float) -> bool:
    """Whether a pad refused for ``why`` rules out larger ones at its place: it did not
    settle, was refused for anything but not freeing the target, or left the target's site
    less free than ``clearance`` (mm), the site's before it. A pad that could not be placed
    or held nothing says nothing of a larger one."""
    if why in ("cannot be made", "holds nothing"):
        return False
    if why == "not free":
        return site_clearance(state.scene, target) < clearance - WORSE_MM
    return True


def _choose(evaluate: _Evaluator, case: Case, target: _Target, chosen: Operation,
            current: Settled) -> tuple[Operation, PlanMove, Settled] | None:
    """The first acceptable move for ``target`` in the order of preference, from the state
    ``current`` with the moves ``chosen``; among pads on the nerve of the smallest size that
    frees the site, the first off the root exit zone, else the first.

    A larger pad at the same place is not tried where a smaller one rules it out
    (:func:`_larger_no_better`).
    """
    clearance = site_clearance(current.scene, target)
    dropped: set[SpongeSpec] = set()
    for family in _options(case, target, chosen):
        best, size = None, None
        for operation, move, what in family:
            on_nerve = move.kind == "pad" and move.sponge.seat == "nerve"
            if best is not None and move.sponge.diameter_mm != size:
                break
            place = None
            if move.kind == "pad":
                place = move.sponge.model_copy(update={"diameter_mm": 1.0, "id": "pad"})
                if place in dropped:
                    continue
            state = evaluate(operation, what, current)
            why = state if isinstance(state, str) else evaluate.refusal(state, target)
            if why is not None:
                if place is not None and _larger_no_better(why, state, target, clearance):
                    dropped.add(place)
                continue
            if move.kind == "pad":
                outcome = evaluate.pad_outcomes(state)[-1]
                pressures = [load.pressure_kpa for load in outcome.loads
                             if load.body in PRESSURE_LIMITS_KPA]
                move = move.model_copy(update={"pressure_kpa": max(pressures, default=0.0),
                                               "on_rez": outcome.on_rez})
                if move.sponge.seat != "nerve" and move.on_rez:
                    continue  # a pad away from the nerve must spare the REZ to be preferred
            if not (on_nerve and move.on_rez):
                return operation, move, state
            if best is None:
                best, size = (operation, move, state), move.sponge.diameter_mm
        if best is not None:
            return best
    return None


def plan(case: Case) -> Plan:
    """Find the operation for the case (see the module docstring), with its materials and
    thresholds; the plan records the case's fingerprint."""
    return plan_states(case)[0]


def _lesion_effects(case: Case, report: ContactReport) -> dict[str, str]:
    """What each lesion does to CN VII, by id, in words: in the case as built, and the mean
    pressure it exerts on the nerve solved at systole (left out if the solve fails)."""
    out: dict[str, str] = {}
    for c in report.contacts:
        if c.nerve == "CN7" and c.cause in ("tumour", "aneurysm", "avm") and \
                c.vessel not in out:
            out[c.vessel] = (f"displaces CN VII {c.deviation_mm:.1f} mm at the {c.segment}"
                             if c.cause == "tumour" else
                             f"compresses CN VII at the {c.segment} ({c.severity}, "
                             f"{c.indentation_mm:.2f} mm deep)")
    if not out:
        return out
    try:
        loads = lesion_loads(settle(case.scene, level=1.0, materials=case.materials))
    except SolverError:
        return out
    for load in loads:
        if load.nerve == "CN7" and load.lesion in out:
            kpa = load.pressure_kpa
            out[load.lesion] += (f" and presses it at {kpa:.0f} kPa" if kpa >= 10 else
                                 f" and presses it at {kpa:.2f} kPa") + " at systole"
    return out


def _cut_bands(case: Case, report: ContactReport) -> tuple[Case, list[PlanMove]]:
    """The case with the arachnoid bands that tether a vessel touching CN VII cut, and the
    moves that cut them (first in the plan)."""
    touching = {c.vessel: c for c in report.contacts if c.nerve == "CN7"}
    cut = [b for b in case.scene.bands if b.vessel in touching]
    if not cut:
        return case, []
    moves = [PlanMove(kind="band_division", vessel=b.vessel, band=b.name,
                      segment=touching[b.vessel].segment,
                      s_mm=touching[b.vessel].s_deepest_mm) for b in cut]
    names = {b.name for b in cut}
    scene = dataclasses.replace(case.scene, bands=tuple(
        b for b in case.scene.bands if b.name not in names))
    return dataclasses.replace(case, scene=scene), moves


def plan_states(case: Case) -> tuple[Plan, Settled | None]:
    """:func:`plan` and the operated state at its worst phase (None without a move)."""
    as_built = analyze(case.scene, case.thresholds)
    refusal = lesion_refusal(case.scene.lesions.values(), _lesion_effects(case, as_built))
    if refusal is not None:
        return Plan(scenario=case.name, case_sha256=case.fingerprint, feasible=False,
                    rez_spared=False, message=f"no plan: {refusal}", mobilise_first=[],
                    moves=[], predicted=None, candidates_tried=0), None
    fingerprint = case.fingerprint
    case, band_moves = _cut_bands(case, as_built)
    advice = [BAND_ADVICE.format(band=m.band, vessel=m.vessel) for m in band_moves]
    advice += [DOLICHOECTASIA_ADVICE.format(vessel=f"{v.kind} {v.name}")
               for v in case.scene.vessels.values()
               if dolichoectatic(v) and any(c.vessel == v.name and c.nerve == "CN7"
                                            for c in as_built.contacts)]
    plan_, state = _plan_states(case, fingerprint)
    if not (band_moves or advice):
        return plan_, state
    message = "; ".join(advice) + ". " + plan_.message
    return plan_.model_copy(update={"moves": band_moves + plan_.moves,
                                    "message": message}), state


def _plan_states(case: Case, fingerprint: str) -> tuple[Plan, Settled | None]:
    """:func:`plan_states` of a case without lesions or bands to cut."""
    scene = case.scene
    evaluate = _Evaluator(case)
    pre = evaluate.before_report
    answer = partial(Plan, scenario=case.name, case_sha256=fingerprint,
                     mobilise_first=[c.vessel for c in pre.culprits if c.pushes is not None])
    severity = _as_built_severity(case)
    found = _targets(pre, False, severity)
    meshes = sorted({t.vessel for t in found if t.vessel not in scene.vessels})
    if meshes:
        return answer(feasible=False, rez_spared=False, moves=[], predicted=None,
                      candidates_tried=0,
                      message=f"no plan: {', '.join(meshes)} touch(es) CN VII but is known only "
                              "as a mesh; the mechanics need a centerline"), None
    if not found:
        return answer(feasible=True, rez_spared=True, moves=[], predicted=None,
                      candidates_tried=0, mobilise_first=[],
                      message="no vessel touches CN VII at systole: nothing to "
                              "decompress"), None
    while True:
        chosen, moves, failure, systole = _search(evaluate, case, found, severity)
        summary = "; ".join(_describe(m) for m in moves)
        if failure is None:
            try:   # the case's sweep starts at the top of the pulse from its systolic solve
                report, _, after = decompress_states(case, chosen,
                                                     near=evaluate.before.solution.u)
            except SolverError as err:
                failure = (f"no plan: the moves found ({summary}) do not settle at every "
                           f"phase of the pulse: {err}")
        if failure is not None:
            return answer(feasible=False, rez_spared=False, moves=moves, predicted=None,
                          candidates_tried=evaluate.tried, message=failure), None
        shortfall = _pulse_shortfall(report, case.thresholds.near_miss_mm)
        if shortfall is None or evaluate.extra_mm > 0:
            break
        evaluate.extra_mm = shortfall + PULSE_ALLOWANCE_MM
        _log.info("plan: through the pulse a vessel comes %.3f mm inside the margin; searching "
                  "again for %.3f mm more at systole", shortfall, evaluate.extra_mm)
    rez_spared = not any(m.on_rez for m in moves)
    verdict = {"decompressed": "free CN VII through the whole pulse",
               "decompressed_at_a_cost": "free CN VII at a cost",
               "not_decompressed": "do not free CN VII through the whole pulse"}[report.status]
    message = (f"{len(moves)} move(s) {verdict}"
               + (", sparing the root exit zone" if rez_spared and report.decompressed else "")
               + f": {summary}. " + " ".join(f"{r}." for r in report.reasons))
    return answer(feasible=report.decompressed, rez_spared=rez_spared, moves=moves,
                  predicted=report, candidates_tried=evaluate.tried, message=message), after


def _search(evaluate: _Evaluator, case: Case, found: list[_Target],
            severity: dict[str, str]
            ) -> tuple[Operation, list[PlanMove], str | None, Settled]:
    """The moves for the targets ``found`` (and those they leave), one at a time at systole:
    the operation, its moves, why the search stopped short (None when every site is free),
    and the case with those moves settled at systole."""
    chosen, moves, state = Operation(), [], evaluate.before
    while found:
        target = found[0]
        if len(moves) == MAX_MOVES:
            return chosen, moves, (f"no plan of at most {MAX_MOVES} moves: {target.vessel} "
                                   f"still presses CN VII at the {target.segment}"), state
        try:
            found_move = _choose(evaluate, case, target, chosen, state)
        except _OverBudget:
            return chosen, moves, (f"no plan within the search's budget of {MAX_CANDIDATES} "
                                   f"candidate moves: {target.vessel} still presses CN VII at "
                                   f"the {target.segment}"), state
        if found_move is None:
            return chosen, moves, _no_plan_message(case, target, evaluate.extra_mm), state
        chosen, move, state = found_move
        moves.append(move)
        found = _targets(analyze(state.scene, case.thresholds), True, severity)
    return chosen, moves, None, state


def _pulse_shortfall(report: DecompressionReport, margin_mm: float) -> float | None:
    """How far (mm) inside the margin a vessel comes through the pulse, where that alone
    keeps an operation from freeing CN VII (no vessel touching it, nothing else failing);
    otherwise None."""
    failed = [c.name for c in report.checks if not c.passed]
    worst = report.after.worst_clearance_mm
    if failed != ["cn7_free"] or not 0.0 < worst < margin_mm:
        return None
    return margin_mm - worst


def _describe(move: PlanMove) -> str:
    if move.kind == "transposition":
        return (f"transpose {move.vessel} {move.transposition.distance_mm:g} mm with a sling "
                f"to the {move.transposition.anchor} dura")
    if move.kind == "division":
        return f"coagulate and divide {move.vessel}"
    pad = move.sponge
    where = "on CN VII" + (" (on the REZ)" if move.on_rez else "") if pad.seat == "nerve" \
        else f"between {move.vessel} and the {pad.seat}"
    return f"a {pad.diameter_mm:g} mm {pad.shape} {where}"


def _no_plan_message(case: Case, target: _Target, extra_mm: float = 0.0) -> str:
    vessel = case.scene.vessels[target.vessel]
    nerve_sizes = pad_sizes(2 * float(vessel.radius[0]))
    moves = (f"pads of {nerve_sizes[0]:g}-{PAD_DIAMETERS_MM[-1]:g} mm away from the nerve or "
             f"of {', '.join(f'{d:g}' for d in nerve_sizes)} mm on it")
    if vessel.kind != "vein":
        moves += ", nor a sling of " + ", ".join(f"{d:g}" for d in TRANSPOSE_DISTANCES_MM) \
            + " mm,"
    else:
        moves += ", nor dividing it,"
    margin = f"{case.thresholds.near_miss_mm:g} mm margin" + (
        f" (and {extra_mm:.2f} mm more at systole, which the pulse takes back)" if extra_mm
        else "")
    return (f"no plan: {moves} frees CN VII from {target.vessel} ({vessel.kind}) at the "
            f"{target.segment} by the {margin} without over-impacting the nerve, touching "
            "CN VIII or pressing beyond the limits")
