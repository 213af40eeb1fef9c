"""Demo row: ``solve_ot`` ('sns') next to POT's ``sinkhorn_log`` on a random assignment problem."""
import warnings

import numpy as np

from .._demo import DemoRow, timed

__all__ = ["rows"]


def _marginal_error(P, a, b):
    return float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())


def rows(quick):
    """One row; POT is capped (it needs ~1e4 iterations here) and its reached error is reported."""
    from ..problems import ot_random_assignment
    from ._solve import solve_ot

    n, reg, cap = (200, 1 / 400, 300) if quick else (500, 1 / 1200, 2000)
    a, b, C, _ = ot_random_assignment(n, seed=0)
    res, seconds = timed(solve_ot, a, b, C, reg, tol=1e-9, return_history=True)
    peer_iterations, peer_time = "-", float("nan")
    try:
        import ot
    except ImportError:
        ot = None
    if ot is not None:
        with warnings.catch_warnings():  # POT warns when capped
            warnings.simplefilter("ignore", UserWarning)
            (P, log), peer_time = timed(ot.bregman.sinkhorn_log, a, b, C, reg, stopThr=1e-9,
                                        numItermax=cap, log=True)
        peer_iterations = f"{log['niter'] + 1} (err {_marginal_error(P, a, b):.1e})"
    problem = f"random assignment n={n}, reg=1/{round(1 / reg)}"
    return [DemoRow(solver="solve_ot(sns)", problem=problem,
                    iterations=res.nit, time=seconds, accuracy=res.marginal_error,
                    accuracy_name="l1 marginal error", peer="POT sinkhorn_log",
                    peer_iterations=peer_iterations, peer_time=peer_time,
                    results={"numopt sns": res})]
