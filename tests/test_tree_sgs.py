"""solve_pcg(preconditioner='tree-sgs'): forest-block symmetric Gauss-Seidel from the BCD kernels."""
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl
from scipy.sparse.csgraph import connected_components, shortest_path

from numopt import poisson_matrix, solve_pcg
from numopt._lib._jit import use_jit
from numopt.linalg._precond import make_preconditioner
from numopt.linalg._system import prepare_system
from numopt.optimize._bcd._forest import tree_sgs_cost
from numopt.optimize._bcd._partitions import bfs_forest_runs, forest_runs
from numopt.problems import knn_label_propagation, lattice_label_propagation


def _systems():
    Q, c, _ = lattice_label_propagation(30, 30, n_labeled=36, seed=2)
    yield "lattice", Q, c
    Q, c, _ = knn_label_propagation(300, n_labeled=20, seed=0)
    yield "knn", Q, c
    A = poisson_matrix((12, 12))
    yield "poisson", A, np.random.default_rng(0).standard_normal(A.shape[0])  # no symmetry


@pytest.mark.parametrize("name, A, b", list(_systems()), ids=lambda v: v if isinstance(v, str) else "")
def test_tree_sgs_pcg_matches_spsolve(name, A, b, jit):
    ref = spl.spsolve(sp.csc_array(A), b)
    res = solve_pcg(A, b, preconditioner="tree-sgs", rtol=1e-10)
    assert res.success
    # rtol 1e-10 on the residual; cond(A) <= 1e4 here, so x is accurate to ~1e-6 relative
    np.testing.assert_allclose(res.x, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    jacobi = solve_pcg(A, b, preconditioner="jacobi", rtol=1e-10)
    assert res.nit < jacobi.nit


@pytest.mark.parametrize("name, A, b", list(_systems()), ids=lambda v: v if isinstance(v, str) else "")
def test_tree_sgs_is_symmetric_positive_definite(name, A, b):
    system = prepare_system(A, b, None, rtol=1e-8, atol=0.0)
    M = make_preconditioner("tree-sgs", system, 1.0).apply
    rng = np.random.default_rng(0)
    for _ in range(3):
        u, v = rng.standard_normal((2, A.shape[0]))
        # symmetric up to rounding of O(nnz) sums: 1e-12 relative
        assert abs(u @ M(v) - v @ M(u)) <= 1e-12 * np.linalg.norm(u) * np.linalg.norm(M(v))
        assert u @ M(u) > 0


def test_tree_sgs_is_exact_on_a_tree():
    n = 200
    parent = np.random.default_rng(1).integers(0, np.arange(1, n))  # random tree on 0..n-1
    W = sp.coo_array((np.ones(n - 1), (np.arange(1, n), parent)), shape=(n, n))
    W = (W + W.T).tocsr()
    A = sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel() + 0.1) - W)
    res = solve_pcg(A, np.ones(n), preconditioner="tree-sgs", rtol=1e-12)
    assert res.success and res.nit == 1  # one forest block: M = A


def test_tree_sgs_needs_matrix_entries():
    A = poisson_matrix((4, 4))
    op = spl.aslinearoperator(A)
    with pytest.raises(TypeError, match="tree-sgs"):
        solve_pcg(op, np.ones(16), preconditioner="tree-sgs")


def _is_forest(A, block):
    sub = sp.csr_array(A[block][:, block])
    sub.setdiag(0)
    sub.eliminate_zeros()
    ncomp = connected_components(sub, directed=False)[0]
    return sub.nnz // 2 == block.size - ncomp  # a graph is a forest iff |E| = |V| - #components


@pytest.mark.parametrize("name, A, b", list(_systems()), ids=lambda v: v if isinstance(v, str) else "")
def test_forest_runs_are_maximal_forest_runs(name, A, b):
    blocks = forest_runs(A)
    nodes = np.concatenate(blocks)
    assert np.array_equal(np.sort(nodes), np.arange(A.shape[0]))  # disjoint and covering
    for k, blk in enumerate(blocks):
        assert _is_forest(A, blk)
        if k + 1 < len(blocks):  # maximal: the next node would close a cycle
            assert not _is_forest(A, np.append(blk, blocks[k + 1][0]))
    assert len(blocks) < A.shape[0] // 4  # runs, not single nodes


def test_renumbered_graph_drops_explicit_zeros_off_the_diagonal():
    A = sp.csr_array(poisson_matrix((4, 3)))
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    off = np.flatnonzero(rows != A.indices)
    A.data[off[:2]] = 0.0  # two explicit zeros in row 0
    A.data[np.flatnonzero(rows == A.indices)[5]] = 0.0  # and a zero diagonal entry, kept
    visit, _, (ptr, idx, val) = bfs_forest_runs(A.indptr.astype(np.int64),
                                                A.indices.astype(np.int64), A.data)
    assert ptr[-1] == A.nnz - 2
    renumbered = sp.csr_array((val, idx, ptr), shape=A.shape)
    assert abs(renumbered - A[visit][:, visit]).max() == 0


def test_forest_runs_follow_a_breadth_first_order_per_component():
    Q, _, _ = lattice_label_propagation(15, 15, n_labeled=9, seed=4)
    graph = sp.block_diag([Q, poisson_matrix((6, 5)), sp.eye_array(2)], format="csr")  # 4 components
    csr = sp.csr_array(graph)
    visit, seg, (ptr, idx, val) = bfs_forest_runs(csr.indptr.astype(np.int64),
                                                  csr.indices.astype(np.int64), csr.data)
    assert np.array_equal(np.sort(visit), np.arange(graph.shape[0])) and seg[-1] == visit.size
    renumbered = sp.csr_array((val, idx, ptr), shape=graph.shape)
    assert abs(renumbered - graph[visit][:, visit]).max() == 0  # the graph in that order, exactly
    graph = abs(graph)  # the pattern, for scipy's hop counts
    ncomp, comp = connected_components(graph, directed=False)
    starts = np.flatnonzero(np.r_[True, comp[visit][1:] != comp[visit][:-1]])
    assert starts.size == ncomp  # components one after the other, lowest-numbered first
    assert np.all(np.diff(comp[visit][starts]) > 0)
    hops = shortest_path(graph, unweighted=True, directed=False, indices=visit[starts])
    for k, s0 in enumerate(starts):  # scipy's hop counts from the start never decrease
        s1 = starts[k + 1] if k + 1 < starts.size else visit.size
        assert np.all(np.diff(hops[k, visit[s0:s1]]) >= 0)
        # pseudo-peripheral start: as far from the component's lowest-numbered node as any node
        lowest = visit[s0:s1].min()
        from_lowest = shortest_path(graph, unweighted=True, directed=False, indices=lowest)
        assert from_lowest[visit[s0]] == from_lowest[visit[s0:s1]].max()


@pytest.mark.parametrize("name, A, b", list(_systems()), ids=lambda v: v if isinstance(v, str) else "")
def test_tree_sgs_equals_dense_block_gauss_seidel(name, A, b, jit):
    """``M^{-1} = (D + U)^{-1} D (D + L)^{-1}`` with ``D`` the forest-run blocks, formed densely."""
    A = sp.csr_array(A)
    blocks = forest_runs(A)
    label = np.empty(A.shape[0], np.int64)
    for k, blk in enumerate(blocks):
        label[blk] = k
    dense = A.toarray()
    same = label[:, None] == label[None, :]
    D = np.where(same, dense, 0.0)
    L = np.where(label[:, None] > label[None, :], dense, 0.0)
    r = np.random.default_rng(3).standard_normal(A.shape[0])
    expected = np.linalg.solve(D + L.T, D @ np.linalg.solve(D + L, r))
    system = prepare_system(A, b, None, rtol=1e-8, atol=0.0)
    z = make_preconditioner("tree-sgs", system, 1.0).apply(r)
    # two triangular block solves with cond(A) <= 1e4: agreement to 1e-10 relative
    np.testing.assert_allclose(z, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


def test_tree_sgs_cost_counts_entries_read():
    n = 50
    path = sp.diags_array([-np.ones(n - 1), 3 * np.ones(n), -np.ones(n - 1)], offsets=[-1, 0, 1])
    assert tree_sgs_cost(path) == 1.0  # one forest block: a single exact solve reads A once
    assert tree_sgs_cost(path, split=True) == 2.0  # a CG step solves it twice, no product with A
    A = poisson_matrix((10, 10))
    blocks = forest_runs(A)
    inside = np.array([A[blk][:, blk].nnz for blk in blocks])
    off = A.nnz - inside.sum()
    assert tree_sgs_cost(A) == pytest.approx((off + 2 * inside.sum() - inside[-1]) / A.nnz)
    assert 1.0 < tree_sgs_cost(A) < 2.0
    assert tree_sgs_cost(A, split=True) == pytest.approx((off + 2 * inside.sum()) / A.nnz)
    assert tree_sgs_cost(A, split=True) < 1.0 + tree_sgs_cost(A)  # Eisenstat saves the product


def test_tree_sgs_rejects_an_indefinite_matrix():
    n = 20  # a path with weak diagonal: the tree elimination meets a negative pivot
    A = sp.csr_array(sp.diags_array([-np.ones(n - 1), 0.5 * np.ones(n), -np.ones(n - 1)],
                                    offsets=[-1, 0, 1]))
    with pytest.raises(ValueError, match="tree-sgs.*positive"):
        solve_pcg(A, np.ones(n), preconditioner="tree-sgs")


def _trace(A, b, preconditioner, **kw):
    """The result and the iterates of solve_pcg, recorded by a callback."""
    xs = []
    res = solve_pcg(A, b, preconditioner=preconditioner, callback=lambda r: xs.append(r.x.copy()),
                    return_history=True, **kw)
    return res, xs


@pytest.mark.parametrize("name, A, b", list(_systems()), ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("start", ["zero", "random"])
def test_eisenstat_iterates_match_plain_tree_sgs_pcg(name, A, b, start):
    """solve_pcg(preconditioner='tree-sgs') runs Eisenstat's split form on NumPy; the same M as a
    callable preconditioner runs plain PCG (a product with A and M^{-1} r per step): same iterates
    and stopping step, and the split form checks fewer true residuals than plain PCG forms
    products with A."""
    if not use_jit(np):
        pytest.skip("the split form runs numba kernels")
    system = prepare_system(A, b, None, rtol=1e-8, atol=0.0)
    precond = make_preconditioner("tree-sgs", system, 1.0)
    assert precond.split is not None  # NumPy with numba: solve_pcg takes the split form
    plain_apply = precond.apply
    x0 = None if start == "zero" else np.random.default_rng(5).standard_normal(A.shape[0])
    split, split_xs = _trace(A, b, "tree-sgs", x0=x0, rtol=1e-10)
    plain, plain_xs = _trace(A, b, plain_apply, x0=x0, rtol=1e-10)
    assert split.success and plain.success
    assert (split.nit, split.nprec) == (plain.nit, plain.nprec)
    checks = split.nmatvec - split.nit  # true residuals computed (start included)
    # start + one per 10 steps + one when the estimate nears the threshold + those that meet it
    # (measured 4-6 checks against 18-37 products)
    assert 2 <= checks <= split.nit // 10 + 4
    scale = np.linalg.norm(plain.x)
    # CG amplifies rounding differences (the two forms sum in different orders): measured <= 2e-15
    # relative on these systems; 1e-9 leaves room for other BLAS/compilers
    for xs, xp in zip(split_xs, plain_xs):
        assert np.linalg.norm(xs - xp) <= 1e-9 * scale
    np.testing.assert_allclose(split.x, plain.x, rtol=0, atol=1e-9 * np.abs(plain.x).max())
    # the first and the last residual are true ones in both: same to rounding
    for k in (0, -1):
        assert split.history[k] == pytest.approx(plain.history[k], rel=1e-6,
                                                 abs=1e-12 * np.linalg.norm(b))
    assert split.residual == pytest.approx(np.linalg.norm(b - A @ split.x), rel=1e-6)
    ref = spl.spsolve(sp.csc_array(A), b)
    assert np.linalg.norm(b - A @ split.x) <= 1e-10 * np.linalg.norm(b)  # the stopping rule
    # cond(A) <= 1e4 here: x accurate to ~1e-6 relative
    np.testing.assert_allclose(split.x, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


def test_eisenstat_maxiter_callback_and_float32():
    Q, c, _ = lattice_label_propagation(30, 30, n_labeled=36, seed=2)
    res = solve_pcg(Q, c, preconditioner="tree-sgs", maxiter=3)
    assert not res.success and res.status == 1 and res.nit == 3 and "maxiter=3" in res.message
    # an estimate between checks: positive, and the true residual is not converged
    assert res.residual > 0 and np.linalg.norm(c - Q @ res.x) > 1e-8 * np.linalg.norm(c)

    def stop(r):
        if r.nit == 2:
            raise StopIteration

    res = solve_pcg(Q, c, preconditioner="tree-sgs", callback=stop)
    assert res.status == 99 and res.nit == 2
    Q32, c32 = sp.csr_array(Q, dtype=np.float32), c.astype(np.float32)
    res = solve_pcg(Q32, c32, preconditioner="tree-sgs", rtol=1e-5)
    assert res.success and res.x.dtype == np.float32
    # the stopping rule in float64 arithmetic, with float32 rounding of x (cond <= 1e4): 1e-3 slack
    assert np.linalg.norm(c - Q @ res.x.astype(np.float64)) <= 1e-5 * np.linalg.norm(c) * 1.001


def test_eisenstat_reports_negative_curvature():
    """Forest blocks positive definite, A indefinite (off-block couplings scaled up): M is SPD, so
    CG meets p^T A p <= 0 -- a breakdown, as in plain PCG."""
    A = sp.csr_array(poisson_matrix((8, 8)))
    label = np.empty(A.shape[0], np.int64)
    for k, blk in enumerate(forest_runs(A)):
        label[blk] = k
    coo = A.tocoo()
    scale = np.where(label[coo.row] != label[coo.col], 10.0, 1.0)
    B = sp.csr_array((coo.data * scale, (coo.row, coo.col)), shape=A.shape)
    assert np.linalg.eigvalsh(B.toarray()).min() < 0  # indefinite
    b = np.ones(A.shape[0])
    res = solve_pcg(B, b, preconditioner="tree-sgs")
    system = prepare_system(B, b, None, rtol=1e-8, atol=0.0)
    plain = solve_pcg(B, b, preconditioner=make_preconditioner("tree-sgs", system, 1.0).apply)
    assert res.status == plain.status == 3 and not res.success
    assert res.nit == plain.nit and "curvature" in res.message
