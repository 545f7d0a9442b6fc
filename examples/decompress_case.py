"""Place a pad in a bundled case, judge the decompression, then let the planner choose.

Run: ``python examples/decompress_case.py`` (about 10 s).
"""

import mvd_sim
from mvd_sim.report.tables import decompression_table, plan_table

case = mvd_sim.load_case("aica_as_moderate_right")
contact = mvd_sim.analyze(case.scene).contacts[0]
print(f"{contact.vessel} compresses CN VII at the {contact.segment}, s = "
      f"{contact.s_deepest_mm:.1f} mm ({contact.severity})\n")

pad = mvd_sim.SpongeSpec(diameter_mm=2.0, s_mm=contact.s_deepest_mm, vessel=contact.vessel)
print(decompression_table(mvd_sim.decompress(case, mvd_sim.Operation(pads=[pad]))))

print(plan_table(mvd_sim.plan(mvd_sim.load_case("multi_aica_pica_right"))))
