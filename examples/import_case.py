"""Import a segmented case (a small shipped label volume), analyse it and render it.

The volume ``examples/data/pica_rdp_moderate_left.nii.gz`` is a noisy 0.5 mm segmentation of
a bundled case made by ``examples/data/make_example_volume.py``. Writes
``renders/imported_case.yaml`` (a scenario every command takes) and
``renders/imported_case.png``.

Run: ``python examples/import_case.py`` (about 30 s; no display needed).
"""

from pathlib import Path

import mvd_sim
from mvd_sim.segmentation import write_import
from mvd_sim.viz.render import render

data = Path(__file__).resolve().parent / "data"
out = Path("renders")
out.mkdir(exist_ok=True)
result = mvd_sim.import_case(data / "pica_rdp_moderate_left.nii.gz",
                             data / "pica_rdp_moderate_left.labels.yaml")
path = write_import(result, out / "imported_case.yaml")
print(f"wrote {path}: {result.spec.side} side, brainstem fitted to {result.fit.rms_mm:.2f} mm "
      "RMS")
case = mvd_sim.load_case(path)
report = mvd_sim.analyze(case.scene)
for contact in report.contacts:
    print(f"  {contact.vessel} on {contact.nerve} {contact.segment}: {contact.severity}, "
          f"separation {contact.min_separation_mm:+.2f} mm")
print("wrote", render([(case.scene, "imported pica_rdp_moderate_left")],
                      out / "imported_case.png"))
