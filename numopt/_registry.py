"""Registry of public solvers with a small problem each: drives the contract test, the demo and docs.

Each entry builds its arguments on any backend, so the result contract (fields, ``success == (status
== 0)``, dtype and device kept, ``StopIteration`` in the callback) is checked for every solver alike.
"""
from dataclasses import dataclass, field
from typing import Callable

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
    if xp.__name__.endswith("numpy"):
        return A, b
    if xp.__name__ == "cupy":
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


def _bcd_args(xp, device, dtype):
    import numpy as np

    from .problems import LeastSquares

    rng = np.random.default_rng(0)
    A = rng.standard_normal((20, 6)).astype(dtype)
    b = rng.standard_normal(20).astype(dtype)
    return (LeastSquares(A, b),), {"block_size": 2, "update": "newton", "tol": 1e-4}


def _build():
    from . import linalg, optimize

    return {
        "solve_sor": SolverCase(linalg.solve_sor, _sor_args, fields=("residual", "nmatvec")),
        "solve_sor(symmetric)": SolverCase(linalg.solve_sor, _ssor_args, fields=("residual",)),
        "solve_pcg": SolverCase(linalg.solve_pcg, _pcg_args, fields=("residual", "nmatvec")),
        "minimize_bcd": SolverCase(optimize.minimize_bcd, _bcd_args, backends=("numpy",),
                                   fields=("fun", "nfev", "njev", "nhev")),
    }


SOLVERS = _build()
