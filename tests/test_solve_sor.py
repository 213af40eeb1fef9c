"""solve_sor: agreement with scipy's direct solver, exact iteration counts against a plain loop,
numba vs reference path, backends and dtypes, bad input."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import numopt
from numopt._lib._result import Status

from ._xp_testing import xp_assert_close

# Solver rtol per dtype and the error allowed on x: the error is at most cond(A) * rtol; the
# grids used here have cond(A) <= ~200 (8x8 Poisson: 32; random SPD below: ~10).
RTOL = {"float64": 1e-10, "float32": 1e-5}


def reference_sor_counts(A, b, omega, rtol, maxiter, symmetric=False):
    """Textbook SOR on a dense copy: returns (iterations, x)."""
    A = np.asarray(A.toarray() if sp.issparse(A) else A, dtype=np.float64)
    n = len(b)
    x = np.zeros(n)
    threshold = rtol * np.linalg.norm(b)
    for k in range(maxiter + 1):
        if np.linalg.norm(b - A @ x) <= threshold:
            return k, x
        if k == maxiter:
            return k, x
        for i in range(n):
            x[i] += omega * (b[i] - A[i] @ x) / A[i, i]
        if symmetric:
            for i in reversed(range(n)):
                x[i] += omega * (b[i] - A[i] @ x) / A[i, i]


def random_spd(n, seed, density=0.1):
    rng = np.random.default_rng(seed)
    B = sp.random(n, n, density=density, random_state=rng, dtype=np.float64)
    A = B @ B.T + sp.diags_array(np.full(n, n * density), dtype=np.float64)
    return sp.csr_array(A)


@pytest.mark.parametrize("grid", [(12, 12), (6, 5, 4)])
@pytest.mark.parametrize("symmetric", [False, True])
def test_matches_spsolve(grid, symmetric, dtype, jit):
    A = numopt.poisson_matrix(grid, dtype=dtype)
    b = np.random.default_rng(1).standard_normal(A.shape[0]).astype(dtype)
    res = numopt.solve_sor(A, b, omega=1.6, symmetric=symmetric, rtol=RTOL[str(dtype)])
    assert res.success, res.message
    exact = spla.spsolve(A.astype(np.float64).tocsc(), b.astype(np.float64))
    cond = 200.0
    assert np.linalg.norm(res.x - exact) <= 10 * cond * RTOL[str(dtype)] * np.linalg.norm(exact)
    assert res.x.dtype == dtype
    # the stopping rule holds on the true residual
    assert np.linalg.norm(b - A @ res.x) <= RTOL[str(dtype)] * np.linalg.norm(b) * (1 + 1e-3)


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("omega", [0.8, 1.0, 1.5, 1.9])
def test_iteration_counts_equal_reference(omega, symmetric, jit):
    A = numopt.poisson_matrix((7, 6))
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    nit_ref, x_ref = reference_sor_counts(A, b, omega, 1e-8, 2000, symmetric)
    res = numopt.solve_sor(A, b, omega=omega, symmetric=symmetric, rtol=1e-8, maxiter=2000)
    assert res.nit == nit_ref
    np.testing.assert_allclose(res.x, x_ref, rtol=1e-10, atol=1e-12)


def test_random_spd_sparse_array_and_matrix(jit):
    A = random_spd(60, seed=3)
    b = np.random.default_rng(3).standard_normal(60)
    exact = np.linalg.solve(A.toarray(), b)
    for mat in (A, sp.csr_matrix(A), sp.csc_array(A), sp.coo_matrix(A), A.toarray()):
        res = numopt.solve_sor(mat, b, omega=1.2, rtol=1e-12)
        assert res.success
        np.testing.assert_allclose(res.x, exact, rtol=1e-9, atol=1e-10)


def test_numba_and_reference_iterates_agree(monkeypatch):
    from numopt._lib import _jit

    A = numopt.poisson_matrix((9, 9))
    b = np.linspace(-1, 1, A.shape[0])
    results = []
    for disabled in (False, True):
        monkeypatch.setattr(_jit, "JIT_DISABLED", disabled)
        results.append(numopt.solve_sor(A, b, omega=1.3, symmetric=True, maxiter=7,
                                        return_history=True))
    assert results[0].nit == results[1].nit == 7
    np.testing.assert_allclose(results[0].x, results[1].x, rtol=1e-12)
    np.testing.assert_allclose(results[0].history, results[1].history, rtol=1e-12)


def test_backends_keep_namespace_device_dtype(xp, dtype):
    A = numopt.poisson_matrix((6, 6), dtype=dtype)
    b = np.ones(A.shape[0], dtype=dtype)
    res = numopt.solve_sor(xp.asarray(A, dtype=dtype), xp.asarray(b), omega=1.4,
                           rtol=RTOL[str(dtype)])
    assert res.success
    exact = np.linalg.solve(A.toarray().astype(np.float64), b.astype(np.float64))
    xp_assert_close(res.x, exact.astype(dtype), rtol=100 * RTOL[str(dtype)], xp=xp, dtype=dtype)


def test_x0_is_not_modified_and_zero_iterations():
    A = numopt.poisson_matrix((5, 5))
    x_true = np.arange(25.0)
    b = A @ x_true
    x0 = x_true.copy()
    res = numopt.solve_sor(A, b, x0)
    assert res.nit == 0 and res.success
    np.testing.assert_array_equal(x0, x_true)


def test_maxiter_gives_status_1():
    A = numopt.poisson_matrix((10, 10))
    res = numopt.solve_sor(A, np.ones(100), omega=1.0, maxiter=3)
    assert res.status == Status.MAXITER and not res.success and res.nit == 3
    assert "maxiter=3" in res.message


def test_history_is_residual_per_sweep(jit):
    A = numopt.poisson_matrix((8, 8))
    b = np.ones(64)
    res = numopt.solve_sor(A, b, omega=1.5, return_history=True)
    assert len(res.history) == res.nit + 1
    assert res.history[0] == pytest.approx(np.linalg.norm(b))
    assert res.history[-1] == pytest.approx(res.residual)


def test_nonconvergent_divergence_reports_nonfinite():
    # a matrix with a tiny diagonal relative to off-diagonals makes SOR diverge until overflow
    A = sp.csr_array(np.array([[1e-3, 1.0], [1.0, 1e-3]]))
    res = numopt.solve_sor(A, np.ones(2), omega=1.0, maxiter=10_000)
    assert res.status == Status.NONFINITE and not res.success
    assert np.all(np.isfinite(res.x))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"omega": 0.0}, ValueError, "omega"),
    ({"omega": 2.0}, ValueError, "omega"),
    ({"omega": float("nan")}, ValueError, "omega"),
    ({"rtol": -1.0}, ValueError, "rtol"),
    ({"maxiter": 0}, ValueError, "maxiter"),
    ({"maxiter": 2.5}, TypeError, "maxiter"),
    ({"bogus": 1}, TypeError, "bogus"),
])
def test_bad_options(kwargs, exc, match):
    A = numopt.poisson_matrix((3, 3))
    with pytest.raises(exc, match=match):
        numopt.solve_sor(A, np.ones(9), **kwargs)


def test_bad_matrices_and_vectors():
    A = numopt.poisson_matrix((3, 3))
    with pytest.raises(ValueError, match="square"):
        numopt.solve_sor(np.ones((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        numopt.solve_sor(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"`b` must have shape \(9,\).*got \(8,\)"):
        numopt.solve_sor(A, np.ones(8))
    with pytest.raises(ValueError, match="`x0` must have shape"):
        numopt.solve_sor(A, np.ones(9), np.ones(10))
    bad = np.ones(9)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="`b` contains NaN"):
        numopt.solve_sor(A, bad)
    with pytest.raises(ValueError, match="`x0` contains NaN"):
        numopt.solve_sor(A, np.ones(9), bad)
    A_inf = A.copy()
    A_inf.data[0] = np.inf
    with pytest.raises(ValueError, match="`A` contains NaN or Inf"):
        numopt.solve_sor(A_inf, np.ones(9))
    D = np.diag([1.0, 0.0, 2.0])
    for symmetric in (False, True):
        with pytest.raises(ValueError, match="row 1"):
            numopt.solve_sor(D, np.ones(3), symmetric=symmetric)
    with pytest.raises(ValueError, match="preconditioner='ssor'.*row 1"):
        numopt.solve_pcg(D, np.ones(3), preconditioner="ssor")
    with pytest.raises(TypeError, match="solve_sor needs the entries"):
        numopt.solve_sor(spla.aslinearoperator(A), np.ones(9))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # numpy deprecates np.matrix
        matrix = np.asmatrix(A.toarray())
    with pytest.raises(TypeError, match="numpy.matrix"):
        numopt.solve_sor(matrix, np.ones(9))
    with pytest.raises(TypeError, match="complex"):
        numopt.solve_sor(A.toarray() + 0j, np.ones(9))
    with pytest.raises(TypeError, match="float32 and float64"):
        numopt.solve_sor(A.toarray().astype(np.float16), np.ones(9, dtype=np.float16))


def test_mixed_namespaces_and_devices():
    strict = pytest.importorskip("array_api_strict")
    A = numopt.poisson_matrix((3, 3))
    b_strict = strict.asarray(np.ones(9), device=strict.Device("device1"))
    with pytest.raises(TypeError, match="different array libraries"):
        numopt.solve_sor(A.toarray(), b_strict)
    A_strict = strict.asarray(A.toarray())  # default device
    with pytest.raises(ValueError, match="different devices"):
        numopt.solve_sor(A_strict, b_strict)


def test_tolerance_below_eps_warns():
    A = numopt.poisson_matrix((3, 3), dtype=np.float32)
    with pytest.warns(numopt.NumoptWarning, match="machine precision"):
        numopt.solve_sor(A, np.ones(9, dtype=np.float32), rtol=1e-9, maxiter=5)
