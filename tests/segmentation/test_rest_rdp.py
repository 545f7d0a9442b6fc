"""Where an imported CN VII detaches, on exact geometry: a root a vessel deviates on its
attached segment is read at the RDP of its rest course (the atlas places the RDP there and
deviates the root after), because the RDP is detected on the estimated rest course; the
deviated course's own gap from the brainstem may read it late or early."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.anatomy.placement import deviate_nerve
from mvd_sim.segmentation.importer import _rdp, _rest_rdp
from mvd_sim.segmentation.rest import pressed_at


@pytest.mark.parametrize("name", ["va_as_severe_left", "dolichoectatic_va_left",
                                  "aica_as_severe_right"])
def test_a_root_deviated_on_its_attached_segment_detaches_where_it_would_at_rest(name):
    """The bundled severe cases as the atlas builds them (no image): the deviated root and
    its vessels as placed, the rest course known."""
    scene = mvd_sim.Case.bundled(name).scene
    brainstem, root, rest = scene.brainstem, scene.nerves["CN7"], scene.rest_nerves["CN7"]
    at_rest = _rdp(brainstem, rest.points, rest.radius)
    assert at_rest == pytest.approx(scene.landmarks["CN7"].rdp_mm, abs=0.3)
    pressed = pressed_at(root.points, root.radius,
                         [(v.points, v.radius) for v in scene.vessels.values()])
    assert len(pressed) == 1
    found = _rest_rdp(brainstem, root.points, root.radius, pressed, [])
    assert found == pytest.approx(at_rest, abs=0.2)
    if name.startswith("va_") or name.startswith("dolicho"):
        # the VA pushes the root onto the brainstem past the RDP (where it rests, #26), so
        # the deviated course lies on it 0.5-0.8 mm longer and then leaves at an angle
        assert _rdp(brainstem, root.points, root.radius) - at_rest > 0.5


def test_a_root_pushed_along_the_brainstem_keeps_its_rdp():
    """The atlas' root pushed 0.8 mm along the brainstem, square to itself, at 4 mm of arc
    (by the atlas' own rule): read within 0.2 mm of the undeviated root's RDP either way."""
    scene = mvd_sim.Case.bundled("atlas_default_right").scene
    brainstem, root = scene.brainstem, scene.rest_nerves["CN7"]
    at_rest = _rdp(brainstem, root.points, root.radius)
    normal = brainstem.query(root.point_at(4.0)[None]).normal[0]
    for sign in (1.0, -1.0):
        side = sign * np.cross(normal, root.smooth_tangent_at(4.0))
        side /= np.linalg.norm(side)
        pushed = deviate_nerve(brainstem, root, scene.landmarks["CN7"], 4.0, side, 0.8, 2.0,
                               "test")
        found = _rest_rdp(brainstem, pushed.points, pushed.radius, [(4.0, side)], [])
        assert found == pytest.approx(at_rest, abs=0.2)


def test_a_root_no_vessel_presses_keeps_the_rdp_of_its_course():
    scene = mvd_sim.Case.bundled("va_as_severe_left").scene
    root = scene.nerves["CN7"]
    assert (_rest_rdp(scene.brainstem, root.points, root.radius, [], [])
            == _rdp(scene.brainstem, root.points, root.radius))
