"""A case's anatomy as one value: :class:`~mvd_sim.scene.scene.Scene` (brainstem, nerves,
vessels, pads) and :func:`~mvd_sim.scene.build.build_scene`, which builds it from a scenario
with the :mod:`mvd_sim.anatomy` builders."""
