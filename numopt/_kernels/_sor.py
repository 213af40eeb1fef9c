"""SOR/SSOR sweeps, the SSOR preconditioner and IC(0) on CSR triples (indptr, indices, data)."""
import math

import numpy as np

from .._lib._jit import kernel


@kernel
def forward_sweep(indptr, indices, data, w, b, x, x_prev):
    """Forward SOR sweep ``x_i += w_i (b_i - (A x)_i)`` (``w = omega / diag``), newest values first.

    Keeps the entering iterate in ``x_prev`` and returns its exact residual norm
    ``||b - A x_prev||``: row ``i`` of that residual is the sweep's row residual plus
    ``sum_{j < i} a_ij (x_j - x_prev_j)``, accumulated while the row is in cache.
    """
    total = 0.0
    for i in range(b.shape[0]):
        acc = b[i]
        lower = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            acc -= data[k] * x[j]
            if j < i:
                lower += data[k] * (x[j] - x_prev[j])
        r = acc + lower
        total += r * r
        x_prev[i] = x[i]
        x[i] += w[i] * acc
    return math.sqrt(total)


@kernel
def backward_sweep(indptr, indices, data, w, b, x):
    """Backward SOR sweep (rows in reverse order), completing one SSOR iteration."""
    n = b.shape[0]
    for t in range(n):
        i = n - 1 - t
        acc = b[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc -= data[k] * x[indices[k]]
        x[i] += w[i] * acc


@kernel
def sor_iterate(indptr, indices, data, w, b, x, x_prev, backup, symmetric, threshold, k0, kmax,
                history):
    """SOR (``symmetric``: SSOR) iterations ``k = k0 .. kmax`` on ``x`` in place.

    Iteration ``k`` evaluates the residual of ``x^k`` (inside the forward sweep that starts
    ``x^{k+1}``), stores it in ``history[k]`` when there is room, and stops with ``x = x^k`` if it
    is ``<= threshold`` (flag 0) or not finite (flag 2; ``x`` then restored to the last finite
    checkpoint, taken every 32 iterations).  Otherwise, after ``kmax``, it returns flag 1 with
    ``x = x^{kmax+1}`` and ``x_prev = x^{kmax}``.  Returns ``(k, residual, flag)``.
    """
    res = 0.0
    for k in range(k0, kmax + 1):
        if (k - k0) % 32 == 0:
            backup[:] = x
        res = forward_sweep(indptr, indices, data, w, b, x, x_prev)
        if k < history.shape[0]:
            history[k] = res
        if not math.isfinite(res):
            x[:] = backup
            return k, res, 2
        if res <= threshold:
            x[:] = x_prev
            return k, res, 0
        if symmetric:
            backward_sweep(indptr, indices, data, w, b, x)
    return kmax, res, 1


@kernel
def diagonal_positions(indptr, indices):
    """Index of each row's diagonal entry in a CSR matrix with sorted column indices (-1 if absent)."""
    n = indptr.shape[0] - 1
    pos = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            if indices[k] == i:
                pos[i] = k
                break
    return pos


@kernel
def ssor_apply(indptr, indices, data, diag_pos, inv_diag, omega, r, z):
    """``z = M^{-1} r`` with ``M = (D + omega L^T) D^{-1} (D + omega L) / (omega (2 - omega))``.

    Backward solve ``(D + omega U) y = r``, then ``z = omega (2 - omega) (D + omega L)^{-1} D y``
    (the order of Khodak et al.'s code; ``U = L^T`` for symmetric ``A``).  Each sweep reads only
    its half of every row (sorted CSR, split at ``diag_pos``); the scalings are folded into the
    sweeps: ``z_i = s y_i - (omega / a_ii) sum_{j<i} a_ij z_j`` with ``s = omega (2 - omega)``.
    """
    n = r.shape[0]
    for t in range(n):
        i = n - 1 - t
        first, stop = diag_pos[i] + 1, indptr[i + 1]
        acc = 0.0
        for k in range(first + 1, stop):
            acc += data[k] * z[indices[k]]
        zi = (r[i] - omega * acc) * inv_diag[i]
        if first < stop:  # the nearest upper neighbour was computed last: keep it off the chain
            zi -= omega * inv_diag[i] * data[first] * z[indices[first]]
        z[i] = zi
    scale = omega * (2.0 - omega)
    for i in range(n):
        start, last = indptr[i], diag_pos[i] - 1
        acc = 0.0
        for k in range(start, last):
            acc += data[k] * z[indices[k]]
        zi = scale * z[i] - omega * inv_diag[i] * acc
        if last >= start:  # the nearest lower neighbour, computed last
            zi -= omega * inv_diag[i] * data[last] * z[indices[last]]
        z[i] = zi


@kernel
def ic0_factor(indptr, indices, data):
    """IC(0): lower factor ``L`` with the pattern of ``tril(A)``, ``A ~ L L^T`` (CSR, sorted columns).

    Returns ``(L_indptr, L_indices, L_data, bad_row)``; ``bad_row >= 0`` names the row where a
    non-positive pivot appeared (then ``L`` is incomplete).
    """
    n = indptr.shape[0] - 1
    counts = np.zeros(n + 1, dtype=indptr.dtype)
    for i in range(n):
        c = 0
        for k in range(indptr[i], indptr[i + 1]):
            if indices[k] <= i:
                c += 1
        counts[i + 1] = counts[i] + c
    L_indices = np.empty(counts[n], dtype=indices.dtype)
    L_data = np.empty(counts[n], dtype=data.dtype)
    for i in range(n):
        p = counts[i]
        for k in range(indptr[i], indptr[i + 1]):
            if indices[k] <= i:
                L_indices[p] = indices[k]
                L_data[p] = data[k]
                p += 1
    pos = -np.ones(n, dtype=np.int64)
    for i in range(n):
        start, stop = counts[i], counts[i + 1]
        for p in range(start, stop):
            pos[L_indices[p]] = p
        for p in range(start, stop - 1):  # off-diagonal entries L_ik, k < i, ascending
            kk = L_indices[p]
            acc = L_data[p]
            for q in range(counts[kk], counts[kk + 1] - 1):  # row k of L, j < k
                j = L_indices[q]
                if pos[j] >= 0:
                    acc -= L_data[pos[j]] * L_data[q]
            L_data[p] = acc / L_data[counts[kk + 1] - 1]
        acc = L_data[stop - 1] if stop > start and L_indices[stop - 1] == i else 0.0
        for p in range(start, stop - 1):
            acc -= L_data[p] * L_data[p]
        for p in range(start, stop):
            pos[L_indices[p]] = -1
        if stop == start or L_indices[stop - 1] != i or not acc > 0.0:
            return counts, L_indices, L_data, i
        L_data[stop - 1] = math.sqrt(acc)
    return counts, L_indices, L_data, -1


@kernel
def ic0_apply(indptr, indices, data, r, z):
    """``z = (L L^T)^{-1} r`` for a CSR lower factor whose last entry per row is the diagonal."""
    n = r.shape[0]
    for i in range(n):
        acc = r[i]
        last = indptr[i + 1] - 1
        for k in range(indptr[i], last):
            acc -= data[k] * z[indices[k]]
        z[i] = acc / data[last]
    for t in range(n):
        i = n - 1 - t
        last = indptr[i + 1] - 1
        z[i] /= data[last]
        zi = z[i]
        for k in range(indptr[i], last):
            z[indices[k]] -= data[k] * zi


def warmup():
    """Compile every kernel here for float32 and float64 (or load them from the cache)."""
    indptr = np.array([0, 2, 4], dtype=np.int32)
    indices = np.array([0, 1, 0, 1], dtype=np.int32)
    for dtype in (np.float32, np.float64):
        data = np.array([2.0, -1.0, -1.0, 2.0], dtype=dtype)
        diag = np.array([2.0, 2.0], dtype=dtype)
        b = np.ones(2, dtype=dtype)
        x, x_prev, backup, z = (np.zeros(2, dtype=dtype) for _ in range(4))
        for symmetric in (False, True):
            sor_iterate(indptr, indices, data, diag, b, x, x_prev, backup, symmetric, 0.0, 0, 1,
                        np.zeros(1))
        forward_sweep(indptr, indices, data, diag, b, x, x_prev)
        backward_sweep(indptr, indices, data, diag, b, x)
        ssor_apply(indptr, indices, data, diagonal_positions(indptr, indices), diag, 1.0, b, z)
        L = ic0_factor(indptr, indices, data)
        ic0_apply(L[0], L[1], L[2], b, z)
