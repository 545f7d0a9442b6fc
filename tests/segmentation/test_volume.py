"""Label volumes from meshes: voxelised where they lie, in RAS."""

import numpy as np
import pytest
import trimesh

import mvd_sim
from mvd_sim.segmentation import voxelise_meshes
from mvd_sim.segmentation.phantom import PhantomPose


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


# -- Slicer segmentations (.seg.nrrd) of one and of several layers -----------------------

SEG_CASE = "aica_as_moderate_right"


def write_seg(path, layers, affine, segments, **fields):
    """A .seg.nrrd as 3D Slicer writes it (LPS): ``layers`` (L, ni, nj, nk), 3D when L is
    1; ``segments`` (name, layer, value) numbered in order, ID ``Segment_<n + 1>``;
    ``fields`` added to (or, None, removed from) the header."""
    import nrrd

    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine
    directions = lps[:3, :3].T
    header = {"space": "left-posterior-superior", "space origin": lps[:3, 3],
              "encoding": "gzip"}
    data = np.asarray(layers, dtype=np.uint8)
    if len(data) == 1:
        data = data[0]
        header.update({"space directions": directions, "kinds": ["domain"] * 3})
    else:
        header.update({"space directions": np.vstack([np.full(3, np.nan), directions]),
                       "kinds": ["list", "domain", "domain", "domain"]})
    for n, (name, layer, value) in enumerate(segments):
        header.update({f"Segment{n}_ID": f"Segment_{n + 1}", f"Segment{n}_Name": name,
                       f"Segment{n}_Layer": str(layer), f"Segment{n}_LabelValue": str(value)})
    for key, value in fields.items():
        if value is None:
            header.pop(key)
        else:
            header[key] = value
    nrrd.write(str(path), data, header)
    return path


@pytest.fixture(scope="module")
def seg_files(tmp_path_factory):
    """The bundled case's phantom (0.4 mm; a 0.4 mm indentation) as a one-layer .seg.nrrd
    and as two layers: the AICA alone in the second (its label value 1, as the brainstem's
    in the first), and CN VII in the first also holding the AICA's voxels whose centres lie
    in its tube (the nerve drawn whole under its vessel: the two overlap by about a
    voxel), each named by its id (the vessels' in capitals). Also: how many are shared,
    and the label map keyed by segment name."""
    from mvd_sim.segmentation.phantom import label_phantom, phantom_label_map, tube_inside

    from roundtrip_support import write_map

    scene = mvd_sim.Case.bundled(SEG_CASE).scene
    volume, _ = label_phantom(scene, 0.4, PhantomPose())
    structures = phantom_label_map(scene)["structures"]
    names = {label: entry if isinstance(entry, str) else entry["id"].upper()
             for label, entry in structures.items()}
    aica = next(label for label, name in names.items() if name == "AICA")
    folder = tmp_path_factory.mktemp("seg")
    one = write_seg(folder / "one.seg.nrrd", volume.labels[None], volume.affine,
                    [(name, 0, label) for label, name in names.items()])
    base = np.where(volume.labels == aica, 0, volume.labels)
    vessel = (volume.labels == aica).astype(np.uint8)
    # the AICA's voxels whose centres lie in CN VII's tube: the nerve drawn whole under it
    voxels = np.argwhere(volume.labels == aica)
    under = tube_inside(PhantomPose().to_scene(scene, volume.world(voxels)),
                        scene.nerves["CN7"].points, scene.nerves["CN7"].radius)
    shared = np.zeros(volume.labels.shape, dtype=bool)
    shared[tuple(voxels[under].T)] = True
    base[shared] = 2
    two = write_seg(folder / "two.seg.nrrd", [base, vessel], volume.affine,
                    [(name, 1 if label == aica else 0, 1 if label == aica else label)
                     for label, name in names.items()])
    by_name = {"structures": {names[label]: entry for label, entry in structures.items()}}
    return one, two, int(shared.sum()), write_map(by_name, folder / "names.yaml")


def test_a_two_layer_segmentation_keeps_each_segments_voxels(seg_files):
    from mvd_sim.segmentation import load_label_volume

    one, two, shared, _ = seg_files
    flat, layered = load_label_volume(one), load_label_volume(two)
    assert len(flat.layers) == 1 and len(layered.layers) == 2 and shared > 0
    for name in ("brainstem", "CN7", "AICA", "Segment_2"):
        assert flat.label_of(name) > 0 and layered.label_of(name) > 0
    nerve, vessel = layered.label_of("CN7"), layered.label_of("AICA")
    assert np.count_nonzero(layered.mask(nerve) & layered.mask(vessel)) == shared
    assert np.count_nonzero(layered.mask(vessel)) == \
        np.count_nonzero(flat.mask(flat.label_of("AICA")))
    assert np.count_nonzero(layered.mask(nerve)) == \
        np.count_nonzero(flat.mask(flat.label_of("CN7"))) + shared
    # CN VII's crop sees the AICA's voxels it holds as another structure's, and its own
    mask, _ = layered.cropped(nerve)
    others = layered.others(nerve)
    assert np.count_nonzero(mask & others) == shared


def test_a_two_layer_segmentation_imports_to_the_one_layer_files_contacts(seg_files):
    one, two, _, labels = seg_files
    reports = [mvd_sim.analyze(mvd_sim.Case.from_spec(mvd_sim.import_case(path, labels).spec,
                                                      "imported").scene)
               for path in (one, two)]
    found = [[(c.vessel, c.nerve, c.segment, c.severity) for c in r.contacts]
             for r in reports]
    assert found[0] == found[1] and ("aica", "CN7", "AS", "moderate") in found[0]
    for a, b in zip(*(r.contacts for r in reports)):
        assert b.min_separation_mm == pytest.approx(a.min_separation_mm, abs=0.02)


def test_a_multi_layer_segmentation_keyed_by_label_number_is_refused(seg_files, tmp_path):
    from mvd_sim import SegmentationError

    from roundtrip_support import write_map

    _, two, _, _ = seg_files
    labels = write_map({"structures": {1: "brainstem", 2: "CN7", 3: "CN8"}},
                       tmp_path / "numbers.yaml")
    with pytest.raises(SegmentationError) as err:
        mvd_sim.import_case(two, labels)
    message = str(err.value)
    assert message.startswith(str(two)) and "segment name or ID" in message
    assert "\n" not in message


_GOOD = [("brainstem", 0, 1), ("CN7", 0, 2), ("AICA", 1, 1)]


@pytest.mark.parametrize("segments, fields, words", [
    (_GOOD, {"Segment1_Layer": None}, "no 'Segment1_Layer' field"),
    (_GOOD, {"Segment2_Layer": "2"}, "'Segment2_Layer' is '2'"),
    (_GOOD, {"Segment0_LabelValue": "one"}, "'Segment0_LabelValue' is 'one'"),
    (_GOOD, {"Segment1_ID": "Segment_1"}, "one ID, 'Segment_1'"),
    ([("brainstem", 0, 1), ("CN7", 0, 1), ("AICA", 1, 1)], {}, "one label value, 1"),
    (_GOOD[:2], {}, "layer 1 holds label value 1, which no segment declares"),
    (_GOOD, {"Segment5_ID": "x"}, "none missing"),
    ([], {}, "no SegmentN_ fields"),
    (_GOOD, {"sizes": [3, 512, 512, 512], "encoding": "raw"}, "x 3 layers, over the limit"),
])
def test_malformed_layer_headers_are_refused_in_one_line(segments, fields, words, tmp_path):
    from mvd_sim import SegmentationError
    from mvd_sim.segmentation import load_label_volume

    layers = np.zeros((2, 4, 4, 4), dtype=np.uint8)
    layers[0, 1, 1, 1], layers[0, 2, 2, 2], layers[1, 2, 2, 2] = 1, 2, 1
    path = tmp_path / "bad.seg.nrrd"
    oversize = fields.pop("sizes", None)
    write_seg(path, layers, np.diag([0.5, 0.5, 0.5, 1.0]), segments, **fields)
    if oversize is not None:   # the header claims more than it holds: refused unread
        text = path.read_bytes().replace(b"sizes: 2 4 4 4",
                                         b"sizes: " + " ".join(map(str, oversize)).encode())
        path.write_bytes(text)
    with pytest.raises(SegmentationError) as err:
        load_label_volume(path)
    message = str(err.value)
    assert message.startswith(str(path)) and words in message and "\n" not in message
