"""``solve_ot``: entropic optimal transport (validation, exact pre-processing, batching, result)."""
import math
import numbers

import numpy as np

from .._lib._array_api import array_namespace, is_numpy, result_dtype
from .._lib._capabilities import capabilities
from .._lib._jit import use_jit
from .._lib._result import OTResult, Status, make_result
from .._lib._sparse import is_linear_operator, is_sparse
from .._lib._validate import check_choice, check_finite, check_int, check_scalar, check_tol
from ._problem import ReducedProblem
from ._batch import sinkhorn_log_stacked
from ._sinkhorn import Outcome, Progress, sinkhorn_kernel, sinkhorn_log
from ._sns import solve_sns

__all__ = ["solve_ot"]


def _run_sinkhorn_log(prob, f, g, *, tol, maxiter, progress, **_):
    return sinkhorn_log(prob, f, g, tol=tol, maxiter=maxiter, progress=progress)


def _run_sinkhorn(prob, f, g, *, tol, maxiter, progress, **_):
    return sinkhorn_kernel(prob, f, g, tol=tol, maxiter=maxiter, progress=progress)


METHODS = {"sns": solve_sns, "sinkhorn": _run_sinkhorn, "sinkhorn-log": _run_sinkhorn_log}

# exponent round-off eps * range(C) / reg above 1% means the kernel cannot be represented
MAX_EXPONENT_ROUNDOFF = 1e-2


@capabilities(numba="fused log-sum-exp passes, top-k selection, Schur PCG", cupy=True,
              linear_operator=False)
def solve_ot(a, b, C, reg, *, method="sns", tol=1e-9, maxiter=10_000, sinkhorn_iters=5,
             max_newton=100, sparsity=None, f0=None, g0=None, callback=None, return_history=False):
    r"""Entropic optimal transport between histograms ``a`` and ``b`` with cost ``C``.

    Solves ``min_P <P, C> + reg * sum_ij P_ij log P_ij`` subject to ``P 1 = a``, ``P^T 1 = b``,
    ``P >= 0`` (POT's objective; the same plan as ``<P, C> - reg H(P)``).  The plan is
    ``P_ij = exp((f_i + g_j - C_ij) / reg)`` for dual potentials ``f``, ``g``.

    Parameters
    ----------
    a : (n,) or (B, n) array
        Nonnegative source weights (a leading batch axis solves ``B`` problems).
    b : (m,) or (B, m) array
        Nonnegative target weights with the same total mass as ``a`` (relative difference
        ``<= 1e-10``; ``10 eps`` for float32).
    C : (n, m) or (B, n, m) array
        Dense cost matrix (shared by the batch when 2-D).  Sparse matrices and LinearOperators are
        rejected: entropic OT needs every entry.
    reg : float or (B,) array
        Entropic regularisation ``> 0``, in cost units.  Must satisfy
        ``eps * range(C) / reg <= 0.01`` (``eps`` of the dtype), else the kernel
        ``exp(-C / reg)`` is not representable and ``ValueError`` is raised.
    method : {'sns', 'sinkhorn-log', 'sinkhorn'}
        ``'sns'`` (default): Sinkhorn-Newton-Sparse [1]_ -- ``sinkhorn_iters`` log-domain Sinkhorn
        iterations, then damped Newton steps on the dual with a sparsified Hessian (Schur-complement
        PCG), a line search, a reg-continuation when ``range(C) / reg > 2000`` and a fallback to
        Sinkhorn iterations when a Newton step fails.  ``'sinkhorn-log'``: stabilised log-domain
        Sinkhorn.  ``'sinkhorn'``: kernel scaling ``u = a / (K v)``, for large ``reg`` only
        (``reg >~ range(C) / 700`` in float64).
    tol : float
        Stopping tolerance ``> 0`` on the marginal error (see Notes).
    maxiter : int
        Maximum total iterations (Sinkhorn + Newton).
    sinkhorn_iters : int
        Sinkhorn warm-up iterations of ``'sns'`` (``>= 0``).  Default 5, not the paper's 20:
        on random assignment at ``reg = 1/1200`` it took 15 iterations (5 + 10 Newton) instead of
        28 at n = 500 and 10 instead of 24 at n = 1000, and less time (measured,
        ``examples/compare_ot.py``); harder problems fall back to more Sinkhorn iterations.
    max_newton : int
        Maximum Newton steps of ``'sns'`` per continuation stage.
    sparsity : None, int or float
        Kept entries of the Hessian's off-diagonal block in ``'sns'``: ``None`` (default) keeps in
        every row the entries ``>= tau r_i / m`` (at most a fraction ``tau`` of the row's mass is
        dropped, ``tau = 1e-6``, divided by 100 after a slow step) and at least its 2 largest; an
        int ``k >= 1`` keeps ``k`` per row; a float in ``(0, 1]`` keeps that fraction of all
        entries.  The largest entry of every column is always kept.
    f0, g0 : (n,) / (m,) arrays, optional
        Warm start (potentials as returned in ``f``, ``g``).  With only ``f0``, ``g`` comes from one
        Sinkhorn half-step.  A converged pair returns at once with ``nit = 0``.
    callback : callable, optional
        ``callback(intermediate_result)`` after every iteration with ``f``, ``g``, ``nit``,
        ``marginal_error``; ``StopIteration`` stops the solver (``status`` 99).  With a batch it
        is called for each problem.
    return_history : bool
        Record the marginal error per iteration (``history[0]``: the starting point).

    Returns
    -------
    OTResult
        ``plan`` (n, m), ``cost`` (``<P, C>``), ``f``, ``g`` (potentials, gauge
        ``<a, f> = <b, g>``), ``marginal_error``, ``objective`` (primal entropic objective),
        ``dual_objective`` (``Phi(f, g)``), ``duality_gap`` (``objective - dual_objective``),
        ``nit``, ``n_sinkhorn``, ``n_newton``, ``n_cg``, ``success``, ``status`` (0 converged,
        1 iteration limit, 2 precision floor, 3 Newton breakdown, 4 non-finite, 99 callback),
        ``message`` and ``history`` if requested.  With a batch, arrays gain a leading axis,
        scalars become NumPy arrays (``statuses``, ``messages`` per problem; ``status`` is the
        largest, ``success`` is true when all converged).

    See Also
    --------
    ot.sinkhorn_log, ot.emd : POT's log-domain Sinkhorn and exact LP (for ``reg = 0``).

    Notes
    -----
    Stopping rule, the same for every method, on the plan at the returned potentials:

    .. math:: \|P\mathbf 1 - a\|_1 + \|P^T\mathbf 1 - b\|_1 \le \mathrm{tol}

    Exact pre-processing: rows/columns of zero mass are removed (zero in ``plan``; their potential
    is ``f_i = min_j (C_ij - g_j)``), masses are scaled to 1, and ``C`` is reduced to
    ``C - alpha (+) beta >= 0`` with a zero in every row and column.  The dual objective is
    ``Phi(f, g) = <a, f> + <b, g> - reg sum_{a_i b_j > 0} P_ij + reg sum(a)``; it is a lower bound
    of the primal objective, equal at the optimum.  Log-sum-exp passes skip terms more than
    ``log(eps / m) - 1`` below the row maximum (their total is below round-off).  Float32 inputs
    give float32 outputs; sums and potentials are float64 on the NumPy path, and the attainable
    marginal error is about ``1e-6``.  For the unregularised optimum use an exact LP solver
    (``ot.emd``): it is faster than any entropic solver at small ``reg``.

    References
    ----------
    .. [1] X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil, T. Xiao,
       L. Ying, "Accelerating Sinkhorn algorithm with sparse Newton iterations", ICLR 2024,
       arXiv:2401.12253.
    .. [2] M. Cuturi, "Sinkhorn distances: lightspeed computation of optimal transport",
       NeurIPS 2013.

    Examples
    --------
    >>> import numpy as np, numopt
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = numopt.solve_ot([0.5, 0.5], [0.5, 0.5], C, 1.0)
    >>> res.success, np.round(res.plan, 8).tolist()
    (True, [[0.36552929, 0.13447071], [0.13447071, 0.36552929]])
    """
    a, b, C = (np.asarray(v) if isinstance(v, (list, tuple)) else v for v in (a, b, C))
    if is_sparse(C) or is_linear_operator(C):
        raise TypeError(f"`C` must be a dense array (entropic OT needs every entry); got "
                        f"{type(C).__name__}")
    xp, device = array_namespace(a, b, C, f0, g0)
    dtype = result_dtype(a, b, C, f0, g0, xp=xp)
    check_choice(method, tuple(METHODS), name="method")
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable; got {type(callback).__name__}")
    tol = check_tol(tol, name="tol", dtype=dtype, positive=True)
    opts = {"maxiter": check_int(maxiter, name="maxiter", low=1),
            "max_newton": check_int(max_newton, name="max_newton", low=1),
            "sinkhorn_iters": check_int(sinkhorn_iters, name="sinkhorn_iters", low=0),
            "sparsity": _check_sparsity(sparsity)}
    a, b, C = (xp.asarray(v, dtype=dtype, device=device) for v in (a, b, C))
    batch = _check_shapes(a, b, C)
    for v, name in ((a, "a"), (b, "b"), (C, "C")):
        check_finite(v, name=name)
    _check_marginals(a, b, xp=xp, dtype=dtype)
    regs = _check_reg(reg, batch)
    f0 = _check_potential(f0, a.shape, "f0", "a", xp, dtype, device)
    g0 = _check_potential(g0, b.shape, "g0", "b", xp, dtype, device)
    jit = use_jit(xp) and is_numpy(xp)
    solve_one = _Single(xp=xp, dtype=dtype, jit=jit, method=method, tol=tol, opts=opts,
                        callback=callback, return_history=return_history)
    if batch is None:
        return solve_one(a, b, C, regs[0], f0, g0)
    tasks = [solve_one.prepare(a[k, ...], b[k, ...], C[k, ...] if C.ndim == 3 else C, regs[k],
                               None if f0 is None else f0[k, ...],
                               None if g0 is None else g0[k, ...], batch_index=k)
             for k in range(batch)]
    todo = [t for t in tasks if t.out is None]
    if _stackable(todo, method, xp, callback):  # one vectorised log-domain loop for the batch
        outs = sinkhorn_log_stacked([t.prob for t in todo], [t.f for t in todo],
                                    [t.g for t in todo], [t.tol for t in todo],
                                    maxiter=opts["maxiter"], progresses=[t.progress for t in todo])
        for t, out in zip(todo, outs):
            t.out = out
    return _stack([solve_one.finish(solve_one.run(t)) for t in tasks], xp, return_history)


def _stackable(tasks, method, xp, callback):
    """Whether one vectorised loop serves the batch: 'sinkhorn-log', no callback, one shape, no
    zero masses, and a non-NumPy namespace (CuPy: one kernel launch per step for the whole batch;
    on NumPy a loop over problems was faster, measured 0.14 s vs 0.28 s for 20 problems 50x40)."""
    if method != "sinkhorn-log" or is_numpy(xp) or callback is not None or len(tasks) < 2:
        return False
    shapes = {(t.prob.n, t.prob.m) for t in tasks}
    return len(shapes) == 1 and all(t.red.rows is None and t.red.cols is None for t in tasks)


def _check_sparsity(sparsity):
    if sparsity is None:
        return None
    if isinstance(sparsity, numbers.Integral) and not isinstance(sparsity, bool):
        return check_int(sparsity, name="sparsity", low=1)
    if isinstance(sparsity, numbers.Real) and not isinstance(sparsity, bool):
        return check_scalar(sparsity, name="sparsity", low=0.0, high=1.0, low_open=True)
    raise TypeError(f"`sparsity` must be None, an int >= 1 or a float in (0, 1]; got "
                    f"{type(sparsity).__name__}")


def _check_shapes(a, b, C):
    """Return the batch size (``None`` for a single problem) after checking the shapes."""
    if a.ndim not in (1, 2) or b.ndim != a.ndim:
        raise ValueError(f"`a` and `b` must both be 1-D (one problem) or both 2-D (a batch); got "
                         f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.ndim == 2 and a.shape[0] != b.shape[0]:
        raise ValueError(f"`a` and `b` must have the same batch size; got {a.shape[0]} and "
                         f"{b.shape[0]}")
    n, m = a.shape[-1], b.shape[-1]
    if n == 0 or m == 0:
        raise ValueError(f"`a` and `b` must not be empty; got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    expected = [(n, m)] if a.ndim == 1 else [(n, m), (a.shape[0], n, m)]
    if tuple(C.shape) not in expected:
        want = " or ".join(str(e) for e in expected)
        raise ValueError(f"`C` must have shape {want} to match `a` and `b`; got {tuple(C.shape)}")
    return None if a.ndim == 1 else int(a.shape[0])


def _check_marginals(a, b, *, xp, dtype):
    for v, name in ((a, "a"), (b, "b")):
        if bool(xp.any(v < 0)):
            raise ValueError(f"`{name}` must be nonnegative; got minimum {float(xp.min(v)):g}")
    sa, sb = xp.sum(a, axis=-1), xp.sum(b, axis=-1)
    for s, name in ((sa, "a"), (sb, "b")):
        if bool(xp.any(s == 0)):
            raise ValueError(f"`{name}` must have positive total mass; got all zeros")
    rel = max(1e-10, 10 * float(np.finfo(np.float32 if dtype == xp.float32 else np.float64).eps))
    gap = xp.abs(sa - sb) / xp.maximum(sa, sb)
    if bool(xp.any(gap > rel)):
        k = int(xp.argmax(xp.reshape(gap, (-1,))))
        sa_k, sb_k = (float(xp.reshape(s, (-1,))[k]) for s in (sa, sb))
        raise ValueError(f"`a` and `b` must have equal total mass (relative difference <= {rel:g});"
                         f" got sum(a) = {sa_k!r} and sum(b) = {sb_k!r}")


def _check_reg(reg, batch):
    """``reg`` as a list of positive floats, one per problem."""
    if isinstance(reg, (list, tuple)):
        reg = np.asarray(reg)
    shape = tuple(getattr(reg, "shape", ()))
    if shape == ():
        if hasattr(reg, "shape"):  # 0-d array
            reg = float(reg)
        return [check_scalar(reg, name="reg", low=0.0, low_open=True)] * (batch or 1)
    if batch is None or shape != (batch,):
        raise ValueError(f"`reg` must be a positive number (or an array of shape ({batch},) for a "
                         f"batch); got shape {shape}")
    return [check_scalar(float(reg[k]), name="reg", low=0.0, low_open=True) for k in range(batch)]


def _check_potential(v, shape, name, like, xp, dtype, device):
    if v is None:
        return None
    v = xp.asarray(v, dtype=dtype, device=device)
    if tuple(v.shape) != tuple(shape):
        raise ValueError(f"`{name}` must have shape {tuple(shape)} to match `{like}`; got "
                         f"{tuple(v.shape)}")
    return check_finite(v, name=name)


class _Single:
    """Solve one validated problem: reduce, run the method, map back, build the result."""

    def __init__(self, *, xp, dtype, jit, method, tol, opts, callback, return_history):
        self.xp, self.dtype, self.jit, self.method = xp, dtype, jit, method
        self.tol, self.opts = tol, opts
        self.callback, self.return_history = callback, return_history

    def __call__(self, a, b, C, reg, f0, g0, batch_index=None):
        return self.finish(self.run(self.prepare(a, b, C, reg, f0, g0, batch_index)))

    def run(self, task):
        """Run the method on a prepared task (unless its start point converged)."""
        if task.out is None:
            task.out = METHODS[self.method](task.prob, task.f, task.g, tol=task.tol,
                                            progress=task.progress, **self.opts)
        return task

    def prepare(self, a, b, C, reg, f0, g0, batch_index=None):
        """Reduce the problem and test the starting point (``task.out`` set if it converged)."""
        red = _Reduction(a, b, C, reg, xp=self.xp, jit=self.jit)
        prob = red.problem
        f, g = red.initial(f0, g0)
        callback = self.callback
        if callback is not None and batch_index is not None:
            user = callback

            def callback(intermediate):
                intermediate["batch_index"] = batch_index
                user(intermediate)
        task = _Task(red, prob, f, g, self.tol / red.mass,  # the rule on the unit-mass problem
                     Progress(callback, red.output_potentials, scale=red.mass))
        r, c, _, top = prob.marginals(f, g)
        err0 = prob.error(r, c) if top <= prob.overflow else math.inf
        task.progress.history.append(err0 * red.mass)
        if err0 <= task.tol:
            task.out = Outcome(f, g, err0, Status.SUCCESS)
        return task

    def finish(self, task):
        """Map the outcome back to the original problem and build the result."""
        out, xp = task.out, self.xp
        f, g, status, message = task.f, task.g, out.status, out.message
        if _all_finite(out.f, xp) and _all_finite(out.g, xp):
            f, g = out.f, out.g
        else:
            status, message = Status.NONFINITE, None
        return task.red.result(f, g, status, message, task.progress, self.tol,
                               self.return_history)


class _Task:
    """One problem in flight: its reduction, reduced problem, start point, tolerance, progress."""

    def __init__(self, red, prob, f, g, tol, progress):
        self.red, self.prob, self.f, self.g, self.tol, self.progress = red, prob, f, g, tol, progress
        self.out = None


def _all_finite(v, xp):
    return bool(xp.all(xp.isfinite(v)))


class _Reduction:
    """Exact pre-processing (zero masses removed, unit mass, reduced cost) and its inverse."""

    def __init__(self, a, b, C, reg, *, xp, jit):
        self.xp, self.jit, self.reg, self.dtype = xp, jit, reg, C.dtype
        self.a, self.b, self.C = a, b, C
        self.rows = _support(a, xp)
        self.cols = _support(b, xp)
        As, Bs, Cs = a, b, C
        if self.rows is not None:
            As, Cs = xp.take(a, self.rows), xp.take(Cs, self.rows, axis=0)
        if self.cols is not None:
            Bs, Cs = xp.take(b, self.cols), xp.take(Cs, self.cols, axis=1)
        self.mass = float(xp.sum(As))
        self.alpha = xp.min(Cs, axis=1)
        Ct = Cs - self.alpha[:, None]
        self.beta = xp.min(Ct, axis=0)
        if jit:
            Ct -= self.beta[None, :]
            Ct = np.ascontiguousarray(Ct)
            As, Bs = np.asarray(As, dtype=np.float64), np.asarray(Bs, dtype=np.float64)
            self.alpha = np.asarray(self.alpha, dtype=np.float64)
            self.beta = np.asarray(self.beta, dtype=np.float64)
        else:
            Ct = Ct - self.beta[None, :]
        self.problem = ReducedProblem(Ct, As / self.mass, Bs / self.mass, reg, xp=xp, jit=jit)
        eps = self.problem.eps
        ratio = self.problem.span / reg
        if eps * ratio > MAX_EXPONENT_ROUNDOFF:
            raise ValueError(
                f"`reg`={reg:g} is too small for the cost range: range(C)/reg = {ratio:.3g} "
                f"exceeds "
                f"{MAX_EXPONENT_ROUNDOFF / eps:.3g}, beyond which the kernel exp(-C/reg) cannot be "
                f"represented in {np.dtype(_np_dtype(self.dtype)).name} even in the log domain "
                f"(exponent round-off > 1%). Use reg >= "
                f"{self.problem.span * eps / MAX_EXPONENT_ROUNDOFF:.3g}"
                ", rescale C, or use float64 / an exact LP solver (ot.emd) for the unregularised "
                "problem.")

    def _to_reduced(self, v, support, shift):
        xp = self.xp
        if support is not None:
            v = xp.take(v, support)
        return self.problem.potential(v) - shift

    def initial(self, f0, g0):
        """Reduced starting potentials from a warm start (output convention) or zeros."""
        prob = self.problem
        log_mass = self.reg * math.log(self.mass)
        f = prob.zeros(prob.n) if f0 is None else self._to_reduced(f0, self.rows, 0.0)
        if f0 is not None:
            f = f - self._cast(self.alpha) - log_mass
        g = prob.zeros(prob.m) if g0 is None else self._to_reduced(g0, self.cols, 0.0) \
            - self._cast(self.beta)
        if f0 is not None and g0 is None:
            g = prob.col_step(f, g)
        elif g0 is not None and f0 is None:
            f = prob.row_pass(f, g)[1]
        return f, g

    def _cast(self, v):
        return v if self.jit else self.xp.astype(v, self.problem.dtype)

    def output_potentials(self, f, g):
        """Reduced potentials -> output convention (full length, gauge <a, f> = <b, g>)."""
        xp, prob = self.xp, self.problem
        f = f + (self._cast(self.alpha) + self.reg * math.log(self.mass))
        g = g + self._cast(self.beta)
        t = (float(xp.sum(prob.a * f)) - float(xp.sum(prob.b * g))) / 2.0
        f, g = f - t, g + t
        if self.rows is not None or self.cols is not None:
            n, m = self.C.shape
            C = xp.asarray(self.C, dtype=f.dtype)
            Cs_cols = C if self.cols is None else xp.take(C, self.cols, axis=1)
            Cs_rows = C if self.rows is None else xp.take(C, self.rows, axis=0)
            # zero-mass rows/columns: f_i = min_j (C_ij - g_j) over the support (dual feasible)
            f_fill = xp.min(Cs_cols - g[None, :], axis=1)
            g_fill = xp.min(Cs_rows - f[:, None], axis=0)
            f = xp.where(_mask(self.rows, n, xp, self.C), _scatter(f, self.rows, n, xp), f_fill)
            g = xp.where(_mask(self.cols, m, xp, self.C), _scatter(g, self.cols, m, xp), g_fill)
        return xp.asarray(f, dtype=self.dtype), xp.asarray(g, dtype=self.dtype)

    def result(self, f, g, status, message, progress, tol, return_history):
        xp, prob, M = self.xp, self.problem, self.mass
        P, r, c, total, plogp, pc = prob.plan(f, g)
        fo, go = self.output_potentials(f, g)
        if self.rows is None and self.cols is None:
            if is_numpy(xp):
                P *= M  # in place: the plan is the largest array here
                plan = P
            else:
                plan = P * M
        else:
            n, m = self.C.shape
            plan = _scatter2(P * M, self.rows, self.cols, n, m, xp)
        plan = xp.asarray(plan, dtype=self.dtype)
        if self.dtype == xp.float32:  # the rule on the returned (rounded) plan
            rows = xp.sum(xp.astype(plan, xp.float64), axis=1)
            cols = xp.sum(xp.astype(plan, xp.float64), axis=0)
            err = float(xp.sum(xp.abs(rows - xp.astype(self.a, xp.float64)))
                        + xp.sum(xp.abs(cols - xp.astype(self.b, xp.float64))))
        else:
            err = prob.error(r, c) * M
        alpha, beta = self.alpha, self.beta
        cost = M * (pc + float(xp.sum(xp.asarray(r) * alpha)) + float(xp.sum(xp.asarray(c) * beta)))
        objective = cost + self.reg * M * (plogp + math.log(M) * total)
        dual = float(xp.sum(xp.astype(self.a, xp.float64) * xp.astype(fo, xp.float64))
                     + xp.sum(xp.astype(self.b, xp.float64) * xp.astype(go, xp.float64))) \
            - self.reg * M * total + self.reg * M
        if status == Status.SUCCESS and not err <= tol:
            status = Status.BUDGET
            message = (f"Precision floor: the solver's test passed but the returned plan has "
                       f"marginal error {err:.3g} > tol={tol:g} (round-off of "
                       f"{np.dtype(_np_dtype(self.dtype)).name}).")
        if message is None:
            message = _MESSAGES.get(status)
        if message is None:
            message = None if status != Status.MAXITER else (
                f"Maximum number of iterations reached; marginal error {err:.3g}.")
        return make_result(OTResult, status, message=message, plan=plan, cost=cost, f=fo, g=go,
                           marginal_error=err, objective=objective, dual_objective=dual,
                           duality_gap=objective - dual, nit=progress.nit,
                           **progress.counts, history=progress.history,
                           return_history=return_history)


_MESSAGES = {
    Status.SUCCESS: "Converged: ||P 1 - a||_1 + ||P^T 1 - b||_1 <= tol.",
    Status.CALLBACK: "Stopped: `callback` raised StopIteration.",
    Status.NONFINITE: "NaN/Inf met; last finite iterate returned.",
}


def _np_dtype(dtype):
    return np.float32 if "float32" in str(dtype) else np.float64


def _support(v, xp):
    """Indices of the positive entries, or ``None`` when all are positive."""
    if bool(xp.all(v > 0)):
        return None
    return xp.nonzero(v > 0)[0]


def _mask(support, size, xp, like):
    """Boolean vector, true on ``support`` (everywhere when ``None``)."""
    import array_api_compat as aac

    dev = aac.device(like)
    if support is None:
        return xp.ones(size, dtype=xp.bool, device=dev)
    return _scatter(xp.ones(support.shape[0], dtype=xp.bool, device=dev), support, size, xp,
                    fill=False)


def _scatter(v, support, size, xp, fill=0):
    """Full-length vector with ``v`` at ``support`` (array-API: built from a one-hot product)."""
    if support is None:
        return v
    import array_api_compat as aac

    dev = aac.device(v)
    if is_numpy(xp):
        out = np.full(size, fill, dtype=v.dtype)
        out[np.asarray(support)] = v
        return out
    onehot = xp.astype(xp.arange(size, device=dev)[:, None] == support[None, :], xp.float64)
    vals = xp.matmul(onehot, xp.astype(v, xp.float64))
    if v.dtype == xp.bool:
        return vals > 0.5
    return xp.astype(vals, v.dtype)


def _scatter2(P, rows, cols, n, m, xp):
    """Full ``(n, m)`` plan with ``P`` on ``rows x cols`` and zeros elsewhere."""
    if is_numpy(xp):
        out = np.zeros((n, m), dtype=P.dtype)
        r = np.arange(n) if rows is None else np.asarray(rows)
        c = np.arange(m) if cols is None else np.asarray(cols)
        out[np.ix_(r, c)] = P
        return out
    import array_api_compat as aac

    dev = aac.device(P)
    R = xp.eye(n, dtype=P.dtype, device=dev) if rows is None else \
        xp.astype(xp.arange(n, device=dev)[:, None] == rows[None, :], P.dtype)
    K = xp.eye(m, dtype=P.dtype, device=dev) if cols is None else \
        xp.astype(xp.arange(m, device=dev)[:, None] == cols[None, :], P.dtype)
    return xp.matmul(xp.matmul(R, P), xp.matrix_transpose(K))


def _stack(results, xp, return_history):
    """One batched result from per-problem results (arrays gain a leading axis)."""
    out = OTResult()
    for key in ("plan", "f", "g"):
        out[key] = xp.stack([r[key] for r in results])
    for key in ("cost", "marginal_error", "objective", "dual_objective", "duality_gap"):
        out[key] = np.array([r[key] for r in results])
    for key in ("nit", "n_sinkhorn", "n_newton", "n_cg"):
        out[key] = np.array([r[key] for r in results], dtype=np.int64)
    statuses = np.array([r.status for r in results])
    out["statuses"] = statuses
    out["messages"] = [r.message for r in results]
    out["success"] = bool(np.all(statuses == 0))
    out["status"] = int(statuses.max())
    out["message"] = ("All problems converged." if out["success"] else
                      f"{int(np.sum(statuses != 0))} of {len(results)} problems did not converge; "
                      "see `messages`.")
    if return_history:
        out["history"] = [r.history for r in results]
    return out
