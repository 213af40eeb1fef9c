"""Linear-quadratic PDE-constrained control on the unit square's big brother ``[-1, 1]^2``."""
import math

import numpy as np

from ._hock_schittkowski import ConstrainedProblem
from ._poisson import poisson_matrix

__all__ = ["pde_control"]

# f* (alpha = 0.1) from a direct sparse KKT solve, reproduced by the tests for N = 16
PDE_F_STAR = {3: 9.6444420518, 16: 301.8003650431, 32: 1177.8212992260, 64: 4067.7737121306,
              128: 9538.7201533898}


def pde_control(N, alpha=0.1):
    """PDE-constrained control on an N x N interior grid (n = 2 N^2 variables, m = N^2 constraints).

    ``min 0.5 (||w - w_t||^2 + alpha ||u||^2)  s.t.  Lap_h w + u = 0``.

    ``h = 2/(N+1)``, zero Dirichlet boundary, 5-point Laplacian ``(w_W + w_E + w_S + w_N - 4 w_P)/h^2``,
    ``x = (w, u)`` (``n = 2 N^2``, ``m = N^2``, column-major grid order), target
    ``w_t[i, j] = sin(4 + (0.1/sqrt 15)(i - (N+1)/2)) + cos(3 + (0.1/sqrt 15)(j - (N+1)/2))``,
    ``x0 = 1``, ``lam0 = 1``.  Linear-quadratic: one exact Newton step solves it.  The constraint is a
    sparse ``scipy.optimize.LinearConstraint`` and ``hess`` returns a sparse diagonal matrix.

    Parameters
    ----------
    N : int
        Interior grid points per side.
    alpha : float
        Control cost.

    Returns
    -------
    ConstrainedProblem
        ``f_star`` is known for N in 3, 16, 32, 64, 128 with ``alpha = 0.1`` (else NaN).

    References
    ----------
    .. [1] I. Hong, S. Na, M. W. Mahoney, M. Kolar, "Constrained optimization via exact augmented
       Lagrangian and randomized iterative sketching", ICML 2023, arXiv:2305.18379.
    """
    import scipy.sparse as sp
    from scipy.optimize import LinearConstraint

    N = int(N)
    if N < 1:
        raise ValueError(f"`N` must be a positive int; got {N}")
    h = 2.0 / (N + 1)
    lap = -poisson_matrix((N, N)) / h ** 2
    G = sp.csr_array(sp.hstack([lap, sp.eye_array(N * N)]))
    idx = np.arange(1, N + 1) - (N + 1) / 2
    s = 0.1 / math.sqrt(15.0)
    w_t = (np.sin(4 + s * idx)[:, None] + np.cos(3 + s * idx)[None, :]).ravel(order="F")
    weights = np.concatenate([np.ones(N * N), np.full(N * N, float(alpha))])
    target = np.concatenate([w_t, np.zeros(N * N)])
    H = sp.diags_array(weights, format="csr")

    def fun(x):
        d = x - target
        return 0.5 * float(d @ (weights * d))

    f_star = PDE_F_STAR.get(N, math.nan) if alpha == 0.1 else math.nan
    return ConstrainedProblem(
        name=f"PDE control N={N}", fun=fun, jac=lambda x: weights * (x - target), hess=lambda x, lam: H,
        constraints=LinearConstraint(G, np.zeros(N * N), np.zeros(N * N)), x0=np.ones(2 * N * N),
        lam0=np.ones(N * N), f_star=f_star, objective_hess=lambda x: H)
