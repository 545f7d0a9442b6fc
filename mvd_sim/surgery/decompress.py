"""Decompression: place sponges, solve the new equilibrium through the pulse, give a verdict.

``decompress(case, pads)`` solves the case twice over the cardiac cycle
(:mod:`mvd_sim.mechanics.sweep`): before (the rods settled as the scenario places them) and after
(with the pads in, the vessels they hold off lifted and let down onto them). At the worst
phase of each it reports what a surgeon checks: every vessel's clearance from CN VII, the
remaining contacts graded by the contact engine, each pad's contact area and pressure on the
nerve, how far each vessel moved and how sharply it bends, and the nerve's deviation.

The verdict is a list of checks, each its own reason:

- ``cn7_free``: every vessel stays at least the at-risk margin (``near_miss_mm``, 0.5 mm by
  default: the one ``analyze`` uses, so the two never disagree on what free means) from CN VII
  through the whole pulse;
- ``no_over_impaction``: the pads do not deviate the nerve beyond the deviation threshold
  (over-impaction lifts VII/VIII: Seaman SC et al., Surg Neurol Int 2020);
- ``cn8_spared``: no new or deeper contact with CN VIII (hearing loss is the commonest serious
  complication: 2.3% permanent, Miller & Miller, Br J Neurosurg 2012).

Failing either of the first two means not decompressed; failing the third, decompressed at a
cost. A pad pressing on the root exit zone, and a vessel kinked by a pad, are warnings (pads
on the nerve caused 53.5% of revisions: Al Mutawa M et al. 2024).

The report also carries the case as built (``as_built``: the pre-operative grade its
scenario describes, what ``analyze`` reports) beside the states the mechanics settle, so a
case built severe reads as severe even where the settled state relaxes its deviation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from mvd_sim.case import Case
from mvd_sim.contact.analysis import Contact, analyze
from mvd_sim.core.labels import SeverityThresholds
from mvd_sim.mechanics.contacts import ContactSet
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.simulate import Settled, build_model, start_displacement
from mvd_sim.mechanics.surface import BrainstemSurface
from mvd_sim.mechanics.sweep import PhaseSweep, settle_from, sweep
from mvd_sim.scenario import SpongeSpec
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.pads import place_sponges, vessel_lift

__all__ = ["decompress", "decompress_states", "postop_starts", "settle_postop",
           "lifted_start",
           "sponge_outcomes", "over_impacted", "nerve_deviation_mm",
           "DecompressionReport", "SpongeOutcome", "VesselOutcome", "Check", "CaseGrade",
           "grade_as_built",
           "KINK_CURVATURE_PER_MM", "REPORT_SCHEMA"]

REPORT_SCHEMA = "mvd-sim/decompression-report"
KINK_CURVATURE_PER_MM = 0.5  # *estimate*: a bend tighter than 2 mm radius on a ~1 mm artery
PAD_FORCE_TOL_N = 1e-5  # a pad touching the nerve with less (10 uN) does not press on it


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpongeOutcome(_Model):
    """A pad at the worst phase after decompression: its load on the nerve it lies on
    (force, contact area, mean pressure; whether on the root exit zone), and the deepest
    overlap with anything it touches (``max_overlap_mm``: felt compression plus the other
    body's dent or flattening)."""

    id: str
    shape: Literal["ball", "cylinder"]
    diameter_mm: float
    length_mm: float
    holds_off: str
    centre_mm: tuple[float, float, float]
    nerve_contact_area_mm2: float
    nerve_force_mn: float
    nerve_pressure_kpa: float
    on_rez: bool
    max_overlap_mm: float


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

    name: Literal["cn7_free", "no_over_impaction", "cn8_spared"]
    passed: bool
    failing_means: Literal["not_decompressed", "cost"]
    text: str


class DecompressionReport(_Model):
    """``decompress``'s answer (JSON schema ``mvd-sim/decompression-report``, version 2).

    ``status`` is ``decompressed`` when every check passes, ``decompressed_at_a_cost`` when CN
    VII is free but a check of another structure fails, else ``not_decompressed``;
    ``decompressed`` is true only for the first. ``reasons`` are the failed checks' texts (the
    CN VII check's when all pass). ``as_built`` is the case's own grade; ``before`` and
    ``after`` are the states the mechanics settle, without and with the operation.
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
    vessels: list[VesselOutcome]
    as_built: CaseGrade
    before: StateSummary
    after: StateSummary


def sponge_outcomes(state: Settled, holds_off: tuple[str, ...], rez_end_mm: float,
                     rest_s: np.ndarray) -> list[SpongeOutcome]:
    model, eq = state.model, state.solution
    contacts: ContactSet = eq.contacts
    nerve = [r.name for r in model.rods].index("CN7")
    forces = eq.forces_n()
    tribs = model.tributaries[nerve]
    out = []
    for k, sponge in enumerate(state.scene.sponges):
        body = len(model.rods) + k
        on = (contacts.body_a == body) & (contacts.body_b == nerve) & \
            (forces > PAD_FORCE_TOL_N)
        overlap = -contacts.gap[on]
        nodes = contacts.node_b[on]
        r_nerve = model.rods[nerve].tube.radius[nodes]
        r_eff = sponge.radius_mm * r_nerve / (sponge.radius_mm + r_nerve)
        area = float(np.sum(2.0 * np.sqrt(2.0 * r_eff * overlap) * tribs[nodes]))
        force = float(np.sum(forces[on]))
        mine = (contacts.body_a == body) | (contacts.body_b == body)
        out.append(SpongeOutcome(
            id=sponge.name, shape=sponge.shape, diameter_mm=sponge.diameter_mm,
            length_mm=sponge.length_mm, holds_off=holds_off[k],
            centre_mm=tuple(float(x) for x in sponge.centre),
            nerve_contact_area_mm2=area, nerve_force_mn=1e3 * force,
            nerve_pressure_kpa=1e3 * force / area if area > 0 else 0.0,
            on_rez=bool(np.any(rest_s[nodes] <= rez_end_mm)),
            max_overlap_mm=float(np.max(-contacts.gap[mine], initial=0.0))))
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
    """Starting displacements for a solve with pads: the settled case as it was, then the
    same with the held-off vessels lifted clear of their pads."""
    base = np.zeros(after_model.n_dof)
    base[:before_model.n_dof] = before.solution.u
    return [base, lifted_start(after_model, holds_off, base)]


def settle_postop(scene: Scene, before_model: MechanicalModel, after_model: MechanicalModel,
                  holds_off: tuple[str, ...], before: Settled, level: float,
                  surface: BrainstemSurface | None = None) -> Settled:
    """The case with pads (``after_model``) settled at a pulse level, started from the
    settled case without them (``before``, at that level) and, failing that, with the
    held-off vessels lifted clear (:func:`postop_starts`); both attempts share ``surface``
    (``after_model.new_surface()``, the caller's; default a fresh one, see
    :func:`~mvd_sim.mechanics.sweep.settle_from`)."""
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


def decompress(case: Case, pads: Sequence[SpongeSpec] | None = None) -> DecompressionReport:
    """Simulate placing ``pads`` (default: the case's own) and judge the decompression, with
    the case's materials and thresholds.

    Raises
    ------
    ScenarioError
        A pad that would start inside a nerve or the brainstem, or names an unknown vessel.
    SolverError
        If an equilibrium does not converge (nothing unconverged is ever reported).
    """
    return decompress_states(case, pads)[0]


def decompress_states(case: Case, pads: Sequence[SpongeSpec] | None = None,
                      labels: Sequence[str] | None = None
                      ) -> tuple[DecompressionReport, Settled, Settled]:
    """:func:`decompress` plus the worst-phase solved states before and after; ``labels``
    name where each pad came from in errors (:func:`~mvd_sim.surgery.pads.place_sponges`)."""
    scene, thresholds = case.scene, case.thresholds
    pads = case.pads if pads is None else tuple(pads)
    bodies, holds_off = place_sponges(scene, pads, labels)
    before_model = build_model(scene, (), case.materials)
    after_model = dataclasses.replace(before_model, sponges=list(bodies))
    before = sweep(scene, before_model, [start_displacement(before_model)])
    # the pads go in at the worst phase of the settled case (if that fails to converge, with
    # the vessels they hold off first lifted clear of them)
    after = sweep(scene, after_model, postop_starts(before_model, after_model, holds_off,
                                                    before.states[before.worst]))
    s_before, s_after = _summary(before, thresholds), _summary(after, thresholds)
    worst_before, worst_after = before.states[before.worst], after.states[after.worst]
    marks = scene.landmarks["CN7"]
    outcomes = sponge_outcomes(worst_after, holds_off, marks.rez_end_mm,
                                scene.rest_nerves["CN7"].s)
    vessels = _vessel_outcomes(scene, worst_before, worst_after, before.clearance[before.worst],
                               after.clearance[after.worst])
    checks, warnings = _verdict(s_before, s_after, vessels, outcomes, thresholds)
    status = _status(checks)
    failed = [c.text for c in checks if not c.passed]
    report = DecompressionReport(
        scenario=scene.name, status=status, decompressed=status == "decompressed",
        checks=checks, reasons=failed or [checks[0].text], warnings=warnings,
        sponges=outcomes, vessels=vessels, as_built=grade_as_built(case),
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
    where = f"at phase {after.worst_phase:.2f} of the cycle"
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


def _cn8_spared(before: StateSummary, after: StateSummary,
                thresholds: SeverityThresholds) -> Check:
    """No vessel touches CN VIII that did not before, nor presses it deeper (by more than the
    contact threshold) than before: hearing loss is the commonest serious complication of
    MVD (2.3% permanent, Miller & Miller 2012)."""
    was = {c.vessel: c.min_separation_mm for c in before.cn8_contacts}
    harmed = [c for c in after.cn8_contacts
              if c.vessel not in was or c.min_separation_mm < was[c.vessel] - thresholds.contact_mm]
    if not harmed:
        return Check(name="cn8_spared", passed=True, failing_means="cost",
                     text="no new or deeper contact with CN VIII")
    texts = [f"{c.vessel} {'now touches' if c.vessel not in was else 'presses deeper on'} CN "
             f"VIII at the {c.segment} (separation {c.min_separation_mm:+.2f} mm"
             + (f", was {was[c.vessel]:+.2f}" if c.vessel in was else "") + ")" for c in harmed]
    return Check(name="cn8_spared", passed=False, failing_means="cost", text="; ".join(texts))


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
