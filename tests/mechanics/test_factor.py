"""The Newton systems' sparse LDL^T: the compiled factorisation against scipy's LU, its
ordering made once per model and shared by a pulse sweep's solves, and answers that do not
depend on which systems were factorised before."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.core.recent import Recent
from mvd_sim.mechanics import solver
from mvd_sim.mechanics import sweep as pulse_sweep
from mvd_sim.mechanics.ldl_kernels import (NO_LAST, elimination_tree, ldl_factor, ldl_solve,
                                           ldl_solve_many, merged_upper, permuted_upper)
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.simulate import build_model, start_displacement


def _upper(matrix):
    upper = sp.triu(matrix, format="coo")
    return upper.row.astype(np.intp), upper.col.astype(np.intp), upper.data


def _spd(n, seed):
    """A random sparse symmetric positive definite matrix (a chain plus random couplings)."""
    rng = np.random.default_rng(seed)
    chain = sp.diags([np.full(n - 1, -1.0), np.full(n, 4.0), np.full(n - 1, -1.0)],
                     [-1, 0, 1])
    extra = sp.random(n, n, density=0.02, random_state=rng)
    return (chain + extra @ extra.T + sp.identity(n)).tocsc()


def _kernel_solve(matrix, perm, rhs):
    n = matrix.shape[0]
    where = np.empty(n, np.intp)
    where[perm] = np.arange(n)
    indptr, indices, data = permuted_upper(n, where, *_upper(matrix))
    parent, counts = elimination_tree(indptr, indices)
    l_ptr, l_idx, l_val, d_inv, ok = ldl_factor(indptr, indices, data, parent, counts,
                                                *NO_LAST)[:5]
    assert ok
    return ldl_solve(l_ptr, l_idx, l_val, d_inv, perm, rhs)


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_ldl_solves_as_lu_does_in_any_ordering(seed):
    matrix = _spd(300, seed)
    rhs = np.random.default_rng(seed).normal(size=300)
    exact = spsolve(matrix, rhs)
    for perm in (np.arange(300), np.random.default_rng(seed + 10).permutation(300)):
        x = _kernel_solve(matrix, perm.astype(np.intp), rhs)
        assert np.abs(x - exact).max() < 1e-12 * np.abs(exact).max()


def test_many_right_hand_sides_are_solved_as_each_alone():
    """``ldl_solve_many`` (the rim term's Woodbury solves, ``mvd_sim.mechanics.rim``) gives
    each column to the bit as ``ldl_solve`` does."""
    matrix = _spd(250, 9)
    perm = np.random.default_rng(19).permutation(250).astype(np.intp)
    where = np.empty(250, np.intp)
    where[perm] = np.arange(250)
    indptr, indices, data = permuted_upper(250, where, *_upper(matrix))
    factors = ldl_factor(indptr, indices, data, *elimination_tree(indptr, indices),
                         *NO_LAST)[:4]
    rhs = np.random.default_rng(9).normal(size=(250, 5))
    many = ldl_solve_many(*factors, perm, rhs)
    for j in range(5):
        assert np.array_equal(many[:, j], ldl_solve(*factors, perm, rhs[:, j].copy()))
    assert np.abs(matrix @ many - rhs).max() < 1e-10


def _scattered(rng, n):
    """500 entries anywhere."""
    return (rng.integers(0, n, 500).astype(np.intp), rng.integers(0, n, 500).astype(np.intp),
            rng.normal(size=500))


def _crowded(rng, n):
    """A pad's centre: 3000 entries in three columns, rows repeated, values of mixed
    magnitudes (a sum's last bits then depend on its order)."""
    cols = rng.choice(np.array([3, 7, 50], dtype=np.intp), 3000)
    rows = rng.integers(0, 12, 3000).astype(np.intp)
    return rows, cols, rng.normal(size=3000) * 10.0 ** rng.integers(-8, 9, 3000)


@pytest.mark.parametrize("seed", range(3))
def test_a_system_of_the_last_pattern_refactorises_to_the_bit(seed):
    """Factors of a matrix of the last one's pattern, in the last one's order of updates,
    the rows its changed entries reach redone and the rest taken from the last factors,
    equal to the bit those made afresh (and differ from the last); rows nothing reaches are
    taken, not computed."""
    rng = np.random.default_rng(seed)
    matrix = _spd(300, seed)
    perm = rng.permutation(300).astype(np.intp)
    where = np.empty(300, np.intp)
    where[perm] = np.arange(300)
    indptr, indices, data = permuted_upper(300, where, *_upper(matrix))
    tree = elimination_tree(indptr, indices)
    _, _, l_val, d_inv, ok, *order = ldl_factor(indptr, indices, data, *tree, *NO_LAST)
    assert ok and order[0][-1] == len(l_val)   # every entry of L in the order, once
    changed = data.copy()
    changed[rng.choice(len(data), 4, replace=False)] *= 1.5
    again = ldl_factor(indptr, indices, changed, *tree, data, l_val, d_inv, *order)
    afresh = ldl_factor(indptr, indices, changed, *tree, *NO_LAST)
    assert again[4] and afresh[4]
    for a, b in zip(again[:4] + again[5:], afresh[:4] + afresh[5:]):
        assert np.array_equal(a, b)
    assert not np.array_equal(again[2], l_val)
    marked = ldl_factor(indptr, indices, data, *tree, data, 2.0 * l_val, 3.0 * d_inv, *order)
    assert np.array_equal(marked[2], 2.0 * l_val) and np.array_equal(marked[3], 3.0 * d_inv)


@pytest.mark.parametrize("n, seed, entries", [(200, 3, _scattered), (120, 5, _crowded)])
def test_a_fixed_matrix_plus_entries_is_assembled_as_all_of_them_at_once(n, seed, entries):
    """Entries merged onto a fixed permuted matrix give, to the bit, the matrix assembled
    from all the entries at once (duplicates summed in the order given)."""
    rng = np.random.default_rng(seed)
    fixed = _spd(n, seed)
    where = rng.permutation(n).astype(np.intp)
    rows, cols, values = entries(rng, n)
    f_rows, f_cols, f_values = _upper(fixed)
    merged = merged_upper(where, *permuted_upper(n, where, f_rows, f_cols, f_values), rows,
                          cols, values)
    at_once = permuted_upper(n, where, np.concatenate([f_rows, rows]),
                             np.concatenate([f_cols, cols]),
                             np.concatenate([f_values, values]))
    for a, b in zip(merged, at_once):
        assert np.array_equal(a, b)
    dense = fixed.toarray()
    np.add.at(dense, (rows, cols), values)
    np.add.at(dense, (cols, rows), np.where(rows == cols, 0.0, values))
    indptr, indices, data = merged
    rebuilt = sp.csc_matrix((data, indices, indptr), shape=(n, n)).toarray()
    perm = np.argsort(where)
    assert np.allclose(rebuilt, np.triu(dense[np.ix_(perm, perm)]), rtol=1e-12, atol=1e-9)


def test_a_system_without_a_usable_pivot_is_solved_by_lu(scene_of):
    model = build_model(scene_of("aica_as_moderate_right"))
    factor = solver._Factor(model)
    n = factor.n
    # a term making the first free DOF's pivot zero whatever the ordering: the system
    # stays solvable, with pivoting
    static = model.stiffness[model.free][:, model.free]
    diagonal = static.diagonal()
    part = (np.arange(n, dtype=np.intp), np.arange(n, dtype=np.intp),
            np.where(np.arange(n) == 0, -diagonal, 0.0))
    rhs = np.random.default_rng(0).normal(size=n)
    before = solver.FACTOR_COUNTS.pivoted
    x = factor.solve([part], rhs)
    matrix = static + sp.diags(part[2])
    assert solver.FACTOR_COUNTS.pivoted == before + 1
    assert np.abs(matrix @ x - rhs).max() < 1e-8 * np.abs(rhs).max()


def test_a_sweep_orders_once_and_answers_as_fresh_factorisations(scene_of, monkeypatch):
    """Every solve of a pulse sweep uses the one ordering made for its model (the patterns
    the contacts make each cost an elimination tree, fewer than the systems); a system
    solved there gives, to the bit, what a factorisation made afresh for it alone gives,
    and what LU gives to rounding."""
    scene = scene_of("multi_aica_pica_right")
    model = build_model(scene)
    monkeypatch.setattr(solver, "_ORDERINGS", Recent(solver._ORDERINGS_KEPT))
    monkeypatch.setattr(solver, "_SHARED", Recent(solver._SHARED_KEPT))
    systems = []
    solve = solver._Factor.solve

    def recording(self, parts, rhs, low_rank=None):
        x = solve(self, parts, rhs, low_rank)
        systems.append(([tuple(np.copy(a) for a in part) for part in parts], rhs.copy(), x,
                        low_rank))
        return x

    monkeypatch.setattr(solver._Factor, "solve", recording)
    before = dict(vars(solver.FACTOR_COUNTS))
    pulse_sweep.sweep(scene, model, [start_displacement(model)])
    counts = {k: v - before[k] for k, v in vars(solver.FACTOR_COUNTS).items()}
    assert counts["orderings"] == 1 and counts["pivoted"] == 0
    assert counts["factorisations"] == len(systems) >= 10
    assert counts["trees"] < len(systems)
    again = len(systems)
    pulse_sweep.sweep(scene, model, [start_displacement(model)])
    assert solver.FACTOR_COUNTS.orderings == before["orderings"] + 1
    assert np.array_equal(systems[again - 1][2], systems[-1][2])  # the same last system

    static = model.stiffness[model.free][:, model.free]
    for parts, rhs, x, low_rank in systems[1:again:3]:
        monkeypatch.setattr(solver, "_ORDERINGS", Recent(solver._ORDERINGS_KEPT))
        monkeypatch.setattr(solver, "_SHARED", Recent(solver._SHARED_KEPT))
        solver._ANALYSES.pop(model)
        assert np.array_equal(solver._Factor(model).solve(parts, rhs, low_rank), x)
        matrix = static.copy()
        if low_rank is not None:   # a pad's rim share (none here: no pad)
            matrix = matrix + sp.csr_matrix(low_rank[0] @ low_rank[1].T)
        for rows, cols, values in parts:
            term = sp.coo_matrix((values, (rows, cols)), shape=static.shape)
            matrix = matrix + term + sp.triu(term, k=1).T
        exact = spsolve(matrix.tocsc(), rhs)
        assert np.abs(x - exact).max() < 1e-8 * np.abs(exact).max()


def test_a_linear_tail_is_recognised_by_parallel_shrinking_steps():
    rng = np.random.default_rng(1)
    step = rng.normal(size=50)
    assert solver._tail_ratio(0.9 * step, step) == pytest.approx(0.9)
    assert solver._tail_ratio(0.9 * step, None) is None
    assert solver._tail_ratio(0.3 * step, step) is None        # converging fast: Newton's
    assert solver._tail_ratio(step, step) is None              # not shrinking
    assert solver._tail_ratio(0.9 * step + 0.1 * rng.normal(size=50), step) is None
    assert solver._tail_ratio(-0.9 * step, step) is None       # turning back


def test_a_model_with_nothing_free_is_solved(scene_of, clamped_rod):
    """Every node clamped: no DOF to solve for, and no ordering to make."""
    points = np.linspace([70.0, 0.0, 0.0], [70.0, 4.0, 0.0], 5)
    rod = clamped_rod("held", points)
    rod.clamped[:] = True
    model = MechanicalModel([rod], [], scene_of("atlas_default_right").brainstem,
                            DEFAULT_MATERIALS)
    result = solver.solve(model, np.full(5, 0.5))
    assert result.success and np.all(result.u == 0.0)


def test_models_of_one_static_stiffness_share_their_analysis(case_of, monkeypatch):
    """Two models of a case's rods with a pad each (elsewhere) have one static stiffness:
    the second takes the first's analysis; a model with another number of pads does not."""
    from mvd_sim.scenario import SpongeSpec
    from mvd_sim.surgery.pads import place_sponges

    scene = case_of("aica_as_moderate_right").scene
    monkeypatch.setattr(solver, "_SHARED", Recent(solver._SHARED_KEPT))
    models = []
    for where in (3.0, 6.0):
        bodies, _ = place_sponges(scene, [SpongeSpec(diameter_mm=2.0, s_mm=where)])
        models.append(build_model(scene, bodies))
    first, second = (solver._Factor(m).analysis for m in models)
    assert second is first
    assert solver._Factor(build_model(scene)).analysis is not first
