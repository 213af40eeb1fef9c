"""Learned SOR/SSOR relaxation vs fixed omega: the paper's synthetic and heat-equation sequences.

One process.  Prints, per sequence, the total iterations of every learner (real runs of
``numopt.solve_sor_sequence``) next to the comparators: omega = 1, the best fixed omega in hindsight
over the grid, the grid instance-optimal policy and (synthetic) Young's instance-optimal omega*;
for the heat equation also unpreconditioned CG, wall times and the learner's share of the time.
Writes one plot with the regret curves of the faithful and the improved learners.

    python examples/compare_bandit.py [--quick] [--heat 25,100] [--heat-steps 5000] [--out FILE]
    python examples/compare_bandit.py --sequence-seeds 10,11,12 --learners thompson,cheb-thompson \
        --learner-seeds 1 --heat "" --heat-grid ""
    python examples/compare_bandit.py --skip-synthetic --heat 200 --heat-grid "" \
        --heat-steps 1000 --heat-omegas 1.5,1.75,1.95 --heat-learners cheb-thompson
    python examples/compare_bandit.py --skip-synthetic --heat "" --heat-grid "" --overhead 100
"""
import argparse
import time

import numpy as np

import numopt
from numopt import OmegaBandit, solve_pcg, solve_sor, solve_sor_sequence
from numopt._lib._jit import warmup
from numopt.linalg._bandit import DEFAULT_OMEGAS, LEARNERS
from numopt.linalg._sequence import METHODS, grid_costs
from numopt.problems import heat_sequence, shifted_laplacian_sequence

GRID = np.array(DEFAULT_OMEGAS)
FAITHFUL = ("tsallis-inf", "tsallis-inf-cb", "chebcb")
IMPROVED = ("thompson", "cheb-thompson")
HEAT_OMEGAS = (1.0, 1.3, 1.5, 1.75, 1.95)


class TimedBandit(OmegaBandit):
    """An OmegaBandit that accumulates the wall time spent in ``suggest`` and ``update``."""

    seconds = 0.0

    def suggest(self, context=None):
        start = time.perf_counter()
        out = super().suggest(context)
        self.seconds += time.perf_counter() - start
        return out

    def update(self, cost):
        start = time.perf_counter()
        super().update(cost)
        self.seconds += time.perf_counter() - start


def _bandit(learner, context_range, seed, n_bins=None, cls=TimedBandit):
    """A ``cls`` bandit for ``learner``; contexts and bins only where the learner uses them."""
    contextual = LEARNERS[learner].contextual
    return cls(GRID, learner=learner, context_range=context_range if contextual else None,
                       n_bins=n_bins if learner == "tsallis-inf-cb" else None, seed=seed)


def _table(title, header, rows):
    print(f"\n{title}")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for k, r in enumerate([header, *rows]):
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def synthetic(T, seeds, curves, sequence_seed=0, learners=FAITHFUL + IMPROVED):
    for variance in ("high", "low"):
        seq = shifted_laplacian_sequence(T, variance=variance, seed=sequence_seed)
        start = time.perf_counter()
        C, ctx = grid_costs(seq, GRID)
        grid_time = time.perf_counter() - start
        best_k = int(np.argmin(C.sum(0)))
        best, inst, one = C[:, best_k].sum(), C.min(1).sum(), C[:, 0].sum()
        young = sum(solve_sor(A, b, omega=seq.optimal_omega(c)).nit for A, b, c in seq)
        rows = [("omega = 1", one, f"{one / best:.3f}", f"{one / inst:.3f}", "1.00", "-"),
                (f"best fixed omega = {GRID[best_k]:.2f}", best, "1.000", f"{best / inst:.3f}",
                 f"{one / best:.2f}", "-"),
                ("instance-optimal (grid)", inst, f"{inst / best:.3f}", "1.000",
                 f"{one / inst:.2f}", "-"),
                ("instance-optimal (Young omega*)", young, f"{young / best:.3f}",
                 f"{young / inst:.3f}", f"{one / young:.2f}", "-")]
        for learner in learners:
            totals, times = [], []
            for s in seeds:
                bandit = _bandit(learner, seq.context_range, s)
                start = time.perf_counter()
                res = solve_sor_sequence(seq, learner=bandit, keep_x=False)
                times.append(time.perf_counter() - start)
                totals.append(res.total_iterations)
                if variance == "high" and s == seeds[0]:
                    ref = C[:, best_k] if not bandit.contextual else C.min(1)
                    curves[learner] = (np.cumsum(res.iterations - ref), bandit.contextual)
            m = float(np.mean(totals))
            spread = f"{min(totals) / best:.3f}-{max(totals) / best:.3f}"
            rows.append((f"{learner} ({len(seeds)} seeds; {np.mean(times):.1f} s/run)", int(m),
                         f"{m / best:.3f} [{spread}]", f"{m / inst:.3f}", f"{one / m:.2f}",
                         f"{1e6 * bandit.seconds / T:.0f}"))
        _table(f"Synthetic shifted Laplacian, n = 100, T = {T}, {variance} variance, sequence seed "
               f"{sequence_seed}, SOR, rtol 1e-8 (grid costs: {grid_time:.0f} s)",
               ("learner / omega", "total sweeps", "/ best fixed", "/ inst.-opt", "omega=1 / this",
                "learner us/step"), rows)


def _timed(run):
    """``run()``, its wall and CPU (process) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _run_fixed(seq, **pcg_options):
    """Total iterations of solve_pcg over the heat sequence, warm-started; wall and CPU seconds."""
    def run():
        total, x = 0, None
        gen = iter(seq)
        try:
            A, b, _ = next(gen)
            while True:
                res = solve_pcg(A, b, x, rtol=1e-8, maxiter=10_000, **pcg_options)
                total, x = total + res.nit, res.x
                A, b, _ = gen.send(x)
        except StopIteration:
            pass
        return total

    return _timed(run)


def heat(nx, steps, seeds, omegas, learners, grid=None):
    """The heat table; ``grid = (best omega, its total, instance-optimal total)`` from
    :func:`heat_grid` adds the best fixed omega in hindsight over the whole grid (timed too).
    Wall and CPU times include building the systems (the same for every row)."""
    seq = heat_sequence(nx, steps=steps)
    total, cg_wall, cg_cpu = _run_fixed(seq)
    rows = [("CG", total, "-", f"{cg_wall:.1f}", "1.00", f"{cg_cpu:.1f}", "1.00", "-")]
    if grid is not None and not any(abs(grid[0] - w) < 1e-12 for w in omegas):
        omegas = sorted([*omegas, grid[0]])
    fixed = {w: _run_fixed(seq, preconditioner="ssor", omega=w) for w in omegas}
    best_w = min(fixed, key=lambda w: fixed[w][0])
    best = fixed[best_w][0]
    for w, (it, wall, cpu) in fixed.items():
        label = " (best fixed on the grid)" if grid is not None and abs(grid[0] - w) < 1e-12 \
            else ""
        rows.append((f"SSOR-PCG omega = {w:.4g}{label}", it, f"{it / best:.3f}", f"{wall:.1f}",
                     f"{wall / cg_wall:.2f}", f"{cpu:.1f}", f"{cpu / cg_cpu:.2f}", "-"))
    if grid is not None:
        rows.append(("SSOR-PCG instance-optimal (grid)", grid[2], f"{grid[2] / best:.3f}", "-",
                     "-", "-", "-", "-"))
    for learner in learners:
        for s in seeds:
            bandit = _bandit(learner, seq.context_range, s, n_bins=6)
            res, wall, cpu = _timed(lambda: solve_sor_sequence(
                seq, method="ssor-pcg", learner=bandit, warm_start=True, keep_x=False))
            rows.append((f"SSOR-PCG {learner} (seed {s})", res.total_iterations,
                         f"{res.total_iterations / best:.3f}", f"{wall:.1f}",
                         f"{wall / cg_wall:.2f}", f"{cpu:.1f}", f"{cpu / cg_cpu:.2f}",
                         f"{100 * bandit.seconds / wall:.2f}"))
    _table(f"Heat equation, Crank-Nicolson, nx = {nx} (n = {seq.n}), {steps} steps, warm start, "
           f"rtol 1e-8 (best fixed omega = {best_w:.4g}, the reference of '/ best fixed')",
           ("solver", "total iters", "/ best fixed", "wall [s]", "wall / CG", "CPU [s]",
            "CPU / CG", "learner % of wall"), rows)


def overhead(nx, steps, learners):
    """Learner time (suggest + update) per instance vs SSOR-PCG solve time per instance (heat)."""
    seq = heat_sequence(nx, steps=steps)
    solve = METHODS["ssor-pcg"]
    rows = []
    for learner in learners:
        bandit = _bandit(learner, seq.context_range, 0, n_bins=6, cls=OmegaBandit)
        times, total, x = [], 0, None  # per instance: wall and CPU seconds, learner and solve
        clocks = (time.perf_counter, time.thread_time)
        gen = iter(seq)
        try:
            A, b, kappa = next(gen)
            while True:  # the loop of solve_sor_sequence(method='ssor-pcg', warm_start=True)
                start = [c() for c in clocks]
                omega = bandit.suggest(kappa)
                mid = [c() for c in clocks]
                res = solve(A, b, x, omega, 1e-8, 10_000)
                end = [c() for c in clocks]
                bandit.update(res.nit)
                stop = [c() for c in clocks]
                times.append([stop[k] - end[k] + mid[k] - start[k] for k in range(2)]
                             + [end[k] - mid[k] for k in range(2)])
                total, x = total + res.nit, res.x
                A, b, kappa = gen.send(x)
        except StopIteration:
            pass
        wall_learn, cpu_learn, wall_solve, cpu_solve = np.array(times).T
        rows.append((learner, total,
                     f"{1e6 * wall_learn.mean():.1f} / {1e6 * np.median(wall_learn):.1f}",
                     f"{1e3 * wall_solve.mean():.3f} / {1e3 * np.median(wall_solve):.3f}",
                     f"{100 * wall_learn.sum() / wall_solve.sum():.2f}",
                     f"{100 * np.median(wall_learn / wall_solve):.2f}",
                     f"{100 * cpu_learn.sum() / cpu_solve.sum():.2f}"))
    _table(f"Learner overhead, heat nx = {nx} (n = {seq.n}), {steps} steps, SSOR-PCG, warm start "
           "(learner = suggest + update; solve = solve_pcg; wall times, mean / median per "
           "instance; CPU = thread time)",
           ("learner", "total iters", "learner us", "solve ms", "sum learner / sum solve %",
            "median learner/solve %", "CPU: learner / solve %"), rows)


def heat_grid(nx, steps):
    """Best fixed omega over the whole grid and the grid instance-optimal policy (heat)."""
    seq = heat_sequence(nx, steps=steps)
    C, _ = grid_costs(seq, GRID, method="ssor-pcg", warm_start=True)
    best_k = int(np.argmin(C.sum(0)))
    print(f"\nHeat nx = {nx}, grid comparators along the trajectory: best fixed omega = "
          f"{GRID[best_k]:.2f} ({C[:, best_k].sum()} iterations), instance-optimal (grid) = "
          f"{C.min(1).sum()}, omega = 1: {C[:, 0].sum()}")
    return float(GRID[best_k]), int(C[:, best_k].sum()), int(C.min(1).sum())


def plot(curves, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for learner, (regret, contextual) in curves.items():
        ax = axes[int(contextual)]
        style = "--" if learner in FAITHFUL else "-"
        ax.plot(np.arange(1, regret.shape[0] + 1), regret, style, label=learner)
    axes[0].set_title("regret vs best fixed omega (non-contextual)")
    axes[1].set_title("regret vs instance-optimal omega (contextual)")
    for ax in axes:
        ax.set_xlabel("system t")
        ax.set_ylabel("cumulative extra sweeps")
        ax.legend()
    fig.suptitle("Synthetic shifted Laplacian, high variance (dashed: Khodak et al.'s learners)")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(f"\nwrote {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 500, one seed, heat nx = 25")
    parser.add_argument("--heat", default="25,100", help="comma-separated heat grid sizes nx")
    parser.add_argument("--heat-steps", type=int, default=5000)
    parser.add_argument("--heat-grid", default="25", help="nx for the full-grid heat comparators")
    parser.add_argument("--heat-omegas", default=",".join(map(str, HEAT_OMEGAS)),
                        help="fixed omegas of the SSOR-PCG comparators")
    parser.add_argument("--heat-learners", default=",".join(FAITHFUL + IMPROVED))
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--sequence-seeds", default="0",
                        help="comma-separated seeds of the synthetic sequences (the learners' "
                        "defaults were chosen on seed 0; others are out of sample)")
    parser.add_argument("--learners", default=",".join(FAITHFUL + IMPROVED),
                        help="learners of the synthetic tables")
    parser.add_argument("--learner-seeds", type=int, default=3, help="runs per synthetic learner")
    parser.add_argument("--overhead", default="", help="comma-separated heat nx for the learner "
                        "overhead table (e.g. 100: n = 9801)")
    parser.add_argument("--out", default="compare_bandit.png")
    args = parser.parse_args()
    warmup()
    T, seeds = (500, (0,)) if args.quick else (5000, tuple(range(args.learner_seeds)))
    heat_nx = [25] if args.quick else [int(v) for v in args.heat.split(",") if v]
    heat_steps = 500 if args.quick else args.heat_steps
    print(f"numopt {numopt.__version__}; shared 2-core machine under load: times are indicative")
    curves = {}
    if not args.skip_synthetic:
        for k, sequence_seed in enumerate(int(v) for v in args.sequence_seeds.split(",")):
            # regret curves of the first sequence only
            synthetic(T, seeds, curves if k == 0 else {}, sequence_seed, args.learners.split(","))
        if curves:
            plot(curves, args.out)
    grids = {nx: heat_grid(nx, heat_steps) for nx in [int(v) for v in args.heat_grid.split(",")
                                                      if v]}
    omegas = [float(w) for w in args.heat_omegas.split(",")]
    for nx in heat_nx:
        heat(nx, heat_steps, seeds[:1], omegas, args.heat_learners.split(","), grids.get(nx))
    for nx in [int(v) for v in args.overhead.split(",") if v]:
        overhead(nx, heat_steps, FAITHFUL + IMPROVED)


if __name__ == "__main__":
    main()
