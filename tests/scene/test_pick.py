"""Picking: the first solid a line of sight enters, from the scene's own geometry."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.scene.pick import PICK_STEP_MM, first_hit

CASE = "aica_as_moderate_right"


def _square_to(tube, s: float) -> np.ndarray:
    """A unit direction square to the tube's axis at ``s``."""
    tangent = tube.tangent_at(s)
    side = np.cross(tangent, [0.0, 0.0, 1.0])
    return side / np.linalg.norm(side)


@pytest.mark.parametrize("s", [5.0, 15.0, 30.0, 45.0])
def test_a_ray_at_a_vessel_enters_it_at_its_surface(scene_of, s):
    scene = scene_of(CASE)
    aica = scene.vessels["aica"]
    axis = aica.point_at(s)
    for sign in (1.0, -1.0):
        side = sign * _square_to(aica, s)
        origin = axis + 2.0 * side  # 2 mm off the axis, looking square at it
        hit = first_hit(scene, origin, -side)
        if hit is None or hit.name != "aica":
            continue  # a nerve or the brainstem lies in the way on this side
        assert hit.kind == "vessel"
        # where it enters is on the surface: one radius from the axis (to 1% of a step)
        dist, seg, u, _ = point_polyline(hit.point[None], aica.points)
        radius = (1 - u[0]) * aica.radius[seg[0]] + u[0] * aica.radius[seg[0] + 1]
        assert dist[0] == pytest.approx(radius, abs=PICK_STEP_MM / 50)
        # no farther than the surface straight ahead (a bend of the artery may come nearer)
        assert hit.distance_mm <= 2.0 - float(aica.radius_at(s)) + PICK_STEP_MM / 50
        assert np.linalg.norm(hit.point - origin) == pytest.approx(hit.distance_mm)
        break
    else:
        pytest.fail(f"no side of the AICA at s = {s} is clear")


def test_the_nearer_solid_is_hit_first(scene_of):
    scene = scene_of(CASE)
    nerve, aica = scene.nerves["CN7"], scene.vessels["aica"]
    behind = aica.point_at(20.0)
    front = nerve.point_at(nerve.length_mm / 2)
    direction = front - behind  # looking from beyond the nerve, through it, at the artery
    origin = front + 5.0 * direction / np.linalg.norm(direction)
    hit = first_hit(scene, origin, behind - origin)
    assert (hit.kind, hit.name) == ("nerve", "CN7")
    assert hit.distance_mm < 5.0


def test_the_brainstem_and_pads_are_solid(case_of):
    from mvd_sim.surgery.session import Session

    case = case_of(CASE)
    scene = case.scene
    centre = scene.brainstem.query(np.zeros((1, 3))).closest[0]  # the RExP's foot on it
    normal = scene.brainstem.query(centre[None]).normal[0]
    hit = first_hit(scene, centre + 3.0 * normal, -normal)
    assert hit.kind in ("brainstem", "nerve")  # the nerve leaves the brainstem there
    session = Session.start(case)
    padded = session.with_pad_at("aica", session.scene.vessels["aica"].point_at(22.5))
    pad = padded.scene.sponges[0]
    origin = pad.centre + 20.0 * pad.facing  # looking at it past the vessel it holds off
    hit = first_hit(padded.scene, origin, -pad.facing)
    assert hit.kind in ("pad", "vessel")  # the vessel it holds off may lie over it
    # drawn over everything, the pad is met first wherever it lies along the ray
    over = first_hit(padded.scene, origin, -pad.facing, over=("pad",))
    assert (over.kind, over.name) == ("pad", pad.name)
    assert over.distance_mm >= hit.distance_mm
    assert np.linalg.norm(over.point - pad.centre) == pytest.approx(pad.radius_mm, abs=0.01)


def test_a_ray_away_from_the_scene_meets_nothing(scene_of):
    scene = scene_of(CASE)
    origin = scene.nerves["CN7"].point_at(0.0) + np.array([0.0, 0.0, 100.0])
    assert first_hit(scene, origin, [0.0, 0.0, 1.0]) is None


def test_the_hit_is_refined_below_the_step(scene_of):
    scene = scene_of(CASE)
    aica = scene.vessels["aica"]
    axis = aica.point_at(40.0)
    side = _square_to(aica, 40.0)
    for start in (3.0, 3.0 + PICK_STEP_MM / 3):
        hit = first_hit(scene, axis + start * side, -side)
        assert hit.name == "aica"
        assert hit.distance_mm == pytest.approx(start - float(aica.radius_at(40.0)),
                                                abs=PICK_STEP_MM / 10)


def test_no_direction_is_refused(scene_of):
    with pytest.raises(mvd_sim.MvdSimError, match="not a direction"):
        first_hit(scene_of(CASE), [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
