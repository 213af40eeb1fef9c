"""Linear solvers vs their peers in one process: SOR sweep vs PyAMG, CG vs SciPy, AMG-PCG iterations,
import time.  Run: ``python examples/compare_linalg.py [--grid 64]``.

Timings are the best of ``--repeat`` runs; ratios are numopt / peer (below 1: numopt is faster).
"""
import argparse
import statistics
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import numopt
from numopt._lib._jit import warmup
from numopt._lib._sparse import csr_arrays


def best_time(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def sor_sweeps(m, repeat):
    from numopt._kernels import _sor
    from pyamg.relaxation.relaxation import sor

    A = numopt.poisson_matrix((m, m, m))
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    x, x_prev = np.zeros_like(b), np.zeros_like(b)
    csr = csr_arrays(A, np.float64)
    w = 1.5 / A.diagonal()
    Am = sp.csr_matrix(A)
    t_plain = best_time(lambda: _sor.backward_sweep(*csr, w, b, x), repeat)
    t_fused = best_time(lambda: _sor.forward_sweep(*csr, w, b, x, x_prev), repeat)
    t_pyamg_f = best_time(lambda: sor(Am, x, b, 1.5, iterations=1, sweep="forward"), repeat)
    t_pyamg_b = best_time(lambda: sor(Am, x, b, 1.5, iterations=1, sweep="backward"), repeat)
    res = numopt.solve_sor(A, b, omega=1.5, maxiter=50, rtol=0.0)
    t_solve = best_time(lambda: numopt.solve_sor(A, b, omega=1.5, maxiter=50, rtol=0.0),
                        max(3, repeat // 4)) / 50
    assert res.nit == 50
    return [
        ("SOR sweep (backward, plain)", t_plain, "pyamg sor backward", t_pyamg_b),
        ("SOR sweep + exact residual (forward)", t_fused, "pyamg sor forward", t_pyamg_f),
        ("solve_sor, per sweep incl. residual", t_solve, "pyamg sor forward", t_pyamg_f),
    ]


def cg_per_iteration(m, repeat):
    A = numopt.poisson_matrix((m, m, m))
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    t_numopt = best_time(lambda: numopt.solve_pcg(A, b, rtol=0.0, maxiter=100), repeat) / 100
    t_scipy = best_time(lambda: spla.cg(A, b, rtol=0.0, maxiter=100), repeat) / 100
    return [("solve_pcg, per CG iteration", t_numopt, "scipy cg", t_scipy)]


def amg(m):
    import pyamg

    A = numopt.poisson_matrix((m, m, m))
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    start = time.perf_counter()
    res = numopt.solve_pcg(A, b, preconditioner="amg", rtol=1e-8)
    t_numopt = time.perf_counter() - start
    residuals = []
    start = time.perf_counter()
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
    ml.solve(b, tol=1e-8, accel="cg", residuals=residuals)
    t_peer = time.perf_counter() - start
    rel = np.linalg.norm(b - A @ res.x) / np.linalg.norm(b)
    return res.nit, t_numopt, len(residuals) - 1, t_peer, rel


def import_time(repeat):
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); "
                              "import numopt; print(time.perf_counter() - t)"],
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", type=int, default=64, help="3-D grid size m (n = m^3)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    warmup()
    m = args.grid
    print(f"3-D Poisson, n = {m}^3 = {m ** 3}, float64; best of {args.repeat} runs\n")
    rows = sor_sweeps(m, args.repeat) + cg_per_iteration(m, max(3, args.repeat // 4))
    print(f"{'numopt':40s} {'time [ms]':>10s}   {'peer':22s} {'time [ms]':>10s} {'ratio':>7s}")
    for name, t, peer, t_peer in rows:
        print(f"{name:40s} {1e3 * t:10.3f}   {peer:22s} {1e3 * t_peer:10.3f} {t / t_peer:7.2f}")
    nit, t, peer_nit, t_peer, rel = amg(m)
    print(f"\nsolve_pcg('amg') to rtol 1e-8: {nit} iterations, {t:.3f} s (rel. residual {rel:.1e}); "
          f"pyamg SA + cg: {peer_nit} iterations, {t_peer:.3f} s; ratio {t / t_peer:.2f}")
    best, median = import_time(5)
    print(f"import numopt: best {best:.3f} s, median {median:.3f} s (fresh interpreter)")


if __name__ == "__main__":
    main()
