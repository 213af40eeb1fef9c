"""Plotting helpers (matplotlib, imported lazily; solvers never import this module)."""

__all__ = ["plot_convergence", "plot_omega_choices"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def plot_convergence(result_or_results, ax=None, label=None):
    """Plot the convergence measure ``result.history`` against the iteration, on a log scale.

    Parameters
    ----------
    result_or_results : Result or dict of Result or list of Result
        Results computed with ``return_history=True``; a dict maps labels to results.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    label : str, optional
        Legend label for a single result.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    if isinstance(result_or_results, dict) and "history" not in result_or_results:
        items = list(result_or_results.items())
    elif isinstance(result_or_results, (list, tuple)):
        items = [(None, r) for r in result_or_results]
    else:
        items = [(label, result_or_results)]
    for name, res in items:
        if "history" not in res:
            raise ValueError("the result has no `history`: solve with return_history=True")
        ax.semilogy(range(len(res["history"])), res["history"], label=name)
    ax.set_xlabel("iteration")
    ax.set_ylabel("convergence measure")
    if any(name for name, _ in items):
        ax.legend()
    return ax


def plot_omega_choices(result, ax=None, label=None, *, against="index"):
    """Scatter the ``omega`` a learner chose for each system of a sequence.

    Parameters
    ----------
    result : SequenceResult
        Output of :func:`numopt.solve_sor_sequence` (fields ``omegas``, ``contexts``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    label : str, optional
        Legend label.
    against : {'index', 'context'}
        Horizontal axis: the system's position in the sequence, or its context.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np

    if "omegas" not in result:
        raise ValueError("`result` must be a SequenceResult with `omegas`; got fields "
                         f"{sorted(result)}")
    if against not in ("index", "context"):
        raise ValueError(f"`against` must be 'index' or 'context'; got {against!r}")
    ax = _axes(ax)
    omegas = np.asarray(result["omegas"])
    x = np.arange(omegas.shape[0]) if against == "index" else np.asarray(result["contexts"])
    ax.scatter(x, omegas, s=4, alpha=0.5, label=label)
    ax.set_xlabel("system" if against == "index" else "context")
    ax.set_ylabel("omega")
    if label:
        ax.legend()
    return ax
