"""``solve_sor_sequence``: SOR or SSOR-PCG over a stream of systems with a learned ``omega``."""
import numpy as np

from .._lib._callback import call_callback
from .._lib._capabilities import capabilities
from .._lib._result import SequenceResult, Status, make_result
from .._lib._validate import check_choice, check_int, check_tol
from ._bandit import OmegaBandit
from ._pcg import solve_pcg
from ._sor import solve_sor

__all__ = ["solve_sor_sequence", "METHODS"]


def _sor(A, b, x0, omega, rtol, maxiter):
    return solve_sor(A, b, x0, omega=omega, rtol=rtol, maxiter=maxiter)


def _ssor_pcg(A, b, x0, omega, rtol, maxiter):
    return solve_pcg(A, b, x0, preconditioner="ssor", omega=omega, rtol=rtol, maxiter=maxiter)


METHODS = {"sor": _sor, "ssor-pcg": _ssor_pcg}
_END = object()


def _make_bandit(learner, omegas, seed, context_range):
    if isinstance(learner, OmegaBandit):
        if omegas is not None:
            raise ValueError("`omegas` must be None when `learner` is an OmegaBandit (it has its "
                             f"own grid); got {omegas!r}")
        return learner
    if learner is not None and not isinstance(learner, str):
        raise TypeError(f"`learner` must be a learner name, an OmegaBandit or None; got "
                        f"{type(learner).__name__}")
    return OmegaBandit(omegas, learner=learner, context_range=context_range, seed=seed)


def _context_range(systems, contexts, learner):
    """``systems.context_range`` (gallery sequences), else the range of the given ``contexts``."""
    if isinstance(learner, OmegaBandit):
        return None
    given = getattr(systems, "context_range", None)
    if given is not None:
        return given
    if contexts is not None and len(contexts) > 0 and np.max(contexts) > np.min(contexts):
        return float(np.min(contexts)), float(np.max(contexts))
    return None


def _unpack(item, t, contexts):
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise ValueError(f"`systems` must yield (A, b) or (A, b, context) tuples; item {t} is "
                         f"{type(item).__name__}" + (f" of length {len(item)}"
                                                     if isinstance(item, (tuple, list)) else ""))
    context = item[2] if len(item) == 3 else None
    if contexts is not None:
        if t >= len(contexts):
            raise ValueError(f"`contexts` has {len(contexts)} values but `systems` yielded item "
                             f"{t}")
        context = contexts[t]
    return item[0], item[1], context


@capabilities(numba="sweep, ssor", cupy=True, linear_operator=False)
def solve_sor_sequence(systems, *, method="sor", learner=None, omegas=None, contexts=None,
                       rtol=1e-8, maxiter=10_000, warm_start=False, seed=None, callback=None,
                       keep_x=True, return_history=False):
    r"""Solve a sequence of SPD systems by SOR or SSOR-PCG, learning ``omega`` as it goes.

    For each item ``(A_t, b_t)`` or ``(A_t, b_t, c_t)`` of ``systems``: ``omega_t =
    bandit.suggest(c_t)``; solve with ``omega_t``; ``bandit.update(nit_t)``.  Items are consumed
    one at a time (a generator is streamed); if ``systems`` has ``send`` (a generator), the
    solution is sent back to it, which lets e.g. a time stepper build the next system from it.

    Parameters
    ----------
    systems : iterable
        Yields ``(A, b)`` or ``(A, b, context)``; ``A`` SPD with a positive diagonal.  An object
        with a ``context_range`` attribute (the gallery sequences) sets the contextual learners'
        range.
    method : {'sor', 'ssor-pcg'}
        :func:`solve_sor` sweeps, or :func:`solve_pcg` with ``preconditioner='ssor'``.
    learner : str, OmegaBandit or None
        A learner name of :class:`OmegaBandit` (default ``None``: ``'cheb-thompson'`` when contexts
        and a range are available, else ``'thompson'``) or a ready bandit (e.g. restored with
        :meth:`OmegaBandit.from_state_dict`; it is updated in place).
    omegas : 1-D array_like, optional
        The ``omega`` grid (default ``linspace(1.0, 1.95, 20)``).
    contexts : 1-D array_like, optional
        Overrides the contexts yielded by ``systems``; for a learner given by name without a
        ``systems.context_range`` its range is ``(min(contexts), max(contexts))``.
    rtol : float
        Each solve stops when ``||b - A x|| <= rtol ||b||``.
    maxiter : int
        Iteration cap per solve (an unconverged solve costs ``maxiter``).
    warm_start : bool
        Start each solve from the previous solution (all systems must then have the same size).
    seed : None, int or numpy.random.Generator
        Seed of the learner (ignored when ``learner`` is an OmegaBandit).
    callback : callable, optional
        ``callback(intermediate_result)`` after each system with ``x``, ``nit`` (systems solved),
        ``omega``, ``iterations`` (of that solve) and ``total_iterations``; ``StopIteration`` stops
        the sequence (``status`` 99).
    keep_x : bool
        Keep every solution in ``x`` (``False``: only the last, to save memory on long sequences).
    return_history : bool
        Add ``history``: the iterations of each solve.

    Returns
    -------
    SequenceResult
        ``x`` (list of solutions), ``x_final`` (the last one), ``omegas`` and ``iterations`` (per
        system), ``contexts`` (per system, NaN where none), ``total_iterations``, ``nit`` (systems
        solved), ``success`` (every solve converged), ``status``, ``message``, ``bandit`` (the
        learner, for ``state_dict()``) and ``history`` if requested.

    See Also
    --------
    OmegaBandit : the learner.
    solve_sor, solve_pcg : the per-system solvers.

    Notes
    -----
    Each solve stops at :math:`\|b_t - A_t x\|_2 \le \mathrm{rtol}\,\|b_t\|_2` (or after ``maxiter``
    iterations).  The sequence succeeds when every solve does.

    References
    ----------
    .. [1] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to relax: setting solver
       parameters across a sequence of linear system instances", ICLR 2024, arXiv:2310.02246.

    Examples
    --------
    >>> import numopt
    >>> seq = numopt.problems.shifted_laplacian_sequence(200, seed=0)
    >>> res = numopt.solve_sor_sequence(seq, learner="tsallis-inf", seed=0)
    >>> res.success, len(res.iterations)
    (True, 200)
    """
    check_choice(method, tuple(METHODS), name="method")
    solve = METHODS[method]
    maxiter = check_int(maxiter, name="maxiter", low=1)
    rtol = check_tol(rtol, name="rtol")
    if contexts is not None:
        contexts = np.asarray(contexts, dtype=np.float64)
        if contexts.ndim != 1:
            raise ValueError(f"`contexts` must be 1-D; got shape {contexts.shape}")
    bandit = _make_bandit(learner, omegas, seed, _context_range(systems, contexts, learner))
    iterator = iter(systems)
    send = getattr(iterator, "send", None)
    xs, chosen, counts, seen = [], [], [], []
    status, message, x, x0, size = Status.SUCCESS, None, None, None, None
    failures = total = 0
    item = next(iterator, _END)
    if item is _END:
        raise ValueError("`systems` must yield at least one (A, b) system; got an empty iterable")
    while item is not _END:
        t = len(counts)
        A, b, context = _unpack(item, t, contexts)
        n = A.shape[0] if hasattr(A, "shape") else None
        if warm_start and size is not None and n != size:
            raise ValueError(f"`warm_start=True` needs systems of one size; system {t} has n={n}, "
                             f"the previous ones n={size}")
        size = n
        omega = bandit.suggest(None if context is None else float(context))
        res = solve(A, b, x0 if warm_start else None, omega, rtol, maxiter)
        bandit.update(res.nit)
        x = res.x
        if not res.success:
            failures += 1
            status = Status(res.status) if status == Status.SUCCESS else status
        if keep_x:
            xs.append(x)
        chosen.append(omega)
        counts.append(res.nit)
        total += res.nit
        seen.append(np.nan if context is None else float(context))
        x0 = x
        if call_callback(callback, SequenceResult(x=x, nit=t + 1, omega=omega, iterations=res.nit,
                                                  total_iterations=total)):
            status = Status.CALLBACK
            break
        try:
            item = send(x) if send is not None else next(iterator)
        except StopIteration:
            item = _END
    if status == Status.SUCCESS:
        message = "Converged: every system reached ||b - A x|| <= rtol ||b||."
    elif status != Status.CALLBACK:
        message = f"{failures} of {len(counts)} solves did not converge (first failure: status " \
                  f"{int(status)})."
    return make_result(SequenceResult, status, message=message, x=xs if keep_x else [x],
                       x_final=x, omegas=np.array(chosen),
                       iterations=np.array(counts, dtype=np.int64),
                       contexts=np.array(seen), total_iterations=total, nit=len(counts),
                       bandit=bandit, history=list(counts), return_history=return_history)


def grid_costs(systems, omegas, *, method="sor", rtol=1e-8, maxiter=10_000, warm_start=False):
    """Iterations of every ``omega`` in ``omegas`` on every system: the comparators' raw data.

    Returns ``(costs, contexts)``: ``costs[t, k]`` solves system ``t`` with ``omegas[k]`` from the
    previous system's solution (``warm_start``) or zero; a generator with ``send`` is sent the
    solution of the cheapest ``omega`` (all solves meet the same tolerance), so the trajectory is
    the one any converged run follows up to ``rtol``.  Best fixed omega in hindsight:
    ``omegas[argmin costs.sum(0)]``; grid instance-optimal total: ``costs.min(1).sum()``.
    """
    check_choice(method, tuple(METHODS), name="method")
    solve = METHODS[method]
    iterator = iter(systems)
    send = getattr(iterator, "send", None)
    rows, contexts, x0 = [], [], None
    item = next(iterator, _END)
    while item is not _END:
        A, b, context = _unpack(item, len(rows), None)
        results = [solve(A, b, x0 if warm_start else None, float(w), rtol, maxiter) for w in omegas]
        rows.append([r.nit for r in results])
        contexts.append(np.nan if context is None else float(context))
        x0 = min(results, key=lambda r: r.nit).x
        try:
            item = send(x0) if send is not None else next(iterator)
        except StopIteration:
            item = _END
    return np.array(rows, dtype=np.int64), np.array(contexts)
