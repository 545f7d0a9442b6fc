"""What placement keeps between cases (issue #27): a vessel asked no contact placed once
per brainstem and course (and not avoided where nothing comes near it), and the clearing
sides of the last requests. Kept or made afresh, every vessel comes out bit for bit the
same."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import mvd_sim
from mvd_sim.anatomy import placement
from mvd_sim.anatomy.placement import (AVOIDANCE_CLEARANCE_MM, ContactRequest, clearing_sides,
                                      place_vessel)
from mvd_sim.anatomy.vessels import VesselCourse, default_course
from mvd_sim.core.constants import VESSEL_DEFAULT_RADIUS_MM
from mvd_sim.core.recent import Recent
from mvd_sim.core.tube import Tube
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import sample_case
from mvd_sim.scenario.schema import AnatomySpec
from mvd_sim.scene.build import _Anatomy


def _afresh(monkeypatch) -> None:
    """Nothing kept: every free placement and clearing side made anew."""
    monkeypatch.setattr(placement, "_free_placement",
                        lambda *args: placement._FreePlacement(*args))
    monkeypatch.setattr(placement, "_CLEARING_ANSWERS", Recent(0))


def test_sampled_cases_are_the_same_kept_or_afresh(monkeypatch):
    priors = load_priors()
    cases = (8, 5, 3)
    kept = [sample_case(priors, 7, 200, i)[1] for i in cases]
    _afresh(monkeypatch)
    for scene in kept:
        fresh = sample_case(priors, 7, 200, cases[kept.index(scene)])[1]
        assert scene.vessels.keys() == fresh.vessels.keys()
        for name, vessel in scene.vessels.items():
            assert_array_equal(vessel.points, fresh.vessels[name].points)
            assert_array_equal(vessel.radius, fresh.vessels[name].radius)
        for name, nerve in scene.nerves.items():
            assert_array_equal(nerve.points, fresh.nerves[name].points)


def _basilar_course(anatomy: _Anatomy) -> VesselCourse:
    radius = VESSEL_DEFAULT_RADIUS_MM["BA"]
    return default_course(
        "BA", anatomy.brainstem, radius, facial=anatomy.facial, cochlear=anatomy.cochlear,
        rexp_theta=anatomy.rexp_theta, rexp_z_midline_mm=float(anatomy.rexp_midline[2]),
        pons_length_mm=anatomy.shape.pons_length_mm,
        va_radius_mm=VESSEL_DEFAULT_RADIUS_MM["VA"], ba_radius_mm=radius)


def _basilar(anatomy: _Anatomy, obstacles: list[Tube]) -> Tube | str:
    """The basilar artery placed among ``obstacles``, or the one line it is refused with."""
    try:
        return place_vessel(anatomy.brainstem, "ba", "BA", _basilar_course(anatomy),
                            VESSEL_DEFAULT_RADIUS_MM["BA"], [], obstacles, None)
    except mvd_sim.ScenarioError as err:
        return str(err)


def _probe(free: Tube, gap_mm: float) -> Tube:
    """A tube of radius 0.5 mm across the basilar artery ``free``, in front of it, between
    two of its anchored waypoints, ``gap_mm`` from its surface."""
    k = int(np.argmin(np.abs(free.s - 0.42 * free.length_mm)))
    radius_mm = 0.5
    centre = free.points[k] + (free.radius[k] + radius_mm + gap_mm) * np.array([0.0, 1.0, 0.0])
    return Tube("probe", "vein", centre + np.linspace(-6.0, 6.0, 25)[:, None]
                * np.array([1.0, 0.0, 0.0]), radius_mm)


@pytest.mark.parametrize("gap_mm", [3.0, 0.2])
def test_a_vessel_asked_no_contact_still_avoids_what_lies_in_its_way(monkeypatch, gap_mm):
    """A tube across the basilar artery's free course, in front of it, between two of its
    anchored waypoints: ``gap_mm`` from its surface, clear of it (3 mm) or within the
    clearance avoidance keeps (0.2 mm: it must bend). Kept or afresh, the same vessel (or
    the same refusal); in the way, not the free course."""
    anatomy = _Anatomy(AnatomySpec())
    nerves = list(anatomy.nerves.values())
    free = _basilar(anatomy, nerves)
    across = _probe(free, gap_mm)
    kept = _basilar(anatomy, nerves + [across])
    _afresh(monkeypatch)
    fresh = _basilar(anatomy, nerves + [across])
    if isinstance(kept, str):
        assert kept == fresh
    else:
        assert_array_equal(kept.points, fresh.points)
    if gap_mm > 1.0:
        assert_array_equal(kept.points, free.points)
    else:
        assert not np.array_equal(kept.points, free.points)


@pytest.mark.parametrize("gap_mm, clear", [(3.0, True), (0.2, False)])
def test_avoidance_is_skipped_only_where_it_would_leave_the_free_course(monkeypatch, gap_mm,
                                                                        clear):
    """A vessel asked no contact whose course's box (grown by its radius and avoidance's
    clearance) is apart from every obstacle's box is not avoided
    (``_FreePlacement.clear_of``): run, avoidance leaves that course as it is, every point
    free to move; and the vessel placed is the same, to the bit, as with avoidance run.
    The probe 0.2 mm in front is in its way: avoidance runs."""
    anatomy = _Anatomy(AnatomySpec())
    nerves = list(anatomy.nerves.values())
    obstacles = nerves + [_probe(_basilar(anatomy, nerves), gap_mm)]
    free = placement._FreePlacement(anatomy.brainstem, "ba", "BA", _basilar_course(anatomy),
                                    VESSEL_DEFAULT_RADIUS_MM["BA"], None)
    assert free.clear_of(obstacles) is clear
    assert free.clear_of(nerves)
    points, radii = free.course[:2]
    if clear:
        avoided, shortfall_mm = placement.avoid_tubes(
            anatomy.brainstem, points, radii,
            [(tube, np.full(len(points), AVOIDANCE_CLEARANCE_MM)) for tube in obstacles],
            np.zeros(len(points)))
        assert shortfall_mm == 0.0
        assert_array_equal(avoided, points)
    skipped = _basilar(anatomy, obstacles)
    monkeypatch.setattr(placement._FreePlacement, "clear_of", lambda self, obstacles: False)
    avoided = _basilar(anatomy, obstacles)
    if isinstance(skipped, str):
        assert skipped == avoided
    else:
        assert_array_equal(skipped.points, avoided.points)
        assert_array_equal(skipped.radius, avoided.radius)


def test_a_kept_clearing_side_is_the_one_computed_and_a_copy():
    anatomy = _Anatomy(AnatomySpec())
    target = anatomy.nerves["CN7"]
    request = ContactRequest("probe", target, 12.0, np.array([0.0, 1.0, 0.0]), -0.2, 85.0,
                             "anterior")
    nerves = (anatomy.nerves["CN8"],)
    first = clearing_sides(anatomy.brainstem, [request], 0.8, nerves)[0]
    computed = placement._clearing_sides([request], anatomy.brainstem, 0.8, nerves)[0]
    assert_array_equal(first, computed)
    first[:] = 0.0          # the caller's copy: the kept answer is not changed
    assert_array_equal(clearing_sides(anatomy.brainstem, [request], 0.8, nerves)[0],
                       computed)
