"""Gallery problems of the min-max family, solved and checked against independent references."""
import numpy as np
import pytest

from numopt.minimax import solve_monotone_inclusion
from numopt.problems import bilinear_qp, policeman_burglar, robust_logistic_saddle
from numopt.prox import project_simplex


def test_policeman_burglar_constants():
    # Spec section 8: ||A||_2 = 492.33, ||A||_F = 493.07 for n = 500 (RandomState(1) wealth).
    A = policeman_burglar(500)
    assert np.linalg.norm(A, 2) == pytest.approx(492.33, abs=5e-3)
    assert np.linalg.norm(A) == pytest.approx(493.07, abs=5e-3)


def test_bilinear_qp_solution():
    # Spec section 8: ||z*|| = 1639, ||M||_2 = 0.809, and F(z*) = 0.
    prob = bilinear_qp()
    assert np.linalg.norm(prob.solution) == pytest.approx(1639, abs=0.5)
    assert np.linalg.norm(prob.operator.F(prob.solution)) <= 1e-9 * np.linalg.norm(prob.solution)
    assert np.linalg.norm(prob.operator._M, 2) == pytest.approx(0.809, abs=1e-3)


@pytest.mark.parametrize("method, kwargs", [("eg", {"tol": 1e-6}),
                                            ("vr-halpern-inexact", {"tol": 1e-15, "max_epochs": 300})])
def test_robust_logistic_saddle_against_sklearn(method, kwargs):
    # At the saddle (w, p): w minimises sum_i p_i l_i(w) + (l2/2)||w||^2, i.e. scikit-learn's
    # LogisticRegression(C = 1/l2, no intercept) with sample_weight = p, and p is the closed form
    # proj_simplex(1/n + l(w)/rho).  Both references are applied at the returned p / w.
    LogisticRegression = pytest.importorskip("sklearn.linear_model").LogisticRegression
    n, d, l2, rho = 100, 5, 1.0, 10.0
    prob = robust_logistic_saddle(n, d, l2=l2, rho=rho, seed=0)
    res = solve_monotone_inclusion(prob.operator, prob.x0, resolvent=prob.resolvent, method=method,
                                   seed=0, **kwargs)
    w, p = res.x[:d], res.x[d:]
    rng = np.random.default_rng(0)  # regenerate the data exactly as the gallery does
    features = rng.standard_normal((n, d))
    labels = np.sign(features @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n))
    labels[rng.choice(n, n // 20, replace=False)] *= -1.0
    ref = LogisticRegression(C=1.0 / l2, fit_intercept=False, tol=1e-12, max_iter=10_000)
    ref.fit(features, labels, sample_weight=p)
    losses = np.logaddexp(0.0, -labels * (features @ w))
    p_ref = project_simplex(1.0 / n + losses / rho)
    # The natural residual bounds both errors up to the conditioning (strong convexity l2 = 1 in w,
    # strong concavity rho = 10 in p): a factor 10 of slack.
    tol_w = 10 * max(res.residual, 1e-8) / l2
    np.testing.assert_allclose(w, ref.coef_.ravel(), atol=tol_w)
    np.testing.assert_allclose(p, p_ref, atol=10 * max(res.residual, 1e-8))
    if method == "eg":
        assert res.success, res.message
