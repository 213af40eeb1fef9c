"""Result objects and status codes shared by every solver."""
import enum

__all__ = ["Status", "Result", "LinearSolveResult", "OptimizeResult", "OTResult", "SequenceResult",
           "make_result"]


class Status(enum.IntEnum):
    """Exit status of a solver; ``success`` is ``status == Status.SUCCESS``."""

    SUCCESS = 0
    MAXITER = 1
    BUDGET = 2
    BREAKDOWN = 3
    NONFINITE = 4
    CALLBACK = 99


_DEFAULT_MESSAGES = {
    Status.SUCCESS: "Converged: the stopping rule is satisfied.",
    Status.MAXITER: "Maximum number of iterations reached.",
    Status.BUDGET: "Inner/oracle/epoch budget exhausted.",
    Status.BREAKDOWN: "Breakdown.",
    Status.NONFINITE: "NaN/Inf met; last finite iterate returned.",
    Status.CALLBACK: "Stopped: `callback` raised StopIteration.",
}


class Result(dict):
    """A ``dict`` with attribute access, like ``scipy.optimize.OptimizeResult``.

    Common fields: ``x`` (or ``plan``), ``success``, ``status``, ``message``, ``nit``, work counters
    and, with ``return_history=True``, ``history``.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __dir__(self):
        return list(self.keys())

    def __repr__(self):
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, self.keys())) + 1
        lines = []
        for key, value in self.items():
            text = repr(value)
            if len(text) > 200:
                text = text[:197] + "..."
            lines.append(f"{key.rjust(width)}: {text}")
        return "\n".join(lines)


class LinearSolveResult(Result):
    """Result of a linear solver: ``x``, ``residual`` (``||b - A x||``), ``nit``, ``nmatvec``."""


class OptimizeResult(Result):
    """Result of an optimization or monotone-inclusion solver."""


class OTResult(Result):
    """Result of an optimal-transport solver: ``plan``, ``cost``, ``f``, ``g``, ``marginal_error``."""


class SequenceResult(Result):
    """Result of a solve over a sequence of systems."""


def make_result(cls, status, *, message=None, history=None, return_history=False, **fields):
    """Build a result with the common fields ``success``, ``status`` and ``message`` set consistently.

    ``message`` defaults to the status's standard text; ``history`` is kept only when
    ``return_history`` is true.
    """
    status = Status(status)
    res = cls()
    res.update(fields)
    res["success"] = status == Status.SUCCESS
    res["status"] = int(status)
    res["message"] = message if message is not None else _DEFAULT_MESSAGES[status]
    if return_history:
        res["history"] = history if history is not None else []
    return res
