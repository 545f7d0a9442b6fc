"""Vessel taper (:mod:`mvd_sim.anatomy.taper`) and how it reaches built scenes."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from mvd_sim.anatomy.taper import (AICA_TAPER, PICA_TAPER, VA_TAPER, VesselTaper,
                                   tapered_radii)
from tests.conftest import bundled_scene


def test_half_cosine_from_origin_to_end_ratio():
    taper = VesselTaper(origin_ratio=2.0, end_ratio=1.0, length_mm=10.0)
    assert_allclose(tapered_radii(0.5, np.array([0.0, 5.0, 10.0, 30.0]), taper),
                    [1.0, 0.75, 0.5, 0.5], rtol=1e-12)
    assert_allclose(tapered_radii(0.5, np.array([0.0, 7.0]), None), [0.5, 0.5])


def test_whole_length_taper_ends_at_the_vessels_end():
    assert_allclose(tapered_radii(1.55, np.array([0.0, 20.0, 40.0]), VA_TAPER)[[0, -1]],
                    [3.9 / 2, 2.8 / 2], rtol=1e-12)


def test_built_vessels_taper_from_their_published_origin_diameters():
    """Default scene: AICA 2.10 mm at its origin (Dubrowski 2024) to 1.02 mm (Estupinan),
    PICA 1.8 to 1.45 mm, VA 3.9 to 2.8 mm (J NeuroIntervent Surg 2013)."""
    vessels = bundled_scene("atlas_default_right").vessels
    aica, pica, va = vessels["aica"], vessels["pica"], vessels["va"]
    assert_allclose(2 * aica.radius[0], 2.10, rtol=1e-9)
    assert_allclose(2 * aica.radius[aica.s > AICA_TAPER.length_mm], 1.02, rtol=1e-9)
    assert_allclose(2 * pica.radius[0], 1.8, rtol=1e-9)
    assert_allclose(2 * pica.radius[pica.s > PICA_TAPER.length_mm], 1.45, rtol=1e-9)
    assert_allclose(2 * va.radius[0], 3.9, rtol=1e-9)
    assert abs(2 * va.radius[-1] - 2.8) < 0.05       # by the first spline's arc
    assert np.all(np.diff(va.radius) <= 1e-12)
