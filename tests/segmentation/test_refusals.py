"""``mvd-sim import`` refuses bad input in one line naming the file and the reason, writes
nothing then, and writes a scenario every command takes otherwise."""

from pathlib import Path

import numpy as np
import pytest

import mvd_sim
from mvd_sim.cli import main
from mvd_sim.segmentation import load_label_map, load_label_volume
from mvd_sim.segmentation.phantom import PhantomPose, label_phantom, phantom_label_map
from mvd_sim.segmentation.volume import LabelVolume
from roundtrip_support import write_map, write_nifti

NAME = "aica_as_moderate_right"


@pytest.fixture(scope="module")
def phantom():
    scene = mvd_sim.Case.bundled(NAME).scene
    volume, _ = label_phantom(scene, 0.5, PhantomPose())
    return volume, phantom_label_map(scene)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def refused(argv, capsys, *words):
    code, out, err = run(argv, capsys)
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def test_an_imported_case_is_written_and_analysed_like_any_other(phantom, tmp_path, capsys):
    volume, labels = phantom
    source = write_nifti(volume, tmp_path / "case.nii.gz")
    label_map = write_map(labels, tmp_path / "labels.yaml")
    out = tmp_path / "case.yaml"
    code, printed, err = run(["import", str(source), "--labels", str(label_map), "-o",
                              str(out)], capsys)
    assert code == 0, err
    assert "right side" in printed and "RMS" in printed
    case = mvd_sim.load_case(out)
    assert case.spec.anatomy.segmented is not None
    report = mvd_sim.analyze(case.scene)
    assert [(c.vessel, c.segment) for c in report.contacts] == [("aica", "AS")]
    code, printed, err = run(["analyze", str(out)], capsys)
    assert code == 0 and "aica" in printed, err
    # the fitted tubes are rods like any others: the planner frees CN VII
    code, printed, err = run(["plan", str(out)], capsys)
    assert code == 0, err
    assert "After the operation: CN VII none" in printed


def test_an_imported_case_is_graded_at_its_images_resolution(phantom, tmp_path, capsys):
    """The import records the voxel; the case is graded with thresholds widened to it and
    says so; a threshold given on the command line overrides its own."""
    import dataclasses
    import json

    from mvd_sim.core.labels import image_thresholds

    volume, labels = phantom
    source = write_nifti(volume, tmp_path / "case.nii.gz")
    out = tmp_path / "case.yaml"
    assert run(["import", str(source), "--labels", str(write_map(labels, tmp_path / "l.yaml")),
                "-o", str(out)], capsys)[0] == 0
    case = mvd_sim.load_case(out)
    assert case.spec.anatomy.segmented.voxel_mm == pytest.approx(0.5)
    # graded as its image allows; its fits' uncertainty rides along, for the report
    assert dataclasses.replace(case.thresholds, fit_rms_mm=()) == image_thresholds(0.5)
    assert [name for name, _ in case.thresholds.fit_rms_mm][:3] == ["brainstem", "CN7", "CN8"]
    code, printed, err = run(["analyze", str(out)], capsys)
    assert code == 0 and "thresholds: contact 0.2 mm" in printed and "0.5 mm voxels" in printed
    code, printed, err = run(["analyze", str(out), "--json", "--contact-mm", "0.05"], capsys)
    report = json.loads(printed)
    assert report["thresholds_mm"]["contact"] == 0.05
    assert report["thresholds_mm"]["indentation"] == pytest.approx(0.2)
    assert report["thresholds_basis"] is None
    # the API's given thresholds override too; a bundled (atlas) case keeps the defaults
    assert mvd_sim.load_case(out, mvd_sim.SeverityThresholds()).thresholds.basis is None
    assert mvd_sim.Case.bundled(NAME).thresholds == mvd_sim.SeverityThresholds()


def test_a_label_missing_from_the_volume_is_refused(phantom, tmp_path, capsys):
    volume, labels = phantom
    source = write_nifti(volume, tmp_path / "case.nii")
    labels = {"structures": {**labels["structures"], 40: "vein"}}
    out = tmp_path / "case.yaml"
    refused(["import", str(source), "--labels", str(write_map(labels, tmp_path / "m.yaml")),
             "-o", str(out)], capsys, str(source), "label 40", "not in the volume")
    assert not out.exists()


def test_a_volume_not_in_millimetres_is_refused(phantom, tmp_path, capsys):
    volume, labels = phantom
    metres = np.diag([1e-3, 1e-3, 1e-3, 1.0]) @ volume.affine
    source = write_nifti(LabelVolume(volume.labels, metres, "m"), tmp_path / "metres.nii.gz")
    refused(["import", str(source), "--labels", str(write_map(labels, tmp_path / "m.yaml")),
             "-o", str(tmp_path / "case.yaml")], capsys, str(source),
            "clearly not millimetres")


@pytest.mark.parametrize("label, nerve", [(2, "CN7"), (3, "CN8")])
def test_a_nerve_that_never_reaches_the_brainstem_is_refused(phantom, tmp_path, capsys,
                                                              label, nerve):
    volume, labels = phantom
    assert labels["structures"][label] == nerve
    moved = np.where(volume.labels == label, 0, volume.labels)
    voxels = np.argwhere(volume.labels == label)
    # the whole root moved 8 mm (16 voxels) away from the brainstem, laterally
    lateral = np.linalg.solve(volume.affine[:3, :3], PhantomPose().head[:, 0])
    shifted = np.round(voxels + 16 * lateral / np.linalg.norm(lateral)).astype(int)
    keep = np.all((shifted >= 0) & (shifted < volume.labels.shape), axis=1)
    moved[tuple(shifted[keep].T)] = label
    source = write_nifti(LabelVolume(moved, volume.affine, "x"), tmp_path / "far.nii.gz")
    out = tmp_path / "case.yaml"
    refused(["import", str(source), "--labels", str(write_map(labels, tmp_path / "m.yaml")),
             "-o", str(out)], capsys, str(source), f"label {label} ({nerve})",
            "never reaches")
    assert not out.exists()


#: The shipped example volume (a left case, its brainstem fitted to 0.06 mm RMS as shipped).
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "pica_rdp_moderate_left"


@pytest.mark.parametrize("turn, axis, cause", [
    # LPS read as RAS: imported before as a right case at 0.64 mm RMS
    ((-1, -1, 1), "superior", "LPS read as RAS"),
    # upside down (inferior read as superior, and left-right, which is not seen)
    ((-1, 1, -1), "anterior", "superior axis flipped"),
    ((1, -1, -1), "right", "anterior and superior axes flipped"),
])
def test_a_volume_whose_axes_are_turned_is_refused(tmp_path, capsys, turn, axis, cause):
    shipped = load_label_volume(EXAMPLE.with_suffix(".nii.gz"))
    turned = LabelVolume(shipped.labels, np.diag([*turn, 1.0]) @ shipped.affine, "x")
    source = write_nifti(turned, tmp_path / "turned.nii.gz")
    out = tmp_path / "case.yaml"
    refused(["import", str(source), "--labels", str(EXAMPLE.with_suffix(".labels.yaml")),
             "-o", str(out)], capsys, str(source),
            f"turned 180 degrees about the {axis} axis", cause)
    assert not out.exists()


@pytest.fixture(scope="module")
def meshes(tmp_path_factory) -> tuple[Path, Path]:
    """The bundled case's brainstem, nerves and vessels exported as STL (RAS) + file map."""
    folder = tmp_path_factory.mktemp("meshes")
    scene = mvd_sim.Case.bundled(NAME).scene
    mvd_sim.export_meshes(scene, folder, "stl")
    structures = {"brainstem.stl": "brainstem", "CN7.stl": "CN7", "CN8.stl": "CN8",
                  **{f"{v}.stl": {"type": t.kind, "id": v} for v, t in scene.vessels.items()}}
    return folder, write_map({"structures": structures}, folder.parent / "files.yaml")


def test_meshes_imported_in_the_wrong_space_are_refused(meshes, tmp_path, capsys):
    """RAS meshes imported as LPS (imported before at 0.96 mm RMS, the contacts misread);
    imported as they are, they are accepted."""
    folder, labels = meshes
    out = tmp_path / "case.yaml"
    refused(["import", str(folder), "--labels", str(labels), "-o", str(out),
             "--mesh-space", "LPS"], capsys, str(folder),
            "turned 180 degrees about the superior axis", "--mesh-space")
    assert not out.exists()
    code, printed, err = run(["import", str(folder), "--labels", str(labels), "-o",
                              str(out)], capsys)
    assert code == 0 and "right side" in printed, err


def test_a_volume_too_large_is_refused_before_its_voxels_are_read(tmp_path, capsys):
    header = tmp_path / "huge.nrrd"
    header.write_bytes(b"NRRD0004\ntype: uint16\ndimension: 3\nspace: left-posterior-superior"
                       b"\nsizes: 1024 1024 1024\nspace directions: (1,0,0) (0,1,0) (0,0,1)"
                       b"\nencoding: raw\nspace origin: (0,0,0)\n\n")
    labels = write_map({"structures": {1: "brainstem", 2: "CN7", 3: "CN8"}},
                       tmp_path / "m.yaml")
    refused(["import", str(header), "--labels", str(labels), "-o",
             str(tmp_path / "case.yaml")], capsys, str(header), "over the limit")


def test_a_non_manifold_mesh_is_refused(tmp_path, capsys):
    folder = tmp_path / "meshes"
    folder.mkdir()
    # three triangles sharing one edge: no repair closes that
    (folder / "brainstem.obj").write_text(
        "v 0 0 0\nv 0 0 10\nv 10 0 5\nv 0 10 5\nv -10 -5 5\nf 1 2 3\nf 1 2 4\nf 1 2 5\n")
    for nerve in ("CN7", "CN8"):   # closed tetrahedra
        (folder / f"{nerve}.obj").write_text(
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n")
    labels = write_map({"structures": {"brainstem.obj": "brainstem", "CN7.obj": "CN7",
                                       "CN8.obj": "CN8"}}, tmp_path / "m.yaml")
    refused(["import", str(folder), "--labels", str(labels), "-o",
             str(tmp_path / "case.yaml")], capsys, "brainstem.obj", "non-manifold")


@pytest.mark.parametrize("text, words", [
    ("structures: {1: brainstem, 2: CN7}\n", ["no CN8"]),
    ("structures: {1: brainstem, 2: CN7, 3: CN8, 4: artery}\n", ["unknown structure"]),
    ("structures: {1: brainstem, 2: CN7, 3: CN8, 4: {type: AICA, id: CN7}}\n",
     ["used twice"]),
    ("labels: {}\n", ["'structures'"]),
])
def test_a_bad_label_map_is_refused_naming_it(text, words, tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(mvd_sim.SegmentationError) as err:
        load_label_map(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    for word in words:
        assert word in str(err.value)
