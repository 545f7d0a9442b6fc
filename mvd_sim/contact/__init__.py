"""The contact engine: every neurovascular contact of a scene, graded
(:mod:`~mvd_sim.contact.analysis`), also for vessels known only as meshes
(:mod:`~mvd_sim.contact.mesh_path`)."""
