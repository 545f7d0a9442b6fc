"""Tests of mvd_sim.scene.scene: the scene's stacked segment sets and its nerve gaps (mm)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

import mvd_sim
from mvd_sim.core.geometry.closest import segment_min_gap


def _all_pairs_min_gap(a: mvd_sim.Tube, b: mvd_sim.Tube) -> float:
    """Brute force: the exact minimum gap of every segment pair of two tubes, unpruned."""
    i, j = (x.ravel() for x in np.meshgrid(np.arange(len(a.points) - 1),
                                           np.arange(len(b.points) - 1), indexing="ij"))
    *_, gap = segment_min_gap(a.points[i], a.points[i + 1], a.radius[i], a.radius[i + 1],
                              b.points[j], b.points[j + 1], b.radius[j], b.radius[j + 1])
    return float(gap.min())


@pytest.fixture(scope="module")
def scene() -> mvd_sim.Scene:
    """The bundled multivessel case (AICA and PICA indenting CN VII, the VA and BA near it)
    plus a straight vessel 3 mm off CN VIII's porus end, far from everything else."""
    base = mvd_sim.load_scene("multi_aica_pica_right")
    cn8 = base.nerves["CN8"]
    side = np.cross(cn8.tangent_at(cn8.length_mm), [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side)
    centre = cn8.points[-1] + (float(cn8.radius[-1]) + 0.5 + 3.0) * side
    points = centre + np.linspace(-4.0, 4.0, 30)[:, None] * np.array([0.0, 0.0, 1.0])
    far = mvd_sim.Tube("far", "vein", points, 0.5)
    return dataclasses.replace(base, vessels={**base.vessels, "far": far})


def test_nerve_gaps_match_every_segment_pair(scene):
    gaps = scene.nerve_gaps()
    assert set(gaps) == {(n, v) for n in scene.nerves for v in scene.vessels}
    for (n, v), gap in gaps.items():
        assert_allclose(gap, _all_pairs_min_gap(scene.nerves[n], scene.vessels[v]),
                        rtol=0, atol=1e-12, err_msg=f"{v} on {n}")
    # the case's compressions overlap CN VII; the far vessel clears CN VIII by about 3 mm
    assert min(gaps[("CN7", v)] for v in ("aica", "pica")) < 0
    assert 2.5 < gaps[("CN8", "far")] <= 3.0 + 1e-9


def test_nerve_gaps_without_vessels_is_empty(scene):
    assert dataclasses.replace(scene, vessels={}).nerve_gaps() == {}
