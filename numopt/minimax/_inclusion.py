r"""``solve_monotone_inclusion``: find ``x`` with ``0 ∈ F(x) + G(x)``, ``F = (1/n) sum_i F_i``."""
import math

import numpy as np

from .._lib._array_api import array_namespace, result_dtype
from .._lib._capabilities import capabilities
from .._lib._jit import use_jit
from .._lib._result import OptimizeResult, Status, make_result
from .._lib._rng import as_generator
from .._lib._validate import check_choice, check_finite, check_int, check_scalar, check_tol
from ._extragradient import eag, eg, vr_eg
from ._halpern import halpern, vr_halpern, vr_halpern_inexact
from ._operators import FiniteSumOperator
from ._problem import Problem, Tracker

__all__ = ["solve_monotone_inclusion"]

# VR-EG step gamma = c sqrt(p)/L: theory needs c < 1; the authors' c = 3 stalled on random 50x40 games
# (R ~ 0.5 after 4000 epochs, measured) where c = 0.99 converged.
VR_EG_STEP_FACTOR = 0.99
# method -> (run, uses sampling, which constant its step rule needs, default step from that constant)
METHODS = {
    "vr-halpern": (vr_halpern, True, "cocoercive", lambda L, n: 1.0 / L),
    "vr-halpern-inexact": (vr_halpern_inexact, True, "sampled", lambda L, n: math.sqrt(n) / L),
    "halpern": (halpern, False, "full", lambda L, n: 1.0 / L),
    "eg": (eg, False, "full", lambda L, n: 0.5 / L),
    "eag": (eag, False, "full", lambda L, n: 0.5 / L),
    "vr-eg": (vr_eg, True, "sampled", lambda L, n: VR_EG_STEP_FACTOR * math.sqrt(1.0 / n) / L),
}
STABILITY_BOUND = {"vr-halpern", "halpern"}  # step <= 2/L when L is known (cocoercive methods)
DEFAULT_MAX_EPOCHS = 10_000
N_PROBES = 8  # random perturbations of x0 for the sampled monotonicity check and estimates
PROBE_SAFETY = 2.0  # secant estimates are multiplied by 2 (spec)
MONOTONE_SLACK = 1e-8  # <F(u)-F(v), u-v> >= -1e-8 ||F(u)-F(v)|| ||u-v|| counts as monotone (rounding)
STALL_WINDOW = (200.0, 0.2)  # stall window: max(200 epochs, 20 % of the budget, 10 x epochs at last halving)


@capabilities(numba="'vr-halpern' on matrix forms; projections", cupy=True, linear_operator=True)
def solve_monotone_inclusion(operator, x0, *, resolvent=None, method="vr-halpern", step=None,
                             lipschitz=None, batch_size=None, tol=1e-6, maxiter=None, max_epochs=None,
                             seed=None, callback=None, return_history=False):
    r"""Find ``x`` with ``0 ∈ F(x) + G(x)`` for a finite-sum monotone ``F`` and maximal monotone ``G``.

    Parameters
    ----------
    operator : FiniteSumOperator, matrix, LinearOperator or callable
        ``F = (1/n) sum_i F_i``.  A dense/sparse matrix or ``LinearOperator`` ``M`` means
        ``F(z) = M z`` with column components (:meth:`FiniteSumOperator.linear`; build the operator
        with ``components='paired'`` for Cai et al.'s paired components, with which 'vr-halpern'
        converges on their bilinear QP where the column form diverges).  A plain callable
        ``u -> F(u)`` is accepted by ``'halpern'``, ``'eg'`` and ``'eag'`` only.
    x0 : (d,) array
        Start (and anchor of the Halpern methods).
    resolvent : callable, optional
        ``resolvent(w, step) = J_{step G}(w)``; ``None`` means ``G = 0``.  The classes of
        :mod:`numopt.prox` (simplices, box, ball, l1) also run inside the compiled loops.
    method : {'vr-halpern', 'vr-halpern-inexact', 'halpern', 'eg', 'eag', 'vr-eg'}
        'vr-halpern': Algorithm 1 of [1]_ (needs cocoercive ``F``; on merely monotone ``F`` it may
        stall or diverge, reported as ``status`` 3).  'vr-halpern-inexact': Algorithm 2 of [1]_
        (monotone Lipschitz ``F``) with VR-FoRB [2]_ inner solves.  'halpern': Halpern's iteration.
        'eg': extragradient.  'eag': extra-anchored gradient [3]_.  'vr-eg': variance-reduced
        extragradient [2]_.
    step : float, optional
        ``η`` (``γ`` for 'vr-eg').  Default from the constant ``L`` below: 'vr-halpern' ``1/L``,
        'vr-halpern-inexact' ``sqrt(n)/L``, 'halpern' ``1/L``, 'eg'/'eag' ``0.5/L``, 'vr-eg'
        ``0.99 sqrt(1/n)/L`` (the theory's bound; the authors' factor 3 stalled on random games).
    lipschitz : float, optional
        The constant the method's step rule uses: for the sampled methods the constant ``L`` of
        ``E_q ||F_q(u) - F_q(v)||^2 <= L^2 ||u - v||^2`` (cocoercive form for 'vr-halpern'), for the
        others ``L_F`` of ``F``.  If not given: matrix forms compute it (column norms; ``||M||_2``
        by 30 power iterations x1.05), callables estimate it from secants at ``x0`` and 8 random
        perturbations (x2); ``message`` says which.
    batch_size : int, optional
        Batch size ``b`` of 'vr-halpern', in ``[1, n]`` (default ``floor(sqrt(n))``).
    tol : float
        Stop when ``R(x) <= tol`` (see Notes).
    maxiter : int, optional
        Maximum number of iterations (default: no limit).
    max_epochs : float, optional
        Oracle budget in epochs, ``n`` component calls each (default 1e4).
    seed : None, int or numpy.random.Generator
        Randomness of the sampled methods; the same seed gives the same iterates.
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration, with fields ``x``, ``nit``,
        ``residual`` (the last one evaluated) and ``epochs``; ``StopIteration`` stops (status 99).
    return_history : bool
        Record ``R`` at each evaluation (``history``) and the epoch it was taken at
        (``history_epochs``).

    Returns
    -------
    OptimizeResult
        ``x``, ``residual`` (``R(x)``), ``n_oracle`` (component calls of the method; a full ``F``
        counts ``n``, a batch difference ``2|S|``), ``n_oracle_setup`` (calls spent by the input checks
        and estimates), ``epochs`` (``n_oracle / n``), ``nit``, ``step``, ``lipschitz`` (the constant
        used, ``nan`` if the step was given without one), ``success``, ``status`` (0 converged,
        1 ``maxiter``, 2 epoch budget, 3 stalled, diverging or detected non-monotone, 4 NaN/Inf, 99
        callback), ``message``, ``history``/``history_epochs`` if requested.

    See Also
    --------
    solve_matrix_game : mixed Nash equilibria of zero-sum games.
    FiniteSumOperator : the operator forms.

    Notes
    -----
    The residual is the natural (unit-step) residual, zero exactly at solutions:

    .. math:: R(u) = \|u - J_G(u - F(u))\| \le \mathrm{tol}

    It is evaluated only where ``F`` at the current iterate is already known (full passes of
    Algorithm 1, outer points of Algorithm 2, snapshots of 'vr-eg', every step of the others) and
    once more for the returned ``x`` when needed.  Before iterating, ``<F(x0+δ) - F(x0), δ>`` is
    checked at 8 random ``δ``: a negative value (beyond rounding) returns ``success=False``,
    ``status`` 3 without iterating.  Status 3 is also returned when ``R`` exceeds ``1e3`` times its
    first value or does not halve within ``max(200 epochs, 20% of the budget, 10 x the epochs at the
    last halving)`` (the spec's window widened by the last term so that ``O(1/k)`` methods, which
    halve ``R`` when the epochs double, are not stopped on the plateaus their residual shows).

    References
    ----------
    .. [1] X. Cai, A. Alacaoglu, J. Diakonikolas, "Variance reduced Halpern iteration for finite-sum
       monotone inclusions", ICLR 2024, arXiv:2310.02987.
    .. [2] A. Alacaoglu, Y. Malitsky, "Stochastic variance reduction for variational inequality
       methods", COLT 2022.
    .. [3] T. Yoon, E. K. Ryu, "Accelerated algorithms for smooth convex-concave minimax problems
       with O(1/k^2) rate on squared gradient norm", ICML 2021.
    .. [4] F. Lieder, "On the convergence rate of the Halpern-iteration", Optim. Lett. 15 (2021).

    Examples
    --------
    >>> import numpy as np, numopt
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((200, 5)); b = rng.standard_normal(200)
    >>> F = numopt.FiniteSumOperator(lambda u, i: A[i] * (A[i] @ u - b[i])[:, None], 200, 5,
    ...                              component_lipschitz=np.sum(A**2, axis=1))
    >>> res = numopt.solve_monotone_inclusion(F, np.zeros(5), tol=1e-2, seed=0)  # O(1/k): modest tol
    >>> res.success, res.residual <= 1e-2
    (True, True)
    >>> res = numopt.solve_monotone_inclusion(F, np.zeros(5), method="eg", tol=1e-10)  # linear rate
    >>> res.success, bool(np.allclose(res.x, np.linalg.lstsq(A, b)[0], atol=1e-9))
    (True, True)
    """
    check_choice(method, tuple(METHODS), name="method")
    run, sampled, constant_kind, default_step = METHODS[method]
    op = _as_operator(operator, sampled, method, x0)
    xp, device = array_namespace(x0, *([op._probe()] if op.is_matrix else []))
    if resolvent is not None and not callable(resolvent):
        raise TypeError(f"`resolvent` must be callable resolvent(w, step) or None; "
                        f"got {type(resolvent).__name__}")
    dtype = result_dtype(x0, *([op._probe()] if op.is_matrix else []), xp=xp)
    x0 = _check_x0(x0, op.dim, xp, dtype, device)
    tol = check_tol(tol, name="tol", dtype=dtype, positive=True)
    maxiter = math.inf if maxiter is None else check_int(maxiter, name="maxiter", low=1)
    max_epochs = DEFAULT_MAX_EPOCHS if max_epochs is None else check_scalar(
        max_epochs, name="max_epochs", low=1.0)
    step = None if step is None else check_scalar(step, name="step", low=0.0, low_open=True)
    lipschitz = None if lipschitz is None else check_scalar(
        lipschitz, name="lipschitz", low=0.0, low_open=True)
    if sampled and op.n < 2:
        raise ValueError(f"method={method!r} needs an operator with n >= 2 components; got n={op.n}")
    batch = math.floor(math.sqrt(op.n)) if batch_size is None else check_int(
        batch_size, name="batch_size", low=1, high=op.n)
    rng = as_generator(seed)
    if not op.is_matrix:
        op.xp, op.device, op.dtype = xp, device, dtype
    F0 = _check_operator_output(op, x0, xp, sampled)
    _check_resolvent(resolvent, x0)

    setup = _Setup(op, x0, F0, xp, rng)
    if not setup.monotone:
        return _result(x0, math.nan, Status.BREAKDOWN, setup.message, 0, setup.n_oracle, 0, op.n,
                       step, math.nan, [], [], return_history)
    q, L, notes = _constants(op, method, constant_kind, lipschitz, step, setup)
    if step is None:
        step = default_step(L, op.n) if L > 0 else 1.0  # L = 0: F is constant, any step is stable
    elif method in STABILITY_BOUND and L is not None and _is_known(op, lipschitz, constant_kind) \
            and step > 2.0 / L:
        raise ValueError(f"`step` must be <= 2/L = {2.0 / L:.6g} for method={method!r} (L known); "
                         f"got {step!r}")
    problem = Problem(xp=xp, device=device, dtype=dtype, op=op, resolvent=resolvent, x0=x0, step=step,
                      L=math.nan if L is None else L, q=q if sampled else None, batch=batch, tol=tol,
                      max_oracle=int(math.ceil(max_epochs * op.n)), maxiter=maxiter, rng=rng,
                      callback=callback, jit=use_jit(xp),
                      window_floor=max(STALL_WINDOW[0], STALL_WINDOW[1] * max_epochs), notes=notes)
    return run_problem(run, problem, setup.n_oracle, return_history)


def run_problem(run, problem, n_setup, return_history, fields=None):
    """Run a method on a validated problem and build the result (shared with the game solver).

    ``fields(x, Fx)`` adds problem-specific result fields (``Fx = F(x)`` when known, else None).
    """
    tracker = Tracker(problem, return_history)
    u = run(problem, tracker)
    x, R, status = tracker.finish(u)
    message = _message(status, tracker, problem)
    extra = {} if fields is None else fields(x, tracker.checked[2] if tracker.checked else None)
    return _result(x, R, status, message, tracker.nit, n_setup, tracker.n_oracle, problem.n,
                   problem.step, problem.L, tracker.history, tracker.history_epochs, return_history,
                   **extra)


def _message(status, tracker, problem):
    base = {
        Status.SUCCESS: "Converged: R(x) = ||x - J_G(x - F(x))|| <= tol."
        if problem.certificate is None else "Converged: the certificate is <= tol.",
        Status.MAXITER: "Maximum number of iterations (maxiter) reached.",
        Status.BUDGET: "Epoch budget (max_epochs) exhausted.",
        Status.NONFINITE: "NaN/Inf met; last finite iterate returned.",
        Status.CALLBACK: "Stopped: `callback` raised StopIteration.",
    }.get(status, tracker.reason or "Breakdown.")
    return " ".join([base, *problem.notes])


def _result(z, R, status, message, nit, n_setup, n_oracle, n, step, L, history, history_epochs,
            return_history, **extra):
    fields = dict(x=z, residual=float(R), n_oracle=int(n_oracle), n_oracle_setup=int(n_setup),
                  epochs=n_oracle / n, nit=int(nit), step=step, lipschitz=L)
    fields.update(extra)
    res = make_result(OptimizeResult, status, message=message, history=list(history),
                      return_history=return_history, **fields)
    if return_history:
        res["history_epochs"] = list(history_epochs)
    return res


def _as_operator(operator, sampled, method, x0):
    from .._lib._sparse import is_sparse

    if isinstance(operator, FiniteSumOperator):
        return operator
    if is_sparse(operator) or hasattr(operator, "__array_namespace__") or isinstance(operator, np.ndarray) \
            or (hasattr(operator, "matvec") and hasattr(operator, "shape")):
        return FiniteSumOperator.linear(operator)
    if callable(operator):
        if sampled:
            raise TypeError(f"method={method!r} samples components: pass a FiniteSumOperator or a "
                            "matrix, not a plain callable u -> F(u)")
        shape = tuple(getattr(x0, "shape", np.shape(x0)))
        if len(shape) != 1:
            raise ValueError(f"`x0` must be 1-D; got shape {shape}")
        return FiniteSumOperator(lambda u, idx: operator(u)[None, :], 1, max(shape[0], 1), full=operator)
    raise TypeError("`operator` must be a FiniteSumOperator, a matrix, a LinearOperator or a callable; "
                    f"got {type(operator).__name__}")


def _check_x0(x0, dim, xp, dtype, device):
    shape = tuple(getattr(x0, "shape", np.shape(x0)))
    if shape != (dim,):
        raise ValueError(f"`x0` must have shape ({dim},) to match the operator; got {shape}")
    x0 = xp.asarray(x0, dtype=dtype, device=device)
    return check_finite(x0, name="x0")


def _check_operator_output(op, x0, xp, sampled):
    F0 = op.F(x0)
    _check_output(F0, (op.dim,), "F(x0)")
    if op.kind == "callable":
        rows = op._component(x0, op._indices(np.arange(min(2, op.n))))
        _check_output(rows, (min(2, op.n), op.dim), "component(x0, idx)")
    return F0


def _check_output(value, shape, what):
    got = tuple(getattr(value, "shape", ()))
    if got != shape:
        raise ValueError(f"the operator's {what} must have shape {shape}; got {got}")
    check_finite(value, name=what)


def _check_resolvent(resolvent, x0):
    if resolvent is None:
        return
    xp, _ = array_namespace(x0)
    w = resolvent(x0, 1.0)
    got = tuple(getattr(w, "shape", ()))
    if got != tuple(x0.shape):
        raise ValueError(f"`resolvent` must return the shape of its input {tuple(x0.shape)}; got {got}")
    gap = float(xp.linalg.vector_norm(resolvent(w, 1.0) - w))
    if not gap <= 1e-8 * (1.0 + float(xp.linalg.vector_norm(x0))):
        raise ValueError(f"`resolvent` must be a resolvent (idempotent on its range): "
                         f"||J(J(x0)) - J(x0)|| = {gap:.3g} > 1e-8 (1 + ||x0||)")


class _Setup:
    """Sampled monotonicity check and secant estimates at ``x0`` and 8 random perturbations."""

    def __init__(self, op, x0, F0, xp, rng):
        self.op, self.x0, self.F0, self.xp = op, x0, F0, xp
        self.n_oracle = op.n + (min(2, op.n) if op.kind == "callable" else 0)  # the checks at x0
        scale = 1e-3 * (1.0 + float(xp.linalg.vector_norm(x0)))
        probe_rng = np.random.default_rng(rng.integers(2**63))
        self.deltas, self.diffs = [], []
        self.monotone, self.message = True, ""
        for _ in range(N_PROBES):
            g = probe_rng.standard_normal(op.dim)
            delta = xp.asarray(scale * g / np.linalg.norm(g), dtype=x0.dtype, device=x0.device)
            diff = op.F(x0 + delta) - F0
            self.n_oracle += op.n
            inner = float(xp.sum(diff * delta))
            size = float(xp.linalg.vector_norm(diff)) * scale
            if inner < -MONOTONE_SLACK * size:
                self.monotone = False
                self.message = (f"F is not monotone: <F(u) - F(v), u - v> = {inner:.3g} < 0 at a sampled "
                                "pair near x0; no monotone-inclusion method applies.")
                return
            self.deltas.append(delta)
            self.diffs.append(diff)

    def lipschitz_full(self):
        xp = self.xp
        return PROBE_SAFETY * max(float(xp.linalg.vector_norm(d)) / float(xp.linalg.vector_norm(e))
                                  for d, e in zip(self.diffs, self.deltas))

    def sampled_constant(self, cocoercive):
        """Secant estimate of the sampled constant (uniform law) from full component stacks."""
        xp, op = self.xp, self.op
        ids = op._indices(np.arange(op.n))
        base = op._component(self.x0, ids)
        self.n_oracle += op.n
        best = 0.0
        for delta, diff in zip(self.deltas, self.diffs):
            rows = op._component(self.x0 + delta, ids) - base
            self.n_oracle += op.n
            mean_sq = float(xp.mean(xp.sum(rows * rows, axis=1)))
            if cocoercive:
                inner = float(xp.sum(diff * delta))
                ratio = mean_sq / inner if inner > 0 else math.inf
            else:
                ratio = math.sqrt(mean_sq) / float(xp.linalg.vector_norm(delta))
            best = max(best, ratio)
        return PROBE_SAFETY * best


def _constants(op, method, kind, lipschitz, step, setup):
    """``(q, L, notes)``: sampling law and the constant of the step rule, with where it came from."""
    q, L_sampled = op.sampling_constants()
    notes = []
    if lipschitz is not None:
        return q, lipschitz, notes
    if kind == "full":
        if op.lipschitz is not None:
            return q, op.lipschitz, notes
        if op.is_matrix:
            notes.append("L_F = ||M||_2 estimated by 30 power iterations (x1.05).")
            return q, op.operator_norm(), notes
        L = setup.lipschitz_full()
        notes.append(f"L_F estimated from secants at x0 (x2): {L:.4g}.")
    elif L_sampled is not None:
        notes.append(f"L = {L_sampled:.4g} computed from the component constants "
                     f"({op.sampling_law} sampling).")
        return q, L_sampled, notes
    else:
        L = setup.sampled_constant(cocoercive=kind == "cocoercive")
        notes.append(f"L estimated from component secants at x0 (x2): {L:.4g}.")
    if not (0.0 < L < math.inf):
        if step is None or method == "vr-halpern-inexact":
            raise ValueError(f"method={method!r} needs `lipschitz` (or `step`): it cannot be estimated "
                             f"from secants at x0 (got {L!r})")
        return q, None, []
    return q, L, notes


def _is_known(op, lipschitz, kind):
    """True when ``L`` was given (by the user or with the operator), not estimated."""
    if lipschitz is not None:
        return True
    return op.lipschitz is not None if kind == "full" else op.component_lipschitz is not None
