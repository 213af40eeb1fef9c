"""minimize_bcd's per-row path (numba: cyclic/random and FB gs/gsl/gsd Newton steps built from the
rows a block touches): same iterates as the generic path, the block kernel against NumPy
(gradient, true Hessian, bound step), softmax vs scikit-learn, zero columns, float32."""
import warnings

import numpy as np
import pytest

from numopt._lib import _jit
from numopt.optimize import minimize_bcd
from numopt.problems import LeastSquares, Logistic, Softmax, softmax_data

pytest.importorskip("numba")
if _jit._DISABLED_BY_ENV:
    pytest.skip("the per-row path runs numba kernels (NUMOPT_DISABLE_JIT=1 is set)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def softmax_problem():
    A, Y = softmax_data(120, 40, 6, seed=2)
    Y = Y[:, Y.sum(axis=0) > 0]
    return A, Y


def _problems(softmax_problem):
    A, Y = softmax_problem
    rng = np.random.default_rng(0)
    D = rng.standard_normal((80, 15)) * rng.uniform(0.5, 3.0, 15)
    y = np.sign(D @ rng.standard_normal(15) + rng.standard_normal(80))
    return {"softmax": Softmax(A, Y, l2=0.5), "logistic": Logistic(D, y, l2=0.1),
            "least-squares": LeastSquares(D, rng.standard_normal(80))}


def _monotone(history):
    h = np.asarray(history)
    # Armijo accepts up to 16 eps |F| of rounding: 1e-12 relative is ample
    return bool(np.all(h[1:] <= h[:-1] + 1e-12 * np.abs(h[:-1])))


@pytest.mark.parametrize("name", ["softmax", "logistic", "least-squares"])
@pytest.mark.parametrize("blocks,selection", [("fixed", "cyclic"), ("fixed", "random"),
                                              ("variable", "cyclic"), ("fixed", "gs"),
                                              ("fixed", "gsl"), ("fixed", "gsd")])
def test_per_row_path_takes_the_generic_steps(softmax_problem, name, blocks, selection,
                                              monkeypatch):
    problem = _problems(softmax_problem)[name]
    tau = getattr(problem, "k", 1) * 2  # two whole features (softmax: all classes of each)
    runs = []
    for disabled in (False, True):
        monkeypatch.setattr(_jit, "JIT_DISABLED", disabled)
        runs.append(minimize_bcd(problem, blocks=blocks, block_size=tau, selection=selection,
                                 update="newton", tol=1e-14, maxiter=60, seed=4,
                                 return_history=True))
    fast, ref = runs
    assert fast.nit == ref.nit == 60 and fast.ncoord == ref.ncoord
    # same blocks, Newton steps and Armijo steps; the per-row path sums the objective row by row
    # and incrementally: iterates agree to rounding (1e-9 relative is ample)
    np.testing.assert_allclose(fast.x, ref.x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.history, ref.history, rtol=1e-10)
    assert fast.njev <= 2 and _monotone(fast.history)  # no full gradient per step


def _one_step(problem, x, idx, trials):
    """One block step of the kernel from ``x``: the new x and the per-row state."""
    from numopt.optimize._bcd._updates import ARMIJO_C1, ROUNDING

    state = problem._bcd_row_state(x.copy())
    done, F, counts = state.newton_steps(idx, np.array([0, idx.size]), ROUNDING, ARMIJO_C1,
                                         trials)
    assert done == 1 and not counts[3]
    return state, F[0], counts


@pytest.mark.parametrize("name", ["softmax", "logistic", "least-squares"])
def test_block_kernel_matches_numpy(softmax_problem, name):
    problem = _problems(softmax_problem)[name]
    rng = np.random.default_rng(1)
    x = 0.05 * rng.standard_normal(problem.n)
    idx = np.sort(rng.choice(problem.n, 7, replace=False)).astype(np.int64)  # mixed features
    g = problem.grad(x)[idx]
    H = problem.hess_block(x, idx)  # checked against finite differences in test_minimize_bcd
    state, F, counts = _one_step(problem, x, idx, trials=30)
    # the block gradient of the kernel, from the touched rows only
    np.testing.assert_allclose(state.seen[idx], np.abs(g), rtol=1e-10, atol=1e-12)
    d = state.x[idx] - x[idx]
    newton = -np.linalg.solve(H, g)
    step = np.dot(d, newton) / np.dot(newton, newton)  # an Armijo step 2^-j along the Newton step
    assert np.log2(step) == pytest.approx(round(np.log2(step)), abs=1e-9) and step <= 1 + 1e-9
    np.testing.assert_allclose(d, step * newton, rtol=1e-8, atol=1e-12)
    # the incremental objective is the objective at the new point, and it decreased
    assert F == pytest.approx(problem.fun(state.x), rel=1e-12)
    assert F < problem.fun(x) and counts[1] == 0


@pytest.mark.parametrize("name", ["softmax", "logistic"])
def test_bound_step_when_the_line_search_gives_up(softmax_problem, name):
    problem = _problems(softmax_problem)[name]
    x = np.zeros(problem.n)
    idx = np.arange(4, dtype=np.int64)
    state, F, counts = _one_step(problem, x, idx, trials=0)  # no Armijo trial: the bound step
    assert counts[1] == 1
    d = state.x[idx] - x[idx]
    np.testing.assert_allclose(d, -np.linalg.solve(problem.hess_bound_block(idx),
                                                   problem.grad(x)[idx]), rtol=1e-9)
    assert F < problem.fun(x)  # H_bound >= the Hessian everywhere: a sure decrease


@pytest.mark.parametrize("selection", ["cyclic", "gsl"])
def test_softmax_feature_blocks_match_sklearn(softmax_problem, selection):
    sklearn = pytest.importorskip("sklearn.linear_model")
    A, Y = softmax_problem
    l2 = 0.5
    ref = sklearn.LogisticRegression(C=1 / l2, fit_intercept=False, tol=1e-12,
                                     max_iter=10_000).fit(A, Y.argmax(axis=1))
    problem = Softmax(A, Y, l2=l2)
    res = minimize_bcd(problem, blocks="fixed", block_size=problem.k, selection=selection,
                       update="newton", tol=1e-10, maxiter=200_000, return_history=True)
    assert res.success, res.message
    F_ref = problem.fun(ref.coef_.T.ravel())
    # both solve the strongly convex problem to a ~1e-10 gradient: objectives agree to 1e-9
    assert abs(res.fun - F_ref) <= 1e-9 * F_ref
    assert _monotone(res.history)
    # the stopping rule holds on a fresh full gradient
    assert np.abs(problem.grad(res.x)).max() <= 1e-10 * max(1.0, np.abs(problem.grad(
        np.zeros(problem.n))).max()) * (1 + 1e-6)


def test_zero_column_without_l2(softmax_problem):
    A, Y = softmax_problem
    A = A.toarray()
    A[:, 5] = 0.0
    problem = Softmax(A, Y, l2=0.0)  # separable: a NumoptWarning about that may come too
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = minimize_bcd(problem, blocks="fixed", block_size=problem.k, selection="cyclic",
                           update="newton", maxiter=400)
    assert any("zero columns" in str(w.message) for w in caught)
    k = problem.k
    assert np.all(np.isfinite(res.x)) and np.all(res.x[5 * k:6 * k] == 0.0)


def test_float32_kept_on_the_per_row_path(softmax_problem):
    A, Y = softmax_problem
    problem = Softmax(A.astype(np.float32), Y.astype(np.float32), l2=0.5)
    res = minimize_bcd(problem, blocks="fixed", block_size=problem.k, selection="gs",
                       update="newton", tol=1e-4, maxiter=20_000)
    assert res.x.dtype == np.float32 and res.success, res.message
    ref = Softmax(A, Y, l2=0.5)
    rho0 = np.abs(ref.grad(np.zeros(ref.n))).max()
    # the rule ||g||_inf <= 1e-4 rho0 holds in float64 up to float32 rounding of the products
    assert np.abs(ref.grad(res.x.astype(np.float64))).max() <= 1e-4 * rho0 * 1.01


@pytest.mark.parametrize("selection", ["cyclic", "gs"])
def test_separable_logistic_on_the_per_row_path(selection):
    from numopt import NumoptWarning

    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 10))
    y = np.sign(A @ rng.standard_normal(10))
    with pytest.warns(NumoptWarning, match="no finite minimizer"):
        res = minimize_bcd(Logistic(A, y), blocks="fixed", block_size=2, selection=selection,
                           update="newton", maxiter=2000)
    assert not res.success and res.status == 3
