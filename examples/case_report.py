"""Plan a multivessel case and write its HTML case report (pictures before and after, the
pads close up, the case in 3D with toggles, contacts, separation plot, decompression outcome,
scenario). Writes ``case_report.html``, which opens from the file alone.

Run: ``python examples/case_report.py`` (about 30 s; no display needed).
"""

import mvd_sim
from mvd_sim.report.build import case_report
from mvd_sim.report.html import write_case_report

case = mvd_sim.load_case("multi_aica_pica_right")
html = case_report(case, mvd_sim.plan(case).operation)
print("wrote", write_case_report("case_report.html", html))
