"""Demo row: minimize_sketched_newton vs scipy trust-constr on the PDE-constrained control problem."""
import warnings

import numpy as np

__all__ = ["rows"]


def rows(quick):
    """One :class:`~numopt._demo.DemoRow`: PDE control, N = 16 (quick) or 64, exact KKT solves."""
    from scipy.optimize import minimize

    from .._demo import DemoRow, timed
    from ..problems import pde_control
    from ._sketched_newton import minimize_sketched_newton

    p = pde_control(16 if quick else 64)
    res, seconds = timed(minimize_sketched_newton, p.fun, p.x0, jac=p.jac, hess=p.hess,
                         constraints=p.constraints, lam0=p.lam0, sketch="exact", return_history=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer, peer_seconds = timed(minimize, p.fun, p.x0, jac=p.jac, hess=p.objective_hess,
                                   method="trust-constr", constraints=[p.constraints],
                                   options={"gtol": 1e-8, "xtol": 1e-12})
    error = abs(res.fun - p.f_star) / p.f_star if np.isfinite(p.f_star) else res.kkt_residual
    return [DemoRow(solver="minimize_sketched_newton", problem=p.name, iterations=res.nit, time=seconds,
                    accuracy=error, peer="scipy trust-constr", peer_iterations=peer.nit,
                    peer_time=peer_seconds, accuracy_name="rel. error in f*",
                    results={"sketched Newton (exact)": res})]
