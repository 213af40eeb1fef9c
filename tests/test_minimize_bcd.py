"""minimize_bcd: least squares vs lstsq, quadratics vs spsolve, Lasso vs scikit-learn, logistic and
softmax vs LogisticRegression, forest solves vs dense solves, ordering of the greedy rules, bad input."""
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from numopt import NumoptWarning
from numopt._lib._result import Status
from numopt.optimize import minimize_bcd
from numopt.optimize._bcd._forest import forest_solve
from numopt.problems import (LeastSquares, Logistic, Quadratic, Softmax, forest_partition,
                             lattice_label_propagation, lattice_tree_partition,
                             red_black_partition, sparse_regression_data)

SELECTIONS = ("cyclic", "random", "gs", "gsl", "gsd", "gsq")


@pytest.fixture(scope="module")
def full_rank():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((300, 50)) * rng.uniform(0.5, 2.0, 50)  # unequal column scales
    b = rng.standard_normal(300)
    return A, b, np.linalg.lstsq(A, b, rcond=None)[0]


@pytest.fixture(scope="module")
def regression():
    return sparse_regression_data(200, 2000, seed=1)


@pytest.fixture(scope="module")
def lattice():
    Q, c, labeled = lattice_label_propagation(20, 20, n_labeled=16, seed=1)
    return Q, c, labeled, spl.spsolve(Q.tocsc(), c)


def _monotone(history):
    h = np.asarray(history)
    # each step may not increase F beyond rounding: 1e-12 relative (float64 objective evaluation)
    return bool(np.all(h[1:] <= h[:-1] + 1e-12 * np.abs(h[:-1])))


# -- least squares -----------------------------------------------------------------------------
@pytest.mark.parametrize("blocks", ["fixed", "variable"])
@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("update", ["lipschitz", "newton", "prox-newton"])
def test_least_squares_reaches_lstsq(full_rank, blocks, selection, update):
    A, b, x_star = full_rank
    res = minimize_bcd(LeastSquares(A, b), blocks=blocks, selection=selection, update=update,
                       tol=1e-10, maxiter=100_000, seed=0, return_history=True)
    assert res.success, res.message
    # tol = 1e-10 on ||g||_inf; cond(A) ~ 1e2 so x is accurate to ~1e-8: assert 1e-6
    np.testing.assert_allclose(res.x, x_star, rtol=1e-6, atol=1e-6 * np.abs(x_star).max())
    assert res.residual <= 1e-10 * max(1.0, np.abs(A.T @ b).max())
    assert _monotone(res.history)


@pytest.mark.parametrize("config", [
    {"blocks": "variable", "selection": "gsq", "update": "newton"},
    {"blocks": "variable", "selection": "gsl", "update": "lipschitz", "l1": 30.0},
    {"blocks": "fixed", "selection": "gsd", "update": "prox-newton", "bounds": (-0.02, 0.02)},
    {"blocks": "variable", "selection": "random", "update": "lipschitz"},
])
def test_numba_and_numpy_paths_agree(full_rank, config, monkeypatch):
    from numopt._lib import _jit

    A, b, _ = full_rank
    runs = []
    for disabled in (False, True):
        monkeypatch.setattr(_jit, "JIT_DISABLED", disabled)
        runs.append(minimize_bcd(LeastSquares(A, b), maxiter=40, seed=3, tol=1e-14, **config))
    # same blocks and steps; incremental vs recomputed gradients differ by rounding only
    np.testing.assert_allclose(runs[0].x, runs[1].x, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("blocks", ["fixed", "variable"])
def test_newton_one_block_is_exact(full_rank, blocks):
    A, b, x_star = full_rank
    res = minimize_bcd(LeastSquares(A, b), blocks=blocks, block_size=A.shape[1], selection="gs",
                       update="newton", tol=1e-10)
    assert res.success and res.nit == 1
    np.testing.assert_allclose(res.x, x_star, rtol=1e-9, atol=1e-12)


def test_underdetermined_least_squares_reaches_zero(regression):
    A, b, _ = regression
    res = minimize_bcd(LeastSquares(A[:, :400], b), blocks="variable", block_size=20,
                       selection="gsq", update="newton", tol=1e-10, maxiter=5000)
    assert res.success
    assert res.fun <= 1e-12 * 0.5 * float(b @ b)  # f* = 0 for a consistent system


def test_float32_kept(full_rank):
    A, b, x_star = full_rank
    res = minimize_bcd(LeastSquares(A.astype(np.float32), b.astype(np.float32)),
                       selection="gsl", update="newton", tol=1e-5, maxiter=20_000)
    assert res.x.dtype == np.float32 and res.success
    np.testing.assert_allclose(res.x, x_star, rtol=1e-3, atol=1e-3 * np.abs(x_star).max())


def test_same_seed_same_iterates(full_rank):
    A, b, _ = full_rank
    runs = [minimize_bcd(LeastSquares(A, b), selection="random", maxiter=50, seed=7).x
            for _ in range(2)]
    np.testing.assert_array_equal(*runs)


def test_greedy_beats_random_ordering(regression):
    """Spec sec. 9.5 on the 200 x 2000 instance, tau = 5, 300 iterations (margins >= 15x)."""
    A, b, _ = regression
    pr = LeastSquares(A, b)

    def f(blocks, selection, update="lipschitz"):
        return minimize_bcd(pr, blocks=blocks, selection=selection, update=update, block_size=5,
                            maxiter=300, tol=1e-14, seed=0).fun

    vb_gsl, vb_gs, fb_gs = f("variable", "gsl"), f("variable", "gs"), f("fixed", "gs")
    assert vb_gsl < vb_gs < fb_gs
    assert vb_gsl < 1e-2 * f("fixed", "random")
    assert f("variable", "gsq", "newton") < 1e-3 * vb_gsl


# -- quadratics and message passing --------------------------------------------------------------
@pytest.mark.parametrize("case", ["lattice-combs", "forest-partition", "greedy-tree", "random-tree",
                                  "red-black"])
def test_message_passing_reaches_spsolve(lattice, case):
    Q, c, labeled, x_star = lattice
    blocks, selection = {
        "lattice-combs": (lattice_tree_partition(20, 20, labeled), "cyclic"),
        "forest-partition": ("tree", "cyclic"),
        "greedy-tree": ("tree", "gsl"),
        "random-tree": ("tree", "random"),
        "red-black": (red_black_partition(Q), "cyclic"),
    }[case]
    res = minimize_bcd(Quadratic(Q, c), blocks=blocks, selection=selection,
                       update="message-passing", tol=1e-12, maxiter=20_000, seed=0,
                       return_history=True)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, rtol=1e-8, atol=1e-8 * np.abs(x_star).max())
    f_star = -0.5 * float(c @ x_star)
    assert abs(res.fun - f_star) <= 1e-10 * abs(f_star)
    assert _monotone(res.history)


@pytest.mark.parametrize("selection", ["gs", "gsl", "gsd", "gsq"])
def test_tree_blocks_are_forests_and_greedy_wins(lattice, selection):
    Q, c, labeled, x_star = lattice
    greedy = minimize_bcd(Quadratic(Q, c), blocks="tree", selection=selection,
                          update="message-passing", maxiter=60, tol=1e-14)
    rb = minimize_bcd(Quadratic(Q, c), blocks=red_black_partition(Q), selection="cyclic",
                      update="message-passing", maxiter=60, tol=1e-14)
    f_star = -0.5 * float(c @ x_star)
    assert greedy.fun - f_star < rb.fun - f_star


def _random_forest(rng, n, n_trees):
    parent = np.array([rng.integers(0, i) if i % (n // n_trees) else -1 for i in range(n)])
    child = np.flatnonzero(parent >= 0)
    w = rng.uniform(0.5, 2.0, child.size)
    W = sp.coo_array((w, (child, parent[child])), shape=(n, n))
    W = (W + W.T).tocsr()
    deg = np.asarray(W.sum(axis=1)).ravel()
    Q = sp.diags_array(deg + rng.uniform(0.01, 1.0, n)) - W  # SPD, tree graph
    perm = rng.permutation(n)
    return sp.csr_array(Q[perm][:, perm])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forest_solve_equals_dense_solve(seed, jit):
    rng = np.random.default_rng(seed)
    Q = _random_forest(rng, 300, 4)
    rhs = rng.standard_normal(300)
    x = forest_solve(Q, rhs)
    dense = np.linalg.solve(Q.toarray(), rhs)
    np.testing.assert_allclose(x, dense, rtol=1e-12, atol=1e-12 * np.abs(dense).max())
    nodes = rng.choice(300, 120, replace=False)  # a sub-forest
    x = forest_solve(Q, rhs[:120], nodes)
    dense = np.linalg.solve(Q[nodes][:, nodes].toarray(), rhs[:120])
    np.testing.assert_allclose(x, dense, rtol=1e-12, atol=1e-12 * np.abs(dense).max())


def test_lattice_combs_cover_and_solve_exactly(lattice):
    Q, c, labeled, _ = lattice
    combs = lattice_tree_partition(20, 20, labeled)
    both = np.concatenate(combs)
    assert both.size == Q.shape[0] and np.unique(both).size == Q.shape[0]
    rhs = np.random.default_rng(0).standard_normal(Q.shape[0])
    for comb in combs:
        dense = np.linalg.solve(Q[comb][:, comb].toarray(), rhs[comb])
        np.testing.assert_allclose(forest_solve(Q, rhs[comb], comb), dense, rtol=1e-12,
                                   atol=1e-12 * np.abs(dense).max())


def test_partitions_are_valid(lattice):
    Q, *_ = lattice
    off = sp.csr_array(Q - sp.diags_array(Q.diagonal()))
    for blk in red_black_partition(Q):
        assert off[blk][:, blk].nnz == 0  # Q_bb diagonal
    forests = forest_partition(Q)
    assert sum(b.size for b in forests) == Q.shape[0]
    for blk in forests:
        forest_solve(Q, np.ones(blk.size), blk)  # raises on a cycle


def test_cycle_and_pivot_raise():
    Q = sp.csr_array(np.array([[3.0, 1, 1], [1, 3, 1], [1, 1, 3]]))  # a triangle
    with pytest.raises(ValueError, match="cycle"):
        forest_solve(Q, np.ones(3))
    with pytest.raises(ValueError, match="cycle"):
        minimize_bcd(Quadratic(Q, np.ones(3)), blocks=[np.arange(3)], selection="cyclic",
                     update="message-passing")
    P = sp.csr_array(np.array([[1.0, 2.0], [2.0, 1.0]]))  # positive diagonal, indefinite
    with pytest.raises(ValueError, match="pivot"):
        minimize_bcd(Quadratic(P, np.ones(2)), blocks=[np.arange(2)], selection="cyclic",
                     update="message-passing")


# -- L1 and bounds -------------------------------------------------------------------------------
def _sk_lasso(A, b, alpha, positive=False):
    sklearn = pytest.importorskip("sklearn.linear_model")
    model = sklearn.Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100_000,
                          positive=positive).fit(A.toarray(), b)
    w = model.coef_
    return w, 0.5 * np.sum((A @ w - b) ** 2) + A.shape[0] * alpha * np.abs(w).sum()


@pytest.mark.parametrize("rule, ratio, positive", [
    (("variable", "gsq", "prox-newton", 50), 0.3, False),
    (("variable", "gsq", "prox-newton", 50), 0.3, True),
    (("variable", "gsq", "prox-newton", 200), 0.05, False),
    (("variable", "gsq", "prox-newton", 200), 0.05, True),
    (("variable", "gsl", "lipschitz", 5), 0.3, False),
    (("fixed", "gs", "newton", 5), 0.3, True),
    (("fixed", "gsq", "prox-newton", 10), 0.3, False),
])
def test_lasso_matches_sklearn(regression, positive, ratio, rule):
    A, b, _ = regression
    m = A.shape[0]
    alpha = ratio * np.abs(A.T @ b).max() / m
    w_sk, F_sk = _sk_lasso(A, b, alpha, positive)
    blocks, selection, update, tau = rule
    res = minimize_bcd(LeastSquares(A, b), blocks=blocks, block_size=tau, selection=selection,
                       update=update, l1=m * alpha, bounds=(0, None) if positive else None,
                       tol=1e-11, maxiter=50_000, return_history=True)
    assert res.success, res.message
    # sklearn at tol=1e-12 is itself accurate to ~1e-12 relative: the objectives agree to 1e-8
    assert abs(res.fun - F_sk) <= 1e-8 * F_sk
    np.testing.assert_array_equal(res.x != 0, np.abs(w_sk) > 1e-12 * np.abs(w_sk).max())
    assert res.n_active == np.sum(res.x == 0)
    if not positive:  # the duality-gap certificate closes
        assert 0 <= LeastSquares(A, b).duality_gap(res.x, m * alpha) <= 1e-8 * F_sk
    assert _monotone(res.history)


def test_nonnegative_lasso_active_set_terminates(regression):
    """Spec sec. 9.7: NN-L1, tau = 50, VB, GSQ, prox-newton: F - F* <= 1e-10 F* within 10 its."""
    A, b, _ = regression
    l1 = 0.3 * np.abs(A.T @ b).max()
    w_sk, F_sk = _sk_lasso(A, b, l1 / A.shape[0], positive=True)
    res = minimize_bcd(LeastSquares(A, b), blocks="variable", block_size=50, selection="gsq",
                       update="prox-newton", l1=l1, bounds=(0, None), tol=1e-12, maxiter=10)
    assert res.success, res.message
    assert res.fun - F_sk <= 1e-10 * F_sk
    np.testing.assert_array_equal(res.x > 0, w_sk > 0)
    assert res.identified_at <= res.nit <= 10


def test_random_selection_has_no_finite_termination(regression):
    A, b, _ = regression
    l1 = 0.3 * np.abs(A.T @ b).max()
    res = minimize_bcd(LeastSquares(A, b), blocks="variable", block_size=50, selection="random",
                       update="prox-newton", l1=l1, bounds=(0, None), tol=1e-12, maxiter=10, seed=0)
    assert not res.success and res.status == Status.MAXITER


def test_bounds_box(full_rank):
    A, b, _ = full_rank
    scipy_opt = pytest.importorskip("scipy.optimize")
    ref = scipy_opt.lsq_linear(A, b, bounds=(-0.05, 0.05), tol=1e-14, method="bvls")
    res = minimize_bcd(LeastSquares(A, b), bounds=(-0.05, 0.05), update="newton", tol=1e-12,
                       maxiter=20_000)
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-8)


# -- logistic and softmax ------------------------------------------------------------------------
def test_logistic_l2_matches_sklearn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    A = rng.standard_normal((200, 30))
    y = np.where(A @ rng.standard_normal(30) + rng.standard_normal(200) > 0, 1.0, -1.0)
    l2 = 0.5
    ref = sklearn.LogisticRegression(C=1 / l2, fit_intercept=False, tol=1e-12,
                                     max_iter=10_000).fit(A, y)
    pr = Logistic(A, y, l2=l2)
    for update in ("lipschitz", "newton"):
        res = minimize_bcd(pr, selection="gsl", update=update, tol=1e-10, maxiter=50_000,
                           return_history=True)
        assert res.success, res.message
        # strongly convex (l2 = 0.5): ||x - x*|| <= ||g|| / l2 = 1e-10-level; assert 1e-6
        np.testing.assert_allclose(res.x, ref.coef_.ravel(), atol=1e-6)
        assert abs(res.fun - pr.fun(ref.coef_.ravel())) <= 1e-10 * res.fun
        assert _monotone(res.history)


def test_logistic_labels_01_mapped():
    A = np.random.default_rng(0).standard_normal((20, 3))
    y01 = (A[:, 0] > 0).astype(float)
    a, b = Logistic(A, y01, l2=1.0), Logistic(A, 2 * y01 - 1, l2=1.0)
    x = np.ones(3)
    assert a.fun(x) == b.fun(x)


def test_separable_logistic_warns_no_finite_minimizer():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 10))
    y = np.sign(A @ rng.standard_normal(10))
    with pytest.warns(NumoptWarning, match="no finite minimizer"):
        res = minimize_bcd(Logistic(A, y), selection="gsl", update="newton", maxiter=2000)
    assert not res.success and res.status in (Status.BREAKDOWN, Status.MAXITER)


def test_softmax_matches_sklearn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(1)
    A = rng.standard_normal((150, 12))
    labels = np.argmax(A @ rng.standard_normal((12, 4)) + rng.standard_normal((150, 4)), axis=1)
    Y = np.eye(4)[labels]
    l2 = 1.0
    ref = sklearn.LogisticRegression(C=1 / l2, fit_intercept=False, tol=1e-12,
                                     max_iter=10_000).fit(A, labels)
    pr = Softmax(A, Y, l2=l2)
    res = minimize_bcd(pr, blocks="variable", block_size=8, selection="gsd", update="newton",
                       tol=1e-10, maxiter=20_000, return_history=True)
    assert res.success, res.message
    F_ref = pr.fun(ref.coef_.T.ravel())
    assert abs(res.fun - F_ref) <= 1e-9 * F_ref  # sklearn tol 1e-12: both ~exact
    np.testing.assert_allclose(res.x, ref.coef_.T.ravel(), atol=1e-5)
    assert _monotone(res.history)


# -- user problems (BlockProblem protocol) ----------------------------------------------------------
class _UserLS:
    def __init__(self, A, b, with_bounds=True):
        self.A, self.b, self.n = A, b, A.shape[1]
        self.lipschitz = (A * A).sum(axis=0)
        if with_bounds:
            self.hess_bound_block = lambda idx: A[:, idx].T @ A[:, idx]

    def fun(self, x):
        return 0.5 * float(np.sum((self.A @ x - self.b) ** 2))

    def grad(self, x):
        return self.A.T @ (self.A @ x - self.b)


def test_protocol_problem(full_rank):
    A, b, x_star = full_rank
    res = minimize_bcd(_UserLS(A, b), blocks="fixed", block_size=10, selection="gsd",
                       update="newton", tol=1e-10, maxiter=10_000)
    assert res.success
    np.testing.assert_allclose(res.x, x_star, rtol=1e-6, atol=1e-6 * np.abs(x_star).max())
    res = minimize_bcd(_UserLS(A, b, with_bounds=False), selection="gs", tol=1e-8, maxiter=20_000)
    assert res.success


# -- bad input ---------------------------------------------------------------------------------
def _ls(n=6):
    rng = np.random.default_rng(0)
    return LeastSquares(rng.standard_normal((10, n)), rng.standard_normal(10))


@pytest.mark.parametrize("kwargs, match", [
    ({"block_size": 0}, "block_size"),
    ({"block_size": 7}, "block_size"),
    ({"blocks": "rows"}, "'fixed', 'variable', 'tree'"),
    ({"selection": "best"}, "'cyclic', 'random', 'gs', 'gsl', 'gsd', 'gsq'"),
    ({"update": "exact"}, "'lipschitz', 'newton', 'message-passing', 'prox-newton'"),
    ({"l1": -1.0}, "l1"),
    ({"bounds": (1.0, 0.0)}, "lower"),
    ({"tol": 0.0}, "tol"),
    ({"maxiter": 0}, "maxiter"),
    ({"x0": np.zeros(5)}, "x0"),
    ({"x0": np.array([0, 0, np.nan, 0, 0, 0])}, "x0"),
    ({"blocks": "tree"}, "graph"),
    ({"update": "message-passing"}, "graph"),
    ({"blocks": [np.arange(3), np.arange(2, 6)]}, "disjoint"),
    ({"blocks": [np.arange(3)]}, "cover"),
    ({"blocks": [np.arange(7)]}, "outside"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        minimize_bcd(_ls(), **kwargs)


def test_bad_input_quadratic(lattice):
    Q, c, *_ = lattice
    pr = Quadratic(Q, c)
    with pytest.raises(ValueError, match="forest blocks"):
        minimize_bcd(pr, blocks="fixed", update="message-passing")
    with pytest.raises(ValueError, match="unconstrained"):
        minimize_bcd(pr, blocks="tree", update="message-passing", l1=1.0)
    with pytest.raises(ValueError, match="`c` must have shape"):
        Quadratic(Q, c[:-1])
    with pytest.raises(ValueError, match="NaN"):
        Quadratic(Q, np.full(c.size, np.inf))
    with pytest.raises(ValueError, match="symmetric"):
        Quadratic(sp.csr_array(np.array([[2.0, 1.0], [0.0, 2.0]])), np.ones(2))


@pytest.mark.parametrize("rule", [{"selection": "gsd"}, {"selection": "gsq"}, {"update": "newton"}])
def test_rules_needing_hessian_bounds(full_rank, rule):
    A, b, _ = full_rank
    with pytest.raises(ValueError, match="requires hess_bound_block"):
        minimize_bcd(_UserLS(A, b, with_bounds=False), **rule)


def test_bad_data():
    A = np.ones((4, 3))
    with pytest.raises(ValueError, match="NaN"):
        LeastSquares(np.full((4, 3), np.nan), np.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        LeastSquares(A, np.array([1.0, np.inf, 0, 0]))
    with pytest.raises(ValueError, match=r"`b` must have shape \(4,\)"):
        LeastSquares(A, np.ones(3))
    with pytest.raises(ValueError, match=r"\{-1, \+1\}"):
        Logistic(A, np.array([0.0, 1, 2, 1]))
    with pytest.raises(ValueError, match="one-hot"):
        Softmax(A, np.ones((4, 2)))
    with pytest.raises(ValueError, match="l2"):
        Logistic(A, np.ones(4), l2=-1.0)


def test_zero_column_is_skipped(full_rank):
    A, b, _ = full_rank
    A0 = A.copy()
    A0[:, 3] = 0.0
    ref = np.linalg.lstsq(np.delete(A0, 3, axis=1), b, rcond=None)[0]
    for update in ("lipschitz", "newton"):
        with pytest.warns(NumoptWarning, match="zero columns"):
            res = minimize_bcd(LeastSquares(A0, b), selection="gsl", update=update, tol=1e-10,
                               maxiter=100_000)
        assert res.success and np.all(np.isfinite(res.x)) and res.x[3] == 0.0
        np.testing.assert_allclose(np.delete(res.x, 3), ref, rtol=1e-6, atol=1e-6)


def test_x0_outside_bounds_is_projected(full_rank):
    A, b, _ = full_rank
    with pytest.warns(NumoptWarning, match="outside"):
        res = minimize_bcd(LeastSquares(A, b), x0=np.full(50, 2.0), bounds=(0, 1), maxiter=5)
    assert np.all((res.x >= 0) & (res.x <= 1))


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "nojit"])
def test_softmax_hessian_block_is_the_gradient_jacobian(jit, monkeypatch):
    from numopt._lib import _jit
    from numopt.problems import softmax_data

    monkeypatch.setattr(_jit, "JIT_DISABLED", not jit)
    A, Y = softmax_data(60, 30, 5, seed=2)
    Y = Y[:, Y.sum(axis=0) > 0]
    problem = Softmax(A, Y, l2=0.3)
    rng = np.random.default_rng(0)
    x = 0.05 * rng.standard_normal(problem.n)
    idx = np.sort(rng.choice(problem.n, 12, replace=False))  # mixed features and classes
    H = problem.hess_block(x, idx)
    h = 1e-6
    fd = np.empty_like(H)
    for t, i in enumerate(idx):
        e = np.zeros(problem.n)
        e[i] = h
        fd[:, t] = (problem.grad(x + e)[idx] - problem.grad(x - e)[idx]) / (2 * h)
    # central differences: error O(h^2 |f'''|) plus rounding ~1e-16 |g| / h: 1e-6 relative is ample
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6 * np.abs(H).max())
