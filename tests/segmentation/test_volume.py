"""Label volumes from meshes: voxelised where they lie, in RAS."""

import numpy as np
import pytest
import trimesh

from mvd_sim.segmentation import voxelise_meshes


@pytest.mark.parametrize("space, centre", [("RAS", (10.0, 20.0, 5.0)),
                                           ("LPS", (-10.0, -20.0, 5.0))])
def test_meshes_are_voxelised_where_they_lie_in_ras(space, centre, tmp_path):
    box = trimesh.creation.box(extents=(4.0, 6.0, 8.0))
    box.apply_translation((10.0, 20.0, 5.0))
    path = tmp_path / "box.stl"
    box.export(path)
    volume = voxelise_meshes({1: path}, spacing_mm=0.5, space=space)
    inside = volume.world(np.argwhere(volume.labels == 1))
    assert inside.mean(axis=0) == pytest.approx(centre, abs=0.3)
    # a voxel is inside when its centre is: 4 x 6 x 8 mm holds 8 x 12 x 16 centres
    assert len(inside) * volume.voxel_volume_mm3 == pytest.approx(4 * 6 * 8, rel=0.05)
