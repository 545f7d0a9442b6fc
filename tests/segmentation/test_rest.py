"""The rest course of an imported nerve: a local deviation under a vessel is measured, a
nerve no vessel presses is its own rest course."""

import numpy as np
import pytest

from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.rest import pressed_at, rest_course

FAR = np.array([40.0, 0.0, 0.0])      # well lateral of the brainstem: nothing rests on it
MINUS_Y = np.array([0.0, -1.0, 0.0])  # from the nerve to vessel_at's vessel


def nerve(deviation_mm: float, at_mm: float = 10.0, half_mm: float = 5.0):
    """A gently curved 20 mm nerve, pushed ``deviation_mm`` in +y around ``at_mm`` (raised
    cosine of half-width ``half_mm``, as the atlas deviates nerves)."""
    s = np.arange(0.0, 20.01, 0.5)
    rest = FAR + np.stack([s, 0.01 * (s - 10.0) ** 2, 0.2 * s], axis=1)
    bump = curve.smooth_bump(s, at_mm, half_mm)
    return rest + deviation_mm * bump[:, None] * [0.0, 1.0, 0.0], rest


def brainstem():
    return Brainstem(BrainstemShape(), np.zeros(3))


def vessel_at(points, s_index, gap_mm=0.0, r_nerve=1.0, r_vessel=0.8):
    """A vessel crossing square to the nerve on its -y side, touching it at ``s_index``."""
    centre = points[s_index] - [0.0, r_nerve + r_vessel + gap_mm, 0.0]
    line = centre + np.outer(np.linspace(-5.0, 5.0, 21), [0.0, 0.0, 1.0])
    return line, np.full(len(line), r_vessel)


def test_a_vessel_pressing_the_nerve_is_found_where_it_presses():
    placed, _ = nerve(0.0)
    radii = np.full(len(placed), 1.0)
    ((s, toward),) = pressed_at(placed, radii, [vessel_at(placed, 20)])
    assert s == pytest.approx(10.0, abs=0.3)
    assert toward == pytest.approx(MINUS_Y, abs=0.05)
    assert pressed_at(placed, radii, [vessel_at(placed, 20, gap_mm=1.0)]) == []


@pytest.mark.parametrize("deviation", [0.0, 0.8])
def test_the_deviation_under_a_vessel_comes_back(deviation):
    placed, rest = nerve(deviation)
    radii = np.full(len(placed), 1.0)
    estimate = rest_course(placed, radii, [(10.0, MINUS_Y)], brainstem(), attached_mm=0.0)
    assert estimate.shape == placed.shape
    moved = np.linalg.norm(placed - estimate, axis=1)
    assert moved[20] == pytest.approx(deviation, abs=0.1)
    assert np.max(np.linalg.norm(estimate - rest, axis=1)) < 0.1


def test_a_nerve_no_vessel_presses_is_its_own_rest_course():
    placed, _ = nerve(0.8)
    estimate = rest_course(placed, np.full(len(placed), 1.0), [], brainstem(), 0.0)
    assert np.array_equal(estimate, placed)


def test_a_bend_toward_the_vessel_is_the_nerves_own_not_a_deviation():
    """The nerve bulges 0.8 mm toward a vessel touching its crest: no vessel pushes a nerve
    toward itself, so the bend is the nerve's own and it is its own rest course."""
    placed, _ = nerve(0.8)
    estimate = rest_course(placed, np.full(len(placed), 1.0), [(10.0, -MINUS_Y)],
                           brainstem(), 0.0)
    assert np.array_equal(estimate, placed)
