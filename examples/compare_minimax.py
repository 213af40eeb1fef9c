"""numopt's min-max methods against a hand-written vectorised NumPy extragradient, one process.

Policeman-burglar games (spec halpern_vr.md section 8/10): epochs to the natural residual
R = ||z - P(z - F z)|| <= 2e-2 / 5e-3 / 1e-3 (median over seeds), R at the budget, wall and CPU (process) time.  On a shared machine the CPU time is the
fairer measure of the work done; both are printed.
Steps are the authors' tuned ones: 'vr-halpern' 5/||A||_F, EG/EAG 5/||A||_2.

    PYTHONPATH=. python examples/compare_minimax.py            # n = 500 (5 seeds), 2000, 10000
    PYTHONPATH=. python examples/compare_minimax.py --quick    # n = 500, 1 seed, 2000 epochs
"""
import argparse
import time

import numpy as np
import scipy.sparse.linalg

import numopt
from numopt._lib._jit import warmup
from numopt.minimax._demo import numpy_extragradient
from numopt.problems import policeman_burglar

LEVELS = (2e-2, 5e-3, 1e-3)


def epochs_to(history, level):
    for epoch, R in history:
        if R <= level:
            return epoch
    return np.inf


def run_numopt(A, method, step, max_epochs, seed):
    start, cpu = time.perf_counter(), time.process_time()
    res = numopt.solve_matrix_game(A, method=method, step=step, max_epochs=max_epochs, tol=1e-15,
                                   seed=seed, return_history=True)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return list(zip(res.history_epochs, res.history)), res.residual, res.epochs, elapsed, res.message, cpu


def run_peer(A, step, max_epochs):
    start, cpu = time.perf_counter(), time.process_time()
    _, history = numpy_extragradient(A, step, max_epochs)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return history, history[-1][1], history[-1][0] + 2, elapsed, "", cpu


def fmt(v):
    return "-" if v == np.inf else f"{v:.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    warmup()
    if args.quick:
        configs = [(500, 2000, [0], True)]
    else:  # n = 10000: one epoch is two 1e4 x 1e4 products; the budget is what this machine affords
        configs = [(500, 5000, [0, 1, 2, 3, 4], True), (2000, 2000, [0], True), (10_000, 200, [0], False)]
    rows = []
    for n, budget, seeds, with_eag in configs:
        A = policeman_burglar(n)
        sigma_max = scipy.sparse.linalg.svds(A, k=1, return_singular_vectors=False)[0]  # ||A||_2
        step_f, step_2 = 5 / np.linalg.norm(A), 5 / sigma_max
        runs = {"numopt vr-halpern": [run_numopt(A, "vr-halpern", step_f, budget, s) for s in seeds]}
        if with_eag:
            runs["numopt eag"] = [run_numopt(A, "eag", step_2, budget, 0)]
            runs["numopt eg"] = [run_numopt(A, "eg", step_2, budget, 0)]
        runs["numpy EG (peer)"] = [run_peer(A, step_2, budget)]
        peer_time = runs["numpy EG (peer)"][0][3]
        for name, results in runs.items():
            to = [np.median([epochs_to(r[0], lv) for r in results]) for lv in LEVELS]
            R_end = np.median([r[1] for r in results])
            epochs = np.median([r[2] for r in results])
            wall = np.median([r[3] for r in results])
            cpu = np.median([r[5] for r in results])
            t_1e3 = np.median([r[3] * epochs_to(r[0], 1e-3) / r[2] for r in results])
            rows.append((f"PB n={n}", name, *map(fmt, to), f"{R_end:.2e}", f"{epochs:.0f}", f"{wall:.2f}", f"{cpu:.2f}",
                         f"{t_1e3:.2f}" if np.isfinite(t_1e3) else "-", f"{wall / peer_time:.2f}",
                         results[0][4][:40]))
        if with_eag:
            vr, eag = rows[-4], rows[-3]
            ratio = float(eag[2]) / float(vr[2]) if vr[2] != "-" and eag[2] != "-" else np.nan
            print(f"n={n}: epochs to 2e-2, eag / vr-halpern = {ratio:.1f}x", flush=True)
        runs.clear()
    header = ("problem", "solver", "ep->2e-2", "ep->5e-3", "ep->1e-3", "R at end", "epochs", "wall [s]", "cpu [s]",
              "t->1e-3 [s]", "time/peer", "note")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for r in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
