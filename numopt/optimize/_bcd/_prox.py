"""The proximal coordinate map, its model decrease and the stopping residual, for any array
namespace ``xp`` (NumPy fallbacks of the numba kernels and the vectorised path share them)."""

__all__ = ["prox_target", "gsq_scores", "prox_residual"]


def prox_target(x, g, L, l1, lo, hi, xp):
    """``T(x) = clip(soft(x - g/L, l1/L), lo, hi)`` elementwise (``L > 0``)."""
    v = x - g / L
    return xp.clip(xp.sign(v) * xp.maximum(xp.abs(v) - l1 / L, 0.0), lo, hi)


def gsq_scores(x, g, curv, l1, lo, hi, xp):
    """Decrease of the proximal 1-D model with curvature ``curv`` (0 where ``curv <= 0``)."""
    pos = curv > 0
    safe = xp.where(pos, curv, 1.0)
    d = prox_target(x, g, safe, l1, lo, hi, xp) - x
    s = -(g * d + 0.5 * safe * d * d + l1 * (xp.abs(x + d) - xp.abs(x)))
    return xp.where(pos, s, 0.0)


def prox_residual(x, g, lip, l1, lo, hi, xp):
    """``rho(x) = max_i L_i |x_i - T_i(x)|`` over ``L_i > 0``."""
    pos = lip > 0
    safe = xp.where(pos, lip, 1.0)
    r = xp.where(pos, lip * xp.abs(x - prox_target(x, g, safe, l1, lo, hi, xp)), 0.0)
    return float(xp.max(r))
