"""Pads seated away from the nerve: on the brainstem, the parent trunk or the petrous face, the
inner face touching the seat and the vessel on the outer face; one-line refusals."""

import numpy as np
import pytest

from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import SpongeSpec, parse_sponge
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.operation import Operation
from mvd_sim.surgery.pads import LIFT_CLEARANCE_MM, place_sponges, vessel_lift


def _outer_face_gap(pad, tube):
    """The smallest gap of ``tube``'s nodes over the pad's footprint to its outer face (mm),
    and whether every such node lies above the pad's mid-plane."""
    height, across = pad.over_faces(tube.points)
    over = across < pad.radius_mm + tube.radius
    return float(np.min(height[over] - pad.radius_mm - tube.radius[over])), \
        bool(np.all(height[over] > 0))


def _seated(scene_of, case, vessel, s, seat, shape="ball"):
    scene = scene_of(case)
    spec = SpongeSpec(diameter_mm=2.0, vessel_s_mm=s, vessel=vessel, seat=seat, shape=shape,
                      length_mm=4.0 if shape == "cylinder" else None)
    (pad,), (held,) = place_sponges(scene, [spec])
    return scene, pad, held


@pytest.mark.parametrize("shape", ["ball", "cylinder"])
def test_a_pad_on_the_brainstem_sits_under_the_vessel_square_to_its_normal(scene_of, shape):
    scene, pad, held = _seated(scene_of, "aica_as_moderate_right", "aica", 16.0, "brainstem",
                               shape)
    assert (held, pad.against, pad.seat) == ("aica", "brainstem", "brainstem")
    p0, p1 = pad.ends()
    clearance = scene.brainstem.clearance(np.linspace(p0, p1, 5), pad.radius_mm)
    assert clearance.min() == pytest.approx(0.0, abs=1e-6)  # touching, not inside
    q = scene.brainstem.query(pad.centre[None])
    np.testing.assert_allclose(pad.facing, q.normal[0], atol=1e-6)  # faces square to it
    # the vessel lies over the brainstem on the pad's side; lifted as a surgeon slips the pad
    # in, it clears the outer face
    vessel = scene.vessels["aica"]
    assert scene.brainstem.signed_distance(vessel.point_at(16.0)[None])[0] > 0
    lifted = vessel.with_points(vessel.points + vessel_lift(vessel, pad))
    gap, above = _outer_face_gap(pad, lifted)
    assert above and gap == pytest.approx(LIFT_CLEARANCE_MM, abs=1e-9)
    if shape == "cylinder":
        assert abs(np.dot(pad.half_axis, pad.facing)) < 1e-9


def test_a_pad_on_the_trunk_touches_the_trunk_on_its_inner_face(scene_of):
    scene, pad, held = _seated(scene_of, "va_pushes_pica_left", "pica", 28.0, "trunk")
    assert (held, pad.against, pad.seat) == ("pica", "va", "trunk")
    trunk = scene.vessels["va"]
    height, across = pad.over_faces(trunk.points)
    under = across < pad.radius_mm + trunk.radius
    gap = -height[under] - pad.radius_mm - trunk.radius[under]
    assert gap.min() == pytest.approx(0.0, abs=1e-9)
    assert (scene.vessels["pica"].point_at(28.0) - pad.centre) @ pad.facing > pad.radius_mm


def test_a_pad_on_the_petrous_face_lies_flat_on_it(scene_of):
    # the AICA passes near the face about 34 mm along it, on its way to the meatal loop
    scene, pad, held = _seated(scene_of, "double_pica_aica_left", "aica", 34.0, "petrous")
    assert (held, pad.against, pad.seat) == ("aica", "petrous", "petrous")
    face = scene.petrous
    assert face.signed_distance(pad.centre)[0] - pad.radius_mm == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(pad.facing, face.normal)
    assert (scene.vessels["aica"].point_at(34.0) - pad.centre) @ pad.facing > pad.radius_mm


def test_a_pad_on_the_brainstem_lifts_its_vessel_and_carries_it(case_of):
    """Solved through the pulse, the pad rests on the brainstem and holds the vessel on its
    outer face: its loads name both, with the felt's force on each."""
    pad = SpongeSpec(diameter_mm=2.0, vessel_s_mm=16.0, vessel="aica", seat="brainstem")
    report, _, after = decompress_states(case_of("aica_as_moderate_right"),
                                         Operation(pads=[pad]))
    (outcome,) = report.sponges
    assert (outcome.seat, outcome.against, outcome.holds_off) == ("brainstem", "brainstem",
                                                                  "aica")
    loads = {load.body: load for load in outcome.loads}
    assert {"aica", "brainstem"} <= set(loads) and "CN7" not in loads
    assert outcome.nerve_force_mn == 0 and not outcome.on_rez
    for load in loads.values():
        assert load.force_mn > 0 and load.contact_area_mm2 > 0
        assert load.pressure_kpa == pytest.approx(load.force_mn / load.contact_area_mm2)
    (solved,) = after.scene.sponges
    gap, above = _outer_face_gap(solved, after.scene.vessels["aica"])
    assert above and gap > -solved.radius_mm  # the vessel stays on the outer face


@pytest.mark.parametrize("case, spec, message", [
    ("aica_as_moderate_right", dict(vessel_s_mm=22.0, vessel="aica", seat="brainstem"),
     "seated on the brainstem would start 2.02 mm inside CN7"),
    ("pica_rexp_moderate_right", dict(vessel_s_mm=23.0, vessel="pica", seat="brainstem"),
     "runs into the brainstem at 51 degrees, more steeply than 45"),
    ("aica_as_moderate_right", dict(vessel_s_mm=44.0, vessel="aica", seat="brainstem"),
     "lies 10.8 mm from the brainstem, more than the pad's diameter plus 3 mm"),
    ("aica_as_moderate_right", dict(vessel_s_mm=12.0, vessel="aica", seat="trunk"),
     "from its trunk ba, more than the pad's diameter plus 3 mm"),
    ("aica_as_moderate_right", dict(vessel_s_mm=38.0, vessel="aica", seat="petrous"),
     "runs into the petrous face at 76 degrees, more steeply than 45"),
    ("aica_as_moderate_right", dict(vessel_s_mm=12.0, vessel="ba", seat="trunk"),
     "ba \\(BA\\) has no parent trunk"),
    ("vein_rexp_mild_right", dict(vessel_s_mm=4.0, vessel="vein", seat="trunk"),
     "vein \\(vein\\) has no parent trunk"),
    ("aica_as_moderate_right", dict(vessel_s_mm=99.0, vessel="aica", seat="brainstem"),
     "beyond the end of aica"),
])
def test_seats_that_cannot_be_made_are_refused_in_one_line(scene_of, case, spec, message):
    with pytest.raises(ScenarioError, match=message) as err:
        place_sponges(scene_of(case), [SpongeSpec(diameter_mm=2.0, **spec)])
    assert str(err.value).startswith("sponges[0]: ") and "\n" not in str(err.value)


def test_a_case_without_the_parent_trunk_is_refused(scene_of):
    """A PICA whose VA the case leaves out has no trunk to seat a pad on."""
    import dataclasses

    scene = scene_of("pica_rexp_moderate_right")
    without = dataclasses.replace(scene, vessels={k: v for k, v in scene.vessels.items()
                                                  if v.kind != "VA"})
    with pytest.raises(ScenarioError, match=r"^sponges\[0\]: the case has no VA, the parent "
                                            r"trunk of pica \(PICA\)$"):
        place_sponges(without, [SpongeSpec(diameter_mm=2.0, vessel_s_mm=10.0, vessel="pica",
                                           seat="trunk")])


@pytest.mark.parametrize("text, message", [
    ("s=5,d=2,vessel=aica,seat=brainstem", "s_mm: a pad seated on the brainstem is placed by "
                                           "vessel_s_mm"),
    ("d=2,vessel_s=5,seat=trunk", "vessel, vessel_s_mm: a pad seated on the trunk needs"),
    ("d=2,vessel_s=5,vessel=aica,seat=petrous,side=caudal", "side: 'caudal' is for a pad on "
                                                             "the nerve"),
    ("d=2,vessel_s=5,vessel=aica,seat=petrous,nerve=CN8", "nerve: 'CN8' is for a pad on the "
                                                           "nerve"),
    ("d=2,vessel_s=5,vessel=aica,seat=dura", "seat: Input should be 'nerve', 'brainstem'"),
])
def test_seat_option_errors_are_one_line(text, message):
    with pytest.raises(ScenarioError, match=message) as err:
        parse_sponge(text)
    assert str(err.value).startswith(f"--sponge {text!r}: ") and "\n" not in str(err.value)
