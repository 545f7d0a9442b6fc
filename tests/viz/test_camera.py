"""The views' cameras: the microscope's geometry and the projection against closed forms."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.viz.camera import (DURAL_DEPTH_MM, FIELD_DIAMETER_MM, OPERATIVE_VIEWS, VIEWS,
                                WORKING_DISTANCE_MM, camera_for, pixels_per_mm, project)

SIZE = (800, 600)


@pytest.mark.parametrize("view", VIEWS)
def test_the_focus_projects_to_the_centre_and_a_millimetre_to_its_pixels(scene_of, view):
    camera = camera_for(scene_of("aica_as_moderate_right"), view)
    col, row, depth = project(camera.focus, camera, SIZE)[0]
    assert (col, row) == pytest.approx((SIZE[0] / 2, SIZE[1] / 2), abs=1e-6)
    assert depth == pytest.approx(WORKING_DISTANCE_MM)
    _, right, up = camera.basis()
    for direction in (right, up):
        a, b = project(np.array([camera.focus, camera.focus + 10.0 * direction]), camera,
                       SIZE)[:, :2]
        assert np.linalg.norm(b - a) == pytest.approx(10 * pixels_per_mm(camera, SIZE))


@pytest.mark.parametrize("view", OPERATIVE_VIEWS)
def test_the_microscope_sees_its_field_from_beyond_the_dural_opening(scene_of, view):
    scene = scene_of("aica_as_moderate_right")
    camera = camera_for(scene, view)
    assert camera.operative
    assert WORKING_DISTANCE_MM - camera.near_mm == pytest.approx(DURAL_DEPTH_MM)
    # the picture's height is the field at the focus
    assert SIZE[1] / pixels_per_mm(camera, SIZE) == pytest.approx(FIELD_DIAMETER_MM)
    # never from inside the petrous bone: the eye on the cistern's side of its face
    face = scene.petrous
    assert (camera.position - face.porus) @ face.normal > 0


def test_left_and_right_views_mirror(scene_of):
    spec = mvd_sim.load_scenario(mvd_sim.bundled_scenarios()["aica_as_moderate_right"])
    right = mvd_sim.build_scene(spec, "right")
    left = mvd_sim.build_scene(spec.model_copy(update={"side": "left"}), "left")
    for view in VIEWS:
        a, b = camera_for(right, view), camera_for(left, view)
        mirror = np.array([-1.0, 1.0, 1.0])
        assert b.position - b.focus == pytest.approx((a.position - a.focus) * mirror, abs=1e-9)


def test_an_unknown_view_is_one_line(scene_of):
    with pytest.raises(mvd_sim.MvdSimError, match="--view: unknown view 'top'"):
        camera_for(scene_of("aica_as_moderate_right"), "top")
