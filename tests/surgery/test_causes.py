"""The planner on the other causes: its refusal text for each lesion, the band it cuts
before pads, the dolichoectatic VA it transposes."""

import dataclasses

import numpy as np
import pytest

from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.surgery.causes import lesion_refusal
from mvd_sim.surgery.decompress import decompress
from mvd_sim.surgery.operation import Operation, operate
from mvd_sim.surgery.planner import plan


@pytest.mark.parametrize("scenario, words", [
    ("schwannoma_porus_right",
     "no plan: not a candidate for MVD with pads: schwannoma (schwannoma) displaces CN VII "
     "1.5 mm at the CP and presses it at "),
    ("aneurysm_pica_rexp_right",
     "no plan: not a candidate for MVD with pads: pica_aneurysm (aneurysm on pica) "
     "compresses CN VII at the RExP (moderate, 0.42 mm deep) and presses it at "),
    ("avm_rexp_right",
     "no plan: not a candidate for MVD with pads: nidus (AVM nidus) compresses CN VII at "
     "the RExP (moderate, 0.30 mm deep) and presses it at "),
])
def test_the_planner_refuses_a_lesion_with_what_the_literature_does(case_of, scenario,
                                                                     words):
    result = plan(case_of(scenario))
    assert not result.feasible and result.moves == [] and result.candidates_tried == 0
    assert result.message.startswith(words)
    assert "\n" not in result.message
    treatment = {"schwannoma_porus_right": "resection first, with MVD of any vessel",
                 "aneurysm_pica_rexp_right": "treat the lesion: coiling, parent-artery "
                                             "occlusion or clipping",
                 "avm_rexp_right": "treat the lesion: nidus removal or embolisation"}
    assert treatment[scenario] in result.message


def test_the_tumours_pressure_on_cn7_is_the_solved_contact_force_over_its_area(case_of):
    """The bundled schwannoma, solved at systole, presses CN VII: its force over its
    contact area, and the solved nerve is displaced the 1.5 mm the scenario asks (the
    mass lies between the nerve's anchors, so the nerve bends round it)."""
    from mvd_sim.contact.analysis import analyze
    from mvd_sim.mechanics.simulate import settle
    from mvd_sim.surgery.causes import lesion_loads
    case = case_of("schwannoma_porus_right")
    state = settle(case.scene, level=1.0, materials=case.materials)
    (cn7,) = [load for load in lesion_loads(state) if load.nerve == "CN7"]
    assert cn7.force_mn > 0 and cn7.area_mm2 > 0
    assert cn7.pressure_kpa == pytest.approx(cn7.force_mn / cn7.area_mm2)
    (contact,) = [c for c in analyze(state.scene).contacts if c.nerve == "CN7"]
    assert contact.deviation_mm == pytest.approx(1.5, abs=0.05)


def test_a_lipoma_is_not_resected(scene_of):
    schwannoma = scene_of("schwannoma_porus_right").lesions["schwannoma"]
    lipoma = Lesion("lip", "lipoma", "tumour", dataclasses.replace(schwannoma.body,
                                                                   kind="lipoma"))
    text = lesion_refusal([lipoma], {})
    assert "lipoma encases the cranial nerves and is not resected" in text
    assert "does not touch CN VII" in text


def test_the_planner_cuts_a_tethering_band_before_the_pad(case_of):
    """The band holds the AICA on the nerve: the plan cuts it, then pads; the same pads
    with the band left uncut do not free CN VII."""
    case = case_of("arachnoid_band_aica_right")
    result = plan(case)
    assert result.feasible, result.message
    assert [m.kind for m in result.moves][:2] == ["band_division", "pad"]
    assert result.moves[0].band == "band1"
    assert result.message.startswith("cut the arachnoid band band1 tethering aica to CN VII")
    assert result.operation.cut_bands == ("band1",)
    pads_only = dataclasses.replace(result.operation, cut_bands=())
    assert not decompress(case, pads_only).decompressed
    assert decompress(case, result.operation).decompressed


def test_a_cut_band_leaves_the_operated_scene_and_model(case_of):
    case = case_of("arachnoid_band_aica_right")
    operated = operate(case.scene, Operation(cut_bands=("band1",)))
    assert operated.scene.bands == ()
    from mvd_sim.mechanics.simulate import build_model
    assert operated.model(build_model(case.scene)).band_springs == []
    assert len(build_model(case.scene).band_springs) == 1


def test_the_planner_transposes_a_dolichoectatic_va_rather_than_padding_it(case_of):
    result = plan(case_of("dolichoectatic_va_left"))
    assert result.feasible, result.message
    assert result.moves[0].kind == "transposition"
    assert result.message.startswith("dolichoectatic VA va: transposition with a sling to "
                                     "the petrous dura rather than pads")
    assert np.isfinite(result.predicted.after.worst_clearance_mm)


def test_the_operated_scenario_keeps_its_cut_band_as_cut(case_of, tmp_path):
    """The operated scenario lists the band and that it was cut (as ``divided:`` does for a
    vein); written and read back, its case's own operation cuts it, so the operated scene
    has no band."""
    import mvd_sim
    from mvd_sim.scenario import scenario_to_yaml
    from mvd_sim.surgery.postop import postop_spec
    case = case_of("arachnoid_band_aica_right")
    spec = postop_spec(case.spec, Operation(cut_bands=("band1",)))
    assert [b.id for b in spec.bands] == ["band1"] and spec.cut_bands == ["band1"]
    path = tmp_path / "band_postop.yaml"
    path.write_text(scenario_to_yaml(spec))
    again = mvd_sim.load_case(path)
    assert again.spec.cut_bands == ["band1"]
    operation = Operation.of_case(again)
    assert operation.cut_bands == ("band1",)
    assert operate(again.scene, operation).scene.bands == ()


@pytest.mark.parametrize("cut, message", [
    (["nope"], r"cut_bands\[0\]: 'nope' is not one of the case's arachnoid bands \(band1\)"),
    (["band1", "band1"], r"cut_bands\[1\]: 'band1' is already cut")])
def test_a_scenario_cutting_a_band_it_lacks_is_refused_in_one_line(case_of, cut, message):
    from mvd_sim.core.errors import ScenarioError
    from mvd_sim.scenario import parse_scenario
    data = case_of("arachnoid_band_aica_right").spec.model_dump(
        mode="json", by_alias=True, exclude_none=True)
    data["cut_bands"] = cut
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data, "band.yaml")


def test_cutting_a_band_the_case_lacks_is_refused_in_one_line(case_of):
    from mvd_sim.core.errors import ScenarioError
    with pytest.raises(ScenarioError, match="cut_bands: 'nope' is not one of the case's "
                                            "arachnoid bands"):
        operate(case_of("arachnoid_band_aica_right").scene, Operation(cut_bands=("nope",)))
