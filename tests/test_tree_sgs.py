"""solve_pcg(preconditioner='tree-sgs'): forest-block symmetric Gauss-Seidel from the BCD kernels."""
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from numopt import poisson_matrix, solve_pcg
from numopt.linalg._precond import make_preconditioner
from numopt.linalg._system import prepare_system
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
