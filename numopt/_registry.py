"""Registry of public solvers with a small problem each: drives the contract test, the demo and docs.

Each entry builds its arguments on any backend, so the result contract (fields, ``success == (status
== 0)``, dtype and device kept, ``StopIteration`` in the callback) is checked for every solver alike.
"""
from dataclasses import dataclass, field
from typing import Callable

from ._lib._array_api import is_cupy, is_numpy

__all__ = ["SolverCase", "SOLVERS"]


@dataclass(frozen=True)
class SolverCase:
    """A public solver and a small well-posed problem for it.

    ``make_args(xp, device, dtype)`` returns ``(args, kwargs)`` with arrays on ``xp``/``device``;
    ``output`` names the result field holding the solution array; ``backends`` and ``dtypes`` list
    what the solver supports; ``min_nit`` is the least number of iterations the problem takes (the
    callback test stops it at iteration 2).
    """

    func: Callable
    make_args: Callable
    output: str = "x"
    backends: tuple = ("numpy", "strict", "cupy")
    dtypes: tuple = ("float32", "float64")
    fields: tuple = ()
    extra: dict = field(default_factory=dict)


def _poisson_system(xp, device, dtype, grid=(8, 8)):
    import numpy as np

    from .problems import poisson_matrix

    A = poisson_matrix(grid, dtype=dtype)
    b = np.ones(A.shape[0], dtype=dtype)
    if is_numpy(xp):
        return A, b
    if is_cupy(xp):
        import cupyx.scipy.sparse as csp

        return csp.csr_matrix(A), xp.asarray(b)
    return xp.asarray(A.toarray(), device=device), xp.asarray(b, device=device)


def _sor_args(xp, device, dtype):
    A, b = _poisson_system(xp, device, dtype)
    return (A, b), {"omega": 1.5, "rtol": 1e-5}


def _ssor_args(xp, device, dtype):
    A, b = _poisson_system(xp, device, dtype)
    return (A, b), {"omega": 1.5, "symmetric": True, "rtol": 1e-5}


def _pcg_args(xp, device, dtype):
    A, b = _poisson_system(xp, device, dtype)
    return (A, b), {"preconditioner": "jacobi", "rtol": 1e-5}


def _ot_args(method):
    def make(xp, device, dtype):
        from .problems import ot_point_clouds

        a, b, C, _ = ot_point_clouds(12, 10, random_b=True, seed=0)
        args = tuple(xp.asarray(v.astype(dtype), device=device) for v in (a, b, C))
        tol = 1e-5 if str(dtype) == "float32" else 1e-9
        return (*args, 0.05), {"method": method, "tol": tol}

    return make


def _dcdm_args(xp, device, dtype):
    A, b = _poisson_system(xp, device, dtype)
    return (A, b), {"grid_shape": (8, 8), "rtol": 1e-5, "coarse_grid": 4}  # 8 would be exact


def _inclusion_args(xp, device, dtype):
    import numpy as np

    from .minimax import FiniteSumOperator

    M = np.array([[1.0, 2.0, 0.0], [-2.0, 1.0, 1.0], [0.0, -1.0, 1.0]], dtype=dtype)  # I + skew
    op = FiniteSumOperator.linear(xp.asarray(M, device=device))
    return (op, xp.asarray(np.ones(3, dtype=dtype), device=device)), {"method": "eg", "tol": 1e-4}


def _game_args(xp, device, dtype):
    import numpy as np

    A = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0], [0.2, 0.1, -0.3]], dtype=dtype)
    return (xp.asarray(A, device=device),), {"method": "eg", "tol": 1e-4}


def _sketched_newton_args(xp, device, dtype):
    import numpy as np

    from .problems import hock_schittkowski_xp

    p = hock_schittkowski_xp(7, xp, device)  # callables compute in the input's namespace
    return (p.fun, xp.astype(p.x0, getattr(xp, np.dtype(dtype).name))), {
        "jac": p.jac, "hess": p.hess, "constraints": p.constraints, "sketch": "block-kaczmarz",
        "seed": 0, "tol": 1e-5}


def _bcd_args(xp, device, dtype):
    import numpy as np

    from .problems import LeastSquares

    rng = np.random.default_rng(0)
    A = rng.standard_normal((20, 6)).astype(dtype)
    b = rng.standard_normal(20).astype(dtype)
    if not is_numpy(xp):  # dense data on the device: the vectorised path
        A, b = xp.asarray(A, device=device), xp.asarray(b, device=device)
    return (LeastSquares(A, b),), {"block_size": 2, "update": "newton", "tol": 1e-4}


def _sequence_args(xp, device, dtype):
    A, b = _poisson_system(xp, device, dtype)
    return ([(A, b), (A, 2.0 * b), (A, 3.0 * b)],), {"rtol": 1e-5, "seed": 0, "warm_start": True}


def _build():
    from . import linalg, minimax, optimize, ot
    from ._lib._optional import has_module

    solvers = {
        "solve_sor": SolverCase(linalg.solve_sor, _sor_args, fields=("residual", "nmatvec")),
        "solve_sor(symmetric)": SolverCase(linalg.solve_sor, _ssor_args, fields=("residual",)),
        "solve_pcg": SolverCase(linalg.solve_pcg, _pcg_args, fields=("residual", "nmatvec")),
        **{f"solve_ot({m})": SolverCase(ot.solve_ot, _ot_args(m), output="plan",
                                        fields=("cost", "f", "g", "marginal_error", "n_sinkhorn"))
           for m in ("sns", "sinkhorn-log", "sinkhorn")},
        "solve_monotone_inclusion": SolverCase(minimax.solve_monotone_inclusion, _inclusion_args,
                                               fields=("residual", "n_oracle", "epochs")),
        "solve_matrix_game": SolverCase(minimax.solve_matrix_game, _game_args,
                                        fields=("y", "gap", "value", "residual", "n_oracle")),
        "minimize_sketched_newton": SolverCase(
            optimize.minimize_sketched_newton, _sketched_newton_args,
            fields=("lam", "kkt_residual", "constr_violation", "n_inner", "merit_params", "nmatvec")),
        "minimize_bcd": SolverCase(optimize.minimize_bcd, _bcd_args,
                                   fields=("fun", "nfev", "njev", "nhev")),
        "solve_sor_sequence": SolverCase(linalg.solve_sor_sequence, _sequence_args,
                                         output="x_final",
                                         fields=("x", "omegas", "iterations", "total_iterations")),
    }
    if has_module("torch"):  # the optional `deep` extra
        solvers["solve_dcdm"] = SolverCase(linalg.solve_dcdm, _dcdm_args, backends=("numpy", "cupy"),
                                           fields=("residual", "nmatvec", "nprec"))
    return solvers


SOLVERS = _build()
