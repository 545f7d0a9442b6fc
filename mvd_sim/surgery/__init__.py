"""The operation: pads placed between vessel and nerve (:mod:`~mvd_sim.surgery.pads`), the
decompression solved through the pulse and judged (:mod:`~mvd_sim.surgery.decompress`), the
planner (:mod:`~mvd_sim.surgery.planner`) and the operated case (:mod:`~mvd_sim.surgery.postop`).
"""
