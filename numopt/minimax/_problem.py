"""The validated inclusion problem, the sampler and the residual tracker shared by every method."""
import math
from dataclasses import dataclass, field

import numpy as np

from .._kernels._monitor_flags import CONTINUE, CONVERGED, DIVERGED, EXHAUSTED, NONFINITE, STALLED
from .._lib._callback import call_callback
from .._lib._jit import host_kernel
from .._lib._result import OptimizeResult, Status

SAMPLE_BLOCK = 256  # iterations whose random numbers are drawn at once (same stream on every path)


@dataclass
class Problem:
    """Everything a method needs: operator, resolvent, start, step, constants, budget, RNG."""

    xp: object
    device: object
    dtype: object
    op: object
    resolvent: object  # J(w, step); identity when G = 0
    x0: object
    step: float
    L: float  # the constant the method's step rule uses (sampled L or L_F)
    q: object  # importance probabilities (host ndarray) or None = uniform without replacement
    batch: int
    tol: float
    max_oracle: int
    maxiter: int
    rng: object
    callback: object
    jit: bool
    certificate: object = None  # (u, Fu) -> stop measure (default: the residual)
    kernel_measure: int = 0  # the compiled form of `certificate`: 0 residual, 1 bilinear gap
    window_floor: float = 200.0
    notes: list = field(default_factory=list)

    @property
    def n(self):
        return self.op.n

    def __post_init__(self):
        spec = self.kernel_resolvent() if self.jit and self.resolvent is not None else None
        self._compiled_J = None if spec is None else _compiled_resolvent(*spec, self.op.dim, self.dtype)

    def J(self, w, step):
        if self.resolvent is None:
            return w
        if self._compiled_J is not None:
            return self._compiled_J(w, step)
        return self.resolvent(w, step)

    def residual(self, u, Fu):
        """``R(u) = ||u - J_G(u - F(u))||`` with unit step (``||F(u)||`` when ``G = 0``)."""
        return float(self.xp.linalg.vector_norm(u - self.J(u - Fu, 1.0)))

    def kernel_resolvent(self):
        """``(code, fparams, iparams)`` for the compiled resolvent, or None without one."""
        if self.resolvent is None:
            return 0, np.zeros(1), np.zeros(1, dtype=np.int64)
        code = getattr(self.resolvent, "code", None)
        if code is None:
            return None
        fparams, iparams = self.resolvent.params(self.op.dim)
        return code, fparams, iparams


def _compiled_resolvent(code, fparams, iparams, dim, dtype):
    """The built-in resolvent as a numba kernel call (NumPy inputs): ``(w, step) -> J_{step G}(w)``."""
    from .._kernels._proj import apply_resolvent

    work = np.empty(2 * dim, dtype=dtype)

    def resolvent(w, step):
        out = np.empty_like(w)
        apply_resolvent(code, w, float(step), fparams, iparams, out, work)
        return out

    return resolvent


class Sampler:
    """Host-side random numbers in blocks: per iteration a coin in [0, 1) and a batch with weights.

    Uniform law: ``batch`` distinct indices (Floyd), weights ``1/batch``; importance law ``q``:
    i.i.d. indices, weights ``1/(batch n q_i)`` so that the weighted sum is unbiased for ``F``.
    """

    def __init__(self, problem, batch):
        self.rng, self.n, self.q, self.batch = problem.rng, problem.n, problem.q, batch
        self.cdf = None if self.q is None else np.cumsum(self.q)
        self.coins = self.idx = self.weights = None
        self.pos = SAMPLE_BLOCK

    def refill(self):
        from .._kernels import _minimax as kernels

        uniforms = self.rng.random((SAMPLE_BLOCK, 1 + self.batch))
        self.coins = np.ascontiguousarray(uniforms[:, 0])
        draws = np.ascontiguousarray(uniforms[:, 1:])
        if self.cdf is None:
            self.idx = np.empty(draws.shape, dtype=np.int64)
            host_kernel(kernels.floyd_sample)(draws, self.n, self.idx)
            self.weights = np.full(draws.shape, 1.0 / self.batch)
        else:
            self.idx = np.minimum(np.searchsorted(self.cdf, draws * self.cdf[-1], side="right"),
                                  self.n - 1).astype(np.int64)
            self.weights = 1.0 / (self.batch * self.n * self.q[self.idx])
        self.pos = 0

    def next(self):
        """``(coin, idx, weights)`` of the next iteration."""
        if self.pos >= SAMPLE_BLOCK:
            self.refill()
        t = self.pos
        self.pos += 1
        return self.coins[t], self.idx[t], self.weights[t]


class Tracker:
    """Counts oracle calls, records the residual history and decides when to stop."""

    def __init__(self, problem, return_history):
        self.p = problem
        self.n_oracle = 0
        self.nit = 0
        self.state = np.array([-1.0, 0.0, 0.0])
        self.history, self.history_epochs = [], []
        self.status = None
        self.reason = None
        self.checked = None  # (u, R, Fu) at the last residual evaluation
        self.return_history = return_history

    @property
    def epochs(self):
        return self.n_oracle / self.p.n

    def exhausted(self):
        """Budget or ``maxiter`` reached (checked before each iteration)."""
        if self.n_oracle >= self.p.max_oracle:
            self.status = Status.BUDGET
        elif self.nit >= self.p.maxiter:
            self.status = Status.MAXITER
        return self.status is not None

    def full(self, u):
        self.n_oracle += self.p.n
        return self.p.op.F(u)

    def diff(self, idx, weights, u, v):
        self.n_oracle += 2 * len(idx)
        return self.p.op.weighted_diff(idx, weights, u, v)

    def check(self, u, Fu):
        """Evaluate ``R(u)`` where ``F(u)`` is known; True when the run must stop."""
        from .._kernels import _minimax as kernels

        R = self.p.residual(u, Fu)
        measure = R if self.p.certificate is None else self.p.certificate(u, Fu)
        return self.record(R, measure, u, Fu, host_kernel(kernels.monitor_update))

    def record(self, R, measure, u, Fu, monitor):
        self.history.append(R)
        self.history_epochs.append(self.epochs)
        flag = monitor(self.state, R, measure, self.epochs, self.p.tol, self.p.window_floor)
        if flag == NONFINITE:
            self.status = Status.NONFINITE
            return True
        return self.record_flag(flag, u, R, Fu)

    def record_flag(self, flag, u, R, Fu):
        """Apply a monitor flag (continue, converged, diverging, stalled) at iterate ``u``."""
        self.checked = (u, R, Fu)
        self.status = _FLAG_STATUS.get(int(flag))
        self.reason = _REASONS.get(int(flag))
        return self.status is not None

    def step_done(self, u):
        """Count an iteration and run the callback; True when it asked to stop."""
        self.nit += 1
        last = self.history[-1] if self.history else math.nan
        info = OptimizeResult(x=u, nit=self.nit, residual=last, epochs=self.epochs)
        if call_callback(self.p.callback, info):
            self.status = Status.CALLBACK
            return True
        return False

    def finish(self, u):
        """The result at iterate ``u``: its residual is computed (and counted) unless known."""
        if self.status == Status.NONFINITE or not _finite(self.p.xp, u):
            self.status = Status.NONFINITE
            u, R, _ = self.checked if self.checked is not None else (self.p.x0, math.nan, None)
        elif self.checked is not None and self.checked[0] is u:
            R = self.checked[1]
        else:
            Fu = self.full(u)
            R = self.p.residual(u, Fu)
            self.checked = (u, R, Fu)
        status = self.status if self.status is not None else Status.MAXITER
        if status in (Status.BUDGET, Status.MAXITER) and self.p.certificate is None and R <= self.p.tol:
            status = Status.SUCCESS
        return u, R, status


def run_compiled_blocks(P, T, sampler, block, *, current, checked, last_finite):
    """Drive a compiled block kernel (see ``vr_halpern_block``) and apply its flags to the tracker.

    ``checked = (point, F(point))`` are the buffers of the last residual evaluation, ``last_finite``
    the copy kept for a NaN/Inf exit; returns the iterate the method ends with.
    """
    history = np.empty((SAMPLE_BLOCK, 2))
    single = P.callback is not None
    maxiter = min(P.maxiter, 2**62)
    while True:
        if sampler.pos >= SAMPLE_BLOCK:
            sampler.refill()
        k0 = T.nit
        T.nit, T.n_oracle, sampler.pos, flag, count = block(sampler, single, maxiter, history)
        T.history.extend(history[:count, 0].tolist())
        T.history_epochs.extend(history[:count, 1].tolist())
        if flag == EXHAUSTED:
            T.exhausted()
            return current
        if flag == NONFINITE:
            T.status = Status.NONFINITE
            T.checked = (last_finite, T.history[-2] if len(T.history) > 1 else math.nan, None)
            return current
        if flag != CONTINUE:
            T.record_flag(flag, checked[0], T.history[-1], checked[1])
            return checked[0]
        if single and T.nit > k0:
            T.nit -= 1
            if T.step_done(current):
                return current


_FLAG_STATUS = {CONVERGED: Status.SUCCESS, DIVERGED: Status.BREAKDOWN, STALLED: Status.BREAKDOWN}
_REASONS = {DIVERGED: "Diverging: the residual exceeded 1e3 times its first value (F may be "
                      "non-monotone or the step too large).",
            STALLED: "Stalled: the residual did not halve within max(200, 20% of the budget, "
                     "10 x epochs at its last halving) epochs "
                     "(for 'vr-halpern', F may not be cocoercive)."}


def _finite(xp, u):
    return bool(xp.all(xp.isfinite(u)))
