"""Demo rows for DCDM: the shipped 3-D model vs plain CG (SciPy) and PyAMG smoothed-aggregation CG."""
import numpy as np

from ..._demo import DemoRow, timed
from ...problems import poisson_matrix, random_field
from ._solve import solve_dcdm


def _relative_residual(A, x, b):
    return float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))


def rows(quick):
    """DCDM vs CG and vs AMG-PCG on 3-D Dirichlet Poisson, held-out white-noise rhs, rtol 1e-6."""
    import scipy.sparse.linalg as spla

    from ..._lib._optional import has_module

    if not has_module("torch"):
        return []
    m = 16 if quick else 32
    A = poisson_matrix((m, m, m))
    b = random_field((m, m, m), seed=2024)
    res, t = timed(solve_dcdm, A, b, grid_shape=(m, m, m), rtol=1e-6, return_history=True,
                   repeat=1 if quick else 3)
    problem = f"Poisson {m}^3, white-noise rhs, rtol 1e-6"
    accuracy = _relative_residual(A, res.x, b)
    calls = []
    _, t_cg = timed(spla.cg, A, b, rtol=1e-6)
    spla.cg(A, b, rtol=1e-6, callback=lambda xk: calls.append(1))
    out = [DemoRow("solve_dcdm", problem, res.nit, t, accuracy, "scipy cg", len(calls), t_cg,
                   results={"DCDM": res})]
    if has_module("pyamg"):
        import pyamg
        import scipy.sparse as sp

        residuals = []

        def amg_pcg():  # setup included: the cost a user pays per matrix
            residuals.clear()
            ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
            return ml.solve(b, tol=1e-6, accel="cg", residuals=residuals)

        _, t_amg = timed(amg_pcg)
        out.append(DemoRow("solve_dcdm", problem, res.nit, t, accuracy, "pyamg SA + cg",
                           len(residuals) - 1, t_amg))
    return out
