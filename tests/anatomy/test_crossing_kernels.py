"""The compiled crossing waypoints against the same written with numpy array operations, to
the bit (mm)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mvd_sim.anatomy.crossing_kernels import crossing_waypoints


def numpy_waypoints(point, tangent, distance, angle_rad, sides, half_length):
    """The crossing's waypoints as numpy computes them (placement's formula before the
    kernel): centre, direction, then the five waypoints along it, the outer two lifted."""
    q = point + distance * sides
    v = np.cos(angle_rad) * tangent + np.sin(angle_rad) * np.stack(
        [sides[:, 1] * tangent[2] - sides[:, 2] * tangent[1],
         sides[:, 2] * tangent[0] - sides[:, 0] * tangent[2],
         sides[:, 0] * tangent[1] - sides[:, 1] * tangent[0]], axis=1)
    along = np.array([-2.5, -1.0, 0.0, 1.0, 2.5])[:, None] * v[..., None, :]
    lift = np.array([0.5, 0.0, 0.0, 0.0, 0.5])[:, None] * sides[..., None, :]
    return q[..., None, :] + half_length * (along + lift)


@pytest.mark.parametrize("seed", range(4))
def test_crossing_waypoints_are_numpys_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    tangent = rng.normal(size=3)
    tangent /= np.linalg.norm(tangent)
    sides = rng.normal(size=(int(rng.integers(1, 40)), 3))
    sides -= (sides @ tangent)[:, None] * tangent
    sides /= np.linalg.norm(sides, axis=1)[:, None]
    point, distance = rng.normal(scale=10.0, size=3), float(rng.uniform(0.5, 3.0))
    angle = np.radians(rng.uniform(0.0, 180.0))
    expected = numpy_waypoints(point, tangent, distance, angle, sides, 1.2)
    got = crossing_waypoints(point, tangent, distance, float(np.cos(angle)),
                             float(np.sin(angle)), sides, 1.2)
    assert_array_equal(got.view(np.int64), expected.view(np.int64))
    assert crossing_waypoints(point, tangent, distance, 1.0, 0.0, sides[:0], 1.2).shape \
        == (0, 5, 3)
