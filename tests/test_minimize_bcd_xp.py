"""minimize_bcd's vectorised path on non-NumPy namespaces (array-api-strict on a second device here;
CuPy with a GPU): dense data problems, cyclic/random/gs/gsl selection, lipschitz/newton updates."""
import warnings

import numpy as np
import pytest
import scipy.optimize

from numopt import minimize_bcd
from numopt._lib._array_api import to_numpy
from numopt._lib._validate import NumoptWarning
from numopt.problems import LeastSquares, Logistic, Softmax

from ._xp_testing import xp_assert_close

CONFIGS = [
    {"blocks": "fixed", "block_size": 3, "selection": "gsl", "update": "newton"},
    {"blocks": "fixed", "block_size": 4, "selection": "cyclic", "update": "lipschitz"},
    {"blocks": "variable", "block_size": 3, "selection": "gs", "update": "lipschitz"},
    {"blocks": "variable", "block_size": 3, "selection": "random", "update": "newton", "seed": 1},
    {"blocks": "variable", "block_size": 2, "selection": "cyclic", "update": "lipschitz",
     "seed": 2},
]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 12))
    b = rng.standard_normal(40)
    return A, b


def _on(xp, *arrays):
    return [xp.asarray(a) for a in arrays]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['blocks']}-{c['selection']}-"
                         f"{c['update']}")
def test_least_squares_reaches_lstsq_and_matches_numpy(xp, data, config, monkeypatch):
    from numopt._lib import _jit

    A, b = data
    # the reference is the generic NumPy path; with numba, cyclic/random Newton takes the per-row
    # path, whose stopping test runs after each pass (same steps, up to one pass more)
    monkeypatch.setattr(_jit, "JIT_DISABLED", True)
    res = minimize_bcd(LeastSquares(*_on(xp, A, b)), tol=1e-10, maxiter=20_000, **config)
    ref = minimize_bcd(LeastSquares(A, b), tol=1e-10, maxiter=20_000, **config)
    assert res.success, res.message
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    # ||g||_inf <= 1e-10 ||A'b||_inf with cond(A) ~ 3: x within ~1e-9 of lstsq; assert 1e-7
    xp_assert_close(res.x, x_star, rtol=1e-7, atol=1e-7, xp=xp, dtype="float64")
    # same blocks and steps as the NumPy path: equal up to rounding of the dense products
    assert res.nit == ref.nit
    np.testing.assert_allclose(to_numpy(res.x), ref.x, rtol=1e-10, atol=1e-12)


def test_lasso_kkt_and_nonnegative_ls(xp, data):
    A, b = data
    l1 = 0.3 * float(np.abs(A.T @ b).max())
    res = minimize_bcd(LeastSquares(*_on(xp, A, b)), l1=l1, blocks="variable", block_size=3,
                       selection="gsl", tol=1e-12, maxiter=20_000)
    assert res.success, res.message
    x = to_numpy(res.x)
    g = A.T @ (A @ x - b)
    on = x != 0
    # KKT of the Lasso: g_i = -l1 sign(x_i) on the support, |g_i| <= l1 off it (to the tol)
    np.testing.assert_allclose(g[on], -l1 * np.sign(x[on]), atol=1e-8 * l1)
    assert np.all(np.abs(g[~on]) <= l1 * (1 + 1e-8))
    assert 0 < res.n_active < A.shape[1]
    res = minimize_bcd(LeastSquares(*_on(xp, A, b)), bounds=(0, None), blocks="fixed",
                       block_size=4, selection="gs", tol=1e-12, maxiter=20_000)
    x_nnls = scipy.optimize.nnls(A, b)[0]
    xp_assert_close(res.x, x_nnls, rtol=1e-8, atol=1e-9, xp=xp, dtype="float64")


def test_logistic_and_softmax_match_sklearn(xp, data):
    from sklearn.linear_model import LogisticRegression

    A, _ = data
    rng = np.random.default_rng(1)
    y = np.sign(A @ rng.standard_normal(12) + rng.standard_normal(40))
    sk = LogisticRegression(C=1 / 0.5, fit_intercept=False, tol=1e-12, max_iter=10_000)
    w = sk.fit(A, y).coef_.ravel()
    res = minimize_bcd(Logistic(*_on(xp, A, y), l2=0.5), blocks="fixed", block_size=4,
                       selection="gs", update="newton", tol=1e-10, maxiter=5000)
    assert res.success, res.message
    F_sk = Logistic(A, y, l2=0.5).fun(w)
    # both solve the strongly convex problem to ~1e-10 in the gradient: objectives agree to 1e-9
    assert abs(res.fun - F_sk) <= 1e-9 * F_sk
    xp_assert_close(res.x, w, rtol=1e-5, atol=1e-6, xp=xp, dtype="float64")
    labels = rng.integers(0, 4, 40)
    Y = np.eye(4)[labels]
    res = minimize_bcd(Softmax(*_on(xp, A, Y), l2=0.5), blocks="fixed", block_size=8,
                       selection="gsl", update="newton", tol=1e-10, maxiter=5000)
    assert res.success, res.message
    W = LogisticRegression(C=1 / 0.5, fit_intercept=False, tol=1e-12,
                           max_iter=10_000).fit(A, labels).coef_.T.ravel()
    F_sk = Softmax(A, Y, l2=0.5).fun(W)
    assert abs(res.fun - F_sk) <= 1e-9 * F_sk
    ref = minimize_bcd(Softmax(A, Y, l2=0.5), blocks="fixed", block_size=8, selection="gsl",
                       update="newton", tol=1e-10, maxiter=5000)
    assert res.nit == ref.nit


def test_softmax_newton_line_search_verifies_small_decreases(xp, monkeypatch):
    """Near the solution a Newton step lowers F by less than the rounding of F itself; Armijo on
    the row-by-row change still accepts it (comparing whole objectives stalled: 20,000 steps)."""
    from numopt._lib import _jit
    from numopt.problems import softmax_data

    monkeypatch.setattr(_jit, "JIT_DISABLED", True)  # the vectorised path on NumPy too
    A, Y = softmax_data(n_samples=100, n_features=30, n_classes=5, seed=1)
    res = minimize_bcd(Softmax(*_on(xp, A, Y), l2=1.0), blocks="fixed", block_size=5,
                       selection="gs", update="newton", tol=1e-10, maxiter=20_000)
    assert res.success, res.message
    problem = Softmax(A, Y, l2=1.0)
    ref = scipy.optimize.minimize(problem.fun, np.zeros(problem.n), jac=problem.grad,
                                  method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-16,
                                                              "maxiter": 10_000})
    # both reach a gradient ~1e-10 of a 1-strongly convex F: objectives agree to 1e-12 relative
    assert abs(res.fun - ref.fun) <= 1e-12 * abs(ref.fun)


def test_float32_and_history(xp, data):
    A, b = (a.astype(np.float32) for a in data)
    res = minimize_bcd(LeastSquares(*_on(xp, A, b)), blocks="variable", block_size=4,
                       selection="gs", update="newton", tol=1e-4, maxiter=1000,
                       return_history=True)
    assert res.success, res.message
    x_star = np.linalg.lstsq(A.astype(np.float64), b.astype(np.float64), rcond=None)[0]
    # float32 products: the gradient is exact to ~1e-6 relative, tol 1e-4: x within 1e-3
    xp_assert_close(res.x, x_star.astype(np.float32), rtol=1e-3, atol=1e-3, xp=xp,
                    dtype="float32")
    h = np.asarray(res.history)
    assert np.all(np.diff(h) <= 1e-6 * np.abs(h[:-1]))  # monotone up to float32 rounding


def test_separable_logistic_without_l2_is_no_minimizer(xp):
    A = np.array([[1.0, 0.2], [0.8, -0.1], [-1.0, 0.3], [-0.7, -0.2]])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    with pytest.warns(NumoptWarning, match="no finite minimizer"):
        res = minimize_bcd(Logistic(*_on(xp, A, y)), blocks="fixed", block_size=2,
                           selection="gs", update="lipschitz", maxiter=200)
    assert res.status == 3 and not res.success


@pytest.mark.parametrize("kwargs, match", [
    ({"selection": "gsq"}, "selection='gsq' is not available"),
    ({"selection": "gsd"}, "selection='gsd' is not available"),
    ({"blocks": "tree"}, "blocks='tree' is not available"),
    ({"update": "prox-newton"}, "update='prox-newton' is not available"),
    ({"update": "newton", "l1": 1.0}, "with l1/bounds is not available"),
    ({"update": "message-passing"}, "update='message-passing' is not available"),
])
def test_rules_outside_the_vectorised_path_raise(kwargs, match, data):
    import array_api_strict as xps

    dev = xps.Device("device1")
    A, b = data
    problem = LeastSquares(xps.asarray(A, device=dev), xps.asarray(b, device=dev))
    with pytest.raises(ValueError, match=match):
        minimize_bcd(problem, **kwargs)


def test_x0_from_another_namespace_or_device_raises(data):
    import array_api_strict as xps

    A, b = data
    problem = LeastSquares(xps.asarray(A, device=xps.Device("device1")),
                           xps.asarray(b, device=xps.Device("device1")))
    with pytest.raises(TypeError, match="`x0` must be an array of the problem's namespace"):
        minimize_bcd(problem, x0=np.zeros(12))
    with pytest.raises(TypeError, match="`x0` must be an array of the problem's namespace"):
        minimize_bcd(problem, x0=xps.zeros(12, dtype=xps.float64))  # default device
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = minimize_bcd(problem, x0=xps.ones(12, dtype=xps.float64,
                                                device=xps.Device("device1")), maxiter=3)
    assert res.nit == 3


def test_bad_data_on_the_device_raise(data):
    import array_api_strict as xps

    dev = xps.Device("device1")
    A, b = data
    bad = A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="`A` contains NaN or Inf"):
        LeastSquares(xps.asarray(bad, device=dev), xps.asarray(b, device=dev))
    with pytest.raises(ValueError, match="`b` must have shape"):
        LeastSquares(xps.asarray(A, device=dev), xps.asarray(b[:-1], device=dev))
    with pytest.raises(ValueError, match="labels in"):
        Logistic(xps.asarray(A, device=dev), xps.asarray(np.arange(40.0), device=dev))


def test_zero_column_is_skipped(xp, data):
    A, b = data
    A = A.copy()
    A[:, 5] = 0.0
    with pytest.warns(NumoptWarning, match="L_i = 0"):
        res = minimize_bcd(LeastSquares(*_on(xp, A, b)), blocks="fixed", block_size=1,
                           selection="cyclic", update="newton", tol=1e-10, maxiter=20_000)
    assert res.success, res.message
    x = to_numpy(res.x)
    assert x[5] == 0.0
    keep = np.arange(12) != 5
    # the other coordinates solve the reduced least-squares problem (tolerance as above)
    np.testing.assert_allclose(x[keep], np.linalg.lstsq(A[:, keep], b, rcond=None)[0], rtol=1e-7,
                               atol=1e-7)
