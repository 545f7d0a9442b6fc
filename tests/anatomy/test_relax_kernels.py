"""The compiled bend relaxation (:func:`mvd_sim.anatomy.relax_kernels.relax_bends`): a kinked
vessel far from the brainstem comes out above the floor with its ends in place, a circle arc
already above it is left alone, and a kink on the brainstem stays off it."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mvd_sim.anatomy.bends import MIN_BEND_RADIUS_TO_VESSEL_RADIUS, bend_ratios
from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape, kernel_surface
from mvd_sim.anatomy.relax_kernels import _measured_alike, relax_bends
from mvd_sim.anatomy.vessels import BRAINSTEM_CLEARANCE_MM
from mvd_sim.core.geometry import curve

FLOOR = 1.1 * MIN_BEND_RADIUS_TO_VESSEL_RADIUS


def relaxed(brainstem: Brainstem, points: np.ndarray, radius_mm: float
            ) -> tuple[np.ndarray, float]:
    out = np.array(points, dtype=float)
    radii = np.full(len(out), radius_mm)
    heights = radii + BRAINSTEM_CLEARANCE_MM
    worst = relax_bends(out, radii, FLOOR, 3.0, 200, kernel_surface(brainstem.shape),
                        brainstem.origin_midline_mm, heights, float(heights.max()) + 2.0)
    return out, worst


def corner(turn_deg: float, leg_mm: float = 10.0, spacing_mm: float = 0.3) -> np.ndarray:
    """Two straight legs meeting at the origin, the second turned by ``turn_deg`` in the
    x-y plane, sampled every ``spacing_mm``."""
    a = np.radians(turn_deg)
    s = np.arange(0.0, leg_mm + 1e-9, spacing_mm)
    first = np.column_stack([s - leg_mm, np.zeros_like(s), np.zeros_like(s)])
    second = s[1:, None] * np.array([np.cos(a), np.sin(a), 0.0])
    return np.vstack([first, second])


@pytest.fixture(scope="module")
def far_brainstem() -> Brainstem:
    return Brainstem(BrainstemShape(), np.array([0.0, 60.0, 0.0]))   # 60 mm off


@pytest.mark.parametrize("turn_deg, radius_mm", [(60.0, 0.5), (90.0, 1.0), (120.0, 0.7)])
def test_a_kink_in_free_space_is_relaxed_above_the_floor(far_brainstem, turn_deg, radius_mm):
    kink = corner(turn_deg)
    radii = np.full(len(kink), radius_mm)
    assert bend_ratios(kink, radii).min() < MIN_BEND_RADIUS_TO_VESSEL_RADIUS
    out, worst = relaxed(far_brainstem, kink, radius_mm)
    ratio = bend_ratios(out, radii)
    assert worst >= FLOOR and ratio.min() == pytest.approx(worst)
    assert_array_equal(out[[0, -1]], kink[[0, -1]])
    # moved only near the corner: the legs' far halves are where they were
    far = np.linalg.norm(kink, axis=1) > 5.0
    assert np.max(np.linalg.norm(out[far] - kink[far], axis=1)) < 1e-9


def test_a_circle_arc_above_the_floor_is_left_alone(far_brainstem):
    """A half circle of radius 2 mm on a 0.5 mm vessel: 4 radii, nothing to relax."""
    angle = np.linspace(0.0, np.pi, 401)
    arc = 2.0 * np.column_stack([np.cos(angle), np.sin(angle), np.zeros(401)])
    out, worst = relaxed(far_brainstem, arc, 0.5)
    assert_array_equal(out, arc)
    assert worst == pytest.approx(4.0, rel=2e-3)


def test_a_kink_lying_on_the_brainstem_stays_off_it():
    """A 90 deg corner whose points lie on the brainstem's offset surface near the RExP:
    relaxed, every point keeps its height above the brainstem."""
    shape = BrainstemShape()
    theta, rexp = shape.root_exit(12.0)
    brainstem = Brainstem(shape, rexp)
    radius_mm = 0.5
    kink = corner(90.0, leg_mm=6.0)
    # the corner in the plane tangent to the surface at the RExP, then onto the surface
    q = brainstem.query(np.zeros((1, 3)))
    normal = q.normal[0]
    u = np.cross(normal, [0.0, 0.0, 1.0])
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    points = q.closest[0] + kink[:, :1] * u + kink[:, 1:2] * v
    foot = brainstem.query(points)
    points = foot.closest + (radius_mm + BRAINSTEM_CLEARANCE_MM) * foot.normal
    out, _ = relaxed(brainstem, points, radius_mm)
    assert np.min(brainstem.clearance(out, np.full(len(out), radius_mm))) >= \
        BRAINSTEM_CLEARANCE_MM - 1e-6
    assert (bend_ratios(out, np.full(len(out), radius_mm)).min()
            > bend_ratios(points, np.full(len(out), radius_mm)).min())
    assert curve.arc_length(out)[-1] <= curve.arc_length(points)[-1]


def test_bends_kept_from_the_last_step_are_those_measured_again():
    """The relaxation measures again only the bends a step's moves can have changed
    (``_measured_alike``): on a tapered random vessel whose points from ``changed`` on are
    moved, the bends of the points before the first it measures again are, to the bit, those
    measured over the whole moved vessel, and from there on ``bend_radius_from`` gives the
    whole vessel's."""
    rng = np.random.default_rng(3)
    points = np.cumsum(rng.normal(scale=0.3, size=(150, 3)), axis=0)
    radius = np.linspace(1.2, 0.6, 150)
    before = curve.bend_radius_kernel(points, curve.arc_length_kernel(points), radius)
    for changed in (1, 40, 120, 149, 150):
        moved = points.copy()
        moved[changed:] += rng.normal(scale=0.05, size=(150 - changed, 3))
        s = curve.arc_length_kernel(moved)
        start = _measured_alike(s, radius, changed)
        whole = curve.bend_radius_kernel(moved, s, radius)
        assert 0 <= start <= max(changed - 1, 0)
        assert_array_equal(whole[:start], before[:start])
        tail = np.full(150, np.nan)
        curve.bend_radius_from(moved, s, radius, start, tail)
        assert_array_equal(tail[start:], whole[start:])
    assert _measured_alike(s, radius, 0) == 0
    assert _measured_alike(s, radius, 120) > 100      # most of the vessel is kept
