"""Human-readable and JSON forms of a contact report.

The JSON form is the :class:`~mvd_sim.contact.ContactReport` model dumped as is (schema
``mvd-sim/contact-report``, version 1); :func:`report_json_schema` gives its JSON Schema.
The table is drawn with rich.
"""

from __future__ import annotations

import json

from mvd_sim.contact import ContactReport

__all__ = ["report_json", "report_json_schema", "report_table"]


def report_json(report: ContactReport) -> str:
    """The report as indented JSON text (units in the field names)."""
    return report.model_dump_json(indent=2) + "\n"


def report_json_schema() -> str:
    """JSON Schema of the report (draft 2020-12, generated from the pydantic model)."""
    return json.dumps(ContactReport.model_json_schema(), indent=2) + "\n"


def report_table(report: ContactReport, width: int = 120) -> str:
    """The report as text tables: pattern and culprits, contacts, vessel contacts, risks."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=width, record=True, file=_Null(), color_system=None)
    culprits = ", ".join(
        f"{c.vessel} ({c.vessel_type}, {c.severity})" if c.pushes is None
        else f"{c.vessel} ({c.vessel_type}, pushing {c.pushes})" for c in report.culprits)
    console.print(f"[bold]{report.scenario}[/bold] ({report.side} side): pattern "
                  f"[bold]{report.pattern}[/bold]; culprits: {culprits or 'none'}")
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
    for risk in report.vessels_at_risk:
        console.print(f"at risk: {risk.vessel} ({risk.vessel_type}) "
                      f"{risk.min_separation_mm:.2f} mm from {risk.nerve} "
                      f"at s = {risk.s_mm:.1f} mm ({risk.segment})")
    return console.export_text()


class _Null:
    """A file that drops what is written (the console only records)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
