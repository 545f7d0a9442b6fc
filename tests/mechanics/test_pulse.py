"""The pulse waveform and the pulse-pressure load on a curved artery."""

import numpy as np
import pytest

from mvd_sim.mechanics.pulse import (DIASTOLE, PULSE_PRESSURE_MPA, SYSTOLE, pressure_load,
                                     pulse_level)


def test_level_spans_zero_to_one_and_is_periodic():
    phases = np.linspace(0.0, 1.0, 2001)
    levels = pulse_level(phases)
    assert levels.min() == pytest.approx(0.0, abs=1e-6)
    assert levels.max() == pytest.approx(1.0, abs=1e-6)
    assert pulse_level(SYSTOLE) == pytest.approx(1.0, abs=1e-6)
    assert pulse_level(DIASTOLE) == pytest.approx(0.0, abs=1e-6)
    assert pulse_level(0.0) == pytest.approx(pulse_level(1.0))
    assert 0.05 < SYSTOLE < 0.3  # systole early in the cycle


def test_pressure_load_on_an_arc_is_dp_a_kappa_outward():
    radius_of_bend, area = 5.0, 0.5
    theta = np.linspace(0.0, np.pi / 2, 91)
    points = radius_of_bend * np.c_[np.cos(theta), np.sin(theta), np.zeros_like(theta)]
    force = pressure_load(points, np.full(len(points), area))
    spacing = radius_of_bend * (theta[1] - theta[0])
    per_length = np.linalg.norm(force[1:-1], axis=1) / spacing
    assert per_length == pytest.approx(PULSE_PRESSURE_MPA * area / radius_of_bend, rel=1e-3)
    outward = points[1:-1] / radius_of_bend
    assert np.all(np.einsum("ij,ij->i", force[1:-1], outward) > 0)
    assert not np.any(force[[0, -1]])


def test_no_pressure_load_on_a_straight_tube():
    points = np.c_[np.linspace(0, 10, 11), np.zeros(11), np.zeros(11)]
    assert np.abs(pressure_load(points, np.ones(11))).max() < 1e-15
