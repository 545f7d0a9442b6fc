"""Drawing exercises: each level's cases, reproducible by seed, written without the answer."""

from __future__ import annotations

import pytest

from support import drawn
from mvd_sim.core.errors import MvdSimError
from mvd_sim.exercise.generate import draw_exercise, truth_of


def test_an_easy_exercise_is_one_vessel_one_moderate_compression():
    report = drawn("easy", 0).report
    cn7 = [c for c in report.contacts if c.nerve == "CN7"]
    assert report.pattern == "single" and len(report.culprits) == 1
    assert [c.severity for c in cn7] == ["moderate"]


def test_a_hard_exercise_has_two_culprits_or_a_double_and_a_distractor():
    exercise = drawn("hard", 1)
    report = exercise.report
    assert report.pattern in ("double", "multivessel") or exercise.diagnosis["culprits"][1:]
    culprits = {c.vessel for c in report.culprits}
    assert any(c.nerve == "CN8" for c in report.contacts) or \
        any(r.vessel not in culprits for r in report.vessels_at_risk)


def test_the_same_seed_gives_the_same_exercise():
    again = draw_exercise("easy", 0)
    assert again.scenario_yaml == drawn("easy", 0).scenario_yaml
    assert truth_of(again.report) == truth_of(drawn("easy", 0).report)


def test_the_scenario_carries_geometry_only_under_neutral_ids():
    exercise = drawn("hard", 1)
    spec = exercise.spec
    assert spec.findings is None
    assert all(not v.compresses and v.points_mm for v in spec.vessels)
    assert [v.id for v in spec.vessels] == [f"v{k + 1}" for k in range(len(spec.vessels))]
    text = exercise.scenario_yaml
    for word in ("compresses", "findings", "segment", "culprit", "Drawn from", "AICA,"):
        assert word not in text


def test_the_answer_is_the_analysis_of_the_scenario_as_handed_out():
    import mvd_sim
    from mvd_sim.scenario import parse_scenario
    import yaml

    exercise = drawn("hard", 1)
    spec = parse_scenario(yaml.safe_load(exercise.scenario_yaml))
    rebuilt = mvd_sim.analyze(mvd_sim.Case.from_spec(spec, "again").scene)
    assert truth_of(rebuilt) == truth_of(exercise.report)


def test_an_unknown_level_is_refused_in_one_line():
    with pytest.raises(MvdSimError, match=r"^--level: 'expert' is not one of easy, standard, "
                                          r"hard$"):
        draw_exercise("expert", 0)
