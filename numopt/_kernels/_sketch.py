"""Row-action sketch-and-project steps on a symmetric CSR matrix ``K`` (the KKT matrix).

The residual ``r = K z - b`` is updated in place after each projection, using ``K u`` = sum of rows
``u_j K_j`` (``K`` symmetric, so column ``j`` equals row ``j``), and its squared norm is tracked
incrementally; it is recomputed from scratch every ``resync`` steps and before returning.
"""
import numpy as np

from .._lib._jit import kernel
from ._dense import cholesky_solve


@kernel
def csr_residual(indptr, indices, data, b, z, r):
    """``r = K z - b`` in place; returns ``||r||^2``."""
    total = 0.0
    for i in range(b.shape[0]):
        acc = -b[i]
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * z[indices[p]]
        r[i] = acc
        total += acc * acc
    return total


@kernel
def _subtract_row(indptr, indices, data, j, scale, r, rr):
    """``r -= scale * K_j`` (row ``j``); returns the updated ``||r||^2``."""
    for p in range(indptr[j], indptr[j + 1]):
        l = indices[p]
        old = r[l]
        new = old - scale * data[p]
        r[l] = new
        rr += new * new - old * old
    return rr


@kernel
def kaczmarz_csr(indptr, indices, data, rownorm2, b, z, r, rows, target2, resync):
    """Kaczmarz steps ``z -= (r_i / ||K_i||^2) K_i`` for ``i`` in ``rows`` until ``||r||^2 <= target2``.

    Returns ``(steps, ||r||^2)`` with ``r`` exact (recomputed) at return.
    """
    rr = 0.0
    for i in range(r.shape[0]):
        rr += r[i] * r[i]
    for k in range(rows.shape[0]):
        if rr <= target2:
            rr = csr_residual(indptr, indices, data, b, z, r)
            if rr <= target2:
                return k, rr
        i = rows[k]
        if rownorm2[i] > 0.0:
            w = r[i] / rownorm2[i]
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                a = w * data[p]
                z[j] -= a
                rr = _subtract_row(indptr, indices, data, j, a, r, rr)
        if (k + 1) % resync == 0:
            rr = csr_residual(indptr, indices, data, b, z, r)
    rr = csr_residual(indptr, indices, data, b, z, r)
    return rows.shape[0], rr


@kernel
def floyd_sample(u, N, out):
    """``out`` := ``len(out)`` distinct indices of ``range(N)``, uniform, from the uniforms ``u`` (Floyd)."""
    q = out.shape[0]
    for t in range(q):
        j = N - q + t
        pick = min(int(u[t] * (j + 1)), j)
        for s in range(t):
            if out[s] == pick:
                pick = j
                break
        out[t] = pick


@kernel
def block_kaczmarz_csr(indptr, indices, data, b, z, r, uniforms, target2, resync, rows, gram, w,
                       work, touched):
    """Block Kaczmarz steps ``z -= K_T' (K_T K_T')^{-1} r_T``, ``T`` from :func:`floyd_sample`.

    One step per row of ``uniforms``; stops when ``||r||^2 <= target2``.  Returns ``(steps,
    ||r||^2, flag)``: flag 0 target met, 1 steps exhausted, 2 the Gram matrix of step ``steps`` is
    numerically singular (``rows`` then holds its ``T``; the caller takes that step by least squares).
    ``work`` (N) must be zero and ``touched`` (N) must be -1 on entry; both are left so.
    """
    N = r.shape[0]
    q = rows.shape[0]
    rr = 0.0
    for i in range(N):
        rr += r[i] * r[i]
    rhs = np.empty(q, dtype=r.dtype)
    for k in range(uniforms.shape[0]):
        if rr <= target2:
            rr = csr_residual(indptr, indices, data, b, z, r)
            if rr <= target2:
                return k, rr, 0
        floyd_sample(uniforms[k], N, rows)
        for a in range(q):
            ia = rows[a]
            for p in range(indptr[ia], indptr[ia + 1]):
                work[indices[p]] = data[p]
            for c in range(a + 1):
                ic = rows[c]
                acc = 0.0
                for p in range(indptr[ic], indptr[ic + 1]):
                    acc += data[p] * work[indices[p]]
                gram[a, c] = acc
                gram[c, a] = acc
            for p in range(indptr[ia], indptr[ia + 1]):
                work[indices[p]] = 0.0
            rhs[a] = r[ia]
        if not cholesky_solve(gram, rhs, w):
            rr = csr_residual(indptr, indices, data, b, z, r)
            return k, rr, 2
        count = 0
        for a in range(q):
            ia = rows[a]
            for p in range(indptr[ia], indptr[ia + 1]):
                j = indices[p]
                if touched[j] < 0:
                    touched[j] = count
                    work[count] = 0.0
                    count += 1
        # work[0:count] accumulates u = K_T' w on the touched columns (listed through `touched`)
        for a in range(q):
            ia = rows[a]
            for p in range(indptr[ia], indptr[ia + 1]):
                work[touched[indices[p]]] += w[a] * data[p]
        for a in range(q):
            ia = rows[a]
            for p in range(indptr[ia], indptr[ia + 1]):
                j = indices[p]
                slot = touched[j]
                if slot >= 0:
                    u = work[slot]
                    z[j] -= u
                    rr = _subtract_row(indptr, indices, data, j, u, r, rr)
                    touched[j] = -1
        for s in range(count):
            work[s] = 0.0
        if (k + 1) % resync == 0:
            rr = csr_residual(indptr, indices, data, b, z, r)
    rr = csr_residual(indptr, indices, data, b, z, r)
    return uniforms.shape[0], rr, 1


def warmup():
    """Compile the kernels for float32 and float64 with the solver's argument types."""
    indptr = np.array([0, 2, 4], dtype=np.int32)
    indices = np.array([0, 1, 0, 1], dtype=np.int32)
    for dtype in (np.float32, np.float64):
        data = np.array([2.0, 1.0, 1.0, -1.0], dtype=dtype)
        b = np.ones(2, dtype=dtype)
        z, r = np.zeros(2, dtype=dtype), -b.copy()
        kaczmarz_csr(indptr, indices, data, np.array([5.0, 2.0], dtype=dtype), b, z, r,
                     np.array([0, 1], dtype=np.int64), 0.0, 2)
        z, r = np.zeros(2, dtype=dtype), -b.copy()
        block_kaczmarz_csr(indptr, indices, data, b, z, r, np.full((1, 2), 0.5), 0.0, 2,
                           np.empty(2, dtype=np.int64), np.empty((2, 2), dtype=dtype),
                           np.empty(2, dtype=dtype), np.zeros(2, dtype=dtype),
                           -np.ones(2, dtype=np.int64))
