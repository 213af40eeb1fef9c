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
    total = int(seg[-1])
    order, parent = np.empty(total, np.int64), np.empty(total, np.int64)
    coef, piv = np.empty(total, dtype), np.empty(total, dtype)
    mark = np.full(n, -1, np.int64)
    factor = host_kernel(kernels.forest_factor)
    for k, blk in enumerate(blocks):
        s0, s1 = seg[k], seg[k + 1]
        code, node = factor(indptr, indices, data, np.asarray(blk, np.int64), mark, order[s0:s1],
                            parent[s0:s1], coef[s0:s1], piv[s0:s1])
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

    The graph of the SPD matrix (CSR triples) is split by :func:`forest_partition` into forest
    blocks ``B_1..B_m``; ``M = (D + L) D^{-1} (D + U)`` with ``D = diag(A[B_k, B_k])`` is applied as
    a forward then a backward block Gauss-Seidel sweep from zero, each block solved exactly by
    message passing (O(nnz) per application).  ``M`` is symmetric positive definite for SPD ``A``.
    """
    from ..._kernels import _bcd as kernels
    from ._partitions import forest_partition

    n = indptr.size - 1
    A = sp.csr_array((np.asarray(data, dtype), indices, indptr), shape=(n, n))
    blocks = forest_partition(A)  # sorted node lists
    f = factor_forests(A, blocks, dtype)
    block_of = np.empty(n, np.int64)
    for k, blk in enumerate(blocks):
        block_of[blk] = k
    coo = A.tocoo()
    keep = block_of[coo.row] != block_of[coo.col]
    off = sp.csr_array((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=(n, n))
    off.sum_duplicates()
    csr = (off.indptr.astype(np.int64), off.indices.astype(np.int64), off.data)
    members = np.concatenate(blocks)
    sweep = host_kernel(kernels.block_sgs_apply)
    tmp, work = np.empty(n, dtype), np.empty(int(np.diff(f.seg).max()), dtype)

    def apply(r):
        z = np.empty_like(r)
        sweep(*csr, members, f.seg, f.order, f.parent, f.coef, f.piv, r, z, tmp, work)
        return z

    return apply
