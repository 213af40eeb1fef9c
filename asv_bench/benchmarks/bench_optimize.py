"""asv benchmarks: minimize_sketched_newton on the HS set, the PDE control problem and constrained
logistic regression, next to scipy trust-constr (track_ratio_vs_peer = numopt time / peer time, best of 3
each)."""
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


def _best_time(run, repeat=3):
    """Best wall time of ``repeat`` calls (the first one also pays lazy imports and caches)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


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
        return _best_time(lambda: _solve(self.problem)) / _best_time(lambda: _trust_constr(self.problem))

    track_ratio_vs_peer.unit = "ratio"


def _trust_constr_logistic(p, operator):
    """trust-constr with the exact Hessian of the sphere constraint ``x'x = 1`` (2 lam_m I)."""
    from scipy.optimize import NonlinearConstraint, minimize
    from scipy.sparse import eye_array
    from scipy.sparse.linalg import LinearOperator

    def sphere(x, v):
        if operator:
            return LinearOperator((x.size, x.size), matvec=lambda u: 2 * v[-1] * u)
        return 2 * v[-1] * eye_array(x.size)

    c = p.constraints
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return minimize(p.fun, p.x0, jac=p.jac, hess=p.objective_hess, method="trust-constr",
                        constraints=[NonlinearConstraint(c["fun"], 0.0, 0.0, jac=c["jac"], hess=sphere)],
                        options={"gtol": 1e-8, "xtol": 1e-12})


class ConstrainedLogistic:
    """5000 x 100 with a dense Hessian; 2000 samples x 5000 features with a LinearOperator Hessian
    ('exact' runs projected CG on it)."""

    params = (["5000x100-dense", "2000x5000-operator"],)
    param_names = ["size"]
    timeout = 300

    def setup(self, size):
        from numopt._lib._jit import warmup
        from numopt.problems import constrained_logistic

        warmup()
        shape, form = size.split("-")
        n_s, d = map(int, shape.split("x"))
        self.operator = form == "operator"
        self.problem = constrained_logistic(n_samples=n_s, n_features=d, seed=0, hessian=form)

    def time_exact(self, size):
        _solve(self.problem)

    def time_trust_constr(self, size):
        _trust_constr_logistic(self.problem, self.operator)

    def track_ratio_vs_peer(self, size):
        return (_best_time(lambda: _solve(self.problem))
                / _best_time(lambda: _trust_constr_logistic(self.problem, self.operator)))

    track_ratio_vs_peer.unit = "ratio"

    def track_outer_iterations(self, size):
        return _solve(self.problem).nit

    track_outer_iterations.unit = "iterations"

    def track_kkt_matvecs(self, size):
        return _solve(self.problem).nmatvec

    track_kkt_matvecs.unit = "products"
