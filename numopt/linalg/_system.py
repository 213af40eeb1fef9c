"""Validation and set-up shared by the linear solvers: ``A x = b`` on one backend and dtype."""
from dataclasses import dataclass

from .._lib._array_api import array_namespace, result_dtype
from .._lib._result import LinearSolveResult, Status, make_result
from .._lib._sparse import astype_matrix, diagonal, has_entries, is_linear_operator
from .._lib._validate import check_int, check_matrix, check_tol, check_vector

__all__ = ["LinearSystem", "prepare_system", "check_diagonal", "stop_threshold", "linear_result"]


@dataclass
class LinearSystem:
    """A validated system: ``A`` (in ``dtype``), ``b``, initial ``x`` (a fresh array), ``bnorm``."""

    xp: object
    device: object
    dtype: object
    A: object
    b: object
    x: object
    n: int
    bnorm: float


def prepare_system(A, b, x0, *, rtol, atol, maxiter=None, needs_entries=None):
    """Validate ``A`` (square, finite), ``b`` and ``x0`` (shape, finite), ``rtol``, ``atol``, ``maxiter``.

    ``needs_entries`` names the feature that needs matrix entries (then a LinearOperator is a
    ``TypeError``).
    """
    xp, device = array_namespace(A, b, x0)
    n = check_matrix(A, name="A")[0]
    if needs_entries and not has_entries(A):
        raise TypeError(f"{needs_entries} needs the entries of `A` (a dense or sparse matrix); got "
                        f"{type(A).__name__}: pass the matrix, or use solve_pcg with preconditioner "
                        "None, a LinearOperator or a callable")
    dtype = result_dtype(A if not is_linear_operator(A) else None, b, x0, xp=xp)
    check_tol(rtol, name="rtol", dtype=dtype)
    check_tol(atol, name="atol")
    if maxiter is not None:
        check_int(maxiter, name="maxiter", low=1)
    b = check_vector(b, n, name="b", xp=xp, dtype=dtype, device=device)
    if x0 is None:
        x = xp.zeros(n, dtype=dtype, device=device)
    else:
        x = xp.asarray(check_vector(x0, n, name="x0", xp=xp, dtype=dtype, device=device), copy=True)
    A = astype_matrix(A, dtype, xp)
    bnorm = float(xp.linalg.vector_norm(b))
    return LinearSystem(xp, device, dtype, A, b, x, n, bnorm)


def check_diagonal(A, xp, *, what, positive=False):
    """The diagonal of ``A``; a zero (or, with ``positive``, non-positive) entry raises, naming the row."""
    d = diagonal(A, xp)
    bad = (d <= 0) if positive else (d == 0)
    if bool(xp.any(bad)):
        row = int(xp.argmax(xp.astype(bad, xp.int32)))
        need = "positive" if positive else "nonzero"
        raise ValueError(f"{what} needs a {need} diagonal; `A` has {float(d[row])!r} on row {row}")
    return d


def stop_threshold(bnorm, rtol, atol):
    """The stopping threshold ``max(rtol * ||b||, atol)``."""
    return max(rtol * bnorm, atol)


def linear_result(status, message, *, maxiter, return_history, **fields):
    """The :class:`LinearSolveResult` of an iterative solver, with the standard messages for
    convergence (the stopping rule) and ``maxiter``; ``message`` is used for other statuses."""
    if status == Status.SUCCESS:
        message = "Converged: ||b - A x|| <= max(rtol*||b||, atol)."
    elif status == Status.MAXITER:
        message = f"Maximum number of iterations (maxiter={maxiter}) reached."
    return make_result(LinearSolveResult, status, message=message, return_history=return_history,
                       **fields)
