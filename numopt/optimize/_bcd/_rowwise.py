"""Block Newton on data problems from a per-row state: steps that read only the touched rows.

For ``LeastSquares``, ``Logistic`` and ``Softmax`` the state is ``U = A X``, ``R = phi'(U)`` and the
row losses.  A step on block ``b`` reads only the rows its features touch (the residual
maintenance of coordinate descent for Lasso/GLMs, applied to the softmax's coupled classes): its
gradient, true Hessian, Newton step and Armijo line search cost ``O(rows(b) |b|^2)``, not a full
gradient.  Cyclic and random rules need nothing else; the Gauss-Southwell rules on a partition
(``gs``/``gsl``/``gsd``) also keep ``G = A'R`` exact by scattering the touched rows' change through
the rows of ``A`` and rescore only the blocks it reaches.  A pass of block steps runs in one numba
call.

Stopping rule: ``seen_i`` is ``|g_i|`` when coordinate ``i``'s block was last stepped (cyclic,
random: tested after each pass, so the rule may be met up to one pass late) or the maintained
``|g_i|`` (greedy: tested after each step); once ``max_i seen_i <= threshold``, the full gradient
is recomputed and ``rho(x) <= tol max(1, rho(x0))`` is checked exactly.
"""
import math

import numpy as np

from ..._lib._result import Status
from ._blocks import FixedBlocks
from ._outcome import iteration_status
from ._updates import ARMIJO_C1, ARMIJO_TRIALS, ROUNDING

__all__ = ["uses_rows", "iterate_rows"]

ROW_SELECTIONS = ("cyclic", "random")
GREEDY_SELECTIONS = ("gs", "gsl", "gsd")


def uses_rows(problem, kind, selection, update, constrained, jit):
    """True when the run takes the per-row path: numba, a data problem, Newton updates without
    ``l1``/bounds, and cyclic/random selection (any block ``kind`` but ``'tree'``) or gs/gsl/gsd
    on a partition (``'fixed'`` or ``'list'``, user-given blocks)."""
    if not (jit and hasattr(problem, "_bcd_row_state") and update == "newton"
            and not constrained):
        return False
    return (selection in ROW_SELECTIONS and kind != "tree") or (
        selection in GREEDY_SELECTIONS and kind in ("fixed", "list"))


def _greedy_partition(chooser, blocks, state):
    """The partition's arrays for :meth:`greedy_newton_steps`: members, offsets, the blocks of
    each feature (``fblk[fptr[j]:fptr[j + 1]]``), ``1 / D_i`` (0 where ``D_i <= 0``), block scores
    ``sum g_i^2 / D_i`` and block maxima of ``|g_i|``."""
    offs = _offsets(blocks)
    members = np.concatenate(blocks)
    k = state.problem.k
    pairs = np.unique(np.stack([members // k, np.repeat(np.arange(len(blocks)), np.diff(offs))]),
                      axis=1)  # (feature, block), sorted by feature
    fptr = np.searchsorted(pairs[0], np.arange(state.x.size // k + 1)).astype(np.int64)
    fblk = np.ascontiguousarray(pairs[1], dtype=np.int64)
    curv = np.asarray(chooser.curv, dtype=np.float64)
    inv_curv = np.divide(1.0, curv, out=np.zeros(curv.size), where=curv > 0)
    g = state.G[members] + state.problem.l2 * state.x[members]
    filled = np.diff(offs) > 0  # reduceat over the non-empty blocks' segments
    scores, tops = np.zeros(len(blocks)), np.zeros(len(blocks))
    if filled.any():
        scores[filled] = np.add.reduceat(g * g * inv_curv[members], offs[:-1][filled])
        tops[filled] = np.maximum.reduceat(np.abs(g), offs[:-1][filled])
    return members, offs, fptr, fblk, inv_curv, scores, tops


def _offsets(blocks):
    offs = np.zeros(len(blocks) + 1, np.int64)
    np.cumsum([b.size for b in blocks], out=offs[1:])
    return offs


def _pass_length(chooser, n):
    """Blocks per pass: the partition's size, or ``ceil(n / tau)`` for variable blocks."""
    return len(chooser.blocks) if isinstance(chooser, FixedBlocks) else math.ceil(n / chooser.tau)


def iterate_rows(ctx, chooser, tol, maxiter, callback):
    """Run the per-row path; returns ``(status, message, nit, ncoord, rho, history)``.

    Without a callback a pass of blocks goes to numba in one call; with one, one block per call
    (same iterates) and ``callback`` after each, with ``residual = max_i seen_i``.
    """
    state = ctx.state
    keep = (lambda idx: idx[ctx.lip[idx] > 0]) if np.any(ctx.lip == 0) else (lambda idx: idx)
    greedy = _greedy_partition(chooser, [keep(b) for b in chooser.blocks], state) \
        if chooser.selection in GREEDY_SELECTIONS else None
    history = [state.fun()]
    ctx.nfev += 1
    rho = float(state.seen.max())
    threshold = ctx.threshold = tol * max(1.0, rho)
    status = Status.SUCCESS if rho <= threshold else Status.MAXITER
    message = None
    nit = ncoord = 0
    batch = 1 if callback is not None else _pass_length(chooser, ctx.n)
    while status == Status.MAXITER and nit < maxiter:
        count = min(batch, maxiter - nit)
        if greedy is not None:
            done, F, counts = state.greedy_newton_steps(count, greedy, threshold, ROUNDING,
                                                        ARMIJO_C1, ARMIJO_TRIALS)
        else:
            blocks = []
            for s in range(count):
                ctx.nit = nit + s
                blocks.append(keep(chooser.choose(ctx)[0]))
            done, F, counts = state.newton_steps(np.concatenate(blocks), _offsets(blocks),
                                                 ROUNDING, ARMIJO_C1, ARMIJO_TRIALS)
        nit += done
        ncoord += int(counts[2])
        history.extend(F.tolist())
        ctx.nfev += int(counts[0])
        ctx.nhev += done + int(counts[1])
        if counts[3]:
            status = Status.NONFINITE
            break
        status, message, rho = iteration_status(
            lambda: float(state.seen.max()), state.refresh, threshold,
            lambda: float(np.max(np.abs(state.x))), callback, state.x, nit, state.fun())
        status = Status.MAXITER if status is None else status
    return status, message, nit, ncoord, rho, history
