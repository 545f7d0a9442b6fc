"""A case's labelled mesh: one VTP with every structure, each triangle's structure, CN VII's
segment at each vertex and the contact patches' severity where the report has contacts."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.contact.regions import TubeSurface
from mvd_sim.dataset.meshes import CONTACT_SEVERITIES, MESH_LABELS, STRUCTURES, \
    labelled_mesh, write_case_mesh
from mvd_sim.mesh.meshing import scene_meshes

from ..conftest import bundled_scene


def _vertices_of(structure, faces, cells):
    """Mask of the vertices of a structure's triangles."""
    mask = np.zeros(faces.max() + 1, dtype=bool)
    mask[faces[cells["structure"] == STRUCTURES.index(structure)]] = True
    return mask


def _labels(name):
    scene = bundled_scene(name)
    report = mvd_sim.analyze(scene)
    return scene, report, labelled_mesh(scene, report)


def test_each_triangle_is_labelled_with_its_structure():
    scene, _, ((vertices, faces), cells, points) = _labels("multi_aica_pica_right")
    parts = scene_meshes(scene, n_sides=32)
    assert len(faces) == len(cells["structure"]) == sum(len(f) for _, f in parts.values())
    assert len(vertices) == len(points["segment"]) == len(points["contact_severity"])
    start = 0
    for name, (_, part_faces) in parts.items():
        codes = cells["structure"][start:start + len(part_faces)]
        kind = scene.vessels[name].kind if name in scene.vessels else name
        assert set(codes.tolist()) == {STRUCTURES.index(kind)}, name
        start += len(part_faces)


def test_segments_follow_cn7s_landmarks():
    scene, _, ((vertices, faces), cells, points) = _labels("aica_as_severe_right")
    on_cn7 = _vertices_of("CN7", faces, cells)
    assert (points["segment"][~on_cn7] == -1).all()
    # CN VII's vertices: a ring of 32 per centerline point, then the two cap centres
    rings = points["segment"][on_cn7][:-2].reshape(-1, 32)
    assert (rings == rings[:, :1]).all()
    marks = scene.landmarks["CN7"]
    for code, s_mm in zip(rings[:, 0], scene.rest_nerves["CN7"].s):
        start, end = marks.segment_interval(MESH_LABELS["segment"][int(code)])
        assert start <= s_mm <= end
    assert set(rings[:, 0].tolist()) == {0, 1, 2, 3}


@pytest.mark.parametrize("name", ["aica_as_severe_right", "multi_aica_pica_right",
                                  "double_pica_aica_left"])
def test_contact_severity_lies_on_the_reported_contacts(name):
    scene, report, ((vertices, faces), cells, points) = _labels(name)
    codes = points["contact_severity"]
    nerves = _vertices_of("CN7", faces, cells) | _vertices_of("CN8", faces, cells)
    assert not codes[~nerves].any()
    assert {CONTACT_SEVERITIES[c] for c in codes.tolist()} - {"none"} == \
        {c.severity for c in report.contacts}
    for contact in report.contacts:
        assert contact.nerve == "CN7"
        gap = TubeSurface.of(scene.vessels[contact.vessel]).signed_gap(vertices)
        # the patch: nerve vertices near the reported contact point, touching this vessel
        near = np.linalg.norm(vertices - contact.nerve_point_mm, axis=1) < 0.5
        touching = nerves & near & (gap <= report.thresholds_mm["contact"])
        assert touching.any()
        assert (codes[touching] == CONTACT_SEVERITIES.index(contact.severity)).all()
    labelled = codes > 0
    # every labelled vertex lies within a few mm of a reported contact point
    distance = np.min([np.linalg.norm(vertices[labelled] - c.nerve_point_mm, axis=1)
                       for c in report.contacts], axis=0)
    assert distance.max() < 3.0


def test_a_case_without_contacts_has_no_severity():
    _, report, (_, _, points) = _labels("near_miss_control_right")
    assert report.contacts == [] and not points["contact_severity"].any()


def test_the_file_carries_its_labels_and_their_names(tmp_path):
    pv = pytest.importorskip("pyvista")
    scene, report, (mesh, cells, points) = _labels("aica_as_severe_right")
    size = write_case_mesh(scene, report, tmp_path / "case.vtp")
    assert size == (tmp_path / "case.vtp").stat().st_size
    read = pv.read(tmp_path / "case.vtp")
    assert np.array_equal(read.cell_data["structure"], cells["structure"])
    assert list(read.field_data["structure_names"]) == list(STRUCTURES)
    for name in ("segment", "contact_severity"):
        assert np.array_equal(read.point_data[name], points[name])
    assert MESH_LABELS["contact_severity"][3] == "severe"
    assert MESH_LABELS["segment"][-1] == "not CN VII"
