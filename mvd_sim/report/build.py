"""The whole HTML case report of a case, as ``mvd-sim report`` writes it.

Without an operation: the retrosigmoid and lateral pictures of the case as built, and the case
in 3D at systole and diastole. With one (a plan's, or an operated case's own): the settled
case before and after it side by side, a close-up of the pads from the side that sees them
best (:func:`mvd_sim.viz.padview.pad_view`), the case in 3D before and after at both phases,
and the decompression outcome. The contact table and the separation plot are always the case as
built (one set of numbers with ``mvd-sim analyze``).
"""

from __future__ import annotations

from mvd_sim.case import Case
from mvd_sim.contact.analysis import analyze
from mvd_sim.report.html import case_report_html
from mvd_sim.report.scene3d import interactive_section
from mvd_sim.scenario.files import scenario_to_yaml
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.operation import Operation
from mvd_sim.viz.padview import pad_view
from mvd_sim.viz.render import image_bytes, render_image, render_panel

__all__ = ["case_report"]


def case_report(case: Case, operation: Operation, interactive: bool = True,
                answer: bool = True) -> str:
    """The report of ``case`` after ``operation`` (empty: the case as it is) as one HTML
    string; ``interactive=False`` leaves out the 3D section (and every script).
    ``answer=False`` (an exercise's report, the case as it is) shows the anatomy without
    the contacts: the pictures and the 3D scene without the contact patches, and no
    pattern, culprits, contact table or separation plot.

    Raises
    ------
    ScenarioError, SolverError
        As :func:`~mvd_sim.surgery.decompress.decompress_states`.
    ValueError
        ``answer=False`` with an operation (its outcome names the contacts).
    """
    if not answer and not operation.is_empty:
        raise ValueError("a report without the answer shows the case as it is, not an "
                         "operation's outcome")
    outcome = None
    if not operation.is_empty:
        outcome, before, after = decompress_states(case, operation)
        pictures = [(image_bytes(render_image([(before.scene, "settled, before"),
                                               (after.scene, "after")], size=(1600, 700),
                                              thresholds=case.thresholds)),
                     "the case settled by the mechanics, before and after the operation")]
        close = pad_view(after.scene)
        if close is not None:  # the pads, which the surgeon's view may show behind CN VII
            title = f"after: the pads, from the {close.view} side, close up"
            pictures.append((image_bytes(render_panel(after.scene, title, size=(900, 700),
                                                      camera=close.camera,
                                                      thresholds=case.thresholds).image),
                             title))
    else:
        pictures = [(image_bytes(render_image([(case.scene, f"{case.name}, {view}")],
                                              view=view, size=(1000, 750),
                                              contacts=answer, thresholds=case.thresholds)),
                     f"{view} view")
                    for view in ("retrosigmoid", "lateral")]
    scene = interactive_section(case, operation, answer) if interactive else None
    # a file's own text (validated when the case loaded); without the answer, the fields
    # given only (an exercise's scenario as handed out: no empty compresses or findings)
    text = (scenario_to_yaml(case.spec, exclude_defaults=not answer) if case.source is None
            else case.source.read_text(encoding="utf-8"))
    report = analyze(case.scene, case.thresholds) if answer else None
    return case_report_html(case.scene, text, case.spec.title, case.spec.description,
                            pictures, report=report, outcome=outcome, interactive=scene,
                            answer=answer)
