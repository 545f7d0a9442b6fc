"""Frame elements against closed-form beam solutions (Euler-Bernoulli, small deflection)."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from mvd_sim.mechanics.frame import frame_stiffness

E_MPA, RADIUS_MM, LENGTH_MM, FORCE_N = 1.3, 1.1, 20.0, 1e-3
I_MM4 = np.pi * RADIUS_MM ** 4 / 4
EI, EA, GJ = E_MPA * I_MM4, E_MPA * np.pi * RADIUS_MM ** 2, E_MPA / 3 * 2 * I_MM4


def _beam(n_nodes, direction=(1.0, 2.0, -0.5)):
    axis = np.asarray(direction, float) / np.linalg.norm(direction)
    points = np.linspace(0.0, LENGTH_MM, n_nodes)[:, None] * axis
    across = np.cross(axis, [0.0, 0.0, 1.0])
    return points, axis, across / np.linalg.norm(across), frame_stiffness(points, EA, GJ, EI)


def _solve(k, force, fixed_nodes):
    n = k.shape[0]
    free = np.ones(n, bool)
    for node in fixed_nodes:
        free[6 * node:6 * node + 6] = False
    u = np.zeros(n)
    u[free] = spla.spsolve(k.tocsc()[free][:, free], force[free])
    return u


@pytest.mark.parametrize("n_nodes", [2, 5, 21])
def test_cantilever_tip_deflection_and_rotation(n_nodes):
    points, axis, across, k = _beam(n_nodes)
    force = np.zeros(k.shape[0])
    force[6 * (n_nodes - 1):6 * (n_nodes - 1) + 3] = FORCE_N * across
    u = _solve(k, force, [0])
    tip = u[6 * (n_nodes - 1):6 * (n_nodes - 1) + 6]
    assert tip[:3] @ across == pytest.approx(FORCE_N * LENGTH_MM ** 3 / (3 * EI), rel=1e-9)
    assert np.linalg.norm(tip[3:]) == pytest.approx(FORCE_N * LENGTH_MM ** 2 / (2 * EI),
                                                    rel=1e-9)


@pytest.mark.parametrize("n_nodes", [3, 11, 41])
def test_clamped_clamped_central_load(n_nodes):
    points, axis, across, k = _beam(n_nodes)
    mid = n_nodes // 2
    force = np.zeros(k.shape[0])
    force[6 * mid:6 * mid + 3] = FORCE_N * across
    u = _solve(k, force, [0, n_nodes - 1])
    assert u[6 * mid:6 * mid + 3] @ across == pytest.approx(
        FORCE_N * LENGTH_MM ** 3 / (192 * EI), rel=1e-9)


def test_axial_and_torsion():
    points, axis, across, k = _beam(11)
    force = np.zeros(k.shape[0])
    force[60:63] = FORCE_N * axis
    force[63:66] = 2e-3 * axis  # a torque, N mm
    u = _solve(k, force, [0])
    assert u[60:63] @ axis == pytest.approx(FORCE_N * LENGTH_MM / EA, rel=1e-9)
    assert u[63:66] @ axis == pytest.approx(2e-3 * LENGTH_MM / GJ, rel=1e-9)


def test_rigid_motions_cost_no_energy():
    rng = np.random.default_rng(3)
    points = np.cumsum(rng.normal(size=(12, 3)), axis=0)  # a crooked rod
    k = frame_stiffness(points, EA, GJ, EI)
    shift = np.tile(np.r_[rng.normal(size=3), 0, 0, 0], len(points))
    omega = rng.normal(size=3)
    spin = np.concatenate([np.r_[np.cross(omega, p), omega] for p in points])
    assert np.abs(k @ shift).max() < 1e-12
    assert np.abs(k @ spin).max() < 1e-9 * np.abs(k).max()
    assert abs(k - k.T).max() < 1e-12
