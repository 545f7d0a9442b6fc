"""The planner: the moves a surgeon would choose, in their order of preference, checked
through the pulse; and its answer when no move frees the nerve."""

import dataclasses
import re

import pytest

import mvd_sim
from mvd_sim.core.materials import Materials
from mvd_sim.surgery.decompress import NERVE_PRESSURE_LIMIT_KPA
from mvd_sim.surgery.planner import _options, _Target, plan


@pytest.fixture(scope="module")
def multivessel(case_of):
    return plan(case_of("multi_aica_pica_right"))


def test_a_single_compression_gets_a_pad_away_from_the_nerve(case_of):
    """The AICA grooving the attached segment: a pad between it and the brainstem frees the
    nerve, and the REZ carries no felt."""
    result = plan(case_of("aica_as_moderate_right"))
    assert result.feasible and result.predicted.status == "decompressed"
    (move,) = result.moves
    assert (move.kind, move.vessel, move.segment) == ("pad", "aica", "AS")
    assert move.sponge.seat != "nerve" and not move.on_rez and result.rez_spared
    assert move.pressure_kpa < NERVE_PRESSURE_LIMIT_KPA
    assert all(c.passed for c in result.predicted.checks)


def test_a_multivessel_case_moves_every_culprit(multivessel):
    assert multivessel.feasible and multivessel.predicted.decompressed
    assert {m.vessel for m in multivessel.moves} == {"aica", "pica"}
    assert multivessel.predicted.after.contacts == []
    # worst first: both are moderate; the root exit zone contact (pica at the RExP) leads
    assert multivessel.moves[0].vessel == "pica"
    assert multivessel.operation.pads == tuple(m.sponge for m in multivessel.moves)


def test_a_severe_va_is_transposed_first(case_of):
    """va_as_severe_left: a VA built severe (deviating the nerve) is transposed with a sling
    tied to the petrous dura; the transposed course is solved and frees the nerve."""
    result = plan(case_of("va_as_severe_left"))
    (move,) = result.moves
    assert move.kind == "transposition" and move.vessel == "va"
    assert move.transposition.anchor == "petrous"
    assert result.feasible and result.predicted.status == "decompressed"
    (sling,) = result.predicted.transpositions
    assert sling.displacement_mm == pytest.approx(move.transposition.distance_mm, rel=0.1)
    assert result.rez_spared


def test_the_chain_vessel_is_named_to_be_mobilised_first(case_of):
    result = plan(case_of("va_pushes_aica_right"))
    assert result.mobilise_first == ["va"]


def test_nothing_to_do_without_contact(case_of):
    """A near miss (the AICA within the at-risk margin, not touching): no operation."""
    result = plan(case_of("near_miss_control_right"))
    assert result.feasible and result.moves == [] and "nothing to decompress" in result.message


def test_the_order_of_moves_by_vessel(case_of):
    """Veins: pads (mobilised), then division; a severe VA: a sling first; other arteries:
    pads away from the nerve, pads on it, then a sling."""
    def first_move(family) -> str:
        move = next(family)[1]
        if move.sponge is None:
            return move.kind
        return "pad:" + ("nerve" if move.sponge.seat == "nerve" else "away")

    def families(case, vessel, severity):
        target = _Target(vessel, "AS", 5.0, severity)
        return [first_move(family) for family in _options(case, target, mvd_sim.Operation())]

    assert families(case_of("vein_rexp_mild_right"), "vein", "mild") == \
        ["pad:away", "pad:nerve", "division"]
    va = case_of("va_as_severe_left")
    assert families(va, "va", "severe")[0] == "transposition"
    assert families(va, "va", "moderate")[-1] == "transposition"
    assert families(case_of("aica_as_moderate_right"), "aica", "moderate") == \
        ["pad:away", "pad:nerve", "transposition"]


def test_a_vessel_held_too_firmly_gets_no_plan(case_of):
    """With the arachnoid holding the VA 1000x more firmly, neither a pad nor a sling frees
    the nerve within the limits: the planner says so and names what it tried."""
    case = case_of("va_as_severe_left")
    result = plan(dataclasses.replace(case, materials=Materials(arachnoid_push_mn_per_mm=1000.0)))
    assert not result.feasible
    assert result.message.startswith("no plan: pads of") and "nor a sling" in result.message


def test_the_search_stops_at_its_budget_and_says_so(case_of, monkeypatch):
    import mvd_sim.surgery.planner

    monkeypatch.setattr(mvd_sim.surgery.planner, "MAX_CANDIDATES", 2)
    result = plan(case_of("multi_aica_pica_right"))
    assert not result.feasible and result.candidates_tried == 2
    assert "budget of 2 candidate moves" in result.message


def test_the_search_reports_its_progress(case_of, caplog):
    with caplog.at_level("INFO", logger="mvd_sim"):
        result = plan(case_of("aica_as_moderate_right"))
    candidates = [r.getMessage() for r in caplog.records if r.name == "mvd_sim.surgery.planner"]
    assert len(candidates) == result.candidates_tried
    # the smallest pad for the (tapered) AICA where it presses, away from the nerve first
    assert re.match(r"plan: candidate 1 of at most 160, a [0-9.]+ mm ball between aica and "
                    r"the brainstem", candidates[0])
    assert any(r.name == "mvd_sim.mechanics.solver" for r in caplog.records)
    assert any(r.name == "mvd_sim.mechanics.sweep" for r in caplog.records)


def test_load_plan_refuses_bad_files(tmp_path):
    from mvd_sim.core.errors import MvdSimError
    from mvd_sim.surgery.planner import load_plan

    with pytest.raises(MvdSimError, match="not a regular file"):
        load_plan(tmp_path)
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(MvdSimError, match="empty.json: \\(top level\\)"):
        load_plan(tmp_path / "empty.json")



def test_a_pad_that_holds_nothing_is_not_solved_and_would_change_nothing(case_of):
    """The planner skips, unsolved, a pad touching no vessel or nerve where the case lies;
    solved anyway, it leaves every vessel where it was (the prune is exact)."""
    import numpy as np

    from mvd_sim.core.errors import ScenarioError
    from mvd_sim.surgery.decompress import settle_postop
    from mvd_sim.surgery.operation import operate
    from mvd_sim.surgery.planner import _Evaluator, _idle, _pad_options, _targets, site_clearance

    # (double_pica_aica_left's AICA, placed from the side asked, leaves no idle pad)
    case = case_of("multi_aica_pica_right")
    evaluate = _Evaluator(case)
    target = _targets(evaluate.before_report, False, {})[0]
    idle = []
    for operation, _, what in _pad_options(case, target, mvd_sim.Operation(), away=True):
        try:
            operated = operate(case.scene, operation)
        except ScenarioError:
            continue
        if _idle(operated.sponges[-1], evaluate.before.scene):
            idle.append((operation, operated, what))
    assert idle
    operation, operated, what = idle[0]
    assert evaluate(operation, what, evaluate.before) == "holds nothing"
    assert evaluate.tried == 0
    state = settle_postop(operated.scene, evaluate.model, operated.model(evaluate.model),
                          operated.holds_off, evaluate.before, 1.0)
    assert site_clearance(state.scene, target) == pytest.approx(
        site_clearance(evaluate.before.scene, target), abs=1e-6)
    for name, tube in evaluate.before.scene.vessels.items():
        np.testing.assert_allclose(state.scene.vessels[name].points, tube.points, atol=1e-6)


def test_a_shortfall_through_the_pulse_asks_more_at_systole(case_of, monkeypatch, caplog):
    """Where the pulse alone takes a vessel inside the margin, the search runs once more,
    asking that shortfall (plus the allowance) over the margin at systole."""
    import mvd_sim.surgery.planner as planner

    case = case_of("aica_as_moderate_right")
    plain = plan(case)
    calls = []

    def shortfall(report, margin_mm):
        calls.append(report.after.worst_clearance_mm)
        return 0.3

    monkeypatch.setattr(planner, "_pulse_shortfall", shortfall)
    with caplog.at_level("INFO", logger="mvd_sim.surgery.planner"):
        again = plan(case)
    assert len(calls) == 2  # the second search's answer is final, shortfall or not
    assert any("searching again for 0.320 mm more" in r.getMessage() for r in caplog.records)
    assert again.candidates_tried > plain.candidates_tried
    assert again.feasible and again.predicted.after.worst_clearance_mm > \
        plain.predicted.after.worst_clearance_mm


def test_the_pulse_shortfall_is_only_a_near_miss(case_of):
    """The search is repeated only when CN VII's freedom alone fails and no vessel touches."""
    from mvd_sim.surgery.planner import _pulse_shortfall

    report = plan(case_of("aica_as_moderate_right")).predicted

    def with_(worst, failing):
        checks = [c.model_copy(update={"passed": c.name not in failing}) for c in report.checks]
        after = report.after.model_copy(update={"worst_clearance_mm": worst})
        return report.model_copy(update={"checks": checks, "after": after})

    assert _pulse_shortfall(with_(0.45, {"cn7_free"}), 0.5) == pytest.approx(0.05)
    assert _pulse_shortfall(with_(0.6, set()), 0.5) is None
    assert _pulse_shortfall(with_(-0.1, {"cn7_free"}), 0.5) is None
    assert _pulse_shortfall(with_(0.45, {"cn7_free", "cn8_spared"}), 0.5) is None


def test_a_sling_is_tried_along_the_vessel(case_of):
    """Slings are tied at the vessel's closest point to CN VII and then 2 and 4 mm either
    side of it, the shortest distance first."""
    from mvd_sim.surgery.planner import SLING_OFFSETS_MM, TRANSPOSE_DISTANCES_MM, _sling_options

    case = case_of("va_as_severe_left")
    slings = [move.transposition for _, move, _ in
              _sling_options(case, _Target("va", "AS", 5.0, "severe"), mvd_sim.Operation())]
    assert len(slings) == len(TRANSPOSE_DISTANCES_MM) * len(SLING_OFFSETS_MM)
    assert [s.distance_mm for s in slings] == sorted(s.distance_mm for s in slings)
    arcs = [s.vessel_s_mm for s in slings[:len(SLING_OFFSETS_MM)]]
    assert [round(a - arcs[0], 3) for a in arcs] == list(SLING_OFFSETS_MM)
