"""solve_matrix_game against scipy.optimize.linprog's game value, duality certificates, gallery."""
import numpy as np
import pytest
from scipy.optimize import linprog

from numopt import Status
from numopt.minimax import solve_matrix_game
from numopt.problems import policeman_burglar


def _lp_value(A):
    """v* = min_x max_j (A^T x)_j over the simplex, by HiGHS."""
    m, n = A.shape
    res = linprog(np.r_[np.zeros(m), 1.0], A_ub=np.c_[A.T, -np.ones(n)], b_ub=np.zeros(n),
                  A_eq=np.r_[np.ones(m), 0.0][None], b_eq=[1.0], bounds=[(0, None)] * m + [(None, None)],
                  method="highs")
    assert res.status == 0
    return res.x[-1]


def _check_certificate(res, A):
    x, y = res.x, res.y
    assert np.all(x >= 0) and np.all(y >= 0)
    np.testing.assert_allclose([x.sum(), y.sum()], 1.0, atol=1e-12)
    gap = np.max(A.T @ x) - np.min(A @ y)  # recomputed independently of the solver
    np.testing.assert_allclose(res.gap, gap, atol=1e-12)
    np.testing.assert_allclose(res.value, x @ A @ y, atol=1e-12)
    return gap


@pytest.mark.parametrize("seed, shape", [(0, (8, 5)), (1, (12, 12)), (2, (5, 9))])
def test_value_equals_linprog(seed, shape):
    # EG converges linearly on small games: gap <= 1e-7 certifies |value - v*| <= 1e-7 < 1e-6.
    A = np.random.default_rng(seed).uniform(-1, 1, shape)
    res = solve_matrix_game(A, method="eg", tol=1e-7, max_epochs=2e5)
    assert res.success, res.message
    gap = _check_certificate(res, A)
    assert gap <= 1e-7
    assert abs(res.value - _lp_value(A)) <= 1e-6


@pytest.mark.parametrize("method", ["eg", "eag"])
def test_random_game_spec(method):
    # Spec 9.4 (50 x 40, seed 0): gap <= 1e-3 within 2e4 epochs and |value - v*| <= gap.
    A = np.random.default_rng(0).uniform(-1, 1, (50, 40))
    res = solve_matrix_game(A, method=method, tol=1e-3, max_epochs=2e4)
    assert res.success, res.message
    gap = _check_certificate(res, A)
    assert gap <= 1e-3 and abs(res.value - _lp_value(A)) <= gap


@pytest.mark.slow
def test_random_game_default_method():
    A = np.random.default_rng(0).uniform(-1, 1, (50, 40))
    res = solve_matrix_game(A, tol=1e-3, max_epochs=2e4, seed=0)
    assert res.success, res.message
    gap = _check_certificate(res, A)
    assert abs(res.value - _lp_value(A)) <= gap


def test_default_method_small_game():
    A = np.random.default_rng(4).uniform(-1, 1, (6, 4))
    res = solve_matrix_game(A, tol=1e-3, max_epochs=2e4, seed=0)
    assert res.success, res.message
    gap = _check_certificate(res, A)
    assert gap <= 1e-3 and abs(res.value - _lp_value(A)) <= gap


def test_vr_halpern_stall_is_reported():
    # Spec section 4: Algorithm 1 is not guaranteed on games and stalls on random ones; it must
    # say so (status 3, success False) instead of returning a wrong equilibrium as converged.
    A = np.random.default_rng(0).uniform(-1, 1, (50, 40))
    res = solve_matrix_game(A, method="vr-halpern", tol=1e-4, max_epochs=2e4, seed=0)
    assert not res.success
    assert res.status == 3 and "Stalled" in res.message
    assert res.gap == pytest.approx(_check_certificate(res, A))


def test_policeman_burglar_vr_halpern_short():
    # Spec 9.5 scaled down (default suite): R <= 6.5e-2 by 100 epochs on n = 500 (measured 5.6e-2 to
    # 6.1e-2 at 100 epochs, step 5/||A||_F as in the authors' experiment).
    A = policeman_burglar(500)
    res = solve_matrix_game(A, method="vr-halpern", step=5 / np.linalg.norm(A), tol=1e-12,
                            max_epochs=100, seed=0)
    assert res.residual <= 6.5e-2
    _check_certificate(res, A)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_policeman_burglar_vr_halpern(seed):
    # Spec 9.5: R <= 2e-2 by 1000 epochs (measured 1.47e-2) and <= 6e-3 by 5000.
    A = policeman_burglar(500)
    kwargs = dict(method="vr-halpern", step=5 / np.linalg.norm(A), tol=1e-12, seed=seed)
    assert solve_matrix_game(A, max_epochs=1000, **kwargs).residual <= 2e-2
    assert solve_matrix_game(A, max_epochs=5000, **kwargs).residual <= 6e-3


@pytest.mark.slow
def test_policeman_burglar_vr_halpern_inexact():
    # Spec 9.5: Algorithm 2 with importance sampling R <= 8e-2 by 1000 epochs (measured 4.36e-2).
    A = policeman_burglar(500)
    res = solve_matrix_game(A, tol=1e-12, max_epochs=1000, seed=0)
    assert res.residual <= 8e-2


def test_matches_numpy_on_backend(xp):
    A = np.random.default_rng(3).uniform(-1, 1, (6, 5))
    ref = solve_matrix_game(A, method="vr-halpern-inexact", max_epochs=30, seed=2, tol=1e-12)
    res = solve_matrix_game(xp.asarray(A), method="vr-halpern-inexact", max_epochs=30, seed=2, tol=1e-12)
    from tests._xp_testing import xp_assert_close

    xp_assert_close(res.y, ref.y, atol=1e-10, xp=xp, dtype=np.float64)
    assert res.gap == pytest.approx(ref.gap, abs=1e-10)


def test_callback_and_history():
    A = np.random.default_rng(0).uniform(-1, 1, (4, 3))
    res = solve_matrix_game(A, method="eag", max_epochs=50, tol=1e-12, return_history=True,
                            callback=lambda r: None)
    assert len(res.history) == len(res.history_epochs) >= 10
    assert res.status == Status.BUDGET and not res.success


@pytest.mark.parametrize("A, error, text", [
    (np.ones(3), ValueError, "2-D"),
    (np.ones((0, 3)), ValueError, "empty"),
    (np.array([[1.0, np.inf]]), ValueError, "NaN or Inf"),
    (np.ones((2, 2), dtype=complex), TypeError, "complex"),
])
def test_bad_matrix(A, error, text):
    with pytest.raises(error, match=text):
        solve_matrix_game(A)


@pytest.mark.parametrize("kwargs, text", [
    ({"method": "simplex"}, "`method`"), ({"tol": -1.0}, "`tol`"), ({"step": -1.0}, "`step`"),
    ({"batch_size": 10}, "`batch_size`"), ({"max_epochs": 0}, "`max_epochs`"),
])
def test_bad_options(kwargs, text):
    with pytest.raises(ValueError, match=text):
        solve_matrix_game(np.eye(3), **kwargs)


@pytest.mark.parametrize("method", ["vr-halpern", "vr-halpern-inexact", "vr-eg"])
def test_compiled_paths_keep_dtype_and_stop_on_callback(method, dtype, jit):
    A = np.random.default_rng(5).uniform(-1, 1, (7, 6)).astype(dtype)
    res = solve_matrix_game(A, method=method, max_epochs=50, seed=0, tol=1e-3)
    assert res.x.dtype == dtype and res.y.dtype == dtype
    assert abs(res.x.sum() - 1) <= 1e-5 and abs(res.y.sum() - 1) <= 1e-5  # float32 rounding

    def stop_at_two(r):
        if r.nit == 2:
            raise StopIteration

    res = solve_matrix_game(A, method=method, max_epochs=50, seed=0, tol=1e-6, callback=stop_at_two)
    assert res.status == Status.CALLBACK and res.nit == 2 and not res.success


@pytest.mark.parametrize("method", ["vr-halpern-inexact", "eg"])
def test_zero_game(method):
    # Every strategy pair is an equilibrium of A = 0: the uniform start is returned, gap 0.
    res = solve_matrix_game(np.zeros((3, 2)), method=method)
    assert res.success and res.gap == 0.0 and res.value == 0.0
