"""A self-contained HTML case report for a case conference.

One file that opens on its own, with no server and no request to anywhere: the surgeon's
view (and a lateral one), before and after when a plan is given, as embedded PNG; the case
as an interactive 3D scene (:mod:`mvd_sim.report.scene3d`: vtk.js inlined, the only scripts);
the contact table; a plot of each vessel's separation from CN VII along its arc length with
the segments shaded (matplotlib); the decompression outcome, each pad placed by CN VII's
segment and arc length; and the scenario it came from.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import numpy as np

from mvd_sim.contact.analysis import ContactReport, analyze
from mvd_sim.contact.regions import TubeSurface
from mvd_sim.report.words import nerve_place, phase_words
from mvd_sim.surgery.decompress import DecompressionReport
from mvd_sim.core.output import HTML_SUFFIXES, output_format, write_file
from mvd_sim.scene.scene import Scene

__all__ = ["CONTENT_SECURITY", "separation_profiles", "separation_plot_png", "case_report_html",
           "write_case_report"]

SEGMENT_SHADES = {"RExP": "#f6d8d8", "AS": "#f9e9c8", "RDP": "#e3f0d3", "CP": "#dbe7f5"}


def separation_profiles(scene: Scene, nerve: str = "CN7") -> tuple[np.ndarray, dict]:
    """Rest-course arc length (mm) of each node of ``nerve`` and, per vessel, the surface gap
    (mm, negative on overlap) from the nerve's surface there to the vessel's surface."""
    placed, rest = scene.nerves[nerve], scene.rest_nerves[nerve]
    gaps = {}
    for name, vessel in scene.vessels.items():
        gaps[name] = TubeSurface.of(vessel).signed_gap(placed.points) - placed.radius
    return rest.s, gaps


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def separation_plot_png(scene: Scene, contact_mm: float, window_mm: float = 3.0) -> bytes:
    """PNG of each vessel's separation from CN VII along its arc length, segments shaded;
    vessels that never come within ``window_mm`` are left out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    s, gaps = separation_profiles(scene)
    marks = scene.landmarks["CN7"]
    figure = Figure(figsize=(8, 3.4))
    FigureCanvasAgg(figure)  # draws without touching the host's pyplot backend
    axes = figure.subplots()
    for segment, shade in SEGMENT_SHADES.items():
        lo, hi = marks.segment_interval(segment)
        axes.axvspan(lo, hi, color=shade, zorder=0)
        axes.text(0.5 * (lo + hi), window_mm * 0.93, segment, ha="center", va="top",
                  fontsize=8)
    for name, gap in gaps.items():
        if gap.min() <= window_mm:
            axes.plot(s, gap, label=f"{name} ({scene.vessels[name].kind})", lw=1.6)
    axes.axhline(0.0, color="black", lw=0.8)
    axes.axhline(contact_mm, color="grey", lw=0.8, ls="--", label="contact threshold")
    axes.set_xlim(0.0, float(s[-1]))
    axes.set_ylim(min(-1.0, min((g.min() for g in gaps.values()), default=0.0) - 0.1),
                  window_mm)
    axes.set_xlabel("arc length along CN VII from the root exit point (mm)")
    axes.set_ylabel("separation (mm)")
    axes.legend(fontsize=8, loc="lower right")
    return _png(figure)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _contacts(report: ContactReport) -> str:
    if not report.contacts:
        return "<p>No neurovascular contact.</p>"
    rows = [[c.vessel, c.vessel_type, c.nerve, c.segment, "yes" if c.in_rez else "no",
             f"{c.s_start_mm:.1f}-{c.s_end_mm:.1f}", f"{c.min_separation_mm:+.2f}",
             f"{c.indentation_mm:.2f}", f"{c.deviation_mm:.2f}", f"{c.patch_area_mm2:.2f}",
             f"{c.crossing_angle_deg:.0f}", c.side, c.severity] for c in report.contacts]
    return _table(["vessel", "type", "nerve", "segment", "REZ", "s (mm)", "separation (mm)",
                   "indentation (mm)", "deviation (mm)", "area (mm²)", "angle (°)", "side",
                   "severity"], rows)


_STATUS = {"decompressed": "Decompressed", "decompressed_at_a_cost": "Decompressed at a cost",
           "not_decompressed": "Not decompressed"}


_NAMES = {"CN7": "CN VII", "CN8": "CN VIII"}


def _pads(scene: Scene, outcome: DecompressionReport) -> str:
    """Each pad: where on CN VII it sits (segment, s), what it holds apart, its load."""
    rows = []
    for p in outcome.sponges:
        segment, s = nerve_place(scene, np.array(p.centre_mm))
        rows.append([p.id, p.shape, f"{p.diameter_mm:.1f}", f"{segment}, s = {s:.1f}",
                     f"{p.holds_off} from {_NAMES.get(p.against, p.against)}",
                     f"{p.nerve_contact_area_mm2:.2f}", f"{p.nerve_pressure_kpa:.2f}",
                     "yes" if p.on_rez else "no"])
    return _table(["pad", "shape", "diameter (mm)", "on CN VII (segment, s mm)", "separates",
                   "area on nerve (mm²)", "pressure (kPa)", "on REZ"], rows)


def _outcome(scene: Scene, outcome: DecompressionReport) -> str:
    items = "".join(f"<li>{'passed' if c.passed else 'FAILED'}: {html.escape(c.text)}</li>"
                    for c in outcome.checks)
    items += "".join(f"<li class='warn'>warning: {html.escape(w)}</li>"
                     for w in outcome.warnings)
    pads = _pads(scene, outcome)
    if outcome.transpositions:
        pads += _table(["sling", "vessel", "anchor", "moved (mm, asked)", "tension (mN)"],
                       [[t.id, t.vessel, t.anchor,
                         f"{t.displacement_mm:.2f} ({t.distance_mm:.1f})",
                         f"{t.tension_mn:.1f}"] for t in outcome.transpositions])
    if outcome.divided:
        pads += f"<p>Coagulated and divided: {html.escape(', '.join(outcome.divided))}</p>"
    vessels = _table(["vessel", "type", "clearance settled → after (mm)", "moved (mm)"],
                     [[v.vessel, v.vessel_type,
                       f"{v.clearance_before_mm:+.2f} → {v.clearance_after_mm:+.2f}",
                       f"{v.displacement_after_mm:.2f}"] for v in outcome.vessels])
    states = _table(["state", "CN VII contacts", "CN VIII contacts", "CN VII deviation (mm)"],
                    [["as built (the case's grade)",
                      _listed([c for c in outcome.as_built.contacts if c.nerve == "CN7"]),
                      _listed([c for c in outcome.as_built.contacts if c.nerve == "CN8"]),
                      f"{outcome.as_built.nerve_deviation_mm:.2f}"]]
                    + [[label, _listed(state.contacts), _listed(state.cn8_contacts),
                        f"{state.nerve_deviation_mm:.2f}"]
                       for label, state in (("settled by the mechanics, before",
                                             outcome.before),
                                            ("after the operation", outcome.after))])
    worst = (f"After the operation a vessel comes closest to CN VII at "
             f"{phase_words(outcome.after.worst_phase)}, the worst phase of the "
             f"{outcome.after.phases_sampled} phases of the cycle sampled; the pads are "
             "judged there.")
    return (f"<p class='verdict'>{_STATUS[outcome.status]}</p><p>{html.escape(worst)}</p>"
            f"<ul>{items}</ul>{states}{pads}{vessels}")


def _listed(contacts: list) -> str:
    return ", ".join(f"{c.vessel} at {c.segment} ({c.severity}, {c.min_separation_mm:+.2f} mm)"
                     for c in contacts) or "none"


#: The page's Content-Security-Policy: nothing is fetched from anywhere (images are data:
#: URIs, scripts and styles inline; vtk.js needs no eval).
CONTENT_SECURITY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                    "script-src 'unsafe-inline'")

# vtk.js's viewer adds ``body{margin:0} html{overflow:hidden}`` when it loads; the report
# scrolls and keeps its margins
_STYLE = """html{overflow:auto!important}
body{font-family:sans-serif;margin:2em!important;max-width:1200px;color:#222}
img{max-width:100%;border:1px solid #ccc;margin:4px 0}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
td,th{border:1px solid #bbb;padding:3px 8px;text-align:left}
th{background:#eee}.verdict{font-weight:bold;font-size:1.2em}.warn{color:#a40}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:0.85em}
.scene{position:relative;width:100%;height:560px;border:1px solid #ccc;background:#121218}
.scene-controls div{margin:0.3em 0}.scene-controls label{margin-right:0.8em;white-space:nowrap}
.swatch{display:inline-block;width:0.9em;height:0.9em;border:1px solid #888;margin-right:3px;
vertical-align:middle}.note{color:#555;font-size:0.9em}"""


def case_report_html(scene: Scene, scenario_text: str, title: str, description: str,
                     pictures: list[tuple[bytes, str]], report: ContactReport | None = None,
                     outcome: DecompressionReport | None = None,
                     interactive: str | None = None, answer: bool = True) -> str:
    """The report as one HTML string (every image embedded); ``interactive`` is the 3D
    section's HTML (:func:`mvd_sim.report.scene3d.interactive_section`), placed after the
    pictures. Without ``answer`` (an exercise's report) the page says nothing of the
    contacts: no pattern, culprits, contact table or separation plot (the pictures and
    the 3D section given are the caller's to make without them)."""
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta http-equiv='Content-Security-Policy' content=\"{CONTENT_SECURITY}\">"
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>{html.escape(description)}</p>"]
    if answer:
        report = analyze(scene) if report is None else report
        culprits = ", ".join(f"{c.vessel} ({c.severity or 'pushing ' + str(c.pushes)})"
                             for c in report.culprits) or "none"
        if report.thresholds_basis is not None:
            t = report.thresholds_mm
            parts.append(f"<p class='note'>Thresholds: contact {t['contact']:g} mm, "
                         f"indentation {t['indentation']:g} mm, near miss "
                         f"{t['near_miss']:g} mm: {html.escape(report.thresholds_basis)}.</p>")
        if report.fit_rms_mm:
            fits = ", ".join(f"{name} {rms:.2f}" for name, rms in report.fit_rms_mm.items())
            parts.append(f"<p class='note'>Fit uncertainty (RMS residual of each segmented "
                         f"surface about its fit, mm): {html.escape(fits)}.</p>")
        parts.append(f"<p><b>Side:</b> {scene.side}. <b>Pattern:</b> {report.pattern}. "
                     f"<b>Culprits:</b> {html.escape(culprits)}.</p>")
    else:
        parts.append(f"<p><b>Side:</b> {scene.side}.</p>")
    parts += ["<h2>Views</h2>", *(_img(png, alt) for png, alt in pictures)]
    if interactive is not None:
        parts += ["<h2>The case in 3D</h2>", interactive]
    if answer:
        parts += ["<h2>Contacts (the case as built)</h2>", _contacts(report),
                  "<h2>Separation along CN VII</h2>",
                  _img(separation_plot_png(scene, report.thresholds_mm["contact"]),
                       "separation of each vessel from CN VII along its arc length")]
    if outcome is not None:
        parts += ["<h2>Decompression</h2>", _outcome(scene, outcome)]
    parts += ["<h2>Scenario</h2>", f"<pre>{html.escape(scenario_text)}</pre>",
              "</body></html>"]
    return "\n".join(parts)


def write_case_report(path: str | os.PathLike, text: str) -> Path:
    """Write the report atomically (:func:`mvd_sim.core.output.write_file`) to an ``.html`` or
    ``.htm`` file; any other suffix is refused in one line (:data:`HTML_SUFFIXES`)."""
    output_format(path, HTML_SUFFIXES)
    return write_file(path, text.encode("utf-8"))
