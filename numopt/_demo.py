"""``python -m numopt demo``: every solver next to the peer a user would otherwise pick.

Each method family contributes a ``rows(quick)`` function (listed in :data:`DEMO_ROWS`) that returns
:class:`DemoRow` objects; the driver prints one table and writes the convergence plots.
"""
import importlib
import os
import time
from dataclasses import dataclass, field

__all__ = ["DemoRow", "DEMO_ROWS", "run_demo", "timed"]

DEMO_ROWS = (
    "numopt.linalg._demo:rows",
    "numopt.ot._demo:rows",
    "numopt.linalg._dcdm._demo:rows",
    "numopt.minimax._demo:rows",
    "numopt.optimize._demo:rows",
    "numopt.optimize._bcd._demo:rows",
    "numopt.linalg._demo_bandit:rows",
)


@dataclass
class DemoRow:
    """One line of the demo table; ``results`` maps plot labels to results with a ``history``."""

    solver: str
    problem: str
    iterations: int
    time: float
    accuracy: float
    peer: str
    peer_iterations: object
    peer_time: float
    accuracy_name: str = "rel. residual"
    results: dict = field(default_factory=dict)

    @property
    def ratio(self):
        return self.time / self.peer_time if self.peer_time else float("nan")


def timed(func, *args, repeat=3, **kwargs):
    """Run ``func`` ``repeat`` times; return the last result and the best wall time in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = func(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return out, best


def _format_table(rows):
    header = ("solver", "problem", "iters", "time [s]", "accuracy", "peer", "peer iters",
              "peer time [s]", "time ratio")
    lines = [header]
    for r in rows:
        peer_it = "-" if r.peer_iterations is None else str(r.peer_iterations)
        lines.append((r.solver, r.problem, str(r.iterations), f"{r.time:.4f}",
                      f"{r.accuracy:.1e} ({r.accuracy_name})", r.peer, peer_it, f"{r.peer_time:.4f}",
                      f"{r.ratio:.2f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _plot_rows(rows, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import plot_convergence

    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for r in rows:
        if not r.results:
            continue
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for label, res in r.results.items():
            plot_convergence(res, ax=ax, label=label)
        ax.set_title(f"{r.solver}: {r.problem}")
        name = "".join(c if c.isalnum() else "_" for c in f"{r.solver}_{r.problem}").strip("_")
        path = os.path.join(out_dir, f"{name}.png")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def run_demo(*, quick=False, out=None, print_fn=print):
    """Run every family's demo rows, print the table and write PNGs to ``out`` (if given)."""
    from ._lib._jit import warmup

    warmup()
    rows = []
    for spec in DEMO_ROWS:
        module, func = spec.split(":")
        rows.extend(getattr(importlib.import_module(module), func)(quick))
    print_fn(_format_table(rows))
    if out is not None:
        for path in _plot_rows(rows, out):
            print_fn(f"wrote {path}")
    return rows
