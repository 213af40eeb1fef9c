"""Hypothesis tests of invariants of the linear solvers."""
import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import numopt

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


def _spd(seed, n):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, n))
    return B @ B.T + n * np.eye(n) * rng.uniform(0.05, 1.0)


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), omega=st.floats(0.05, 1.95))
def test_sor_energy_error_decreases_for_spd(seed, n, omega):
    """For SPD A and 0 < omega < 2 each SOR sweep reduces the A-norm of the error (Ostrowski)."""
    A = _spd(seed, n)
    x_star = np.random.default_rng(seed + 1).standard_normal(n)
    b = A @ x_star
    errors = []
    for k in range(1, 6):
        x = numopt.solve_sor(A, b, omega=omega, maxiter=k, rtol=0.0).x
        e = x - x_star
        errors.append(e @ A @ e)
    e0 = x_star @ A @ x_star
    sequence = np.array([e0] + errors)
    assert np.all(np.diff(sequence) <= 1e-12 * e0)


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30),
       dtype=st.sampled_from([np.float32, np.float64]),
       preconditioner=st.sampled_from([None, "jacobi", "ssor", "ic0"]))
def test_pcg_keeps_dtype_and_meets_stopping_rule(seed, n, dtype, preconditioner):
    A = sp.csr_array(_spd(seed, n).astype(dtype))
    b = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    res = numopt.solve_pcg(A, b, preconditioner=preconditioner, rtol=rtol)
    assert res.x.dtype == dtype
    assert res.success
    residual = np.linalg.norm((b - A @ res.x).astype(np.float64))
    # the solver checks in the working precision; allow its round-off on top of the rule
    slack = 10 * np.finfo(dtype).eps * np.linalg.norm(A.toarray(), 2) * np.linalg.norm(res.x)
    assert residual <= rtol * np.linalg.norm(b.astype(np.float64)) + slack
