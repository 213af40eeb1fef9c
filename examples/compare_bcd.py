"""minimize_bcd next to its peers, in one process; prints tables with ratios.

1. Lasso on ``sparse_regression_data(1000, 10000)`` at lambda_max/10 and /100: numopt (variable
   blocks of ``min(p, 2000)`` coordinates -- not the default 5 --, GSQ, prox-Newton) vs scikit-learn ``Lasso`` and skglm ``Lasso``; every solver must reach
   the duality gap ``<= 1e-6 P(0)`` (checked on its output).  scikit-learn's own rule is exactly that
   gap (``tol = 5e-7``); numopt and skglm stop on optimality residuals, so each runs with the loosest
   tolerance of the ladder 1e-4, 1e-5, ... whose output meets the gap, and that run is timed
   (numopt's time includes building ``LeastSquares(A, b)``).  The three solvers run interleaved
   (numopt, sklearn, skglm, numopt, ...) ``--repeat`` times, so load on a shared machine hits all of
   them alike; the table gives the median and the min, and ratios of medians.
2. Label propagation (lattice 200 x 200, weight 1e5, 4 % labelled; kNN two moons): iterations,
   passes over the graph and time to ``||x - x*|| <= 1e-8 ||x*||`` for tree blocks + message
   passing, red-black Gauss-Seidel, and PCG with Jacobi, point SGS, IC(0) and tree-SGS
   preconditioners (tree-SGS runs Eisenstat's split form; "tree-sgs, plain" is the same
   preconditioner as a callable, i.e. plain PCG; the iteration count is found with a callback,
   then runs stopped at that count without it are timed, set-up included), and scipy's ``cg``
   with the diagonal preconditioner (the spec's Jacobi-PCG peer).
3. Softmax (``softmax_data``, l2 = 1; the spec's 1000 x 1000 with 50 classes and a second draw,
   2000 x 500 with 20 classes, seed 3): time to 1e-6 relative suboptimality vs scikit-learn
   ``LogisticRegression(solver='lbfgs')`` (lbfgs: loosest tolerance of the ladder that reaches it;
   numopt: the iteration count that reaches it is found by a first run stopped by a callback,
   then runs stopped at that count are timed).  numopt: feature blocks (``blocks='fixed',
   block_size=k``) with cyclic, GS and GSL selection, and the spec's variable-block GSD/GSQ
   settings.  Then the spec's equal-time measure: the lowest objective lbfgs and GS-FB newton
   reach within budgets of 0.01 ... 10 s (``--softmax-seconds``), from runs stopped after growing
   iteration counts.

Sections 2 and 3: times are the best of ``--repeat`` runs (wall clock; the machine may be shared).
Run: ``python examples/compare_bcd.py [--quick] [--repeat 3] [--skip softmax]``.
"""
import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

import numopt
from numopt.problems import (LeastSquares, Quadratic, Softmax, forest_partition,
                             knn_label_propagation, lattice_label_propagation,
                             lattice_tree_partition, red_black_partition, softmax_data,
                             sparse_regression_data)

TOL_LADDER = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)


def best_time(run, repeat):
    out, best = None, np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    return out, best


def interleaved_times(runs, repeat):
    """Run the callables of ``runs`` (name -> run) round-robin ``repeat`` times; return name ->
    (last output, median seconds, min seconds)."""
    times = {name: [] for name in runs}
    outs = {}
    for _ in range(repeat):
        for name, run in runs.items():
            t0 = time.perf_counter()
            outs[name] = run()
            times[name].append(time.perf_counter() - t0)
    return {name: (outs[name], float(np.median(t)), min(t)) for name, t in times.items()}


def table(title, header, rows):
    print(f"\n{title}")
    lines = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for k, line in enumerate(lines):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


# -- 1. Lasso ------------------------------------------------------------------------------------
def lasso(args):
    from sklearn.linear_model import Lasso

    try:
        import skglm
    except ImportError:
        skglm = None
    m, p = (200, 2000) if args.quick else (1000, 10000)
    A, b, _ = sparse_regression_data(m, p, seed=1)
    problem = LeastSquares(A, b)
    P0 = 0.5 * float(b @ b)
    lam_max = float(np.abs(A.T @ b).max())
    rows = []
    for frac in (10, 100):
        l1 = lam_max / frac
        alpha = l1 / m
        target = 1e-6 * P0

        # block_size must well exceed the support (851 at lambda_max/100): with 250 the run at
        # lambda_max/100 took ~10 s instead of ~0.1 s (variable blocks hold the whole working set)
        def numopt_run(tol):  # timed with the problem set-up, as the peers' fit() includes theirs
            return numopt.minimize_bcd(LeastSquares(A, b), blocks="variable",
                                       block_size=min(p, 2000),
                                       selection="gsq", update="prox-newton", l1=l1, tol=tol,
                                       maxiter=10_000).x

        def sklearn_run():
            return Lasso(alpha=alpha, fit_intercept=False, tol=5e-7, max_iter=100_000).fit(A, b).coef_

        def skglm_run(tol):
            return skglm.Lasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=1000).fit(A, b).coef_

        chosen, tols = {}, {}
        for name, run, ladder in (("numopt", numopt_run, True), ("sklearn", sklearn_run, False),
                                  ("skglm", skglm_run, True)):
            if name == "skglm" and skglm is None:
                continue
            for tol in (TOL_LADDER if ladder else (None,)):
                call = (lambda r=run, t=tol: r(t)) if ladder else run
                if problem.duality_gap(call(), l1) <= target:  # also the first (compiling) call
                    chosen[name], tols[name] = call, tol
                    break
            else:
                rows.append([f"lambda_max/{frac}", name, "-", "-", "gap not reached", "-", "-", "-"])
        timed = interleaved_times(chosen, args.repeat)
        t_no = timed["numopt"][1] if "numopt" in timed else np.nan
        for name, (x, med, best) in timed.items():
            rows.append([f"lambda_max/{frac}", name, f"{med:.3f}", f"{best:.3f}",
                         f"{problem.duality_gap(x, l1) / P0:.1e}", tols[name],
                         int(np.sum(x != 0)), f"{med / t_no:.2f}"])
    table(f"Lasso {m}x{p} sparse (gap <= 1e-6 P(0)), {args.repeat} interleaved runs; "
          "ratio = median time / numopt's median time",
          ["lambda", "solver", "median [s]", "min [s]", "gap/P(0)", "tol used", "nnz",
           "time/numopt"], rows)


# -- 2. Label propagation ------------------------------------------------------------------------
class ErrorStop:
    """Callback: stop once ``||x - x*|| <= 1e-8 ||x*||``."""

    def __init__(self, x_star):
        self.x_star, self.scale = x_star, 1e-8 * np.linalg.norm(x_star)

    def __call__(self, res):
        if np.linalg.norm(res.x - self.x_star) <= self.scale:
            raise StopIteration


def to_target(solve, x_star, repeat):
    """Iterations to ``||x - x*|| <= 1e-8 ||x*||`` (found with a callback), then the best time of
    ``repeat`` runs stopped at that count without the callback (its norm would be timed too)."""
    nit = solve(maxiter=None, callback=ErrorStop(x_star)).nit
    res, sec = best_time(lambda: solve(maxiter=nit, callback=None), repeat)
    reached = np.linalg.norm(res.x - x_star) <= 1e-8 * np.linalg.norm(x_star)
    return res, sec, bool(reached)


def scipy_jacobi_cg(Q, c, x_star, repeat):
    """scipy's ``cg`` with the diagonal preconditioner (the spec's peer): iterations to
    ``||x - x*|| <= 1e-8 ||x*||`` (read off a callback), then the best time of ``repeat`` runs
    stopped at that count; returns ``(nit, seconds, reached)``."""
    inv_diag = 1.0 / Q.diagonal()
    M = spl.LinearOperator(Q.shape, matvec=lambda r: inv_diag * r, dtype=Q.dtype)
    scale = 1e-8 * np.linalg.norm(x_star)
    errors = []
    spl.cg(Q, c, rtol=1e-14, maxiter=100_000, M=M,
           callback=lambda xk: errors.append(np.linalg.norm(xk - x_star)))
    nit = next((k + 1 for k, err in enumerate(errors) if err <= scale), len(errors))
    (x, _), sec = best_time(lambda: spl.cg(Q, c, rtol=1e-14, maxiter=nit, M=M), repeat)
    return nit, sec, bool(np.linalg.norm(x - x_star) <= scale)


def forest_gain(Q, blocks):
    """``lambda_min(B^-1 Q) / lambda_min(D^-1 Q)`` (B: the block-diagonal part of Q on ``blocks``,
    D: its diagonal), the asymptotic speed-up of block over point Gauss-Seidel on the slowest
    (smoothest) error; dense, for small graphs only."""
    from scipy.linalg import eigh

    dense = Q.toarray()
    label = np.empty(Q.shape[0], np.int64)
    for k, blk in enumerate(blocks):
        label[blk] = k
    B = np.where(label[:, None] == label[None, :], dense, 0.0)
    first = [0, 0]
    return (eigh(dense, B, eigvals_only=True, subset_by_index=first)[0]
            / eigh(dense, np.diag(np.diag(dense)), eigvals_only=True, subset_by_index=first)[0])


def propagation(args):
    from numopt._lib._sparse import csr_arrays
    from numopt.optimize._bcd._forest import TreeSGS, tree_sgs_cost

    side = 50 if args.quick else 200
    cases = [(f"lattice {side}x{side} W=1e5",
              lattice_label_propagation(side, side, weight=1e5, n_labeled=side * side // 25, seed=1),
              side),
             ("kNN two moons (2000, k=5)", knn_label_propagation(2000, 5, 100, seed=1), None)]
    for title, (Q, c, labeled), lattice_side in cases:
        Q = Q.tocsr()
        x_star = spl.spsolve(Q.tocsc(), c)
        n, nnz, problem = Q.shape[0], Q.nnz, Quadratic(Q, c)
        rows = []
        forests, colours = forest_partition(Q), red_black_partition(Q)
        bcd = {f"red-black GS ({len(colours)} colours)": (colours, "cyclic"),
               f"forest partition ({len(forests)} forests), cyclic": ("tree", "cyclic"),
               "forest partition, GS block rule": (forests, "gs"),
               "greedy tree (GSL)": ("tree", "gsl"),
               "random tree": ("tree", "random")}
        if lattice_side:
            bcd["lattice combs, cyclic"] = (lattice_tree_partition(lattice_side, lattice_side,
                                                                   labeled), "cyclic")
        for name, (blocks, selection) in bcd.items():
            def solve(maxiter, callback, blocks=blocks, selection=selection):
                return numopt.minimize_bcd(problem, blocks=blocks, selection=selection,
                                           update="message-passing", tol=1e-15,
                                           maxiter=maxiter or 200_000, seed=0, callback=callback)

            res, sec, reached = to_target(solve, x_star, args.repeat)
            rows.append([name, res.nit, res.ncoord / n, sec, reached])
        # PCG: passes per step = matrix entries read / nnz(A): 1 (the product A p) + the
        # preconditioner's (Jacobi: the diagonal; SSOR, IC(0): a lower and an upper triangle,
        # nnz + n); tree-SGS runs Eisenstat's split form, whose step replaces both: the off-block
        # entries once and every forest block twice.  "tree-sgs, plain" is the same M applied as
        # a callable (a product with A plus M^{-1} r per step; set-up inside the timed call too)
        per_step = {"jacobi": 1 + n / nnz, "ssor": 1 + (nnz + n) / nnz, "ic0": 1 + (nnz + n) / nnz,
                    "tree-sgs": tree_sgs_cost(Q, split=True),
                    "tree-sgs, plain": 1 + tree_sgs_cost(Q)}
        for pre, cost in per_step.items():
            def solve(maxiter, callback, pre=pre):
                M = (TreeSGS(*csr_arrays(Q, Q.dtype), Q.dtype).apply if pre == "tree-sgs, plain"
                     else pre)
                return numopt.solve_pcg(Q, c, preconditioner=M, rtol=1e-14,
                                        maxiter=maxiter or 100_000, callback=callback)

            # a PCG solve takes milliseconds: 5x the repeats for a stable best time under load
            res, sec, reached = to_target(solve, x_star, 5 * args.repeat)
            rows.append([f"PCG {pre}" + (" (point SGS)" if pre == "ssor" else ""), res.nit,
                         res.nit * cost, sec, reached])
        nit, sec, reached = scipy_jacobi_cg(Q, c, x_star, 5 * args.repeat)
        rows.append(["scipy cg, Jacobi", nit, nit * per_step["jacobi"], sec, reached])
        rb, jac = rows[0], next(r for r in rows if r[0] == "PCG jacobi")
        rows = [[name, nit, f"{passes:.0f}", f"{1e3 * sec:.2f}", reached,
                 f"{rb[2] / passes:.2f}", f"{jac[2] / passes:.2f}", f"{sec / rb[3]:.3f}",
                 f"{sec / jac[3]:.2f}"] for name, nit, passes, sec, reached in rows]
        table(f"Label propagation, {title}, n={n}, nnz={nnz}: to ||x - x*|| <= 1e-8 ||x*||",
              ["method", "iterations", "passes", "time [ms]", "reached", "RB/passes",
               "Jacobi/passes", "time/RB", "time/Jacobi"], rows)
        print("passes: BCD = coordinate updates / n (each update reads its row of Q; the greedy "
              "tree also scans the graph once per iteration to grow its block); PCG = matrix "
              f"entries read / nnz (tree-SGS step, Eisenstat's form = {per_step['tree-sgs']:.2f} "
              "products).")
        if n <= 5000:
            edges = np.sort(np.abs(sp.triu(Q, k=1).data))[::-1]
            cover = 2 * edges[:n - len(forests)].sum() / Q.diagonal().sum()
            print("asymptotic block/point Gauss-Seidel gain lambda_min(B^-1 Q)/lambda_min(D^-1 Q): "
                  f"forest partition {forest_gain(Q, forests):.2f}; {len(forests)} forests hold at "
                  f"most n - {len(forests)} edges, {cover:.0%} of the weighted degree, so on smooth "
                  f"errors any such partition gains about 1/(1 - {cover:.2f}) = {1 / (1 - cover):.2f} "
                  "at most")


# -- 3. Softmax -----------------------------------------------------------------------------------
SOFTMAX_CASES = ((1000, 1000, 50, 1), (2000, 500, 20, 3))  # the spec's "C", then another draw
SOFTMAX_QUICK = ((300, 200, 50, 1), (600, 150, 20, 3))


def softmax_case(m, p, classes, seed, args):
    from sklearn.linear_model import LogisticRegression

    A, Y = softmax_data(m, p, classes, seed=seed)
    Y = Y[:, Y.sum(axis=0) > 0]  # classes that occur (scikit-learn fits only those)
    labels = Y.argmax(axis=1)
    problem = Softmax(A, Y, l2=1.0)
    k = Y.shape[1]

    def lbfgs(tol, max_iter=100_000):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(C=1.0, fit_intercept=False, tol=tol, max_iter=max_iter)
            return model.fit(A, labels).coef_.T.ravel()

    F_star = problem.fun(lbfgs(1e-12))
    target = F_star * (1 + 1e-6)
    rows = []
    for tol in TOL_LADDER:
        if problem.fun(lbfgs(tol)) <= target:
            w, sec = best_time(lambda: lbfgs(tol), args.repeat)
            rows.append(["sklearn lbfgs", f"tol={tol:g}", f"{sec:.3f}",
                         f"{(problem.fun(w) - F_star) / F_star:.1e}", "-", True])
            break

    # feature blocks ('fixed' with block_size = k: one feature x all classes per block, as 'fixed'
    # sorts by L_i, equal across a feature's classes) with cyclic and Gauss-Southwell rules (per-row
    # path), and the spec's variable-block settings (full gradient kept per step)
    settings = [("fixed", k, "cyclic"), ("fixed", k, "gs"), ("fixed", k, "gsl"),
                ("variable", 5 * k, "gsd"), ("variable", 50, "gsq")]
    for blocks, tau, selection in settings:
        if f"{selection}-{blocks}" in args.softmax_skip:
            continue

        def run(maxiter, blocks=blocks, tau=tau, selection=selection, callback=None):
            return numopt.minimize_bcd(problem, blocks=blocks, block_size=tau, selection=selection,
                                       update="newton", tol=1e-15, maxiter=maxiter,
                                       callback=callback)

        def stop(res):
            if res.fun <= target:
                raise StopIteration

        # the iteration count that reaches the target (callback), then runs stopped there are
        # timed without the callback (with one, the per-row path steps one block per call)
        first = run(args.softmax_passes * problem.n // tau, callback=stop)
        name = f"numopt {selection.upper()}-{'FB' if blocks == 'fixed' else 'VB'} newton tau={tau}"
        if first.fun > target:
            rows.append([name, f"> {first.ncoord / problem.n:.1f} passes", "-",
                         f"{(first.fun - F_star) / F_star:.1e}", "-", False])
            continue
        res, sec = best_time(lambda: run(first.nit), args.repeat)
        rows.append([name, f"nit={res.nit} ({res.ncoord / problem.n:.1f} passes)", f"{sec:.3f}",
                     f"{(res.fun - F_star) / F_star:.1e}", res.njev, res.fun <= target])
    t_peer = float(rows[0][2])
    rows = [r + [f"{float(r[2]) / t_peer:.2f}" if r[5] else "not reached"] for r in rows]
    table(f"Softmax {m}x{p} (seed {seed}), {k} classes, l2=1: time to F <= F*(1 + 1e-6)",
          ["solver", "setting", "time [s]", "rel. subopt.", "full grads", "reached",
           "time/lbfgs"], rows)
    equal_time(problem, F_star, k, lbfgs, args)


def equal_time(problem, F_star, k, lbfgs, args):
    """The spec's other softmax measure: the lowest objective each solver reaches within a time
    budget, over the first ``--softmax-seconds``.  Runs stopped after a growing number of
    iterations (lbfgs: ``max_iter``; numopt GS-FB newton: block steps) are timed one by one; the
    entry at budget ``T`` is the lowest ``F`` of the runs that took at most ``T``."""
    def bcd(nit):
        return numopt.minimize_bcd(problem, blocks="fixed", block_size=k, selection="gs",
                                   update="newton", tol=1e-15, maxiter=nit).x

    traces = {}
    for name, solve, counts in (("sklearn lbfgs", lambda it: lbfgs(1e-12, max_iter=it),
                                 np.unique(np.geomspace(1, 5000, 25).astype(int))),
                                ("numopt GS-FB newton", bcd,
                                 np.unique(np.geomspace(1, 200, 25) * problem.n // k).astype(int))):
        trace = []
        for count in counts:
            x, sec = best_time(lambda c=count: solve(c), 1)
            trace.append((sec, problem.fun(x)))
            if sec > args.softmax_seconds or trace[-1][1] <= F_star * (1 + 1e-12):
                break
        traces[name] = trace
    F_star = min([F_star] + [F for trace in traces.values() for _, F in trace])  # lowest seen
    budgets = [T for T in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0) if T <= args.softmax_seconds]
    rows = []
    for T in budgets:
        best = {name: min((F for sec, F in trace if sec <= T), default=np.inf)
                for name, trace in traces.items()}
        rows.append([f"{T:g}"] + [f"{(F - F_star) / F_star:.1e}" if np.isfinite(F) else "-"
                                  for F in best.values()])
    table("Softmax: relative suboptimality (F - F*)/F* reached within a time budget (F*: the "
          "lowest objective seen)",
          ["budget [s]", *traces], rows)


def softmax(args):
    for case in (SOFTMAX_QUICK if args.quick else SOFTMAX_CASES):
        softmax_case(*case, args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--softmax-passes", type=int, default=100)
    parser.add_argument("--softmax-seconds", type=float, default=10.0)
    parser.add_argument("--softmax-skip", nargs="*", default=("gsq-variable",),
                        help="softmax settings to leave out (default: gsq-variable, which took "
                             "325x lbfgs's time on the spec's instance)")
    parser.add_argument("--skip", nargs="*", default=())
    args = parser.parse_args()
    from numopt._lib._jit import warmup

    warmup()
    for name, section in (("lasso", lasso), ("propagation", propagation), ("softmax", softmax)):
        if name not in args.skip:
            section(args)


if __name__ == "__main__":
    main()
