"""Decompression through the pulse: verdicts, pad loads, sampling, no interpenetration."""

import dataclasses

import numpy as np
import pytest

import mvd_sim
import mvd_sim.mechanics.sweep as pulse_sweep
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.operation import Operation
from mvd_sim.scenario import SpongeSpec, TranspositionSpec

CASE = "aica_as_moderate_right"
PAD = SpongeSpec(diameter_mm=2.0, s_mm=3.5, vessel="aica")


@pytest.fixture(scope="module")
def padded(case_of):
    return decompress_states(case_of(CASE), Operation(pads=[PAD]))


def test_a_pad_at_the_contact_frees_the_nerve(padded):
    report, before, after = padded
    assert [(c.vessel, c.segment) for c in report.before.contacts] == [("aica", "AS")]
    assert report.decompressed and report.after.contacts == []
    assert "clears CN VII by at least 0.5 mm through the whole pulse" in report.reasons[0]
    aica = next(v for v in report.vessels if v.vessel == "aica")
    assert aica.clearance_before_mm < 0 < mvd_sim.SeverityThresholds().contact_mm \
        < aica.clearance_after_mm
    assert aica.displacement_after_mm > aica.displacement_before_mm
    assert report.after.worst_clearance_mm == pytest.approx(aica.clearance_after_mm)


def test_pad_load_on_the_root_exit_zone_is_reported(padded):
    report, _, _ = padded
    (pad,) = report.sponges
    assert pad.holds_off == "aica" and pad.on_rez
    assert pad.nerve_force_mn > 0 and pad.nerve_contact_area_mm2 > 0
    assert pad.nerve_pressure_kpa == pytest.approx(pad.nerve_force_mn
                                                   / pad.nerve_contact_area_mm2)
    assert any("root exit zone" in w for w in report.warnings)
    assert 0 < pad.max_overlap_mm


def test_no_interpenetration_beyond_the_compliant_layers(padded):
    _, before, after = padded
    for state in (before, after):
        contacts = state.solution.contacts
        beyond = -contacts.gap - contacts.capacity
        assert beyond.max(initial=-1.0) <= 0.01
        assert state.solution.residual < 1e-6


def test_finer_phase_sampling_gives_the_same_verdict(padded, case_of, monkeypatch):
    report, _, _ = padded
    monkeypatch.setattr(pulse_sweep, "DENSE_PHASES", 4 * pulse_sweep.DENSE_PHASES)
    finer, _, _ = decompress_states(case_of(CASE), Operation(pads=[PAD]))
    assert finer.before.phases_sampled >= 4 * 64
    assert finer.decompressed == report.decompressed
    assert finer.after.worst_clearance_mm == pytest.approx(report.after.worst_clearance_mm,
                                                           abs=pulse_sweep.CLEARANCE_TOL_MM)
    assert finer.before.worst_clearance_mm == pytest.approx(
        report.before.worst_clearance_mm, abs=pulse_sweep.CLEARANCE_TOL_MM)


def test_a_sweep_started_near_systole_agrees_in_fewer_steps(padded, case_of):
    # the planner starts the closing decompression's sweep of the case from its own
    # systolic solve: the same verdict and clearances within the solver's tolerance, and
    # the top of the pulse (here the worst phase) settled in fewer Newton steps
    from mvd_sim.mechanics.simulate import settle
    report, before, _ = padded
    case = case_of(CASE)
    systole = settle(case.scene, level=1.0, materials=case.materials)
    near, near_before, _ = decompress_states(case, Operation(pads=[PAD]),
                                             near=systole.solution.u)
    assert near.status == report.status
    assert near.after.worst_clearance_mm == pytest.approx(report.after.worst_clearance_mm,
                                                          abs=1e-3)
    assert near.before.worst_clearance_mm == pytest.approx(
        report.before.worst_clearance_mm, abs=1e-3)
    assert near_before.level == before.level
    assert near_before.solution.iterations < before.solution.iterations


def test_the_worst_phase_is_systole_for_a_compressing_artery(padded):
    report, _, _ = padded
    assert report.before.worst_phase == pytest.approx(mvd_sim.mechanics.pulse.SYSTOLE, abs=0.02)


def test_a_pad_in_the_wrong_place_does_not_decompress(case_of):
    report, _, _ = decompress_states(case_of(CASE), Operation(pads=[
        SpongeSpec(diameter_mm=2.0, s_mm=15.0, vessel="aica")]))
    assert not report.decompressed
    assert report.reasons[0].startswith("aica still touches CN VII at the AS")


def test_settled_case_keeps_its_graded_compression(padded):
    """Settling the described case (before any pad) leaves a physical indentation the
    contact engine grades as the scenario does; the nerve is displaced, if little."""
    _, before, _ = padded
    graded = mvd_sim.analyze(before.scene)
    (contact,) = [c for c in graded.contacts if c.nerve == "CN7"]
    assert (contact.vessel, contact.segment, contact.severity) == ("aica", "AS", "moderate")
    assert contact.indentation_mm > mvd_sim.SeverityThresholds().indentation_mm
    moved = np.linalg.norm(before.scene.nerves["CN7"].points
                           - before.scene.rest_nerves["CN7"].points, axis=1)
    assert 0 < moved.max() < 0.5


def test_a_pad_pushes_only_what_it_lies_between(case_of):
    """The pad's faces fix the side of its vessel and its nerve only: the other nerve, whose
    root lies nearby, is neither pulled through the pad nor displaced by it."""
    report, before, after = decompress_states(
        case_of("multi_aica_pica_right"), Operation(pads=[SpongeSpec(diameter_mm=2.0, s_mm=4.3,
                                                                     vessel="aica")]))
    moved = np.linalg.norm(after.scene.nerves["CN8"].points
                           - after.scene.rest_nerves["CN8"].points, axis=1)
    assert moved.max() < 0.1
    assert not any(c.vessel == "aica" for c in report.after.contacts)


def test_no_vessel_no_pad(case_of):
    import dataclasses

    case = case_of(CASE)
    bare = dataclasses.replace(case, scene=dataclasses.replace(case.scene, vessels={}))
    report, _, _ = decompress_states(bare, Operation())
    assert report.decompressed and report.reasons == ["the scene has no tube vessel to "
                                                      "decompress"]
    with pytest.raises(mvd_sim.ScenarioError, match="no vessel for a sponge"):
        decompress_states(bare, Operation(pads=[SpongeSpec(diameter_mm=2.0, s_mm=5.0)]))


def test_a_move_that_lays_a_vessel_on_cn8_is_decompression_at_a_cost(case_of):
    """aica_cp_mild_right: a sling lifting the AICA 3 mm toward the tentorium frees CN VII,
    but its loop, pivoting about the porus, comes down on CN VIII, which lies apposed below
    and behind VII (a pad between vessel and nerve pushes it away from both): the verdict
    says so, and does not call it decompressed."""
    sling = TranspositionSpec(vessel="aica", vessel_s_mm=20.0, distance_mm=3.0,
                              anchor="tentorium")
    report, _, _ = decompress_states(case_of("aica_cp_mild_right"),
                                     Operation(transpositions=[sling]))
    checks = {c.name: c for c in report.checks}
    assert checks["cn7_free"].passed and not checks["cn8_spared"].passed
    assert report.status == "decompressed_at_a_cost" and not report.decompressed
    assert report.before.cn8_contacts == []
    assert [c.vessel for c in report.after.cn8_contacts] == ["aica"]
    assert report.reasons == [checks["cn8_spared"].text]
    assert checks["cn8_spared"].text.startswith("aica now touches CN VIII at the CP")


def test_free_means_the_at_risk_margin(case_of):
    """A vessel kept off CN VII but within the at-risk margin is not free; with a smaller
    margin the same operation passes (one threshold for analyze and the verdict)."""
    case = case_of(CASE)
    report, _, _ = decompress_states(case, Operation(pads=[PAD]))
    clearance = report.after.worst_clearance_mm
    stricter = case.with_thresholds(mvd_sim.SeverityThresholds(near_miss_mm=clearance + 0.1))
    strict, _, _ = decompress_states(stricter, Operation(pads=[PAD]))
    assert report.status == "decompressed"
    assert strict.status == "not_decompressed"
    assert "at risk (free means at least" in strict.reasons[0]


def test_the_case_as_built_keeps_its_grade(case_of):
    """aica_as_severe_right is built severe (the nerve deviated); the settled state relaxes
    the deviation (the model's known limit), and the report shows both, labelled."""
    case = case_of("aica_as_severe_right")
    pad = SpongeSpec(diameter_mm=2.0, s_mm=mvd_sim.analyze(case.scene).contacts[0].s_deepest_mm,
                     vessel="aica")
    report, _, _ = decompress_states(case, Operation(pads=[pad]))
    (built,) = [c for c in report.as_built.contacts if c.nerve == "CN7"]
    assert built.severity == "severe" and built.deviation_mm >= 0.5
    assert report.as_built.nerve_deviation_mm >= 0.5
    assert report.as_built.contacts == mvd_sim.analyze(case.scene, case.thresholds).contacts


def test_a_pad_pressing_the_nerve_too_hard_is_a_cost_of_its_own(case_of):
    """With the arachnoid holding the VA 1000 times more firmly, a pad at the contact presses
    CN VII far beyond the limit: the verdict names it as its own reason."""
    case = dataclasses.replace(case_of("va_as_severe_left"),
                               materials=mvd_sim.Materials(arachnoid_push_mn_per_mm=1000.0))
    contact = mvd_sim.analyze(case.scene).contacts[0]
    pad = SpongeSpec(diameter_mm=2.0, s_mm=contact.s_deepest_mm, vessel="va")
    report, _, _ = decompress_states(case, Operation(pads=[pad]))
    checks = {c.name: c for c in report.checks}
    from mvd_sim.surgery.decompress import NERVE_PRESSURE_LIMIT_KPA

    (load,) = [load for load in report.sponges[0].loads if load.body == "CN7"]
    assert load.pressure_kpa > NERVE_PRESSURE_LIMIT_KPA
    assert not checks["nerve_pressure"].passed
    assert checks["nerve_pressure"].text == (f"pad sponge1 presses CN VII with "
                                             f"{load.pressure_kpa:.1f} kPa (limit 25 kPa)")
    assert checks["brainstem_pressure"].passed
