"""Learned SOR relaxation (``OmegaBandit``, ``solve_sor_sequence``): quality and speed.

Quality is tracked as ratios to the comparators computed once in ``setup_cache`` (every grid omega
solved on every system): best fixed omega in hindsight, the grid instance-optimal policy, omega = 1.
The full-size tables (T = 5000, heat nx = 100) come from ``examples/compare_bandit.py``.
"""
import numpy as np

LEARNERS = ["tsallis-inf", "tsallis-inf-cb", "chebcb", "thompson", "cheb-thompson"]
T = 1000


def _sequence(variance):
    from numopt.problems import shifted_laplacian_sequence

    return shifted_laplacian_sequence(T, variance=variance, seed=0)


class SyntheticQuality:
    """Total SOR sweeps of each learner on the synthetic sequence (n = 100, T = 1000), as ratios."""

    params = (LEARNERS, ["high", "low"])
    param_names = ["learner", "variance"]
    timeout = 600

    def setup_cache(self):
        from numopt._lib._jit import warmup
        from numopt.linalg._bandit import DEFAULT_OMEGAS
        from numopt.linalg._sequence import grid_costs

        warmup()
        out = {}
        for variance in ("high", "low"):
            C, _ = grid_costs(_sequence(variance), np.array(DEFAULT_OMEGAS))
            out[variance] = {"best": int(C.sum(0).min()), "inst": int(C.min(1).sum()),
                             "one": int(C[:, 0].sum())}
        for learner in LEARNERS:
            for variance in ("high", "low"):
                out[learner, variance] = self._total(learner, variance)
        return out

    @staticmethod
    def _total(learner, variance):
        from numopt import solve_sor_sequence

        return int(solve_sor_sequence(_sequence(variance), learner=learner, seed=0,
                                      keep_x=False).total_iterations)

    def track_ratio_vs_best_fixed(self, cache, learner, variance):
        return cache[learner, variance] / cache[variance]["best"]

    track_ratio_vs_best_fixed.unit = "ratio"

    def track_ratio_vs_instance_optimal(self, cache, learner, variance):
        return cache[learner, variance] / cache[variance]["inst"]

    track_ratio_vs_instance_optimal.unit = "ratio"

    def track_speedup_vs_omega_one(self, cache, learner, variance):
        return cache[variance]["one"] / cache[learner, variance]

    track_speedup_vs_omega_one.unit = "ratio"


class SequenceTime:
    """Wall time of a 200-system synthetic SOR sequence and a 200-step heat SSOR-PCG sequence."""

    params = (["tsallis-inf", "chebcb", "thompson", "cheb-thompson"],)
    param_names = ["learner"]

    def setup(self, learner):
        from numopt._lib._jit import warmup

        warmup()

    def time_synthetic_sor(self, learner):
        from numopt import solve_sor_sequence
        from numopt.problems import shifted_laplacian_sequence

        solve_sor_sequence(shifted_laplacian_sequence(200, seed=0), learner=learner, seed=0,
                           keep_x=False)

    def time_heat_ssor_pcg(self, learner):
        from numopt import solve_sor_sequence
        from numopt.problems import heat_sequence

        solve_sor_sequence(heat_sequence(50, steps=200), method="ssor-pcg", learner=learner,
                           warm_start=True, seed=0, keep_x=False)


class LearnerOverhead:
    """One ``suggest`` + ``update`` pair (the per-system cost the learner adds to a solve)."""

    params = (LEARNERS,)
    param_names = ["learner"]

    def setup(self, learner):
        from numopt import OmegaBandit

        self.bandit = OmegaBandit(learner=learner, context_range=(0.0, 1.0), seed=0)
        rng = np.random.default_rng(0)
        self.contexts = rng.random(500)
        self.costs = rng.integers(20, 200, 500).astype(float)
        for c, k in zip(self.contexts, self.costs):  # a learner that has seen data
            self.bandit.suggest(c)
            self.bandit.update(k)
        self.k = 0

    def time_suggest_update(self, learner):
        k = self.k = (self.k + 1) % 500
        self.bandit.suggest(self.contexts[k])
        self.bandit.update(self.costs[k])
