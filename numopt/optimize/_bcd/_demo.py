"""Demo row: minimize_bcd on a Lasso next to scikit-learn's ``Lasso`` (coordinate descent)."""
import numpy as np

from ..._demo import DemoRow, timed

__all__ = ["rows"]


def rows(quick):
    """numopt vs scikit-learn Lasso at lambda_max/10; accuracy = duality gap / P(0)."""
    from sklearn.linear_model import Lasso

    from ...problems import LeastSquares, sparse_regression_data
    from ._minimize import minimize_bcd

    m, p = (200, 2000) if quick else (1000, 10000)
    A, b, _ = sparse_regression_data(m, p, seed=1)
    problem = LeastSquares(A, b)
    l1 = float(np.abs(A.T @ b).max()) / 10
    P0 = 0.5 * float(b @ b)
    res, seconds = timed(minimize_bcd, problem, blocks="variable", block_size=min(p, 2000),
                         selection="gsq", update="prox-newton", l1=l1, tol=1e-7, maxiter=10_000,
                         return_history=True)
    peer, peer_seconds = timed(Lasso(alpha=l1 / m, fit_intercept=False, tol=5e-7,
                                     max_iter=100_000).fit, A, b)
    return [DemoRow(solver="minimize_bcd", problem=f"Lasso {m}x{p} sparse, lambda_max/10",
                    iterations=res.nit, time=seconds,
                    accuracy=problem.duality_gap(res.x, l1) / P0, peer="sklearn Lasso",
                    peer_iterations=int(peer.n_iter_), peer_time=peer_seconds,
                    accuracy_name="gap/P(0)", results={"minimize_bcd (F)": res})]
