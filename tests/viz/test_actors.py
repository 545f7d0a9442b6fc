"""The scene as parts: one list for every picture, contacts as their own parts, vessels
without cut stubs, labels for what a surgeon names."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.viz.actors import FADE_MM, GROUPS, labels, legend_entries, scene_parts
from mvd_sim.viz.camera import camera_for
from mvd_sim.viz.palette import SEVERITY_COLORS, VESSEL_COLORS


@pytest.fixture(scope="module")
def multi(scene_of):
    scene = scene_of("multi_aica_pica_right")
    report = mvd_sim.analyze(scene)
    return scene, report, scene_parts(scene, report, camera_for(scene, "retrosigmoid"))


def test_parts_come_in_drawing_order_with_unique_names(multi):
    _, _, parts = multi
    order = [GROUPS.index(p.group) for p in parts]
    assert order == sorted(order)
    assert len({p.name for p in parts}) == len(parts)


def test_one_contact_part_per_contact_in_its_severity_colour(multi):
    scene, report, parts = multi
    patches = [p for p in parts if p.group == "contact"]
    assert len(patches) == len(report.contacts) >= 2
    for part, contact in zip(patches, report.contacts):
        assert part.color == SEVERITY_COLORS[contact.severity]
        # the patch lies on the nerve where the contact is
        distance = np.linalg.norm(np.asarray(part.mesh.points) - contact.nerve_point_mm, axis=1)
        assert distance.min() < 0.5 + scene.nerves[contact.nerve].radius.max()


def test_a_free_vessel_end_fades_out_and_an_attached_one_does_not(multi):
    scene, _, parts = multi
    body = next(p for p in parts if p.name == "aica")
    end = next(p for p in parts if p.name == "aica:end")
    tube = scene.vessels["aica"]
    assert body.scalars is None and body.color == VESSEL_COLORS["AICA"]
    alpha = np.asarray(end.mesh.point_data["rgba"])[:, 3]
    assert alpha.min() == 0 and alpha.max() > 200
    # the AICA leaves the BA (attached, whole) and its far end is free (fading)
    points = np.asarray(end.mesh.points)
    assert np.linalg.norm(points - tube.points[-1], axis=1).min() < 1e-6
    assert np.linalg.norm(points - tube.points[0], axis=1).min() > FADE_MM
    assert np.linalg.norm(np.asarray(body.mesh.points) - tube.points[0], axis=1).min() < 1e-6
    assert "aica:end" not in {p.name for p in parts if p.legend}


def test_labels_name_both_nerves_every_vessel_and_cn7s_landmarks(multi):
    scene, report, _ = multi
    texts = [label.text for label in labels(scene, report)]
    assert {"CN VII", "CN VIII", "RExP", "AS", "RDP", "REZ end", "CP"} <= set(texts)
    assert len([t for t in texts if t.split()[0] in VESSEL_COLORS]) == len(scene.vessels)
    rdp, rez_end = (next(label for label in labels(scene) if label.text == t)
                    for t in ("RDP", "REZ end"))
    assert np.linalg.norm(rdp.anchor - rez_end.anchor) > 0.3     # two labels, two places


def test_the_legend_lists_each_kind_once_and_every_severity(multi):
    scene, _, parts = multi
    texts = [e.text for e in legend_entries(parts)]
    assert len(texts) == len(set(texts))
    assert {f"contact: {s}" for s in SEVERITY_COLORS} <= set(texts)
    assert {t.kind for t in scene.vessels.values()} <= set(texts)
    assert "CN IX-XI" in texts and "cerebellum" in texts
