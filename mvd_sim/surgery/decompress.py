"""Decompression: operate, solve the new equilibrium through the pulse, give a verdict.

``decompress(case, operation)`` solves the case twice over the cardiac cycle
(:mod:`mvd_sim.mechanics.sweep`): before (the rods settled as the scenario places them) and
after the operation (:class:`~mvd_sim.surgery.operation.Operation`: divided veins removed,
slung vessels moved to where their bands hold them, the pads in and the vessels they hold
off lifted and let down onto them). At the worst phase of each it reports what a surgeon
checks: every vessel's clearance from CN VII, the remaining contacts graded by the contact
engine, each pad's loads on every body it presses (contact area and pressure on the nerve
among them), each sling's pull and how far it moved its vessel, how far each vessel moved
and how sharply it bends, and the nerve's deviation. A divided vein adds the venous-infarct
caveat to the warnings.

The verdict is a list of checks, each its own reason:

- ``cn7_free``: every vessel stays at least the at-risk margin (``near_miss_mm``, 0.5 mm by
  default: the one ``analyze`` uses, so the two never disagree on what free means) from CN VII
  through the whole pulse;
- ``no_over_impaction``: the pads do not deviate the nerve beyond the deviation threshold
  (over-impaction lifts VII/VIII: Seaman SC et al., Surg Neurol Int 2020);
- ``cn8_spared``: no new or deeper contact with CN VIII (hearing loss is the commonest serious
  complication: 2.3% permanent, Miller & Miller, Br J Neurosurg 2012);
- ``nerve_pressure``: no pad presses CN VII or CN VIII harder than
  :data:`NERVE_PRESSURE_LIMIT_KPA`;
- ``brainstem_pressure``: no pad presses the brainstem harder than
  :data:`BRAINSTEM_PRESSURE_LIMIT_KPA` (an *estimate*). A vessel needs no such check: a
  pressurised vessel pressed onto a surface flattens until it bears on it at about its own
  transmural pressure, the mean arterial pressure (12.4 kPa, ``vessel_wall_dent_mpa``),
  below the limit.

Failing either of the first two means not decompressed; failing another, decompressed at a
cost. A pad pressing on the root exit zone, and a vessel kinked by a pad, are warnings (pads
on the nerve caused 53.5% of revisions: Al Mutawa M et al. 2024).

The report also carries the case as built (``as_built``: the pre-operative grade its
scenario describes, what ``analyze`` reports) beside the states the mechanics settle, so a
case built severe reads as severe even where the settled state relaxes its deviation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from mvd_sim.case import Case
from mvd_sim.contact.analysis import Contact, analyze
from mvd_sim.core.labels import SeverityThresholds
from mvd_sim.mechanics.contacts import BRAINSTEM, PETROUS, ContactSet
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.simulate import Settled, build_model, start_displacement
from mvd_sim.mechanics.surface import BrainstemSurface
from mvd_sim.mechanics.sweep import PhaseSweep, settle_from, sweep
from mvd_sim.scenario import SEATS
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.operation import Operation, division_warning, operate
from mvd_sim.surgery.pads import vessel_lift
from mvd_sim.surgery.transpose import slung_start

__all__ = ["decompress", "decompress_states", "postop_starts", "settle_postop",
           "lifted_start",
           "sponge_outcomes", "sling_outcomes", "over_impacted", "nerve_deviation_mm",
           "DecompressionReport", "SpongeOutcome", "PadLoad", "SlingOutcome", "VesselOutcome",
           "Check", "CaseGrade", "grade_as_built", "new_cn8_contacts", "NERVE_PRESSURE_LIMIT_KPA",
           "BRAINSTEM_PRESSURE_LIMIT_KPA", "PRESSURE_LIMITS_KPA", "KINK_CURVATURE_PER_MM",
           "REPORT_SCHEMA"]

REPORT_SCHEMA = "mvd-sim/decompression-report"
KINK_CURVATURE_PER_MM = 0.5  # *estimate*: a bend tighter than 2 mm radius on a ~1 mm artery
#: Mean pressure (kPa) a pad may put on CN VII or CN VIII: the equivalent stress found at
#: symptomatic neurovascular contacts (25 kPa against 15 kPa at asymptomatic ones; Lu HP et
#: al., trigeminal fluid-structure model): a pad pressing harder is a new compression.
NERVE_PRESSURE_LIMIT_KPA = 25.0
#: Mean pressure (kPa) a pad may put on the brainstem's surface. *estimate*: no
#: published limit for the pons or medulla was found; the nerves' limit above, the stress
#: the root exit zone's central myelin tolerates poorly, is taken for the brainstem it joins.
BRAINSTEM_PRESSURE_LIMIT_KPA = 25.0
#: The limits above by the body a pad presses (the bodies the verdict checks pads on).
PRESSURE_LIMITS_KPA = {"CN7": NERVE_PRESSURE_LIMIT_KPA, "CN8": NERVE_PRESSURE_LIMIT_KPA,
                       "brainstem": BRAINSTEM_PRESSURE_LIMIT_KPA}
PAD_FORCE_TOL_N = 1e-5  # a pad touching the nerve with less (10 uN) does not press on it


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PadLoad(_Model):
    """A pad's load on one body it presses (``CN7``, ``CN8``, a vessel's id, ``brainstem``,
    ``petrous`` or another pad's id): total force, contact area and mean pressure."""

    body: str
    force_mn: float
    contact_area_mm2: float
    pressure_kpa: float


class SpongeOutcome(_Model):
    """A pad at the worst phase after decompression: how it was seated and what lies on its
    inner face (``against``: a rod's name, ``brainstem`` or ``petrous``), its load on CN VII
    (force, contact area, mean pressure; whether on the root exit zone), its loads on every
    body it presses (``loads``, CN VII's among them), and the deepest overlap with anything
    it touches (``max_overlap_mm``: felt compression plus the other body's dent or
    flattening)."""

    id: str
    shape: Literal["ball", "cylinder"]
    diameter_mm: float
    length_mm: float
    holds_off: str
    seat: Literal[SEATS]
    against: str
    centre_mm: tuple[float, float, float]
    nerve_contact_area_mm2: float
    nerve_force_mn: float
    nerve_pressure_kpa: float
    on_rez: bool
    max_overlap_mm: float
    loads: list[PadLoad]


class SlingOutcome(_Model):
    """A sling at the worst phase after decompression: where it is tied, how far it was to
    move its vessel (``distance_mm``) and how far the vessel moved under the band along
    that direction (``displacement_mm``, from where the scenario placed it, the mean over
    the band's nodes), and the band's tension."""

    id: str
    vessel: str
    anchor: Literal["petrous", "tentorium"]
    anchor_point_mm: tuple[float, float, float]
    distance_mm: float
    displacement_mm: float
    tension_mn: float


class VesselOutcome(_Model):
    """A vessel before and after (each at its worst phase)."""

    vessel: str
    vessel_type: str
    clearance_before_mm: float
    clearance_after_mm: float
    displacement_before_mm: float
    displacement_after_mm: float
    peak_curvature_before_per_mm: float
    peak_curvature_after_per_mm: float


class StateSummary(_Model):
    """One state (before or after) over the pulse: ``phases_sampled`` on the dense grid,
    ``phases_solved`` of them solved (see :mod:`mvd_sim.mechanics.sweep`)."""

    phases_sampled: int
    phases_solved: int
    worst_phase: float
    worst_clearance_mm: float
    nerve_deviation_mm: float
    contacts: list[Contact]
    cn8_contacts: list[Contact]
    solver_iterations: int
    max_residual: float


class CaseGrade(_Model):
    """The case as built, before any mechanics: the pre-operative grade its scenario describes
    (what ``mvd-sim analyze`` reports), and CN VII's deviation from its rest course (mm)."""

    contacts: list[Contact]
    nerve_deviation_mm: float


class Check(_Model):
    """One part of the verdict: what was checked, whether it passed, and what failing it
    means (``not_decompressed``: CN VII is not free; ``cost``: freed at a cost to another
    structure)."""

    name: Literal["cn7_free", "no_over_impaction", "cn8_spared", "nerve_pressure",
                  "brainstem_pressure"]
    passed: bool
    failing_means: Literal["not_decompressed", "cost"]
    text: str


class DecompressionReport(_Model):
    """``decompress``'s answer (JSON schema ``mvd-sim/decompression-report``, version 2:
    version 1 had no checks, status or case as built, no ``transpositions`` or ``divided``,
    and no ``seat``, ``against`` or ``loads`` per pad).

    ``status`` is ``decompressed`` when every check passes, ``decompressed_at_a_cost`` when CN
    VII is free but a check of another structure fails, else ``not_decompressed``;
    ``decompressed`` is true only for the first. ``reasons`` are the failed checks' texts (the
    CN VII check's when all pass). ``as_built`` is the case's own grade; ``before`` and
    ``after`` are the states the mechanics settle, without and with the operation.
    ``vessels`` lists the vessels left after the operation (not the divided veins).
    """

    schema_name: Literal["mvd-sim/decompression-report"] = REPORT_SCHEMA
    schema_version: Literal[2] = 2
    scenario: str
    status: Literal["decompressed", "decompressed_at_a_cost", "not_decompressed"]
    decompressed: bool
    checks: list[Check]
    reasons: list[str]
    warnings: list[str]
    sponges: list[SpongeOutcome]
    transpositions: list[SlingOutcome]
    divided: list[str]
    vessels: list[VesselOutcome]
    as_built: CaseGrade
    before: StateSummary
    after: StateSummary


def _rod_load(model: MechanicalModel, contacts: ContactSet, forces: np.ndarray, body: int,
              rod: int, sponge: Sponge) -> tuple[float, float, np.ndarray]:
    """Force (N) and contact area (mm^2) of pad ``body`` on rod ``rod``, and the rod's nodes
    it presses: each pressed node's strip of contact, ``2 sqrt(2 r_eff overlap)`` wide over
    its tributary length, ``r_eff`` the pad's and rod's radii in series."""
    on = (contacts.body_a == body) & (contacts.body_b == rod) & (forces > PAD_FORCE_TOL_N)
    overlap = -contacts.gap[on]
    nodes = contacts.node_b[on]
    r_rod = model.rods[rod].tube.radius[nodes]
    r_eff = sponge.radius_mm * r_rod / (sponge.radius_mm + r_rod)
    area = float(np.sum(2.0 * np.sqrt(2.0 * r_eff * overlap) * model.tributaries[rod][nodes]))
    return float(np.sum(forces[on])), area, nodes


def _cap_area(radius_mm: float, overlap: np.ndarray) -> np.ndarray:
    """(k,) area (mm^2) of the cap a sphere of ``radius_mm`` pressed ``overlap`` (k,) into a
    flat cuts off: ``pi (2 R d - d^2)``."""
    d = np.minimum(overlap, radius_mm)
    return np.pi * (2.0 * radius_mm * d - d * d)


def _surface_area(sponge: Sponge, overlap: np.ndarray) -> float:
    """Contact area (mm^2) of a pad's samples pressed ``overlap`` (k,) into a rigid surface
    (:class:`~mvd_sim.mechanics.contacts.SpongeOnBrainstem`'s samples): a ball's cap, or a
    cylinder's strips ``2 sqrt(2 R d - d^2)`` wide over each sample's share of its length."""
    if sponge.shape == "ball":
        return float(np.sum(_cap_area(sponge.radius_mm, overlap)))
    share = sponge.length_mm / 3.0
    return float(np.sum(2.0 * np.sqrt(_cap_area(sponge.radius_mm, overlap) / np.pi) * share))


def _load(body: str, force_n: float, area_mm2: float) -> PadLoad:
    return PadLoad(body=body, force_mn=1e3 * force_n, contact_area_mm2=area_mm2,
                   pressure_kpa=1e3 * force_n / area_mm2 if area_mm2 > 0 else 0.0)


def _pad_loads(state: Settled, k: int, forces: np.ndarray) -> list[PadLoad]:
    """Pad ``k``'s loads on every body it presses: rods in the model's order, then the
    brainstem, the petrous face and other pads (ball on ball: a cap of the radii in
    series)."""
    model, contacts = state.model, state.solution.contacts
    sponges, n_rods = state.scene.sponges, len(model.rods)
    sponge, body = sponges[k], n_rods + k
    loads = []
    for rod in range(n_rods):
        force, area, nodes = _rod_load(model, contacts, forces, body, rod, sponge)
        if len(nodes):
            loads.append(_load(model.rods[rod].name, force, area))
    pressing = forces > PAD_FORCE_TOL_N
    for surface, name in ((BRAINSTEM, "brainstem"), (PETROUS, "petrous")):
        on = (contacts.body_a == surface) & (contacts.body_b == body) & pressing
        if np.any(on):
            loads.append(_load(name, float(np.sum(forces[on])),
                               _surface_area(sponge, -contacts.gap[on])))
    for j, other in enumerate(sponges):
        on = pressing & (((contacts.body_a == body) & (contacts.body_b == n_rods + j))
                         | ((contacts.body_a == n_rods + j) & (contacts.body_b == body)))
        if j != k and np.any(on):
            r_eff = sponge.radius_mm * other.radius_mm / (sponge.radius_mm + other.radius_mm)
            loads.append(_load(other.name, float(np.sum(forces[on])),
                               float(np.sum(_cap_area(r_eff, -contacts.gap[on])))))
    return loads


def sponge_outcomes(state: Settled, holds_off: tuple[str, ...], rez_end_mm: float,
                    rest_s: np.ndarray) -> list[SpongeOutcome]:
    """Each pad of a solved state: its seat, its loads (CN VII's in the ``nerve_*``
    fields, whether on the REZ: ``rest_s`` (n,), mm, CN VII's rest arc lengths, up to
    ``rez_end_mm``) and its deepest overlap; ``holds_off`` names the vessel of each."""
    model, eq = state.model, state.solution
    contacts: ContactSet = eq.contacts
    nerve = [r.name for r in model.rods].index("CN7")
    forces = eq.forces_n()
    out = []
    for k, sponge in enumerate(state.scene.sponges):
        body = len(model.rods) + k
        force, area, nodes = _rod_load(model, contacts, forces, body, nerve, sponge)
        mine = (contacts.body_a == body) | (contacts.body_b == body)
        out.append(SpongeOutcome(
            id=sponge.name, shape=sponge.shape, diameter_mm=sponge.diameter_mm,
            length_mm=sponge.length_mm, holds_off=holds_off[k], seat=sponge.seat,
            against=sponge.against, centre_mm=tuple(float(x) for x in sponge.centre),
            nerve_contact_area_mm2=area, nerve_force_mn=1e3 * force,
            nerve_pressure_kpa=1e3 * force / area if area > 0 else 0.0,
            on_rez=bool(np.any(rest_s[nodes] <= rez_end_mm)),
            max_overlap_mm=float(np.max(-contacts.gap[mine], initial=0.0)),
            loads=_pad_loads(state, k, forces)))
    return out


def sling_outcomes(state: Settled) -> list[SlingOutcome]:
    """Each sling of a solved state: how far its vessel moved under the band along the
    sling's direction (the mean over the band's nodes, from the rods' stress-free course)
    and the band's tension (the magnitude of its springs' pull together)."""
    u, out = state.solution.u, []
    for sling, (dofs, k, translation) in zip(state.model.slings, state.model.sling_springs):
        moved = u[dofs]
        pull = k * np.sum(translation[None, :] - moved, axis=0)
        out.append(SlingOutcome(
            id=sling.name, vessel=sling.vessel, anchor=sling.anchor,
            anchor_point_mm=tuple(float(x) for x in sling.anchor_point),
            distance_mm=sling.distance_mm,
            displacement_mm=float(np.mean(moved @ sling.direction)),
            tension_mn=1e3 * float(np.linalg.norm(pull))))
    return out


def _summary(sw: PhaseSweep, thresholds: SeverityThresholds) -> StateSummary:
    k = sw.worst
    scene = sw.states[k].scene
    report = analyze(scene, thresholds)
    deviation = max(nerve_deviation_mm(s.scene) for s in sw.states)
    return StateSummary(
        phases_sampled=sw.dense_phases, phases_solved=len(sw.phases),
        worst_phase=float(sw.phases[k]),
        worst_clearance_mm=sw.worst_clearance(k), nerve_deviation_mm=deviation,
        contacts=[c for c in report.contacts if c.nerve == "CN7"],
        cn8_contacts=[c for c in report.contacts if c.nerve == "CN8"],
        solver_iterations=sum(s.solution.iterations for s in sw.states),
        max_residual=max(s.solution.residual for s in sw.states))


def _vessel_outcomes(scene: Scene, before: Settled, after: Settled, gap_before: dict,
                     gap_after: dict) -> list[VesselOutcome]:
    out = []
    rods = {rod.name: rod.tube for rod in before.model.rods}
    for name in scene.vessels:
        tube, b, a = rods[name], before.scene.vessels[name], after.scene.vessels[name]
        out.append(VesselOutcome(
            vessel=name, vessel_type=tube.kind, clearance_before_mm=gap_before[name],
            clearance_after_mm=gap_after[name],
            displacement_before_mm=float(np.max(np.linalg.norm(b.points - tube.points, axis=1))),
            displacement_after_mm=float(np.max(np.linalg.norm(a.points - tube.points, axis=1))),
            peak_curvature_before_per_mm=float(np.max(b.curvature[1:-1], initial=0.0)),
            peak_curvature_after_per_mm=float(np.max(a.curvature[1:-1], initial=0.0))))
    return out


def postop_starts(before_model: MechanicalModel, after_model: MechanicalModel,
                  holds_off: tuple[str, ...], before: Settled) -> list[np.ndarray]:
    """Starting displacements for the operated model: the settled case as it was (each rod
    as the rod of its name in ``before``), with slung vessels moved as their bands will
    hold them; then the same with the held-off vessels lifted clear of their pads."""
    base = slung_start(after_model, after_model.displacements_from(before_model,
                                                                   before.solution.u))
    return [base, lifted_start(after_model, holds_off, base)]


def settle_postop(scene: Scene, before_model: MechanicalModel, after_model: MechanicalModel,
                  holds_off: tuple[str, ...], before: Settled, level: float,
                  surface: BrainstemSurface | None = None) -> Settled:
    """The operated case (``after_model``, built on ``scene``: the operated scene) settled at
    a pulse level, started from the settled case without the operation (``before``, at that
    level) and, failing that, with the held-off vessels lifted clear (:func:`postop_starts`);
    both attempts share ``surface`` (``after_model.new_surface()``, the caller's; default a
    fresh one, see :func:`~mvd_sim.mechanics.sweep.settle_from`)."""
    return settle_from(scene, after_model, level,
                       postop_starts(before_model, after_model, holds_off, before), surface)


def lifted_start(model: MechanicalModel, holds_off: tuple[str, ...],
                 base: np.ndarray | None = None) -> np.ndarray:
    """Starting displacements (``base``, default the scene as placed) with each held-off
    vessel lifted clear of its pad, as a surgeon retracts it to slip the pad in."""
    u0 = start_displacement(model) if base is None else base.copy()
    names = [r.name for r in model.rods]
    for sponge, vessel in zip(model.sponges, holds_off):
        k = names.index(vessel)
        dofs = model.translation_dofs(k)
        where = model.rods[k].tube.with_points(model.rods[k].tube.points + u0[dofs])
        u0[dofs] += vessel_lift(where, sponge)
    return u0


def decompress(case: Case, operation: Operation | None = None) -> DecompressionReport:
    """Simulate ``operation`` (default: the case's own, :meth:`Operation.of_case`) and judge
    the decompression, with the case's materials and thresholds.

    Raises
    ------
    ScenarioError
        A move that cannot be made as asked (:func:`~mvd_sim.surgery.operation.operate`): a
        pad that would start inside a nerve, the brainstem or the petrous bone, or names an
        unknown or divided vessel; a sling on a vein; an artery to divide.
    SolverError
        If an equilibrium does not converge (nothing unconverged is ever reported).
    """
    return decompress_states(case, operation)[0]


def decompress_states(case: Case, operation: Operation | None = None,
                      labels: Mapping[str, Sequence[str]] | None = None, *,
                      near: np.ndarray | None = None
                      ) -> tuple[DecompressionReport, Settled, Settled]:
    """:func:`decompress` plus the worst-phase solved states before and after; ``labels``
    name where each move came from in errors (:func:`~mvd_sim.surgery.operation.operate`).

    ``near``: (n_dof,) displacements of the case's model near its state at the highest
    pulse level, such as the planner's systolic solve of the case; the sweep of the case
    without the operation starts there (then, failing that, as without it), which spares
    most of its first solve's Newton steps.
    """
    scene, thresholds = case.scene, case.thresholds
    operation = Operation.of_case(case) if operation is None else operation
    operated = operate(scene, operation, labels)
    before_model = build_model(scene, (), case.materials)
    after_model = operated.model(before_model)
    before = sweep(scene, before_model,
                   ([] if near is None else [near]) + [start_displacement(before_model)])
    # the operation is made at the worst phase of the settled case (if that fails to
    # converge, with the vessels the pads hold off first lifted clear of them)
    after = sweep(operated.scene, after_model,
                  postop_starts(before_model, after_model, operated.holds_off,
                                before.states[before.worst]))
    s_before, s_after = _summary(before, thresholds), _summary(after, thresholds)
    worst_before, worst_after = before.states[before.worst], after.states[after.worst]
    marks = scene.landmarks["CN7"]
    outcomes = sponge_outcomes(worst_after, operated.holds_off, marks.rez_end_mm,
                               scene.rest_nerves["CN7"].s)
    vessels = _vessel_outcomes(operated.scene, worst_before, worst_after,
                               before.clearance[before.worst], after.clearance[after.worst])
    checks, warnings = _verdict(s_before, s_after, vessels, outcomes, thresholds)
    status = _status(checks)
    failed = [c.text for c in checks if not c.passed]
    report = DecompressionReport(
        scenario=scene.name, status=status, decompressed=status == "decompressed",
        checks=checks, reasons=failed or [checks[0].text],
        warnings=warnings + [division_warning(vein) for vein in operation.divided],
        sponges=outcomes, transpositions=sling_outcomes(worst_after),
        divided=list(operation.divided), vessels=vessels, as_built=grade_as_built(case),
        before=s_before, after=s_after)
    return report, worst_before, worst_after


def grade_as_built(case: Case) -> CaseGrade:
    """The case's own grade: its scene as built, analysed with its thresholds."""
    report = analyze(case.scene, case.thresholds)
    return CaseGrade(contacts=report.contacts, nerve_deviation_mm=nerve_deviation_mm(case.scene))


def over_impacted(deviation_after_mm: float, deviation_before_mm: float,
                  thresholds: SeverityThresholds) -> bool:
    """Whether pads deviate the nerve: it ends up displaced by at least the deviation
    threshold, and more than before they went in."""
    return deviation_after_mm >= thresholds.deviation_mm and \
        deviation_after_mm > deviation_before_mm


def nerve_deviation_mm(scene: Scene, nerve: str = "CN7") -> float:
    """Largest displacement of a nerve from its rest course (mm)."""
    return float(np.max(np.linalg.norm(scene.nerves[nerve].points
                                       - scene.rest_nerves[nerve].points, axis=1)))


def _status(checks: list[Check]) -> str:
    failed = {c.failing_means for c in checks if not c.passed}
    if "not_decompressed" in failed:
        return "not_decompressed"
    return "decompressed_at_a_cost" if failed else "decompressed"


def _cn7_free(after: StateSummary, vessels: list[VesselOutcome],
              thresholds: SeverityThresholds) -> Check:
    """CN VII is free when every vessel stays at least the at-risk margin
    (``thresholds.near_miss_mm``, the one ``analyze`` uses) from it through the whole pulse."""
    free_mm = thresholds.near_miss_mm
    if not vessels:
        return Check(name="cn7_free", passed=True, failing_means="not_decompressed",
                     text="the scene has no tube vessel to decompress")
    closest = min(vessels, key=lambda v: v.clearance_after_mm)
    where = f"at {100 * after.worst_phase:.0f}% of the cardiac cycle"
    if closest.clearance_after_mm >= free_mm:
        return Check(name="cn7_free", passed=True, failing_means="not_decompressed",
                     text=f"every vessel clears CN VII by at least {free_mm:g} mm through the "
                          f"whole pulse (closest: {closest.vessel}, "
                          f"{closest.clearance_after_mm:.2f} mm {where})")
    touching = {c.vessel: c for c in after.contacts}
    if closest.vessel in touching:
        c = touching[closest.vessel]
        what = (f"{c.vessel} still touches CN VII at the {c.segment} (separation "
                f"{c.min_separation_mm:+.2f} mm, {c.severity}) {where}")
    else:
        what = (f"{closest.vessel} comes within {closest.clearance_after_mm:.2f} mm of CN VII "
                f"{where}: at risk (free means at least {free_mm:g} mm)")
    return Check(name="cn7_free", passed=False, failing_means="not_decompressed", text=what)


def new_cn8_contacts(before: Iterable[Contact], after: Iterable[Contact], contact_mm: float
                     ) -> list[Contact]:
    """The CN VIII contacts of ``after`` that ``before`` lacks, or presses deeper than there
    by more than ``contact_mm`` (the contact threshold, mm); other contacts are ignored."""
    was = {c.vessel: c.min_separation_mm for c in before if c.nerve == "CN8"}
    return [c for c in after if c.nerve == "CN8" and
            (c.vessel not in was or c.min_separation_mm < was[c.vessel] - contact_mm)]


def _cn8_spared(before: StateSummary, after: StateSummary,
                thresholds: SeverityThresholds) -> Check:
    """No vessel touches CN VIII that did not before, nor presses it deeper (by more than the
    contact threshold) than before: hearing loss is the commonest serious complication of
    MVD (2.3% permanent, Miller & Miller 2012)."""
    harmed = new_cn8_contacts(before.cn8_contacts, after.cn8_contacts, thresholds.contact_mm)
    was = {c.vessel: c.min_separation_mm for c in before.cn8_contacts}
    if not harmed:
        return Check(name="cn8_spared", passed=True, failing_means="cost",
                     text="no new or deeper contact with CN VIII")
    texts = [f"{c.vessel} {'now touches' if c.vessel not in was else 'presses deeper on'} CN "
             f"VIII at the {c.segment} (separation {c.min_separation_mm:+.2f} mm"
             + (f", was {was[c.vessel]:+.2f}" if c.vessel in was else "") + ")" for c in harmed]
    return Check(name="cn8_spared", passed=False, failing_means="cost", text="; ".join(texts))


_BODY_NAMES = {"CN7": "CN VII", "CN8": "CN VIII", "brainstem": "the brainstem"}


def _pressure_check(name: str, bodies: tuple[str, ...], limit_kpa: float,
                    pressures: list[tuple[str, str, float]]) -> Check:
    """Whether every load ``(what, body, kPa)`` on ``bodies`` stays within ``limit_kpa``."""
    over = [(what, body, kpa) for what, body, kpa in pressures
            if body in bodies and kpa > limit_kpa]
    if not over:
        where = " or ".join(_BODY_NAMES.get(b, b) for b in bodies)
        return Check(name=name, passed=True, failing_means="cost",
                     text=f"no pad presses {where} harder than {limit_kpa:g} kPa")
    return Check(name=name, passed=False, failing_means="cost",
                 text="; ".join(f"{what} presses {_BODY_NAMES.get(body, body)} with "
                                f"{kpa:.1f} kPa (limit {limit_kpa:g} kPa)"
                                for what, body, kpa in over))


def _verdict(before: StateSummary, after: StateSummary, vessels: list[VesselOutcome],
             sponges: list[SpongeOutcome], thresholds: SeverityThresholds
             ) -> tuple[list[Check], list[str]]:
    """The verdict's checks (CN VII first) and its warnings."""
    impacted = over_impacted(after.nerve_deviation_mm, before.nerve_deviation_mm, thresholds)
    checks = [
        _cn7_free(after, vessels, thresholds),
        Check(name="no_over_impaction", passed=not impacted, failing_means="not_decompressed",
              text=(f"the pads deviate CN VII by {after.nerve_deviation_mm:.2f} mm "
                    "(over-impaction: a smaller pad or another site)") if impacted else
              f"CN VII is deviated {after.nerve_deviation_mm:.2f} mm at most (no "
              "over-impaction)"),
        _cn8_spared(before, after, thresholds)]
    loads = [(f"pad {s.id}", load.body, load.pressure_kpa) for s in sponges for load in s.loads]
    checks += [_pressure_check("nerve_pressure", ("CN7", "CN8"), NERVE_PRESSURE_LIMIT_KPA, loads),
               _pressure_check("brainstem_pressure", ("brainstem",),
                               BRAINSTEM_PRESSURE_LIMIT_KPA, loads)]
    warnings = []
    for s in sponges:
        if s.on_rez:
            warnings.append(f"{s.id} presses on the root exit zone ({s.nerve_pressure_kpa:.1f} "
                            f"kPa over {s.nerve_contact_area_mm2:.2f} mm^2)")
    for v in vessels:
        if v.peak_curvature_after_per_mm > KINK_CURVATURE_PER_MM and \
                v.peak_curvature_after_per_mm > 1.2 * v.peak_curvature_before_per_mm:
            warnings.append(f"{v.vessel} bends to a {1 / v.peak_curvature_after_per_mm:.1f} mm "
                            "radius (kinking risk)")
    return checks, warnings
