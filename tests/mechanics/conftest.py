"""Fixtures of the mechanics' tests: rods built directly, away from any scene."""

import numpy as np
import pytest

from mvd_sim.core.tube import Tube
from mvd_sim.mechanics.bodies import Rod


def _clamped_rod(name: str, points: np.ndarray, radius_mm: float = 0.5,
                 brainstem_contact: bool = False, dent_mpa: float = 0.01) -> Rod:
    n = len(points)
    clamped = np.zeros(n, bool)
    clamped[[0, -1]] = True
    return Rod(tube=Tube(name, "AICA", points, radius_mm), start=points, clamped=clamped,
               tether_n_per_mm=np.zeros(n), dent_mpa=np.full(n, dent_mpa),
               capacity_mm=np.full(n, 0.5 * radius_mm),
               brainstem_contact=np.full(n, brainstem_contact))


@pytest.fixture(scope="session")
def clamped_rod():
    """Function ``clamped_rod(name, points, radius_mm=0.5, brainstem_contact=False,
    dent_mpa=0.01)``: a rod (an AICA's section) on ``points`` (n, 3), mm, clamped at both
    ends, untethered, whose compliant layer (``dent_mpa``) holds half its radius."""
    return _clamped_rod
