"""Plotting helpers (matplotlib, imported lazily; solvers never import this module)."""

__all__ = ["plot_convergence", "plot_omega_choices", "plot_transport_plan"]


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


def plot_transport_plan(result_or_plan, ax=None, *, a=None, b=None, log=False, cmap="viridis"):
    """Show a transport plan as an image (rows: source, columns: target), with optional marginals.

    Parameters
    ----------
    result_or_plan : OTResult or (n, m) array
        A :func:`numopt.solve_ot` result (its ``plan`` is used) or a plan; NumPy or any array-API
        array (copied to the host for plotting).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    a, b : (n,) / (m,) arrays, optional
        Marginals drawn as bars along the left and top edges.
    log : bool
        Colour by ``log10`` of the entries (zeros left blank).
    cmap : str
        Matplotlib colormap.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np

    from ._lib._array_api import to_numpy

    plan = result_or_plan["plan"] if isinstance(result_or_plan, dict) else result_or_plan
    plan = to_numpy(plan).astype(np.float64)
    if plan.ndim != 2:
        raise ValueError(f"`result_or_plan` must hold a 2-D plan; got shape {plan.shape}")
    ax = _axes(ax)
    image = np.log10(np.where(plan > 0, plan, np.nan)) if log else plan
    ax.imshow(image, cmap=cmap, aspect="auto", interpolation="nearest")
    n, m = plan.shape
    if a is not None:
        a = to_numpy(a).astype(np.float64)
        ax.barh(np.arange(n), -a / a.max() * 0.08 * m, left=-0.5, height=1.0, color="tab:blue")
    if b is not None:
        b = to_numpy(b).astype(np.float64)
        ax.bar(np.arange(m), -b / b.max() * 0.08 * n, bottom=-0.5, width=1.0, color="tab:red")
    ax.set_xlim(-0.5 - (0.08 * m if a is not None else 0), m - 0.5)
    ax.set_ylim(n - 0.5, -0.5 - (0.08 * n if b is not None else 0))
    ax.set_xlabel("target j")
    ax.set_ylabel("source i")
    ax.set_title("transport plan" + (" (log10)" if log else ""))
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
