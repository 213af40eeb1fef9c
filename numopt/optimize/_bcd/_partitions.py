"""Partitions of the variables into blocks: sorted fixed blocks, forests, colourings, lattice combs."""
import numpy as np

from ..._lib._jit import host_kernel
from ..._lib._optional import lazy_module
from ..._lib._validate import check_choice, check_int

sp = lazy_module("scipy.sparse")

__all__ = ["fixed_partition", "forest_partition", "forest_runs", "red_black_partition",
           "lattice_tree_partition", "check_partition"]


def _graph_csr(Q, name="Q"):
    graph = getattr(Q, "graph", Q)
    if not (sp.issparse(graph) or isinstance(graph, np.ndarray)):
        raise TypeError(f"`{name}` must be a sparse matrix or a Quadratic; got {type(Q).__name__}")
    csr = sp.csr_array(graph)
    csr.sum_duplicates()
    return csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data.astype(np.float64)


def _groups(labels, count):
    order = np.argsort(labels, kind="stable")
    cuts = np.searchsorted(labels[order], np.arange(1, count))
    return [blk.astype(np.int64) for blk in np.split(order, cuts)]


def fixed_partition(lipschitz, block_size):
    """Coordinates sorted by ``L_i`` ascending, cut into consecutive chunks of ``block_size``
    (the last may be shorter)."""
    order = np.argsort(np.asarray(lipschitz), kind="stable").astype(np.int64)
    return [order[s:s + block_size] for s in range(0, order.size, block_size)]


def forest_partition(Q, order="lipschitz"):
    """Greedy forest partition of the graph of ``Q`` (each block induces a forest).

    Nodes are visited by decreasing ``Q_ii`` (``order='lipschitz'``) or by index (``'index'``); each
    goes into the lowest-numbered forest where it closes no cycle (union-find), else a new one.

    Parameters
    ----------
    Q : sparse matrix or Quadratic
    order : {'lipschitz', 'index'}

    Returns
    -------
    list of int64 arrays
    """
    check_choice(order, ("lipschitz", "index"), name="order")
    indptr, indices, data = _graph_csr(Q)
    n = indptr.size - 1
    if order == "index":
        visit = np.arange(n, dtype=np.int64)
    else:
        diag = sp.csr_array((data, indices, indptr), shape=(n, n)).diagonal()
        visit = np.argsort(-diag, kind="stable").astype(np.int64)
    return _groups(*_assign(indptr, indices, data, visit, runs=False))


def forest_runs(Q):
    """Forest blocks for sweeps: maximal runs of consecutive nodes of a breadth-first order (from a
    pseudo-peripheral node, as Cuthill-McKee's) that induce forests (union-find), in that order.

    Consecutive blocks are neighbours in the graph, so a block Gauss-Seidel sweep over them carries
    information across the whole graph, like a natural-order sweep.

    Returns
    -------
    list of int64 arrays, in sweep order
    """
    visit, seg, _ = bfs_forest_runs(*_graph_csr(Q))
    return [visit[seg[k]:seg[k + 1]] for k in range(seg.size - 1)]


def bfs_forest_runs(indptr, indices, data):
    """``(visit, seg, renumbered)``: the breadth-first order of :func:`forest_runs`, the bounds of
    its forest runs (block ``k`` is ``visit[seg[k]:seg[k + 1]]``) and the graph renumbered in
    that order (node ``visit[k]`` as row ``k``), from and as CSR triples with int64 indices."""
    from ..._kernels import _bcd as kernels

    n = indptr.size - 1
    visit, ptr = np.empty(n, np.int64), np.zeros(n + 1, np.int64)
    idx, val = np.empty(indptr[n], np.int64), np.empty(indptr[n], data.dtype)
    host_kernel(kernels.breadth_first_renumber)(indptr, indices, data, visit,
                                                np.full(n, -1, np.int64), ptr, idx, val)
    renumbered = ptr, idx[:ptr[n]], val[:ptr[n]]
    forest_of = _assign(*renumbered, np.arange(n, dtype=np.int64), runs=True)[0]
    seg = np.concatenate([[0], np.flatnonzero(np.diff(forest_of)) + 1, [n]]).astype(np.int64)
    return visit, seg, renumbered


def _assign(indptr, indices, data, visit, runs):
    """``(forest_of, count)`` from the greedy forest assignment kernel."""
    from ..._kernels import _bcd as kernels

    n = indptr.size - 1
    forest_of = np.full(n, -1, np.int64)
    uf, stamp = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    count = host_kernel(kernels.forest_partition_assign)(indptr, indices, data, visit, forest_of, uf,
                                                         stamp, runs)
    return forest_of, count


def red_black_partition(Q):
    """Greedy colouring of the graph of ``Q`` (index order; the allowed colour with the fewest
    nodes, else a new one): every block ``Q_bb`` is diagonal.  On a lattice: parity of ``r + c``."""
    from ..._kernels import _bcd as kernels

    indptr, indices, data = _graph_csr(Q)
    n = indptr.size - 1
    color = np.full(n, -1, np.int64)
    count = host_kernel(kernels.greedy_coloring)(indptr, indices, data, color, np.zeros(n, np.int64),
                                                 np.zeros(n, np.int64))
    return _groups(color, count)


def lattice_tree_partition(nrows, ncols, labeled=None):
    """Two comb-shaped trees covering an ``nrows x ncols`` lattice (node ``r + c * nrows``).

    White: row 0 plus the even columns without their last row; black: the last row plus the odd
    columns without their first row.  Labelled nodes are removed and the rest renumbered (as in
    :func:`lattice_label_propagation`).

    Returns
    -------
    list of two int64 arrays
    """
    nrows = check_int(nrows, name="nrows", low=2)
    ncols = check_int(ncols, name="ncols", low=1)
    r, c = np.meshgrid(np.arange(nrows), np.arange(ncols), indexing="ij")
    white = (r == 0) | ((c % 2 == 0) & (r < nrows - 1))
    node = (r + c * nrows).ravel()
    white = white.ravel()
    keep = np.ones(nrows * ncols, bool)
    if labeled is not None:
        keep[np.asarray(labeled, dtype=np.int64)] = False
    new_id = np.cumsum(keep) - 1
    return [np.sort(new_id[node[mask & keep[node]]]).astype(np.int64) for mask in (white, ~white)]


def check_partition(blocks, n):
    """Validate user blocks: a list of integer index arrays, disjoint, covering ``0..n-1``."""
    if not isinstance(blocks, (list, tuple)) or len(blocks) == 0:
        raise ValueError(f"`blocks` must be 'fixed', 'variable', 'tree' or a non-empty list of index "
                         f"arrays; got {blocks!r}")
    out = []
    seen = np.zeros(n, bool)
    for k, blk in enumerate(blocks):
        blk = np.asarray(blk)
        if blk.ndim != 1 or blk.size == 0 or not np.issubdtype(blk.dtype, np.integer):
            raise ValueError(f"`blocks[{k}]` must be a non-empty 1-D integer array; got shape "
                             f"{blk.shape} and dtype {blk.dtype}")
        if blk.min() < 0 or blk.max() >= n:
            raise ValueError(f"`blocks[{k}]` has indices outside [0, {n - 1}]: min {blk.min()}, "
                             f"max {blk.max()}")
        if np.any(seen[blk]) or np.unique(blk).size != blk.size:
            raise ValueError(f"`blocks` must be disjoint; `blocks[{k}]` repeats an index")
        seen[blk] = True
        out.append(blk.astype(np.int64))
    if not seen.all():
        raise ValueError(f"`blocks` must cover all {n} variables; {int((~seen).sum())} are missing, "
                         f"e.g. {int(np.flatnonzero(~seen)[0])}")
    return out
