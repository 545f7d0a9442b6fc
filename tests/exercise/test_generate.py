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


def test_a_severe_case_carries_its_deviated_nerve_and_grades_severe_rebuilt():
    """Hard 1: a PICA deviating CN VII at the attached segment (severe), pushed by the VA.
    The scenario carries CN VII as it lies; without it the same vessels grade moderate."""
    import yaml

    import mvd_sim
    from mvd_sim.scenario import parse_scenario

    exercise = drawn("hard", 1)
    severities = [c.severity for c in exercise.report.contacts if c.nerve == "CN7"]
    assert "severe" in severities
    data = yaml.safe_load(exercise.scenario_yaml)
    assert list(data["anatomy"]["displaced_nerves"]) == ["CN7"]
    rebuilt = mvd_sim.analyze(mvd_sim.Case.from_spec(parse_scenario(data), "again").scene)
    assert truth_of(rebuilt) == truth_of(exercise.report)
    del data["anatomy"]["displaced_nerves"]
    at_rest = mvd_sim.analyze(mvd_sim.Case.from_spec(parse_scenario(data), "rest").scene)
    assert "severe" not in [c.severity for c in at_rest.contacts if c.nerve == "CN7"]


def test_standard_and_hard_ask_for_a_severe_case_in_about_their_share_of_seeds():
    from mvd_sim.exercise.generate import SEVERE_SHARE, wants_severe

    for level in ("standard", "hard"):
        share = sum(wants_severe(level, seed) for seed in range(2000)) / 2000
        assert abs(share - SEVERE_SHARE[level]) < 0.03
    assert not any(wants_severe("easy", seed) for seed in range(200))


def test_a_standard_seed_that_asks_for_a_severe_case_gets_one():
    from mvd_sim.exercise.generate import wants_severe

    seed = next(s for s in range(100) if wants_severe("standard", s))
    report = draw_exercise("standard", seed).report
    assert "severe" in [c.severity for c in report.contacts if c.nerve == "CN7"]


def test_a_hard_exercise_carries_a_near_miss_that_is_no_culprit():
    """Hard 1's vein (v4) is added near CN VII without touching anything."""
    from mvd_sim.exercise.generate import distractors

    exercise = drawn("hard", 1)
    report = exercise.report
    near = exercise.diagnosis["near_miss"]
    assert near == "v4" and distractors(report) == [near]
    at_risk = next(r for r in report.vessels_at_risk if r.vessel == near)
    assert 0.0 < at_risk.min_separation_mm <= report.thresholds_mm["near_miss"]
    assert near not in {c.vessel for c in report.culprits}
    assert near not in {c.vessel for c in report.contacts}
    assert all(near not in (v.vessel_a, v.vessel_b) for v in report.vessel_contacts)
