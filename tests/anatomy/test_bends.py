"""Bend radius and self-intersection of vessels (:mod:`mvd_sim.anatomy.bends`)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import mvd_sim
from mvd_sim.anatomy.bends import (MIN_BEND_RADIUS_TO_VESSEL_RADIUS, bend_ratios,
                                   check_vessel_shape, self_contacts)
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.tube import Tube
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import sample


def hairpin(gap_mm: float, radius_mm: float, leg_mm: float = 10.0) -> Tube:
    """Two parallel legs whose centerlines lie ``2 r + gap`` apart, joined by a half circle:
    the legs' surfaces are exactly ``gap_mm`` apart."""
    half = radius_mm + gap_mm / 2.0          # the turn's radius: half the legs' distance
    turn = np.linspace(-np.pi / 2, np.pi / 2, 60)
    leg = np.linspace(-leg_mm, 0.0, 40)[:-1]
    points = np.vstack([np.column_stack([leg, np.full(39, -half)]),
                        np.column_stack([half * np.cos(turn), half * np.sin(turn)]),
                        np.column_stack([leg[::-1], np.full(39, half)])])
    return Tube("h", "AICA", np.column_stack([points, np.zeros(len(points))]), radius_mm)


@pytest.mark.parametrize("gap_mm", [-0.4, -0.1])
def test_a_hairpin_whose_legs_overlap_passes_through_itself_by_its_gap(gap_mm):
    s_a, s_b, gap = self_contacts(hairpin(gap_mm, 0.5))
    assert len(gap) > 0
    assert_allclose(gap.min(), gap_mm, rtol=0, atol=1e-9)
    assert np.all(s_b - s_a > np.pi * 0.5)


def test_a_hairpin_whose_legs_clear_does_not():
    assert len(self_contacts(hairpin(0.2, 0.5))[2]) == 0


def test_bend_ratio_of_a_circle_arc():
    """A quarter circle of radius 1.2 mm on a vessel of radius 0.4 mm: 3 radii (within the
    sag of chords 0.05 mm long, read over 0.4 mm either side)."""
    angle = np.linspace(0.0, np.pi / 2, 38)
    arc = 1.2 * np.column_stack([np.cos(angle), np.sin(angle), np.zeros(38)])
    ratio = bend_ratios(arc, np.full(38, 0.4))
    assert_allclose(ratio[np.isfinite(ratio)], 3.0, rtol=5e-3)


def test_a_bend_under_the_floor_is_refused_in_one_line():
    # a hairpin clear of itself, but its turn's radius is 0.55 mm on a 0.5 mm vessel
    with pytest.raises(ScenarioError) as err:
        check_vessel_shape(hairpin(0.1, 0.5), "vessels[1].points_mm", "space them out")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("vessels[1].points_mm: h would bend with a radius of 0.5")
    assert f"(at least {MIN_BEND_RADIUS_TO_VESSEL_RADIUS:g} needed); space them out" in message


def test_a_wide_hairpin_passes():
    check_vessel_shape(hairpin(1.0, 0.5), "vessels[1].points_mm", "space them out")


def test_an_explicit_course_too_tight_is_refused_naming_file_and_field(tmp_path):
    path = tmp_path / "tight.yaml"
    path.write_text(
        "schema_version: 1\ntitle: tight\ndescription: a loop too tight\nside: right\nvessels:\n"
        "  - {id: ba, type: BA}\n"
        "  - id: loop\n    type: AICA\n    radius_mm: 0.8\n"
        "    points_mm: [[4, 14, -6], [8, 14, -6], [8.6, 14.6, -6], [8, 15.2, -6],"
        " [4, 15.2, -6]]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        mvd_sim.load_case(str(path)).scene
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: vessels[1].points_mm: loop would bend with a radius")
    assert message.endswith("space the control points out round the turn or give the vessel "
                            "a smaller radius_mm")


@pytest.mark.parametrize("seed", [3, 11])
def test_sampled_vessels_keep_the_bend_floor_and_do_not_fold(seed):
    """Every vessel of 100 sampled cases bends no tighter than the floor and does not pass
    through itself (placement relaxes its bends and refuses what it cannot relax)."""
    priors, bad = load_priors(), []
    for index in range(100):
        for name, v in sample(priors, seed, 100, index).scene.vessels.items():
            ratio = float(bend_ratios(v.points, v.radius).min())
            if ratio < MIN_BEND_RADIUS_TO_VESSEL_RADIUS or len(self_contacts(v)[2]):
                bad.append((index, name, round(ratio, 2)))
    assert bad == []
