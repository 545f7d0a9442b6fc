"""The operative views as a surgeon reads them, checked on real renders: every contact patch
in its severity colour where it is (even behind CN VIII or its vessel), the operative field
around, labels that do not overlap, a legend that reads, the microscope's field."""

import itertools

import numpy as np
import pytest

import mvd_sim
from mvd_sim.viz.actors import legend_entries, scene_parts
from mvd_sim.viz.camera import OPERATIVE_VIEWS, project
from mvd_sim.viz.overlay import overlaps
from mvd_sim.viz.palette import (CONTEXT_COLORS, MIN_TEXT_CONTRAST, SEVERITY_COLORS,
                                 contrast_ratio, relative_luminance)
from mvd_sim.viz.render import render, render_panel

SIZE = (960, 720)
CASE = "multi_aica_pica_right"


def _shade_of(image, rgb, tolerance=0.15, floor=40):
    """Pixels whose colour is a shade of ``rgb`` (same channel ratios within ``tolerance``)."""
    image = image.astype(float)
    target = np.asarray(rgb, float) / max(rgb)
    brightness = image.max(axis=-1, keepdims=True)
    ratios = image / np.maximum(brightness, 1.0)
    return (brightness[..., 0] > floor) & (np.abs(ratios - target).max(axis=-1) < tolerance)


@pytest.fixture(scope="module", params=OPERATIVE_VIEWS)
def bare(request, scene_of):
    scene = scene_of(CASE)
    return scene, render_panel(scene, None, request.param, SIZE, annotate_it=False)


@pytest.fixture(scope="module", params=OPERATIVE_VIEWS)
def annotated(request, scene_of):
    scene = scene_of(CASE)
    return scene, render_panel(scene, CASE, request.param, SIZE)


def test_each_contact_patch_shows_its_severity_colour_where_it_is(bare):
    scene, panel = bare
    contacts = mvd_sim.analyze(scene).contacts
    assert len(contacts) >= 2
    for contact in contacts:
        col, row, _ = project(contact.nerve_point_mm, panel.camera, SIZE)[0]
        rows, cols = np.nonzero(np.all(panel.image == SEVERITY_COLORS[contact.severity],
                                       axis=-1))
        near = np.hypot(rows - row, cols - col) < 20
        assert near.sum() >= 20, (contact.vessel, contact.severity)


def test_a_patch_behind_another_structure_still_shows(scene_of):
    """Seen along the petrous face, something lies in front of a contact (its vessel, CN
    VIII): the surface drawn at its pixel is nearer than the contact (it is hidden), and its
    colour shows there all the same."""
    scene = scene_of(CASE)
    panel = render_panel(scene, None, "retrosigmoid", SIZE, annotate_it=False)
    hidden = 0
    for contact in mvd_sim.analyze(scene).contacts:
        col, row, depth = project(contact.nerve_point_mm, panel.camera, SIZE)[0]
        if panel.depth[int(row), int(col)] < depth - 0.5:
            hidden += 1
            rows, cols = np.nonzero(np.all(panel.image == SEVERITY_COLORS[contact.severity],
                                           axis=-1))
            assert (np.hypot(rows - row, cols - col) < 20).sum() >= 20
    assert hidden >= 1
    parts = scene_parts(scene, mvd_sim.analyze(scene), panel.camera)
    patches = [p for p in parts if p.group == "contact"]
    assert all(p.on_top and p.outline for p in patches)


def test_the_operative_field_is_in_the_picture(bare):
    _, panel = bare
    for kind in ("cerebellum", "flocculus", "petrous", "CN9"):
        assert _shade_of(panel.image, CONTEXT_COLORS[kind], tolerance=0.06).sum() > 300, kind


def test_the_field_is_a_circle(bare):
    _, panel = bare
    h, w = panel.image.shape[:2]
    corners = [panel.image[5, 5], panel.image[5, w - 6], panel.image[h - 6, 5]]
    assert max(int(c.max()) for c in corners) < 12       # dark outside the field
    centre = panel.image[h // 2 - 40:h // 2 + 40, w // 2 - 40:w // 2 + 40]
    assert centre.max(axis=-1).mean() > 60


def test_labels_name_the_nerves_vessels_and_landmarks_without_overlap(annotated):
    scene, panel = annotated
    placed = panel.annotation.labels
    texts = {label.text for label in placed}
    assert {"CN VII", "RExP", "AS", "RDP", "REZ end"} <= texts
    assert any(t.startswith("AICA") for t in texts) and any(t.startswith("PICA") for t in texts)
    for a, b in itertools.combinations(placed, 2):
        assert not overlaps(a.box, b.box), (a.text, b.text)
    for label in placed:
        assert not any(overlaps(label.box, r) for r in panel.annotation.reserved), label.text
        h, w = panel.image.shape[:2]
        assert 0 <= label.box[0] and label.box[2] <= w and 0 <= label.box[1] and \
            label.box[3] <= h


def test_legend_text_reads_against_its_panel(annotated):
    """Measured on the picture: in each entry's text box, the text's colour (the pixels
    farthest in luminance from the panel) against the panel's colour (the commonest)."""
    _, panel = annotated
    legend = panel.annotation.legend
    image = panel.image
    l, t, r, b = legend.panel
    pixels = image[t:b, l:r].reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = colours[np.argmax(counts)]
    texts = [e[0] for e in legend.entries]
    assert texts == [e.text for e in legend_entries(
        scene_parts(annotated[0], mvd_sim.analyze(annotated[0])))]
    for text, (tl, tt, tr, tb), _, _ in legend.entries:
        box = image[tt:tb, tl:tr].reshape(-1, 3)
        lum = relative_luminance(box)
        glyph = box[np.argsort(np.abs(lum - relative_luminance(background)))[-5:]].mean(0)
        assert contrast_ratio(glyph, background) >= MIN_TEXT_CONTRAST, text


def test_legend_swatches_are_the_colours_drawn(annotated):
    _, panel = annotated
    for text, _, (sl, st, sr, sb), colour in panel.annotation.legend.entries:
        inner = panel.image[st + 2:sb - 2, sl + 2:sr - 2].reshape(-1, 3)
        assert np.all(inner == colour), text


def test_jpeg_output_is_jpeg_and_an_unknown_suffix_is_refused(scene_of, tmp_path):
    scene = scene_of("near_miss_control_right")
    path = render([(scene, "t")], tmp_path / "case.jpg", size=(320, 240))
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    tif = render([(scene, "t")], tmp_path / "case.tiff", size=(320, 240))
    assert tif.read_bytes()[:4] in (b"II*\x00", b"MM\x00*")
    with pytest.raises(mvd_sim.MvdSimError, match=r"\.bmp") as error:
        render([(scene, "t")], tmp_path / "case.bmp", size=(320, 240))
    assert "\n" not in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.jpg", "case.tiff"]
