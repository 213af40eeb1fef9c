"""solve_pcg: agreement with scipy for every preconditioner, SSOR-PCG counts against the spec's
factors, PyAMG iteration counts, breakdown detection, operators and callables, bad input."""
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import numopt
from numopt._lib._result import Status

from ._xp_testing import xp_assert_close

RTOL = {"float64": 1e-10, "float32": 1e-5}
PRECONDITIONERS = [None, "jacobi", "ssor", "ic0", "amg", "cholmod"]


def _needs(preconditioner):
    if preconditioner == "amg":
        pytest.importorskip("pyamg")
    if preconditioner == "cholmod":
        pytest.importorskip("sksparse.cholmod")


def reference_pcg_counts(A, b, M_inv, rtol, maxiter=1000):
    """Plain PCG (x0 = 0) with an explicit preconditioner solve ``M_inv(r)``; returns iterations."""
    x = np.zeros_like(b)
    r = b.copy()
    z = M_inv(r)
    p = z.copy()
    rz = r @ z
    threshold = rtol * np.linalg.norm(b)
    for k in range(1, maxiter + 1):
        q = A @ p
        alpha = rz / (p @ q)
        x += alpha * p
        r -= alpha * q
        if np.linalg.norm(r) <= threshold:
            return k
        z = M_inv(r)
        rz_new = r @ z
        p = z + (rz_new / rz) * p
        rz = rz_new
    return maxiter


@pytest.mark.parametrize("preconditioner", PRECONDITIONERS)
@pytest.mark.parametrize("grid", [(16, 16), (8, 7, 6)])
def test_matches_spsolve(preconditioner, grid, dtype):
    _needs(preconditioner)
    A = numopt.poisson_matrix(grid, dtype=dtype)
    b = np.random.default_rng(0).standard_normal(A.shape[0]).astype(dtype)
    res = numopt.solve_pcg(A, b, preconditioner=preconditioner, omega=1.4, rtol=RTOL[str(dtype)])
    assert res.success, res.message
    assert res.x.dtype == dtype
    exact = spla.spsolve(A.astype(np.float64).tocsc(), b.astype(np.float64))
    # ||x - x*|| <= cond(A) * rtol * ||x*||; cond <= ~110 for these grids, 10x margin
    assert np.linalg.norm(res.x - exact) <= 10 * 110 * RTOL[str(dtype)] * np.linalg.norm(exact)
    assert np.linalg.norm(b - A @ res.x) <= RTOL[str(dtype)] * np.linalg.norm(b) * 1.001


@pytest.mark.parametrize("preconditioner", PRECONDITIONERS)
def test_random_spd(preconditioner, jit):
    _needs(preconditioner)
    rng = np.random.default_rng(4)
    B = sp.random(80, 80, density=0.05, random_state=rng, dtype=np.float64)
    A = sp.csr_array(B @ B.T + sp.eye_array(80, dtype=np.float64) * 2.0)
    b = rng.standard_normal(80)
    res = numopt.solve_pcg(A, b, preconditioner=preconditioner, omega=1.2, rtol=1e-11)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.linalg.solve(A.toarray(), b), rtol=1e-8, atol=1e-10)


def test_plain_cg_counts_equal_scipy():
    A = numopt.poisson_matrix((20, 20))
    b = np.random.default_rng(5).standard_normal(400)
    calls = []
    x_scipy, info = spla.cg(A, b, rtol=1e-8, callback=lambda xk: calls.append(1))
    res = numopt.solve_pcg(A, b, rtol=1e-8)
    assert info == 0 and res.nit == len(calls)
    np.testing.assert_allclose(res.x, x_scipy, rtol=1e-10)


@pytest.mark.parametrize("omega", [0.7, 1.0, 1.5, 1.9])
def test_ssor_counts_match_spec_factors(omega, jit):
    """M = (D + w L^T) D^-1 (D + w L) / (w (2 - w)), applied with dense solves."""
    A = numopt.poisson_matrix((9, 8))
    Ad = A.toarray()
    D = np.diag(np.diag(Ad))
    L = np.tril(Ad, -1)
    M = (D + omega * L.T) @ np.linalg.inv(D) @ (D + omega * L) / (omega * (2 - omega))
    b = np.random.default_rng(6).standard_normal(A.shape[0])
    expected = reference_pcg_counts(Ad, b, lambda r: np.linalg.solve(M, r), 1e-8)
    res = numopt.solve_pcg(A, b, preconditioner="ssor", omega=omega, rtol=1e-8)
    assert res.nit == expected


def test_amg_iterations_close_to_pyamg():
    pyamg = pytest.importorskip("pyamg")
    A = numopt.poisson_matrix((24, 24, 24))
    b = np.random.default_rng(7).standard_normal(A.shape[0])
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
    residuals = []
    ml.solve(b, tol=1e-8, accel="cg", residuals=residuals)
    res = numopt.solve_pcg(A, b, preconditioner="amg", rtol=1e-8)
    assert res.success
    peer = len(residuals) - 1
    assert abs(res.nit - peer) <= max(1, 0.2 * peer)


@pytest.mark.parametrize("preconditioner", [None, "jacobi", "ssor"])
def test_backends(xp, dtype, preconditioner):
    A = numopt.poisson_matrix((7, 7), dtype=dtype)
    b = np.linspace(1, 2, 49).astype(dtype)
    res = numopt.solve_pcg(xp.asarray(A, dtype=dtype), xp.asarray(b), preconditioner=preconditioner,
                           omega=1.3, rtol=RTOL[str(dtype)])
    assert res.success
    exact = np.linalg.solve(A.toarray().astype(np.float64), b.astype(np.float64))
    xp_assert_close(res.x, exact.astype(dtype), rtol=100 * RTOL[str(dtype)], xp=xp, dtype=dtype)


def test_ssor_numba_and_reference_agree(monkeypatch):
    from numopt._lib import _jit

    A = numopt.poisson_matrix((10, 10))
    b = np.cos(np.arange(100.0))
    out = []
    for disabled in (False, True):
        monkeypatch.setattr(_jit, "JIT_DISABLED", disabled)
        out.append(numopt.solve_pcg(A, b, preconditioner="ssor", omega=1.6, maxiter=6))
    np.testing.assert_allclose(out[0].x, out[1].x, rtol=1e-12)


def test_linear_operator_and_callable_preconditioner():
    A = numopt.poisson_matrix((12, 12))
    b = np.ones(144)
    d = A.diagonal()
    op = spla.aslinearoperator(A)
    M = spla.LinearOperator(A.shape, matvec=lambda r: r / d, dtype=np.float64)
    r1 = numopt.solve_pcg(op, b, preconditioner=M, rtol=1e-10)
    r2 = numopt.solve_pcg(A, b, preconditioner=lambda r: r / d, rtol=1e-10)
    r3 = numopt.solve_pcg(A, b, preconditioner="jacobi", rtol=1e-10)
    assert r1.success and r2.success and r1.nit == r2.nit == r3.nit
    np.testing.assert_allclose(r1.x, r3.x, rtol=1e-12)


def test_flexible_preconditioner_converges():
    """A preconditioner that changes between calls: flexible CG still converges."""
    A = numopt.poisson_matrix((12, 12))
    b = np.ones(144)
    d = A.diagonal()

    class Varying:
        numopt_flexible = True

        def __init__(self):
            self.calls = 0

        def __call__(self, r):
            self.calls += 1
            return r / d * (1.0 + 0.3 * np.sin(self.calls))

    res = numopt.solve_pcg(A, b, preconditioner=Varying(), rtol=1e-10, maxiter=500)
    assert res.success
    np.testing.assert_allclose(A @ res.x, b, atol=1e-8)


def test_not_spd_gives_breakdown():
    A = sp.csr_array(np.diag([1.0, 2.0, -3.0, 4.0]))
    res = numopt.solve_pcg(A, np.ones(4))
    assert res.status == Status.BREAKDOWN and not res.success
    assert "not symmetric positive definite" in res.message
    assert np.all(np.isfinite(res.x))


def test_ic0_breakdown_names_row():
    A = sp.csr_array(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="row 1"):
        numopt.solve_pcg(A, np.ones(2), preconditioner="ic0")


@pytest.mark.parametrize("preconditioner", ["ic0", "amg", "cholmod"])
def test_host_only_preconditioners_reject_other_backends(preconditioner):
    _needs(preconditioner)
    strict = pytest.importorskip("array_api_strict")
    A = strict.asarray(numopt.poisson_matrix((3, 3)).toarray())
    b = strict.ones(9, dtype=strict.float64)
    with pytest.raises(TypeError, match="NumPy"):
        numopt.solve_pcg(A, b, preconditioner=preconditioner)


def test_bad_input():
    A = numopt.poisson_matrix((3, 3))
    b = np.ones(9)
    with pytest.raises(ValueError, match="'jacobi', 'ssor', 'ic0', 'amg', 'cholmod'"):
        numopt.solve_pcg(A, b, preconditioner="ilu")
    with pytest.raises(TypeError, match="preconditioner"):
        numopt.solve_pcg(A, b, preconditioner=3)
    with pytest.raises(ValueError, match="omega"):
        numopt.solve_pcg(A, b, preconditioner="ssor", omega=2.5)
    with pytest.raises(ValueError, match="rtol"):
        numopt.solve_pcg(A, b, rtol=-1e-3)
    with pytest.raises(ValueError, match="maxiter"):
        numopt.solve_pcg(A, b, maxiter=0)
    with pytest.raises(ValueError, match="positive diagonal.*row 2"):
        numopt.solve_pcg(np.diag([1.0, 1.0, 0.0]), np.ones(3), preconditioner="jacobi")
    with pytest.raises(TypeError, match="entries of `A`"):
        numopt.solve_pcg(spla.aslinearoperator(A), b, preconditioner="jacobi")
    with pytest.raises(TypeError):
        numopt.solve_pcg(A, b, tol=1e-3)  # scipy's old name is not silently accepted
