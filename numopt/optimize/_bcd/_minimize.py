"""``minimize_bcd``: greedy block coordinate descent with variable blocks, message passing and
active-set identification."""
import math
import numbers
import warnings

import numpy as np

from ..._lib._array_api import array_namespace, is_numpy, to_numpy
from ..._lib._capabilities import capabilities
from ..._lib._jit import use_jit
from ..._lib._result import Status
from ..._lib._rng import as_generator
from ..._lib._validate import NumoptWarning, check_choice, check_int, check_scalar, check_tol
from ._blocks import SELECTIONS, FixedBlocks, TreeBlocks, VariableBlocks
from ._outcome import finish_result, iteration_status
from ._partitions import check_partition, fixed_partition, forest_partition
from ._prox import prox_residual
from ._rowwise import iterate_rows, uses_rows
from ._updates import UPDATES, make_update
from ._vectorised import VECTORISED_SELECTIONS, VECTORISED_UPDATES, minimize_vectorised

__all__ = ["minimize_bcd"]

BLOCK_KINDS = ("fixed", "variable", "tree")


class _Context:
    """What the block rules and updates read: problem, state, bounds, rng and counters."""

    def __init__(self, problem, state, lip, l1, lo, hi, constrained, rng, jit):
        self.problem, self.state, self.lip = problem, state, lip
        self.n = lip.size
        self.l1, self.lo, self.hi, self.constrained = l1, lo, hi, constrained
        self.rng, self.jit = rng, jit
        self.nit = 0
        self.threshold = 0.0
        self.rho = 0.0
        self.F = 0.0  # F(x) + l1 ||x||_1 at the current x, kept by the loop
        self.nhev = 0
        self.nfev = 0

    def lipschitz_bar(self, tau):
        bar = getattr(self.problem, "lipschitz_bar", None)
        return np.asarray(bar, dtype=np.float64) if bar is not None else tau * self.lip


class _ProtocolState:
    """State of a user :class:`~numopt.problems.BlockProblem`: full ``grad`` after each step."""

    def __init__(self, problem, x):
        self.problem, self.x = problem, x
        self.ngrad = 0
        self.refresh()

    def refresh(self):
        g = np.asarray(self.problem.grad(self.x), dtype=self.x.dtype)
        if g.shape != self.x.shape:
            raise ValueError(f"`problem.grad(x)` must return shape {self.x.shape}; got {g.shape}")
        self.ngrad += 1
        self.grad = g

    def fun(self):
        return float(self.problem.fun(self.x))

    def step(self, idx, d):
        self.x[idx] += d
        self.refresh()

    def change_along(self, idx, d):
        f0 = self.fun()

        def change(t):
            y = self.x.copy()
            y[idx] += t * d
            return float(self.problem.fun(y)) - f0

        return change

    def hess_block(self, idx):
        return self.problem.hess_block(self.x, idx)


def _check_problem(problem):
    missing = [a for a in ("n", "fun", "grad", "lipschitz") if not hasattr(problem, a)]
    if missing:
        raise TypeError("`problem` must follow the BlockProblem protocol (n, fun, grad, lipschitz, "
                        f"hess_bound_block, ...); {type(problem).__name__} lacks {missing}")
    n = check_int(problem.n, name="problem.n", low=1)
    lip = np.asarray(problem.lipschitz, dtype=np.float64)
    if lip.shape != (n,) or not np.all(np.isfinite(lip)) or np.any(lip < 0):
        raise ValueError(f"`problem.lipschitz` must be a finite non-negative array of shape ({n},); "
                         f"got shape {lip.shape}")
    return n, lip


def _bound_array(v, n, name, fill, dtype):
    if v is None:
        return np.full(n, fill, dtype=dtype)
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise ValueError(f"`bounds` {name} must be a scalar or have shape ({n},); got {a.shape}")
    if np.any(np.isnan(a)):
        raise ValueError(f"`bounds` {name} contains NaN")
    return a.astype(dtype)


def _parse_bounds(bounds, n, dtype):
    """``None``, ``(lo, hi)`` (scalars/arrays/None), a list of ``n`` pairs or ``scipy Bounds``."""
    if bounds is None:
        return np.full(n, -np.inf, dtype), np.full(n, np.inf, dtype)
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        bounds = (bounds.lb, bounds.ub)
    if isinstance(bounds, list):
        if len(bounds) != n or not all(len(p) == 2 for p in bounds):
            raise ValueError(f"`bounds` as a list must hold {n} (lo, hi) pairs; got {len(bounds)} items")
        lo = [-np.inf if p[0] is None else p[0] for p in bounds]
        hi = [np.inf if p[1] is None else p[1] for p in bounds]
        bounds = (lo, hi)
    if not isinstance(bounds, tuple) or len(bounds) != 2:
        raise ValueError(f"`bounds` must be None, (lo, hi) or a list of {n} (lo, hi) pairs; got "
                         f"{type(bounds).__name__}")
    lo = _bound_array(bounds[0], n, "lower", -np.inf, dtype)
    hi = _bound_array(bounds[1], n, "upper", np.inf, dtype)
    if np.any(lo > hi):
        i = int(np.flatnonzero(lo > hi)[0])
        raise ValueError(f"`bounds` must have lower <= upper; got lower {lo[i]!r} > upper {hi[i]!r} "
                         f"at index {i}")
    return lo, hi


def _initial_point(x0, n, dtype, lo, hi):
    if x0 is None:
        return np.clip(np.zeros(n, dtype), lo, hi)
    xp, _ = array_namespace(x0)
    if not isinstance(x0, (np.ndarray, list, tuple)):
        raise TypeError(f"`x0` must be a NumPy array (minimize_bcd runs on the CPU); got "
                        f"{type(x0).__name__}")
    x = np.array(x0, dtype=dtype)
    if x.shape != (n,):
        raise ValueError(f"`x0` must have shape ({n},) to match `problem`; got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("`x0` contains NaN or Inf entries")
    if np.any((x < lo) | (x > hi)):
        warnings.warn("`x0` lies outside `bounds`; it is projected onto them", NumoptWarning,
                      stacklevel=3)
        x = np.clip(x, lo, hi)
    return x


def _check_requirements(problem, blocks, selection, update, constrained):
    if blocks == "tree" and not hasattr(problem, "graph"):
        raise ValueError("blocks='tree' needs a sparse quadratic problem with a `graph` (e.g. "
                         f"numopt.problems.Quadratic); got {type(problem).__name__}")
    if update == "message-passing":
        if not hasattr(problem, "graph"):
            raise ValueError("update='message-passing' needs a sparse quadratic problem with a "
                             f"`graph` (numopt.problems.Quadratic); got {type(problem).__name__}")
        if blocks in ("fixed", "variable"):
            raise ValueError("update='message-passing' needs forest blocks: blocks='tree' or a "
                             f"list of forest index arrays; got blocks={blocks!r}")
    if constrained and (blocks == "tree" or update == "message-passing"):
        raise ValueError("blocks='tree' and update='message-passing' solve unconstrained quadratics; "
                         "got l1 > 0 or bounds")
    needs_bound = selection in ("gsd", "gsq") or update in ("newton", "prox-newton")
    if needs_bound and blocks != "tree" and not hasattr(problem, "hess_bound_block"):
        what = f"selection={selection!r}" if selection in ("gsd", "gsq") else f"update={update!r}"
        raise ValueError(f"{what} requires hess_bound_block (block Hessian bounds), which "
                         f"{type(problem).__name__} does not provide; use selection='gs'/'gsl' "
                         "and update='lipschitz'")
    if (selection == "gsq" and blocks == "variable" and not constrained
            and not hasattr(problem, "hess_bound_matvec")):
        raise ValueError("selection='gsq' with blocks='variable' requires hess_bound_matvec; "
                         f"{type(problem).__name__} does not provide it")


def _check_namespace(x0, problem):
    """``x0`` must live where the problem's data live."""
    if x0 is None:
        return
    xp, device = array_namespace(x0)
    if xp.__name__ != problem.xp.__name__ or device != problem.device:
        raise TypeError(f"`x0` must be an array of the problem's namespace "
                        f"{problem.xp.__name__} on {problem.device}; got {xp.__name__} on {device}")


def _check_vectorised(problem, blocks, selection, update, constrained):
    """The rules of the vectorised path (data problems on non-NumPy namespaces)."""
    where = f"on {problem.xp.__name__} arrays"
    if blocks == "tree":
        raise ValueError(f"blocks='tree' is not available {where}; use 'fixed', 'variable' or a "
                         "list of index arrays")
    if selection not in VECTORISED_SELECTIONS:
        raise ValueError(f"selection={selection!r} is not available {where}; use one of "
                         f"{VECTORISED_SELECTIONS} (or NumPy/scipy.sparse data)")
    if update not in VECTORISED_UPDATES or (update == "newton" and constrained):
        raise ValueError(f"update={update!r}{' with l1/bounds' if constrained else ''} is not "
                         f"available {where}; use update='lipschitz' (proximal with l1/bounds) "
                         "or 'newton' without l1/bounds")


def _make_blocks(blocks, block_size, selection, ctx):
    if isinstance(blocks, str):
        if blocks == "variable":
            return VariableBlocks(block_size, ctx, selection)
        if blocks == "fixed":
            return FixedBlocks(fixed_partition(ctx.lip, block_size), ctx, selection)
        if selection == "cyclic":
            return FixedBlocks(forest_partition(ctx.problem.graph), ctx, selection)
        return TreeBlocks(ctx, selection)
    return FixedBlocks(check_partition(blocks, ctx.n), ctx, selection)


def _residual(ctx):
    """``rho(x) = max_i L_i |x_i - T_i(x)|``."""
    x, g = ctx.state.x, ctx.state.grad
    if ctx.jit:
        from ..._kernels import _bcd as kernels

        return float(kernels.prox_residual(x, g, ctx.lip, ctx.l1, ctx.lo, ctx.hi))
    return prox_residual(x, g, ctx.lip, ctx.l1, ctx.lo, ctx.hi, np)


def _active(x, ctx, idx=slice(None)):
    """The zero (``l1 > 0``) / at-a-bound pattern of ``x[idx]``."""
    xb = x[idx]
    act = (xb == ctx.lo[idx]) | (xb == ctx.hi[idx])
    return act | (xb == 0) if ctx.l1 > 0 else act


@capabilities(numba="scores, gradients, tree solves, per-row block Newton",
              cupy="dense data problems: cyclic/random/gs/gsl selection, lipschitz/newton updates",
              linear_operator=False)
def minimize_bcd(problem, x0=None, *, blocks="variable", block_size=5, selection="gsl",
                 update="lipschitz", l1=0.0, bounds=None, tol=1e-6, maxiter=1000, seed=None,
                 callback=None, return_history=False):
    r"""Minimize ``f(x) + l1 ||x||_1`` subject to ``lo <= x <= hi`` by (greedy) block coordinate
    descent.

    Each iteration picks a block ``b`` of coordinates (``blocks`` + ``selection``), computes a step
    ``d_b`` (``update``) and sets ``x_b += d_b``.  Every rule is monotone: ``F(x)`` never increases.

    Parameters
    ----------
    problem : BlockProblem
        ``numopt.problems.LeastSquares(A, b)``, ``Logistic(A, y, l2)``, ``Softmax(A, Y, l2)``,
        ``Quadratic(Q, c)`` or any object with the :class:`~numopt.problems.BlockProblem` protocol.
        Data problems built from dense arrays of another array-API namespace (CuPy on a GPU,
        array-api-strict) run the vectorised path on that device: ``blocks`` 'fixed'/'variable'/
        list, ``selection`` 'cyclic'/'random'/'gs'/'gsl', ``update`` 'lipschitz' (proximal with
        ``l1``/bounds) or 'newton' (without); ``x`` keeps the namespace, device and dtype.
    x0 : (n,) array, optional
        Start (default zeros, projected onto ``bounds``; a start outside them is projected with a
        ``NumoptWarning``), in the namespace and on the device of the problem's data.
    blocks : {'variable', 'fixed', 'tree'} or list of int arrays
        ``'fixed'``: coordinates sorted by ``L_i`` in consecutive chunks of ``block_size``;
        ``'variable'``: any ``block_size`` coordinates each iteration; ``'tree'``: forest blocks in
        the graph of a sparse ``Quadratic`` (greedy forests grown from the selection's order;
        ``selection='cyclic'`` cycles through :func:`~numopt.problems.forest_partition`); a list:
        disjoint index arrays covering ``0..n-1`` (e.g. :func:`~numopt.problems.red_black_partition`).
    block_size : int
        Block size ``tau`` in ``[1, n]`` for ``'fixed'`` and ``'variable'`` blocks.
    selection : {'gsl', 'cyclic', 'random', 'gs', 'gsd', 'gsq'}
        Gauss-Southwell rules score coordinates by the decrease of the proximal 1-D model with
        curvature ``1`` (gs), ``Lbar_i`` / ``L_b`` (gsl), ``L_i`` / Gershgorin (gsd); ``gsq`` uses
        ``g_b'H_b^{-1}g_b`` (fixed blocks) or the support of an iterative-hard-thresholding sparse
        Newton step (variable blocks).
    update : {'lipschitz', 'newton', 'message-passing', 'prox-newton'}
        ``'lipschitz'``: ``d_b = -g_b / L_b`` (proximal with ``l1``/bounds), ``L_b =
        lambda_max(H_b)``; ``'newton'``: ``d_b = -H_b^{-1} g_b`` (exact block minimization for
        least squares and quadratics; Armijo backtracking on the true Hessian otherwise; with
        ``l1``/bounds it is ``'prox-newton'``); ``'message-passing'``: exact ``O(|b|)`` solve on forest
        blocks of a ``Quadratic``; ``'prox-newton'``: the block's quadratic model with ``l1`` and
        bounds minimized exactly (finite termination once the block holds the support).
    l1 : float
        L1 weight (>= 0).  scikit-learn's ``Lasso(alpha)`` on ``m`` samples is ``l1 = m * alpha``.
    bounds : None, (lo, hi), list of (lo, hi) pairs or scipy.optimize.Bounds
        Box constraints; ``None`` entries are infinite.
    tol : float
        Relative tolerance of the stopping rule (> 0).
    maxiter : int
        Maximum number of block updates.
    seed : None, int or numpy.random.Generator
        Randomness of ``'random'``/``'cyclic'`` rules; same seed, same iterates.
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration with fields ``x``, ``nit``,
        ``fun`` and ``residual``; ``StopIteration`` stops the solver (``status`` 99).
    return_history : bool
        Record ``F(x_k)`` (``history[0] = F(x0)``).

    Returns
    -------
    OptimizeResult
        ``x``, ``fun`` (``F(x)``), ``success``, ``status`` (0 converged, 1 maxiter, 3 no finite
        minimizer, 4 non-finite, 99 callback), ``message``, ``nit``, ``nfev`` (objective
        evaluations), ``njev`` (full gradients), ``nhev`` (block Hessians/factorizations),
        ``residual`` (``rho(x)``), ``ncoord`` (coordinates updated in total; ``ncoord / n`` counts
        passes over the variables), ``history`` if requested and, with ``l1``/bounds,
        ``n_active`` (coordinates at 0 or at a bound) and ``identified_at`` (last iteration at
        which that pattern changed).

    Raises
    ------
    ValueError
        Bad sizes or names (the valid ones are listed), a rule needing ``hess_bound_block`` on a
        problem without it, message passing on a block with a cycle or a non-positive pivot,
        ``l1 < 0``, ``lo > hi``, NaN/Inf in ``x0``; on non-NumPy data, a rule outside the
        vectorised path.
    TypeError
        ``x0`` in another namespace or on another device than the problem's data.

    See Also
    --------
    numopt.problems.LeastSquares, numopt.problems.Quadratic, numopt.problems.forest_partition

    Notes
    -----
    With ``T_i(x) = clip(soft(x_i - g_i/L_i, l1/L_i), lo_i, hi_i)`` the stopping rule is

    .. math:: \rho(x_k) = \max_i L_i |x_i - T_i(x_k)| \le \mathrm{tol}\,\max(1, \rho(x_0)),

    i.e. ``||g||_inf`` without ``l1``/bounds.

    With numba, ``LeastSquares``/``Logistic``/``Softmax`` with ``update='newton'`` and no
    ``l1``/bounds take a per-row path for ``cyclic``/``random`` selection and for ``gs``/``gsl``/
    ``gsd`` on a partition (``'fixed'`` or a list): a block's gradient, true Hessian, Newton step
    and Armijo search are built from the rows of ``A`` its features touch, as coordinate descent for
    GLMs keeps the linear predictor [2]_ (softmax: block ``(features x classes)``, e.g.
    ``blocks='fixed', block_size=k`` for whole features), a pass of blocks per numba call, with the
    same iterates as the generic path.  Greedy rules keep the gradient exact by scattering the
    touched rows.  Cyclic/random keep no full gradient: the rule is tested after each pass on each
    coordinate's last block gradient and confirmed on a fresh one, so the run may end up to one pass
    later than the generic path would; with a ``callback``, blocks run one per call and ``residual``
    is that estimate.  The vectorised path (non-NumPy data) recomputes
    ``G = A' phi'(A X)`` each iteration (dense products, no numba) and copies only the chosen
    block's indices to the host.  Coordinates with ``L_i = 0`` (zero columns) are
    skipped with a warning.  Unregularised logistic/softmax losses on separable data have no
    finite minimizer: the run then ends with ``status`` 3 and a ``NumoptWarning``.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt, "Let's make block coordinate descent converge
       faster: faster greedy rules, message-passing, active-set complexity, and superlinear
       convergence", JMLR 23(131), 2022. arXiv:1712.08859.
    .. [2] J. Friedman, T. Hastie, R. Tibshirani, "Regularization paths for generalized linear
       models via coordinate descent", Journal of Statistical Software 33(1), 2010.

    Examples
    --------
    >>> import numpy as np, numopt
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> res = numopt.minimize_bcd(numopt.problems.LeastSquares(A, b), selection="gsq",
    ...                           update="newton", block_size=20)
    >>> res.success, res.nit
    (True, 1)
    """
    n, lip = _check_problem(problem)
    on_device = not is_numpy(getattr(problem, "xp", np))
    dtype = problem.host_dtype if on_device else np.dtype(getattr(problem, "dtype", np.float64))
    if isinstance(x0, np.ndarray) and x0.dtype == np.float32 and not hasattr(problem, "dtype"):
        dtype = np.dtype(np.float32)
    if isinstance(blocks, str):
        check_choice(blocks, BLOCK_KINDS, name="blocks")
    block_size = check_int(block_size, name="block_size", low=1,
                           high=n if blocks in ("fixed", "variable") else None)
    check_choice(selection, SELECTIONS, name="selection")
    check_choice(update, tuple(UPDATES), name="update")
    l1 = check_scalar(l1, name="l1", low=0.0)
    tol = check_tol(tol, name="tol", dtype=dtype, positive=True)
    maxiter = check_int(maxiter, name="maxiter", low=1)
    lo, hi = _parse_bounds(bounds, n, dtype)
    rng = as_generator(seed)
    if on_device:
        _check_namespace(x0, problem)
        x0 = None if x0 is None else to_numpy(x0)
    x = _initial_point(x0, n, dtype, lo, hi)
    constrained = l1 > 0 or bool(np.isfinite(lo).any() or np.isfinite(hi).any())
    kind = blocks if isinstance(blocks, str) else "list"
    check = _check_vectorised if on_device else _check_requirements
    check(problem, kind, selection, update, constrained)
    if np.any(lip == 0):
        warnings.warn(f"{int(np.sum(lip == 0))} coordinate(s) have L_i = 0 (zero columns), e.g. "
                      f"{int(np.flatnonzero(lip == 0)[0])}: they are skipped", NumoptWarning,
                      stacklevel=2)
    if on_device:
        return minimize_vectorised(problem, x, lip=lip, blocks=blocks, block_size=block_size,
                                   selection=selection, update=update, l1=l1, lo=lo, hi=hi,
                                   constrained=constrained, tol=tol, maxiter=maxiter, rng=rng, callback=callback,
                                   return_history=return_history)
    jit = use_jit(array_namespace(x)[0])
    rows = uses_rows(problem, kind, selection, update, constrained, jit)
    if rows:
        state = problem._bcd_row_state(x)
    elif hasattr(problem, "_bcd_state"):
        state = problem._bcd_state(x, jit)
    else:
        state = _ProtocolState(problem, x)
    ctx = _Context(problem, state, lip.astype(dtype), l1, lo, hi, constrained, rng, jit)
    chooser = _make_blocks(blocks, block_size, selection, ctx)
    if rows:
        status, message, nit, ncoord, rho, history = iterate_rows(ctx, chooser, tol, maxiter,
                                                                  callback)
        return _finish(ctx, status, message, nit, ncoord, rho, history, 0, maxiter,
                       return_history)
    step = make_update(update, ctx, chooser)
    return _iterate(ctx, chooser, step, tol, maxiter, callback, return_history)


def _iterate(ctx, chooser, step, tol, maxiter, callback, return_history):
    state = ctx.state
    skip_zero = bool(np.any(ctx.lip == 0))
    l1norm = float(np.abs(state.x).sum())
    F = ctx.F = state.fun() + ctx.l1 * l1norm
    ctx.nfev += 1
    history = [F]
    rho = _residual(ctx)
    threshold = ctx.threshold = tol * max(1.0, rho)
    ctx.rho = rho
    status = Status.SUCCESS if rho <= threshold else Status.MAXITER
    message = None
    active = _active(state.x, ctx) if ctx.constrained else None
    identified_at, nit, ncoord = 0, 0, 0
    while status == Status.MAXITER and nit < maxiter:
        ctx.nit = nit
        idx, bid = chooser.choose(ctx)
        if skip_zero:
            idx = idx[ctx.lip[idx] > 0]
        idx, d = step(ctx, idx, bid)
        d = np.asarray(d, dtype=state.x.dtype)
        old = state.x[idx].copy()
        state.step(idx, d)
        nit += 1
        ncoord += idx.size
        l1norm += float(np.abs(state.x[idx]).sum() - np.abs(old).sum())
        F = ctx.F = state.fun() + ctx.l1 * l1norm
        ctx.nfev += 1
        if not (math.isfinite(F) and np.all(np.isfinite(d))):
            state.x[idx] = old
            status = Status.NONFINITE
            break
        history.append(F)
        if ctx.constrained:
            now = _active(state.x, ctx, idx)
            if np.any(now != active[idx]):
                active[idx] = now
                identified_at = nit
        done, message, rho = iteration_status(
            lambda: _residual(ctx), state.refresh, threshold,
            lambda: float(np.max(np.abs(state.x))), callback, state.x, nit, F)
        ctx.rho = rho
        if done is not None:
            status = done
            break
    return _finish(ctx, status, message, nit, ncoord, rho, history, identified_at, maxiter,
                   return_history)


def _finish(ctx, status, message, nit, ncoord, rho, history, identified_at, maxiter,
            return_history):
    state = ctx.state
    if status != Status.SUCCESS:  # success was confirmed on a fresh state already
        state.refresh()  # exact objective from scratch, free of incremental drift
    F = state.fun() + ctx.l1 * float(np.abs(state.x).sum())
    ctx.nfev += 1
    extra = {}
    if ctx.constrained:
        extra = {"n_active": int(np.sum(_active(state.x, ctx))), "identified_at": identified_at}
    return finish_result(ctx.problem, state, status, message, nit, rho, history, maxiter,
                         return_history, ctx.constrained, F=F, nfev=ctx.nfev, njev=state.ngrad,
                         nhev=ctx.nhev, ncoord=ncoord, **extra)
