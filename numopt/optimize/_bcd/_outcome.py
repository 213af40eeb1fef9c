"""How a ``minimize_bcd`` run ends: the no-finite-minimizer check, the message and the result."""
import warnings

from ..._lib._callback import call_callback
from ..._lib._result import OptimizeResult, Status, make_result
from ..._lib._validate import NumoptWarning

__all__ = ["iteration_status", "finish_result"]

DIVERGENCE = 1e10  # ||x||_inf beyond this: no finite minimizer

_MESSAGES = {
    Status.SUCCESS: "Converged: max_i L_i |x_i - T_i(x)| <= tol * max(1, rho(x0)).",
    Status.NONFINITE: "NaN/Inf met; last finite iterate returned.",
}


def iteration_status(residual, refresh, threshold, max_abs_x, callback, x, nit, F):
    """``(status or None to go on, message, rho)`` after iteration ``nit``.

    SUCCESS once ``rho <= threshold`` holds on a freshly computed gradient (``refresh()``);
    BREAKDOWN when ``||x||_inf > 1e10``; CALLBACK when ``callback`` raised ``StopIteration``.
    """
    rho = residual()
    if rho <= threshold:
        refresh()
        rho = residual()
        if rho <= threshold:
            return Status.SUCCESS, None, rho
    if max_abs_x() > DIVERGENCE:
        return Status.BREAKDOWN, (f"Breakdown: ||x||_inf > {DIVERGENCE:g}: the objective has no "
                                  "finite minimizer (e.g. separable data without l2)."), rho
    if call_callback(callback, OptimizeResult(x=x, nit=nit, fun=F, residual=rho)):
        return Status.CALLBACK, None, rho
    return None, None, rho


def finish_result(problem, state, status, message, nit, rho, history, maxiter, return_history,
                  constrained, *, F, **fields):
    """The ``OptimizeResult`` of a run whose ``state`` was just refreshed (``F = F(x)``).

    Unregularised logistic/softmax losses whose ``x`` separates the data end with status 3 and a
    ``NumoptWarning`` (no finite minimizer).
    """
    separable = getattr(problem, "separates", None)
    ends = (Status.SUCCESS, Status.MAXITER, Status.BREAKDOWN)
    if (separable is not None and problem.l2 == 0 and not constrained and status in ends
            and separable(state.U)):
        warnings.warn("no finite minimizer: the data are separable and l2 = 0, so the loss "
                      "decreases forever along x; add l2 > 0 or l1 > 0", NumoptWarning,
                      stacklevel=4)
        status = Status.BREAKDOWN
        message = ("Breakdown: no finite minimizer (the data are separable and l2 = 0); x "
                   "separates them and ||x|| grows without bound.")
    if message is None:
        message = _MESSAGES.get(status)
    if status == Status.MAXITER:
        message = f"Maximum number of iterations (maxiter={maxiter}) reached."
    return make_result(OptimizeResult, status, message=message, x=state.x, fun=F, nit=nit,
                       residual=rho, history=history, return_history=return_history, **fields)
