"""Grading by the rubric: a perfect answer scores full marks, and each single mistake loses
exactly the points the rubric gives its items."""

from __future__ import annotations

import pytest

from support import drawn, opened
from mvd_sim.core.errors import ScenarioError
from mvd_sim.exercise.answer import parse_answer
from mvd_sim.exercise.grade import grade_answer, identification_items
from mvd_sim.exercise.rubric import FALSE_CULPRIT_PENALTY, RUBRIC, item, part_max
from mvd_sim.surgery.planner import plan


def _identification(report) -> dict:
    """The identification a perfect answer gives: the contact engine's own report."""
    return {"culprits": [c.vessel for c in report.culprits],
            "contacts": [{"vessel": c.vessel, "segment": c.segment, "severity": c.severity}
                         for c in report.contacts if c.nerve == "CN7"],
            "pattern": report.pattern}


def _scores(exercise, data: dict) -> dict[str, float]:
    types = {v.id: v.type for v in exercise.spec.vessels}
    answer = parse_answer(data, list(types))
    ex = opened(exercise)
    return {r.key: r.points for r in identification_items(ex.answer, answer, types)}


def _lost(exercise, data: dict) -> dict[str, float]:
    """Points lost, by item, against the maximum (items with none lost left out)."""
    return {k: pytest.approx(item(k).points - v) for k, v in _scores(exercise, data).items()
            if v < item(k).points - 1e-9}


def test_the_rubric_is_20_for_identification_and_25_for_the_operation():
    assert part_max("identification") == 20 and part_max("operation") == 25
    assert len({i.key for i in RUBRIC}) == len(RUBRIC)


def test_a_perfect_identification_scores_full_marks():
    for exercise in (drawn("easy", 0), drawn("hard", 1)):
        assert _lost(exercise, _identification(exercise.report)) == {}


def test_a_wrong_vessel_loses_its_share_and_the_false_culprit_penalty():
    exercise = drawn("hard", 1)   # the AICA (v3) at the RDP, pushed by the VA (v2)
    data = _identification(exercise.report)
    assert sorted(data["culprits"]) == ["v2", "v3"]
    data["culprits"] = ["v1", "v3"]   # the BA named instead of the VA
    assert _lost(exercise, data) == {"culprits": item("culprits").points / 2
                                     + FALSE_CULPRIT_PENALTY}


def test_a_missed_second_culprit_loses_its_share():
    exercise = drawn("hard", 1)
    data = _identification(exercise.report)
    data["culprits"].remove("v2")
    assert _lost(exercise, data) == {"culprits": item("culprits").points / 2}


def test_a_wrong_segment_or_severity_or_pattern_loses_that_items_share():
    exercise = drawn("hard", 1)
    n = len(_identification(exercise.report)["contacts"])
    for field, wrong, key in (("segment", "CP", "segment"), ("severity", "mild", "severity")):
        data = _identification(exercise.report)
        assert data["contacts"][0][field] != wrong
        data["contacts"][0][field] = wrong
        assert _lost(exercise, data) == {key: item(key).points / n}
    data = _identification(exercise.report)
    data["pattern"] = "single" if data["pattern"] != "single" else "double"
    assert _lost(exercise, data) == {"pattern": item("pattern").points}


def test_a_missed_contact_loses_its_segment_and_severity_shares():
    exercise = drawn("hard", 1)
    data = _identification(exercise.report)
    n = len(data["contacts"])
    data["contacts"].pop()
    assert _lost(exercise, data) == {"segment": item("segment").points / n,
                                     "severity": item("severity").points / n}


def test_the_culprits_item_never_goes_below_zero():
    exercise = drawn("easy", 0)
    data = _identification(exercise.report)
    data["culprits"] = ["v1", "v2"]
    assert _scores(exercise, data)["culprits"] == 0.0


# -- the operation: the trainee's own pads simulated through the pulse ---------------------

@pytest.fixture(scope="module")
def easy():
    """Easy exercise 0 (one PICA, v3, at the attached segment, from caudal) and the
    planner's pads for it."""
    exercise = drawn("easy", 0)
    planned = plan(exercise.case)
    assert planned.feasible and planned.rez_spared
    pads = [m.sponge.model_dump(mode="json", exclude_none=True) for m in planned.moves]
    return exercise, pads


def _operation_lost(exercise, pads: list[dict]) -> tuple[dict[str, float], object]:
    data = {**_identification(exercise.report), "pads": pads}
    grade = grade_answer(opened(exercise), parse_answer(data, [v.id for v in
                                                               exercise.spec.vessels]))
    assert grade.score("identification") == 20
    return {r.key: pytest.approx(r.max_points - r.points) for r in grade.items
            if not r.full}, grade


def test_a_perfect_answer_scores_full_marks(easy):
    exercise, pads = easy
    lost, grade = _operation_lost(exercise, pads)
    assert lost == {} and grade.status == "decompressed"
    assert grade.score() == 45 and grade.errors == []


def test_a_pad_too_small_to_decompress_loses_the_decompression(easy):
    exercise, pads = easy
    small = [{**pads[0], "diameter_mm": 1.0}]
    lost, grade = _operation_lost(exercise, small)
    assert lost == {"decompressed": item("decompressed").points}
    assert "v3 still touches CN VII" in grade.errors[0]


def test_a_pad_on_the_wrong_vessel_loses_the_culprit_item_and_the_decompression(easy):
    exercise, pads = easy
    wrong = [{**pads[0], "vessel": "v2", "vessel_s_mm": 20.0}]   # under the VA
    lost, grade = _operation_lost(exercise, wrong)
    assert lost == {"on_culprits": item("on_culprits").points,
                    "decompressed": item("decompressed").points}
    assert "pad 1 holds off v2 (VA), not a culprit" in grade.errors


def test_a_pad_on_the_wrong_side_of_the_nerve_loses_the_side_and_the_decompression(easy):
    exercise, _ = easy
    contact = next(c for c in exercise.report.contacts if c.nerve == "CN7")
    assert contact.side == "caudal"
    wrong = [{"vessel": "v3", "s_mm": round(contact.s_deepest_mm + 1.0, 1),
              "diameter_mm": 1.0, "side": "anterior"}]
    lost, grade = _operation_lost(exercise, wrong)
    assert lost == {"pad_side": item("pad_side").points,
                    "decompressed": item("decompressed").points}


def test_an_extra_pad_on_a_bystander_loses_the_culprit_and_fewest_moves_items(easy):
    exercise, pads = easy
    extra = pads + [{"vessel": "v2", "vessel_s_mm": 20.0, "diameter_mm": 2.0,
                     "seat": "brainstem"}]
    lost, _ = _operation_lost(exercise, extra)
    assert lost == {"on_culprits": item("on_culprits").points,
                    "fewest_moves": item("fewest_moves").points}


def test_no_move_scores_nothing_for_the_operation():
    exercise = drawn("easy", 0)
    lost, grade = _operation_lost(exercise, [])
    assert grade.score("operation") == 0 and len(lost) == 8


def test_a_pad_that_cannot_be_placed_is_refused_naming_the_answer_field():
    exercise = drawn("easy", 0)
    data = {**_identification(exercise.report),
            "pads": [{"vessel": "v3", "s_mm": 2.0, "diameter_mm": 2.0, "side": "rostral"}]}
    answer = parse_answer(data, [v.id for v in exercise.spec.vessels])
    with pytest.raises(ScenarioError, match=r"^answer.yaml: pads\[0\]: .* inside the "
                                            r"brainstem"):
        grade_answer(opened(exercise), answer)


def test_an_answer_naming_an_unknown_vessel_is_refused_in_one_line():
    with pytest.raises(ScenarioError, match=r"^a.yaml: culprits\[0\]: 'v9' is not one of the "
                                            r"exercise's vessels \(v1, v2\)$"):
        parse_answer({"culprits": ["v9"], "pattern": "single"}, ["v1", "v2"], "a.yaml")
    with pytest.raises(ScenarioError, match=r"^a.yaml: contacts\[0\].segment: "):
        parse_answer({"contacts": [{"vessel": "v1", "segment": "REZ", "severity": "mild"}],
                      "pattern": "single"}, ["v1"], "a.yaml")


def test_dividing_a_bystander_vein_loses_the_veins_item():
    """Sampled cases hold veins only as culprits; the atlas case's vein touches nothing."""
    from pathlib import Path

    import mvd_sim
    from mvd_sim.exercise.folder import OpenExercise
    from mvd_sim.exercise.generate import truth_of
    from mvd_sim.exercise.grade import operation_items

    case = mvd_sim.load_case("atlas_default_right")
    truth = truth_of(mvd_sim.analyze(case.scene))
    assert truth["culprits"] == []
    opened_atlas = OpenExercise(Path("."), case, {}, {"answer": truth})
    answer = parse_answer({"pattern": "none", "divided": ["vein"]},
                          [v.id for v in case.spec.vessels])
    items, report, _ = operation_items(opened_atlas, answer)
    lost = {r.key for r in items if not r.full}
    assert lost == {"vein_spared", "fewest_moves"}
    assert report.status == "decompressed"


def test_a_pad_given_by_segment_goes_to_the_segments_centre():
    exercise = drawn("easy", 0)
    landmarks = exercise.case.scene.landmarks
    ids = [v.id for v in exercise.spec.vessels]
    answer = parse_answer({"pattern": "single", "pads": [{"vessel": "v3", "segment": "CP",
                                                           "diameter_mm": 1.0}]}, ids,
                          landmarks=landmarks)
    assert answer.pads[0].s_mm == pytest.approx(landmarks["CN7"].segment_centre("CP"), abs=1e-3)
    with pytest.raises(ScenarioError, match=r"^a.yaml: pads\[0\].segment: give one of segment, "
                                            r"s_mm or vessel_s_mm$"):
        parse_answer({"pattern": "single", "pads": [{"segment": "AS", "s_mm": 2.0,
                                                     "diameter_mm": 1.0}]}, ids, "a.yaml",
                     landmarks)
    with pytest.raises(ScenarioError, match=r"pads\[0\].segment: 'REZ' is not one of RExP"):
        parse_answer({"pattern": "single", "pads": [{"segment": "REZ", "diameter_mm": 1.0}]},
                     ids, "a.yaml", landmarks)


def test_naming_the_near_miss_as_a_culprit_loses_the_false_culprit_penalty():
    exercise = drawn("hard", 1)
    near = exercise.diagnosis["near_miss"]
    data = _identification(exercise.report)
    data["culprits"].append(near)
    assert _lost(exercise, data) == {"culprits": FALSE_CULPRIT_PENALTY}
    types = {v.id: v.type for v in exercise.spec.vessels}
    culprits = identification_items(opened(exercise).answer,
                                     parse_answer(data, list(types)), types)[0]
    assert culprits.errors == (f"{near} (vein) named as a culprit: it comes within "
                               f"{exercise.report.vessels_at_risk[0].min_separation_mm:.2f} mm "
                               f"of CN VII without touching it, a near miss (-2)",)
