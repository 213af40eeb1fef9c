"""Min-max gallery: policeman-burglar game, the bilinear QP and saddle of Cai et al., a robust
(distributionally robust) logistic-regression saddle problem."""
from dataclasses import dataclass

import numpy as np

__all__ = ["policeman_burglar", "bilinear_qp", "bilinear_saddle", "robust_logistic_saddle",
           "InclusionProblem"]


@dataclass
class InclusionProblem:
    """``0 ∈ F(z) + G(z)``: ``operator`` (a FiniteSumOperator), ``x0``, ``resolvent`` (or None) and
    the closed-form ``solution`` when one is known (else None)."""

    operator: object
    x0: np.ndarray
    resolvent: object = None
    solution: np.ndarray = None


def policeman_burglar(n=500, *, dtype=np.float64):
    """Payoff ``A`` (n, n) of the policeman-burglar game in the ``min_x max_y x^T A y`` convention.

    House ``j`` has wealth ``w_j = |RandomState(1).randn(n)_j|``; a burglar at ``j`` caught with
    probability ``exp(-0.8 |i - j|)`` by a policeman at ``i`` steals ``w_j (1 - exp(-0.8|i - j|))``
    on average.  The policeman (``x``) minimises, the burglar (``y``) maximises: ``A = A_PB^T`` of
    Cai et al.'s experiment scripts with ``A_PB[i, j] = w_j (1 - exp(-0.8 |i - j|))``.
    """
    wealth = np.abs(np.random.RandomState(1).randn(n))
    idx = np.arange(n)
    A_pb = wealth[None, :] * (1.0 - np.exp(-0.8 * np.abs(idx[:, None] - idx[None, :])))
    return np.ascontiguousarray(A_pb.T, dtype=dtype)


def bilinear_qp(n=200, *, components="paired", sampling="uniform"):
    """Cai et al.'s hard bilinear QP: ``F(x, y) = (H x - h - A^T y, A x - b)``, unconstrained.

    ``A[i, n-1-i] = 1/4``, ``A[i, n-2-i] = -1/4`` (``i < n-1``), ``H = 2 A^T A``, ``b = 1/4``,
    ``h = e_n / 4``; start ``1/n``; solution ``(A^{-1} b, A^{-T}(H x* - h))``.  ``components``:
    'paired' (the authors' ``n`` components, index ``i`` giving ``x_i`` and ``y_i``) or 'columns'
    (the ``2n`` columns of ``M``); see :meth:`numopt.FiniteSumOperator.linear`.  ``sampling``:
    the authors' 'uniform' batches, or 'importance'.
    """
    from ..minimax import FiniteSumOperator

    A = np.zeros((n, n))
    i = np.arange(n)
    A[i, n - 1 - i] = 0.25
    A[i[:-1], n - 2 - i[:-1]] = -0.25
    H = 2.0 * A.T @ A
    b = np.full(n, 0.25)
    h = np.zeros(n)
    h[-1] = 0.25
    M = np.block([[H, -A.T], [A, np.zeros((n, n))]])
    x_star = np.linalg.solve(A, b)
    y_star = np.linalg.solve(A.T, H @ x_star - h)
    op = FiniteSumOperator.linear(M, np.concatenate([-h, -b]), components=components,
                                   sampling=sampling)
    return InclusionProblem(op, np.full(2 * n, 1.0 / n), None, np.concatenate([x_star, y_star]))


def bilinear_saddle(d=100, seed=0):
    """``x^T A y + b^T x - c^T y`` with ``A = I + 0.1 G/sqrt(d)``; solution ``(A^{-T} c, -A^{-1} b)``."""
    from ..minimax import FiniteSumOperator

    rng = np.random.default_rng(seed)
    A = np.eye(d) + 0.1 * rng.standard_normal((d, d)) / np.sqrt(d)
    b, c = rng.standard_normal(d), rng.standard_normal(d)
    solution = np.concatenate([np.linalg.solve(A.T, c), -np.linalg.solve(A, b)])
    return InclusionProblem(FiniteSumOperator.bilinear(A, b, c), np.zeros(2 * d), None, solution)


def robust_logistic_saddle(n=200, d=10, *, l2=1.0, rho=10.0, seed=0):
    r"""Distributionally robust logistic regression as a finite-sum saddle problem.

    ``min_w max_{p in Δ_n} sum_i p_i ℓ_i(w) + (l2/2)||w||^2 - (rho/2)||p - 1/n||^2`` with
    ``ℓ_i(w) = log(1 + exp(-t_i a_i^T w))`` on generated data (a few flipped labels, so the
    adversarial weights ``p`` matter).  Components ``F_i(w, p) = (n p_i ∇ℓ_i(w) + l2 w,
    -n ℓ_i(w) e_i + rho (p - 1/n))``; ``G`` = normal cone of the simplex on ``p``.  At the saddle,
    ``p = proj_simplex(1/n + ℓ(w)/rho)`` and ``w`` is the ``p``-weighted l2-logistic fit.
    """
    from ..minimax import FiniteSumOperator
    from ..prox import project_simplex

    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, d))
    labels = np.sign(features @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n))
    labels[rng.choice(n, n // 20, replace=False)] *= -1.0

    def component(z, idx):
        w, p = z[:d], z[d:]
        a, t = features[idx], labels[idx]
        margin = t * (a @ w)
        sigma = 0.5 * (1.0 - np.tanh(0.5 * margin))  # 1/(1 + exp(margin)), overflow-free
        rows = np.empty((len(idx), d + n))
        rows[:, :d] = (n * p[idx] * (-t) * sigma)[:, None] * a + l2 * w
        rows[:, d:] = rho * (p - 1.0 / n)
        rows[np.arange(len(idx)), d + idx] -= n * np.logaddexp(0.0, -margin)
        return rows

    def resolvent(z, step):
        return np.concatenate([z[:d], project_simplex(z[d:])])

    x0 = np.concatenate([np.zeros(d), np.full(n, 1.0 / n)])
    return InclusionProblem(FiniteSumOperator(component, n, d + n), x0, resolvent)
