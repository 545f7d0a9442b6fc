"""Nerve landmarks: Campos-Benitez segment labels at their exact boundaries, the REZ and the
central-myelin test, and the segment intervals they are placed by."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mvd_sim.anatomy.landmarks import SEGMENTS, NerveLandmarks
from mvd_sim.core.constants import FacialNerveParams, VestibulocochlearParams

_FP = FacialNerveParams()
#: CN VII with the literature defaults, as the atlas builds it (porus = RDP + cisternal length)
FACIAL = NerveLandmarks(
    rexp_zone_end_mm=_FP.rexp_zone_length_mm, rdp_mm=_FP.attached_segment_length_mm,
    rdp_zone_mm=_FP.rdp_zone_length_mm,
    tz_start_mm=_FP.attached_segment_length_mm + _FP.rdp_to_transition_zone_mm,
    tz_end_mm=(_FP.attached_segment_length_mm + _FP.rdp_to_transition_zone_mm
               + _FP.transition_zone_length_mm),
    porus_mm=_FP.attached_segment_length_mm + _FP.cisternal_length_mm)
#: a shorter nerve with a wider RDP zone and boundaries that are not binary fractions
SHORT = NerveLandmarks(rexp_zone_end_mm=0.7, rdp_mm=6.3, rdp_zone_mm=2.1, tz_start_mm=8.3,
                       tz_end_mm=9.9, porus_mm=17.1)
_VP = VestibulocochlearParams()
#: CN VIII: no attached segment (RDP at the exit, zero-length RDP zone)
COCHLEAR = NerveLandmarks(rexp_zone_end_mm=_VP.entry_zone_length_mm, rdp_mm=0.0,
                          rdp_zone_mm=0.0, tz_start_mm=_VP.transition_zone_s_mm,
                          tz_end_mm=_VP.transition_zone_s_mm, porus_mm=17.4)

WITH_ATTACHED = [pytest.param(FACIAL, id="CN7-default"), pytest.param(SHORT, id="short")]


def below(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def above(x: float) -> float:
    return float(np.nextafter(x, np.inf))


def test_facial_defaults_are_the_published_numbers():
    # RDP 5.5 mm: Tomii 2003's 8 mm to the transition zone minus JKNS 2014's 2.6 mm
    assert (FACIAL.rexp_zone_end_mm, FACIAL.rdp_mm, FACIAL.rdp_zone_mm) == (1.0, 5.5, 1.5)
    assert FACIAL.tz_start_mm == pytest.approx(8.1)
    assert FACIAL.porus_mm == pytest.approx(17.9)
    assert FACIAL.rez_end_mm == pytest.approx(6.25)


# -- segment_at at its boundaries ------------------------------------------------------------

def _boundary_cases(lm: NerveLandmarks) -> list[tuple[float, str]]:
    half = 0.5 * lm.rdp_zone_mm
    rexp, rdp_start, rdp_end = lm.rexp_zone_end_mm, lm.rdp_mm - half, lm.rdp_mm + half
    return [
        (0.0, "RExP"),
        (below(rexp), "RExP"), (rexp, "AS"), (above(rexp), "AS"),
        (below(rdp_start), "AS"), (rdp_start, "RDP"), (above(rdp_start), "RDP"),
        (lm.rdp_mm, "RDP"),
        (below(rdp_end), "RDP"), (rdp_end, "RDP"), (above(rdp_end), "CP"),
        (lm.porus_mm, "CP"),
    ]


@pytest.mark.parametrize("lm", WITH_ATTACHED)
def test_segment_at_boundaries(lm):
    for s, expected in _boundary_cases(lm):
        assert lm.segment_at(s) == expected, f"s = {s!r}"


def test_segment_at_docstring_values():
    assert [FACIAL.segment_at(s) for s in (0.0, 3.0, 6.2, 6.26)] == \
        ["RExP", "AS", "RDP", "CP"]


@pytest.mark.parametrize("lm", WITH_ATTACHED)
def test_segment_index_vectorised_matches_segment_at(lm):
    rng = np.random.default_rng(20240611)
    boundaries = [s for s, _ in _boundary_cases(lm)]
    s = np.concatenate([rng.uniform(-0.5, lm.porus_mm + 1.0, 400), boundaries])
    rng.shuffle(s)
    grid = s.reshape(-1, 4)           # a 2-D input keeps its shape
    index = lm.segment_index(grid)
    assert index.shape == grid.shape
    assert np.issubdtype(index.dtype, np.integer)
    expected = np.array([SEGMENTS.index(lm.segment_at(float(x))) for x in grid.ravel()])
    assert_array_equal(index.ravel(), expected)
    # the labels never go backwards along the nerve
    order = np.argsort(s, kind="stable")
    assert np.all(np.diff(lm.segment_index(s[order])) >= 0)
    # and each of the four labels occurs
    assert set(np.unique(index)) == {0, 1, 2, 3}


def test_segment_index_of_a_scalar_is_a_scalar():
    assert np.ndim(FACIAL.segment_index(3.0)) == 0
    assert int(FACIAL.segment_index(3.0)) == SEGMENTS.index("AS")


# -- REZ and central myelin ------------------------------------------------------------------

@pytest.mark.parametrize("lm", WITH_ATTACHED)
def test_in_rez_boundary(lm):
    end = lm.rdp_mm + 0.5 * lm.rdp_zone_mm
    assert lm.rez_end_mm == pytest.approx(end)
    s = np.array([0.0, lm.rexp_zone_end_mm, lm.rdp_mm, below(end), end, above(end),
                  lm.porus_mm])
    assert_array_equal(lm.in_rez(s), [True, True, True, True, True, False, False])
    assert bool(lm.in_rez(end)) is True and bool(lm.in_rez(above(end))) is False


@pytest.mark.parametrize("lm", [
    *WITH_ATTACHED,
    pytest.param(COCHLEAR, id="CN8"),
])
def test_in_rez_agrees_with_the_labels(lm):
    rng = np.random.default_rng(7)
    s = np.concatenate([rng.uniform(0.0, lm.porus_mm, 300), [s for s, _ in _boundary_cases(lm)]])
    assert_array_equal(lm.in_rez(s), lm.segment_index(s) < SEGMENTS.index("CP"))


@pytest.mark.parametrize("lm", [*WITH_ATTACHED, pytest.param(COCHLEAR, id="CN8")])
def test_centrally_myelinated_boundary(lm):
    tz = lm.tz_start_mm
    s = np.array([0.0, below(tz), tz, above(tz), lm.tz_end_mm + 0.1, lm.porus_mm])
    assert_array_equal(lm.centrally_myelinated(s), [True, True, False, False, False, False])
    assert bool(lm.centrally_myelinated(below(tz))) and not bool(lm.centrally_myelinated(tz))


# -- intervals and centres -------------------------------------------------------------------

@pytest.mark.parametrize("lm", WITH_ATTACHED)
def test_segment_intervals_are_contiguous_and_cover_the_nerve(lm):
    intervals = [lm.segment_interval(seg) for seg in SEGMENTS]
    assert intervals[0][0] == 0.0
    assert intervals[-1][1] == lm.porus_mm
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start == end
    for start, end in intervals:
        assert start < end
    assert sum(end - start for start, end in intervals) == pytest.approx(lm.porus_mm)


@pytest.mark.parametrize("lm", WITH_ATTACHED)
@pytest.mark.parametrize("segment", SEGMENTS)
def test_segment_centre_lies_in_its_interval_and_has_its_label(lm, segment):
    start, end = lm.segment_interval(segment)
    centre = lm.segment_centre(segment)
    assert start < centre < end
    assert centre == pytest.approx(0.5 * (start + end))
    assert lm.segment_at(centre) == segment
    # the interval's interior carries the label too
    for s in np.linspace(start, end, 9)[1:-1]:
        assert lm.segment_at(float(s)) == segment


def test_unknown_segment_name():
    with pytest.raises(KeyError, match="REZ"):
        FACIAL.segment_interval("REZ")


# -- a nerve with no attached segment (CN VIII) ----------------------------------------------

def test_no_attached_segment_labels_only_rexp_then_cp():
    lm = COCHLEAR
    end = lm.rexp_zone_end_mm
    assert lm.segment_at(0.0) == "RExP"
    assert lm.segment_at(below(end)) == "RExP"
    assert lm.segment_at(end) == "CP"
    assert lm.segment_at(above(end)) == "CP"
    assert lm.segment_at(lm.porus_mm) == "CP"
    s = np.linspace(0.0, lm.porus_mm, 2001)
    labels = lm.segment_index(s)
    assert set(np.unique(labels)) == {SEGMENTS.index("RExP"), SEGMENTS.index("CP")}
    assert_array_equal(labels, np.where(s < end, 0, 3))
    assert lm.rez_end_mm == end
    assert lm.segment_at(lm.segment_centre("RExP")) == "RExP"
    assert lm.segment_at(lm.segment_centre("CP")) == "CP"


def test_no_attached_segment_cp_interval_starts_after_rexp():
    lm = COCHLEAR
    assert lm.segment_interval("CP") == (lm.rexp_zone_end_mm, lm.porus_mm)


def test_scene_landmarks_match_the_constants():
    """The atlas builds CN VII and CN VIII with the landmarks used above."""
    import mvd_sim

    scene = mvd_sim.load_scene("atlas_default_right")
    cn7, cn8 = scene.landmarks["CN7"], scene.landmarks["CN8"]
    for name in ("rexp_zone_end_mm", "rdp_mm", "rdp_zone_mm", "tz_start_mm", "tz_end_mm",
                 "porus_mm"):
        assert getattr(cn7, name) == pytest.approx(getattr(FACIAL, name)), name
    assert (cn8.rdp_mm, cn8.rdp_zone_mm) == (0.0, 0.0)
    assert cn8.rexp_zone_end_mm == COCHLEAR.rexp_zone_end_mm
    assert cn7.porus_mm == pytest.approx(scene.nerves["CN7"].length_mm)
    assert cn8.porus_mm == pytest.approx(scene.nerves["CN8"].length_mm)
