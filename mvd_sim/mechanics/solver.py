"""Quasi-static equilibrium with non-penetrating contacts (sparse Newton on the active set).

The energy is the rods' linear frame energy plus tethers, the sponges' hold, the slings'
bands (springs toward where they hold their vessels' nodes, targets that do not move with
the pulse: ``MechanicalModel.sling_force``), and a piecewise quadratic penalty for every
contact the model's laws find (:mod:`mvd_sim.mechanics.contacts`).
Each iteration detects contacts in the current configuration, linearises their gaps about it
(normals and closest points updated: a contact can slide and open), and solves the resulting
sparse symmetric system exactly (an LDL^T factorisation, :class:`_Factor`, on one ordering
per model: a new contact pattern costs only its elimination tree): Gauss-Newton while the
active set changes, Newton once it has settled: with the softening curvature term of
tube-on-tube contacts and, after a cut step, a pad's rim share
(:mod:`mvd_sim.mechanics.rim`: unsymmetric, of low rank, solved with the LDL^T by the
Woodbury identity); where two whole steps on one active set are parallel and shrink
geometrically (a linear tail: the matrix lacks the soft-min sharing), the step is taken to
where the tail's steps add up to (:func:`_tail_ratio`). Each step is globalised by a line
search on the energy's slope along it (:func:`_line_search`): a step that would drive nodes
through contacts it did not include is cut where the slope of the contacts' piecewise linear
model vanishes (or just past where a node comes over a pad's rim), so the active set does
not cycle (the damping it replaced let a pad's contacts open and close for 10-30 steps, or
for ever). The brainstem's tangent planes (:mod:`mvd_sim.mechanics.surface`) are refreshed
at the first iteration and checked once the updates fall under :data:`REFRESH_MM` (new
planes under open contacts alone change no force, and do not keep a converged iteration
going). Iteration stops when the displacement update is below ``tol_mm`` and the active set
(open / compliant / saturated) is unchanged up to contacts carrying less than
:data:`FORCE_TOL_N`. The answer is a :class:`SolveResult`; one that did not converge says so
(``success`` False, and why), and :func:`mvd_sim.mechanics.simulate.settle` turns it into a
:class:`~mvd_sim.core.errors.SolverError`.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from dataclasses import dataclass

import numpy as np
import qdldl
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from mvd_sim.core.recent import Recent
from mvd_sim.mechanics.contacts import BRAINSTEM, ContactSet, detect
from mvd_sim.mechanics.ldl_kernels import (NO_LAST, elimination_tree, ldl_factor, ldl_solve,
                                          ldl_solve_many, merged_upper, permuted_upper)
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.mechanics.rim import rim_entry, rim_rows
from mvd_sim.mechanics.row_kernels import active_sums, gram_entries, row_entries, row_forces
from mvd_sim.mechanics.surface import BrainstemSurface

__all__ = ["SolveResult", "solve", "DETECT_MARGIN_MM", "FORCE_TOL_N"]

_log = logging.getLogger(__name__)  # progress of long solves (INFO), shown by the CLI

DETECT_MARGIN_MM = 0.3  # contacts are tracked within this gap (mm); only overlaps push
FORCE_TOL_N = 2e-5  # contacts carrying less may flicker at convergence (contacts carry mN)
SLOPE_SHARE = 0.5  # a step ends where the energy's slope along it is at most this share
MIN_STEP = 1.0 / 64  # the shortest step the line search tries (taken whatever it gives)
REFRESH_MM = 1e-3  # the brainstem's planes are checked once updates are under this (mm)
TAIL_COSINE = 0.999  # two whole steps this parallel, shrinking by a ratio in TAIL_RATIOS,
TAIL_RATIOS = (0.5, 0.995)  # are a linear tail (:func:`_tail_ratio`)


@dataclass(frozen=True, eq=False)
class SolveResult:
    """The outcome of :func:`solve`: an equilibrium if ``success``, else the last iterate.

    Attributes
    ----------
    success : bool
        Whether the iteration converged.
    message : str
        One sentence: how it converged, or why it did not.
    iterations : int
    residual : float
        Largest out-of-balance force on a free DOF (N or N mm) at the returned state.
    u : (n_dof,) float
        Displacements (mm) and rotations (rad) from the stress-free configuration.
    positions : (slots, 3) float, mm
    radii : (rod slots,) float, mm
        Rod radii used (pulse phase included).
    contacts : ContactSet
        Contacts at the returned state (gaps exact, not linearised).
    """

    success: bool
    message: str
    iterations: int
    residual: float
    u: np.ndarray
    positions: np.ndarray
    radii: np.ndarray
    contacts: ContactSet

    def forces_n(self) -> np.ndarray:
        """(c,) compressive force of each contact, N."""
        return self.contacts.force_n()


class _Rows:
    """Contacts as sparse rows over the DOFs: contact ``i`` reads the relative displacement
    of its points along a direction (its normal: the change of its gap).

    Attributes
    ----------
    dofs : (c, 9) int
        The DOFs of its three slots' translations (``-1`` for none).
    coef : (c, 9) float
        Slot weight times direction component.
    """

    def __init__(self, model: MechanicalModel, contacts: ContactSet, rows: np.ndarray,
                 direction: np.ndarray):
        rows = np.asarray(rows, dtype=np.intp)
        self.dofs, self.coef = row_entries(contacts.slots, contacts.weights, direction, rows,
                                           model.slot_dof)
        self._rows = (contacts.slots[rows], contacts.weights[rows], direction[rows],
                      model.slot_dof)

    def apply(self, u: np.ndarray) -> np.ndarray:
        """(c,) relative displacement of each contact along its direction."""
        return np.sum(self.coef * u[np.maximum(self.dofs, 0)], axis=1)

    def transpose_apply(self, values: np.ndarray, n_dof: int) -> np.ndarray:
        """(n_dof,) sum of each row times its value (forces on the DOFs;
        :func:`~mvd_sim.mechanics.row_kernels.row_forces`)."""
        slots, weights, direction, slot_dof = self._rows
        return row_forces(slots, weights, direction, np.asarray(values, dtype=float),
                          slot_dof, n_dof)

    def gram(self, weights: np.ndarray, free_index: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``sum_i w_i r_i r_i^T`` restricted to the free DOFs: the upper triangle's
        entries as (rows, columns, values), duplicates not summed
        (:func:`~mvd_sim.mechanics.row_kernels.gram_entries`)."""
        return gram_entries(self.dofs, self.coef, weights, free_index)


@dataclass
class FactorCounts:
    """How often :class:`_Factor` did each part of its work in this process (a test reads
    the differences; nothing else depends on them).

    Attributes
    ----------
    orderings : int
        Fill-reducing orderings made (one per static sparsity pattern: per model, or
        fewer where models share one).
    trees : int
        Elimination trees made (one per new sparsity pattern of a model's systems).
    factorisations : int
        Numeric factorisations (one per Newton system).
    pivoted : int
        Systems an unpivoted LDL^T could not factor, solved by LU with pivoting.
    """

    orderings: int = 0
    trees: int = 0
    factorisations: int = 0
    pivoted: int = 0


#: This process's counts (:class:`FactorCounts`).
FACTOR_COUNTS = FactorCounts()


def _ordering(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(n,) approximate minimum degree ordering of a symmetric pattern given by its upper
    triangle's entries (QDLDL's, read off a factorisation of a diagonally dominant matrix
    of that pattern), kept for the last :data:`_ORDERINGS_KEPT` patterns asked (the
    planner's candidates with as many pads share one)."""
    if n == 0:   # nothing free (qdldl refuses an empty matrix)
        return np.empty(0, dtype=np.intp)
    key = hashlib.blake2b(np.int64(n).tobytes() + rows.tobytes() + cols.tobytes(),
                          digest_size=16).digest()
    def order() -> np.ndarray:
        pattern = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        pattern = sp.triu(pattern + sp.diags(np.full(n, n + 1.0)), format="csc")
        perm = np.asarray(qdldl.Solver(pattern, upper=True).factors()[2], dtype=np.intp)
        FACTOR_COUNTS.orderings += 1
        return perm

    return _ORDERINGS.fetch(key, order)


_ORDERINGS_KEPT = 16
_ORDERINGS: Recent[bytes, np.ndarray] = Recent(_ORDERINGS_KEPT)


class _Analysis:
    """What every Newton system of one model shares: the static stiffness on the free DOFs
    (its upper triangle permuted, :func:`~mvd_sim.mechanics.ldl_kernels.permuted_upper`),
    its ordering (:func:`_ordering` of the static pattern: the contacts' entries add a
    little fill to it, but it then holds for every system of the model), and the
    elimination tree of the last sparsity pattern met, with the numbers, factors and order
    of updates of the last system of that pattern factorised (a system of it refactorises
    only the rows of ``L`` its changed entries reach, without searching the reaches again:
    :func:`~mvd_sim.mechanics.ldl_kernels.ldl_factor`)."""

    def __init__(self, static: sp.spmatrix):
        upper = sp.triu(static, format="coo")
        n = static.shape[0]
        rows, cols = upper.row.astype(np.intp), upper.col.astype(np.intp)
        self.perm = _ordering(n, rows, cols)
        self.where = np.empty(n, dtype=np.intp)
        self.where[self.perm] = np.arange(n)
        self.static = permuted_upper(n, self.where, rows, cols, upper.data)
        # (indptr, indices, tree, the last system's numbers, factors and order of updates,
        # or NO_LAST) of the last pattern, replaced as one object, so that solves of one
        # model in several threads never read one's pattern with another's tree or factors
        self._last: tuple | None = None

    def tree_of(self, indptr: np.ndarray, indices: np.ndarray
                ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]:
        """The elimination tree and column counts of a permuted upper pattern, and the
        numbers, ``l_val``, ``d_inv`` and order of updates of the last system of it
        factorised (:data:`~mvd_sim.mechanics.ldl_kernels.NO_LAST` if the last pattern
        was another)."""
        last = self._last
        if last is not None and np.array_equal(indptr, last[0]) \
                and np.array_equal(indices, last[1]):
            return last[2], last[3]
        tree = elimination_tree(indptr, indices)
        self._last = (indptr, indices, tree, NO_LAST)
        FACTOR_COUNTS.trees += 1
        return tree, NO_LAST

    def keep(self, indptr: np.ndarray, indices: np.ndarray,
             tree: tuple[np.ndarray, np.ndarray], last: tuple[np.ndarray, ...]) -> None:
        """Keep a system's numbers, usable factors and order of updates (``last``, as
        :func:`~mvd_sim.mechanics.ldl_kernels.ldl_factor` takes them) for the next
        system of its pattern."""
        self._last = (indptr, indices, tree, last)


# per model (a value), what its systems share; every solve of a model (pulse phases,
# sweeps) uses one ordering
_ANALYSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# and across models with one static stiffness (the same rods, materials and number of pads:
# the planner's candidates, a pad tried again elsewhere), the last few
_SHARED_KEPT = 8
_SHARED: Recent[tuple, _Analysis] = Recent(_SHARED_KEPT)


def _static_key(model: MechanicalModel) -> tuple | None:
    """What the static stiffness on the free DOFs is made of: the rods (as objects: a
    scene's rods are made once), the materials and the number of pads; None for a model
    with slings or bands, whose springs it also holds."""
    if model.slings or model.bands:
        return None
    return (tuple(model.rods), model.materials, len(model.sponges))


def _analysis(model: MechanicalModel) -> _Analysis:
    """The model's :class:`_Analysis`, made once and shared with models of the same static
    stiffness."""
    analysis = _ANALYSES.get(model)
    if analysis is not None:
        return analysis
    key = _static_key(model)

    def analyse() -> _Analysis:
        free = model.free
        return _Analysis(model.stiffness[free][:, free])

    analysis = analyse() if key is None else _SHARED.fetch(key, analyse)
    return _ANALYSES.setdefault(model, analysis)


class _Factor:
    """Sparse LDL^T solves of the Newton systems of one model: the static stiffness plus
    the contacts' terms. The ordering (approximate minimum degree on the static pattern)
    is made once per model (or static stiffness: :func:`_analysis`) and kept for every
    system of every solve of it; a new sparsity
    pattern (the contacts between rods couple new nodes at about every other step) costs
    only its elimination tree (:mod:`mvd_sim.mechanics.ldl_kernels`), then the numbers are
    factorised. The answers do not depend on which systems came before.

    Parameters
    ----------
    model : MechanicalModel
    """

    def __init__(self, model: MechanicalModel):
        self.analysis = _analysis(model)
        self.n = len(self.analysis.perm)

    def solve(self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
              rhs: np.ndarray, low_rank: tuple[np.ndarray, np.ndarray] | None = None
              ) -> np.ndarray:
        """``(static + sum of parts + U V^T) x = rhs``; each part is upper-triangle entries
        (rows, columns, values) of a symmetric term, ``low_rank`` the (n, k) arrays ``U``
        and ``V`` of an unsymmetric one of rank k (a pad's rim share,
        :mod:`mvd_sim.mechanics.rim`), solved with the LDL^T of the symmetric part by the
        Woodbury identity (k + 1 solves with the factors and a k x k system)."""
        rows = np.concatenate([p[0] for p in parts]).astype(np.intp, copy=False)
        cols = np.concatenate([p[1] for p in parts]).astype(np.intp, copy=False)
        values = np.concatenate([p[2] for p in parts]).astype(float, copy=False)
        a = self.analysis
        indptr, indices, data = merged_upper(a.where, *a.static, rows, cols, values)
        tree, last = a.tree_of(indptr, indices)
        l_ptr, l_idx, l_val, d_inv, ok, *order = ldl_factor(indptr, indices, data, *tree,
                                                            *last)
        FACTOR_COUNTS.factorisations += 1
        if ok:
            a.keep(indptr, indices, tree, (data, l_val, d_inv, *order))
            if low_rank is None:
                x = ldl_solve(l_ptr, l_idx, l_val, d_inv, a.perm, np.ascontiguousarray(rhs))
            else:
                x = _woodbury(ldl_solve_many(l_ptr, l_idx, l_val, d_inv, a.perm,
                                             np.column_stack([rhs, low_rank[0]])),
                              low_rank[1])
            if x is not None and np.all(np.isfinite(x)):
                return x
        # an indefinite Newton system (the softening curvature term far from equilibrium)
        # can break an unpivoted LDL^T; LU with partial pivoting solves it
        FACTOR_COUNTS.pivoted += 1
        upper = sp.csc_matrix((data, indices, indptr), shape=(self.n, self.n))
        full = (upper + sp.triu(upper, k=1).T).tocsc()[a.where][:, a.where]
        if low_rank is not None:
            full = full + sp.csc_matrix(low_rank[0]) @ sp.csc_matrix(low_rank[1]).T
        return spsolve(full.tocsc(), rhs, permc_spec="NATURAL")


def _woodbury(solved: np.ndarray, v_cols: np.ndarray) -> np.ndarray | None:
    """``x`` of ``(A + U V^T) x = rhs`` from ``solved = A^-1 [rhs, U]`` ((n, 1 + k)) and
    ``V`` ((n, k)), by the Woodbury identity: ``y - Z (I + V^T Z)^-1 V^T y`` with ``y =
    A^-1 rhs``, ``Z = A^-1 U``; None if ``I + V^T Z`` is singular (its least singular value
    under :data:`_WOODBURY_SINGULAR` of its terms' size)."""
    y, z = solved[:, 0], solved[:, 1:]
    coupling = v_cols.T @ z
    capacitance = np.eye(z.shape[1]) + coupling
    least = np.linalg.svd(capacitance, compute_uv=False)[-1]
    if not least > _WOODBURY_SINGULAR * max(1.0, float(np.abs(coupling).max())):
        return None
    return y - z @ np.linalg.solve(capacitance, v_cols.T @ y)


_WOODBURY_SINGULAR = 1e-12


def _state(contacts: ContactSet) -> np.ndarray:
    return (contacts.gap < 0).astype(np.int8) + (-contacts.gap > contacts.capacity)


def _active_key(contacts: ContactSet, state: np.ndarray) -> dict:
    """The active set: which point touches which body, and how (compliant/saturated), with
    the contact forces (N). A node keeps its identity when its closest segment on the other
    body changes."""
    slot, body, kind, force = active_sums(contacts.slots, contacts.body_a, state, contacts.gap,
                                          contacts.k_soft, contacts.k_hard, contacts.capacity)
    # as Python numbers (hashed several times faster than numpy's scalars)
    return dict(zip(zip(slot.tolist(), body.tolist(), kind.tolist()), force.tolist()))


def _same_state(key: dict, previous: dict | None, force_tol: float) -> bool:
    """Whether two active sets agree, up to contacts carrying at most ``force_tol``: a point
    resting on a surface with no load, or at the rim of a pad, flickers between touching and
    not without changing the balance of forces."""
    if previous is None:
        return False
    changed = key.keys() ^ previous.keys()
    return all(key.get(k, previous.get(k)) <= force_tol for k in changed)


def _residual(model: MechanicalModel, u: np.ndarray, offset: np.ndarray, load: np.ndarray,
              contacts: ContactSet) -> float:
    # the stiffness holds the slings' diagonal: their targets do not move with ``offset``
    r = (model.stiffness @ (u - offset) - load - model.sling_force(offset)
         - _contact_forces(model, contacts))
    return float(np.max(np.abs(r[model.free]), initial=0.0))


def _result(model: MechanicalModel, success: bool, message: str, iterations: int,
            u: np.ndarray, radii: np.ndarray, offset: np.ndarray, load: np.ndarray,
            contacts: ContactSet) -> SolveResult:
    """The result at ``u`` with ``contacts``, its contacts there (on the tangent planes
    the iteration ended on), and its residual."""
    return SolveResult(success, message, iterations, _residual(model, u, offset, load, contacts),
                       u, model.positions(u), radii, contacts)


def _newton_step(factor: _Factor, parts: list, rhs: np.ndarray, u: np.ndarray,
                 free: np.ndarray, low_rank: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> np.ndarray:
    """(n_dof,) the step from ``u`` to the solution of one linearised system (its
    unsymmetric low-rank part ``U V^T``, if any, linearised about ``u`` as well)."""
    rhs = rhs[free]
    if low_rank is not None:
        rhs = rhs + low_rank[0] @ (low_rank[1].T @ u[free])
    u_new = np.zeros(len(u))
    u_new[free] = factor.solve(parts, rhs, low_rank)
    return u_new - u


def _columns(rows: _Rows, free_index: np.ndarray, n_free: int) -> np.ndarray:
    """(n_free, c) the rows as dense columns over the free DOFs."""
    out = np.zeros((n_free, len(rows.dofs)))
    local = np.where(rows.dofs >= 0, free_index[np.maximum(rows.dofs, 0)], -1)
    k = np.broadcast_to(np.arange(len(rows.dofs))[:, None], local.shape)
    keep = local >= 0
    np.add.at(out, (local[keep], k[keep]), rows.coef[keep])
    return out


def _rim_update(model: MechanicalModel, contacts: ContactSet, u: np.ndarray,
                radii: np.ndarray, free_index: np.ndarray, n_free: int
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """``(U, V)``, (n_free, k): the rim shares' part ``sum_j c_j n_j t_j^T`` of the Newton
    matrix (:mod:`mvd_sim.mechanics.rim`) on the free DOFs; None without a node on a rim."""
    index, coef, slide = rim_rows(model, contacts, model.positions(u), radii)
    if len(index) == 0:
        return None
    direction = np.zeros((len(contacts), 3))
    direction[index] = slide
    return (_columns(_Rows(model, contacts, index, contacts.normal), free_index, n_free) * coef,
            _columns(_Rows(model, contacts, index, direction), free_index, n_free))


def _gradient(model: MechanicalModel, elastic: np.ndarray, contacts: ContactSet
              ) -> np.ndarray:
    """(n_dof,) the energy's gradient: the out-of-balance forces with the sign of a
    residual, from the elastic part ``elastic`` (``K u - f``) and the contacts at ``u``."""
    return elastic - _contact_forces(model, contacts)


def _contact_forces(model: MechanicalModel, contacts: ContactSet) -> np.ndarray:
    """(n_dof,) the contacts' forces (N) on the DOFs, each along its normal: the
    transpose of their rows (:class:`_Rows`) applied to their forces, in one compiled pass
    (:func:`~mvd_sim.mechanics.row_kernels.row_forces`)."""
    return row_forces(contacts.slots, contacts.weights, contacts.normal, contacts.force_n(),
                      model.slot_dof, model.n_dof)


def _model_root(model: MechanicalModel, contacts: ContactSet, step: np.ndarray,
                slope: float, curvature: float) -> float:
    """Where the energy's slope along ``step`` first reaches zero in (0, 1] on the model
    that keeps every contact of ``contacts`` (open ones within the detection margin too) on
    its normal at ``u``, its gap changing linearly along the step, its force piecewise
    linear in the gap (kinks at touching and at the capacity): 1 if it does not.
    ``slope`` is the slope at 0, ``curvature`` is ``step . K step``."""
    if len(contacts) == 0:
        return 1.0
    rate = _Rows(model, contacts, np.arange(len(contacts)), contacts.normal).apply(step)
    gap = contacts.gap
    square = rate * rate
    k_now = contacts.k_soft * (gap < 0) + contacts.k_hard * (gap < -contacts.capacity)
    b0 = curvature + float(np.sum(k_now * square))
    times, changes = [], []
    moving = rate != 0.0
    for level, k in ((0.0, contacts.k_soft), (-contacts.capacity, contacts.k_hard)):
        with np.errstate(divide="ignore", invalid="ignore"):
            when = np.where(moving, (level - gap) / rate, np.inf)
        cross = (when > 0.0) & (when < 1.0)
        times.append(when[cross])
        changes.append(np.where(rate[cross] < 0.0, 1.0, -1.0) * k[cross] * square[cross])
    times, changes = np.concatenate(times), np.concatenate(changes)
    order = np.argsort(times)
    start = np.concatenate([[0.0], times[order]])
    rising = b0 + np.concatenate([[0.0], np.cumsum(changes[order])])
    end = np.concatenate([times[order], [1.0]])
    value = slope + np.concatenate([[0.0], np.cumsum(rising * (end - start))])
    past = np.flatnonzero(value[1:] >= 0.0)
    if len(past) == 0:
        return 1.0
    j = past[0]
    return float(start[j] - value[j] / rising[j]) if rising[j] > 0 else float(end[j])


def _line_search(model: MechanicalModel, radii: np.ndarray, surface: BrainstemSurface,
                 u: np.ndarray, step: np.ndarray, contacts: ContactSet, elastic: np.ndarray,
                 slope: float, small: bool) -> tuple[np.ndarray, ContactSet, float]:
    """``u + alpha step`` for the first ``alpha`` tried (1, then shorter) at which the energy
    still falls along the step or has nearly stopped falling; its contacts, and ``alpha``.

    The energy's slope along the step, ``phi'(alpha) = gradient(u + alpha step) . step``,
    is ``slope`` (< 0) at 0 (``contacts`` and ``elastic``, ``K u - f``, are those at
    ``u``). A step is taken when ``phi'(alpha) <= SLOPE_SHARE |slope|``: not past the
    minimum along it by much (Wolfe's curvature condition). Past it, the full step is cut
    where the slope of the contacts' piecewise linear model reaches zero
    (:func:`_model_root`: the first contact the step would drive a node through, taken at
    the depth where its force balances the rest), or, if a node comes over a pad's rim
    before that (:func:`~mvd_sim.mechanics.rim.rim_entry`: pressed in already, it is
    outside the model), where the line from the model's slope there (``slope (1 -
    entry)``) to the slope at the full step crosses zero; a shorter one where the line
    through the slopes at 0 and ``alpha`` crosses zero, within a tenth (or the model's
    root, if that is shorter than ``alpha``) and nine tenths of ``alpha``, down to
    :data:`MIN_STEP`. The slope is read from the forces of the residual (the
    contacts at the trial state, normals and closest points updated), not from the energy
    itself, whose change a non-conservative share of the contacts (the soft-min sharing,
    a pad's rim) blurs near convergence. A step under the tolerance (``small``) is taken
    whole. Every trial's contacts are detected; the one taken serves the next iteration.
    """
    k_step = model.stiffness @ step
    alpha, predicted, entry = 1.0, 1.0, 1.0
    while True:
        trial = u + alpha * step
        found = detect(model, model.configuration(trial, radii), surface, DETECT_MARGIN_MM)
        if small or slope >= 0.0 or alpha <= MIN_STEP:
            return trial, found, alpha
        here = float(_gradient(model, elastic + alpha * k_step, found) @ step)
        if here <= -SLOPE_SHARE * slope:
            return trial, found, alpha
        cross = alpha * slope / (slope - here)
        floor = 0.1 * alpha
        if alpha == 1.0:
            predicted = _model_root(model, contacts, step, slope, float(step @ k_step))
            entry = rim_entry(model, contacts, found, model.positions(u),
                              model.positions(trial), radii)
            cross = predicted if predicted < 1.0 else cross
            if entry < min(predicted, 1.0):
                # a node comes over a pad's rim on the way: the slope as the linear model
                # has it there, to the slope at the full step
                before = slope * (1.0 - entry)
                cross = entry + (1.0 - entry) * before / (before - here)
        elif predicted < alpha and entry >= predicted:
            # a shorter trial failed too: not short of the model's root (the first contact
            # met, balanced), which a node only just clear of a surface sets (the secant
            # through a trial far past it would cut to the floor, short of it)
            floor = predicted
        alpha = max(min(cross, 0.9 * alpha), floor, MIN_STEP)


def _on_brainstem(contacts: ContactSet) -> np.ndarray:
    """(k,) int, ascending: the slots of the nodes pressed on the brainstem's planes."""
    return np.sort(contacts.slots[(contacts.body_a == BRAINSTEM) & (contacts.gap < 0.0), 2])


def _tail_ratio(step: np.ndarray, previous: np.ndarray | None) -> float | None:
    """The ratio of ``step`` to ``previous`` (the whole step taken before it, on the same
    active set) where the two are parallel (cosine over :data:`TAIL_COSINE`) and it lies in
    :data:`TAIL_RATIOS`: the Newton matrix then misses part of the stiffness along one mode
    (a pad's rim share, the soft-min sharing are not in it), and the steps shrink
    geometrically (a linear tail) toward ``step / (1 - ratio)`` from here. None otherwise."""
    if previous is None:
        return None
    norm, before = float(np.linalg.norm(step)), float(np.linalg.norm(previous))
    if norm == 0.0 or before == 0.0 or float(step @ previous) < TAIL_COSINE * norm * before:
        return None
    ratio = norm / before
    return ratio if TAIL_RATIOS[0] <= ratio <= TAIL_RATIOS[1] else None


def solve(model: MechanicalModel, radii: np.ndarray, u0: np.ndarray | None = None,
          offset: np.ndarray | None = None, load: np.ndarray | None = None, *,
          surface: BrainstemSurface | None = None, tol_mm: float = 1e-4,
          max_iter: int = 80) -> SolveResult:
    """Equilibrium of ``model``.

    Parameters
    ----------
    radii : (rod slots,) float, mm
        Rod radii (a pulse phase scales the arteries').
    u0 : (n_dof,) float, optional
        Starting displacements (a deviated nerve, a retracted vessel); zero by default.
    offset : (n_dof,) float, optional
        Displacement of the stress-free configuration (pulsatile translation); zero on
        clamped DOFs.
    load : (n_dof,) float, optional
        External forces (N) and moments (N mm).
    surface : BrainstemSurface, optional
        The brainstem's per-slot tangent planes (``model.new_surface()``), updated in place.
        The caller owns it: passing the one an earlier solve of this model used starts from
        its closest points. Default: a fresh one for this solve.
    tol_mm : float, mm
        Convergence tolerance on the displacement update; default 1e-4.
    max_iter : int
        Most iterations (at least 1); default 80.

    Returns
    -------
    SolveResult
        ``success`` False, the reason in ``message`` and the last iterate in the state, if
        the iteration did not converge within ``max_iter`` steps.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, not {max_iter}")
    if surface is None:
        surface = model.new_surface()
    elif surface.brainstem is not model.brainstem or surface.n_slots != model.n_slots:
        raise ValueError("surface: made for another model (model.new_surface() makes one "
                         "for this one)")
    n = model.n_dof
    free = model.free
    free_index = np.full(n, -1)
    free_index[free] = np.arange(int(np.count_nonzero(free)))
    n_free = int(np.count_nonzero(free))
    u = np.zeros(n) if u0 is None else np.array(u0, dtype=float)
    u[~free] = 0.0
    offset = np.zeros(n) if offset is None else offset
    load = np.zeros(n) if load is None else load
    k_static = model.stiffness
    f_static = k_static @ offset + load + model.sling_force(offset)
    factor = _Factor(model)
    previous_key, contacts, tail, alpha = None, None, None, 1.0
    for iteration in range(1, max_iter + 1):
        if contacts is None:
            configuration = model.configuration(u, radii)
            if iteration == 1:
                # the brainstem's tangent planes move once per solve (and near convergence,
                # if anything moved far), so the state does not chatter on them
                surface.refresh(configuration.positions)
            contacts = detect(model, configuration, surface, DETECT_MARGIN_MM)
        state = _state(contacts)
        key = _active_key(contacts, state)
        same = _same_state(key, previous_key, FORCE_TOL_N)
        active = np.flatnonzero(state > 0)
        saturated = state[active] == 2
        k_eff = contacts.k_soft[active] + np.where(saturated, contacts.k_hard[active], 0.0)
        c_sat = np.where(saturated, contacts.k_hard[active] * contacts.capacity[active], 0.0)
        gap = contacts.gap[active]
        normal = _Rows(model, contacts, active, contacts.normal)
        elastic = k_static @ u - f_static
        gradient = _gradient(model, elastic, contacts)
        # Newton on the penalty energy: k grad(g) grad(g)^T plus, once the active set has
        # settled, the curvature term k g d2g that softens sliding around a tube pressed
        # into (far from equilibrium it could make the system indefinite: then the
        # Gauss-Newton step alone, whose matrix is positive definite)
        parts = [normal.gram(k_eff, free_index)]
        rhs = f_static - normal.transpose_apply(k_eff * (gap - normal.apply(u)) + c_sat, n)
        step, rim = None, None
        if same:
            # and, after a step the line search cut, a pad's rim share (an unsymmetric
            # low-rank term, mvd_sim.mechanics.rim: its solve costs some 0.2-0.5 ms a step,
            # spent only where the matrix was seen to miss); without either if the step
            # would not go downhill
            if alpha < 1.0:
                rim = _rim_update(model, contacts, u, radii, free_index, n_free)
            soft = (k_eff * gap + c_sat) * contacts.curvature[active]
            around = _Rows(model, contacts, active, contacts.binormal)
            step = _newton_step(factor, parts + [around.gram(soft, free_index)],
                                rhs + around.transpose_apply(soft * around.apply(u), n), u,
                                free, rim)
        if step is None or float(gradient @ step) >= 0.0:
            step = _newton_step(factor, parts, rhs, u, free, rim)
        if rim is not None and float(gradient @ step) >= 0.0:
            step = _newton_step(factor, parts, rhs, u, free)
        ratio = _tail_ratio(step, tail) if same else None
        tail = None
        if ratio is not None:   # a linear tail: go to where its steps add up to
            step = step / (1.0 - ratio)
        size = float(np.max(np.abs(step), initial=0.0))
        previous_key = key
        u, contacts, alpha = _line_search(model, radii, surface, u, step, contacts, elastic,
                                          float(gradient @ step), size < tol_mm)
        if same and alpha == 1.0 and ratio is None:
            tail = step
        _log.info("equilibrium: iteration %d of at most %d, update %.1e mm (step %.2f), "
                  "%d dofs", iteration, max_iter, size, alpha, n_free)
        if size < REFRESH_MM and same:
            # (nearly) converged on these tangent planes: the answer once converged, unless
            # a slot has moved far from where its plane was taken (then iterate on the new
            # planes from here, before the last steps on the old ones are spent); but once
            # converged, new planes under open contacts alone (no plane under a node pressed
            # on it moved, no node pressed on a new one) change no force: the answer stands
            carrying = _on_brainstem(contacts)
            held = surface.point[carrying]
            if surface.refresh(model.positions(u)) > 0:
                contacts = detect(model, model.configuration(u, radii), surface,
                                  DETECT_MARGIN_MM)
                if not (size < tol_mm and np.array_equal(surface.point[carrying], held)
                        and np.array_equal(_on_brainstem(contacts), carrying)):
                    previous_key = None
                    continue
            if size < tol_mm:
                return _result(model, True, f"equilibrium converged in {iteration} "
                               f"iterations (last update {size:.2e} mm)", iteration, u,
                               radii, offset, load, contacts)
    return _result(model, False, f"equilibrium did not converge in {max_iter} iterations "
                   f"(last update {size:.2e} mm)", max_iter, u, radii, offset, load, contacts)
