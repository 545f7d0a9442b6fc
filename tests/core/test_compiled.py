"""Tests of mvd_sim.core.compiled: the compiled kernels run where numba cannot cache them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_SCRIPT = """
import numpy as np
from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
from mvd_sim.core.geometry.closest import closest_approach
shape = BrainstemShape()
print(repr(float(Brainstem(shape, shape.root_exit_point(12.0)).signed_distance([[0, 0, 5.0]])[0])))
line = np.linspace([-5.0, 0, 0], [5.0, 0, 0], 21)
print(repr(closest_approach(line, line[:, [1, 0, 2]] + [0, 0, 3.0], 1.0, 0.5).gap))
"""


def test_the_kernels_still_run_where_numba_cannot_cache_them():
    """Where no cache folder can be written numba refuses to cache a function when it is
    decorated (a RuntimeError on import); the kernels are then compiled in the process.
    An unknown cache locator makes numba refuse the same way. Brainstem distance and a tube
    gap (two crossing tubes 3 mm apart, radii 1 and 0.5: 1.5 mm) come out as here."""
    from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape

    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "_NoSuchLocator"}
    run = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, check=True)
    distance, gap = (float(line) for line in run.stdout.split())
    shape = BrainstemShape()
    here = Brainstem(shape, shape.root_exit_point(12.0)).signed_distance([[0, 0, 5.0]])[0]
    assert distance == pytest.approx(here, abs=1e-12)
    assert gap == pytest.approx(1.5, abs=1e-12)
