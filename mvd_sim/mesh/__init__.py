"""Triangle meshes: of a scene's structures (:mod:`~mvd_sim.mesh.meshing`), in files
(:mod:`~mvd_sim.mesh.files`: untrusted reading, in-memory writing, checks) and exported
(:mod:`~mvd_sim.mesh.export`)."""
