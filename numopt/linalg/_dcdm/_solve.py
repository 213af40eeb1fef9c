"""``solve_dcdm``: conjugate directions from a network, A-orthogonalised against the last ``n_orth``."""
import math
import os
from collections import deque

import numpy as np

from ..._lib._callback import call_callback
from ..._lib._capabilities import capabilities
from ..._lib._result import LinearSolveResult, Status
from ..._lib._validate import check_int
from .._system import linear_result, prepare_system, stop_threshold
from ._coarse import CoarseCorrection, NotPositiveDefinite
from ._model import DCDMModel, check_grid, infer_grid

__all__ = ["solve_dcdm"]

#: Stagnation guard: stop when ``||r||`` has not dropped by 1 % over this many iterations.
STAGNATION_WINDOW = 10
STAGNATION_FACTOR = 0.99


@capabilities(numba="-", cupy="yes (torch CUDA through DLPack)", linear_operator=True)
def solve_dcdm(A, b, x0=None, *, model=None, grid_shape=None, rtol=1e-4, atol=0.0, maxiter=100,
               n_orth=2, coarse_grid=8, callback=None, return_history=False):
    r"""Solve the SPD system ``A x = b`` by the deep conjugate-direction method (DCDM).

    Each iteration asks the network for a direction ``q = f(r / ||r||)`` (``f ~ s A^{-1}`` for an
    unknown scale ``s``), A-orthogonalises it against the last ``n_orth`` directions (modified
    Gram-Schmidt), and takes the exact line-search step along it; the residual is recomputed as
    ``b - A x`` every iteration.  ``f`` is nonlinear, so this is not PCG: there is no Krylov
    optimality, but every step minimises the A-norm error along the new direction.

    By default the direction is two-level (``coarse_grid``): an exact Galerkin coarse-grid
    correction removes the smooth part of the error, and the network sees only the rest (see
    Notes).  This keeps iteration counts nearly flat as the grid grows; ``coarse_grid=None`` gives
    the network's direction alone, the method of Kaneda et al. [1]_.

    Parameters
    ----------
    A : (n, n) sparse matrix, dense array or LinearOperator
        Symmetric positive definite, on a structured grid of ``n = prod(grid_shape)`` points in C
        order (the numbering of :func:`numopt.poisson_matrix`).  A non-symmetric ``A`` (seeded
        probe ``|u^T A v - v^T A u| > 100 sqrt(eps) ||u|| ||A v||``) or a direction with
        ``q^T A q <= 0`` stops the solver with ``success=False`` and ``status`` 3.
    b : (n,) array
    x0 : (n,) array, optional
        Initial guess (default zeros).
    model : None, DCDMModel, str or path, or callable
        ``None``: the model shipped with numopt for the grid's dimension (trained on Dirichlet
        Poisson); a :class:`DCDMModel`; the path of a file written by :meth:`DCDMModel.save`; or
        any callable ``f(r) -> direction`` on 1-D arrays of the solver's namespace.
    grid_shape : tuple of int, optional
        The grid (2-D or 3-D, matching the model).  ``None``: a square (2-D model) or cube (3-D
        model); with ``model=None`` a size that is both a square and a cube must be given explicitly.
    rtol, atol : float
        Relative and absolute tolerance of the stopping rule.
    maxiter : int
        Maximum number of iterations (network applications).
    n_orth : int
        Number of previous directions each new one is A-orthogonalised against (``>= 1``).
    coarse_grid : int or None
        Points per axis of the coarse grid of the two-level direction (``>= 2``; an axis with
        fewer points is kept whole); ``None``: the network's direction alone.  Needs the grid: for
        a callable ``model`` without ``grid_shape`` a square or cube is inferred as for
        ``model=None``.  ``P^T A P`` is formed by sparse products for a sparse ``A``, else by one
        product with ``A`` per coarse unknown (512 for the 3-D default); one that is not positive
        definite stops the solver before its first iteration (``success=False``, ``status`` 3).
        Grids beyond 64^3 gain from more points: *measured* at 128^3 (smooth source, rtol 1e-4 /
        1e-8) 12 / 22 iterations with 8, 7 / 14 with 16 (7 s to invert the 4096-unknown ``P^T A
        P`` on one core).
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration with fields ``x``, ``nit``,
        ``residual``; ``StopIteration`` stops the solver (``status`` 99).
    return_history : bool
        Record ``||b - A x||`` after every iteration (``history[0]`` is the initial one).

    Returns
    -------
    LinearSolveResult
        ``x`` (same namespace, device and dtype as ``b``), ``success``, ``status``, ``message``,
        ``nit``, ``residual`` (true ``||b - A x||_2`` at exit), ``nmatvec`` (products with ``A``,
        not counting the ``prod(coarse)`` ones that may form ``P^T A P``), ``nprec`` (network
        applications) and ``history`` if requested.

    See Also
    --------
    train_dcdm : train a model for another grid or operator.
    solve_pcg : ``solve_pcg(A, b, preconditioner=model)`` runs flexible CG with the model.

    Notes
    -----
    With ``x_0`` given, ``r_k = b - A x_k`` and the kept triples ``(p_j, A p_j, p_j^T A p_j)``:

    .. math::

        q &= f(r_k / \|r_k\|), \quad q \leftarrow q - \frac{q^T A p_j}{p_j^T A p_j} p_j
        \ \text{(newest first)}, \\
        x_{k+1} &= x_k + \frac{q^T r_k}{q^T A q}\, q .

    Two-level direction (``coarse_grid``): with ``P`` the tensor product of piecewise-linear
    (Dirichlet) interpolations from ``min(m_k, coarse_grid)`` points per axis and ``u = r_k /
    \|r_k\|``,

    .. math::

        c = P (P^T A P)^{-1} P^T u, \quad u' = u - A c, \quad q' = f(u' / \|u'\|), \quad
        q = c + \frac{q'^T u'}{q'^T A q'}\, q' ,

    i.e. the exact coarse-grid correction followed by the network's direction for the remaining
    residual (``P^T u' = 0``), scaled by its own line search; two extra products with ``A`` per
    iteration.  With ``f = A^{-1}`` the direction is still ``A^{-1} u``.

    Stopping rule (true residual): :math:`\|b - A x_k\|_2 \le \max(\mathrm{rtol}\,\|b\|_2,
    \mathrm{atol})`.  Stagnation (``||r||`` not reduced by 1 % over 10 iterations) stops with
    ``success=False``.  Linear algebra runs in the dtype of ``A``/``b``; the network in float32.
    With ``f = A^{-1}`` one iteration solves the system; with ``f`` the identity and
    ``coarse_grid=None`` the directions are those of CG.

    Cost: one application of the shipped 3-D network (multilevel, 16 channels) is about 65 000
    FLOP per cell, the arithmetic of ~3 000 CG iterations, so DCDM saves iterations, not CPU time
    (``examples/compare_dcdm.py`` prints iterations and times against CG, IC(0)-PCG and PyAMG).

    References
    ----------
    .. [1] A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran, "A deep conjugate
       direction method for iteratively solving linear systems", ICML 2023, PMLR 202:15720-15736.
    .. [2] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM (2003), ch. 13
       (multigrid: Galerkin coarse-grid correction).

    Examples
    --------
    >>> import numpy as np, numopt
    >>> A = numopt.poisson_matrix((32, 32, 32))
    >>> b = np.random.default_rng(0).standard_normal(A.shape[0])
    >>> res = numopt.solve_dcdm(A, b, rtol=1e-4)
    >>> res.success, res.residual <= 1e-4 * np.linalg.norm(b)
    (True, True)
    """
    system = prepare_system(A, b, x0, rtol=rtol, atol=atol, maxiter=maxiter)
    n_orth = check_int(n_orth, name="n_orth", low=1)
    if coarse_grid is not None:
        coarse_grid = check_int(coarse_grid, name="coarse_grid", low=2)
    network, grid = _direction_function(model, grid_shape, system)
    direction = _network_only(network)
    if coarse_grid is not None:
        try:
            coarse = CoarseCorrection(system.A, grid or _inferred_grid(system.n), coarse_grid,
                                      system.xp, system.dtype, system.device)
        except NotPositiveDefinite as exc:
            residual = _norm(system.b - system.A @ system.x)
            return linear_result(
                Status.BREAKDOWN, f"Breakdown: `A` is not symmetric positive definite: the coarse "
                f"matrix P^T A P has no Cholesky factor ({exc}).", maxiter=maxiter,
                return_history=return_history, x=system.x, nit=0, residual=residual, nmatvec=1,
                nprec=0, history=[residual])
        direction = _two_level(network, coarse, system.A, _eps(system.dtype))
    return _conjugate_directions(system, direction, stop_threshold(system.bnorm, rtol, atol),
                                 maxiter, n_orth, callback, return_history)


def _network_only(network):
    """``direction(u) -> (q, products with A, network applications)`` for ``q = f(u)``."""
    return lambda u: (network(u), 0, 1)


def _two_level(network, coarse, A, eps):
    """:func:`_network_only` for the two-level direction of the Notes (``eps``: the dtype's)."""

    def direction(u):
        c = coarse(u)
        rest = u - A @ c
        rest_norm = _norm(rest)
        if not rest_norm > math.sqrt(eps):  # ||u|| = 1: the coarse space holds the error
            return c, 1, 0
        q = network(rest / rest_norm)
        curvature = float(q @ (A @ q))
        if not curvature > 0:  # the solver's own test reports it
            return q, 2, 1
        return c + (float(q @ rest) / curvature) * q, 2, 1

    return direction


def _pretrained_dim(grid_shape, n):
    if grid_shape is not None:
        return len(tuple(grid_shape))
    square, cube = round(math.sqrt(n)) ** 2 == n, round(n ** (1 / 3)) ** 3 == n
    if square and cube:
        raise ValueError(f"`grid_shape` is None and n={n} is both a square and a cube: pass "
                         "`grid_shape` to choose the 2-D or 3-D model")
    if not (square or cube):
        raise ValueError(f"`grid_shape` is None and n={n} is neither a square nor a cube: pass "
                         "`grid_shape`")
    return 3 if cube else 2


def _direction_function(model, grid_shape, system):
    """``(apply, grid)``: ``apply(unit_residual) -> direction`` as a 1-D array in the system's
    namespace and dtype, and the grid (``None`` for a callable without ``grid_shape``)."""
    xp, n, dtype = system.xp, system.n, system.dtype
    if model is None:
        dim = _pretrained_dim(grid_shape, n)
        if dim not in (2, 3):
            raise ValueError(f"`grid_shape` must be 2-D or 3-D for the shipped models; got {grid_shape}")
        model = DCDMModel.pretrained(dim)
    elif isinstance(model, (str, os.PathLike)):
        model = DCDMModel.load(model)
    if isinstance(model, DCDMModel):
        grid = check_grid(grid_shape, n, model.dim)
        return lambda unit: xp.reshape(model.unit_direction(unit, grid, xp), (n,)), grid
    if not callable(model):
        raise TypeError("`model` must be None, a DCDMModel, a model file path or a callable "
                        f"r -> direction; got {type(model).__name__}")
    grid = None if grid_shape is None else tuple(grid_shape)
    if grid is not None and math.prod(grid) != n:
        raise ValueError(f"`grid_shape` {grid} has {math.prod(grid)} points but the system has "
                         f"n={n} unknowns")
    return lambda unit: xp.astype(xp.reshape(model(unit), (n,)), dtype, copy=False), grid


def _inferred_grid(n):
    """The square or cube grid of ``n`` points for a callable model's two-level direction."""
    try:
        return infer_grid(n, _pretrained_dim(None, n))
    except ValueError as exc:
        raise ValueError(f"{exc} (the two-level direction needs the grid), or set "
                         "coarse_grid=None") from None


def _eps(dtype):
    return float(np.finfo(np.float32 if "float32" in str(dtype) else np.float64).eps)


def _norm(v):
    return math.sqrt(float(v @ v))


def _symmetry_defect(A, system):
    """Relative ``|u^T A v - v^T A u| / (||u|| ||A v||)`` for seeded random ``u, v``."""
    rng = np.random.default_rng(12345)
    u, v = (system.xp.asarray(rng.standard_normal(system.n), dtype=system.dtype,
                              device=system.device) for _ in range(2))
    Au, Av = A @ u, A @ v
    scale = _norm(u) * _norm(Av)
    return abs(float(u @ Av) - float(v @ Au)) / scale if scale > 0 else 0.0


def _conjugate_directions(system, direction, threshold, maxiter, n_orth, callback, return_history):
    """The iteration of :func:`solve_dcdm`; ``direction(u)`` returns ``(q, products with A,
    network applications)``."""
    A, b, x = system.A, system.b, system.x
    r = b - A @ x
    nmatvec, nprec, nit = 1, 0, 0
    residual = _norm(r)
    history = [residual]
    kept = deque(maxlen=n_orth)  # (p_j, A p_j, p_j^T A p_j)
    status, message = Status.MAXITER, None
    eps = _eps(system.dtype)
    if residual <= threshold:
        status = Status.SUCCESS
    else:
        defect = _symmetry_defect(A, system)
        nmatvec += 2
        if defect > 100 * math.sqrt(eps):
            status = Status.BREAKDOWN
            message = (f"Breakdown: `A` is not symmetric (|u^T A v - v^T A u| / (||u|| ||A v||) = "
                       f"{defect:.2e} for random u, v).")
    while status == Status.MAXITER and nit < maxiter:
        q, products, applications = direction(r / residual)
        nmatvec += products
        nprec += applications
        q_norm = _norm(q)
        if not (math.isfinite(q_norm) and q_norm > 0):
            status = Status.BREAKDOWN
            message = (f"Breakdown: the network returned an invalid direction (norm {q_norm!r}) at "
                       f"iteration {nit + 1}.")
            break
        for p, w, delta in reversed(kept):  # modified Gram-Schmidt, newest first
            q = q - (float(q @ w) / delta) * p
        if kept and _norm(q) <= 100 * eps * q_norm:
            status = Status.BREAKDOWN
            message = (f"Breakdown: the network's direction at iteration {nit + 1} lies in the span "
                       "of the kept directions (no progress possible).")
            break
        w = A @ q
        nmatvec += 1
        delta = float(q @ w)
        if not (math.isfinite(delta) and delta > 0):
            status = Status.BREAKDOWN if math.isfinite(delta) else Status.NONFINITE
            message = (f"Breakdown: `A` is not symmetric positive definite: q^T A q = {delta:.3e} "
                       f"<= 0 at iteration {nit + 1}." if status == Status.BREAKDOWN else None)
            break
        x += (float(q @ r) / delta) * q
        r = b - A @ x
        nmatvec += 1
        nit += 1
        residual = _norm(r)
        history.append(residual)
        kept.append((q, w, delta))
        if residual <= threshold:
            status = Status.SUCCESS
        elif not math.isfinite(residual):
            status = Status.NONFINITE
        elif nit >= STAGNATION_WINDOW and \
                residual > STAGNATION_FACTOR * history[nit - STAGNATION_WINDOW]:
            status = Status.BREAKDOWN
            message = (f"Breakdown: stagnation: ||b - A x|| dropped by less than 1 % over "
                       f"{STAGNATION_WINDOW} iterations (directions not informative).")
        if status != Status.MAXITER:
            break
        if call_callback(callback, LinearSolveResult(x=x, nit=nit, residual=residual)):
            status = Status.CALLBACK
            break
    return linear_result(status, message, maxiter=maxiter, return_history=return_history, x=x,
                         nit=nit, residual=residual, nmatvec=nmatvec, nprec=nprec, history=history)
