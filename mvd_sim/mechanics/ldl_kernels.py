"""Compiled sparse LDL^T of the solver's Newton systems, on an ordering kept per model.

QDLDL's algorithm (Stellato, Banjac, Goulart et al.: an up-looking LDL^T on the elimination
tree), written out so that the ordering is an input: the ``qdldl`` package orders every
new sparsity pattern afresh (approximate minimum degree), which cost a plan more than the
numbers did, as the contacts between rods change the pattern at about every other Newton
step. Here the ordering is made once per model (:class:`mvd_sim.mechanics.solver._Factor`)
and a new pattern costs only its elimination tree and column counts, one pass over the
matrix. A system of the last one's pattern (about every other) is given the last one's
numbers, factors and order of updates: only the rows of ``L`` its changed entries reach
are computed, the others taken (:func:`ldl_factor`). Matrices are the upper triangle of
``P A P^T`` in compressed columns (row indices sorted, no duplicates); ``perm[i]`` is the
original index of permuted index ``i``.

An index read from an array is cast to unsigned (:data:`_AT`) where it indexes another:
numba wraps a signed index that could be negative round the array's end, a test and a
branch at every access of the inner loops, which kept them from being compiled tight. The
operations and their order are the same (the same bits); the factorisation is about 1.6
times faster for it, a solve with the factors 1.3 times (issue #27, part 26).
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.compiled import array, compiled

__all__ = ["permuted_upper", "merged_upper", "elimination_tree", "ldl_factor", "ldl_solve",
           "ldl_solve_many", "NO_LAST"]

_V = array(1, contiguous=True)
_IDX = array(1, "intp", contiguous=True)
#: an index known to be non-negative, unsigned: indexing with it skips numba's wrap-around
_AT = np.uintp
#: an index array a kernel may replace by one of its own (the same numba type)
_OWN = array(1, "intp", writable=True, contiguous=True)
#: :func:`ldl_factor`'s last numbers, factors and order when there are none (afresh)
NO_LAST = (np.empty(0), np.empty(0), np.empty(0), np.empty(0, np.intp), np.empty(0, np.intp))


def permuted_upper(n: int, where: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The upper triangle of ``P A P^T`` as compressed columns ``(indptr, indices, data)``,
    row indices sorted and duplicates summed (in the order given), from entries ``(rows,
    cols, values)`` of either triangle of the symmetric ``A`` (``n`` by ``n``), each entry
    standing for itself and its mirror; ``where[i]`` is the permuted index of index ``i``."""
    return merged_upper(where, np.zeros(n + 1, np.intp), np.empty(0, np.intp), np.empty(0),
                        rows, cols, values)


@compiled(_IDX, _IDX, _IDX, _V, _IDX, _IDX, _V)
def merged_upper(where, indptr, indices, data, rows, cols, values):
    """:func:`permuted_upper` of a fixed matrix plus a few entries: ``(indptr, indices,
    data)`` is the fixed one's upper triangle of ``P A P^T`` (as that function makes it),
    ``(rows, cols, values)`` the added entries in the original indices. Each column is the
    fixed one's entries merged with the added ones (rows sorted; a row met twice is summed:
    the fixed value first, then the added ones in the order given)."""
    n = len(indptr) - 1
    m = len(rows)
    r = np.empty(m, np.intp)
    c = np.empty(m, np.intp)
    start = np.zeros(n + 1, np.intp)
    for k in range(m):
        a, b = where[_AT(rows[k])], where[_AT(cols[k])]
        r[k], c[k] = min(a, b), max(a, b)
        start[_AT(c[k] + 1)] += 1
    for j in range(n):
        start[j + 1] += start[j]
    # a stable counting sort by row, then by column: each column's added entries come out
    # sorted by row, ties in the order given (linear, where an insertion sort was quadratic
    # in a column's entries: a pad's centre meets a few hundred)
    by_row = np.zeros(n + 1, np.intp)
    for k in range(m):
        by_row[_AT(r[k] + 1)] += 1
    for i in range(n):
        by_row[i + 1] += by_row[i]
    rowwise = np.empty(m, np.intp)
    for k in range(m):
        rowwise[_AT(by_row[_AT(r[k])])] = k
        by_row[_AT(r[k])] += 1
    head = start[:n].copy()
    order = np.empty(m, np.intp)
    for t in range(m):
        k = _AT(rowwise[t])
        order[_AT(head[_AT(c[k])])] = k
        head[_AT(c[k])] += 1
    out_ptr = np.zeros(n + 1, np.intp)
    out_idx = np.empty(len(indices) + m, np.intp)
    out_val = np.empty(len(indices) + m)
    nnz = 0
    for j in range(n):
        p, t = indptr[j], start[j]
        if t == start[j + 1]:
            # nothing added here (most columns): the fixed column as it is (its rows are
            # sorted and distinct), without the merge's tests
            for q in range(_AT(p), _AT(indptr[j + 1])):
                out_idx[_AT(nnz)] = indices[q]
                out_val[_AT(nnz)] = data[q]
                nnz += 1
            out_ptr[j + 1] = nnz
            continue
        added = _AT(0)
        while p < indptr[j + 1] or t < start[j + 1]:
            if t < start[j + 1]:
                added = _AT(order[_AT(t)])
            if t == start[j + 1] or (p < indptr[j + 1] and indices[_AT(p)] <= r[added]):
                row, value = indices[_AT(p)], data[_AT(p)]
                p += 1
            else:
                row, value = r[added], values[added]
                t += 1
            if nnz > out_ptr[j] and out_idx[_AT(nnz - 1)] == row:
                out_val[_AT(nnz - 1)] += value
            else:
                out_idx[_AT(nnz)] = row
                out_val[_AT(nnz)] = value
                nnz += 1
        out_ptr[j + 1] = nnz
    return out_ptr, out_idx[:nnz], out_val[:nnz]   # (views: no copy of ~25,000 entries)


@compiled(_IDX, _IDX)
def elimination_tree(indptr, indices):
    """The elimination tree (``parent[i]``, -1 at a root) and the count of each column's
    entries below the diagonal in ``L`` of an upper triangle in compressed columns."""
    n = len(indptr) - 1
    mark = np.empty(n, np.intp)
    counts = np.zeros(n, np.intp)
    parent = np.full(n, -1, np.intp)
    for j in range(n):
        mark[j] = j
        for p in range(_AT(indptr[j]), _AT(indptr[j + 1])):
            i = _AT(indices[p])
            while mark[i] != j:
                if parent[i] == -1:
                    parent[i] = j
                counts[i] += 1
                mark[i] = j
                i = _AT(parent[i])
    return parent, counts


@compiled(_IDX, _IDX, _V, _IDX, _IDX, _V, _V, _V, _OWN, _OWN)
def ldl_factor(indptr, indices, data, parent, counts, last_data, last_l_val, last_d_inv,
               order_ptr, order):
    """``L`` (unit lower, strictly below the diagonal, compressed columns ``(l_ptr,
    l_idx, l_val)``) and ``1 / D`` of ``A = L D L^T`` (the upper triangle given), whether
    every pivot was non-zero and finite (else the factors are not usable), and the order
    in which the columns of ``L`` update each row (``order[order_ptr[k]:order_ptr[k +
    1]]``, last first: row ``k``'s reach on the elimination tree).

    ``last_data``, ``last_l_val``, ``last_d_inv``, ``order_ptr``, ``order``: the numbers,
    usable factors and order of a matrix of the same pattern (:data:`NO_LAST`: none). The
    order is then not searched again. Row ``k`` of ``L`` and ``D[k]`` depend only on column
    ``k`` of ``A`` and on the rows of its descendants on the elimination tree; where none of
    those columns changed (to the bit), they are taken from the last factors (the numbers a
    factorisation afresh gives), and only the others are computed."""
    n = len(indptr) - 1
    l_ptr = np.zeros(n + 1, np.intp)
    for i in range(n):
        l_ptr[i + 1] = l_ptr[i] + counts[i]
    searched = len(order_ptr) == 0
    if searched:
        order_ptr = np.zeros(n + 1, np.intp)
        order = np.empty(l_ptr[n], np.intp)
    l_idx = np.empty(l_ptr[n], np.intp)
    l_val = np.empty(l_ptr[n])
    d = np.zeros(n)
    d_inv = np.zeros(n)
    redo = np.ones(n, np.bool_)
    if len(last_data) > 0:
        bits, last_bits = data.view(np.int64), last_data.view(np.int64)
        for k in range(n):
            redo[k] = False
            for p in range(_AT(indptr[k]), _AT(indptr[k + 1])):
                if bits[p] != last_bits[p]:
                    redo[k] = True
                    break
        for k in range(n):   # a parent's index is above its child's
            if redo[k] and parent[k] != -1:
                redo[_AT(parent[k])] = True
    used = np.zeros(n, np.bool_)
    y_val = np.zeros(n)
    buffer = np.empty(n, np.intp)
    next_space = l_ptr[:n].copy()
    for k in range(n):
        if searched:
            # the reach of row k: the path up the tree from each entry of column k to
            # where it meets a path already taken, pushed top first
            n_y = order_ptr[k]
            for p in range(indptr[k], indptr[k + 1]):
                b = indices[p]
                if b == k or used[_AT(b)]:
                    continue
                used[_AT(b)] = True
                buffer[0] = b
                n_e = 1
                nxt = parent[_AT(b)]
                while nxt != -1 and nxt < k:
                    if used[_AT(nxt)]:
                        break
                    used[_AT(nxt)] = True
                    buffer[n_e] = nxt
                    n_e += 1
                    nxt = parent[_AT(nxt)]
                while n_e > 0:
                    n_e -= 1
                    order[_AT(n_y)] = buffer[n_e]
                    n_y += 1
            order_ptr[k + 1] = n_y
            for t in range(_AT(order_ptr[k]), _AT(n_y)):
                used[_AT(order[t])] = False
        if not redo[k]:   # row k as the last factors have it
            for t in range(_AT(order_ptr[k]), _AT(order_ptr[k + 1])):
                col = _AT(order[t])
                end = _AT(next_space[col])
                l_idx[end] = k
                l_val[end] = last_l_val[end]
                next_space[col] += 1
            d_inv[k] = last_d_inv[k]
            continue
        for p in range(indptr[k], indptr[k + 1]):
            b = indices[p]
            if b == k:
                d[k] = data[p]
            else:
                y_val[_AT(b)] = data[p]
        for t in range(order_ptr[k + 1] - 1, order_ptr[k] - 1, -1):
            col = _AT(order[_AT(t)])
            end = next_space[col]
            y_col = y_val[col]
            for p in range(_AT(l_ptr[col]), _AT(end)):
                y_val[_AT(l_idx[p])] -= l_val[p] * y_col
            l_idx[_AT(end)] = k
            l_val[_AT(end)] = y_col * d_inv[col]
            d[k] -= y_col * l_val[_AT(end)]
            next_space[col] += 1
            y_val[col] = 0.0
        if d[k] == 0.0 or not np.isfinite(d[k]):
            return l_ptr, l_idx, l_val, d_inv, False, order_ptr, order
        d_inv[k] = 1.0 / d[k]
    return l_ptr, l_idx, l_val, d_inv, True, order_ptr, order


@compiled(_IDX, _IDX, _V, _V, _IDX, _V)
def ldl_solve(l_ptr, l_idx, l_val, d_inv, perm, rhs):
    """``x`` of ``A x = rhs`` from the factors of ``P A P^T`` (:func:`ldl_factor`)."""
    n = len(rhs)
    x = np.empty(n)
    for i in range(n):
        x[i] = rhs[_AT(perm[i])]
    for i in range(n):
        x_i = x[i]   # (no later entry of column i is row i: the same value)
        for p in range(_AT(l_ptr[i]), _AT(l_ptr[i + 1])):
            x[_AT(l_idx[p])] -= l_val[p] * x_i
    for i in range(n):
        x[i] *= d_inv[i]
    for i in range(n - 1, -1, -1):
        x_i = x[i]   # (the same subtractions in the same order)
        for p in range(_AT(l_ptr[i]), _AT(l_ptr[i + 1])):
            x_i -= l_val[p] * x[_AT(l_idx[p])]
        x[i] = x_i
    out = np.empty(n)
    for i in range(n):
        out[_AT(perm[i])] = x[i]
    return out


@compiled(_IDX, _IDX, _V, _V, _IDX, array(2, contiguous=True))
def ldl_solve_many(l_ptr, l_idx, l_val, d_inv, perm, rhs):
    """``X`` of ``A X = rhs`` for (n, k) right-hand sides at once (one pass over the
    factors of :func:`ldl_factor`; column ``j`` as :func:`ldl_solve` gives it)."""
    n, k = rhs.shape
    x = np.empty((n, k))
    for i in range(n):
        for j in range(k):
            x[i, j] = rhs[_AT(perm[i]), j]
    for i in range(n):
        for p in range(_AT(l_ptr[i]), _AT(l_ptr[i + 1])):
            row, value = _AT(l_idx[p]), l_val[p]
            for j in range(k):
                x[row, j] -= value * x[i, j]
    for i in range(n):
        for j in range(k):
            x[i, j] *= d_inv[i]
    for i in range(n - 1, -1, -1):
        for p in range(_AT(l_ptr[i]), _AT(l_ptr[i + 1])):
            row, value = _AT(l_idx[p]), l_val[p]
            for j in range(k):
                x[i, j] -= value * x[row, j]
    out = np.empty((n, k))
    for i in range(n):
        for j in range(k):
            out[_AT(perm[i]), j] = x[i, j]
    return out
