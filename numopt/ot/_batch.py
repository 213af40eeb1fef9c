"""Vectorised log-domain Sinkhorn over a batch of reduced problems of one shape (``xp`` path).

The iterates of every problem are those of :func:`numopt.ot._sinkhorn.sinkhorn_log` run alone:
a problem is frozen once its marginal error is ``<= tol`` at a check (every iteration on NumPy,
every ``CHECK_EVERY`` elsewhere, as in the single-problem loop), so a batch equals the loop.
"""
import math

from .._lib._result import Status
from ._problem import logsumexp
from ._sinkhorn import CHECK_EVERY, Outcome

__all__ = ["sinkhorn_log_stacked"]


def sinkhorn_log_stacked(probs, fs, gs, tols, *, maxiter, progresses):
    """Run ``sinkhorn_log`` on every problem at once; returns one :class:`Outcome` per problem."""
    first = probs[0]
    xp, low = first.xp, first.low
    C = xp.stack([p.C for p in probs])
    a, loga = xp.stack([p.a for p in probs]), xp.stack([p.loga for p in probs])
    logb = xp.stack([p.logb for p in probs])
    reg = xp.asarray([p.reg for p in probs], dtype=C.dtype, device=_device(C))[:, None]
    tol = xp.asarray(tols, dtype=xp.float64, device=_device(C))
    f, g = xp.stack(fs), xp.stack(gs)

    def row_lse(g):  # LSE_j((g_j - C_ij) / reg) for every problem and row
        return logsumexp((g[:, None, :] - C) / reg[:, :, None], axis=-1, xp=xp, low=low)

    def col_step(f):
        lse = logsumexp((f[:, :, None] - C) / reg[:, :, None], axis=-2, xp=xp, low=low)
        return reg * (logb - lse)

    check_every = 1 if "numpy" in xp.__name__ else CHECK_EVERY
    fnew = reg * (loga - row_lse(g))
    active = xp.ones(len(probs), dtype=xp.bool, device=_device(C))
    pending, errs = [], None
    for k in range(1, maxiter + 1):
        keep = active[:, None]
        f = xp.where(keep, fnew, f)
        g = xp.where(keep, col_step(f), g)
        lse = row_lse(g)
        errs_k = xp.astype(xp.sum(xp.abs(xp.exp(f / reg + lse) - a), axis=-1), xp.float64)
        errs = xp.where(active, errs_k, errs) if errs is not None else errs_k
        fnew = reg * (loga - lse)
        pending.append((errs_k, active))
        if k % check_every and k < maxiter:
            continue
        _record(pending, progresses)
        pending = []
        active = active & (errs > tol)
        if not bool(xp.any(active)):
            break
    outs = []
    for i, prob in enumerate(probs):
        err = float(errs[i])
        status = Status.SUCCESS if err <= tols[i] else (
            Status.MAXITER if math.isfinite(err) else Status.NONFINITE)
        outs.append(Outcome(f[i, ...], g[i, ...], err, status))
    return outs


def _record(pending, progresses):
    """Count the iterations each problem ran (it was active) and record their errors."""
    for errs_k, active in pending:
        for i, progress in enumerate(progresses):
            if bool(active[i]):
                progress.bulk("n_sinkhorn", [errs_k[i]])


def _device(x):
    import array_api_compat as aac

    return aac.device(x)
