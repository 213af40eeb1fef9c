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


def tree_sgs_preconditioner(indptr, indices, data, dtype):
    """``apply(r) = M^{-1} r`` for the forest-block symmetric Gauss-Seidel preconditioner.

    The graph of the SPD matrix ``A`` (CSR triples) is split into the forest blocks ``B_1..B_m`` of
    :func:`~numopt.optimize._bcd._partitions.forest_runs` (runs of the reverse Cuthill-McKee order);
    ``M = (D + L) D^{-1} (D + U)`` with ``D = diag(A[B_k, B_k])`` is applied as a forward then a
    backward block Gauss-Seidel sweep from zero, each block solved exactly by message passing.
    ``M`` is symmetric positive definite for SPD ``A``.

    Set-up (O(nnz), plus the ordering) renumbers the nodes block by block in BFS order and splits
    the off-block entries into the parts coupling to earlier (``L``) and later (``U``) blocks, so
    that one application reads ``L`` and ``U`` once each and solves ``2m - 1`` forests
    (:func:`tree_sgs_cost`); it allocates only the returned vector.
    """
    from ..._kernels import _bcd as kernels
    from ._partitions import rcm_forest_runs

    n = indptr.size - 1
    indptr, indices, data = _csr_triples(sp.csr_array((data, indices, indptr), shape=(n, n)), dtype)
    visit, seg = rcm_forest_runs(indptr, indices, data)
    perm, parent, coef, piv = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, dtype),
                               np.empty(n, dtype))
    code, node, _ = host_kernel(kernels.forest_factor_blocks)(
        indptr, indices, data, visit, seg, np.full(n, -1, np.int64), perm, parent, coef, piv)
    if code:
        raise ValueError(f"preconditioner='tree-sgs' needs positive pivots: `A` is not symmetric "
                         f"positive definite (node {node})")
    block_at = np.repeat(np.arange(seg.size - 1), np.diff(seg))  # block of each position
    parent = np.where(parent >= 0, parent + seg[block_at], -1)  # absolute positions
    mult, inv_piv = coef / piv, 1.0 / piv
    off = host_kernel(kernels.split_off_blocks)(indptr, indices, data, perm, block_at)
    sweep = host_kernel(kernels.tree_sgs_apply)
    s, y = np.empty(n, dtype), np.empty(n, dtype)

    def apply(r):
        z = np.empty_like(r)
        sweep(*off, seg, perm, parent, mult, inv_piv, r, z, s, y)
        return z

    return apply


def tree_sgs_cost(A):
    """Matrix entries read by one tree-SGS application, in units of ``nnz(A)`` (sparse products).

    The off-block entries are read once; each of the ``2m - 1`` forest solves reads its block's
    entries once (a diagonal pivot per node, one coefficient per tree edge used in both passes,
    counted twice as in the symmetric storage of ``A``).
    """
    from ._partitions import forest_runs

    A = sp.csr_array(A)
    inside = [A[b][:, b].nnz for b in forest_runs(A)]
    return (A.nnz - sum(inside) + 2 * sum(inside) - inside[-1]) / A.nnz
