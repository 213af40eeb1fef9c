"""Demo rows for the linear solvers: SOR vs PyAMG's sweeps, CG vs SciPy, AMG-PCG vs PyAMG."""
import numpy as np

from .._demo import DemoRow, timed
from ..problems import poisson_matrix
from ._pcg import solve_pcg
from ._sor import solve_sor


def _relative_residual(A, x, b):
    return float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))


def rows(quick):
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    out = []
    grid2 = (48, 48) if quick else (128, 128)
    A = poisson_matrix(grid2)
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    omega = 2 / (1 + np.sin(np.pi / (grid2[0] + 1)))  # Young's optimal omega for this grid
    res, t = timed(solve_sor, A, b, omega=omega, rtol=1e-8, return_history=True)
    try:
        from pyamg.relaxation.relaxation import sor

        Am = sp.csr_matrix(A)
        x = np.zeros_like(b)
        _, t_peer = timed(sor, Am, x, b, omega, iterations=res.nit)
        peer_name, peer_it = "pyamg sor (same sweeps)", res.nit
    except ImportError:
        peer_name, peer_it, t_peer = "pyamg not installed", None, float("nan")
    out.append(DemoRow("solve_sor", f"Poisson {grid2[0]}^2, omega*={omega:.3f}", res.nit, t,
                       _relative_residual(A, res.x, b), peer_name, peer_it, t_peer,
                       results={"SOR": res}))

    grid3 = (24, 24, 24) if quick else (64, 64, 64)
    A = poisson_matrix(grid3)
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    res, t = timed(solve_pcg, A, b, rtol=1e-8, return_history=True)
    _, t_peer = timed(spla.cg, A, b, rtol=1e-8)
    calls = []
    spla.cg(A, b, rtol=1e-8, callback=lambda xk: calls.append(1))
    out.append(DemoRow("solve_pcg", f"Poisson {grid3[0]}^3, no preconditioner", res.nit, t,
                       _relative_residual(A, res.x, b), "scipy cg", len(calls), t_peer,
                       results={"CG": res}))
    try:
        import pyamg

        res_amg, t = timed(solve_pcg, A, b, preconditioner="amg", rtol=1e-8, return_history=True)
        residuals = []

        def peer():
            residuals.clear()
            ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
            return ml.solve(b, tol=1e-8, accel="cg", residuals=residuals)

        _, t_peer = timed(peer)
        out.append(DemoRow("solve_pcg('amg')", f"Poisson {grid3[0]}^3", res_amg.nit, t,
                           _relative_residual(A, res_amg.x, b), "pyamg SA + cg",
                           len(residuals) - 1, t_peer, results={"CG": res, "AMG-PCG": res_amg}))
    except ImportError:
        pass
    return out
