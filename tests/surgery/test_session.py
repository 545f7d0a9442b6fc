"""The planning session behind ``mvd-sim serve``: pads placed at vessel points, the verdict
through the pulse, the phase shown, undo by keeping the session before."""

import numpy as np
import pytest

import mvd_sim
from mvd_sim.core.geometry.closest import closest_approach
from mvd_sim.mechanics.pulse import SYSTOLE
from mvd_sim.surgery.planner import pad_sizes
from mvd_sim.surgery.session import Session

CASE = "aica_as_moderate_right"


@pytest.fixture(scope="module")
def start(case_of):
    return Session.start(case_of(CASE))


def _contact_point(session: Session) -> tuple[np.ndarray, float]:
    """The AICA's centerline point where it comes closest to CN VII in the scene shown, and
    its arc length there."""
    aica, nerve = session.scene.vessels["aica"], session.scene.nerves["CN7"]
    s = closest_approach(aica.points, nerve.points, aica.radius, nerve.radius).arc_a
    return aica.point_at(s), s


@pytest.fixture(scope="module")
def padded(start):
    point, _ = _contact_point(start)
    return start.with_pad_at("aica", point)


def test_the_case_starts_compressed(start):
    assert start.pads == () and start.phase == 0.0
    assert start.verdict.startswith("Not decompressed: aica still touches CN VII at the AS")
    assert not start.report.decompressed


def test_a_pad_where_the_vessel_touches_cn7_decompresses(start, padded):
    _, s = _contact_point(start)
    (pad,) = padded.pads
    assert (pad.id, pad.vessel, pad.seat, pad.nerve, pad.side) == \
        ("pad1", "aica", "nerve", "CN7", "vessel")
    built = start.case.scene.vessels["aica"]
    # the clicked arc length, carried to the vessel as built by the ratio of the lengths
    assert pad.vessel_s_mm == pytest.approx(
        s * built.length_mm / start.scene.vessels["aica"].length_mm, abs=1e-3)
    assert pad.diameter_mm == pad_sizes(2.0 * float(built.radius_at(pad.vessel_s_mm)))[0]
    assert padded.report.decompressed
    assert padded.verdict.startswith("Decompressed: every vessel clears CN VII by at least")
    assert padded.verdict.endswith(f"{padded.report.reasons[0]}")
    assert len(padded.scene.sponges) == 1
    assert start.pads == ()  # the session before is unchanged: the undo


def test_the_pad_is_where_the_api_puts_it(start, padded):
    from mvd_sim.surgery.decompress import decompress
    from mvd_sim.surgery.operation import Operation

    report = decompress(start.case, Operation(pads=padded.pads))
    assert report.model_dump() == padded.report.model_dump()


def test_stepping_the_pulse_moves_the_artery_and_keeps_the_verdict(padded):
    systole = padded.at_phase(SYSTOLE)
    assert systole.pads == padded.pads and systole.report is padded.report  # not solved again
    moved = np.linalg.norm(systole.scene.vessels["aica"].points
                           - padded.scene.vessels["aica"].points, axis=1).max()
    assert 0.01 < moved < 1.0
    assert padded.at_phase(1.25).phase == pytest.approx(0.25)


def test_a_given_diameter_is_used(start):
    point, _ = _contact_point(start)
    assert start.with_pad_at("aica", point, 2.5).pads[0].diameter_mm == 2.5


def test_a_second_pad_takes_the_next_free_id(padded):
    point, _ = _contact_point(padded)
    two = padded.with_pad_at("aica", point)
    assert [p.id for p in two.pads] == ["pad1", "pad2"]
    one = two.without_pad("pad1")
    assert [p.id for p in one.pads] == ["pad2"]
    assert [p.id for p in one.with_pad_at("aica", point).pads] == ["pad2", "pad1"]


def test_removing_the_pad_brings_the_compression_back(start, padded):
    removed = padded.without_pad("pad1")
    assert removed.pads == ()
    assert removed.verdict == start.verdict
    with pytest.raises(mvd_sim.ScenarioError, match="'pad7': no such pad"):
        padded.without_pad("pad7")


def test_a_point_far_from_the_nerve_is_refused_in_one_line(start):
    ba = start.scene.vessels["ba"]
    with pytest.raises(mvd_sim.ScenarioError,
                       match=r"^ba at [\d.]+ mm along it lies [\d.]+ mm from CN VII, more than "
                             r"the pad's diameter plus 3 mm: a pad there would hold nothing "
                             r"off$"):
        start.with_pad_at("ba", ba.point_at(ba.length_mm / 2))


def test_an_unknown_vessel_is_refused(start):
    with pytest.raises(mvd_sim.ScenarioError, match="'pica': no such vessel in "
                                                    "aica_as_moderate_right"):
        start.with_pad_at("pica", np.zeros(3))


def test_an_operated_case_starts_with_its_own_pads(case_of, tmp_path):
    from mvd_sim.scenario import scenario_to_yaml
    from mvd_sim.surgery.operation import Operation
    from mvd_sim.surgery.postop import postop_spec

    case = case_of(CASE)
    start = Session.start(case)
    point, _ = _contact_point(start)
    pad = start.with_pad_at("aica", point).pads[0].model_copy(update={"id": None})
    path = tmp_path / "operated.yaml"
    path.write_text(scenario_to_yaml(postop_spec(case.spec, Operation(pads=[pad]))))
    operated = Session.start(mvd_sim.Case.from_yaml(path))
    assert [p.id for p in operated.pads] == ["pad1"]
    assert operated.report.decompressed
