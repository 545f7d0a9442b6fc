"""The case report's interactive 3D section: the case solved at systole and diastole (before
and after the operation, if there is one), drawn by vtk.js inside the page.

The section needs nothing outside the file: vtk.js (:func:`mvd_sim.viz.vtkjs.vtkjs_module`),
the scene (:func:`mvd_sim.viz.webscene.web_scene`, base64) and the script that wires the
checkboxes and buttons are all inlined. Without WebGL the rest of the report still reads.
"""

from __future__ import annotations

import base64
import html
import json

from mvd_sim.case import Case
from mvd_sim.mechanics.pulse import DIASTOLE, SYSTOLE, pulse_level
from mvd_sim.surgery.operation import Operation
from mvd_sim.surgery.postop import scene_at_level
from mvd_sim.viz.webscene import View, WebScene, web_scene, webscene_script
from mvd_sim.viz.vtkjs import vtkjs_module

__all__ = ["PHASES", "STATE_LABELS", "case_views", "scene_section", "interactive_section"]

#: The pulse phases shown, as fractions of the cardiac cycle (0 = end-diastole).
PHASES = {"systole": SYSTOLE, "diastole": DIASTOLE}
#: How each state is named on its button.
STATE_LABELS = {"case": "settled", "before": "before", "after": "after the operation"}
_CHUNK = 120  # base64 characters a line


def case_views(case: Case, operation: Operation) -> list[View]:
    """The case solved at each of :data:`PHASES`: as it is (``operation`` empty), or before
    and after ``operation``.

    Raises
    ------
    ScenarioError, SolverError
        As :func:`~mvd_sim.surgery.postop.scene_at_level`.
    """
    plans = [("case", Operation())] if operation.is_empty else [("before", Operation()),
                                                               ("after", operation)]
    return [View(state, phase, scene_at_level(case, op, float(pulse_level(at))))
            for state, op in plans for phase, at in PHASES.items()]


def _radios(name: str, values: list[str], labels: dict[str, str]) -> str:
    return "".join(
        f"<label><input type='radio' name='{name}' value='{html.escape(v)}' disabled"
        f"{' checked' if k == 0 else ''}> {html.escape(labels.get(v, v))}</label> "
        for k, v in enumerate(values))


def _checkboxes(manifest: dict) -> str:
    out = []
    for group in manifest["groups"]:
        swatch = ("" if group["color"] is None else
                  f"<span class='swatch' style='background:{group['color']}'></span>")
        out.append(f"<label>{swatch}<input type='checkbox' data-group="
                   f"'{html.escape(group['name'], quote=True)}' checked disabled> "
                   f"{html.escape(group['name'])}</label> ")
    return "".join(out)


def _script_json(value: object) -> str:
    """JSON that cannot end the ``<script>`` element it sits in."""
    return json.dumps(value).replace("<", "\\u003c")


def scene_section(scene: WebScene) -> str:
    """The section's HTML: controls, the scene's box, the data and the scripts."""
    data = base64.b64encode(scene.archive).decode("ascii")
    lines = "\n".join(data[k:k + _CHUNK] for k in range(0, len(data), _CHUNK))
    manifest = scene.manifest
    controls = ""
    if len(manifest["states"]) > 1:
        controls += "<div><b>State:</b> " + _radios("mvd-state", manifest["states"],
                                                      STATE_LABELS) + "</div>"
    else:
        controls += ("<div hidden>" + _radios("mvd-state", manifest["states"], STATE_LABELS)
                     + "</div>")
    controls += ("<div><b>Pulse:</b> " + _radios("mvd-phase", manifest["phases"], {})
                 + "</div><div><b>Show:</b> " + _checkboxes(manifest)
                 + "<button type='button' id='mvd-scene-reset' disabled>reset view</button>"
                 "</div>")
    return "\n".join([
        "<div class='scene-controls'>" + controls + "</div>",
        "<div id='mvd-scene' class='scene'></div>",
        "<p id='mvd-scene-status' class='note'>Loading the 3D scene...</p>",
        "<p class='note'>Drag to rotate, scroll to zoom, shift-drag to pan. Systole and "
        "diastole are the case solved at the peak and the trough of the pulse.</p>",
        f"<script type='application/json' id='mvd-scene-manifest'>{_script_json(manifest)}"
        "</script>",
        f"<script type='text/plain' id='mvd-scene-data'>\n{lines}\n</script>",
        f"<script>{webscene_script()}</script>",
        f"<script type='module'>{vtkjs_module()}</script>"])


def interactive_section(case: Case, operation: Operation, contacts: bool = True) -> str:
    """:func:`scene_section` of :func:`case_views`, with the contact patches or without
    (``contacts``: :func:`~mvd_sim.viz.webscene.web_scene`)."""
    return scene_section(web_scene(case_views(case, operation), contacts=contacts,
                                   thresholds=case.thresholds))
