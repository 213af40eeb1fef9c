"""DCDM vs CG, IC(0)-PCG and PyAMG smoothed-aggregation PCG on 3-D Dirichlet Poisson (one process).

    nice python examples/compare_dcdm.py [--grids 32 64] [--rhs white smooth] [--threads 1]

Held-out right-hand sides (seeds never used in training): white noise N(0, I) and smooth Gaussian
bumps.  Each solver runs once to rtol 1e-8 with a callback that time-stamps every iteration; the
iterations and wall time to reach rtol 1e-4 are read from the same run (DCDM and CG iterates do not
depend on rtol).  The true relative residual ||b - A x|| / ||b|| at exit is printed.  PyAMG's time
includes its setup (reported separately too).  Targets (issue 5): DCDM iterations at 64^3 <= 1/5 of
CG's and fewer than IC(0)-PCG's; growth 32^3 -> 64^3 <= 1.5x.  DCDM runs twice: with its default
two-level direction (Galerkin coarse-grid correction, ``coarse_grid=8``) and with the network's
direction alone (``coarse_grid=None``, the paper's method).
"""
import argparse
import os
import time

import numpy as np

import numopt
from numopt.problems import poisson_matrix, random_field, smooth_source

RTOLS = (1e-4, 1e-8)
DCDM = "DCDM 2-level"  # solve_dcdm's default; "DCDM network" is coarse_grid=None (Kaneda et al.)


def _rhs(kind, grid):
    if kind == "white":
        return random_field(grid, seed=777)
    return smooth_source(grid, seed=778)


def _run_numopt(solver, A, b, **kwargs):
    """Iterations and seconds to reach each rtol, and the true residual at exit."""
    stamps = [time.perf_counter()]
    res = solver(A, b, rtol=min(RTOLS), return_history=True,
                 callback=lambda it: stamps.append(time.perf_counter()), **kwargs)
    stamps.append(time.perf_counter())  # the converged iteration has no callback
    bnorm = np.linalg.norm(b)
    out = {}
    for rtol in RTOLS:
        hits = [k for k, h in enumerate(res.history) if h <= rtol * bnorm]
        k = hits[0] if hits else None
        out[rtol] = (k, stamps[min(k, len(stamps) - 1)] - stamps[0] if k is not None else np.nan)
    return out, float(np.linalg.norm(b - A @ res.x) / bnorm), res.success


def _run_pyamg(A, b):
    import pyamg
    import scipy.sparse as sp

    t0 = time.perf_counter()
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
    setup = time.perf_counter() - t0
    out = {}
    for rtol in RTOLS:
        residuals = []
        t0 = time.perf_counter()
        x = ml.solve(b, tol=rtol, accel="cg", residuals=residuals)
        out[rtol] = (len(residuals) - 1, setup + time.perf_counter() - t0)
    return out, float(np.linalg.norm(b - A @ x) / np.linalg.norm(b)), setup


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, nargs="*", default=[32, 64])
    parser.add_argument("--rhs", nargs="*", default=["white", "smooth"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the other "
                        "solvers are single-threaded too, and a loaded machine penalises more)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from numopt._lib._jit import warmup

    warmup()
    model = numopt.DCDMModel.pretrained(3)
    print(f"model: {model}, trained in {model.metadata.get('training_seconds')} s")
    print(f"load average at start (1/5/15 min): {os.getloadavg()}, {os.cpu_count()} CPUs")
    solvers = {
        DCDM: lambda A, b: _run_numopt(numopt.solve_dcdm, A, b, model=model, maxiter=300),
        "DCDM network": lambda A, b: _run_numopt(numopt.solve_dcdm, A, b, model=model,
                                                 maxiter=300, coarse_grid=None),
        "CG": lambda A, b: _run_numopt(numopt.solve_pcg, A, b),
        "IC(0)-PCG": lambda A, b: _run_numopt(numopt.solve_pcg, A, b, preconditioner="ic0"),
        "PyAMG SA-PCG": lambda A, b: _run_pyamg(A, b)[:2] + (True,),
    }
    table = {}
    for m in args.grids:
        A = poisson_matrix((m, m, m))
        model(np.ones(m ** 3), (m, m, m))  # torch warm-up at this size (first-call set-up)
        for kind in args.rhs:
            b = _rhs(kind, (m, m, m))
            for name, run in solvers.items():
                counts, true_rel, ok = run(A, b)
                table[m, kind, name] = counts
                cells = "  ".join(f"rtol {r:.0e}: {c[0]!s:>4} it {c[1]:8.3f} s"
                                  for r, c in counts.items())
                print(f"{m:3d}^3 {kind:6s} {name:13s} {cells}  true rel. residual {true_rel:.1e}"
                      f"{'' if ok else '  (FAILED)'}", flush=True)
    print(f"\nratios ({DCDM} iterations / other iterations; its time / other time)")
    for (m, kind, name), counts in table.items():
        if name == DCDM:
            continue
        dcdm = table[m, kind, DCDM]
        cells = "  ".join(f"rtol {r:.0e}: it {dcdm[r][0] / counts[r][0]:.2f} time "
                          f"{dcdm[r][1] / counts[r][1]:.1f}" for r in RTOLS)
        print(f"{m:3d}^3 {kind:6s} vs {name:13s} {cells}")
    print(f"\nload average at end (1/5/15 min): {os.getloadavg()}")
    if len(args.grids) >= 2:
        lo, hi = args.grids[0], args.grids[-1]
        print(f"\niteration growth {lo}^3 -> {hi}^3")
        for kind in args.rhs:
            for name in solvers:
                cells = "  ".join(f"rtol {r:.0e}: "
                                  f"{table[hi, kind, name][r][0] / table[lo, kind, name][r][0]:.2f}x"
                                  for r in RTOLS)
                print(f"{kind:6s} {name:13s} {cells}")


if __name__ == "__main__":
    main()
