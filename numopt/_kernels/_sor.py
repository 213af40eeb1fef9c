"""SOR/SSOR sweeps, the SSOR preconditioner and IC(0) on CSR triples (indptr, indices, data)."""
import math

import numpy as np

from .._lib._jit import kernel


@kernel
def sor_sweep(indptr, indices, data, diag, b, x, omega, forward, s, dx):
    """One Gauss-Seidel-order sweep ``x_i += omega * s_i / a_ii`` with ``s_i = b_i - (A x)_i``.

    Stores ``s`` and the update ``dx`` for the residual identity of :func:`residual_after_sweep`.
    """
    n = b.shape[0]
    for t in range(n):
        i = t if forward else n - 1 - t
        acc = b[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc -= data[k] * x[indices[k]]
        d = omega * acc / diag[i]
        x[i] += d
        s[i] = acc
        dx[i] = d


@kernel
def residual_after_sweep(indptr, indices, data, s, dx, omega, forward):
    """``||b - A x||`` after a sweep without an SpMV.

    ``r_i = (1 - omega) s_i - sum_j a_ij dx_j`` over the ``j`` updated after ``i`` in the sweep
    (upper part for a forward sweep, lower part for a backward one).
    """
    total = 0.0
    n = s.shape[0]
    for i in range(n):
        r = (1.0 - omega) * s[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if (j > i) if forward else (j < i):
                r -= data[k] * dx[j]
        total += r * r
    return math.sqrt(total)


@kernel
def residual_norm(indptr, indices, data, b, x):
    """``||b - A x||_2`` by one SpMV."""
    total = 0.0
    for i in range(b.shape[0]):
        acc = b[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc -= data[k] * x[indices[k]]
        total += acc * acc
    return math.sqrt(total)


@kernel
def sor_iterate(indptr, indices, data, diag, b, x, omega, symmetric, threshold, nsweeps, history,
                s, dx, backup):
    """Run up to ``nsweeps`` SOR (``symmetric``: SSOR) sweeps on ``x`` in place.

    Stops after the first sweep whose true residual is ``<= threshold``.  Returns
    ``(sweeps, residual, flag)`` with flag 0 converged, 1 sweeps exhausted, 2 non-finite (``x`` is
    then restored to the last finite checkpoint, taken every 32 sweeps).  ``history[k]`` receives the
    residual after sweep ``k + 1`` when ``history`` is long enough.
    """
    res = 0.0
    backup[:] = x
    for k in range(nsweeps):
        sor_sweep(indptr, indices, data, diag, b, x, omega, True, s, dx)
        if symmetric:
            sor_sweep(indptr, indices, data, diag, b, x, omega, False, s, dx)
            res = residual_after_sweep(indptr, indices, data, s, dx, omega, False)
        else:
            res = residual_after_sweep(indptr, indices, data, s, dx, omega, True)
        if not math.isfinite(res):
            x[:] = backup
            return k + 1, res, 2
        if res <= threshold:
            res = residual_norm(indptr, indices, data, b, x)  # confirm on the true residual
        if k < history.shape[0]:
            history[k] = res
        if res <= threshold:
            return k + 1, res, 0
        if (k + 1) % 32 == 0:
            backup[:] = x
    return nsweeps, res, 1


@kernel
def ssor_apply(indptr, indices, data, diag, omega, r, z):
    """``z = M^{-1} r`` with ``M = (D + omega L^T) D^{-1} (D + omega L) / (omega (2 - omega))``.

    Backward solve with ``D + omega U``, scale by ``D``, forward solve with ``D + omega L``, scale
    by ``omega (2 - omega)`` (the order of Khodak et al.'s code; ``U = L^T`` for symmetric ``A``).
    """
    n = r.shape[0]
    for t in range(n):
        i = n - 1 - t
        acc = r[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j > i:
                acc -= omega * data[k] * z[j]
        z[i] = acc / diag[i]
    for i in range(n):
        z[i] *= diag[i]
    scale = omega * (2.0 - omega)
    for i in range(n):
        acc = z[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j < i:
                acc -= omega * data[k] * z[j]
        z[i] = acc / diag[i]
    for i in range(n):
        z[i] *= scale


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
        work = [np.zeros(2, dtype=dtype) for _ in range(4)]
        for symmetric in (False, True):
            sor_iterate(indptr, indices, data, diag, b, work[0], 1.0, symmetric, 0.0, 1,
                        np.zeros(1), work[1], work[2], work[3])
        ssor_apply(indptr, indices, data, diag, 1.0, b, work[0])
        L = ic0_factor(indptr, indices, data)
        ic0_apply(L[0], L[1], L[2], b, work[0])
