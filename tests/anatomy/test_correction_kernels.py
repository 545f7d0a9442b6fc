"""The compiled contact correction: its measurement against the closest-approach engine on
whole tubes, a contact landed on a straight target where asked (checked with that engine),
and giving up after its last step."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mvd_sim.anatomy.brainstem import BrainstemShape, kernel_surface
from mvd_sim.anatomy.correction_kernels import correct_contact, measure, window
from mvd_sim.core.geometry import curve
from mvd_sim.core.geometry.closest import SegmentSet, closest_between, point_polyline

# scene points 100 mm lateral of the midline: far off the brainstem, never pushed out
FAR_FROM_BRAINSTEM = np.array([100.0, 0.0, 0.0])


def packed(points: np.ndarray, radius: np.ndarray, s_mm: float) -> tuple:
    """A whole target as :func:`measure` takes its window, asked point at arc ``s_mm``."""
    segments = SegmentSet.of(points, radius)
    s = curve.arc_length(points)
    return (segments.segments, segments.half, segments.arc0, segments.balls, segments.runs,
            segments.run_start, 0.0, curve.point_at(points, s, s_mm),
            float(np.interp(s_mm, s, radius)))


def straight_target(radius_mm: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-20.0, 20.0, 81)
    return np.column_stack([x, np.zeros_like(x), np.zeros_like(x)]), np.full(81, radius_mm)


def crossing_vessel(x_mm: float, height_mm: float) -> np.ndarray:
    """A vessel crossing the x axis square at ``x_mm``, ``height_mm`` above it (along z)."""
    y = np.linspace(-15.0, 15.0, 61)
    return np.column_stack([np.full_like(y, x_mm), y, np.full_like(y, height_mm)])


@pytest.mark.parametrize("centre, half", [(0.0, 1.0), (7.3, 2.0), (30.0, 4.0), (-3.0, 1.0)])
def test_window_covers_the_stretch_and_one_point_beyond(centre, half):
    s = np.linspace(0.0, 29.0, 59)
    lo, hi = window(s, centre, half)
    assert lo == max(np.searchsorted(s, centre - half) - 1, 0)
    assert hi == min(np.searchsorted(s, centre + half) + 1, len(s) - 1)
    assert s[lo] <= max(centre - half, 0.0) and s[hi] >= min(centre + half, s[-1])


def test_measure_matches_the_closest_approach_of_the_whole_tubes():
    rng = np.random.default_rng(5)
    t = np.linspace(0.0, 30.0, 61)
    target = np.column_stack([t, 3.0 * np.sin(t / 6.0), np.zeros_like(t)])
    target_radius = np.linspace(1.3, 0.9, len(t))
    vessel = np.column_stack([np.full(41, 11.0), np.linspace(-10.0, 10.0, 41),
                              0.6 + rng.normal(0.0, 0.05, 41)])
    s_v = curve.arc_length(vessel)
    gap, s_target, vessel_arc, gap_at_asked, direction = measure(
        vessel, s_v, np.full(len(vessel), 0.8), packed(target, target_radius, 14.0),
        s_v[-1] / 2, 100.0)

    expected = closest_between(SegmentSet.of(target, target_radius),
                               SegmentSet.of(vessel, np.full(len(vessel), 0.8)))
    assert_allclose([gap, s_target, vessel_arc], [expected.gap, expected.arc_a, expected.arc_b],
                    rtol=0, atol=1e-12)
    assert_allclose(direction, (expected.point_b - expected.point_a)
                    / expected.centre_distance, rtol=0, atol=1e-12)
    asked = curve.point_at(target, curve.arc_length(target), 14.0)
    dist = point_polyline(asked[None], vessel)[0][0]
    assert_allclose(gap_at_asked, dist - np.interp(14.0, curve.arc_length(target),
                                                   target_radius) - 0.8, rtol=0, atol=1e-12)
    assert gap < 0 < gap_at_asked    # the vessel dips into the target, not at s = 14 mm


@pytest.mark.parametrize("gap_mm, s_mm", [(-0.3, 22.0), (0.2, 18.5), (0.0, 20.0)])
def test_correct_contact_lands_where_asked(gap_mm, s_mm):
    """A vessel crossing a straight target 1.5 mm off the asked point and 2 mm too high
    ends, pressing it from above, as deep as asked at the asked point: checked on the whole
    tubes by the closest-approach engine."""
    target, target_radius = straight_target()
    s_target = curve.arc_length(target)
    vessel = crossing_vessel(s_mm - 20.0 + 1.5, 1.0 + 0.8 + gap_mm + 2.0)
    shape = BrainstemShape()
    arc, steps, landed, err_gap, err_s = correct_contact(
        vessel, np.full(len(vessel), 0.8), packed(target, target_radius, s_mm), target,
        s_target, np.array([0.0, 0.0, 1.0]), gap_mm, s_mm, 15.0, 5.0, 4.0, 5e-3, 25,
        kernel_surface(shape), FAR_FROM_BRAINSTEM, np.full(len(vessel), 1.0))

    assert landed and 0 < steps <= 25
    assert abs(err_gap) < 5e-3 and abs(err_s) < 5e-3
    placed = closest_between(SegmentSet.of(target, target_radius),
                             SegmentSet.of(vessel, np.full(len(vessel), 0.8)))
    assert_allclose([placed.gap, placed.arc_a, placed.arc_b], [gap_mm, s_mm, arc],
                    rtol=0, atol=5e-3)
    # the ends of the vessel, beyond the bump, did not move
    assert_allclose(vessel[[0, -1], 0], s_mm - 20.0 + 1.5, rtol=0, atol=0)


def test_correct_contact_gives_up_after_its_last_step():
    """One step allowed: it measures the gap (12 - 1 - 0.8 = 10.2 mm, asked 0), moves the
    vessel down by that error at the bump's peak, and gives up without measuring again."""
    target, target_radius = straight_target()
    vessel = crossing_vessel(0.0, 12.0)
    before = vessel.copy()
    arc, steps, landed, err_gap, err_s = correct_contact(
        vessel, np.full(len(vessel), 0.8), packed(target, target_radius, 20.0), target,
        curve.arc_length(target), np.array([0.0, 0.0, 1.0]), 0.0, 20.0, 15.0, 5.0, 4.0, 5e-3,
        1, kernel_surface(BrainstemShape()), FAR_FROM_BRAINSTEM, np.full(len(vessel), 1.0))
    assert not landed and steps == 1
    assert_allclose([err_gap, err_s, arc], [-10.2, 0.0, 15.0], rtol=0, atol=1e-12)
    assert_allclose(vessel[30], before[30] - [0.0, 0.0, 10.2], rtol=0, atol=1e-12)
    assert_allclose(vessel[[0, -1]], before[[0, -1]], rtol=0, atol=0)
