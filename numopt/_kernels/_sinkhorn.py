"""Entropic-OT kernels on a dense cost matrix ``C`` (n, m), row-major.

The plan is ``P_ij = exp((f_i + g_j - C_ij) / reg)``; potentials ``f``, ``g`` are float64, ``C`` is
float32 or float64 and every sum accumulates in float64.  Terms whose exponent lies more than
``|cut|`` below a known upper bound of their sum are skipped without calling ``exp``: ``cut`` is
chosen by the caller so that the skipped total is below ``eps/e`` of the sum (round-off level),
which turns most of a pass at small ``reg`` into compares.

Kernels: the two Sinkhorn half-steps (:func:`row_pass`, :func:`col_pass`) and their loop
(:func:`sinkhorn_run`), the Newton dense pass (:func:`dense_pass`), the plan (:func:`plan_fill`),
the sparse selection of the Hessian's off-diagonal block (:func:`select_count`,
:func:`select_fill`) and projected PCG on its Schur complement (:func:`schur_pcg`).
"""
import math

import numpy as np

from .._lib._jit import kernel


@kernel
def row_pass(C, f, g, a, loga, inv_reg, reg, cut, fnew, buf):
    """Row log-sum-exp of the plan: returns ``||P 1 - a||_1`` and writes the f-half-step.

    ``fnew_i = reg (log a_i - LSE_j((g_j - C_ij) / reg))``.  Each row is shifted by its maximum
    exponent; terms below ``max + cut`` are skipped.
    """
    n, m = C.shape
    err = 0.0
    for i in range(n):
        mx = -np.inf
        for j in range(m):
            s = (g[j] - C[i, j]) * inv_reg
            buf[j] = s
            if s > mx:
                mx = s
        lo = mx + cut
        acc = 0.0
        for j in range(m):
            s = buf[j]
            if s >= lo:
                acc += math.exp(s - mx)
        lse = mx + math.log(acc)
        err += abs(math.exp(f[i] * inv_reg + lse) - a[i])
        fnew[i] = reg * (loga[i] - lse)
    return err


@kernel
def col_pass(C, f, g, b, logb, inv_reg, reg, cutcol, cut, csum, buf):
    """The g-half-step ``g_j = reg (log b_j - LSE_i((f_i - C_ij) / reg))``, in place.

    One row-major pass accumulates the column sums ``c_j`` of the current plan (stabilised by the
    current ``g``; terms with exponent below ``cutcol_j`` skipped) and sets
    ``g_j += reg (log b_j - log c_j)``.  A column whose sum is below ``1e-6 b_j`` or not finite (the
    skipped terms could matter, or ``exp`` overflowed) is recomputed with its exact maximum.
    Exponents go through ``buf`` first: with ``exp`` inside the compare loop LLVM evaluates it
    speculatively for every entry (measured 40x slower at reg = 1/1200).
    """
    n, m = C.shape
    for j in range(m):
        csum[j] = 0.0
    for i in range(n):
        fi = f[i]
        for j in range(m):
            buf[j] = (fi + g[j] - C[i, j]) * inv_reg
        for j in range(m):
            s = buf[j]
            if s >= cutcol[j]:
                csum[j] += math.exp(s)
    for j in range(m):
        cj = csum[j]
        if cj >= 1e-6 * b[j] and cj < np.inf:
            g[j] += reg * (logb[j] - math.log(cj))
            continue
        mx = -np.inf
        for i in range(n):
            s = (f[i] - C[i, j]) * inv_reg
            if s > mx:
                mx = s
        acc = 0.0
        for i in range(n):
            s = (f[i] - C[i, j]) * inv_reg - mx
            if s >= cut:
                acc += math.exp(s)
        g[j] = reg * (logb[j] - mx - math.log(acc))


@kernel
def sinkhorn_run(C, a, b, loga, logb, f, g, inv_reg, reg, cut_row, cut_col, cutcol, tol, nsteps,
                 history, fnew, csum, buf):
    """Up to ``nsteps`` log-domain Sinkhorn iterations on ``(f, g)``, in place.

    On entry ``fnew`` holds the f-half-step of the current point (from :func:`row_pass`).  One
    iteration: ``f = fnew``, g-half-step (columns exact), then a row pass giving the marginal error
    of the new point and the next ``fnew``.  Returns ``(iterations, error, flag)``: flag 0 error
    ``<= tol``, 1 ``nsteps`` done, 2 non-finite error.  ``history[k]`` gets the error after
    iteration ``k + 1`` when long enough.
    """
    err = np.inf
    for k in range(nsteps):
        for i in range(f.shape[0]):
            f[i] = fnew[i]
        col_pass(C, f, g, b, logb, inv_reg, reg, cutcol, cut_col, csum, buf)
        err = row_pass(C, f, g, a, loga, inv_reg, reg, cut_row, fnew, buf)
        if k < history.shape[0]:
            history[k] = err
        if not math.isfinite(err):
            return k + 1, err, 2
        if err <= tol:
            return k + 1, err, 0
    return nsteps, err, 1


@kernel
def dense_pass(C, f, g, inv_reg, cut, overflow, r, c, buf):
    """Marginals ``r = P 1``, ``c = P^T 1`` of ``P = exp((f + g - C) / reg)``.

    Returns ``(sum P, max exponent)``; stops early (sums incomplete) once an exponent exceeds
    ``overflow``, so the caller can reject the point.
    """
    n, m = C.shape
    for j in range(m):
        c[j] = 0.0
    total = 0.0
    top = -np.inf
    for i in range(n):
        fi = f[i]
        mx = -np.inf
        for j in range(m):
            s = (fi + g[j] - C[i, j]) * inv_reg
            buf[j] = s
            if s > mx:
                mx = s
        if mx > top:
            top = mx
        if mx > overflow:
            return total, top
        lo = mx + cut
        acc = 0.0
        for j in range(m):
            s = buf[j]
            if s >= lo:
                p = math.exp(s)
                acc += p
                c[j] += p
        r[i] = acc
        total += acc
    return total, top


@kernel
def plan_fill(C, f, g, inv_reg, low, P, r, c, buf):
    """Write the plan ``P`` (entries with exponent below ``low`` are 0) and its marginals.

    Returns ``(sum P, sum P * exponent, sum P * C)``; the second is ``sum P log P`` in exact
    arithmetic.
    """
    n, m = C.shape
    for j in range(m):
        c[j] = 0.0
    total = 0.0
    plogp = 0.0
    pc = 0.0
    for i in range(n):
        fi = f[i]
        acc = 0.0
        for j in range(m):
            buf[j] = (fi + g[j] - C[i, j]) * inv_reg
        for j in range(m):
            s = buf[j]
            if s >= low:
                p = math.exp(s)
                P[i, j] = p
                acc += p
                c[j] += p
                plogp += p * s
                pc += p * C[i, j]
            else:
                P[i, j] = 0.0
        r[i] = acc
        total += acc
    return total, plogp, pc


@kernel
def _kth_largest(buf, k):
    m = buf.shape[0]
    if k >= m:
        return -np.inf
    if k == 1:
        return buf.max()
    if k == 2:
        first = -np.inf
        second = -np.inf
        for j in range(m):
            s = buf[j]
            if s > first:
                second = first
                first = s
            elif s > second:
                second = s
        return second
    return np.partition(buf, m - k)[m - k]


@kernel
def select_count(C, f, g, inv_reg, thr, k, colrow, kth, indptr, buf):
    """Count the kept entries of each row of ``P`` for the sparse off-diagonal Hessian block.

    Row ``i`` keeps exponents ``>= min(thr_i, kth_i)`` (``kth_i`` its ``k``-th largest, written
    here) and the largest entry of every column (``colrow_j`` its row, written here).  Fills
    ``indptr`` (length n + 1) and returns the total count.
    """
    n, m = C.shape
    colval = np.full(m, -np.inf)
    for i in range(n):
        fi = f[i]
        for j in range(m):
            s = (fi + g[j] - C[i, j]) * inv_reg
            if s > colval[j]:
                colval[j] = s
                colrow[j] = i
    indptr[0] = 0
    for i in range(n):
        fi = f[i]
        for j in range(m):
            buf[j] = (fi + g[j] - C[i, j]) * inv_reg
        kth[i] = _kth_largest(buf, k)
        lo = min(thr[i], kth[i])
        count = 0
        for j in range(m):
            if buf[j] >= lo or colrow[j] == i:
                count += 1
        indptr[i + 1] = indptr[i] + count
    return indptr[n]


@kernel
def select_fill(C, f, g, inv_reg, thr, kth, colrow, indptr, indices, data, buf):
    """Fill the CSR arrays of the kept entries counted by :func:`select_count` (values ``P_ij``)."""
    n, m = C.shape
    for i in range(n):
        fi = f[i]
        lo = min(thr[i], kth[i])
        p = indptr[i]
        for j in range(m):
            buf[j] = (fi + g[j] - C[i, j]) * inv_reg
        for j in range(m):
            s = buf[j]
            if s >= lo or colrow[j] == i:
                indices[p] = j
                data[p] = math.exp(s)
                p += 1


@kernel
def _schur_apply(indptr, indices, data, w, d, v, out):
    """``out = d * v - B^T (w * (B v))``, projected onto the complement of ``1``."""
    m = v.shape[0]
    for j in range(m):
        out[j] = d[j] * v[j]
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for q in range(indptr[i], indptr[i + 1]):
            acc += data[q] * v[indices[q]]
        acc *= w[i]
        for q in range(indptr[i], indptr[i + 1]):
            out[indices[q]] -= data[q] * acc
    _project(out)


@kernel
def _project(v):
    v -= v.mean()


@kernel
def schur_diagonal(indptr, indices, data, w, d, out):
    """Jacobi preconditioner ``d_j - sum_i w_i B_ij^2``, floored at ``1e-3 d_j``."""
    for j in range(d.shape[0]):
        out[j] = d[j]
    for i in range(indptr.shape[0] - 1):
        for q in range(indptr[i], indptr[i + 1]):
            out[indices[q]] -= w[i] * data[q] * data[q]
    for j in range(d.shape[0]):
        out[j] = max(out[j], 1e-3 * d[j])


@kernel
def schur_pcg(indptr, indices, data, w, d, prec, rhs, x, rtol, maxiter):
    """Projected Jacobi-PCG for ``(diag(d) - B^T diag(w) B) x = rhs`` on ``1^perp``, ``x`` in place.

    The right-hand side, every residual and every search direction are projected onto the
    complement of ``1`` (the operator's near-null direction).  Stops when
    ``||r|| <= rtol ||rhs||``; returns ``(iterations, ||r|| / ||rhs||)``.
    """
    m = x.shape[0]
    b = rhs.copy()
    _project(b)
    _project(x)
    q = np.empty(m)
    _schur_apply(indptr, indices, data, w, d, x, q)
    r = b - q
    bnorm = math.sqrt(np.dot(b, b))
    if bnorm == 0.0:
        x[:] = 0.0
        return 0, 0.0
    z = r / prec
    _project(z)
    p = z.copy()
    rz = np.dot(r, z)
    rnorm = math.sqrt(np.dot(r, r))
    for it in range(maxiter):
        if rnorm <= rtol * bnorm:
            return it, rnorm / bnorm
        _schur_apply(indptr, indices, data, w, d, p, q)
        pq = np.dot(p, q)
        if not pq > 0.0:
            return it, rnorm / bnorm
        alpha = rz / pq
        x += alpha * p
        r -= alpha * q
        _project(r)
        rnorm = math.sqrt(np.dot(r, r))
        z = r / prec
        _project(z)
        rz_new = np.dot(r, z)
        p = z + (rz_new / rz) * p
        _project(p)
        rz = rz_new
    return maxiter, rnorm / bnorm


def warmup():
    """Compile every kernel for float32 and float64 cost matrices (potentials are float64)."""
    for dtype in (np.float32, np.float64):
        C = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
        a = np.full(2, 0.5)
        loga = np.log(a)
        f, g = np.zeros(2), np.zeros(2)
        fnew, csum, buf, r, c = (np.zeros(2) for _ in range(5))
        row_pass(C, f, g, a, loga, 1.0, 1.0, -40.0, fnew, buf)
        sinkhorn_run(C, a, a, loga, loga, f, g, 1.0, 1.0, -40.0, -40.0, np.full(2, -40.0), 1e-9, 1,
                     np.zeros(1), fnew, csum, buf)
        dense_pass(C, f, g, 1.0, -40.0, 690.0, r, c, buf)
        plan_fill(C, f, g, 1.0, -700.0, np.empty((2, 2), dtype=dtype), r, c, buf)
        colrow, kth = np.zeros(2, dtype=np.int64), np.zeros(2)
        indptr = np.zeros(3, dtype=np.int64)
        thr = np.full(2, -np.inf)
        for k in (1, 2, 3):
            nnz = select_count(C, f, g, 1.0, thr, k, colrow, kth, indptr, buf)
        indices, data = np.zeros(nnz, dtype=np.int64), np.zeros(nnz)
        select_fill(C, f, g, 1.0, thr, kth, colrow, indptr, indices, data, buf)
        prec = np.ones(2)
        schur_diagonal(indptr, indices, data, a, a, prec)
        schur_pcg(indptr, indices, data, a, a, prec, np.array([1.0, -1.0]), np.zeros(2), 1e-10, 5)
