"""Render a bundled case from the surgeon's retrosigmoid and infrafloccular views and three
atlas angles, and before/after the planner's moves. Writes PNG files into ``renders/``.

Run: ``python examples/render_case.py`` (about 20 s; no display needed).
"""

from pathlib import Path

import mvd_sim
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.planner import plan
from mvd_sim.viz.render import VIEWS, render

out = Path("renders")
out.mkdir(exist_ok=True)
case = mvd_sim.load_case("multi_aica_pica_right")
scene = case.scene
for view in VIEWS:
    print("wrote", render([(scene, f"multi_aica_pica_right, {view}")], out / f"{view}.png",
                          view=view))

planned = plan(case)
_, before, after = decompress_states(case, planned.operation)
print("wrote", render([(before.scene, "before"), (after.scene, f"after {len(planned.moves)} "
                                                               "move(s)")],
                      out / "before_after.png", size=(1600, 700)))
