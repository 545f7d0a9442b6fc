"""Analyse a bundled case and print its contacts (run: python examples/analyze_case.py)."""

import mvd_sim

scene = mvd_sim.load_scene("double_aica_loop_right")
report = mvd_sim.analyze(scene)
print(f"{scene.name}: {report.pattern}")
for contact in report.contacts:
    print(f"  {contact.vessel} on {contact.nerve} {contact.segment} at "
          f"s = {contact.s_deepest_mm:.1f} mm: {contact.severity}, "
          f"separation {contact.min_separation_mm:+.2f} mm, "
          f"patch {contact.patch_area_mm2:.2f} mm^2")
