"""The contact rows' compiled sums (:mod:`mvd_sim.mechanics.row_kernels`) against the
numpy formulas (and the Python sums) they replaced, to the bit: random rows, and a solved
case's contacts."""

import numpy as np
import pytest

from mvd_sim.mechanics import solver
from mvd_sim.mechanics.contacts import ContactSet
from mvd_sim.mechanics.row_kernels import active_sums, gram_entries, row_entries, row_forces
from mvd_sim.mechanics.simulate import build_model, settle


def _numpy_rows(slots, weights, direction, rows, slot_dof):
    """The contact rows' DOFs and coefficients as the solver's numpy code made them
    before (``_Rows``)."""
    slots = slots[rows]
    dofs = slot_dof[np.maximum(slots, 0)][:, :, None] + np.arange(3)
    dofs = np.where(slots[:, :, None] >= 0, dofs, -1).reshape(-1, 9)
    coef = (weights[rows][:, :, None] * direction[rows][:, None, :]).reshape(-1, 9)
    coef[dofs < 0] = 0.0
    return dofs, coef


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_rows_are_the_numpy_ones_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    n_slots, c = 30, 50
    slot_dof = (6 * np.arange(n_slots)).astype(np.intp)
    slots = rng.integers(-1, n_slots, (c, 3)).astype(np.intp)   # -1: no slot
    weights = rng.normal(size=(c, 3))
    direction = rng.normal(size=(c, 3)) * 10.0 ** rng.integers(-3, 4, (c, 1))
    rows = rng.permutation(c)[:c - 7].astype(np.intp)           # some rows, in any order
    slots[rows[0], 1] = -1                                      # a row with two slots
    got = row_entries(slots, weights, direction, rows, slot_dof)
    want = _numpy_rows(slots, weights, direction, rows, slot_dof)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert np.any(got[0] < 0) and np.all(got[1][got[0] < 0] == 0.0)


def _numpy_gram(dofs, coef, weights, free_index):
    """The contact rows' Gram entries as the solver's numpy code made them before."""
    local = np.where(dofs >= 0, free_index[np.maximum(dofs, 0)], -1)
    block = weights[:, None, None] * coef[:, :, None] * coef[:, None, :]
    rows = np.broadcast_to(local[:, :, None], block.shape)
    cols = np.broadcast_to(local[:, None, :], block.shape)
    keep = (rows >= 0) & (rows <= cols)
    return rows[keep], cols[keep], block[keep]


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_gram_entries_are_the_numpy_ones_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    n_dof, c = 90, 40
    free_index = np.full(n_dof, -1, dtype=np.intp)
    free = rng.random(n_dof) < 0.8
    free_index[free] = np.arange(int(free.sum()))
    dofs = rng.integers(-1, n_dof, (c, 9)).astype(np.intp)   # -1: a missing slot
    dofs[0] = -1                                             # a row reading nothing
    coef = np.where(dofs >= 0, rng.normal(size=(c, 9)), 0.0)
    weights = rng.normal(size=c) * 10.0 ** rng.integers(-3, 4, c)
    got = gram_entries(dofs, coef, weights, free_index)
    for a, b in zip(got, _numpy_gram(dofs, coef, weights, free_index)):
        assert np.array_equal(a, b)


def _numpy_forces(model, contacts):
    """The contacts' forces on the DOFs as the solver's numpy code made them before."""
    rows = solver._Rows(model, contacts, np.arange(len(contacts)), contacts.normal)
    keep = rows.dofs >= 0
    return np.bincount(rows.dofs[keep], (rows.coef * contacts.force_n()[:, None])[keep],
                       minlength=model.n_dof)


@pytest.mark.parametrize("name", ["aica_as_moderate_right", "va_pushes_aica_right"])
def test_the_contacts_forces_are_the_numpy_ones_to_the_bit(scene_of, name):
    scene = scene_of(name)
    model = build_model(scene)
    contacts = settle(scene, level=1.0, model=model).solution.contacts
    assert len(contacts) > 0 and np.any(contacts.slots < 0)   # some rows read two slots
    forces = row_forces(contacts.slots, contacts.weights, contacts.normal,
                        contacts.force_n(), model.slot_dof, model.n_dof)
    assert np.array_equal(forces, _numpy_forces(model, contacts))
    assert np.any(forces != 0.0)
    # and the Gram entries of the solver's rows, whatever the weights
    rows = solver._Rows(model, contacts, np.arange(len(contacts)), contacts.normal)
    free_index = np.full(model.n_dof, -1, dtype=np.intp)
    free_index[model.free] = np.arange(int(np.count_nonzero(model.free)))
    weights = contacts.k_soft * (1.0 + np.arange(len(contacts)))
    got = gram_entries(rows.dofs, rows.coef, weights, free_index)
    for a, b in zip(got, _numpy_gram(rows.dofs, rows.coef, weights, free_index)):
        assert np.array_equal(a, b)


def _python_key(contacts, state):
    """The active set's key as the solver's Python loop summed it before (contact by
    contact, from 0)."""
    active = state > 0
    keys = zip(contacts.slots[active, 2].tolist(), contacts.body_a[active].tolist(),
               state[active].tolist())
    out: dict = {}
    for key, force in zip(keys, contacts.force_n()[active].tolist()):
        out[key] = out.get(key, 0.0) + force
    return out


def _random_contacts(seed: int, c: int):
    """``c`` contacts on few slots and bodies (many sharing a key), some open, some
    saturated, some on no compliant layer."""
    rng = np.random.default_rng(seed)
    slots = rng.integers(-1, 8, (c, 3)).astype(np.intp)
    gap = rng.uniform(-0.3, 0.1, c)
    capacity = np.where(rng.uniform(size=c) < 0.2, np.inf, rng.uniform(0.0, 0.2, c))
    return ContactSet(slots, np.ones((c, 3)), np.ones((c, 3)), gap,
                      rng.uniform(0.1, 50.0, c), rng.uniform(100.0, 900.0, c), capacity,
                      rng.integers(-4, 5, c).astype(np.intp), np.zeros(c, np.intp),
                      np.zeros(c, np.intp), np.zeros((c, 3)), np.zeros(c))


@pytest.mark.parametrize("seed", range(3))
def test_the_active_sets_sums_are_the_python_ones_to_the_bit(seed):
    """Keys in the order they first occur, each force summed in contact order: the
    dictionary the Python loop built, item for item (none active: an empty one)."""
    contacts = _random_contacts(seed, 200)
    state = solver._state(contacts)
    assert np.any(state == 1) and np.any(state == 2) and np.any(state == 0)
    slot, body, kind, force = active_sums(contacts.slots, contacts.body_a, state, contacts.gap,
                                          contacts.k_soft, contacts.k_hard, contacts.capacity)
    want = _python_key(contacts, state)
    assert len(slot) < int(np.count_nonzero(state))   # keys shared
    assert list(zip(zip(slot.tolist(), body.tolist(), kind.tolist()), force.tolist())) == \
        list(want.items())
    assert list(solver._active_key(contacts, state).items()) == list(want.items())
    none = np.zeros(len(state), np.int8)
    assert solver._active_key(contacts, none) == {}


def test_a_solved_cases_active_set_is_the_python_one(scene_of):
    contacts = settle(scene_of("va_pushes_aica_right"), level=1.0).solution.contacts
    state = solver._state(contacts)
    want = _python_key(contacts, state)
    assert len(want) > 10
    assert list(solver._active_key(contacts, state).items()) == list(want.items())
