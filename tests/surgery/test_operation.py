"""The operation as one value: the case's own, a vein coagulated and divided, the operated
scenario written back, and the one-line refusals."""

import pytest
import yaml

import mvd_sim
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import SpongeSpec, TranspositionSpec, parse_scenario, scenario_to_yaml
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.operation import Operation, operate
from mvd_sim.surgery.postop import operated_scene, postop_spec

PAD = SpongeSpec(diameter_mm=2.0, s_mm=3.5, vessel="aica")
SLING = TranspositionSpec(vessel="aica", distance_mm=3.0)


def test_an_operation_keeps_tuples_and_knows_when_it_is_empty(case_of):
    operation = Operation(pads=[PAD], divided=["vein"])
    assert operation.pads == (PAD,) and operation.divided == ("vein",)
    assert not operation.is_empty and Operation().is_empty
    assert Operation.of_case(case_of("aica_as_moderate_right")).is_empty


@pytest.fixture(scope="module")
def divided(case_of):
    return decompress_states(case_of("vein_rexp_mild_right"), Operation(divided=["vein"]))


def test_a_divided_vein_is_gone_after_and_the_decompression_warns(divided):
    report, before, after = divided
    assert "vein" in before.scene.vessels and "vein" not in after.scene.vessels
    assert [r.name for r in after.model.rods] == ["CN7", "CN8"]
    assert report.divided == ["vein"] and report.vessels == []
    assert report.before.contacts and not report.after.contacts
    (warning,) = report.warnings
    assert warning.startswith("vein coagulated and divided") and "4.8%" in warning \
        and "Thieme 2018" in warning


@pytest.mark.parametrize("operation, message", [
    (Operation(divided=["aica"]), r"^divided\[0\]: 'aica' is an artery \(AICA\): only a vein "
                                  r"may be coagulated and divided$"),
    (Operation(divided=["nope"]), r"^divided\[0\]: vessel 'nope' is not one of the case's "
                                  r"vessels \(ba, aica\)$"),
    (Operation(transpositions=[TranspositionSpec(vessel="nope")]),
     r"^transpositions\[0\]: vessel 'nope' is not one of"),
    (Operation(pads=[PAD, SpongeSpec(diameter_mm=2.0, s_mm=9.0, id="sponge1")]),
     r"^sponges\[1\]: id 'sponge1' is already taken by pad 'sponge1'$"),
])
def test_moves_that_cannot_be_made_are_refused_in_one_line(scene_of, operation, message):
    with pytest.raises(ScenarioError, match=message) as err:
        operate(scene_of("aica_as_moderate_right"), operation)
    assert "\n" not in str(err.value)


def test_a_pad_holding_off_a_divided_vein_is_refused(scene_of):
    operation = Operation(pads=[SpongeSpec(diameter_mm=1.0, s_mm=0.5, vessel="vein")],
                          divided=["vein"])
    with pytest.raises(ScenarioError, match=r"^--sponge 'x': vessel 'vein' is divided: no pad "
                                            r"can hold it off$"):
        operate(scene_of("vein_rexp_mild_right"), operation,
                {"pads": ["--sponge 'x'"], "divided": ["--divide 'vein'"]})


def test_the_operated_scenario_holds_every_move_and_reloads(case_of):
    case = case_of("aica_as_moderate_right")
    operation = Operation(pads=[PAD], transpositions=[SLING])
    spec = postop_spec(case.spec, operation)
    again = parse_scenario(yaml.safe_load(scenario_to_yaml(spec)))
    assert again.sponges == [PAD] and again.transpositions == [SLING] and again.divided == []
    assert again.findings is None
    operated = mvd_sim.Case.from_spec(again, name=case.name)
    assert Operation.of_case(operated) == operation
    scene = operated_scene(operated)
    assert len(scene.sponges) == 1 and [s.vessel for s in scene.slings] == ["aica"]


@pytest.mark.parametrize("extra, message", [
    ({"divided": ["aica"]}, r"divided\[0\]: 'aica' is an artery \(AICA\)"),
    ({"divided": ["vein", "vein"]}, r"divided\[1\]: 'vein' is already divided"),
    ({"transpositions": [{"vessel": "vein"}]}, r"transpositions\[0\]: vessel 'vein' is a vein"),
    ({"transpositions": [{"vessel": "aica", "id": "a"}, {"vessel": "aica", "id": "A"}]},
     r"transpositions\[1\]: id 'A' is already taken by another sling"),
    ({"transpositions": [{"vessel": "aica"}] * 3}, r"transpositions: List should have at most 2"),
    ({"transpositions": [{"vessel": "aica", "width_mm": 0.5}]},
     r"transpositions\[0\]\.width_mm: Input should be greater than or equal to 1"),
    ({"divided": ["vein"], "sponges": [{"diameter_mm": 1.0, "s_mm": 1.0, "vessel": "vein"}]},
     r"sponges\[0\]: vessel 'vein' is divided"),
    ({"sponges": [{"diameter_mm": 1.0, "s_mm": 1.0, "vessel": "aica", "seat": "petrous"}]},
     r"s_mm: a pad seated on the petrous is placed by vessel_s_mm"),
])
def test_scenario_moves_are_checked_in_one_line(extra, message):
    data = {"schema_version": 1, "title": "t", "description": "d", "side": "right",
            "vessels": [{"id": "aica", "type": "AICA"}, {"id": "vein", "type": "vein"}],
            **extra}
    with pytest.raises(ScenarioError, match=message) as err:
        parse_scenario(data, "case.yaml")
    assert str(err.value).startswith("case.yaml: ") and "\n" not in str(err.value)
