"""Extragradient baselines: 'eg' (Korpelevich), 'eag' (extra-anchored, Yoon-Ryu), 'vr-eg'
(loopless-SVRG extragradient, Alacaoglu-Malitsky)."""
import numpy as np

from .._lib._result import Status
from ._problem import Sampler, run_compiled_blocks

__all__ = ["eg", "eag", "vr_eg"]


def eg(P, T):
    """``ū = J_{ηG}(u - ηF(u))``, ``u+ = J_{ηG}(u - ηF(ū))`` (2 epochs per iteration)."""
    return _extragradient(P, T, anchored=False)


def eag(P, T):
    """``a = λ_k u_0 + (1-λ_k) u_k``, ``ū = J_{ηG}(a - ηF(u_k))``, ``u_{k+1} = J_{ηG}(a - ηF(ū))``."""
    return _extragradient(P, T, anchored=True)


def _extragradient(P, T, *, anchored):
    eta, u0 = P.step, P.x0

    def update(u, Fu, lam):
        a = lam * u0 + (1.0 - lam) * u if anchored else u
        return P.J(a - eta * T.full(P.J(a - eta * Fu, eta)), eta)

    return full_pass_loop(P, T, update)


def full_pass_loop(P, T, update):
    """Loop of the deterministic methods: ``F(u_k)`` (residual check), ``u_{k+1} = update(u_k,
    F(u_k), λ_k)`` with ``λ_k = 1/(k+2)``."""
    u = P.x0
    while not T.exhausted():
        Fu = T.full(u)
        if T.check(u, Fu):
            return u
        u = update(u, Fu, 1.0 / (T.nit + 2.0))
        if T.step_done(u):
            break
    return u


def vr_eg(P, T):
    """Loopless-SVRG extragradient with snapshot ``w`` (probability ``p = 1/n``), step ``γ``.

    ``ū = (1-p) u + p w``, ``û = J_{γG}(ū - γF(w))``,
    ``u+ = J_{γG}(ū - γ[F(w) + F_{q,i}(û) - F_{q,i}(w)])``; with probability ``p``: ``w = u+``.
    """
    gamma, p = P.step, 1.0 / P.n
    u = w = P.x0
    Fw = T.full(w)
    if T.check(w, Fw):
        return w
    sampler = Sampler(P, 1)
    spec = P.kernel_resolvent()
    if P.jit and P.op.kind in ("dense", "bilinear") and spec is not None:
        return _vr_eg_numba(P, T, spec, sampler, Fw)
    while not T.exhausted():
        coin, idx, weights = sampler.next()
        u_bar = (1.0 - p) * u + p * w
        u_hat = P.J(u_bar - gamma * Fw, gamma)
        u = P.J(u_bar - gamma * (Fw + T.diff(idx, weights, u_hat, w)), gamma)
        if coin < p:
            w = u
            Fw = T.full(w)
            if T.check(w, Fw):
                return w
        if T.step_done(u):
            break
    return u


def _vr_eg_numba(P, T, spec, sampler, Fw):
    from .._kernels import _minimax as kernels

    code, fparams, iparams = spec
    layout, Mt, A, At, m, split = P.op.kernel_layout()
    offset = P.op.offset if P.op.offset is not None else np.zeros(P.op.dim, dtype=P.dtype)
    u = np.array(P.x0, copy=True)
    w, w_checked = u.copy(), u.copy()
    Fw = np.array(Fw, copy=True)
    u_bar, u_hat, tmp, out = (np.zeros_like(u) for _ in range(4))
    work = np.empty(2 * P.op.dim, dtype=P.dtype)

    def block(sampler, single, maxiter, history):
        return kernels.vr_eg_block(
            layout, Mt, A, At, m, split, offset, code, fparams, iparams, u, w, w_checked, Fw,
            P.step, T.nit, maxiter, sampler.coins, sampler.idx, sampler.weights, sampler.pos,
            P.kernel_measure, P.tol, P.window_floor, P.max_oracle, T.n_oracle, T.state, history,
            u_bar, u_hat, tmp, out, work, single)

    x = run_compiled_blocks(P, T, sampler, block, current=u, checked=(w, Fw), last_finite=w_checked)
    if x is u and T.status != Status.NONFINITE and T.history and np.array_equal(u, w):
        T.checked = (u, T.history[-1], Fw)  # ended on a snapshot: R(u) is known (as on the xp path)
    return x
