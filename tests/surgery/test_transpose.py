"""Transposition with a sling: where the band pulls and is tied, what it achieves through the
pulse, and the one-line refusals."""

import numpy as np
import pytest

from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry.closest import closest_approach, point_polyline
from mvd_sim.core.materials import SLING_STIFFNESS_N_PER_MM
from mvd_sim.scenario import TranspositionSpec, parse_transposition
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.operation import Operation
from mvd_sim.surgery.transpose import TENTORIUM_ABOVE_PORUS_MM, place_slings

CASE = "va_as_severe_left"


def _away(scene, vessel, s):
    point = scene.vessels[vessel].point_at(s)
    *_, near = point_polyline(point[None], scene.nerves["CN7"].points)
    return (point - near[0]) / np.linalg.norm(point - near[0])


def test_a_petrous_sling_pulls_away_from_the_nerve_toward_the_petrous_face(scene_of):
    scene = scene_of(CASE)
    (sling,) = place_slings(scene, [TranspositionSpec(vessel="va")])
    va, nerve = scene.vessels["va"], scene.nerves["CN7"]
    closest = closest_approach(va.points, nerve.points, va.radius, nerve.radius)
    assert sling.s_mm == pytest.approx(closest.arc_a)  # default: where it comes closest
    assert (sling.name, sling.vessel, sling.anchor, sling.width_mm) == ("sling1", "va",
                                                                        "petrous", 3.0)
    assert sling.distance_mm == pytest.approx(4.0)
    away, toward = _away(scene, "va", sling.s_mm), -scene.petrous.normal
    expected = (away + toward) / np.linalg.norm(away + toward)
    np.testing.assert_allclose(sling.direction, expected, atol=1e-12)
    assert sling.direction @ away > 0 and sling.direction @ toward > 0
    # tied on the petrous face, beside the porus opening (7.10 x 4.47 mm), not across it
    face = scene.petrous
    assert face.signed_distance(sling.anchor_point)[0] == pytest.approx(0.0, abs=1e-9)
    offset = sling.anchor_point - face.porus
    across = np.cross(face.normal, face.up)
    rim = (offset @ across / 3.55) ** 2 + (offset @ face.up / 2.235) ** 2
    assert rim >= 1.0 - 1e-9


def test_a_tentorial_sling_pulls_rostrally(scene_of):
    scene = scene_of(CASE)
    (sling,) = place_slings(scene, [TranspositionSpec(vessel="va", anchor="tentorium",
                                                      distance_mm=6.0, vessel_s_mm=40.0)])
    away = _away(scene, "va", 40.0)
    expected = away + [0.0, 0.0, 1.0]
    np.testing.assert_allclose(sling.direction, expected / np.linalg.norm(expected),
                               atol=1e-12)
    target = scene.vessels["va"].point_at(40.0) + sling.translation
    porus_z = scene.rest_nerves["CN7"].points[-1, 2]
    assert sling.anchor_point[2] == pytest.approx(max(porus_z + TENTORIUM_ABOVE_PORUS_MM,
                                                      target[2]))
    np.testing.assert_allclose(sling.anchor_point[:2], target[:2])


def test_the_band_holds_the_nodes_under_its_width(scene_of):
    scene = scene_of(CASE)
    (sling,) = place_slings(scene, [TranspositionSpec(vessel="va", vessel_s_mm=40.0,
                                                      width_mm=4.0)])
    tube = scene.vessels["va"].resampled(0.5)
    nodes = sling.nodes(tube)
    assert np.all(np.abs(tube.s[nodes] - 40.0) <= 2.0)
    assert len(nodes) in (8, 9)  # 4 mm of nodes 0.5 mm apart


@pytest.fixture(scope="module")
def slung(case_of):
    return decompress_states(case_of(CASE), Operation(transpositions=[
        TranspositionSpec(vessel="va", distance_mm=5.0)]))


def test_a_slung_va_is_freed_and_ends_near_where_the_band_holds_it(slung):
    """The band (1 N/mm) is far stiffer than the VA and its tethers: the VA ends within a few
    percent of the 5 mm asked, and the band pulls with at least k (distance - displacement)
    (its pull along the sling's direction; more where the nodes also fall short across it)."""
    report, before, after = slung
    assert report.before.contacts and not report.after.contacts and report.decompressed
    (outcome,) = report.transpositions
    assert (outcome.id, outcome.vessel, outcome.anchor) == ("sling1", "va", "petrous")
    assert outcome.distance_mm == 5.0
    assert outcome.displacement_mm == pytest.approx(5.0, rel=0.05)
    along = 1e3 * SLING_STIFFNESS_N_PER_MM * (5.0 - outcome.displacement_mm)
    assert along > 0 and outcome.tension_mn >= along * (1 - 1e-9)
    (sling,) = after.scene.slings
    np.testing.assert_allclose(outcome.anchor_point_mm, sling.anchor_point)
    assert report.schema_version == 2 and report.divided == [] and report.sponges == []


def test_the_sling_holds_at_every_phase_of_the_pulse(slung, case_of):
    """The sling is a static spring of the model: solved at the other end of the pulse
    from the sweep's worst phase (systole or diastole), the VA is held as far off."""
    from mvd_sim.surgery.postop import scene_at_level

    report, _, after = slung
    (sling,) = after.model.slings
    other_level = 0.0 if after.level > 0.5 else 1.0
    assert abs(other_level - after.level) > 0.9
    other = scene_at_level(case_of(CASE), Operation(transpositions=[
        TranspositionSpec(vessel="va", distance_mm=5.0)]), other_level)
    rest = next(rod.tube for rod in after.model.rods if rod.name == "va")
    nodes = sling.nodes(rest)  # the same material points in the solved scene's tube
    moved = (other.vessels["va"].points[nodes] - rest.points[nodes]) @ sling.direction
    assert np.mean(moved) == pytest.approx(report.transpositions[0].displacement_mm, abs=0.02)


@pytest.mark.parametrize("spec, message", [
    (dict(vessel="vein"), "vessel 'vein' is a vein: a vein is coagulated and divided, not "
                          "slung"),
    (dict(vessel="nope"), "vessel 'nope' is not one of the case's vessels"),
    (dict(vessel="aica", vessel_s_mm=150.0), "vessel_s_mm 150 is beyond the end of aica"),
])
def test_slings_that_cannot_be_tied_are_refused_in_one_line(scene_of, spec, message):
    scene = scene_of("multi_aica_pica_right")
    if spec["vessel"] == "vein":
        scene = scene_of("vein_rexp_mild_right")
    with pytest.raises(ScenarioError, match=message) as err:
        place_slings(scene, [TranspositionSpec(**spec)], labels=["--transpose 'x'"])
    assert str(err.value).startswith("--transpose 'x': ") and "\n" not in str(err.value)


def test_a_sling_tied_behind_the_nerve_is_refused(scene_of):
    """A petrous face lying behind the nerve from the vessel (turned round for the test):
    a sling tied to it would pull the vessel across the nerve."""
    import dataclasses

    scene = scene_of(CASE)
    # turn the petrous face round, so it lies behind the nerve from the VA
    face = dataclasses.replace(scene.petrous, normal=_away(scene, "va", 40.0))
    flipped = dataclasses.replace(scene, petrous=face)
    with pytest.raises(ScenarioError, match=r"^transpositions\[0\]: the petrous dura lies "
                                            r"behind CN7 from va at vessel_s_mm 40.0"):
        place_slings(flipped, [TranspositionSpec(vessel="va", vessel_s_mm=40.0)])


@pytest.mark.parametrize("text, message", [
    ("va,distance=12", "distance_mm: Input should be less than or equal to 10"),
    ("va,distance=0.5", "distance_mm: Input should be greater than or equal to 1"),
    ("va,width=7", "width_mm: Input should be less than or equal to 6"),
    ("va,anchor=skull", "anchor: Input should be 'petrous' or 'tentorium'"),
    ("va,s=x", "vessel_s_mm: not a number"),
    ("distance=4", "vessel: required field missing"),
    ("va,distance=4,distance=5", "distance_mm given twice"),
    ("va,nonsense", "expected key=value"),
])
def test_transpose_option_errors_are_one_line(text, message):
    with pytest.raises(ScenarioError, match=message) as err:
        parse_transposition(text)
    assert str(err.value).startswith(f"--transpose {text!r}: ") and "\n" not in str(err.value)


def test_transpose_option_keys():
    spec = parse_transposition("va, s=30, distance=5, width=2.5, anchor=tentorium, id=band")
    assert (spec.vessel, spec.vessel_s_mm, spec.distance_mm, spec.width_mm, spec.anchor,
            spec.id) == ("va", 30.0, 5.0, 2.5, "tentorium", "band")
