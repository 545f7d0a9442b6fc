"""The automatic sponge planner: single and multivessel plans, and the no-plan answer."""

import dataclasses

import pytest

from mvd_sim.core.materials import Materials
from mvd_sim.surgery.planner import NERVE_STRESS_LIMIT_KPA, plan


@pytest.fixture(scope="module")
def multivessel(case_of):
    return plan(case_of("multi_aica_pica_right"))


def test_single_compression_needs_one_small_pad(case_of):
    result = plan(case_of("aica_as_moderate_right"))
    assert result.feasible and result.predicted.decompressed
    (step,) = result.steps
    assert step.vessel == "aica" and step.segment == "AS"
    assert step.sponge.diameter_mm == 1.0  # the smallest pad size (0.5-1.5 x the AICA's)
    assert step.pressure_kpa < NERVE_STRESS_LIMIT_KPA


def test_multivessel_case_pads_every_culprit(multivessel):
    assert multivessel.feasible and multivessel.predicted.decompressed
    assert {s.vessel for s in multivessel.steps} == {"aica", "pica"}
    assert multivessel.predicted.after.contacts == []
    # worst first: both are moderate; the root exit zone contact (pica at the RExP) leads
    assert multivessel.steps[0].vessel == "pica"


def test_chain_vessel_is_mobilised_first(case_of):
    result = plan(case_of("va_pushes_aica_right"))
    assert result.mobilise_first == ["va"]


def test_nothing_to_do_without_contact(case_of):
    result = plan(case_of("near_miss_control_right"))
    assert result.feasible and result.steps == [] and "nothing to decompress" in result.message


def test_a_vessel_held_too_firmly_needs_transposition(case_of):
    """With the arachnoid holding the VA 1000x more firmly, no pad moves it off the nerve
    without over-pressing it: the planner says so and names the alternative."""
    case = case_of("va_as_severe_left")
    result = plan(dataclasses.replace(case, materials=Materials(arachnoid_push_mn_per_mm=1000.0)))
    assert not result.feasible
    assert "no sponge plan" in result.message and "transposing va" in result.message


def test_load_plan_refuses_bad_files(tmp_path):
    from mvd_sim.core.errors import MvdSimError
    from mvd_sim.surgery.planner import load_plan

    with pytest.raises(MvdSimError, match="not a regular file"):
        load_plan(tmp_path)
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(MvdSimError, match="empty.json: \\(top level\\)"):
        load_plan(tmp_path / "empty.json")


def test_the_search_stops_at_its_budget_and_says_so(case_of, monkeypatch):
    """multi_aica_pica_right needs 6 candidates; with a budget of 2 the plan stops there."""
    import mvd_sim.surgery.planner

    monkeypatch.setattr(mvd_sim.surgery.planner, "MAX_CANDIDATES", 2)
    result = plan(case_of("multi_aica_pica_right"))
    assert not result.feasible and result.candidates_tried == 2
    assert "budget of 2 candidate pads" in result.message


def test_the_search_reports_its_progress(case_of, caplog):
    with caplog.at_level("INFO", logger="mvd_sim"):
        result = plan(case_of("aica_as_moderate_right"))
    candidates = [r.getMessage() for r in caplog.records if r.name == "mvd_sim.surgery.planner"]
    assert len(candidates) == result.candidates_tried
    assert candidates[0].startswith("plan: candidate 1 of at most 48, a 1 mm ball for aica")
    assert any(r.name == "mvd_sim.mechanics.solver" for r in caplog.records)
    assert any(r.name == "mvd_sim.mechanics.sweep" for r in caplog.records)
