"""Sinkhorn iterations on a reduced problem: log domain ('sinkhorn-log'), kernels ('sinkhorn').

One iteration is a g-half-step followed by a row pass; after the g-half-step the columns of the plan
are exact, so the row pass (which also yields the next f-half-step) gives the marginal error
``||P 1 - a||_1 + ||P^T 1 - b||_1`` of the current point for free.
"""
import math

import numpy as np

from .._lib._result import Status

__all__ = ["sinkhorn_log", "sinkhorn_kernel", "Progress", "Outcome"]

# Device syncs (a Python float of the error) happen every CHECK_EVERY iterations on non-NumPy
# namespaces; `nit` stays exact, the returned point is the one checked.
CHECK_EVERY = 10


class Outcome:
    """End state of a stage: potentials, marginal error (reduced problem), status and message."""

    def __init__(self, f, g, err, status, message=None):
        self.f, self.g, self.err, self.status, self.message = f, g, err, status, message


class Progress:
    """Iteration bookkeeping shared by the stages: ``nit``, counters, history and the callback.

    ``report(f, g)`` maps reduced potentials to the output convention for the callback; errors
    are recorded times ``scale`` (the mass of the original problem).
    """

    def __init__(self, callback, report, scale=1.0):
        self.callback, self.report, self.scale = callback, report, scale
        self.nit = 0
        self.counts = {"n_sinkhorn": 0, "n_newton": 0, "n_cg": 0}
        self.history = []

    def step(self, kind, f, g, err):
        """Record one iteration; returns True when the callback asked to stop."""
        from .._lib._callback import call_callback
        from .._lib._result import OTResult

        self.nit += 1
        self.counts[kind] += 1
        self.history.append(float(err) * self.scale)
        if self.callback is None:
            return False
        fo, go = self.report(f, g)
        return call_callback(self.callback, OTResult(f=fo, g=go, nit=self.nit,
                                                     marginal_error=self.history[-1]))

    def bulk(self, kind, errs):
        """Record iterations run without a callback (compiled loops)."""
        self.nit += len(errs)
        self.counts[kind] += len(errs)
        self.history.extend(float(e) * self.scale for e in errs)


def _stop_status(err, tol, stopped):
    if stopped:
        return Status.CALLBACK
    if not math.isfinite(err):
        return Status.NONFINITE
    return Status.SUCCESS if err <= tol else Status.MAXITER


def sinkhorn_log(prob, f, g, *, tol, maxiter, progress):
    """Up to ``maxiter`` log-domain Sinkhorn iterations from ``(f, g)``; stop at error ``<= tol``.

    Returns an :class:`Outcome` whose point has exact columns (unless no iteration ran).
    """
    if maxiter <= 0:
        return Outcome(f, g, math.inf, Status.MAXITER)
    if prob.jit:
        return _sinkhorn_log_numba(prob, f, g, tol=tol, maxiter=maxiter, progress=progress)
    xp = prob.xp
    check_every = 1 if progress.callback is not None or "numpy" in xp.__name__ else CHECK_EVERY
    _, fnew = prob.row_pass(f, g)
    pending = []
    err, stopped = math.inf, False
    for k in range(1, maxiter + 1):
        f = fnew
        g = prob.col_step(f, g)
        err_arr, fnew = prob.row_pass(f, g)
        pending.append(err_arr)
        if progress.callback is None and k % check_every and k < maxiter:
            continue
        for e in pending[:-1]:
            progress.bulk("n_sinkhorn", [e])
        pending = []
        err = float(err_arr)
        if progress.step("n_sinkhorn", f, g, err):
            stopped = True
            break
        if err <= tol or not math.isfinite(err):
            break
    return Outcome(f, g, err, _stop_status(err, tol, stopped))


def _sinkhorn_log_numba(prob, f, g, *, tol, maxiter, progress):
    from .._kernels import _sinkhorn as K

    f, g = f.copy(), g.copy()
    fnew = np.empty(prob.n)
    buf, csum = np.empty(prob.m), np.empty(prob.m)
    inv_reg = 1.0 / prob.reg
    K.row_pass(prob.C, f, g, prob.a, prob.loga, inv_reg, prob.reg, prob.cut_row, fnew, buf)
    cutcol = prob.cutcol()
    chunk = maxiter if progress.callback is None else 1
    history = np.empty(chunk)
    done, err, stopped = 0, math.inf, False
    while done < maxiter:
        steps, err, flag = K.sinkhorn_run(prob.C, prob.a, prob.b, prob.loga, prob.logb, f, g,
                                          inv_reg, prob.reg, prob.cut_row, prob.cut_col, cutcol,
                                          tol, min(chunk, maxiter - done), history, fnew, csum, buf)
        done += steps
        if progress.callback is None:
            progress.bulk("n_sinkhorn", history[:steps])
        elif progress.step("n_sinkhorn", f, g, err):
            stopped = True
            break
        if flag != 1:
            break
    return Outcome(f, g, float(err), _stop_status(float(err), tol, stopped))


def sinkhorn_kernel(prob, f, g, *, tol, maxiter, progress):
    """Kernel-space Sinkhorn ``u = a / (K v)``, ``v = b / (K^T u)`` with ``K = exp(-C / reg)``.

    Valid while ``K`` and the scalings are representable, i.e. for ``reg >~ range(C) / 700`` in
    float64 (``/ 85`` in float32); a zero or non-finite scaling stops it with status 4 and a message
    pointing to ``'sinkhorn-log'``.
    """
    xp = prob.xp
    f0, g0 = f, g
    Kmat = xp.exp(-prob.C / prob.reg)
    wdtype = Kmat.dtype
    u = xp.exp(xp.asarray(f, dtype=wdtype) / prob.reg)
    v = xp.exp(xp.asarray(g, dtype=wdtype) / prob.reg)
    a, b = xp.asarray(prob.a, dtype=wdtype), xp.asarray(prob.b, dtype=wdtype)
    check_every = 1 if progress.callback is not None or "numpy" in xp.__name__ else CHECK_EVERY
    u = a / (Kmat @ v)
    err, stopped, bad = math.inf, False, False
    pending = []
    for k in range(1, maxiter + 1):
        v = b / (u @ Kmat)
        Kv = Kmat @ v
        pending.append(xp.sum(xp.abs(u * Kv - a)))
        unew = a / Kv
        if progress.callback is None and k % check_every and k < maxiter:
            u = unew
            continue
        bad = not bool(xp.all(xp.isfinite(unew)) & xp.all(xp.isfinite(v)) & xp.all(Kv > 0))
        progress.bulk("n_sinkhorn", pending[:-1])
        err = float(pending[-1])
        pending = []
        if bad:
            break
        if progress.step("n_sinkhorn", *_log_scalings(u, v, prob.reg, xp), err):
            stopped = True
            break
        if err <= tol or k == maxiter:
            break
        u = unew
    if bad:
        ratio = float(xp.max(prob.C)) / prob.reg
        return Outcome(f0, g0, math.inf, Status.NONFINITE,
                       "NaN/Inf met: the kernel exp(-C/reg) under/overflowed "
                       f"(range(C)/reg = {ratio:.3g}); use method='sinkhorn-log' or 'sns'.")
    f, g = _log_scalings(u, v, prob.reg, xp)
    status, message = _stop_status(err, tol, stopped), None
    limit = -prob.low  # exp(-C/reg) underflows past this ratio
    if status == Status.MAXITER and prob.span / prob.reg > limit:
        message = (f"Maximum number of iterations reached; marginal error {err:.3g}. "
                   f"range(C)/reg = {prob.span / prob.reg:.3g} > {limit:.0f}: kernel entries "
                   "underflow; use method='sinkhorn-log' or 'sns'.")
    return Outcome(prob.potential(f), prob.potential(g), err, status, message)


def _log_scalings(u, v, reg, xp):
    return reg * xp.log(u), reg * xp.log(v)
