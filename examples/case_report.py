"""Plan a multivessel case and write its HTML case report (renders, contacts, separation plot,
decompression outcome, scenario). Writes ``case_report.html``.

Run: ``python examples/case_report.py`` (about 15 s; no display needed).
"""

import mvd_sim
from mvd_sim.report.html import case_report_html, write_case_report
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.planner import plan
from mvd_sim.viz.render import image_bytes, render_image

case = mvd_sim.load_case("multi_aica_pica_right")
outcome, before, after = decompress_states(case, plan(case).operation)
picture = image_bytes(render_image([(before.scene, "before"), (after.scene, "after")],
                                   size=(1600, 700)))
html = case_report_html(before.scene, case.source.read_text(), case.spec.title,
                        case.spec.description, [(picture, "before and after the planned moves")],
                        outcome=outcome)
print("wrote", write_case_report("case_report.html", html))
