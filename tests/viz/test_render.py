"""Off-screen rendering, for real: pictures show the anatomy, contacts in their severity
colour where they are, views differ, and left and right cases mirror each other."""

import dataclasses

import numpy as np
import pytest

import mvd_sim
from mvd_sim.mesh.files import to_polydata
from mvd_sim.mesh.meshing import petrous_mesh
from mvd_sim.viz.actors import root_exit_zone as _root_exit_zone
from mvd_sim.viz.camera import project
from mvd_sim.viz.palette import BACKGROUND
from mvd_sim.viz.render import (CONTEXT_COLORS, SEVERITY_COLORS, VIEWS, camera_for,
                                hides_root_exit_zone, render, render_image)

SIZE = (800, 600)


def _project(point, camera, size=SIZE):
    """Pixel (row, col) of a scene point (:func:`mvd_sim.viz.camera.project`)."""
    col, row, _ = project(point, camera, size)[0]
    return row, col


def _hue_mask(image, rgb):
    """Pixels whose colour is a shade of ``rgb`` (same channel ratios within 0.15)."""
    image = image.astype(float)
    target = np.asarray(rgb, float) / max(rgb)
    brightness = image.max(axis=-1, keepdims=True)
    ratios = image / np.maximum(brightness, 1.0)
    return (brightness[..., 0] > 60) & (np.abs(ratios - target).max(axis=-1) < 0.15)


@pytest.fixture(scope="module")
def moderate(scene_of):
    scene = scene_of("aica_as_moderate_right")
    return scene, render_image([(scene, "t")], size=SIZE, annotate=False)


def test_image_is_not_blank(moderate):
    _, image = moderate
    assert image.shape == (SIZE[1], SIZE[0], 3)
    foreground = np.any(np.abs(image.astype(int) - BACKGROUND) > 10, axis=-1)
    assert 0.2 < foreground.mean() < 0.98
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 500


def test_contact_patch_shows_its_severity_colour_where_it_is(moderate):
    scene, image = moderate
    (contact,) = [c for c in mvd_sim.analyze(scene).contacts if c.nerve == "CN7"]
    assert contact.severity == "moderate"
    row, col = _project(contact.nerve_point_mm, camera_for(scene, "retrosigmoid"))
    mask = _hue_mask(image, SEVERITY_COLORS["moderate"])
    rows, cols = np.nonzero(mask)
    assert len(rows) > 15
    assert np.min(np.hypot(rows - row, cols - col)) < 15
    # and no other severity's colour appears
    assert _hue_mask(image, SEVERITY_COLORS["severe"]).sum() < 5



def test_without_contacts_the_patch_is_gone_and_the_rest_is_drawn(moderate):
    """An exercise's picture (contacts=False) hides the answer: no severity colour near the
    contact, the same anatomy elsewhere."""
    scene, shown = moderate
    hidden = render_image([(scene, "t")], size=SIZE, annotate=False, contacts=False)
    for severity, rgb in SEVERITY_COLORS.items():
        assert _hue_mask(hidden, rgb).sum() < 5, severity
    assert _hue_mask(shown, SEVERITY_COLORS["moderate"]).sum() > 15
    differs = np.any(np.abs(hidden.astype(int) - shown) > 10, axis=-1)
    assert 0 < differs.mean() < 0.01

def test_each_contact_shows_its_own_severity(scene_of):
    """A loop touching the REZ (moderate) and the cisternal portion (mild): each patch in its
    own colour at its own place."""
    scene = scene_of("double_aica_loop_right")
    # seen from in front: in the surgeon's view CN VIII hides the cisternal contact
    image = render_image([(scene, "t")], view="anterior", size=SIZE, annotate=False)
    camera = camera_for(scene, "anterior")
    contacts = [c for c in mvd_sim.analyze(scene).contacts if c.nerve == "CN7"]
    assert sorted(c.severity for c in contacts) == ["mild", "moderate"]
    for contact in contacts:
        row, col = _project(contact.nerve_point_mm, camera)
        rows, cols = np.nonzero(_hue_mask(image, SEVERITY_COLORS[contact.severity]))
        assert len(rows) > 5, contact.severity
        assert np.min(np.hypot(rows - row, cols - col)) < 15, contact.severity


def test_views_differ(moderate, scene_of):
    scene, retrosigmoid = moderate
    for view in ("lateral", "anterior", "superior"):
        other = render_image([(scene, "t")], view=view, size=SIZE, annotate=False)
        assert np.abs(other.astype(int) - retrosigmoid.astype(int)).mean() > 10, view


def test_left_and_right_cases_mirror(scene_of):
    spec = mvd_sim.load_scenario(mvd_sim.bundled_scenarios()["aica_as_moderate_right"])
    right = mvd_sim.build_scene(spec, "right")
    left = mvd_sim.build_scene(spec.model_copy(update={"side": "left"}), "left")
    masks = []
    for scene in (right, left):
        image = render_image([(scene, "t")], size=SIZE, annotate=False)
        masks.append(np.any(np.abs(image.astype(int) - BACKGROUND) > 10, axis=-1))
    mirrored = np.fliplr(masks[1])
    overlap = (masks[0] & mirrored).sum() / (masks[0] | mirrored).sum()
    assert overlap > 0.97


def test_render_writes_a_png_atomically(scene_of, tmp_path):
    path = render([(scene_of("near_miss_control_right"), "t")], tmp_path / "case.png",
                  size=(300, 200))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.png"]
    with pytest.raises(mvd_sim.MvdSimError, match="cannot write"):
        render([(scene_of("near_miss_control_right"), "t")], tmp_path / "no" / "x.png",
               size=(300, 200))
    with pytest.raises(mvd_sim.MvdSimError, match="unknown view"):
        render_image([(scene_of("near_miss_control_right"), "t")], view="top")


# -- the operative field -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def atlas(scene_of):
    scene = scene_of("atlas_default_right")
    return scene, render_image([(scene, "t")], size=SIZE, annotate=False)


def _visible_at(image, rgb, point, camera, radius_px=40, count=30):
    """Whether a shade of ``rgb`` covers ``count`` pixels within ``radius_px`` of ``point``'s
    projection."""
    row, col = _project(point, camera)
    rows, cols = np.nonzero(_hue_mask(image, rgb))
    return np.count_nonzero(np.hypot(rows - row, cols - col) < radius_px) >= count


@pytest.mark.parametrize("name,where", [
    ("flocculus", lambda s: s.context["flocculus"].centre),
    ("CN9", lambda s: s.context["CN10"].rootlets[0].point_at(4.0)),
    ("choroid_plexus", lambda s: s.context["choroid_plexus"].points[-8]),
])
def test_the_picture_shows_the_context_in_its_colour_where_it_is(atlas, name, where):
    scene, image = atlas
    camera = camera_for(scene, "retrosigmoid")
    assert _visible_at(image, CONTEXT_COLORS[name], where(scene), camera, count=15), name


def test_the_retracted_cerebellum_fills_the_top_of_the_picture_behind(atlas):
    scene, image = atlas
    rows, cols = np.nonzero(_hue_mask(image, CONTEXT_COLORS["cerebellum"]))
    assert len(rows) > 0.05 * image.shape[0] * image.shape[1]
    # above the root exit zone: the surgeon looks in below it (infrafloccular route)
    row, _ = _project(_root_exit_zone(scene)[0], camera_for(scene, "retrosigmoid"))
    assert np.median(rows) < row


def test_the_petrous_bone_shows_round_the_porus(atlas):
    scene, image = atlas
    camera = camera_for(scene, "retrosigmoid")
    rim = scene.petrous.porus + 0.4 * scene.petrous.drawn_width_mm * np.cross(
        scene.petrous.normal, scene.petrous.up)
    assert _visible_at(image, CONTEXT_COLORS["petrous"], rim, camera, radius_px=60)


@pytest.mark.parametrize("view", VIEWS)
def test_the_context_never_hides_the_root_exit_zone(scene_of, view):
    """The root exit zone looks the same with and without the operative field round it (the
    petrous bone kept: it steers the operative views' cameras; it is checked below)."""
    scene = scene_of("aica_as_moderate_right")
    bare = dataclasses.replace(scene, context={})
    camera = camera_for(scene, view)
    pixels = np.array([_project(p, camera) for p in _root_exit_zone(scene)]).astype(int)
    inside = np.all((pixels >= 0) & (pixels < [SIZE[1], SIZE[0]]), axis=1)
    rows, cols = pixels[inside].T
    images = [render_image([(s, "t")], view=view, size=SIZE, annotate=False)
              for s in (scene, bare)]
    difference = np.abs(images[0][rows, cols].astype(int) - images[1][rows, cols]).max(axis=1)
    assert np.mean(difference > 40) < 0.1


def test_a_structure_across_the_line_of_sight_is_drawn_see_through(scene_of):
    scene = scene_of("aica_as_moderate_right")
    # from the side, the petrous bone lies between the camera and the root exit zone
    bone = to_polydata(petrous_mesh(scene.petrous))
    assert hides_root_exit_zone(bone, camera_for(scene, "lateral"), scene)
    assert not hides_root_exit_zone(bone, camera_for(scene, "retrosigmoid"), scene)


@pytest.mark.parametrize("scenario, lesion", [("schwannoma_porus_right", "schwannoma"),
                                              ("aneurysm_pica_rexp_right", "pica_aneurysm"),
                                              ("avm_rexp_right", "nidus")])
def test_a_lesion_shows_in_its_own_colour_where_it_is(scene_of, scenario, lesion):
    """A real off-screen render: a shade of the lesion's cause colour covers pixels round
    its projection, and that colour is no other structure's (no such pixels without it)."""
    from mvd_sim.viz.palette import LESION_COLORS
    scene = scene_of(scenario)
    color = LESION_COLORS[scene.lesions[lesion].cause]
    camera = camera_for(scene, "retrosigmoid")
    image = render_image([(scene, "t")], size=SIZE, annotate=False)
    assert _visible_at(image, color, scene.lesions[lesion].body.centre, camera, radius_px=80,
                       count=30)
    without = dataclasses.replace(scene, lesions={})
    assert _hue_mask(render_image([(without, "t")], size=SIZE, annotate=False),
                     color).sum() < 5


def test_an_avm_branch_shows_in_its_vessels_colour_where_it_joins_the_nidus(scene_of):
    """avm_rexp_right from the side: the branch joining the PICA to the nidus covers pixels
    of the PICA's colour round its middle that are not there without it."""
    from mvd_sim.viz.palette import VESSEL_COLORS
    scene = scene_of("avm_rexp_right")
    nidus = scene.lesions["nidus"]
    branch = nidus.branches[0]
    camera = camera_for(scene, "lateral")
    middle = branch.point_at(0.5 * branch.length_mm)
    bare = dataclasses.replace(
        scene, lesions={"nidus": dataclasses.replace(nidus, branches=())})
    counts = [np.count_nonzero(_near(_hue_mask(render_image([(s, "t")], view="lateral",
                                                           size=SIZE, annotate=False),
                                               VESSEL_COLORS["PICA"]), middle, camera, 12))
              for s in (scene, bare)]
    assert counts[0] >= 100 and counts[0] > 2 * counts[1], counts


def _near(mask, point, camera, radius_px):
    """``mask`` where within ``radius_px`` of ``point``'s projection."""
    row, col = _project(point, camera)
    rows, cols = np.indices(mask.shape)
    return mask & (np.hypot(rows - row, cols - col) < radius_px)
