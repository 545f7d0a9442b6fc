"""Pad placement from a spec, and the clear errors for pads that cannot go where asked."""

import numpy as np
import pytest

from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import SpongeSpec, parse_sponge
from mvd_sim.surgery.pads import place_sponges, vessel_lift

CASE = "aica_as_moderate_right"


def test_pad_touches_the_nerve_on_the_vessel_side(scene_of):
    scene = scene_of(CASE)
    (pad,), (held,) = place_sponges(scene, [SpongeSpec(diameter_mm=2.0, s_mm=5.0)])
    assert held == "aica" and pad.holds_off == "aica" and pad.name == "sponge1"
    nerve = scene.nerves["CN7"]
    s = float(np.interp(5.0, scene.rest_nerves["CN7"].s, nerve.s))
    centre_to_axis = np.linalg.norm(pad.centre - nerve.point_at(s))
    assert centre_to_axis >= float(nerve.radius_at(s)) + 1.0 - 1e-9
    # seated: the nerve under the pad's face touches it and nowhere overlaps it
    height = (nerve.points - pad.centre) @ pad.facing
    across = np.linalg.norm(nerve.points - pad.centre - height[:, None] * pad.facing, axis=1)
    under = across < pad.radius_mm + nerve.radius
    gap = -height[under] - pad.radius_mm - nerve.radius[under]
    assert gap.min() == pytest.approx(0.0, abs=1e-9)
    toward_vessel = scene.vessels["aica"].points - pad.centre
    assert np.min(toward_vessel @ pad.facing) < 0 < np.max(toward_vessel @ pad.facing)
    assert np.dot(pad.facing, nerve.tangent_at(s)) == pytest.approx(0.0, abs=1e-9)


def test_cylinder_lies_along_the_vessel(scene_of):
    scene = scene_of(CASE)
    (pad,), _ = place_sponges(scene, [SpongeSpec(shape="cylinder", diameter_mm=1.5,
                                                 length_mm=5.0, s_mm=5.0, vessel="aica")])
    assert pad.length_mm == pytest.approx(5.0)
    assert np.dot(pad.half_axis, pad.facing) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("spec, message", [
    (dict(diameter_mm=2.0, s_mm=5.0, side="medial"), "inside the brainstem"),
    (dict(diameter_mm=2.0, s_mm=40.0), "beyond the end of CN7"),
    (dict(diameter_mm=2.0, vessel_s_mm=150.0, vessel="aica"), "beyond the end of aica"),
    (dict(diameter_mm=2.0, s_mm=5.0, vessel="nope"), "vessel 'nope' is not one of"),
    (dict(diameter_mm=2.0, s_mm=5.0, id="CN7"), "id 'CN7' is already taken by a nerve"),
    (dict(diameter_mm=2.0, s_mm=5.0, id="AICA"), "id 'AICA' is already taken by vessel 'aica'"),
])
def test_impossible_pads_are_refused_in_one_line(scene_of, spec, message):
    with pytest.raises(ScenarioError, match=message) as err:
        place_sponges(scene_of(CASE), [SpongeSpec(**spec)])
    assert str(err.value).startswith("sponges[0]: ") and "\n" not in str(err.value)


def test_pad_inside_the_other_nerve_is_refused(scene_of):
    scene = scene_of(CASE)
    # at the root exit, CN VIII lies dorsal to VII: a pad pushed posterior runs into it
    with pytest.raises(ScenarioError, match="inside (CN8|the brainstem)"):
        place_sponges(scene, [SpongeSpec(diameter_mm=4.0, s_mm=0.5, side="posterior")])


def test_lift_clears_the_vessel_of_its_pad(scene_of):
    scene = scene_of(CASE)
    (pad,), _ = place_sponges(scene, [SpongeSpec(diameter_mm=2.0, s_mm=3.0)])
    vessel = scene.vessels["aica"]
    lifted = vessel.points + vessel_lift(vessel, pad)
    height = (lifted - pad.centre) @ pad.facing
    across = np.linalg.norm(lifted - pad.centre - height[:, None] * pad.facing, axis=1)
    over = across < pad.radius_mm + vessel.radius
    assert np.any(over)
    assert np.all(height[over] >= pad.radius_mm + vessel.radius[over] - 1e-9)
    assert np.allclose(lifted[[0, -1]], vessel.points[[0, -1]])


@pytest.mark.parametrize("text, message", [
    ("s=5", "diameter_mm: required field missing"), ("s=x,d=2", "s_mm: not a number"),
    ("d=2", "exactly one of s_mm"), ("s=1,d=9", "diameter_mm"), ("nonsense", "key=value"),
    ("s=1,d=2,shape=ball,length=3", "a ball has no length_mm"), ("s=1,s=2,d=2", "twice"),
])
def test_sponge_option_errors(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse_sponge(text)


def test_sponge_option_short_keys():
    spec = parse_sponge("s=4.5, d=2, shape=cylinder, length=5, vessel=aica, side=caudal")
    assert (spec.s_mm, spec.diameter_mm, spec.length_mm, spec.side) == (4.5, 2.0, 5.0, "caudal")
