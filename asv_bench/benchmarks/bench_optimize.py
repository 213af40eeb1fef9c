"""asv benchmarks: minimize_sketched_newton on the HS set, the PDE control problem and constrained
logistic regression, next to scipy trust-constr (track_ratio_vs_peer = numopt time / peer time)."""
import time
import warnings

import numpy as np


def _solve(p, sketch="exact"):
    from numopt import minimize_sketched_newton

    return minimize_sketched_newton(p.fun, p.x0, jac=p.jac, hess=p.hess, constraints=p.constraints,
                                    lam0=p.lam0, sketch=sketch, tol=1e-6, seed=0)


def _trust_constr(p):
    from scipy.optimize import minimize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return minimize(p.fun, p.x0, jac=p.jac, hess=p.objective_hess, method="trust-constr",
                        constraints=[p.constraints], options={"gtol": 1e-8, "xtol": 1e-12})


class HockSchittkowski:
    params = (["exact", "block-kaczmarz"],)
    param_names = ["sketch"]

    def setup(self, sketch):
        from numopt._lib._jit import warmup
        from numopt.problems import HS_PROBLEMS, hock_schittkowski

        warmup()
        self.problems = [hock_schittkowski(k) for k in sorted(HS_PROBLEMS)]

    def time_hs_set(self, sketch):
        for p in self.problems:
            _solve(p, sketch)

    def track_median_outer_iterations(self, sketch):
        return float(np.median([_solve(p, sketch).nit for p in self.problems]))

    track_median_outer_iterations.unit = "iterations"

    def track_total_inner_steps(self, sketch):
        return sum(_solve(p, sketch).n_inner for p in self.problems)

    track_total_inner_steps.unit = "steps"


class PDEControl:
    params = ([16, 32, 64],)
    param_names = ["N"]
    timeout = 300

    def setup(self, N):
        from numopt._lib._jit import warmup
        from numopt.problems import pde_control

        warmup()
        self.problem = pde_control(N)

    def time_exact(self, N):
        _solve(self.problem)

    def time_trust_constr(self, N):
        _trust_constr(self.problem)

    def track_ratio_vs_peer(self, N):
        start = time.perf_counter()
        _solve(self.problem)
        mine = time.perf_counter() - start
        start = time.perf_counter()
        _trust_constr(self.problem)
        return mine / (time.perf_counter() - start)

    track_ratio_vs_peer.unit = "ratio"


class ConstrainedLogistic:
    timeout = 300

    def setup(self):
        from numopt._lib._jit import warmup
        from numopt.problems import constrained_logistic

        warmup()
        self.problem = constrained_logistic(n_samples=5000, n_features=100, seed=0)

    def time_exact(self):
        _solve(self.problem)

    def track_outer_iterations(self):
        return _solve(self.problem).nit

    track_outer_iterations.unit = "iterations"
