"""Choosing the block of each iteration: fixed partitions, variable blocks and greedy forests.

Greedy rules score coordinates by the decrease of the proximal one-dimensional model (GS-q)

    score_i = -(g_i d_i + D_i d_i^2 / 2 + l1 (|x_i + d_i| - |x_i|)),  d_i = T_i(x) - x_i,

which without ``l1``/bounds is ``g_i^2 / (2 D_i)``: the rules differ by the curvature ``D_i``.
"""
import numpy as np

from ..._lib._jit import host_kernel
from ._prox import gsq_scores

__all__ = ["SELECTIONS", "FixedBlocks", "VariableBlocks", "TreeBlocks", "coordinate_scores",
           "block_lipschitz"]

SELECTIONS = ("cyclic", "random", "gs", "gsl", "gsd", "gsq")
EIGH_MAX = 256        # blocks up to this size: exact eigvalsh; larger: power iteration
POWER_ITERS = 30
IHT_ITERS = 10


def coordinate_scores(ctx, curv):
    """GS-q scores of every coordinate for curvatures ``curv`` (0 where ``curv <= 0``)."""
    x, g = ctx.state.x, ctx.state.grad
    if ctx.jit:
        from ..._kernels import _bcd as kernels

        out = np.empty_like(x)
        kernels.gsq_scores(x, g, curv, ctx.l1, ctx.lo, ctx.hi, out)
        return out
    return gsq_scores(x, g, curv, ctx.l1, ctx.lo, ctx.hi, np)


def power_lambda_max(matvec, v, norm=np.linalg.norm):
    """``1.01 lambda_max`` by ``POWER_ITERS`` power iterations from the start vector ``v``."""
    lam = 0.0
    for _ in range(POWER_ITERS):
        w = matvec(v)
        lam = float(norm(w))
        if lam == 0:
            return 0.0
        v = w / lam
    return 1.01 * lam  # safety margin: power iteration approaches lambda_max from below


def block_lipschitz(problem, idx, lip):
    """``L_b = lambda_max(H_b)``: ``eigvalsh`` up to 256 coordinates, else 30 power iterations x 1.01;
    ``sum_{i in b} L_i`` (a valid bound, ``lambda_max <= trace``) without ``hess_bound_block``."""
    if idx.size == 1:
        return float(lip[idx[0]])
    if not hasattr(problem, "hess_bound_block"):
        return float(np.sum(lip[idx], dtype=np.float64))
    if idx.size <= EIGH_MAX:
        return float(np.linalg.eigvalsh(problem.hess_bound_block(idx))[-1])
    H = problem.hess_block_sparse(idx) if hasattr(problem, "hess_block_sparse") \
        else problem.hess_bound_block(idx)
    return power_lambda_max(lambda v: H @ v, np.random.default_rng(0).standard_normal(idx.size))


def _gershgorin(problem, idx):
    H = problem.hess_block_sparse(idx) if hasattr(problem, "hess_block_sparse") \
        else problem.hess_bound_block(idx)
    return np.asarray(abs(H).sum(axis=1)).ravel()


class FixedBlocks:
    """A partition (sorted fixed blocks, forests, colours or user blocks) and a rule choosing one.

    ``gs``/``gsl``/``gsd`` sum the coordinate scores over each block with ``D_i = 1``, ``L_b`` and
    the Gershgorin bound ``sum_j |H_b[i, j]|``; unconstrained ``gsq`` scores ``g_b' H_b^{-1} g_b``
    (Cholesky of ``H_b + eps I`` per block, precomputed); with ``l1``/bounds ``gsq`` uses the
    Gershgorin curvature.
    """

    def __init__(self, partition, ctx, selection):
        self.blocks = partition
        self.selection = selection
        nb = len(partition)
        width = max(b.size for b in partition)
        members = np.full((nb, width), -1, np.int64)
        for k, b in enumerate(partition):
            members[k, :b.size] = b
        self.mask = members >= 0
        self.members = np.where(self.mask, members, 0)
        self._lipschitz = np.full(nb, np.nan)
        self._factors = {}
        problem = ctx.problem
        if selection == "gs":
            self.curv = np.ones(ctx.n)
        elif selection == "gsl":
            self.curv = np.empty(ctx.n)
            for k, b in enumerate(partition):
                self.curv[b] = self.lipschitz(k, ctx)
        elif selection == "gsd" or (selection == "gsq" and ctx.constrained):
            self.curv = np.empty(ctx.n)
            for b in partition:
                self.curv[b] = _gershgorin(problem, b)
        elif selection == "gsq":
            self.inverses = np.zeros((nb, width, width))
            for k, b in enumerate(partition):
                H = problem.hess_bound_block(b)
                eps = 1e-12 * max(1.0, float(np.abs(np.diag(H)).max()))
                self.inverses[k, :b.size, :b.size] = np.linalg.inv(H + eps * np.eye(b.size))

    def lipschitz(self, k, ctx):
        """``L_b`` of block ``k`` (computed once)."""
        if np.isnan(self._lipschitz[k]):
            self._lipschitz[k] = block_lipschitz(ctx.problem, self.blocks[k], ctx.lip)
        return self._lipschitz[k]

    def cached(self, k, key, build):
        """A per-block cache for constant factorizations (``build()`` runs once per block)."""
        if (k, key) not in self._factors:
            self._factors[k, key] = build()
        return self._factors[k, key]

    def choose(self, ctx):
        """Return ``(indices, block id)``."""
        nb = len(self.blocks)
        if self.selection == "cyclic":
            k = ctx.nit % nb
        elif self.selection == "random":
            k = int(ctx.rng.integers(nb))
        elif self.selection == "gsq" and not ctx.constrained:
            G = np.where(self.mask, ctx.state.grad[self.members], 0.0)
            k = int(np.argmax(np.einsum("bi,bij,bj->b", G, self.inverses, G)))
        else:
            s = coordinate_scores(ctx, self.curv)
            k = int(np.argmax(np.where(self.mask, s[self.members], 0.0).sum(axis=1)))
        return self.blocks[k], k


class VariableBlocks:
    """Any ``tau`` coordinates each iteration.

    ``random``: ``tau`` distinct uniform; ``cyclic``: a permutation redrawn each epoch, in chunks;
    ``gs``/``gsl``/``gsd``: the ``tau`` best scores with ``D_i = 1``, ``Lbar_i`` (valid for every
    block) and ``L_i`` (valid since ``M <= tau Diag(M)`` for PSD ``M``); unconstrained ``gsq``: the
    support of an iterative-hard-thresholding approximation of the best ``tau``-sparse Newton step.
    """

    def __init__(self, tau, ctx, selection):
        self.tau = tau
        self.selection = selection
        self._perm = np.empty(0, np.int64)
        self._mu = None
        curvatures = {"gs": lambda: np.ones(ctx.n), "gsl": lambda: ctx.lipschitz_bar(tau),
                      "gsd": lambda: ctx.lip, "gsq": lambda: ctx.lip}
        self.curv = curvatures[selection]() if selection in curvatures else None

    def _keep(self, v, weight):
        """Zero all but the ``tau`` entries of largest ``weight_i |v_i|``."""
        if self.tau >= v.size:
            return v
        out = np.zeros_like(v)
        top = np.argpartition(-weight * np.abs(v), self.tau - 1)[:self.tau]
        out[top] = v[top]
        return out

    def _top(self, s):
        if self.tau >= s.size:
            return np.arange(s.size, dtype=np.int64)
        return np.sort(np.argpartition(-s, self.tau - 1)[:self.tau]).astype(np.int64)

    def _iht(self, ctx):
        """Block = support of ``d``: ``d = keep(-g/L)``, then ``d = keep(d - mu (g + H d))``.

        ``keep`` ranks entries by ``sqrt(L_i) |d_i|`` (the decrease ``L_i d_i^2 / 2`` of the
        diagonal model), so the first iterate selects like ``gsd``; plain magnitudes would favour
        coordinates with tiny ``L_i``.
        """
        problem, g, lip = ctx.problem, ctx.state.grad, ctx.lip
        if self._mu is None:
            self._mu = 1.0 / power_lambda_max(problem.hess_bound_matvec,
                                              np.random.default_rng(0).standard_normal(ctx.n))
        inv_lip = np.divide(1.0, lip, out=np.zeros(lip.shape), where=lip > 0)
        weight = np.sqrt(lip)
        d = self._keep(-g * inv_lip, weight)
        for _ in range(IHT_ITERS):
            new = self._keep(d - self._mu * (g + problem.hess_bound_matvec(d)), weight)
            done = np.linalg.norm(new - d) <= 1e-10 * max(1.0, float(np.linalg.norm(d)))
            d = new
            if done:
                break
        support = np.flatnonzero(d)
        if support.size < self.tau:  # pad by the largest |g_i| / sqrt(L_i)
            fill = np.abs(g) * np.sqrt(inv_lip)
            fill[support] = -1.0
            extra = np.argsort(-fill, kind="stable")[:self.tau - support.size]
            support = np.union1d(support, extra)
        return support.astype(np.int64)

    def draw(self, rng, n):
        """``cyclic``/``random`` blocks (sorted indices), drawn on the host."""
        if self.selection == "cyclic":
            if self._perm.size == 0:
                self._perm = rng.permutation(n).astype(np.int64)
            idx, self._perm = self._perm[:self.tau], self._perm[self.tau:]
            return np.sort(idx)
        return np.sort(rng.choice(n, self.tau, replace=False)).astype(np.int64)

    def choose(self, ctx):
        if self.selection in ("cyclic", "random"):
            return self.draw(ctx.rng, ctx.n), None
        if self.selection == "gsq" and not ctx.constrained:
            return self._iht(ctx), None
        return self._top(coordinate_scores(ctx, self.curv)), None


class TreeBlocks:
    """Greedy forest blocks in the graph of a sparse quadratic.

    Coordinates are ordered by ``|g_i| / sqrt(D_i)`` (``D = 1, Lbar, Q_ii, Q_ii`` for ``gs, gsl,
    gsd, gsq``) or randomly (``random``); node ``i`` joins the block iff its neighbours already in
    it lie in pairwise different trees (union-find): O(nnz(Q) alpha(n)) per iteration.
    """

    def __init__(self, ctx, selection):
        from ..._kernels import _bcd as kernels

        graph = ctx.problem.graph
        self.csr = (graph.indptr, graph.indices, graph.data)
        n = ctx.n
        self.selection = selection
        self.work = [np.full(n, -1, np.int64) for _ in range(3)]
        self.out = np.empty(n, np.int64)
        self.grow = host_kernel(kernels.greedy_forest)
        curv = {"gs": np.ones(n), "gsl": ctx.problem.lipschitz_bar}.get(selection, ctx.lip)
        self.inv_sqrt = 1.0 / np.sqrt(np.asarray(curv, dtype=np.float64))

    def choose(self, ctx):
        if self.selection == "random":
            order = ctx.rng.permutation(ctx.n).astype(np.int64)
        else:
            order = np.argsort(-np.abs(ctx.state.grad) * self.inv_sqrt, kind="stable").astype(
                np.int64)
        size = self.grow(*self.csr, order, *self.work, self.out)
        return self.out[:size].copy(), None
