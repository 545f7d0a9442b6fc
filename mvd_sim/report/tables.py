"""Human-readable and JSON forms of the reports.

The JSON form is the pydantic model dumped as is (:class:`~mvd_sim.contact.analysis.ContactReport`:
schema ``mvd-sim/contact-report``; :class:`~mvd_sim.surgery.decompress.DecompressionReport`:
``mvd-sim/decompression-report``, version 2); :func:`report_json_schema` gives their
JSON Schema. The tables are drawn with rich.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from mvd_sim.contact.analysis import ContactReport
from mvd_sim.report.words import phase_words
from mvd_sim.surgery.decompress import DecompressionReport
from mvd_sim.surgery.planner import Plan

__all__ = ["report_json", "report_json_schema", "report_table", "decompression_table",
           "plan_table"]


def report_json(report: BaseModel) -> str:
    """A report (contact, decompression or plan) as indented JSON text (units in the field
    names)."""
    return report.model_dump_json(indent=2) + "\n"


def report_json_schema(model: type[BaseModel] = ContactReport) -> str:
    """JSON Schema of a report model (draft 2020-12, generated from the pydantic model)."""
    return json.dumps(model.model_json_schema(), indent=2) + "\n"


def _console(width: int):
    from rich.console import Console

    return Console(width=width, record=True, file=_Null(), color_system=None)


_STATUS = {"decompressed": "DECOMPRESSED", "decompressed_at_a_cost": "DECOMPRESSED AT A COST",
           "not_decompressed": "NOT DECOMPRESSED"}


def _contact_list(contacts: list) -> str:
    return ", ".join(f"{c.vessel} at {c.segment} ({c.severity}, separation "
                     f"{c.min_separation_mm:+.2f}, deviation {c.deviation_mm:.2f})"
                     for c in contacts) or "none"


def decompression_table(report: DecompressionReport, width: int = 120) -> str:
    """A decompression report as text: the verdict and each of its checks, warnings, pads,
    vessels, and the contacts of the case as built, as settled, and after the operation."""
    from rich.table import Table

    console = _console(width)
    console.print(f"[bold]{report.scenario}[/bold]: [bold]{_STATUS[report.status]}[/bold] "
                  f"(worst at {phase_words(report.after.worst_phase)}; "
                  f"{report.after.phases_sampled} phases sampled, "
                  f"{report.after.phases_solved} solved)")
    for check in report.checks:
        mark = "ok  " if check.passed else ("FAIL" if check.failing_means == "not_decompressed"
                                            else "COST")
        console.print(f"  {mark} {check.name}: {check.text}")
    for warning in report.warnings:
        console.print(f"  warning: {warning}")
    pads = Table(title="Pads at the worst phase (nerve contact: area mm2, force mN, kPa; "
                 "loads: body force mN)")
    for header in ("pad", "shape", "d", "length", "holds off", "seat", "area", "force",
                   "pressure", "on REZ", "overlap", "loads"):
        pads.add_column(header, no_wrap=True)
    for p in report.sponges:
        seat = f"{p.seat} {p.against}" if p.seat in ("nerve", "trunk") else p.seat
        pads.add_row(p.id, p.shape, f"{p.diameter_mm:.1f}", f"{p.length_mm:.1f}", p.holds_off,
                     seat,
                     f"{p.nerve_contact_area_mm2:.2f}", f"{p.nerve_force_mn:.2f}",
                     f"{p.nerve_pressure_kpa:.2f}", "yes" if p.on_rez else "no",
                     f"{p.max_overlap_mm:.2f}",
                     ", ".join(f"{load.body} {load.force_mn:.2f}" for load in p.loads))
    if report.sponges:
        console.print(pads)
    slings = Table(title="Slings at the worst phase (mm; tension mN)")
    for header in ("sling", "vessel", "anchor", "at", "asked", "moved", "tension"):
        slings.add_column(header, no_wrap=True)
    for t in report.transpositions:
        slings.add_row(t.id, t.vessel, t.anchor,
                       "(" + ", ".join(f"{x:.1f}" for x in t.anchor_point_mm) + ")",
                       f"{t.distance_mm:.1f}", f"{t.displacement_mm:.2f}", f"{t.tension_mn:.1f}")
    if report.transpositions:
        console.print(slings)
    if report.divided:
        console.print(f"coagulated and divided: {', '.join(report.divided)}")
    vessels = Table(title="Vessels, settled before -> after (clearance from CN VII and "
                    "displacement mm, peak curvature 1/mm)")
    for header in ("vessel", "type", "clearance", "moved", "curvature"):
        vessels.add_column(header, no_wrap=True)
    for v in report.vessels:
        vessels.add_row(v.vessel, v.vessel_type,
                        f"{v.clearance_before_mm:+.2f} -> {v.clearance_after_mm:+.2f}",
                        f"{v.displacement_before_mm:.2f} -> {v.displacement_after_mm:.2f}",
                        f"{v.peak_curvature_before_per_mm:.2f} -> "
                        f"{v.peak_curvature_after_per_mm:.2f}")
    console.print(vessels)
    built = report.as_built
    console.print("As built (the case's own grade, as `analyze` reports it): CN VII "
                  f"{_contact_list([c for c in built.contacts if c.nerve == 'CN7'])}; CN VIII "
                  f"{_contact_list([c for c in built.contacts if c.nerve == 'CN8'])}; nerve "
                  f"deviation {built.nerve_deviation_mm:.2f} mm")
    for label, state in (("Settled by the mechanics, before", report.before),
                         ("After the operation", report.after)):
        console.print(f"{label}: CN VII {_contact_list(state.contacts)}; CN VIII "
                      f"{_contact_list(state.cn8_contacts)}; nerve deviation "
                      f"{state.nerve_deviation_mm:.2f} mm")
    return console.export_text()


def report_table(report: ContactReport, width: int = 120) -> str:
    """The report as text tables: pattern and culprits, contacts, vessel contacts, risks."""
    from rich.table import Table

    console = _console(width)
    culprits = ", ".join(
        f"{c.vessel} ({c.vessel_type}, {c.severity})" if c.pushes is None
        else f"{c.vessel} ({c.vessel_type}, pushing {c.pushes})" for c in report.culprits)
    console.print(f"[bold]{report.scenario}[/bold] ({report.side} side): pattern "
                  f"[bold]{report.pattern}[/bold]; culprits: {culprits or 'none'}"
                  + (f"; causes: {', '.join(report.causes)}"
                     if set(report.causes) - {"vascular"} else ""))
    if report.thresholds_basis is not None:
        t = report.thresholds_mm
        console.print(f"thresholds: contact {t['contact']:g} mm, indentation "
                      f"{t['indentation']:g} mm, deviation {t['deviation']:g} mm, near miss "
                      f"{t['near_miss']:g} mm: {report.thresholds_basis}", highlight=False)
    if report.fit_rms_mm:
        console.print("fit uncertainty (RMS residual of each segmented surface about its "
                      "fit, mm): " + ", ".join(f"{name} {rms:.2f}" for name, rms
                                               in report.fit_rms_mm.items()), highlight=False)
    table = Table(title="Neurovascular contacts (lengths mm, s from the root exit point; "
                  "area mm2; angle deg)")
    text_columns = ("vessel", "type", "nerve", "segment", "REZ", "side", "severity")
    for header in ("vessel", "type", "nerve", "segment", "REZ", "s", "sep", "indent", "dev",
                   "area", "angle", "side", "severity"):
        table.add_column(header, justify="left" if header in text_columns else "right",
                         no_wrap=True)
    for c in report.contacts:
        table.add_row(c.vessel, c.vessel_type, c.nerve, c.segment,
                      "yes" if c.in_rez else "no",
                      f"{c.s_start_mm:.1f}-{c.s_end_mm:.1f}", f"{c.min_separation_mm:+.2f}",
                      f"{c.indentation_mm:.2f}", f"{c.deviation_mm:.2f}",
                      f"{c.patch_area_mm2:.2f}", f"{c.crossing_angle_deg:.0f}", c.side,
                      c.severity)
    if report.contacts:
        console.print(table)
    else:
        console.print("No neurovascular contact.")
    for vc in report.vessel_contacts:
        console.print(f"vessel contact: {vc.vessel_a} - {vc.vessel_b} "
                      f"(separation {vc.min_separation_mm:+.2f} mm)")
    for lc in report.lesion_contacts:
        role = f", its {lc.role}" if lc.role else ""
        if lc.displacement_mm is not None:
            role += f", displaced {lc.displacement_mm:.2f} mm"
        console.print(f"lesion contact: {lc.lesion} ({lc.lesion_kind}) - {lc.vessel} "
                      f"({lc.vessel_type}{role}; separation {lc.min_separation_mm:+.2f} mm)")
    for risk in report.vessels_at_risk:
        console.print(f"at risk: {risk.vessel} ({risk.vessel_type}) "
                      f"{risk.min_separation_mm:.2f} mm from {risk.nerve} "
                      f"at s = {risk.s_mm:.1f} mm ({risk.segment})")
    return console.export_text()


def plan_table(plan: Plan, width: int = 120) -> str:
    """A plan as text: verdict, the moves in order, and the predicted outcome."""
    from rich.table import Table

    console = _console(width)
    verdict = "PLAN FOUND" if plan.feasible else "NO PLAN"
    console.print(f"[bold]{plan.scenario}[/bold]: [bold]{verdict}[/bold]: {plan.message}")
    if plan.mobilise_first:
        console.print(f"  mobilise first: {', '.join(plan.mobilise_first)} (pushes a culprit "
                      "into the nerve)")
    moves = Table(title=f"Moves in order ({plan.candidates_tried} candidates tried; CN VII "
                  "compression treated at s mm from the root exit point; pad pressure kPa)")
    for header in ("#", "move", "vessel", "segment", "s", "what", "pressure", "on REZ"):
        moves.add_column(header, no_wrap=True)
    for k, move in enumerate(plan.moves, 1):
        if move.kind == "pad":
            pad = move.sponge
            size = f"{pad.diameter_mm:g} mm {pad.shape}" + (
                f" {pad.cylinder_length_mm:g} mm long" if pad.shape == "cylinder" else "")
            what = size + (" on CN VII" if pad.seat == "nerve" else f" on the {pad.seat}")
        elif move.kind == "transposition":
            what = (f"sling {move.transposition.distance_mm:g} mm to the "
                    f"{move.transposition.anchor} dura")
        elif move.kind == "band_division":
            what = f"arachnoid band {move.band} cut"
        else:
            what = "coagulated and divided"
        moves.add_row(str(k), move.kind, move.vessel, move.segment, f"{move.s_mm:.1f}", what,
                      f"{move.pressure_kpa:.2f}" if move.kind == "pad" else "-",
                      "yes" if move.on_rez else "no")
    if plan.moves:
        console.print(moves)
    text = console.export_text()
    if plan.predicted is not None:
        text += "Predicted outcome:\n" + decompression_table(plan.predicted, width)
    return text


class _Null:
    """A file that drops what is written (the console only records)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
