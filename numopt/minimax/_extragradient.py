"""Extragradient baselines: 'eg' (Korpelevich), 'eag' (extra-anchored, Yoon-Ryu), 'vr-eg'
(loopless-SVRG extragradient, Alacaoglu-Malitsky)."""
from ._problem import Sampler

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
