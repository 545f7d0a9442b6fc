"""Compiled sums over the solver's contact rows (:class:`mvd_sim.mechanics.solver._Rows`).

A contact's row reads the relative displacement of its three slots' translations along a
direction (its normal: the change of its gap): DOF ``slot_dof[slot] + d`` with coefficient
``weight[slot] * direction[d]``. These kernels make the Newton system's Gram entries and
the contacts' forces on the DOFs in one pass each, in the order the numpy code they replace
did (so the same numbers, to the bit: each product is formed as it was, and each sum is
taken in the same order as ``np.bincount``'s).
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.compiled import INT, array, compiled

__all__ = ["gram_entries", "row_forces"]

_V = array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)


@compiled(array(2, "intp", contiguous=True), array(2, contiguous=True), _V, _IDX)
def gram_entries(dofs, coef, weights, free_index):
    """``sum_k w_k r_k r_k^T`` restricted to the free DOFs, as upper-triangle entries
    ``(rows, cols, values)`` (duplicates not summed): row ``k`` reads DOF ``dofs[k, a]``
    (``-1``: none) with ``coef[k, a]``; ``free_index`` maps a DOF to its free index (``-1``
    for a fixed one). Entries come contact by contact, then ``a``, then ``b`` (row-major
    over each contact's 9 x 9 block), each ``(w_k coef[k, a]) coef[k, b]``."""
    c, width = dofs.shape
    local = np.empty((c, width), np.intp)
    m = 0
    for k in range(c):
        for a in range(width):
            local[k, a] = free_index[dofs[k, a]] if dofs[k, a] >= 0 else -1
        for a in range(width):
            if local[k, a] >= 0:
                for b in range(width):
                    if local[k, a] <= local[k, b]:
                        m += 1
    rows = np.empty(m, np.intp)
    cols = np.empty(m, np.intp)
    values = np.empty(m)
    m = 0
    for k in range(c):
        for a in range(width):
            i = local[k, a]
            if i < 0:
                continue
            scaled = weights[k] * coef[k, a]
            for b in range(width):
                if i <= local[k, b]:
                    rows[m] = i
                    cols[m] = local[k, b]
                    values[m] = scaled * coef[k, b]
                    m += 1
    return rows, cols, values


@compiled(array(2, "intp"), array(2), array(2), array(1), array(1, "intp"), INT)
def row_forces(slots, weights, direction, values, slot_dof, n_dof):
    """(n_dof,) ``sum_k values[k] r_k``: the forces on the DOFs of contacts pushing with
    ``values`` (c,) along their rows (``slots`` (c, 3), ``-1`` for none; ``weights`` (c, 3);
    ``direction`` (c, 3); ``slot_dof`` the first translation DOF of each slot). Each term is
    ``(weight * direction component) * value``, added in the order contact, slot,
    component (as ``np.bincount`` adds them)."""
    out = np.zeros(n_dof)
    for k in range(slots.shape[0]):
        for a in range(3):
            slot = slots[k, a]
            if slot < 0:
                continue
            first = slot_dof[slot]
            for d in range(3):
                out[first + d] += (weights[k, a] * direction[k, d]) * values[k]
    return out
