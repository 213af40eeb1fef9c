"""numopt ``solve_ot`` ('sns') vs POT ``sinkhorn_log`` and RegOT ``sinkhorn_ssns``, in one process.

Random assignment (``C ~ U[0, 1]``, uniform marginals), ``reg = 1/1200``, stopping at marginal error
``||P 1 - a||_1 + ||P^T 1 - b||_1 <= 1e-9``.  Every plan's l1 marginal error and cost are
recomputed here from the plan.

POT's ``sinkhorn_log`` needs tens of thousands of iterations (tens of minutes): its time per
iteration is measured on a short run and multiplied by the iteration count the log-domain Sinkhorn
recursion needs on the same problem (numopt's 'sinkhorn-log' runs the same recursion; when it is
capped, the count is extrapolated from its linear rate over the last iterations).  Those rows are
marked "extrapolated".  RegOT (``pip install regot``) is a benchmark-only peer.

Usage: ``python examples/compare_ot.py [--sizes 500 2000] [--large 5000] [--repeat 3]``
"""
import argparse
import math
import statistics
import time
import tracemalloc
import warnings

import numpy as np

import numopt
from numopt._lib._jit import warmup
from numopt.problems import ot_random_assignment

REG = 1.0 / 1200.0
TOL = 1e-9


def marginal_error(P, a, b):
    return float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())


def timed(func, repeat):
    """Median wall time of ``repeat`` runs, the last output and the traced peak (NumPy) memory."""
    times = []
    for _ in range(repeat):
        tracemalloc.start()
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out, statistics.median(times), peak


def sinkhorn_iterations_needed(a, b, C, cap):
    """Iterations of log-domain Sinkhorn to reach TOL (measured, or extrapolated past ``cap``)."""
    res = numopt.solve_ot(a, b, C, REG, method="sinkhorn-log", tol=TOL, maxiter=cap,
                          return_history=True)
    if res.success:
        return res.nit, False
    h = np.log10(np.asarray(res.history[-cap // 4:]))
    slope = (h[-1] - h[0]) / (len(h) - 1)  # log10 error per iteration (linear rate)
    if not slope < 0:
        return math.inf, True
    return int(res.nit + math.ceil((math.log10(TOL) - h[-1]) / slope)), True


def run_size(n, repeat, pot_iters, sinkhorn_cap, peers=True):
    a, b, C, _ = ot_random_assignment(n, seed=0)
    rows = []
    res, t, peak = timed(lambda: numopt.solve_ot(a, b, C, REG, tol=TOL), repeat)
    rows.append((n, "numopt sns", f"{res.nit} ({res.n_sinkhorn}+{res.n_newton})", t,
                 marginal_error(res.plan, a, b), float(np.sum(res.plan * C)), peak, ""))
    base = t
    if not peers:
        return rows, base
    try:
        import regot
    except ImportError:
        regot = None
    if regot is not None:
        Cf = np.asfortranarray(C)
        out, t, _ = timed(lambda: regot.sinkhorn_ssns(Cf, a, b, REG, tol=TOL, max_iter=1000),
                          repeat)
        rows.append((n, "RegOT sinkhorn_ssns", str(out.niter), t, marginal_error(out.plan, a, b),
                     float(np.sum(out.plan * C)), None, ""))
    import ot

    with warnings.catch_warnings():  # "did not converge": the run is capped on purpose
        warnings.simplefilter("ignore", UserWarning)
        _, t, peak = timed(lambda: ot.bregman.sinkhorn_log(a, b, C, REG, numItermax=pot_iters,
                                                           stopThr=0.0), 1)
    per_iter = t / pot_iters
    needed, extrapolated = sinkhorn_iterations_needed(a, b, C, sinkhorn_cap)
    note = f"{per_iter * 1e3:.1f} ms/it x {needed} it" + (" (extrapolated)" if extrapolated else "")
    rows.append((n, "POT sinkhorn_log", str(needed), per_iter * needed, math.nan, math.nan, peak,
                 note))
    return rows, base


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 2000])
    parser.add_argument("--large", type=int, nargs="*", default=[5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warmup()
    table = []
    for n in args.sizes:
        small = n <= 1000
        rows, base = run_size(n, args.repeat if small else 1, pot_iters=100 if small else 20,
                              sinkhorn_cap=3000 if small else 800)
        table += [row + (row[3] / base,) for row in rows]
    for n in args.large:
        rows, base = run_size(n, 1, 0, 0, peers=False)
        table += [row + (1.0,) for row in rows]
    header = ("n", "solver", "iterations", "time [s]", "l1 marg. err", "<P,C>", "peak MiB",
              "time / numopt", "note")
    lines = [header]
    for n, name, its, t, err, cost, peak, note, ratio in table:
        lines.append((str(n), name, its, f"{t:.3f}", f"{err:.1e}", f"{cost:.10f}",
                      "-" if peak is None else f"{peak / 2**20:.0f}", f"{ratio:.1f}", note))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for k, line in enumerate(lines):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"reg = 1/1200, tol = {TOL:g} (l1 marginal error); peak MiB = traced NumPy/Python "
          "allocations (RegOT's C++ memory is not traced).")


if __name__ == "__main__":
    main()
