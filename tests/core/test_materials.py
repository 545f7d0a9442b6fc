"""Section stiffnesses against the facts file, and the arachnoid tether calibration."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mvd_sim.mechanics.frame import frame_stiffness
from mvd_sim.core.materials import DEFAULT_MATERIALS, Materials
from mvd_sim.mechanics.sections import (lumen_radius, nerve_section, tether_per_length,
                                        vessel_section)


def _within(value, low, high):
    """Within a range the facts file gives to two figures (1% slack for its rounding)."""
    return 0.99 * low <= float(value) <= 1.01 * high


def test_bending_stiffness_within_the_facts_file_ranges():
    # facts file section 8: artery D 1.0 mm: EI 0.02-0.05 N mm^2; 2.0 mm: 0.37-0.74
    assert _within(vessel_section("AICA", np.array(0.5)).ei_nmm2, 0.02, 0.05)
    assert _within(vessel_section("PICA", np.array(1.0)).ei_nmm2, 0.37, 0.74)
    # nerve VII 2.2 mm: 1.5-3.3 N mm^2 (E 1.3-2.9 MPa)
    assert _within(nerve_section(np.array(1.1)).ei_nmm2, 1.5, 3.3)


def test_wall_is_a_quarter_of_the_lumen_radius():
    r_in = float(lumen_radius(np.array(1.0)))
    assert 1.0 - r_in == pytest.approx(0.25 * r_in)


def test_tether_calibration_point_push():
    """A 3 mN push on a long straight 1 mm artery on its tethers moves it about 3 mm."""
    n, spacing = 401, 0.25
    points = np.zeros((n, 3))
    points[:, 0] = spacing * np.arange(n)
    section = vessel_section("AICA", np.full(n - 1, 0.5))
    k = frame_stiffness(points, section.ea_n, section.gj_nmm2, section.ei_nmm2)
    tether = np.zeros((n, 6))
    tether[:, :3] = tether_per_length() * spacing
    k = (k + sp.diags(tether.ravel())).tocsc()
    force = np.zeros(6 * n)
    force[6 * (n // 2) + 1] = 3e-3
    free = np.ones(6 * n, bool)
    free[:6] = free[-6:] = False
    u = np.zeros(6 * n)
    u[free] = spla.spsolve(k[free][:, free], force[free])
    assert u[6 * (n // 2) + 1] == pytest.approx(3e-3 / (1e-3 * DEFAULT_MATERIALS
                                                       .arachnoid_push_mn_per_mm), rel=0.05)


@pytest.mark.parametrize("field, value", [("nerve_youngs_mpa", -1.0), ("hard_mpa", 0.0),
                                          ("poisson_ratio", 0.7), ("dent_capacity", 1.5)])
def test_bad_materials_are_refused(field, value):
    with pytest.raises(ValueError, match=field.split("_")[0]):
        Materials(**{field: value})
