"""The operation: pads seated on the nerve or away from it (:mod:`~mvd_sim.surgery.pads`),
vessels transposed with a sling (:mod:`~mvd_sim.surgery.transpose`), veins divided, all as one
:class:`~mvd_sim.surgery.operation.Operation`; the decompression solved through the pulse and
judged (:mod:`~mvd_sim.surgery.decompress`), the planner (:mod:`~mvd_sim.surgery.planner`) and
the operated case (:mod:`~mvd_sim.surgery.postop`).
"""
