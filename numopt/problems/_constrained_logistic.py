"""Logistic regression with linear and a sphere equality constraint."""
import numpy as np

from ._hock_schittkowski import ConstrainedProblem

__all__ = ["constrained_logistic"]


def constrained_logistic(Z=None, y=None, *, n_samples=1000, n_features=50, n_linear=10, seed=0,
                         hessian="dense"):
    """Logistic regression with linear and norm equality constraints (m = n_linear + 1).

    ``min (1/N_s) sum_i log(1 + exp(-y_i z_i'x))  s.t.  A x = b,  x'x = 1``.

    Without ``(Z, y)`` the data are drawn from ``numpy.random.default_rng(seed)`` in this order:
    ``Z`` standard normal ``(n_samples, n_features)``; ``w = standard_normal(d)/sqrt(d)``;
    ``y_i = +1`` if ``random() < sigmoid(z_i'w)`` else -1.  Then ``A`` (n_linear x d) and ``b``
    standard normal, ``b`` redrawn until ``||A^+ b|| < 0.9`` (the constraints are then feasible).
    ``x0 = 1``, ``lam0 = 1``.  Lagrangian Hessian ``Z' diag(p(1-p)) Z / N_s + 2 lam_m I``.

    Parameters
    ----------
    Z : (N_s, d) array, optional
        Features (with ``y``); labels are mapped to -1/+1 (the larger value is +1).
    y : (N_s,) array, optional
    n_samples, n_features, n_linear : int
        Sizes of the generated problem.
    seed : int
        Seed of the generator.
    hessian : {'dense', 'operator'}
        Return ``hess`` as a dense array or as a ``LinearOperator`` (two products with ``Z``).

    Returns
    -------
    ConstrainedProblem
        ``f_star`` is NaN (not known in closed form); ``objective_hess(x)`` is the Hessian of ``f``.
    """
    from scipy.sparse.linalg import LinearOperator
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    if Z is None:
        Z = rng.standard_normal((n_samples, n_features))
        w = rng.standard_normal(n_features) / np.sqrt(n_features)
        y = np.where(rng.random(n_samples) < expit(Z @ w), 1.0, -1.0)
    else:
        Z = np.asarray(Z, dtype=float)
        labels = np.asarray(y)
        if Z.ndim != 2 or labels.shape != (Z.shape[0],):
            raise ValueError(f"`Z` must be (N_s, d) and `y` (N_s,); got {Z.shape} and {labels.shape}")
        y = np.where(labels == labels.max(), 1.0, -1.0)
    n_s, d = Z.shape
    A = rng.standard_normal((n_linear, d))
    b = rng.standard_normal(n_linear)
    pinv = np.linalg.pinv(A)
    while np.linalg.norm(pinv @ b) >= 0.9:
        b = rng.standard_normal(n_linear)

    def fun(x):
        return float(np.mean(np.logaddexp(0.0, -y * (Z @ x))))

    def jac(x):
        return -(Z.T @ (y * expit(-y * (Z @ x)))) / n_s

    def hess(x, lam):
        p = expit(Z @ x)
        weights = p * (1 - p) / n_s
        if hessian == "operator":
            return LinearOperator((d, d), matvec=lambda v: Z.T @ (weights * (Z @ np.ravel(v)))
                                  + 2 * lam[-1] * np.ravel(v), dtype=np.float64)
        H = (Z.T * weights) @ Z
        H[np.diag_indices(d)] += 2 * lam[-1]
        return H

    constraints = {"type": "eq", "fun": lambda x: np.concatenate([A @ x - b, [x @ x - 1]]),
                   "jac": lambda x: np.vstack([A, 2 * x])}
    return ConstrainedProblem(name=f"constrained logistic {n_s}x{d}", fun=fun, jac=jac, hess=hess,
                              constraints=constraints, x0=np.ones(d), lam0=np.ones(n_linear + 1),
                              f_star=np.nan, objective_hess=lambda x: hess(x, np.zeros(n_linear + 1)))
