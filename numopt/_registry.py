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


def _sequence_args(xp, device, dtype):
    A, b = _poisson_system(xp, device, dtype)
    return ([(A, b), (A, 2.0 * b), (A, 3.0 * b)],), {"rtol": 1e-5, "seed": 0, "warm_start": True}


def _build():
    from . import linalg

    return {
        "solve_sor": SolverCase(linalg.solve_sor, _sor_args, fields=("residual", "nmatvec")),
        "solve_sor(symmetric)": SolverCase(linalg.solve_sor, _ssor_args, fields=("residual",)),
        "solve_pcg": SolverCase(linalg.solve_pcg, _pcg_args, fields=("residual", "nmatvec")),
        "solve_sor_sequence": SolverCase(linalg.solve_sor_sequence, _sequence_args,
                                         output="x_final",
                                         fields=("x", "omegas", "iterations", "total_iterations")),
    }


SOLVERS = _build()
