"""Fused vector updates of conjugate-gradient iterations (one pass over memory each)."""
import numpy as np

from .._lib._jit import kernel


@kernel(reassociate=True)
def cg_step(x, r, p, q, alpha):
    """``x += alpha p``, ``r -= alpha q``; returns ``||r||^2`` of the updated ``r``."""
    total = 0.0
    for i in range(x.shape[0]):
        x[i] += alpha * p[i]
        ri = r[i] - alpha * q[i]
        r[i] = ri
        total += ri * ri
    return total


@kernel(reassociate=True)
def dot(a, b):
    """``a^T b`` in one single-threaded pass (no BLAS threads to contend for on small machines)."""
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i] * b[i]
    return total


@kernel
def cg_direction(p, z, beta):
    """``p = z + beta p`` in place."""
    for i in range(p.shape[0]):
        p[i] = z[i] + beta * p[i]


@kernel(reassociate=True)
def split_cg_step(x, rh, t, q, piv, alpha):
    """CG step of Eisenstat's split form: ``x += alpha t``, ``rh -= alpha q`` (``rh = E^{-1} r``);
    returns ``rh^T Lambda rh`` (``= r^T M^{-1} r``), ``Lambda = diag(piv)``."""
    rho = 0.0
    for i in range(x.shape[0]):
        x[i] += alpha * t[i]
        si = rh[i] - alpha * q[i]
        rh[i] = si
        rho += piv[i] * si * si
    return rho


def warmup():
    """Compile the kernels for float32 and float64."""
    for dtype in (np.float32, np.float64):
        v = [np.ones(2, dtype=dtype) for _ in range(4)]
        cg_step(v[0], v[1], v[2], v[3], 0.5)
        cg_direction(v[0], v[1], 0.5)
        dot(v[0], v[1])
        split_cg_step(*v, v[0], 0.5)
