"""Compiled sums over the solver's contact rows (:class:`mvd_sim.mechanics.solver._Rows`).

A contact's row reads the relative displacement of its three slots' translations along a
direction (its normal: the change of its gap): DOF ``slot_dof[slot] + d`` with coefficient
``weight[slot] * direction[d]``. These kernels make the rows themselves, the Newton
system's Gram entries and the contacts' forces on the DOFs in one pass each, in the order
the numpy code they replace did (so the same numbers, to the bit: each product is formed
as it was, and each sum is taken in the same order as ``np.bincount``'s). One more sums the active set's forces by the point and body they
join (the solver's active-set key).
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.compiled import INT, array, compiled

__all__ = ["row_entries", "gram_entries", "row_forces", "active_sums"]

_V = array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)


@compiled(array(2, "intp"), array(2), array(2), _IDX, array(1, "intp"))
def row_entries(slots, weights, direction, rows, slot_dof):
    """The rows of contacts ``rows`` (c,) as DOFs and coefficients, each (c, 9): entry
    ``3 a + d`` reads DOF ``slot_dof[slots[k, a]] + d`` (``-1`` where ``slots[k, a]`` is
    ``-1``: no slot) with ``weights[k, a] * direction[k, d]`` (0 where no slot), ``k =
    rows[i]`` (``slots``, ``weights``, ``direction`` (contacts, 3) of every contact). One
    pass where the numpy code it replaced made ten arrays (the same products)."""
    c = len(rows)
    dofs = np.empty((c, 9), np.intp)
    coef = np.empty((c, 9))
    for i in range(c):
        k = rows[i]
        for a in range(3):
            slot = slots[k, a]
            for d in range(3):
                if slot >= 0:
                    dofs[i, 3 * a + d] = slot_dof[slot] + d
                    coef[i, 3 * a + d] = weights[k, a] * direction[k, d]
                else:
                    dofs[i, 3 * a + d] = -1
                    coef[i, 3 * a + d] = 0.0
    return dofs, coef


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


@compiled(array(2, "intp"), array(1, "intp"), array(1, "int8"), array(1), array(1), array(1),
          array(1))
def active_sums(slots, body, state, gap, k_soft, k_hard, capacity):
    """The active set summed by key: each distinct ``(slots[k, 2], body[k], state[k])`` of
    the contacts with ``state > 0`` (``slots`` (c, 3), the rest (c,); ``state`` 1 touching,
    2 saturated), in the order each key first occurs, and the sum of its contacts' forces
    (N, ``ContactSet.force_n``'s products), added in contact order from 0: the numbers a
    Python dictionary summing them contact by contact holds, to the bit.

    Returns
    -------
    slot, key_body, key_state : (m,) int
    force : (m,) float, N
    """
    index = np.flatnonzero(state > 0)
    m = len(index)
    code = np.empty(m, np.int64)
    low, high = (body[index[0]], body[index[0]]) if m else (0, 0)
    for q in range(m):
        low, high = min(low, body[index[q]]), max(high, body[index[q]])
    span = high - low + 1
    for q in range(m):
        k = index[q]
        code[q] = ((slots[k, 2] + 1) * span + (body[k] - low)) * 3 + state[k]
    order = np.argsort(code, kind="mergesort")   # stable: each key's contacts in order
    first, total = np.empty(m, np.intp), np.empty(m)
    groups = 0
    for q in range(m):
        k = index[order[q]]
        overlap = max(-gap[k], 0.0)
        force = k_soft[k] * overlap + k_hard[k] * max(overlap - capacity[k], 0.0)
        if q == 0 or code[order[q]] != code[order[q - 1]]:
            first[groups], total[groups] = k, 0.0 + force
            groups += 1
        else:
            total[groups - 1] += force
    by_first = np.argsort(first[:groups])
    slot = np.empty(groups, np.intp)
    key_body, key_state = np.empty(groups, np.intp), np.empty(groups, np.intp)
    force_out = np.empty(groups)
    for g in range(groups):
        k = first[by_first[g]]
        slot[g], key_body[g], key_state[g] = slots[k, 2], body[k], state[k]
        force_out[g] = total[by_first[g]]
    return slot, key_body, key_state, force_out
