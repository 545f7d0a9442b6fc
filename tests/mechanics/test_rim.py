"""A pad's rim share in the Newton matrix, solved with the LDL^T by the Woodbury identity,
and the line search's cut where a node comes over a pad's rim (issue #27, part 10)."""

import numpy as np
import pytest
import scipy.sparse as sp

from mvd_sim.mechanics import solver
from mvd_sim.mechanics.contacts import ContactSet, detect
from mvd_sim.mechanics.rim import rim_entry, rim_rows
from mvd_sim.mechanics.simulate import build_model, settle
from mvd_sim.mechanics.sweep import settle_from
from mvd_sim.scenario import SpongeSpec
from mvd_sim.surgery.decompress import postop_starts
from mvd_sim.surgery.pads import place_sponges


@pytest.fixture(scope="module")
def padded(case_of):
    """``va_pushes_pica_left`` with a 2 mm ball between its PICA and CN VII (the speed
    bench's solve): the model, the starts from the settled case, and the solved state,
    whose pad holds 16 nodes on its rim."""
    case = case_of("va_pushes_pica_left")
    scene = case.scene
    pad = [SpongeSpec(diameter_mm=2.0, s_mm=3.0027692986057892, vessel="pica")]
    before_model = build_model(scene)
    before = settle(scene, level=1.0, model=before_model)
    bodies, holds_off = place_sponges(scene, pad)
    model = build_model(scene, bodies)
    starts = postop_starts(before_model, model, holds_off, before)
    return scene, model, starts, settle_from(scene, model, 1.0, starts).solution


def _pad_forces(model, u, radii, surface):
    """(n_dof,) minus the forces of the rod nodes against pads on the DOFs (the contacts'
    part of the energy's gradient), and those contacts."""
    found = detect(model, model.configuration(u, radii), surface, solver.DETECT_MARGIN_MM)
    n_rods = len(model.rods)
    keep = (found.body_a >= n_rods) & (found.body_b >= 0) & (found.body_b < n_rods)
    part = ContactSet(**{k: getattr(found, k)[keep] for k in ContactSet.__dataclass_fields__})
    return -solver._contact_forces(model, part), part


def test_the_rim_term_is_the_derivative_of_the_pad_forces_as_nodes_slide(padded):
    _, model, _, solution = padded
    u, radii = solution.u, solution.radii
    surface = model.new_surface()
    surface.refresh(model.positions(u))
    g0, pads = _pad_forces(model, u, radii, surface)
    index, coef, slide = rim_rows(model, pads, model.positions(u), radii)
    assert len(index) >= 4 and np.all(coef > 0)
    assert np.allclose(np.linalg.norm(slide, axis=1), 1.0)
    assert np.allclose(np.sum(slide * pads.normal[index], axis=1), 0.0, atol=1e-12)
    n, free = model.n_dof, model.free
    free_index = np.full(n, -1)
    free_index[free] = np.arange(int(free.sum()))
    # a random move of the rim nodes and the pad's centre
    slots = np.unique(pads.slots[index][:, [0, 2]])
    dofs = (model.slot_dof[slots][:, None] + np.arange(3)).ravel()
    move = np.zeros(n)
    move[dofs] = np.random.default_rng(3).normal(size=len(dofs))
    move[~free] = 0.0
    eps = 1e-6
    exact = (_pad_forces(model, u + eps * move, radii, surface)[0]
             - _pad_forces(model, u - eps * move, radii, surface)[0]) / (2 * eps)
    state = solver._state(pads)
    active = np.flatnonzero(state > 0)
    k = pads.k_soft[active] + np.where(state[active] == 2, pads.k_hard[active], 0.0)
    rows = solver._Rows(model, pads, active, pads.normal)
    gauss_newton = rows.transpose_apply(k * rows.apply(move), n)[free]
    u_cols, v_cols = solver._rim_update(model, pads, u, radii, free_index, int(free.sum()))
    rim = u_cols @ (v_cols.T @ move[free])
    size = np.linalg.norm(exact[free])
    assert np.linalg.norm(exact[free] - gauss_newton) > 0.05 * size   # the term matters
    assert np.linalg.norm(exact[free] - gauss_newton - rim) < 1e-4 * size


def test_woodbury_solves_a_low_rank_update_and_says_when_it_is_singular():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(12, 12))
    a = a @ a.T + 12 * np.eye(12)
    u_cols, v_cols, b = rng.normal(size=(12, 3)), rng.normal(size=(12, 3)), rng.normal(size=12)
    x = solver._woodbury(np.linalg.solve(a, np.column_stack([b, u_cols])), v_cols)
    assert np.allclose(x, np.linalg.solve(a + u_cols @ v_cols.T, b), rtol=0, atol=1e-12)
    # U = -A v, V = v / |v|^2: I + V^T A^-1 U = 0
    v = rng.normal(size=(12, 1))
    singular = solver._woodbury(np.linalg.solve(a, np.column_stack([b, -a @ v])), v / (v.T @ v))
    assert singular is None


def test_a_newton_system_with_the_rim_term_is_solved_exactly(padded):
    _, model, _, solution = padded
    contacts, u, radii = solution.contacts, solution.u, solution.radii
    free = model.free
    n_free = int(free.sum())
    free_index = np.full(model.n_dof, -1)
    free_index[free] = np.arange(n_free)
    state = solver._state(contacts)
    active = np.flatnonzero(state > 0)
    k = contacts.k_soft[active] + np.where(state[active] == 2, contacts.k_hard[active], 0.0)
    part = solver._Rows(model, contacts, active, contacts.normal).gram(k, free_index)
    low_rank = solver._rim_update(model, contacts, u, radii, free_index, n_free)
    rhs = np.random.default_rng(7).normal(size=n_free)
    x = solver._Factor(model).solve([part], rhs, low_rank)
    upper = sp.coo_matrix((part[2], (part[0], part[1])), shape=(n_free, n_free)).tocsr()
    matrix = (model.stiffness[free][:, free] + upper + sp.triu(upper, k=1).T
              + sp.csr_matrix(low_rank[0] @ low_rank[1].T))
    assert np.abs(matrix @ x - rhs).max() < 1e-9 * np.abs(rhs).max()
    assert np.abs(matrix @ solver._Factor(model).solve([part], rhs) - rhs).max() \
        > 1e-3 * np.abs(rhs).max()   # without the term: another system


def _one_contact(model, pad_slot, node_slot, rod, gap):
    """A contact of rod node ``node_slot`` against pad 0's face."""
    return ContactSet(np.array([[pad_slot, -1, node_slot]]), np.array([[-1.0, 0.0, 1.0]]),
                      np.array([[0.0, 0.0, 1.0]]), np.array([gap]), np.ones(1), np.ones(1),
                      np.ones(1), np.array([len(model.rods)]), np.array([rod]),
                      np.array([0]), np.zeros((1, 3)), np.zeros(1))


def test_a_node_coming_over_a_rim_is_found_where_it_crosses(padded):
    _, model, _, solution = padded
    sponge = model.sponges[0]
    assert sponge.shape == "ball"
    x0 = solution.positions.copy()
    pad_slot, node_slot, rod = model.sponge_slot0, 5, int(model.node_rod[5])
    r = solution.radii[node_slot]
    reach = sponge.radius_mm + r
    facing = np.asarray(sponge.facing, dtype=float)
    side = np.cross(facing, [1.0, 0.0, 0.0])
    side /= np.linalg.norm(side)
    centre = x0[pad_slot]
    pressed = centre + (sponge.radius_mm + r - 0.1) * facing   # 0.1 mm into the face
    x1 = x0.copy()
    x0[node_slot] = pressed + (reach + 0.3) * side   # 0.3 mm outside the footprint
    x1[node_slot] = pressed + (reach - 0.1) * side   # 0.1 mm within it
    empty = ContactSet.concat([])
    after = _one_contact(model, pad_slot, node_slot, rod, -0.1)
    assert rim_entry(model, empty, after, x0, x1, solution.radii) == pytest.approx(0.75)
    # a node over the face already, or one that does not press it, is no entry
    assert rim_entry(model, after, after, x0, x1, solution.radii) == 1.0
    assert rim_entry(model, empty, _one_contact(model, pad_slot, node_slot, rod, 0.05), x0,
                     x1, solution.radii) == 1.0


def test_the_bench_solve_takes_few_newton_steps(padded):
    """The speed bench's solve took 21 Newton steps, 11 of them cut, before this part:
    a node slid over the pad's rim pressed past the felt's capacity 0.4 of the way along a
    0.7 mm step, the line search cut each step to a tenth, five times; 13 now."""
    scene, model, starts, _ = padded
    assert settle_from(scene, model, 1.0, starts).solution.iterations <= 15
