"""Block updates: Lipschitz (proximal) gradient, Newton, proximal Newton and tree message passing.

Every update returns ``(indices, d)`` with ``F(x + d) <= F(x)``: Lipschitz steps by the descent
lemma, Newton steps on quadratics by exact minimization, others by Armijo backtracking with the
bound step (``H_b`` from ``hess_bound_block``, a sure decrease) as the fallback.
"""
import numpy as np

from ..._lib._jit import host_kernel
from ..._lib._optional import lazy_module
from ._blocks import FixedBlocks, block_lipschitz
from ._forest import factor_forests, raise_forest_error
from ._prox import prox_target

sla = lazy_module("scipy.linalg")

__all__ = ["UPDATES", "make_update"]

ARMIJO_C1 = 1e-4
ARMIJO_TRIALS = 30
ROUNDING = 16 * np.finfo(np.float64).eps
QP_TOL = 1e-13
QP_SWEEPS = 1000
INEXACT = 0.1  # inner tolerance relative to the current residual rho(x_k) (least squares)


def _factor(H):
    try:
        return "cho", sla.cho_factor(H, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, sla.LinAlgError):
        return "lstsq", H  # singular H_b (e.g. zero columns): least-squares step


def _solve(factor, rhs):
    kind, data = factor
    if kind == "cho":
        return sla.cho_solve(data, rhs, check_finite=False)
    return np.linalg.lstsq(data, rhs, rcond=None)[0]


def _prox(xb, gb, L, ctx, idx):
    return prox_target(xb, gb, L, ctx.l1, ctx.lo[idx], ctx.hi[idx], np)


class _Update:
    """Shared caches: ``H_b`` factors of fixed blocks are built once per block."""

    def __init__(self, ctx, blocks):
        self.blocks = blocks if isinstance(blocks, FixedBlocks) else None

    def bound(self, ctx, idx, bid):
        """``H_b`` (dense) from ``hess_bound_block``; cached for fixed blocks."""
        def build():
            ctx.nhev += 1
            return np.asarray(ctx.problem.hess_bound_block(idx), dtype=np.float64)

        return self.blocks.cached(bid, "H", build) if bid is not None and self.blocks else build()

    def bound_factor(self, ctx, idx, bid):
        build = lambda: _factor(self.bound(ctx, idx, bid))  # noqa: E731
        return self.blocks.cached(bid, "chol", build) if bid is not None and self.blocks else build()

    def true_hessian(self, ctx, idx):
        ctx.nhev += 1
        return np.asarray(ctx.state.hess_block(idx), dtype=np.float64)

    def exact(self, ctx):
        """The bound is the Hessian (quadratic f) or there is no true Hessian: no line search."""
        return bool(getattr(ctx.problem, "quadratic", False)) or not hasattr(ctx.problem,
                                                                              "hess_block")

    def armijo(self, ctx, idx, d, decrease):
        """Largest ``t = 2^-j`` (j < 30) with ``F(x + t d) - F(x) <= c1 t decrease`` (up to
        ``16 eps |F(x)|`` of rounding), or None.  The change comes from the state's
        ``change_along`` (row by row for data problems, exact for quadratics)."""
        change = ctx.state.change_along(idx, d)
        xb = ctx.state.x[idx]
        l1_before = ctx.l1 * float(np.abs(xb).sum())
        slack = ROUNDING * abs(ctx.F)  # changes below rounding of F cannot be verified
        t = 1.0
        for _ in range(ARMIJO_TRIALS):
            ctx.nfev += 1
            if change(t) + ctx.l1 * float(np.abs(xb + t * d).sum()) - l1_before \
                    <= ARMIJO_C1 * t * decrease + slack:
                return t
            t *= 0.5
        return None


class LipschitzUpdate(_Update):
    """``d_b = -g_b / L_b`` or, with ``l1``/bounds, the proximal gradient step."""

    def __call__(self, ctx, idx, bid):
        if bid is not None and self.blocks:
            L = self.blocks.lipschitz(bid, ctx)
        else:
            L = block_lipschitz(ctx.problem, idx, ctx.lip)
        xb, gb = ctx.state.x[idx], ctx.state.grad[idx]
        if not L > 0:
            return idx, np.zeros_like(xb)
        if not ctx.constrained:
            return idx, -gb / L
        return idx, _prox(xb, gb, L, ctx, idx) - xb


class NewtonUpdate(_Update):
    """``d_b = -H_b^{-1} g_b``: exact for quadratics; true Hessian + Armijo otherwise."""

    def __call__(self, ctx, idx, bid):
        gb = np.asarray(ctx.state.grad[idx], dtype=np.float64)
        if not self.exact(ctx):
            d = _solve(_factor(self.true_hessian(ctx, idx)), -gb)
            t = self.armijo(ctx, idx, d, float(gb @ d))
            if t is not None:
                return idx, t * d
        return idx, _solve(self.bound_factor(ctx, idx, bid), -gb)


class ProxNewtonUpdate(_Update):
    """Projected/proximal Newton: minimize the block model ``g_b'(y - x_b) + (y - x_b)'H_b(y - x_b)/2
    + l1 ||y||_1`` over ``lo <= y <= hi`` (cyclic CD until the change is ``<= 1e-13
    max(1, ||y||_inf)`` or 1000 sweeps); Armijo along ``y - x_b`` when ``f`` is not quadratic.

    Least squares solves the block matrix-free (residual updates, no ``A_b'A_b``, Anderson
    extrapolation), sweeping the non-zeros until every coordinate's prox-residual
    ``L_j |delta_j|`` is below ``max(0.1 tol max(1, rho(x0)), 0.1 rho(x_k))``: inexact while far
    from the solution, as accurate as the stopping rule needs at the end (exact as ``tol -> 0``).
    """

    def __init__(self, ctx, blocks):
        super().__init__(ctx, blocks)
        from ..._kernels._bcd import box_l1_qp

        self.qp = host_kernel(box_l1_qp)
        self.newton = NewtonUpdate(ctx, blocks)

    def _model_step(self, ctx, idx, H):
        xb = np.asarray(ctx.state.x[idx], dtype=np.float64)
        gb = np.asarray(ctx.state.grad[idx], dtype=np.float64)
        lo, hi = ctx.lo[idx].astype(np.float64), ctx.hi[idx].astype(np.float64)
        y = np.clip(xb, lo, hi)
        self.qp(H, gb, xb, ctx.l1, lo, hi, y, QP_TOL, QP_SWEEPS)
        return y - xb, float(gb @ (y - xb)) + ctx.l1 * float(np.abs(y).sum() - np.abs(xb).sum())

    def __call__(self, ctx, idx, bid):
        if not ctx.constrained:
            return self.newton(ctx, idx, bid)
        block_solver = getattr(ctx.problem, "_block_minimize", None)
        if block_solver is not None:
            # least squares: matrix-free CD on the block, as accurate as the outer iterate needs
            inner_tol = max(0.1 * ctx.threshold, INEXACT * ctx.rho)
            y = block_solver(ctx.state, idx, ctx.l1, ctx.lo, ctx.hi, inner_tol, QP_SWEEPS)
            return idx, y - ctx.state.x[idx]
        if not self.exact(ctx):
            d, decrease = self._model_step(ctx, idx, self.true_hessian(ctx, idx))
            t = self.armijo(ctx, idx, d, decrease)
            if t is not None:
                return idx, t * d
        return idx, self._model_step(ctx, idx, self.bound(ctx, idx, bid))[0]


class MessagePassingUpdate(_Update):
    """Exact ``d_b = -Q_bb^{-1} g_b`` on forest blocks in O(|b|) (leaves-first elimination).

    Fixed partitions are factored once, before iterating (a cycle or a non-positive pivot raises
    ``ValueError`` then); greedy forests are factored each iteration.
    """

    def __init__(self, ctx, blocks):
        from ..._kernels import _bcd as kernels

        super().__init__(ctx, blocks)
        graph = ctx.problem.graph
        self.csr = (graph.indptr, graph.indices, graph.data)
        self.apply = host_kernel(kernels.forest_apply)
        self.step = host_kernel(kernels.forest_newton_step)
        n = ctx.n
        dtype = graph.data.dtype
        self.work = (np.full(n, -1, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
                     np.empty(n, dtype), np.empty(n, dtype), np.empty(n, dtype))
        self.factors = factor_forests(graph, self.blocks.blocks, dtype) if self.blocks else None

    def __call__(self, ctx, idx, bid):
        g = ctx.state.grad
        if self.factors is not None:
            f = self.factors
            s0, s1 = f.seg[bid], f.seg[bid + 1]
            order = f.order[s0:s1]
            d = -g[order]
            self.apply(f.parent[s0:s1], f.coef[s0:s1], f.piv[s0:s1], d)
            return order, d
        mark, order, parent, coef, piv, d = self.work
        code, node = self.step(*self.csr, idx, g, mark, order, parent, coef, piv, d)
        if code:
            raise_forest_error(code, node)
        return order[:idx.size].copy(), d[:idx.size].copy()


UPDATES = {
    "lipschitz": LipschitzUpdate,
    "newton": NewtonUpdate,
    "message-passing": MessagePassingUpdate,
    "prox-newton": ProxNewtonUpdate,
}


def make_update(name, ctx, blocks):
    """The update object; ``'newton'`` with ``l1``/bounds is ``'prox-newton'``."""
    if name == "newton" and ctx.constrained:
        name = "prox-newton"
    return UPDATES[name](ctx, blocks)
