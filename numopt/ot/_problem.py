"""The reduced entropic-OT problem and its dense passes (``xp`` reference, numba fast path).

A :class:`ReducedProblem` has strictly positive unit-mass marginals and a reduced cost ``C >= 0``
with a zero in every row and column (see ``_solve.py``).  Its plan is
``P_ij = exp((f_i + g_j - C_ij) / reg)`` and its dual (concave) objective

.. math:: \\Phi(f, g) = \\langle a, f\\rangle + \\langle b, g\\rangle
          - \\mathrm{reg}\\sum_{ij} P_{ij} + \\mathrm{reg}.

On the numba path the potentials are float64 NumPy arrays whatever the dtype of ``C``; on the
``xp`` path they have the dtype of ``C``.
"""
import math

import numpy as np

__all__ = ["ReducedProblem"]


class ReducedProblem:
    """Reduced problem data plus the passes every method shares.

    ``jit`` selects the numba kernels (NumPy inputs only).
    """

    def __init__(self, C, a, b, reg, *, xp, jit, span=None):
        self.C, self.a, self.b, self.reg, self.xp, self.jit = C, a, b, float(reg), xp, jit
        self.span = float(xp.max(C)) if span is None else span  # range of the reduced cost
        self.n, self.m = int(C.shape[0]), int(C.shape[1])
        self.dtype = C.dtype
        finfo = np.finfo(np.float32 if "float32" in str(C.dtype) else np.float64)
        self.eps = float(finfo.eps)
        # exponents below `low` give a zero plan entry; above `overflow` a point is rejected
        self.low = math.log(float(finfo.tiny))
        self.overflow = 0.97 * math.log(float(finfo.max))
        # relative cut of a log-sum-exp: skipped terms total < eps/e of the sum (round-off level)
        self.cut_row = math.log(self.eps / self.m) - 1.0
        self.cut_col = math.log(self.eps / self.n) - 1.0
        self.loga = xp.log(a)
        self.logb = xp.log(b)

    def with_reg(self, reg):
        """The same problem with another ``reg`` (continuation)."""
        return ReducedProblem(self.C, self.a, self.b, reg, xp=self.xp, jit=self.jit, span=self.span)

    # ---------------------------------------------------------------- potentials
    def zeros(self, size):
        if self.jit:
            return np.zeros(size)
        return self.xp.zeros(size, dtype=self.dtype, device=_device(self.C))

    def potential(self, v):
        """A potential in the working dtype (float64 NumPy on the numba path)."""
        if self.jit:
            return np.array(v, dtype=np.float64)
        return self.xp.asarray(v, dtype=self.dtype, copy=True)

    def dual(self, f, g, total):
        """``Phi(f, g)`` from ``total = sum P`` (a Python float)."""
        xp = self.xp
        return float(xp.sum(self.a * f) + xp.sum(self.b * g)) - self.reg * total + self.reg

    # ---------------------------------------------------------------- Sinkhorn half-steps
    def exponent(self, f, g):
        """``(f_i + g_j - C_ij) / reg`` as a dense ``xp`` array (reference path)."""
        return (f[:, None] + g[None, :] - self.C) / self.reg

    def row_pass(self, f, g):
        """``(||P 1 - a||_1, f-half-step)`` at ``(f, g)``."""
        if self.jit:
            from .._kernels import _sinkhorn as K

            fnew = np.empty(self.n)
            err = K.row_pass(self.C, f, g, self.a, self.loga, 1.0 / self.reg, self.reg,
                             self.cut_row, fnew, np.empty(self.m))
            return err, fnew
        lse = logsumexp(self.exponent(self.zeros(self.n), g), axis=1, xp=self.xp, low=self.low)
        r = self.xp.exp(f / self.reg + lse)
        return self.xp.sum(self.xp.abs(r - self.a)), self.reg * (self.loga - lse)

    def col_step(self, f, g):
        """The g-half-step ``reg (log b - LSE_i((f_i - C_ij) / reg))`` (new array)."""
        if self.jit:
            from .._kernels import _sinkhorn as K

            g = g.copy()
            K.col_pass(self.C, f, g, self.b, self.logb, 1.0 / self.reg, self.reg, self.cutcol(),
                       self.cut_col, np.empty(self.m), np.empty(self.m))
            return g
        lse = logsumexp(self.exponent(f, self.zeros(self.m)), axis=0, xp=self.xp, low=self.low)
        return self.reg * (self.logb - lse)

    def cutcol(self):
        """Absolute per-column cut of ``col_pass``: below it a term is < 1e-6 eps b_j / (e n)."""
        return self.logb + (math.log(1e-6) + self.cut_col)

    # ---------------------------------------------------------------- dense passes
    def marginals(self, f, g):
        """``(r, c, sum P, max exponent)``; sums are incomplete when the max exceeds overflow."""
        if self.jit:
            from .._kernels import _sinkhorn as K

            r, c = np.empty(self.n), np.empty(self.m)
            total, top = K.dense_pass(self.C, f, g, 1.0 / self.reg, self.cut_row, self.overflow, r,
                                      c, np.empty(self.m))
            return r, c, float(total), float(top)
        xp = self.xp
        S = self.exponent(f, g)
        top = float(xp.max(S))
        if top > self.overflow:
            return None, None, math.inf, top
        P = clamped_exp(S, xp=xp, low=self.low)
        r, c = xp.sum(P, axis=1), xp.sum(P, axis=0)
        return r, c, float(xp.sum(r)), top

    def plan(self, f, g):
        """``(P, r, c, sum P, sum P log P, <P, C>)`` with ``P`` in the dtype of ``C``."""
        if self.jit:
            from .._kernels import _sinkhorn as K

            P = np.empty((self.n, self.m), dtype=self.dtype)
            r, c = np.empty(self.n), np.empty(self.m)
            total, plogp, pc = K.plan_fill(self.C, f, g, 1.0 / self.reg, self.low, P, r,
                                             c, np.empty(self.m))
            return P, r, c, float(total), float(plogp), float(pc)
        xp = self.xp
        S = self.exponent(f, g)
        P = clamped_exp(S, xp=xp, low=self.low)
        r, c = xp.sum(P, axis=1), xp.sum(P, axis=0)
        return P, r, c, float(xp.sum(r)), float(xp.sum(P * S)), float(xp.sum(P * self.C))

    def error(self, r, c):
        """``||r - a||_1 + ||c - b||_1`` as a Python float."""
        xp = self.xp
        return float(xp.sum(xp.abs(r - self.a)) + xp.sum(xp.abs(c - self.b)))


def _device(x):
    import array_api_compat as aac

    return aac.device(x)


def clamped_exp(S, *, xp, low):
    """``exp(S)`` with entries below ``low`` set to 0 (``exp`` never sees the slow range)."""
    return xp.where(S >= low, xp.exp(xp.maximum(S, low)), xp.zeros_like(S))


def logsumexp(S, *, axis, xp, low):
    """``log sum exp(S)`` along ``axis``, shifted by the maximum, exponents clamped at ``low``."""
    mx = xp.max(S, axis=axis, keepdims=True)
    total = xp.sum(clamped_exp(S - mx, xp=xp, low=low), axis=axis)
    return xp.squeeze(mx, axis=axis) + xp.log(total)
