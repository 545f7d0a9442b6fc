"""Row-wise vector helpers agree with numpy's generic functions."""

import numpy as np
from numpy.testing import assert_allclose

from mvd_sim.core.geometry.vec import cross, dot, norm


def test_row_wise_operations_match_numpy_and_broadcast():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(4, 7, 3)), rng.normal(size=(7, 3))
    assert_allclose(cross(x, y), np.cross(x, y), rtol=0, atol=1e-15)
    assert_allclose(dot(x, y), np.sum(x * y, axis=-1), rtol=1e-15, atol=1e-15)
    assert_allclose(norm(x), np.linalg.norm(x, axis=-1), rtol=1e-15)
    assert cross(x, y).shape == (4, 7, 3) and dot(x, y).shape == (4, 7)
