"""Halpern iterations: 'vr-halpern' (Algorithm 1), 'vr-halpern-inexact' (Algorithm 2), 'halpern'.

Each method takes the validated :class:`~numopt.minimax._problem.Problem` and a
:class:`~numopt.minimax._problem.Tracker` and returns its last iterate; the tracker counts oracle
calls, evaluates the residual where ``F`` at the iterate is known and decides when to stop.
"""
import math

import numpy as np

from .._lib._jit import host_kernel
from ._extragradient import full_pass_loop
from ._problem import SAMPLE_BLOCK, Sampler, run_compiled_blocks

__all__ = ["vr_halpern", "vr_halpern_inexact", "halpern"]

INNER_STEPS_FACTOR = 0.05  # M_k = max(1, floor(0.05 n log(k + 2))): the authors' schedule (unverified)
FORB_STEP_FACTOR = 1.0  # c_gamma of the inner VR-FoRB step (spec: 0.5-2 measured stable)
GUARD_GROWTH = 10.0  # restart an inner solve with gamma/2 when its residual grows 10x


def vr_halpern(P, T):
    r"""Algorithm 1: Halpern anchoring with a PAGE-type recursive estimator of ``F``.

    ``u_{k+1} = J_{ηG}(λ_k u_0 + (1 - λ_k) u_k - η F̃_k)``, ``λ_k = 2/(k+4)``; with probability
    ``p_k`` (1 for ``k <= 1``, ``4/(k+4)`` while ``k - 1 <= sqrt(n)``, then ``4/(sqrt(n)+5)``)
    ``F̃_k = F(u_k)``, else ``F̃_k = F̃_{k-1} + (1/b) sum_{i in S_k} (F_{q,i}(u_k) - F_{q,i}(u_{k-1}))``.
    """
    spec = P.kernel_resolvent()
    if P.jit and P.op.kind in ("dense", "bilinear") and spec is not None:
        return _vr_halpern_numba(P, T, spec)
    return _vr_halpern_xp(P, T)


def _vr_halpern_xp(P, T):
    from .._kernels import _minimax as kernels

    probability = host_kernel(kernels.vr_halpern_probability)
    eta, u0 = P.step, P.x0
    u = u_prev = u0
    estimate = None
    sampler = Sampler(P, P.batch)
    sqrt_n = math.sqrt(P.n)
    while not T.exhausted():
        k = T.nit
        coin, idx, weights = sampler.next()
        if coin < probability(k, sqrt_n):
            estimate = T.full(u)
            if T.check(u, estimate):
                return u
        else:
            estimate = estimate + T.diff(idx, weights, u, u_prev)
        lam = 2.0 / (k + 4.0)
        u_prev, u = u, P.J(lam * u0 + (1.0 - lam) * u - eta * estimate, eta)
        if T.step_done(u):
            break
    return u


def _vr_halpern_numba(P, T, spec):
    from .._kernels import _minimax as kernels

    code, fparams, iparams = spec
    layout, Mt, A, At, m, split = P.op.kernel_layout()
    offset = P.op.offset if P.op.offset is not None else np.zeros(P.op.dim, dtype=P.dtype)
    u0 = np.ascontiguousarray(P.x0)
    u, u_prev, u_checked = u0.copy(), u0.copy(), u0.copy()
    estimate, tmp, out = (np.zeros_like(u0) for _ in range(3))
    work = np.empty(2 * P.op.dim, dtype=P.dtype)

    def block(sampler, single, maxiter, history):
        return kernels.vr_halpern_block(
            layout, Mt, A, At, m, split, offset, code, fparams, iparams, u0, u, u_prev, u_checked,
            estimate, P.step, T.nit, maxiter, sampler.coins, sampler.idx, sampler.weights,
            sampler.pos, P.kernel_measure, P.tol, P.window_floor, P.max_oracle, T.n_oracle, T.state,
            history, tmp, out, work, single)

    return run_compiled_blocks(P, T, Sampler(P, P.batch), block, current=u, checked=(u, estimate),
                               last_finite=u_checked)


def vr_halpern_inexact(P, T):
    r"""Algorithm 2: inexact Halpern ``u_{k+1} = λ_k u_0 + (1 - λ_k) v_k``, ``λ_k = 1/(k+2)``.

    ``v_k ≈ J_{η(F+G)}(u_k)`` by ``M_k = max(1, floor(0.05 n log(k+2)))`` VR-FoRB steps on
    ``0 ∈ Φ(v) + ηG(v)``, ``Φ(v) = ηF(v) + v - u_k``.
    """
    spec = P.kernel_resolvent()
    compiled = P.jit and P.op.kind in ("dense", "bilinear") and spec is not None
    inner = _CompiledFoRB(P, spec) if compiled else _forb_inner
    u0, u = P.x0, P.x0
    n = P.n
    p = 1.0 / n
    gamma = [FORB_STEP_FACTOR * math.sqrt(p * (1.0 - p)) / (1.0 + P.step * P.L)]
    sampler = Sampler(P, 1)
    while not T.exhausted():
        k = T.nit
        Fu = T.full(u)
        if T.check(u, Fu):
            return u
        steps = max(1, int(INNER_STEPS_FACTOR * n * math.log(k + 2)))
        v = inner(P, T, u, Fu, steps, gamma, sampler)
        lam = 1.0 / (k + 2.0)
        u = lam * u0 + (1.0 - lam) * v
        if T.step_done(u):
            break
    return u


class _CompiledFoRB:
    """The inner VR-FoRB solve as a numba kernel (matrix forms, built-in resolvents)."""

    def __init__(self, P, spec):
        self.spec = spec
        self.layout = P.op.kernel_layout()
        self.offset = np.zeros(P.op.dim, dtype=P.dtype) if P.op.offset is None else P.op.offset
        self.v, self.w, self.w_prev, self.phi_w, self.tmp, self.tmp2, self.out = (
            np.empty(P.op.dim, dtype=P.dtype) for _ in range(7))
        self.work = np.empty(2 * P.op.dim, dtype=P.dtype)

    def __call__(self, P, T, center, F_center, steps, gamma, sampler):
        from .._kernels import _minimax as kernels

        layout, Mt, A, At, m, split = self.layout
        code, fparams, iparams = self.spec
        state = np.array([-1.0, gamma[0], 0.0])
        flag = 1
        while flag == 1:
            if sampler.pos >= SAMPLE_BLOCK:
                sampler.refill()
            sampler.pos, T.n_oracle, flag = kernels.forb_inner(
                layout, Mt, A, At, m, split, self.offset, code, fparams, iparams,
                np.ascontiguousarray(center), np.ascontiguousarray(F_center), P.step, steps, self.v,
                self.w, self.w_prev, self.phi_w, state, sampler.coins, sampler.idx, sampler.weights,
                sampler.pos, P.max_oracle, T.n_oracle, self.tmp, self.tmp2, self.out, self.work)
        gamma[0] = state[1]
        return self.v.copy()


def _forb_inner(P, T, center, F_center, steps, gamma, sampler):
    """VR-FoRB (loopless SVRG + forward-reflected-backward) on ``Φ(v) = ηF(v) + v - center``.

    ``v̄ = α v + (1-α) w``, ``v+ = J_{γηG}(v̄ - γ[Φ(w) + Φ_i(v) - Φ_i(w_prev)])``, snapshot
    ``w = v+`` with probability ``p = 1/n``, ``α = 1 - p``.  A snapshot residual above 10x the
    starting one restarts the solve from ``center`` with ``γ/2`` (kept for later solves).
    """
    xp, eta = P.xp, P.step
    p = 1.0 / P.n

    def inner_residual(w, phi_w):
        return float(xp.linalg.vector_norm(w - P.J(w - phi_w, eta)))

    while True:
        g = gamma[0]
        v = w = w_prev = center
        phi_w = eta * F_center
        start = inner_residual(w, phi_w)
        restart = False
        for _ in range(steps):
            if T.exhausted():
                return v
            coin, idx, weights = sampler.next()
            v_bar = (1.0 - p) * v + p * w
            delta = eta * T.diff(idx, weights, v, w_prev) + (v - w_prev)
            v_new = P.J(v_bar - g * (phi_w + delta), g * eta)
            w_prev = w
            if coin < p:
                w = v_new
                phi_w = eta * T.full(w) + w - center
                r = inner_residual(w, phi_w)
                if not r <= GUARD_GROWTH * max(start, np.finfo(np.float64).tiny):
                    gamma[0] = g / 2.0
                    restart = True
                    break
            v = v_new
        if not restart:
            return v


def halpern(P, T):
    r"""Halpern's iteration ``u_{k+1} = λ_k u_0 + (1 - λ_k) J_{ηG}(u_k - ηF(u_k))``, ``λ_k = 1/(k+2)``.

    For cocoercive ``F`` and ``η <= 2/L`` the map is nonexpansive and
    ``||u_k - T u_k|| <= 2 ||u_0 - u*|| / (k + 1)`` (tight, Lieder 2021).
    """
    eta, u0 = P.step, P.x0
    return full_pass_loop(P, T, lambda u, Fu, lam: lam * u0 + (1.0 - lam) * P.J(u - eta * Fu, eta))
