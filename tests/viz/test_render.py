"""Off-screen rendering, for real: pictures show the anatomy, contacts in their severity
colour where they are, views differ, and left and right cases mirror each other."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.viz.render import BACKGROUND, SEVERITY_COLORS, camera_for, render, render_image

SIZE = (800, 600)


def _project(point, camera, size=SIZE, view_angle_deg=30.0):
    """Pixel (row, col) of a scene point through a perspective camera (VTK's conventions:
    vertical view angle, view-up projected square to the view direction)."""
    forward = camera.focus - camera.position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, camera.up)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    rel = np.asarray(point) - camera.position
    depth = rel @ forward
    half = np.tan(np.radians(view_angle_deg) / 2) * depth
    x, y = (rel @ right) / (half * size[0] / size[1]), (rel @ up) / half
    return (1 - y) / 2 * size[1], (x + 1) / 2 * size[0]


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
