"""Export the default atlas as STL files for a 3D viewer (run: python examples/export_atlas.py)."""

import mvd_sim

scene = mvd_sim.load_scene("atlas_default_right")
for path in mvd_sim.export_meshes(scene, "atlas_stl", fmt="stl"):
    print(path)
