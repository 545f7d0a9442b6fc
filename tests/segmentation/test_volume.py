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


def test_a_mesh_holding_no_voxel_is_refused_naming_it(tmp_path):
    """A brainstem exported in metres (0.03 mm wide read as mm) is refused for its units, not
    reported later as a label missing from the volume."""
    from mvd_sim import SegmentationError

    big = trimesh.creation.box(extents=(30.0, 25.0, 40.0))
    big.export(tmp_path / "CN7.stl")
    tiny = trimesh.creation.box(extents=(0.03, 0.025, 0.04))
    tiny.apply_translation((0.17, 0.13, 0.11))   # between voxel centres
    tiny.export(tmp_path / "brainstem.stl")
    with pytest.raises(SegmentationError) as err:
        voxelise_meshes({1: tmp_path / "brainstem.stl", 2: tmp_path / "CN7.stl"})
    message = str(err.value)
    assert "brainstem.stl" in message and "millimetres" in message and "\n" not in message


def test_a_nrrd_header_missing_a_field_is_refused_naming_the_field(tmp_path):
    from mvd_sim import SegmentationError
    from mvd_sim.segmentation import load_label_volume

    path = tmp_path / "case.nrrd"
    path.write_bytes(b"NRRD0004\ntype: uint8\ndimension: 3\nencoding: raw\n\n" + bytes(8))
    with pytest.raises(SegmentationError) as err:
        load_label_volume(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "no 'sizes' field" in message
