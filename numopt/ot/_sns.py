"""Sinkhorn-Newton-Sparse (SNS): log-domain Sinkhorn warm-up, then damped sparse Newton on the dual.

Newton step on the concave dual ``Phi(f, g)`` (gradient ``(a - r, b - c)``, ``r = P 1``,
``c = P^T 1``): with ``s = 1 + mu * err`` (Marquardt damping) solve

    [[diag(r) s, B], [B^T, diag(c) s]] / reg  (df, dg) = (a - r, b - c)

where ``B`` is ``P`` restricted to a kept set (mass rule or ``sparsity``).  ``df`` is eliminated;
projected Jacobi-PCG solves the Schur complement ``diag(c) s - B^T diag(1 / (s r)) B`` on
``1^perp`` (the null direction ``(1, -1)`` of the Hessian), then a line search on ``Phi`` and the
marginal error accepts the step.
"""
import math

import numpy as np

from .._lib._result import Status
from ._problem import clamped_exp
from ._sinkhorn import Outcome, sinkhorn_log

__all__ = ["solve_sns"]

TAU0 = 1e-6          # dropped row-mass fraction of the mass rule (spec section 4.2)
TAU_MIN = 1e-16
DENSE_FRACTION = 0.5  # above this kept fraction, CG uses the dense plan
FLOOR = 1e-6          # a stall below this marginal error is the precision floor, above it slow
CONTINUATION = 2000.0  # eta * range(C) above which reg is reached through a chain reg_0 / 10^t


def solve_sns(prob, f, g, *, tol, maxiter, sinkhorn_iters, max_newton, sparsity, progress):
    """SNS on a reduced problem from ``(f, g)``; returns an :class:`Outcome`."""
    schedule = _continuation(prob)
    first = prob.with_reg(schedule[0])
    out = sinkhorn_log(first, f, g, tol=tol if len(schedule) == 1 else 0.0,
                       maxiter=min(sinkhorn_iters, maxiter), progress=progress)
    if out.status in (Status.SUCCESS, Status.CALLBACK, Status.NONFINITE) and len(schedule) == 1:
        return out
    if out.status in (Status.CALLBACK, Status.NONFINITE):
        return out
    f, g = (out.f, out.g) if sinkhorn_iters > 0 else (f, g)
    for k, reg in enumerate(schedule):
        last = k == len(schedule) - 1
        stage = prob if last else prob.with_reg(reg)
        # intermediate stages only provide a warm start: a loose tolerance is enough
        out = _newton(stage, f, g, tol=tol if last else max(tol, 1e-6), maxiter=maxiter,
                      max_newton=max_newton, sinkhorn_iters=sinkhorn_iters, sparsity=sparsity,
                      progress=progress)
        if out.status in (Status.CALLBACK, Status.NONFINITE):
            return out
        f, g = out.f, out.g
    return out


def _continuation(prob):
    """``[reg_0, ..., reg]`` with ``reg_0 = range(C) / 1000`` when ``range(C) / reg > 2000``."""
    span = prob.span
    if span / prob.reg <= CONTINUATION:
        return [prob.reg]
    regs = [span / 1000.0]
    while regs[-1] / 10.0 > prob.reg:
        regs.append(regs[-1] / 10.0)
    return regs + [prob.reg]


def _newton(prob, f, g, *, tol, maxiter, max_newton, sinkhorn_iters, sparsity, progress):
    xp = prob.xp
    r, c, total, top = prob.marginals(f, g)
    if top > prob.overflow:  # a warm start far off: a few Sinkhorn steps make it representable
        out = sinkhorn_log(prob, f, g, tol=tol, maxiter=max(sinkhorn_iters, 1), progress=progress)
        if out.status != Status.MAXITER:
            return out
        f, g = out.f, out.g
        r, c, total, top = prob.marginals(f, g)
    err, phi = prob.error(r, c), prob.dual(f, g, total)
    mu, tau = 1.0, TAU0
    df, dg = prob.zeros(prob.n), prob.zeros(prob.m)
    errs, fails, fallbacks = [err], 0, 0
    start = progress.counts["n_newton"]
    while True:
        if err <= tol:
            return Outcome(f, g, err, Status.SUCCESS)
        if progress.counts["n_newton"] - start >= max_newton or progress.nit >= maxiter:
            return Outcome(f, g, err, Status.MAXITER,
                           f"Maximum number of iterations reached (maxiter={maxiter}, "
                           f"max_newton={max_newton}); marginal error {err:.3g}.")
        if len(errs) > 5 and errs[-1] > 0.9 * errs[-6] and err <= FLOOR:
            return Outcome(f, g, err, Status.BUDGET,
                           f"Precision floor: the marginal error stalled at {err:.3g} (no 10% "
                           "decrease in 5 Newton steps).")
        if len(errs) > 3 and errs[-1] > 0.5 * errs[-4] and err > FLOOR:
            # far from the Newton region: more Sinkhorn iterations (doubling), then Newton again
            out = sinkhorn_log(prob, f, g, tol=tol, maxiter=min(max(sinkhorn_iters, 10)
                                                                   * 2 ** fallbacks,
                                                                   maxiter - progress.nit),
                               progress=progress)
            fallbacks += 1
            if out.status != Status.MAXITER or progress.nit >= maxiter:
                return out
            f, g, mu, tau = out.f, out.g, 1.0, TAU0
            df, dg = prob.zeros(prob.n), prob.zeros(prob.m)
            r, c, total, _ = prob.marginals(f, g)
            err, phi = prob.error(r, c), prob.dual(f, g, total)
            errs = [err]
            continue
        ra, rb = prob.a - r, prob.b - c
        rtol = min(1e-4, max(1e-11, 1e-2 * err))  # forcing term -> superlinear inexact Newton
        df, dg, n_cg = _direction(prob, f, g, r, c, 1.0 + mu * err, ra, rb, sparsity, tau,
                                  (df, dg), rtol)
        progress.counts["n_cg"] += n_cg
        slope = float(xp.sum(ra * df) + xp.sum(rb * dg))
        trial = _line_search(prob, f, g, df, dg, err, phi, slope)
        if trial is None:
            fails += 1
            mu, tau = 4.0 * mu, max(tau / 100.0, TAU_MIN)
            if fails == 3:
                return Outcome(f, g, err, Status.BREAKDOWN,
                               f"Breakdown: the Newton line search failed 3 times in a row "
                               f"(marginal error {err:.3g}).")
            # fallback: more Sinkhorn iterations, then Newton again from there
            out = sinkhorn_log(prob, f, g, tol=tol, maxiter=min(max(sinkhorn_iters, 10),
                                                                   maxiter - progress.nit),
                               progress=progress)
            if out.status != Status.MAXITER or progress.nit >= maxiter:
                return out
            f, g = out.f, out.g
            df, dg = prob.zeros(prob.n), prob.zeros(prob.m)
            r, c, total, _ = prob.marginals(f, g)
            err, phi = prob.error(r, c), prob.dual(f, g, total)
            errs.append(err)
            continue
        fails = 0
        alpha, f, g, r, c, new_err, phi = trial
        if alpha < 1.0:
            mu = 4.0 * mu
        else:
            mu = max(mu / 2.0, 1e-3)
        if sparsity is None and (alpha < 1.0 or new_err > err / 2.0):
            tau = max(tau / 100.0, TAU_MIN)
        err = new_err
        errs.append(err)
        if progress.step("n_newton", f, g, err):
            return Outcome(f, g, err, Status.CALLBACK)


def _line_search(prob, f, g, df, dg, err, phi, slope):
    """Backtracking: accept if the error drops or Armijo holds; ``None`` after 30 halvings."""
    alpha = 1.0
    for _ in range(31):
        ft, gt = f + alpha * df, g + alpha * dg
        r, c, total, top = prob.marginals(ft, gt)
        if top <= prob.overflow:
            err_t, phi_t = prob.error(r, c), prob.dual(ft, gt, total)
            if math.isfinite(err_t) and (err_t < err or phi_t >= phi + 1e-4 * alpha * slope):
                return alpha, ft, gt, r, c, err_t, phi_t
        alpha /= 2.0
    return None


def _direction(prob, f, g, r, c, s, ra, rb, sparsity, tau, warm, rtol):
    """Newton direction ``(df, dg, cg_iterations)``.

    The larger block is eliminated and PCG runs on the Schur complement of the smaller one
    (``g`` when ``n >= m``); ``warm = (df, dg)`` of the previous step starts it.
    """
    xp = prob.xp
    tiny = float(np.finfo(np.float64).tiny)
    flip = prob.n < prob.m
    if flip:  # eliminate g: the roles of (r, a, f) and (c, b, g) swap
        w, d, ra, rb, x0 = 1.0 / (s * xp.maximum(c, tiny)), s * r, rb, ra, warm[0]
    else:
        w, d, x0 = 1.0 / (s * xp.maximum(r, tiny)), s * c, warm[1]
    solve = _solve_dense
    if prob.jit:
        sel = _select_numba(prob, f, g, r, sparsity, tau)
        if sel is not None:
            import scipy.sparse as sp

            indptr, indices, data = sel
            B, solve = sp.csr_array((data, indices, indptr), shape=(prob.n, prob.m)), _solve_csr
        else:
            B = prob.plan(f, g)[0].astype(np.float64, copy=False)
    else:
        B = _select_dense(prob, f, g, r, sparsity, tau)
    eliminated, kept, iters = solve(prob, B.T if flip else B, w, d, ra, rb, x0, rtol)
    return (kept, eliminated, iters) if flip else (eliminated, kept, iters)


def _row_thresholds(prob, r, sparsity, tau, xp):
    """``(thr, k)``: row ``i`` keeps exponents ``>= thr_i`` and its ``k`` largest (spec 4.2)."""
    n, m = prob.n, prob.m
    if sparsity is None:  # mass rule: entries >= tau r_i / m drop at most tau r_i per row
        return xp.log(tau * xp.maximum(r, 1e-300) / m), 2
    if isinstance(sparsity, int):
        return None, min(sparsity, m)
    keep = max(1, int(math.ceil(sparsity * n * m)))
    return keep, 1


def _select_numba(prob, f, g, r, sparsity, tau):
    """CSR triple of the kept entries, or ``None`` when more than half of ``P`` is kept."""
    from .._kernels import _sinkhorn as K

    n, m = prob.n, prob.m
    thr, k = _row_thresholds(prob, r, sparsity, tau, np)
    if thr is None:
        thr = np.full(n, np.inf)
    elif not isinstance(thr, np.ndarray):  # global top fraction
        S = prob.exponent(f, g).ravel()
        thr = np.full(n, np.partition(S, S.size - thr)[S.size - thr])
        del S
    colrow, kth = np.empty(m, dtype=np.int64), np.empty(n)
    indptr = np.empty(n + 1, dtype=np.int64)
    buf = np.empty(m)
    inv_reg = 1.0 / prob.reg
    nnz = K.select_count(prob.C, f, g, inv_reg, thr, k, colrow, kth, indptr, buf)
    if nnz > DENSE_FRACTION * n * m:
        return None
    indices, data = np.empty(nnz, dtype=np.int64), np.empty(nnz)
    K.select_fill(prob.C, f, g, inv_reg, thr, kth, colrow, indptr, indices, data, buf)
    return indptr, indices, data


def _solve_csr(prob, B, w, d, ra, rb, x0, rtol):
    """Schur-complement PCG (numba) for sparse ``B`` whose rows are the eliminated block."""
    from .._kernels import _sinkhorn as K

    B = B.tocsr()
    indptr, indices = B.indptr.astype(np.int64), B.indices.astype(np.int64)
    data = B.data
    prec = np.empty(B.shape[1])
    K.schur_diagonal(indptr, indices, data, w, d, prec)
    rhs = prob.reg * (rb - B.T @ (w * ra))
    x = x0.copy()
    iters, _ = K.schur_pcg(indptr, indices, data, w, d, prec, rhs, x, rtol, 10 * B.shape[1])
    return w * (prob.reg * ra - B @ x), x, int(iters)


def _select_dense(prob, f, g, r, sparsity, tau):
    """``P`` with the dropped entries set to 0 (reference path; dense when > half is kept)."""
    xp = prob.xp
    n, m = prob.n, prob.m
    S = prob.exponent(f, g)
    P = clamped_exp(S, xp=xp, low=prob.low)
    thr, k = _row_thresholds(prob, r, sparsity, tau, xp)
    if thr is None:
        keep = S >= xp.sort(S, axis=1)[:, m - k:m - k + 1]
    elif isinstance(thr, int):
        flat = xp.sort(xp.reshape(S, (-1,)))
        keep = S >= flat[n * m - thr]
    else:
        first = xp.max(S, axis=1, keepdims=True)
        second = xp.max(xp.where(S >= first, -math.inf, S), axis=1, keepdims=True)
        keep = (S >= xp.astype(thr, S.dtype)[:, None]) | (S >= second) | (S >= first)
    keep = keep | (S >= xp.max(S, axis=0, keepdims=True))
    if float(xp.sum(xp.astype(keep, xp.float64))) > DENSE_FRACTION * n * m:
        return P
    return xp.where(keep, P, xp.zeros_like(P))


def _solve_dense(prob, B, w, d, ra, rb, x0, rtol):
    """Schur-complement PCG (``xp``) for dense ``B`` whose rows are the eliminated block."""
    xp = prob.xp
    w, d = xp.astype(w, B.dtype), xp.astype(d, B.dtype)

    def matvec(v):
        return d * v - xp.matmul(w * xp.matmul(B, v), B)

    prec = xp.maximum(d - xp.sum(w[:, None] * B * B, axis=0), 1e-3 * d)
    rhs = prob.reg * (xp.astype(rb, B.dtype) - xp.matmul(w * xp.astype(ra, B.dtype), B))
    x, iters = _projected_pcg(matvec, prec, rhs, xp.astype(x0, B.dtype), rtol, 10 * B.shape[1],
                              xp)
    eliminated = w * (prob.reg * xp.astype(ra, B.dtype) - xp.matmul(B, x))
    return xp.astype(eliminated, ra.dtype), xp.astype(x, ra.dtype), iters


def _projected_pcg(matvec, prec, rhs, x, rtol, maxiter, xp):
    """Jacobi-PCG restricted to ``1^perp`` (reference for :func:`schur_pcg`)."""
    def proj(v):
        return v - xp.mean(v)

    b, x = proj(rhs), proj(x)
    bnorm = float(xp.linalg.vector_norm(b))
    if bnorm == 0.0:
        return xp.zeros_like(x), 0
    res = proj(b - matvec(x))
    z = proj(res / prec)
    p, rz = z, xp.sum(res * z)
    for it in range(maxiter):
        if float(xp.linalg.vector_norm(res)) <= rtol * bnorm:
            return x, it
        q = proj(matvec(p))
        pq = xp.sum(p * q)
        if not float(pq) > 0.0:
            return x, it
        alpha = rz / pq
        x = x + alpha * p
        res = proj(res - alpha * q)
        z = proj(res / prec)
        rz_new = xp.sum(res * z)
        p = proj(z + (rz_new / rz) * p)
        rz = rz_new
    return x, maxiter
