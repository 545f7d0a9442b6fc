"""Pictures: a scene as drawable parts (:mod:`~mvd_sim.viz.actors`, shared by every
picture), their colours (:mod:`~mvd_sim.viz.palette`), the views' cameras
(:mod:`~mvd_sim.viz.camera`), what is drawn over a picture (:mod:`~mvd_sim.viz.overlay`),
off-screen renders (:mod:`~mvd_sim.viz.render`) and the interactive viewer
(:mod:`~mvd_sim.viz.viewer`). :mod:`~mvd_sim.viz.draw`, ``render`` and ``viewer`` are the
only modules that draw with VTK."""
