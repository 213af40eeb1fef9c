"""The vectorised path of ``minimize_bcd`` for data problems on non-NumPy namespaces (CuPy on a GPU,
array-api-strict): dense ``A``, no numba, every array op in ``xp`` on the problem's device.

Rules: fixed (sorted) / variable / user blocks; ``cyclic``, ``random``, ``gs``, ``gsl`` selection;
``lipschitz`` (proximal with ``l1``/bounds) and ``newton`` (unconstrained) updates.  Each iteration
recomputes ``G = A' phi'(A X)`` (dense products); block indices are chosen on the device and
copied to the host (``|b|`` integers); the step is scattered back through a gather
(``take(concat(d, 0), pos)`` with ``pos`` built on the host), as the array API has no index
assignment.
"""
import math

import numpy as np

from ..._lib._array_api import to_numpy
from ..._lib._result import Status
from ...problems._bcd_problems import _sigmoid
from ._blocks import EIGH_MAX, VariableBlocks, power_lambda_max
from ._outcome import finish_result, iteration_status
from ._partitions import check_partition, fixed_partition
from ._prox import gsq_scores, prox_residual, prox_target
from ._updates import ARMIJO_C1, ARMIJO_TRIALS, ROUNDING

__all__ = ["VECTORISED_SELECTIONS", "VECTORISED_UPDATES", "minimize_vectorised"]

VECTORISED_SELECTIONS = ("cyclic", "random", "gs", "gsl")
VECTORISED_UPDATES = ("lipschitz", "newton")
PINV_RCOND = 1e-12   # eigenvalues below this fraction of the largest are dropped (singular H_b)


class _DeviceState:
    """``x``, ``U = A X``, ``G = A' phi'(U) + l2 X`` of a data problem on its device."""

    def __init__(self, problem, x):
        self.pr, self.xp, self.x = problem, problem.xp, x
        self.ngrad = 0
        self.refresh()

    def refresh(self):
        pr = self.pr
        self.U = pr._A @ self.xp.reshape(self.x, (pr.p, pr.k))
        self._gradient()

    def _gradient(self):
        pr, xp = self.pr, self.xp
        G = pr._A.T @ pr._derivative(self.U)
        self.grad = xp.reshape(G, (-1,)) + pr.l2 * self.x if pr.l2 else xp.reshape(G, (-1,))
        self.ngrad += 1

    def fun(self):
        pr, xp = self.pr, self.xp
        return pr._loss(self.U) + 0.5 * pr.l2 * float(xp.sum(self.x * self.x))

    def columns(self, idx):
        """``A[:, j]`` of the block's variables ``j * k + c`` (dense, m x |b|)."""
        xp, pr = self.xp, self.pr
        return xp.take(pr._A, xp.asarray(idx // pr.k, device=pr.device), axis=1)

    def direction(self, cols, idx, d):
        """``A dX`` for the block step (m x k)."""
        pr, xp = self.pr, self.xp
        if pr.k == 1:
            return cols @ xp.reshape(d, (-1, 1))
        onehot = np.zeros((idx.size, pr.k))
        onehot[np.arange(idx.size), idx % pr.k] = 1.0
        return (cols * d) @ xp.asarray(onehot, dtype=pr.dtype, device=pr.device)

    def step(self, idx, d, dU):
        """``x[idx] += d``, ``U += dU`` and a fresh gradient."""
        xp, pr = self.xp, self.pr
        pos = np.full(pr.n, idx.size, np.int64)
        pos[idx] = np.arange(idx.size)
        padded = xp.concat([d, xp.zeros(1, dtype=d.dtype, device=pr.device)])
        self.x = self.x + xp.take(padded, xp.asarray(pos, device=pr.device))
        self.U = self.U + dU
        self._gradient()


def _bound_block(state, cols, idx):
    """``H_b = s A_b'A_b o S + l2 I`` (Boehning's class factor ``S`` for softmax)."""
    pr, xp = state.pr, state.xp
    S = pr._bound_factor(np.asarray(idx) % pr.k)
    H = (cols.T @ cols) * xp.asarray(S, dtype=pr.dtype, device=pr.device)
    return H + pr.l2 * xp.eye(idx.size, dtype=pr.dtype, device=pr.device)


def _true_block(state, cols, idx):
    """The Hessian block at ``x``: logistic ``A_b' diag(s(1-s)) A_b``; softmax
    ``A_j' diag(P_c (delta_cc' - P_c')) A_j'``; plus ``l2 I``."""
    pr, xp = state.pr, state.xp
    eye = xp.eye(idx.size, dtype=pr.dtype, device=pr.device)
    if pr.loss == 1:
        s = _sigmoid(state.U, xp)
        H = cols.T @ (cols * (s * (1.0 - s)))
    else:
        P = xp.take(pr._probabilities(state.U), xp.asarray(idx % pr.k, device=pr.device), axis=1)
        W = cols * P
        same = xp.asarray((idx % pr.k)[:, None] == (idx % pr.k)[None, :], dtype=pr.dtype,
                          device=pr.device)
        H = same * (W.T @ cols) - W.T @ W
    return H + pr.l2 * eye


def _pinv_solve(H, rhs, xp):
    """``H^+ rhs`` for symmetric PSD ``H`` by ``eigh`` (singular blocks: minimum-norm step)."""
    w, V = xp.linalg.eigh(H)
    keep = w > PINV_RCOND * xp.max(xp.abs(w))
    inv = xp.where(keep, 1.0 / xp.where(keep, w, 1.0), 0.0)
    return V @ (inv * (V.T @ rhs))


def _lambda_max(H, xp):
    """``eigvalsh`` up to 256, else 30 power iterations x 1.01."""
    if H.shape[0] <= EIGH_MAX:
        return float(xp.linalg.eigvalsh(H)[-1])
    return power_lambda_max(lambda v: H @ v, xp.ones(H.shape[0], dtype=H.dtype, device=H.device),
                            xp.linalg.vector_norm)


class _Chooser:
    """Fixed/user partitions or variable blocks, with cyclic/random/gs/gsl selection."""

    def __init__(self, blocks, tau, selection, state, lip):
        pr, xp = state.pr, state.xp
        self.selection, self.tau = selection, tau
        self.partition = None
        self.drawer = VariableBlocks(tau, None, selection) if selection in ("cyclic", "random") \
            else None
        self._lipschitz = {}
        if blocks == "variable":
            bar = pr.lipschitz_bar if selection == "gsl" else np.ones(pr.n)
            self.curv = xp.asarray(bar, dtype=pr.dtype, device=pr.device)
            return
        self.partition = fixed_partition(lip, tau) if blocks == "fixed" else \
            check_partition(blocks, pr.n)
        width = max(b.size for b in self.partition)
        members = np.full((len(self.partition), width), pr.n, np.int64)  # n: a zero pad entry
        for k, b in enumerate(self.partition):
            members[k, :b.size] = b
        self.members = xp.asarray(members, device=pr.device)
        curv = np.ones(pr.n)
        if selection == "gsl":
            for k, b in enumerate(self.partition):
                curv[b] = self.lipschitz(k, state)
        self.curv = xp.asarray(curv, dtype=pr.dtype, device=pr.device)

    def lipschitz(self, k, state):
        if k not in self._lipschitz:
            idx = self.partition[k]
            self._lipschitz[k] = _lambda_max(_bound_block(state, state.columns(idx), idx),
                                             state.xp)
        return self._lipschitz[k]

    def choose(self, ctx):
        """Return ``(host indices, block id or None)``."""
        xp, n = ctx.xp, ctx.n
        if self.partition is not None:
            nb = len(self.partition)
            if self.selection == "cyclic":
                k = ctx.nit % nb
            elif self.selection == "random":
                k = int(ctx.rng.integers(nb))
            else:  # block score = sum of coordinate scores (pads read the appended 0)
                s = xp.concat([ctx.scores(self.curv), xp.zeros(1, dtype=ctx.dtype,
                                                               device=ctx.device)])
                S = xp.reshape(xp.take(s, xp.reshape(self.members, (-1,))), self.members.shape)
                k = int(xp.argmax(xp.sum(S, axis=1)))
            return self.partition[k], k
        if self.selection in ("cyclic", "random"):
            return self.drawer.draw(ctx.rng, n), None
        top = xp.argsort(-ctx.scores(self.curv), stable=True)[:self.tau]
        return np.sort(to_numpy(top).astype(np.int64)), None  # |b| integers to the host


class _DeviceContext:
    """Bounds, ``l1``, ``L_i`` on the device and the counters of one run."""

    def __init__(self, state, lip, l1, lo, hi, constrained, rng):
        pr, xp = state.pr, state.xp
        self.state, self.xp, self.n, self.rng = state, xp, pr.n, rng
        self.dtype, self.device = pr.dtype, pr.device
        self.lip_host = lip
        self.lip = xp.asarray(lip, dtype=pr.dtype, device=pr.device)
        self.lo = xp.asarray(lo, dtype=pr.dtype, device=pr.device)
        self.hi = xp.asarray(hi, dtype=pr.dtype, device=pr.device)
        self.l1 = l1
        self.constrained = constrained
        self.nit = self.nhev = self.nfev = 0
        self.F = 0.0  # F(x) + l1 ||x||_1 at the current x, kept by the loop

    def scores(self, curv):
        st = self.state
        return gsq_scores(st.x, st.grad, curv, self.l1, self.lo, self.hi, self.xp)

    def residual(self):
        st = self.state
        return prox_residual(st.x, st.grad, self.lip, self.l1, self.lo, self.hi, self.xp)

    def l1norm(self):
        return float(self.xp.sum(self.xp.abs(self.state.x)))

    def active(self, idx=None):
        """The zero (``l1 > 0``) / at-a-bound pattern of ``x``, or of ``x[idx]`` (on the host)."""
        x, lo, hi = self.state.x, self.lo, self.hi
        if idx is not None:
            x, lo, hi = _take(x, idx, self), _take(lo, idx, self), _take(hi, idx, self)
        act = (x == lo) | (x == hi)
        return to_numpy(act | (x == 0) if self.l1 > 0 else act)


def _take(v, idx, ctx):
    return ctx.xp.take(v, ctx.xp.asarray(idx, device=ctx.device))


def _update(ctx, chooser, update, idx, bid):
    """``(d, dU)`` with ``F(x + d) <= F(x)``: Lipschitz (proximal) steps by the descent lemma,
    Newton steps exactly (least squares) or by Armijo on the true Hessian, else the bound step."""
    xp, st, pr = ctx.xp, ctx.state, ctx.state.pr
    if idx.size == 0:  # a block of zero columns only
        return xp.zeros(0, dtype=ctx.dtype, device=ctx.device), xp.zeros_like(st.U)
    cols = st.columns(idx)
    gb = _take(st.grad, idx, ctx)
    if update == "newton":
        if not pr.quadratic:
            ctx.nhev += 1
            d = -_pinv_solve(_true_block(st, cols, idx), gb, xp)
            dU = st.direction(cols, idx, d)
            # all rows, row by row: the untouched ones change by exactly 0
            change = pr._change_along(st.U, dU, pr.T, _take(st.x, idx, ctx), d)
            slope, t = float(xp.sum(gb * d)), 1.0
            for _ in range(ARMIJO_TRIALS):
                ctx.nfev += 1
                if change(t) <= ARMIJO_C1 * t * slope + ROUNDING * abs(ctx.F):
                    return t * d, t * dU
                t *= 0.5
        ctx.nhev += 1
        d = -_pinv_solve(_bound_block(st, cols, idx), gb, xp)
        return d, st.direction(cols, idx, d)
    if bid is not None and chooser.partition is not None:
        L = chooser.lipschitz(bid, st)
    elif idx.size == 1:
        L = float(ctx.lip_host[idx[0]])
    else:
        L = _lambda_max(_bound_block(st, cols, idx), xp)
    if not L > 0:
        d = xp.zeros(idx.size, dtype=ctx.dtype, device=ctx.device)
    elif ctx.constrained:
        xb = _take(st.x, idx, ctx)
        d = prox_target(xb, gb, L, ctx.l1, _take(ctx.lo, idx, ctx), _take(ctx.hi, idx, ctx),
                        xp) - xb
    else:
        d = -gb / L
    return d, st.direction(cols, idx, d)


def minimize_vectorised(problem, x0, *, lip, blocks, block_size, selection, update, l1, lo, hi,
                        constrained, tol, maxiter, rng, callback, return_history):
    """The loop of ``minimize_bcd`` on ``problem.xp``; options validated by the caller; ``x0``,
    ``lip`` (float64), ``lo`` and ``hi`` NumPy arrays (``x0`` inside the bounds)."""
    xp, pr = problem.xp, problem
    x = xp.asarray(x0, dtype=pr.dtype, device=pr.device)
    state = _DeviceState(pr, x)
    ctx = _DeviceContext(state, lip, l1, lo, hi, constrained, rng)
    chooser = _Chooser(blocks, block_size, selection, state, lip)
    F = ctx.F = state.fun() + l1 * ctx.l1norm()
    ctx.nfev += 1
    history = [F]
    rho = ctx.residual()
    threshold = tol * max(1.0, rho)
    status = Status.SUCCESS if rho <= threshold else Status.MAXITER
    message = None
    active = np.array(ctx.active()) if ctx.constrained else None
    identified_at = nit = ncoord = 0
    while status == Status.MAXITER and nit < maxiter:
        ctx.nit = nit
        idx, bid = chooser.choose(ctx)
        idx = idx[lip[idx] > 0]  # zero columns are skipped
        d, dU = _update(ctx, chooser, update, idx, bid)
        x_old, U_old = state.x, state.U
        state.step(idx, d, dU)
        nit += 1
        ncoord += idx.size
        F = ctx.F = state.fun() + l1 * ctx.l1norm()
        ctx.nfev += 1
        if not math.isfinite(F):
            state.x, state.U = x_old, U_old
            state.refresh()
            status = Status.NONFINITE
            break
        history.append(F)
        if ctx.constrained:  # only the block moved
            now = ctx.active(idx)
            if np.any(now != active[idx]):
                active[idx], identified_at = now, nit
        done, message, rho = iteration_status(
            ctx.residual, state.refresh, threshold,
            lambda: float(xp.max(xp.abs(state.x))), callback, state.x, nit, F)
        if done is not None:
            status = done
            break
    if status != Status.SUCCESS:  # success was confirmed on a fresh state already
        state.refresh()  # exact objective from scratch, free of incremental drift
    ctx.nfev += 1
    counts = {"nfev": ctx.nfev, "njev": state.ngrad, "nhev": ctx.nhev, "ncoord": ncoord}
    extra = {"n_active": int(np.sum(ctx.active())), "identified_at": identified_at} \
        if ctx.constrained else {}
    return finish_result(problem, state, status, message, nit, rho, history, maxiter,
                         return_history, ctx.constrained, F=state.fun() + l1 * ctx.l1norm(),
                         **counts, **extra)
