"""``solve_sor``: successive over-relaxation (SOR) and symmetric SOR (SSOR) sweeps."""
import numpy as np

from .._lib._callback import call_callback
from .._lib._capabilities import capabilities
from .._lib._jit import use_jit
from .._lib._result import LinearSolveResult, Status
from .._lib._sparse import csr_arrays, is_sparse, triangle, triangular_solve
from .._lib._validate import check_scalar
from ._system import check_diagonal, linear_result, prepare_system, stop_threshold

__all__ = ["solve_sor"]


@capabilities(numba="sweep", cupy=True, linear_operator=False)
def solve_sor(A, b, x0=None, *, omega=1.0, symmetric=False, rtol=1e-8, atol=0.0, maxiter=10_000,
              callback=None, return_history=False):
    r"""Solve ``A x = b`` by SOR sweeps (SSOR with ``symmetric=True``).

    One sweep updates the unknowns in natural order with the newest values,
    ``x_i <- x_i + omega (b_i - sum_j a_ij x_j) / a_ii``, i.e. ``x <- x + M^{-1}(b - A x)`` with
    ``M = D/omega + L``.  With ``symmetric=True`` a forward sweep is followed by a backward sweep and
    the pair counts as one iteration.

    Parameters
    ----------
    A : (n, n) sparse matrix or dense array
        Matrix with a nonzero diagonal; SOR converges for every SPD ``A`` iff ``0 < omega < 2``.
        NumPy/scipy.sparse inputs run a compiled CSR kernel (numba); CuPy and other array-API
        inputs run sparse triangular solves.
    b : (n,) array
    x0 : (n,) array, optional
        Initial guess (default zeros).
    omega : float
        Relaxation parameter in ``(0, 2)``.
    symmetric : bool
        SSOR instead of SOR.
    rtol, atol : float
        Relative and absolute tolerance of the stopping rule.
    maxiter : int
        Maximum number of sweeps.
    callback : callable, optional
        ``callback(intermediate_result)`` after each sweep, with fields ``x``, ``nit``,
        ``residual``; raising ``StopIteration`` stops the solver (``status`` 99).
    return_history : bool
        Record the residual norm after every sweep (``history[0]`` is the initial one).

    Returns
    -------
    LinearSolveResult
        ``x`` (same namespace, device and dtype as the inputs), ``success``, ``status``,
        ``message``, ``nit`` (sweeps), ``residual`` (``||b - A x||_2`` at exit), ``nmatvec``
        (residual evaluations), and ``history`` if requested.

    See Also
    --------
    solve_pcg : conjugate gradients, with ``preconditioner='ssor'``.
    solve_sor_sequence : SOR over a sequence of systems with a learned ``omega``.

    Notes
    -----
    Stopping rule, tested before the first sweep and after each one on the true residual:

    .. math:: \|b - A x_k\|_2 \le \max(\mathrm{rtol}\,\|b\|_2, \mathrm{atol})

    The compiled kernel evaluates the exact residual of ``x_k`` inside the forward sweep that starts
    ``x_{k+1}`` (row ``i``: the sweep's row residual plus ``sum_{j<i} a_ij (x_{k+1,j} - x_{k,j})``),
    so no extra pass over ``A`` is needed and iteration counts equal those of the textbook loop.

    References
    ----------
    .. [1] D. M. Young, *Iterative Solution of Large Linear Systems*, Academic Press, 1971.
    .. [2] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM, 2003, sec. 4.1.

    Examples
    --------
    >>> import numpy as np, numopt
    >>> A = numopt.poisson_matrix((16, 16))
    >>> res = numopt.solve_sor(A, np.ones(A.shape[0]), omega=1.7, rtol=1e-8)
    >>> res.success, res.nit
    (True, 137)
    """
    omega = check_scalar(omega, name="omega", low=0.0, high=2.0, low_open=True, high_open=True)
    system = prepare_system(A, b, x0, rtol=rtol, atol=atol, maxiter=maxiter, needs_entries="solve_sor")
    xp = system.xp
    diag = check_diagonal(system.A, xp, what="SOR")
    threshold = stop_threshold(system.bnorm, rtol, atol)
    run = _sor_numba if use_jit(xp) and (is_sparse(system.A) or isinstance(system.A, np.ndarray)) \
        else _sor_xp
    return run(system, diag, omega=omega, symmetric=bool(symmetric), threshold=threshold,
               maxiter=maxiter, callback=callback, return_history=return_history)


def _sor_numba(system, diag, *, omega, symmetric, threshold, maxiter, callback, return_history):
    from .._kernels import _sor as kernels

    indptr, indices, data = csr_arrays(system.A, system.dtype)
    x, b = system.x, system.b
    w = omega / diag
    x_prev, backup = np.empty_like(x), np.empty_like(x)
    history = np.empty(maxiter + 1 if return_history else 0)
    args = (indptr, indices, data, w, b, x, x_prev, backup, symmetric, threshold)
    if callback is None:  # the whole solve is one compiled call
        nit, residual, flag = kernels.sor_iterate(*args, 0, maxiter, history)
    else:  # one iteration per call, the callback in between
        nit = 0
        while True:
            nit, residual, flag = kernels.sor_iterate(*args, nit, nit, history)
            if flag != 1 or nit == maxiter:
                break
            if nit > 0 and call_callback(callback, LinearSolveResult(x=x_prev, nit=nit,
                                                                     residual=residual)):
                flag = 99
                break
            nit += 1
    if flag in (1, 99):  # x has advanced one iteration past x^nit
        x[:] = x_prev
    status = {0: Status.SUCCESS, 1: Status.MAXITER, 2: Status.NONFINITE, 99: Status.CALLBACK}[flag]
    return linear_result(status, None, maxiter=maxiter, return_history=return_history, x=x, nit=nit,
                         residual=float(residual), nmatvec=nit + 1,
                         history=history[:nit + 1].tolist())


def _sor_xp(system, diag, *, omega, symmetric, threshold, maxiter, callback, return_history):
    """Reference path: ``x <- x + M^{-1} r`` with sparse (or dense) triangular solves."""
    xp, A, b, x = system.xp, system.A, system.b, system.x
    lower = triangle(A, lower=True, xp=xp, diag_scale=diag / omega)
    upper = triangle(A, lower=False, xp=xp, diag_scale=diag / omega) if symmetric else None
    r = b - A @ x
    residual = float(xp.linalg.vector_norm(r))
    history = [residual]
    nit, status = 0, Status.SUCCESS if residual <= threshold else Status.MAXITER
    last_finite = x
    while status == Status.MAXITER and nit < maxiter:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence: reported as NONFINITE
            x = x + triangular_solve(lower, r, lower=True, xp=xp)
            if symmetric:
                x = x + triangular_solve(upper, b - A @ x, lower=False, xp=xp)
            r = b - A @ x
            residual = float(xp.linalg.vector_norm(r))
        nit += 1
        history.append(residual)
        if not np.isfinite(residual):
            x, status = last_finite, Status.NONFINITE
            break
        last_finite = x
        if residual <= threshold:
            status = Status.SUCCESS
        elif call_callback(callback, LinearSolveResult(x=x, nit=nit, residual=residual)):
            status = Status.CALLBACK
    return linear_result(status, None, maxiter=maxiter, return_history=return_history, x=x, nit=nit,
                         residual=residual, nmatvec=nit + 1 + nit * symmetric, history=history)
