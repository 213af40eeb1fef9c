"""Forest (tree-structured) blocks: factorization checks and exact O(|b|) solves by message passing."""
from dataclasses import dataclass

import numpy as np

from ..._lib._jit import host_kernel
from ..._lib._optional import lazy_module

sp = lazy_module("scipy.sparse")

__all__ = ["ForestFactors", "factor_forests", "forest_solve", "raise_forest_error"]


def raise_forest_error(code, node, where="block"):
    """Turn a kernel error code into the ``ValueError`` users see."""
    from ..._kernels._bcd import CYCLE

    if code == CYCLE:
        raise ValueError(f"message passing needs forest blocks: the {where} has a cycle through node "
                         f"{node}")
    raise ValueError(f"message passing met a non-positive pivot at node {node} of the {where}: "
                     "Q[b, b] is not positive definite")


@dataclass
class ForestFactors:
    """Factors of several forest blocks, concatenated: block ``k`` is ``seg[k]:seg[k + 1]``.

    ``parent`` holds positions relative to the block's segment.
    """

    order: np.ndarray
    parent: np.ndarray
    coef: np.ndarray
    piv: np.ndarray
    seg: np.ndarray


def _csr_triples(Q, dtype):
    csr = sp.csr_array(Q, dtype=dtype)
    csr.sum_duplicates()
    return csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data


def factor_forests(Q, blocks, dtype=np.float64):
    """Factor ``Q[b, b]`` for every block; ``ValueError`` on a cycle or a non-positive pivot."""
    from ..._kernels import _bcd as kernels

    indptr, indices, data = _csr_triples(Q, dtype)
    n = indptr.size - 1
    sizes = np.array([len(b) for b in blocks], dtype=np.int64)
    seg = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    members = np.concatenate([np.asarray(b, np.int64) for b in blocks])
    total = int(seg[-1])
    order, parent = np.empty(total, np.int64), np.empty(total, np.int64)
    coef, piv = np.empty(total, dtype), np.empty(total, dtype)
    mark = np.full(n, -1, np.int64)
    code, node, k = host_kernel(kernels.forest_factor_blocks)(indptr, indices, data, members, seg,
                                                              mark, order, parent, coef, piv)
    if code:
        raise_forest_error(code, node, where=f"block {k}")
    return ForestFactors(order, parent, coef, piv, seg)


def forest_solve(Q, rhs, nodes=None):
    """Solve ``Q[B, B] y = rhs`` exactly when the graph of ``Q`` restricted to ``B`` is a forest.

    Gaussian elimination leaves-first along a BFS order, then back substitution: two passes, O(|B|)
    (Gaussian belief propagation on a tree).

    Parameters
    ----------
    Q : (n, n) sparse matrix, symmetric
    rhs : (|B|,) array, ordered like ``nodes``
    nodes : int array, optional
        The block ``B`` (default: all nodes).

    Returns
    -------
    (|B|,) array ordered like ``nodes``.

    Raises
    ------
    ValueError
        If ``B`` induces a cycle or a pivot is not positive (``Q[B, B]`` not positive definite).
    """
    from ..._kernels import _bcd as kernels

    n = Q.shape[0]
    nodes = np.arange(n, dtype=np.int64) if nodes is None else np.asarray(nodes, np.int64)
    rhs = np.asarray(rhs, dtype=np.float64)
    f = factor_forests(Q, [nodes])
    position = np.empty(n, np.int64)
    position[nodes] = np.arange(nodes.size)
    y = rhs[position[f.order]].copy()
    host_kernel(kernels.forest_apply)(f.parent, f.coef, f.piv, y)
    out = np.empty(nodes.size)
    out[position[f.order]] = y
    return out


class TreeSGS:
    """Forest-block symmetric Gauss-Seidel ``M = (D + L) D^{-1} (D + U)`` of an SPD matrix ``A``.

    The graph of ``A`` (CSR triples) is split into the forest blocks ``B_1..B_m`` of
    :func:`~numopt.optimize._bcd._partitions.forest_runs` (runs of a breadth-first order);
    ``D = diag(A[B_k, B_k])``, ``L`` (``U = L^T``) couples each block to the earlier (later) ones.
    ``M`` is symmetric positive definite for SPD ``A``.

    Set-up (O(nnz)) copies the graph once, renumbered in that BFS order (the later passes then
    read memory nearly in sequence), renumbers the nodes block by block in BFS order (node
    ``perm[k]`` at position ``k``), factors every block as ``D_b = W_b Lambda_b W_b^T`` by
    leaves-first elimination (``W_b`` unit, one off-diagonal per tree edge) and splits the off-block
    entries into ``L`` and ``U``.  Two uses, sharing the factor:

    * :meth:`apply` ``(r) = M^{-1} r``: a forward then a backward block sweep from zero, each block
      solved exactly by message passing; reads ``L`` and ``U`` once each and solves ``2m - 1``
      forests (:func:`tree_sgs_cost`); allocates only the returned vector.
    * Eisenstat's split form (:meth:`transform`, :meth:`product`), with ``E = (D + L) W^{-T}``, so
      ``M = E Lambda^{-1} E^T``: CG on ``A`` preconditioned by ``M`` is CG on ``E^{-1} A E^{-T}``
      preconditioned by ``Lambda^{-1}`` (a diagonal), whose product is one backward and one forward
      sweep that read ``L`` and ``U`` once in total -- no separate product with ``A``.
    """

    def __init__(self, indptr, indices, data, dtype):
        from ..._kernels import _bcd as kernels
        from ._partitions import bfs_forest_runs

        n = indptr.size - 1
        indptr, indices, data = _csr_triples(sp.csr_array((data, indices, indptr), shape=(n, n)),
                                             dtype)
        visit, seg, renumbered = bfs_forest_runs(indptr, indices, data)
        order, parent, coef, piv = (np.empty(n, np.int64), np.empty(n, np.int64),
                                    np.empty(n, dtype), np.empty(n, dtype))
        code, node, _ = host_kernel(kernels.forest_factor_blocks)(
            *renumbered, np.arange(n, dtype=np.int64), seg, np.full(n, -1, np.int64), order, parent,
            coef, piv)
        if code:
            raise ValueError(f"preconditioner='tree-sgs' needs positive pivots: `A` is not "
                             f"symmetric positive definite (node {visit[node]})")
        start = np.repeat(seg[:-1], np.diff(seg))  # first position of each position's block
        self.perm, self.seg, self.piv = visit[order], seg, piv
        self.parent = np.where(parent >= 0, parent + start, -1)  # absolute positions
        self.mult, self.inv_piv = coef / piv, 1.0 / piv
        self.lo, self.up = host_kernel(kernels.split_off_blocks)(*renumbered, order, seg)
        self._work = np.empty(n, dtype), np.empty(n, dtype)
        self._sweep = host_kernel(kernels.tree_sgs_apply)

    def apply(self, r):
        """``M^{-1} r`` (a new array; ``r`` in the original numbering)."""
        z = np.empty_like(r)
        self._sweep(*self.lo, *self.up, self.seg, self.perm, self.parent, self.mult, self.inv_piv,
                    r, z, *self._work)
        return z

    def transform(self, r, rh, e, u):
        """``rh = E^{-1} r = W^T (D + L)^{-1} r`` (positions; ``e``, ``u`` are work arrays);
        returns ``rh^T Lambda rh = r^T M^{-1} r``."""
        from ..._kernels import _bcd as kernels

        e[:] = r
        kernels.forest_eliminate(0, e.shape[0], self.parent, self.mult, e)
        return kernels.split_forward(*self.lo, self.seg, self.parent, self.mult, self.inv_piv, e,
                                     u, rh, False, r)

    def product(self, rh, beta, p, t, e, u, q):
        """Eisenstat's product for CG on ``E^{-1} A E^{-T}`` (positions; work arrays ``e`` and
        ``u``).

        Sets ``p = Lambda rh + beta p``, ``t = E^{-T} p = (D + U)^{-1} W p`` (the step of ``x``) and
        ``q = E^{-1} A t = W^T (t + (D + L)^{-1} (W p - D t))``; returns ``p^T q``.  ``W p - D t``
        is the ``U t`` of the backward sweep, and ``D t`` is never formed.
        """
        from ..._kernels import _bcd as kernels

        kernels.split_backward(*self.up, self.seg, self.parent, self.mult, self.inv_piv, self.piv,
                               rh, beta, p, t, e, q)
        return kernels.split_forward(*self.lo, self.seg, self.parent, self.mult, self.inv_piv, e, u,
                                     q, True, p)


def tree_sgs_cost(A, split=False):
    """Matrix entries read by tree-SGS, in units of ``nnz(A)`` (sparse products).

    ``split=False``: one application of ``M^{-1}`` (:meth:`TreeSGS.apply`): the off-block entries
    are read once; each of the ``2m - 1`` forest solves reads its block's entries once (a diagonal
    pivot per node, one coefficient per tree edge used in both passes, counted twice as in the
    symmetric storage of ``A``).  A plain PCG step adds the product with ``A`` (1).
    ``split=True``: one CG step of Eisenstat's form (:meth:`TreeSGS.product`, which replaces the
    product with ``A`` and the application): the off-block entries once and ``2m`` forest solves.
    """
    from ._partitions import forest_runs

    A = sp.csr_array(A)
    inside = [A[b][:, b].nnz for b in forest_runs(A)]
    solves = 2 * sum(inside) - (0 if split else inside[-1])
    return (A.nnz - sum(inside) + solves) / A.nnz
