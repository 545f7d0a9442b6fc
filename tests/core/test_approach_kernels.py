"""The compiled side reading against numpy's matrix products: the same answer wherever it
decides, and undecided (numpy asked instead) where two patient axes are as near as
rounding."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mvd_sim.core.approach import SIDES, _axes, _circle, reads_as, sides_of
from mvd_sim.core.approach_kernels import read_sides, sides_read_as


def numpy_sides_of(d, tangent, lateral):
    """sides_of as numpy computes it, by matrix products (the path it falls back to)."""
    d = d - (d @ tangent)[:, None] * tangent
    return np.argmax(d @ _axes(lateral).T, axis=1)


def numpy_reads_as(d, want, tangent, lateral, margin_deg):
    """reads_as as numpy computes it: the side of each direction and of it turned either
    way by the margin (the path reads_as falls back to)."""
    cos, sin = np.cos(np.radians(margin_deg)), np.sin(np.radians(margin_deg))
    binormals = np.cross(tangent, d)
    inside = numpy_sides_of(d, tangent, lateral) == want
    for sign in (1.0, -1.0):
        inside &= numpy_sides_of(cos * d + sign * sin * binormals, tangent, lateral) == want
    return inside


def _compiled(d, want, tangent, lateral, margin_deg):
    inside = np.empty(len(d), dtype=bool)
    decided = sides_read_as(np.ascontiguousarray(d), want, tangent, _axes(lateral),
                            float(np.cos(np.radians(margin_deg))),
                            float(np.sin(np.radians(margin_deg))), inside)
    return decided, inside


@pytest.mark.parametrize("seed", range(6))
def test_every_side_it_decides_is_numpys(seed):
    """Turned sides round random nerves, 73 at a time as a side question asks them (and
    one at a time), for each side and a margin of 1 and 5 deg."""
    rng = np.random.default_rng(seed)
    tangent = rng.normal(size=3)
    tangent /= np.linalg.norm(tangent)
    lateral = np.array([1.0 if seed % 2 else -1.0, 0.0, 0.0])
    normal = np.cross(tangent, rng.normal(size=3))
    normal /= np.linalg.norm(normal)
    turns = np.radians(np.arange(0.0, 360.0, 5.0) + rng.uniform(0.0, 5.0))
    d = np.cos(turns)[:, None] * normal + np.sin(turns)[:, None] * np.cross(tangent, normal)
    for want in range(len(SIDES)):
        for margin in (1.0, 5.0):
            decided, inside = _compiled(d, want, tangent, lateral, margin)
            assert decided
            assert_array_equal(inside, numpy_reads_as(d, want, tangent, lateral, margin))
            assert_array_equal(reads_as(d, SIDES[want], tangent, lateral, margin), inside)
            for k in range(0, len(d), 9):
                assert _compiled(d[k:k + 1], want, tangent, lateral, margin)[1][0] == inside[k]


@pytest.mark.parametrize("direction", [(0.0, 1.0, 1.0), (0.0, -1.0, 1.0), (0.0, 0.0, 0.0)])
def test_a_direction_between_two_axes_is_left_to_numpy(direction):
    """Across a nerve along x, (0, 1, 1) is as anterior as rostral: argmax takes the
    first, and rounding could name either, so the kernel does not decide it; reads_as then
    answers as numpy does (so does a direction of no length)."""
    tangent, lateral = np.array([1.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0])
    d = np.array([[0.0, 0.0, -1.0], direction])
    decided, _ = _compiled(d, SIDES.index("anterior"), tangent, lateral, 0.0)
    assert not decided
    for side in SIDES:
        assert_array_equal(reads_as(d, side, tangent, lateral, 0.0),
                           numpy_reads_as(d, SIDES.index(side), tangent, lateral, 0.0))


@pytest.mark.parametrize("seed", range(4))
def test_the_sides_round_a_nerve_are_numpys(seed):
    """The 720 directions round a random nerve, 0.5 deg apart, as usable_sides and sector
    read them: every side decided, and numpy's."""
    rng = np.random.default_rng(10 + seed)
    tangent = rng.normal(size=3)
    tangent /= np.linalg.norm(tangent)
    lateral = np.array([1.0, 0.0, 0.0])
    circle = _circle(tangent)
    sides = np.empty(len(circle), dtype=np.intp)
    assert read_sides(circle, tangent, _axes(lateral), sides)
    assert_array_equal(sides, numpy_sides_of(circle, tangent, lateral))
    assert_array_equal(sides_of(circle, tangent, lateral), sides)


def test_sides_of_a_direction_between_two_axes_are_numpys():
    tangent, lateral = np.array([1.0, 0.0, 0.0]), np.array([-1.0, 0.0, 0.0])
    d = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 1.0], [0.0, -1.0, -1.0]])
    assert not read_sides(d, tangent, _axes(lateral), np.empty(3, dtype=np.intp))
    assert_array_equal(sides_of(d, tangent, lateral), numpy_sides_of(d, tangent, lateral))
    assert_array_equal(sides_of(d, tangent, lateral), [5, 2, 3])
