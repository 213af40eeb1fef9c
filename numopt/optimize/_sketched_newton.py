"""``minimize_sketched_newton``: equality-constrained Newton-SQP with randomized sketched inner solves
and an exact augmented Lagrangian merit function (AdaSketch-Newton, Hong et al. 2023)."""
import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._lib._array_api import array_namespace, is_numpy, result_dtype
from .._lib._callback import call_callback
from .._lib._capabilities import capabilities
from .._lib._jit import use_jit
from .._lib._optional import lazy_module
from .._lib._result import OptimizeResult, Status, make_result
from .._lib._rng import as_generator
from .._lib._validate import NumoptWarning, check_choice, check_int, check_scalar, check_tol
from ._constraints import as_equality_constraints, check_linear_consistency
from ._sketch import SKETCHES, KKTSystem, default_sketch_size, sketch_solve

sla = lazy_module("scipy.linalg")
sp = lazy_module("scipy.sparse")
spla = lazy_module("scipy.sparse.linalg")

__all__ = ["minimize_sketched_newton"]

ETA1_MAX = 1e8          # penalty limits: beyond them a merely negative directional derivative is accepted
ETA2_MIN = 1e-8
ALPHA_MIN = 1e-12       # line search: at most 40 halvings
RH_TOL = 1e-6           # reduced Hessian lambda_min(Z'HZ) below this -> shift B = H + t I
LICQ_TOL = 1e-10        # lambda_min(G G') <= LICQ_TOL * max(1, ||G||_2^2) -> LICQ fails
DELTA_MIN = {"theory": 1e-6, "practical": 1e-10}
DENSE_EIG_LIMIT = 2000  # m (LICQ) and n (reduced Hessian) up to which dense eigenvalues are used
SPARSE_DENSE_LIMIT = 200  # ... for sparse G / H (larger sparse ones use the sparse tests)
HUTCHINSON_PROBES = 10


@dataclass
class _Point:
    """Iterate ``(x, lam)`` with ``f``, ``g = grad f``, ``c``, ``G``, ``gL = g + G'lam`` and ``H``."""

    x: np.ndarray
    lam: np.ndarray
    f: float
    g: np.ndarray
    c: np.ndarray
    G: object
    gL: np.ndarray
    H: object = None

    def merit(self, eta1, eta2):
        """``M = f + lam'c + (eta1/2)||c||^2 + (eta2/2)||gL||^2``."""
        return (self.f + float(self.lam @ self.c) + 0.5 * eta1 * float(self.c @ self.c)
                + 0.5 * eta2 * float(self.gL @ self.gL))

    def kkt(self):
        return math.sqrt(float(self.gL @ self.gL) + float(self.c @ self.c))


class _Problem:
    """The user's callables with evaluation counters and output checks."""

    def __init__(self, fun, jac, hess, cons, n, xp):
        self.fun, self.jac, self.hess, self.cons, self.n, self.m = fun, jac, hess, cons, n, cons.m
        self.xp = xp
        self.nfev = self.njev = self.nhev = 0
        self.warned_asymmetric = False

    def point(self, x, lam, *, first=False):
        """Evaluate ``f, g, c, G`` at ``(x, lam)``; ``None`` if any is non-finite (``first``: raise)."""
        self.nfev += 1
        self.njev += 1
        f = self.fun(x)
        g = self.jac(x)
        c = self.cons.fun(x)
        G = self.cons.jac(x)
        if first:
            f = _check_output(f, (), "fun", self.xp)
            g = _check_output(g, (self.n,), "jac", self.xp)
            c = _check_output(c, (self.m,), "constraints (stacked c(x))", self.xp)
            G = _check_output(G, (self.m, self.n), "constraints Jacobian (stacked jac)", self.xp)
        if is_numpy(self.xp):
            f, g = float(np.asarray(f).reshape(())), np.asarray(g, dtype=float).ravel()
            G = G if sp.issparse(G) else np.asarray(G, dtype=float)
        else:  # the generic path: dense arrays of the input namespace, computed in float64
            f = float(f) if isinstance(f, (int, float)) else float(self.xp.reshape(f, ()))
            g = self.xp.reshape(self.xp.astype(g, self.xp.float64), (-1,))
            G = self.xp.astype(G, self.xp.float64)
        if not (math.isfinite(f) and _finite(g) and _finite(c) and _finite(G)):
            return None
        return _Point(x, lam, f, g, c, G, g + G.T @ lam)

    def hessian(self, point, *, first=False):
        """``H = hess(x, lam)`` (dense, CSR or LinearOperator), symmetrised; False if non-finite."""
        self.nhev += 1
        H = self.hess(point.x, point.lam)
        if first:
            H = _check_output(H, (self.n, self.n), "hess", self.xp)
        if isinstance(H, spla.LinearOperator):
            point.H = H
            return True
        if not is_numpy(self.xp):
            H = self.xp.astype(H, self.xp.float64)
        else:
            H = sp.csr_array(H, dtype=float) if sp.issparse(H) else np.asarray(H, dtype=float)
        if not _finite(H):
            return False
        asym = _fro(H - H.T)
        if asym > 1e-8 * _fro(H):
            if not self.warned_asymmetric:
                warnings.warn(f"`hess` returned a non-symmetric matrix (||H - H'||_F = {asym:.3e}); "
                              "using (H + H')/2", NumoptWarning, stacklevel=4)
                self.warned_asymmetric = True
            H = 0.5 * (H + H.T)
        point.H = H
        return True


def _check_output_shape(got, shape, name):
    """A callable's output shape ``got`` against the expected ``shape`` (``()``: a scalar)."""
    if shape == ():
        if got not in ((), (1,)):
            raise ValueError(f"`fun` must return a scalar; got shape {got}")
    elif got != shape:
        hint = "; it looks transposed" if len(shape) == 2 and got == shape[::-1] else ""
        raise ValueError(f"`{name}` must return shape {shape}; got {got}{hint}")


def _check_output(value, shape, name, xp):
    if not is_numpy(xp):
        return _check_output_xp(value, shape, name, xp)
    if isinstance(value, spla.LinearOperator) and name != "hess":
        raise TypeError(f"`{name}` must return a dense or sparse array; got a LinearOperator")
    got = tuple(getattr(value, "shape", np.shape(value)))
    _check_output_shape(got, shape, name)
    if not isinstance(value, spla.LinearOperator):
        arr = value.data if sp.issparse(value) else np.asarray(value)
        if np.iscomplexobj(arr) or arr.dtype == object:
            raise TypeError(f"`{name}` must return real values; got dtype {arr.dtype}")
        if not _finite(value):
            raise ValueError(f"`{name}` returned NaN or Inf at x0")
    return value if sp.issparse(value) or isinstance(value, spla.LinearOperator) else np.asarray(value, float)


def _check_output_xp(value, shape, name, xp):
    """:func:`_check_output` for the generic path: a dense array of the input namespace ``xp``."""
    if shape == () and isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"`{name}` returned NaN or Inf at x0")
        return value
    got_xp, _ = array_namespace(value)
    if got_xp is not xp:
        raise TypeError(f"`{name}` must return an array of the namespace of `x0` ({xp.__name__}); "
                        f"got {type(value).__name__}")
    got = tuple(value.shape)
    _check_output_shape(got, shape, name)
    if not xp.isdtype(value.dtype, ("real floating", "integral", "bool")):
        raise TypeError(f"`{name}` must return real values; got dtype {value.dtype}")
    if not _finite(value):
        raise ValueError(f"`{name}` returned NaN or Inf at x0")
    return value


def _finite(A):
    if sp.issparse(A):
        return bool(np.all(np.isfinite(A.data)))
    if isinstance(A, np.ndarray):
        return bool(np.all(np.isfinite(A)))
    xp, _ = array_namespace(A)
    return bool(xp.all(xp.isfinite(A)))


def _fro(A, rng=None):
    """Frobenius norm; for a ``LinearOperator`` the Hutchinson estimate ``sqrt(mean ||A v||^2)``."""
    if isinstance(A, spla.LinearOperator):
        V = rng.choice([-1.0, 1.0], size=(A.shape[1], HUTCHINSON_PROBES))
        return float(np.sqrt(np.mean(np.sum(A.matmat(V) ** 2, axis=0))))
    if sp.issparse(A):
        return float(sp.linalg.norm(A))
    if isinstance(A, np.ndarray):
        return float(np.linalg.norm(A))
    xp, _ = array_namespace(A)
    return float(xp.linalg.vector_norm(A))


def _licq(G, *, value):
    """LICQ test ``lambda_min(G G') > LICQ_TOL * max(1, lambda_max(G G'))``; returns ``(ok, xi_G)``.

    ``m <= 2000`` (sparse ``G``: 200): dense eigenvalues.  Else ``lambda_max`` is bounded by Gershgorin, and
    ``G G' - tau I`` tested by a sparse Cholesky factorisation (scikit-sparse) unless the value
    ``xi_G = lambda_min`` is needed (``value=True``, theory mode) or CHOLMOD is missing, in which case
    shift-invert Lanczos at 0 computes it (``xi_G`` is None when not computed).

    The tolerance is relative to ``||G||_2^2``, not ``||G||_F^2`` as in the spec: the Frobenius norm
    grows with ``m`` and flagged the well-posed PDE problem at N = 128 (``||G||_F^2 = 5.7e12``).
    """
    GGt = G @ G.T
    if not sp.issparse(G) and not isinstance(G, np.ndarray):  # generic path: dense, any size
        xp, _ = array_namespace(G)
        eigs = xp.linalg.eigvalsh(GGt)
        low, high = float(eigs[0]), float(eigs[-1])
        return low > LICQ_TOL * max(1.0, high), low
    if G.shape[0] <= (SPARSE_DENSE_LIMIT if sp.issparse(G) else DENSE_EIG_LIMIT):
        eigs = sla.eigvalsh(GGt.toarray() if sp.issparse(GGt) else GGt)
        return bool(eigs[0] > LICQ_TOL * max(1.0, eigs[-1])), float(eigs[0])
    GGt = sp.csc_array(GGt)
    tau = LICQ_TOL * max(1.0, float(abs(GGt).sum(axis=1).max()))
    if not value:
        try:
            from sksparse.cholmod import CholmodNotPositiveDefiniteError, cholesky
        except ImportError:
            pass
        else:
            try:
                cholesky(sp.csc_matrix(GGt), beta=-tau)
                return True, None
            except CholmodNotPositiveDefiniteError:
                pass
    try:
        xi_G = float(sp.linalg.eigsh(GGt, k=1, sigma=0, which="LM", return_eigenvectors=False)[0])
    except RuntimeError:  # exactly singular factorisation
        xi_G = 0.0
    return xi_G > tau, xi_G


def _reduced_hessian_min(H, G):
    """``lambda_min(Z'HZ)`` with ``Z`` an orthonormal null-space basis of ``G`` (complete QR of ``G'``)."""
    m = G.shape[0]
    if not sp.issparse(G) and not isinstance(G, np.ndarray):  # generic path (dense)
        xp, _ = array_namespace(G)
        Z = xp.linalg.qr(G.T, mode="complete").Q[:, m:]
        R = Z.T @ (H @ Z)
        return float(xp.linalg.eigvalsh(0.5 * (R + R.T))[0])
    Q = sla.qr(G.toarray().T if sp.issparse(G) else G.T, mode="full")[0]
    Z = Q[:, m:]
    HZ = H.matmat(Z) if isinstance(H, spla.LinearOperator) else H @ Z
    R = Z.T @ HZ
    return float(sla.eigvalsh(0.5 * (R + R.T), subset_by_index=[0, 0])[0])


class _Accuracy:
    """The inner accuracy test ``||K z - b|| <= theta delta ||b|| / kappa`` and ``delta_trial``."""

    def __init__(self, accuracy, point, shift, xi_G, xi_B, beta, rng):
        self.beta = beta
        if accuracy == "practical":
            self.kappa, self.psi, self.ups = 1.0, None, None
            self.theta = min(1.0, point.kkt())
            return
        H, G = point.H, point.G
        n = point.x.size
        normH, normG = _fro(H, rng), _fro(G)
        if isinstance(H, spla.LinearOperator):
            normB = _fro(H + shift * sp.linalg.aslinearoperator(sp.eye_array(n)), rng)
        elif sp.issparse(H):
            normB = _fro(H + shift * sp.eye_array(n))
        else:
            normB = _fro(H + shift * _eye_like(H))
        self.psi = 20.0 * max(normB ** 2, 1.0) / (min(xi_G, 1.0) * min(xi_B, 1.0))
        self.ups = max(normG, normH, 1.0)
        self.kappa = math.sqrt(normB ** 2 + 2.0 * normG ** 2) * self.psi
        self.theta = 1.0

    def delta_trial(self, eta1, eta2):
        if self.psi is None:
            return math.inf
        return (0.5 - self.beta) * eta2 / ((1.0 + eta1 + eta2) * self.ups ** 2 * self.psi ** 2)


def _eye_like(H):
    """The identity of ``H``'s (dense) namespace, dtype and device."""
    if isinstance(H, np.ndarray):
        return np.eye(H.shape[0])
    xp, device = array_namespace(H)
    return xp.eye(H.shape[0], dtype=H.dtype, device=device)


def _validate_x0(x0):
    """``(x in float64, output dtype, xp, device)``; the one namespace/device detection of a call."""
    try:
        xp, device = array_namespace(x0)
    except TypeError as exc:
        raise TypeError(f"`x0` must be a 1-D real array; {exc}") from None
    if not is_numpy(xp):
        out_dtype = result_dtype(x0, xp=xp)
        if x0.ndim != 1 or x0.shape[0] == 0:
            raise ValueError(f"`x0` must be a non-empty 1-D array; got shape {tuple(x0.shape)}")
        x = xp.astype(x0, xp.float64, copy=True)
        if not _finite(x):
            raise ValueError("`x0` contains NaN or Inf entries")
        return x, out_dtype, xp, device
    arr = np.asarray(x0)
    if arr.dtype == object or np.iscomplexobj(arr):
        raise TypeError(f"`x0` must be real floating (or integer); got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`x0` must be a non-empty 1-D array; got shape {arr.shape}")
    out_dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("`x0` contains NaN or Inf entries")
    return arr, out_dtype, xp, device


def _validate_lam0(lam0, m, xp, device):
    if lam0 is None:
        return xp.zeros(m, dtype=xp.float64, device=device)
    if not is_numpy(xp):
        try:
            array_namespace(lam0, xp.zeros(0, device=device))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"`lam0` must be an array of the namespace and device of `x0`; {exc}") from None
        if tuple(lam0.shape) != (m,):
            raise ValueError(f"`lam0` must have shape ({m},) to match the constraints; got "
                             f"{tuple(lam0.shape)}")
        result_dtype(lam0, xp=xp)  # TypeError for complex
        lam = xp.astype(lam0, xp.float64, copy=True)
    else:
        lam = np.asarray(lam0)
        if lam.shape != (m,):
            raise ValueError(f"`lam0` must have shape ({m},) to match the constraints; got {lam.shape}")
        if np.iscomplexobj(lam) or lam.dtype == object:
            raise TypeError(f"`lam0` must be real; got dtype {lam.dtype}")
        lam = lam.astype(np.float64)
    if not _finite(lam):
        raise ValueError("`lam0` contains NaN or Inf entries")
    return lam


@capabilities(numba="sketch", cupy=True, linear_operator="hess")
def minimize_sketched_newton(fun, x0, *, jac, hess, constraints, lam0=None, sketch="exact",
                             sketch_size=None, accuracy="practical", xi_B=0.1, eta1=1.0, eta2=0.1,
                             delta=0.1, beta=0.1, nu=1.5, tol=1e-6, maxiter=1000, max_inner=100_000,
                             seed=None, callback=None, return_history=False):
    r"""Minimize ``f(x)`` subject to ``c(x) = 0`` by sketched Newton steps on the KKT system.

    Each outer iteration solves the Lagrange-Newton system ``K z = -(grad_x L, c)``,
    ``K = [[H + t I, G'], [G, 0]]``, inexactly with a randomized sketch-and-project solver
    (warm-started while the accuracy and penalties adapt), and steps along ``z = (dx, dlam)`` with
    an Armijo line search on the exact augmented Lagrangian

    .. math:: M_\eta(x, \lambda) = f + \lambda^T c + \tfrac{\eta_1}{2}\|c\|^2
              + \tfrac{\eta_2}{2}\|\nabla_x L\|^2 .

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``.
    x0 : (n,) array
        Starting point (integers are cast to float64; float32 results are returned as float32,
        the iteration runs in float64).  A NumPy array runs the NumPy/scipy path (sparse and
        operator Hessians, compiled Kaczmarz kernels); an array of any other array-API namespace
        (CuPy, array-api-strict) runs the generic dense path on its device: then ``fun``, ``jac``,
        ``hess`` and the constraint callables must return dense arrays of that namespace (``fun``
        may return a Python float), and ``x``, ``lam`` come back in it, on the same device.
    jac : callable
        ``jac(x) -> (n,)`` gradient of ``fun``.
    hess : callable
        ``hess(x, lam) -> (n, n)`` Hessian of the Lagrangian ``f + lam'c`` (dense array, sparse
        matrix or ``scipy.sparse.linalg.LinearOperator``).
    constraints : dict, list of dict, NonlinearConstraint or LinearConstraint
        Equality constraints, scipy style: ``{'type': 'eq', 'fun': c, 'jac': J}`` (``J(x)`` of
        shape ``(k, n)``, dense or sparse), or ``NonlinearConstraint``/``LinearConstraint`` with
        ``lb == ub`` (``c = fun(x) - lb``, ``c = A x - lb``); stacked in the given order, ``m <= n``.
    lam0 : (m,) array, optional
        Initial multipliers (default zeros).
    sketch : {'kaczmarz', 'block-kaczmarz', 'gaussian', 'block-gaussian', 'count', 'exact'}
        Inner solver: uniform row(s) of ``K``, Gaussian vector(s), count sketch, or a direct solve
        (dense LU, sparse ``splu``; ``xp.linalg.solve`` on the generic path).  'exact' with a
        ``LinearOperator`` Hessian runs projected CG [3]_ to the inner accuracy rule (and to the
        relative reduction ``theta delta / kappa`` of the projected gradient); non-positive
        curvature in ``null(G)`` found by CG triggers the shift ``t``.  The default 'exact' is
        the fastest and most robust choice on a CPU for every gallery problem; plain 'kaczmarz'
        reaches the ``max_inner`` cap in every outer iteration on the degenerate HS26/46/49 and
        stops at ``maxiter`` there.  The sketches are the randomized method of [1]_.
    sketch_size : int, optional
        Block size ``q`` of 'block-kaczmarz', 'block-gaussian' and 'count' (default
        ``min(N, max(2, ceil(sqrt(N))))``, ``N = n + m``); 'kaczmarz'/'gaussian' use ``q = 1``.
    accuracy : {'practical', 'theory'}
        Inner accuracy rule ``||K z - b|| <= theta delta ||b|| / kappa``: 'theory' is the paper's
        (``theta = 1``, ``kappa = ||K||_F psi``, ``delta <= delta_trial(eta)``); 'practical' uses
        ``kappa = 1``, ``theta = min(1, ||b||)`` (superlinear local rate) and needs far fewer steps.
    xi_B : float
        Shift ``t = xi_B + ||H||_F`` applied when the reduced Hessian ``Z'HZ`` is not positive
        definite (tested by eigenvalues for ``n <= 2000``, by projected CG for 'exact' with an
        operator ``H``, otherwise by ``dx'B dx``).
    eta1, eta2 : float
        Initial merit penalties (``eta1 *= nu**2``, ``eta2 /= nu`` until the descent test holds).
    delta : float
        Initial inner accuracy in ``(0, 1)`` (``delta /= nu**4`` with each penalty update).
    beta : float
        Armijo constant in ``(0, 0.5)``.
    nu : float
        Penalty update factor, ``> 1``.
    tol : float
        Stopping tolerance on the KKT residual (absolute).
    maxiter : int
        Maximum number of outer (Newton) iterations.
    max_inner : int
        Sketch steps per inner pass (reaching it is not an error: the descent test decides).
    seed : None, int or numpy.random.Generator
        Randomness of the sketches; same seed, same iterates.
    callback : callable, optional
        ``callback(intermediate_result)`` after each outer iteration with ``x``, ``lam``,
        ``kkt_residual`` and ``nit``; raising ``StopIteration`` stops (``status`` 99).
    return_history : bool
        Record the KKT residual per iteration (``history``) and per-step details
        (``step_history``: alpha, inner steps, merit before/after, directional derivative,
        penalties, delta).

    Returns
    -------
    OptimizeResult
        ``x``, ``lam``, ``fun``, ``success``, ``status`` (0 converged, 1 maxiter, 3 breakdown: LICQ
        lost, line search below ``alpha = 1e-12``, or no descent at the penalty limits, 4 NaN/Inf,
        99 callback), ``message``, ``nit``, ``nfev``, ``njev`` (gradient and constraint Jacobian
        evaluations), ``nhev``, ``nmatvec`` (products of ``K`` with a vector; a block of ``q``
        counts ``q``), ``n_inner`` (sketch steps, direct solves or CG steps), ``n_inner_capped``
        (passes that hit ``max_inner``), ``kkt_residual`` (``||(grad_x L, c)||_2``),
        ``constr_violation`` (``||c||_inf``), ``merit_params`` (final ``eta1``, ``eta2``,
        ``delta``) and, if requested, ``history`` and ``step_history``.

    Raises
    ------
    ValueError, TypeError
        For invalid input (shapes, non-finite values at ``x0``, out-of-range parameters, no or
        inequality constraints, ``m > n``, inconsistent or rank-deficient linear constraints, a
        constraint Jacobian at ``x0`` violating LICQ).

    See Also
    --------
    scipy.optimize.minimize : ``method='trust-constr'`` and ``'SLSQP'``.

    Notes
    -----
    Stopping rule (absolute), tested before every iteration:

    .. math:: \|(\nabla f(x_k) + G(x_k)^T\lambda_k,\; c(x_k))\|_2 \le \mathrm{tol}

    A direction is accepted when ``grad M' z <= -(eta2/2) ||b||^2``; the gradient uses one product
    of the Lagrangian Hessian with ``grad_x L``.  The row sketches sample rows uniformly.  On a CPU
    the sketches do not beat a direct solve; 'exact' is the fast choice for factorizable ``K``.
    The generic path reads one scalar (``||r||``) per sketch step and draws the sketches from the
    same host generator as the NumPy path (same seed, same iterates up to round-off).

    References
    ----------
    .. [1] I. Hong, S. Na, M. W. Mahoney, M. Kolar, "Constrained optimization via exact augmented
       Lagrangian and randomized iterative sketching", ICML 2023, arXiv:2305.18379.
    .. [2] R. M. Gower, P. Richtarik, "Randomized iterative methods for linear systems", SIAM J.
       Matrix Anal. Appl. 36(4), 2015.
    .. [3] N. I. M. Gould, M. E. Hribar, J. Nocedal, "On the solution of equality constrained
       quadratic programming problems arising in optimization", SIAM J. Sci. Comput. 23(4), 2001.

    Examples
    --------
    >>> import numpy as np, numopt
    >>> from numopt.problems import hock_schittkowski
    >>> p = hock_schittkowski(28)
    >>> res = numopt.minimize_sketched_newton(p.fun, p.x0, jac=p.jac, hess=p.hess,
    ...                                       constraints=p.constraints, sketch='exact')
    >>> res.success, res.nit, bool(abs(res.fun - p.f_star) < 1e-10)
    (True, 1, True)
    """
    for name, obj in (("fun", fun), ("jac", jac), ("hess", hess)):
        if not callable(obj):
            raise TypeError(f"`{name}` must be callable; got {type(obj).__name__}")
    x, out_dtype, xp, device = _validate_x0(x0)
    n = x.shape[0]
    sketch = check_choice(sketch, tuple(SKETCHES), name="sketch")
    accuracy = check_choice(accuracy, ("practical", "theory"), name="accuracy")
    xi_B = check_scalar(xi_B, name="xi_B", low=0.0, low_open=True)
    eta1 = check_scalar(eta1, name="eta1", low=0.0, low_open=True)
    eta2 = check_scalar(eta2, name="eta2", low=0.0, low_open=True)
    delta = check_scalar(delta, name="delta", low=0.0, high=1.0, low_open=True, high_open=True)
    beta = check_scalar(beta, name="beta", low=0.0, high=0.5, low_open=True, high_open=True)
    nu = check_scalar(nu, name="nu", low=1.0, low_open=True)
    tol = check_tol(tol, name="tol", dtype=np.float64, positive=True)
    maxiter = check_int(maxiter, name="maxiter", low=1)
    max_inner = check_int(max_inner, name="max_inner", low=1)
    rng = as_generator(seed)
    cons = as_equality_constraints(constraints, x, xp, device)
    m = cons.m
    if m > n:
        raise ValueError(f"`constraints` give m = {m} equality constraints for n = {n} variables; "
                         "need m <= n")
    N = n + m
    if sketch_size is None:
        q = default_sketch_size(N) if sketch in ("block-kaczmarz", "block-gaussian", "count") else 1
    elif sketch in ("kaczmarz", "gaussian"):
        q = check_int(sketch_size, name="sketch_size", low=1, high=1)
    else:
        q = check_int(sketch_size, name="sketch_size", low=1, high=N)
    lam = _validate_lam0(lam0, m, xp, device)
    check_linear_consistency(cons)
    problem = _Problem(fun, jac, hess, cons, n, xp)
    point = problem.point(x, lam, first=True)
    problem.hessian(point, first=True)
    licq_ok, xi_G = _licq(point.G, value=accuracy == "theory")
    if not licq_ok:
        raise ValueError(f"the constraint Jacobian at `x0` is rank-deficient (LICQ fails): smallest "
                         f"singular value {math.sqrt(max(xi_G, 0.0)):.3e}")
    state = dict(eta1=eta1, eta2=eta2, delta=delta)
    options = dict(sketch=sketch, q=q, accuracy=accuracy, xi_B=xi_B, beta=beta, nu=nu, tol=tol,
                   maxiter=maxiter, max_inner=max_inner, jit=use_jit(xp), xp=xp, device=device)
    return _run(problem, point, xi_G, state, options, rng, callback, return_history, out_dtype)


def _descent_pieces(point):
    """Dot-product partners of ``grad M`` (linear in ``eta1``, ``eta2``): one Hessian product."""
    return point.G.T @ point.c, point.H @ point.gL, point.G @ point.gL


def _directional_derivative(point, pieces, dx, dlam, eta1, eta2):
    """``grad M' z`` with ``grad_x M = gL + eta1 G'c + eta2 H gL``, ``grad_lam M = c + eta2 G gL``."""
    Gtc, HgL, GgL = pieces
    return float(point.gL @ dx + eta1 * (Gtc @ dx) + eta2 * (HgL @ dx) + point.c @ dlam
                 + eta2 * (GgL @ dlam))


class _Breakdown(Exception):
    """A failure of the current iteration with its message (status 3)."""


def _dense_limit(point):
    """Largest ``n`` for the dense reduced-Hessian test: 2000, or 200 if ``H`` or ``G`` is sparse."""
    return SPARSE_DENSE_LIMIT if sp.issparse(point.H) or sp.issparse(point.G) else DENSE_EIG_LIMIT


def _curvature_test(point, options):
    """How the reduced Hessian ``Z'HZ`` is tested: ``'none'`` (``m == n``), ``'solver'`` (an operator
    ``H`` with 'exact': projected CG reports non-positive curvature), ``'eigenvalues'`` (``n <=
    _dense_limit``) or ``'inertia-free'`` (:func:`_low_curvature`, after the solve)."""
    n, m = point.x.size, point.c.size
    if m == n:
        return "none"
    if options["sketch"] == "exact" and isinstance(point.H, spla.LinearOperator):
        return "solver"
    return "eigenvalues" if n <= _dense_limit(point) else "inertia-free"


def _initial_shift(point, test, options):
    """``t = xi_B + ||H||_F`` if the eigenvalue test finds ``lambda_min(Z'HZ) < RH_TOL``, else 0."""
    if test == "eigenvalues" and _reduced_hessian_min(point.H, point.G) < RH_TOL:
        return options["xi_B"] + _fro(point.H, options["rng"])
    return 0.0


def _newton_direction(point, xi_G, state, options, counters):
    """Inner solves and penalty updates of one outer iteration; returns ``(z, s)``."""
    n = point.x.size
    xp, device = options["xp"], options["device"]
    b = -xp.concat([point.gL, point.c])
    bnorm = float(xp.linalg.vector_norm(b))
    test = _curvature_test(point, options)
    shift = _initial_shift(point, test, options)
    inertia_checked = test != "inertia-free"
    pieces = _descent_pieces(point)
    delta_min = DELTA_MIN[options["accuracy"]]
    projector = None
    while True:  # at most twice: a re-solve with a shifted H (singular K or negative curvature)
        system = KKTSystem(point.H, point.G, shift, b, xp=xp, device=device, projector=projector)
        acc = _Accuracy(options["accuracy"], point, shift, xi_G, options["xi_B"], options["beta"],
                        options["rng"])
        state["delta"] = max(delta_min, min(state["delta"], acc.delta_trial(state["eta1"],
                                                                            state["eta2"])))
        z, r = xp.zeros(system.N, dtype=xp.float64, device=device), -b
        norm = _inner_pass(system, z, r, acc, bnorm, state, options, counters)
        dx = z[:n]
        if shift == 0.0 and (not math.isfinite(norm) or not inertia_checked and _low_curvature(
                point, pieces[1], dx)):
            shift = options["xi_B"] + _fro(point.H, options["rng"])
            inertia_checked = True
            projector = getattr(system, "_projector", None)  # G is unchanged
            continue
        if not math.isfinite(norm):
            raise _Breakdown("the KKT matrix is numerically singular even with the shifted Hessian")
        break
    while True:
        s = _directional_derivative(point, pieces, z[:n], z[n:], state["eta1"], state["eta2"])
        if s <= -0.5 * state["eta2"] * bnorm ** 2:
            return z, s
        if state["eta1"] >= ETA1_MAX or state["eta2"] <= ETA2_MIN:
            if s < 0:
                return z, s
            raise _Breakdown(f"no descent direction at the penalty limits (eta1={state['eta1']:.3g}, "
                             f"eta2={state['eta2']:.3g}, grad M'z = {s:.3e})")
        nu = options["nu"]
        state["eta1"] *= nu ** 2
        state["eta2"] /= nu
        state["delta"] = max(delta_min, min(state["delta"] / nu ** 4,
                                            acc.delta_trial(state["eta1"], state["eta2"])))
        _inner_pass(system, z, r, acc, bnorm, state, options, counters)  # warm start from (z, r)


def _low_curvature(point, HgL, dx):
    """Inertia-free test ``dx'H dx < 1e-8 max(1, ||H||) ||dx||^2``.

    ``||H||`` is ``||H||_F`` for a matrix; for a ``LinearOperator`` the free lower bound
    ``||H gL|| / ||gL||`` of ``||H||_2`` (a Hutchinson estimate would cost 10 products per iteration).
    """
    H = point.H
    if isinstance(H, spla.LinearOperator):
        scale = float(np.linalg.norm(HgL)) / max(float(np.linalg.norm(point.gL)), np.finfo(float).tiny)
    else:
        scale = _fro(H)
    return float(dx @ (H @ dx)) < 1e-8 * max(1.0, scale) * float(dx @ dx)


def _inner_pass(system, z, r, acc, bnorm, state, options, counters):
    target = acc.theta * state["delta"] * bnorm / acc.kappa
    norm, stats = sketch_solve(system, z, r, sketch=options["sketch"], target=target,
                               max_steps=options["max_inner"], rng=options["rng"],
                               sketch_size=options["q"], jit=options["jit"])
    counters["n_inner"] += stats.steps
    counters["nmatvec"] += stats.matvecs
    counters["n_inner_capped"] += int(stats.steps >= options["max_inner"] and norm > target)
    counters["pass_steps"] += stats.steps
    return norm


def _line_search(problem, point, z, s, state, options):
    """Armijo on ``M``: largest ``alpha = 2^-j >= 1e-12`` with ``M(p + alpha z) <= M(p) + beta alpha s``."""
    n = point.x.size
    merit0 = point.merit(state["eta1"], state["eta2"])
    alpha = 1.0
    while alpha >= ALPHA_MIN:
        trial = problem.point(point.x + alpha * z[:n], point.lam + alpha * z[n:])
        if trial is not None:
            merit = trial.merit(state["eta1"], state["eta2"])
            if math.isfinite(merit) and merit <= merit0 + options["beta"] * alpha * s:
                return trial, alpha, merit0, merit
        alpha *= 0.5
    raise _Breakdown(f"the line search step fell below alpha = {ALPHA_MIN:g}")


def _run(problem, point, xi_G, state, options, rng, callback, return_history, out_dtype):
    options["rng"] = rng
    counters = dict(n_inner=0, nmatvec=0, n_inner_capped=0, pass_steps=0)
    history, steps = [point.kkt()], []
    status, message, k = Status.MAXITER, None, 0
    while True:
        kkt = point.kkt()
        if kkt <= options["tol"]:
            status, message = Status.SUCCESS, "Converged: ||(grad f + G' lam, c)||_2 <= tol."
            break
        if k == options["maxiter"]:
            message = f"Maximum number of iterations (maxiter={options['maxiter']}) reached."
            break
        if k > 0:
            licq_ok, xi_G = _licq(point.G, value=options["accuracy"] == "theory")
            if not licq_ok:
                status = Status.BREAKDOWN
                message = (f"Breakdown: LICQ fails at iteration {k}: lambda_min(G G') = {xi_G:.3e} "
                           f"<= {LICQ_TOL:g} max(1, ||G||_2^2).")
                break
        counters["pass_steps"] = 0
        try:
            z, s = _newton_direction(point, xi_G, state, options, counters)
            new, alpha, merit0, merit1 = _line_search(problem, point, z, s, state, options)
        except _Breakdown as exc:
            status, message = Status.BREAKDOWN, f"Breakdown at iteration {k}: {exc}."
            break
        if not problem.hessian(new):
            status, message = Status.NONFINITE, (f"NaN/Inf in `hess` at iteration {k + 1}; last "
                                                 "finite iterate returned.")
            break
        point = new
        k += 1
        history.append(point.kkt())
        steps.append(dict(alpha=alpha, inner=counters["pass_steps"], merit=merit0, merit_new=merit1,
                          directional_derivative=s, eta1=state["eta1"], eta2=state["eta2"],
                          delta=state["delta"]))
        xp = options["xp"]
        info = OptimizeResult(x=xp.astype(point.x, out_dtype), lam=xp.astype(point.lam, out_dtype),
                              fun=point.f, kkt_residual=history[-1], nit=k)
        if call_callback(callback, info):
            status = Status.CALLBACK
            break
    xp = options["xp"]
    result = make_result(
        OptimizeResult, status, message=message, history=history, return_history=return_history,
        x=xp.astype(point.x, out_dtype), lam=xp.astype(point.lam, out_dtype), fun=point.f, nit=k,
        nfev=problem.nfev, njev=problem.njev, nhev=problem.nhev, nmatvec=counters["nmatvec"],
        n_inner=counters["n_inner"], n_inner_capped=counters["n_inner_capped"],
        kkt_residual=point.kkt(), constr_violation=float(xp.max(xp.abs(point.c))),
        merit_params=dict(state))
    if return_history:
        result["step_history"] = steps
    return result
