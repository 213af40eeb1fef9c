"""Compiled resolvents: Condat's simplex projection, box, ball and l1 prox on ndarrays.

``apply_resolvent(code, w, step, fparams, iparams, out, work)`` evaluates ``J_{step G}(w)`` for the
codes of :mod:`numopt.prox` (0 identity, 1 product of simplices, 2 box, 3 ball, 4 l1 prox).
"""
import math

import numpy as np

from .._lib._jit import kernel


@kernel
def simplex_threshold(y, radius, work):
    """Condat's algorithm: the ``tau`` with ``sum(max(y - tau, 0)) = radius``, O(n) expected.

    ``work`` holds at least ``2 len(y)`` entries (the candidate list and the waiting list).
    """
    n = y.shape[0]
    half = n
    vlen = 1
    vtlen = 0
    work[0] = y[0]
    rho = y[0] - radius
    for i in range(1, n):
        yi = y[i]
        if yi > rho:
            rho += (yi - rho) / (vlen + 1)
            if rho > yi - radius:
                work[vlen] = yi
                vlen += 1
            else:
                for j in range(vlen):
                    work[half + vtlen] = work[j]
                    vtlen += 1
                work[0] = yi
                vlen = 1
                rho = yi - radius
    for j in range(vtlen):
        yj = work[half + j]
        if yj > rho:
            work[vlen] = yj
            vlen += 1
            rho += (yj - rho) / vlen
    changed = True
    while changed:
        changed = False
        keep = 0
        current = vlen
        for j in range(vlen):
            yj = work[j]
            if yj <= rho:
                current -= 1
                rho += (rho - yj) / current
                changed = True
            else:
                work[keep] = yj
                keep += 1
        vlen = keep
    return rho


@kernel
def apply_resolvent(code, w, step, fparams, iparams, out, work):
    """``out = J_{step G}(w)`` for the resolvent ``code`` (see the module docstring)."""
    n = w.shape[0]
    if code == 1:
        for b in range(iparams.shape[0] - 1):
            lo = iparams[b]
            hi = iparams[b + 1]
            tau = simplex_threshold(w[lo:hi], fparams[0], work)
            for i in range(lo, hi):
                out[i] = max(w[i] - tau, 0.0)
    elif code == 2:
        for i in range(n):
            out[i] = min(max(w[i], fparams[0]), fparams[1])
    elif code == 3:
        norm = 0.0
        for i in range(n):
            norm += w[i] * w[i]
        scale = fparams[0] / max(math.sqrt(norm), fparams[0])
        for i in range(n):
            out[i] = w[i] * scale
    elif code == 4:
        t = step * fparams[0]
        for i in range(n):
            out[i] = math.copysign(max(abs(w[i]) - t, 0.0), w[i])
    else:
        out[:] = w


def warmup():
    """Compile the kernels here for float32 and float64 (or load them from the cache)."""
    for dtype in (np.float32, np.float64):
        w = np.array([0.5, -0.2, 0.9], dtype=dtype)
        out = np.empty_like(w)
        work = np.empty(6, dtype=dtype)
        for code in range(5):
            apply_resolvent(code, w, 1.0, np.array([1.0, 2.0]), np.array([0, 3], dtype=np.int64), out,
                            work)
