"""Pictures: off-screen renders (:mod:`~mvd_sim.viz.render`) and the interactive viewer
(:mod:`~mvd_sim.viz.viewer`). The only modules that draw with VTK."""
