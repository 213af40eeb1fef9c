"""``solve_pcg``: preconditioned conjugate gradients (flexible CG for nonlinear preconditioners)."""
import math

import numpy as np

from .._lib._callback import call_callback
from .._lib._capabilities import capabilities
from .._lib._jit import use_jit
from .._lib._result import LinearSolveResult, Status
from ._precond import make_preconditioner
from ._system import linear_result, prepare_system, stop_threshold

__all__ = ["solve_pcg"]


@capabilities(numba="ic0, ssor, tree-sgs", cupy="yes; 'amg', 'ic0', 'cholmod' need NumPy",
              linear_operator=True)
def solve_pcg(A, b, x0=None, *, preconditioner=None, omega=1.0, rtol=1e-8, atol=0.0, maxiter=None,
              callback=None, return_history=False):
    r"""Solve the SPD system ``A x = b`` by preconditioned conjugate gradients.

    Parameters
    ----------
    A : (n, n) sparse matrix, dense array or LinearOperator
        Symmetric positive definite.  Negative curvature ``p^T A p <= 0`` met during the iteration
        stops the solver with ``success=False`` and ``status`` 3 (breakdown).
    b : (n,) array
    x0 : (n,) array, optional
        Initial guess (default zeros).
    preconditioner : None, str, LinearOperator or callable
        ``None`` (plain CG), ``'jacobi'``, ``'ssor'`` (the SSOR preconditioner of Khodak et al. with
        relaxation ``omega``: ``M = (D + omega L^T) D^{-1} (D + omega L) / (omega (2 - omega))``),
        ``'ic0'`` (zero fill-in incomplete Cholesky), ``'amg'`` (one V-cycle of PyAMG smoothed
        aggregation), ``'cholmod'`` (exact sparse Cholesky from scikit-sparse), ``'tree-sgs'``
        (symmetric block Gauss-Seidel over forest blocks, each solved exactly by message passing),
        a LinearOperator or a callable ``r -> M^{-1} r``.  An object with ``numopt_flexible = True`` (e.g. a deep-CG model)
        is treated as a nonlinear preconditioner: flexible CG (Notay's FCG(1)) A-orthogonalises
        each new direction against the previous one, ``beta = -z_{k+1}^T A p_k / p_k^T A p_k``.
        'ic0', 'amg', 'cholmod' and 'tree-sgs' need NumPy/scipy.sparse inputs.  With numba,
        'tree-sgs' runs CG in Eisenstat's split form [4]_: one backward and one forward block
        sweep per step replace the product with ``A`` and the application of ``M^{-1}`` (same
        iterates up to rounding).  The residual is then not updated: between checks of the true
        residual (see Notes) ``residual`` and ``history`` hold the estimate
        ``kappa sqrt(r^T M^{-1} r)``; ``nmatvec`` counts the sweeps' steps and the checks.
    omega : float
        Relaxation parameter of ``preconditioner='ssor'``, in ``(0, 2)``.
    rtol, atol : float
        Relative and absolute tolerance of the stopping rule.
    maxiter : int, optional
        Maximum number of CG steps (default ``10 n``).
    callback : callable, optional
        ``callback(intermediate_result)`` after each step with fields ``x``, ``nit``, ``residual``
        (the recursive residual norm); ``StopIteration`` stops the solver (``status`` 99).
    return_history : bool
        Record the residual norm after every step (``history[0]`` is the initial one).

    Returns
    -------
    LinearSolveResult
        ``x``, ``success``, ``status``, ``message``, ``nit`` (CG steps), ``residual`` (true
        ``||b - A x||_2`` at exit when converged, else the last recursive one), ``nmatvec``,
        ``nprec`` (preconditioner applications) and ``history`` if requested.

    See Also
    --------
    solve_sor : SOR/SSOR sweeps.
    scipy.sparse.linalg.cg : the SciPy equivalent.

    Notes
    -----
    Stopping rule, confirmed on the true residual at exit (if the recursive residual passes but the
    true one does not, the iteration continues from the true residual).  In the split form of
    'tree-sgs' the true residual is computed at the start, at least every 10 steps, once when the
    estimate ``kappa sqrt(r^T M^{-1} r)`` (``kappa`` = true over estimated norm at the last check)
    first falls to 10 times the threshold, and at every step whose estimate meets the rule; it
    stops at the first checked step that meets the rule:

    .. math:: \|b - A x_k\|_2 \le \max(\mathrm{rtol}\,\|b\|_2, \mathrm{atol})

    References
    ----------
    .. [1] M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for solving linear
       systems", J. Res. Nat. Bur. Standards 49 (1952).
    .. [2] Y. Notay, "Flexible conjugate gradients", SIAM J. Sci. Comput. 22 (2000).
    .. [3] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to relax: setting solver
       parameters across a sequence of linear system instances", ICLR 2024.
    .. [4] S. C. Eisenstat, "Efficient implementation of a class of preconditioned conjugate
       gradient methods", SIAM J. Sci. Stat. Comput. 2(1) (1981).

    Examples
    --------
    >>> import numpy as np, numopt
    >>> A = numopt.poisson_matrix((32, 32))
    >>> res = numopt.solve_pcg(A, np.ones(A.shape[0]), preconditioner="ic0", rtol=1e-8)
    >>> res.success, res.nit
    (True, 31)
    """
    system = prepare_system(A, b, x0, rtol=rtol, atol=atol, maxiter=maxiter)
    if maxiter is None:
        maxiter = 10 * system.n
    precond = make_preconditioner(preconditioner, system, omega)
    solver = _pcg if precond.split is None else _pcg_split
    return solver(system, precond, stop_threshold(system.bnorm, rtol, atol), maxiter, callback,
                  return_history)


class _XPVectorOps:
    """CG's vector updates with array operations (any namespace)."""

    @staticmethod
    def dot(a, b):
        return float(a @ b)

    @staticmethod
    def step(x, r, p, q, alpha):
        x += alpha * p
        r -= alpha * q
        return float(r @ r)

    @staticmethod
    def direction(p, z, beta):
        p *= beta
        p += z
        return p


class _NumbaVectorOps:
    """CG's vector updates fused into single passes (NumPy inputs)."""

    def __init__(self):
        from .._kernels import _krylov

        self.kernels = _krylov

    def dot(self, a, b):
        return self.kernels.dot(a, b)

    def step(self, x, r, p, q, alpha):
        return self.kernels.cg_step(x, r, p, q, alpha)

    def direction(self, p, z, beta):
        self.kernels.cg_direction(p, z, beta)
        return p


def _pcg(system, precond, threshold, maxiter, callback, return_history):
    xp, A, b, x = system.xp, system.A, system.b, system.x
    ops = _NumbaVectorOps() if use_jit(xp) and isinstance(x, np.ndarray) else _XPVectorOps()
    identity = precond.name == "none"

    def apply(r):  # M^{-1} r as a fresh array (``r`` is updated in place below)
        z = precond.apply(r)
        return xp.asarray(z, copy=True) if z is r else z

    r = b - A @ x
    nmatvec, nprec = 1, 0
    rr = ops.dot(r, r)
    residual = math.sqrt(rr)
    history = [residual]
    nit, status, message = 0, Status.MAXITER, None
    if residual <= threshold:
        status = Status.SUCCESS
    else:
        z = r if identity else apply(r)
        nprec += not identity
        p = xp.asarray(z, copy=True)
        rz = rr if identity else ops.dot(r, z)
        if not rz > 0:
            status, message = Status.BREAKDOWN, _breakdown_preconditioner(rz, 0)
    while status == Status.MAXITER and nit < maxiter:
        q = A @ p
        nmatvec += 1
        curvature = ops.dot(p, q)
        status, message = _check_curvature(curvature, nit)
        if status != Status.MAXITER:
            break
        alpha = rz / curvature
        rr = ops.step(x, r, p, q, alpha)
        nit += 1
        residual = math.sqrt(rr)
        if residual <= threshold:  # confirm on the true residual before stopping
            r = b - A @ x
            nmatvec += 1
            residual = math.sqrt(ops.dot(r, r))
        history.append(residual)
        if residual <= threshold:
            status = Status.SUCCESS
            break
        if call_callback(callback, LinearSolveResult(x=x, nit=nit, residual=residual)):
            status = Status.CALLBACK
            break
        if identity:
            z, rz_new = r, residual * residual
        else:
            z = apply(r)
            nprec += 1
            rz_new = ops.dot(r, z)
        if not rz_new > 0:
            status, message = Status.BREAKDOWN, _breakdown_preconditioner(rz_new, nit)
            break
        if precond.flexible:  # FCG(1): A-orthogonalise z_new against p, beta = -z^T A p / p^T A p
            beta = -ops.dot(z, q) / curvature
        else:
            beta = rz_new / rz
        p = ops.direction(p, z, beta)
        rz = rz_new
    return linear_result(status, message, maxiter=maxiter, return_history=return_history, x=x,
                         nit=nit, residual=residual, nmatvec=nmatvec, nprec=nprec, history=history)


_NEAR = 10.0  # split form: one true-residual check when the estimate first falls to 10 threshold
_CHECK_EVERY = 10  # ... and one at least every 10 steps (both recalibrate the estimate)


def _pcg_split(system, precond, threshold, maxiter, callback, return_history):
    """:func:`_pcg` for ``M = E Lambda^{-1} E^T`` by Eisenstat's trick: CG on ``E^{-1} A E^{-T}``
    with the diagonal preconditioner ``Lambda^{-1}``, from ``rh = E^{-1} r``; in exact arithmetic
    the same iterates as :func:`_pcg`.  Vectors are kept in the positions of ``precond.split``.

    The residual ``r`` itself is not updated (that would cost the product with ``A`` the split
    form saves): ``||r_k||`` is estimated as ``kappa sqrt(rho_k)``, ``rho_k = rh_k^T Lambda rh_k =
    r_k^T M^{-1} r_k``, with ``kappa = ||r_j|| / sqrt(rho_j)`` at the last step ``j`` where the
    true residual ``b - A x_j`` was computed: at the start, at least every ``_CHECK_EVERY`` steps,
    at the first step whose estimate is at most ``_NEAR`` times the threshold while the last true
    residual was above that, and at every step whose estimate meets the rule.  The solver stops
    at the first checked step whose true residual meets the rule; when a check fails although the
    estimate says converged, CG goes on from the true residual, as :func:`_pcg` does.
    """
    from .._kernels._krylov import split_cg_step

    A, split, dtype = system.A, precond.split, system.dtype
    perm, n = split.perm, system.n

    def unpermuted(v):
        out = np.empty(n, dtype)
        out[perm] = v
        return out

    def true_residual(x):
        r = (system.b - A @ unpermuted(x))[perm]
        return r, float(np.linalg.norm(r))

    x = system.x[perm]
    r, residual = true_residual(x)
    last_true = residual
    rh, p, t, e, u, q = np.empty(n, dtype), np.zeros(n, dtype), *(np.empty(n, dtype)
                                                                   for _ in range(4))
    nmatvec, nprec = 1, 0
    history = [residual]
    nit, status, message, beta, checked = 0, Status.MAXITER, None, 0.0, 0
    if residual <= threshold:
        status = Status.SUCCESS
    else:
        rho = split.transform(r, rh, e, u)
        nprec += 1
        if not rho > 0:
            status, message = Status.BREAKDOWN, _breakdown_preconditioner(rho, 0)
        kappa = residual / math.sqrt(rho) if rho > 0 else 0.0
    while status == Status.MAXITER and nit < maxiter:
        curvature = split.product(rh, beta, p, t, e, u, q)  # p = Lambda rh + beta p first
        nmatvec += 1
        status, message = _check_curvature(curvature, nit)
        if status != Status.MAXITER:
            break
        rho_new = split_cg_step(x, rh, t, q, split.piv, rho / curvature)
        nit += 1
        residual = kappa * math.sqrt(max(rho_new, 0.0))  # estimate
        if residual <= threshold or residual <= _NEAR * threshold < last_true or \
                nit - checked >= _CHECK_EVERY:
            estimate = residual
            r, residual = true_residual(x)
            last_true = residual
            nmatvec += 1
            checked = nit
            if residual > threshold >= estimate:  # go on from the true residual
                rho_new = split.transform(r, rh, e, u)
            if rho_new > 0:
                kappa = residual / math.sqrt(rho_new)
        history.append(residual)
        if residual <= threshold:  # only reached on a checked step
            status = Status.SUCCESS
            break
        if callback is not None and call_callback(  # x is unpermuted only for a callback
                callback, LinearSolveResult(x=unpermuted(x), nit=nit, residual=residual)):
            status = Status.CALLBACK
            break
        nprec += 1
        if not rho_new > 0:
            status, message = Status.BREAKDOWN, _breakdown_preconditioner(rho_new, nit)
            break
        beta, rho = rho_new / rho, rho_new
    return linear_result(status, message, maxiter=maxiter, return_history=return_history,
                         x=unpermuted(x), nit=nit, residual=residual, nmatvec=nmatvec, nprec=nprec,
                         history=history)


def _check_curvature(curvature, nit):
    """``(status, message)`` after the product of step ``nit + 1``: MAXITER (go on) unless
    ``p^T A p`` is not finite or not positive."""
    if not math.isfinite(curvature):
        return Status.NONFINITE, None
    if curvature <= 0:
        return Status.BREAKDOWN, (f"Breakdown: negative curvature p^T A p = {curvature:.3e} <= 0 "
                                  f"at iteration {nit + 1}: `A` is not symmetric positive "
                                  "definite.")
    return Status.MAXITER, None


def _breakdown_preconditioner(rz, nit):
    return (f"Breakdown: r^T M^{{-1}} r = {rz:.3e} is not positive at iteration {nit}: the "
            "preconditioner is not symmetric positive definite (or produced NaN).")
