"""DCDM (shipped 3-D model) vs CG, IC(0)-PCG and PyAMG SA-PCG on 3-D Dirichlet Poisson."""
import numpy as np

import numopt

from .common import Benchmark, pick, safe_import


class SolveDCDM(Benchmark):
    """Solves to rtol 1e-4 and 1e-8 on n = 32^3 (regular; 16^3 fast, 64^3 large), held-out
    white-noise and smooth-source right-hand sides; DCDM two-level (default) and network-only."""

    params = [["dcdm", "dcdm-network", "cg", "ic0", "amg"], [1e-4, 1e-8], ["white", "smooth"]]
    param_names = ["solver", "rtol", "rhs"]
    timeout = 900

    def setup(self, solver, rtol, rhs):
        super().setup()
        safe_import("torch")
        if solver == "amg":
            safe_import("pyamg")
        m = pick(16, 32, 64)
        self.A = numopt.poisson_matrix((m, m, m))
        problems = numopt.problems
        self.b = problems.random_field((m, m, m), seed=4242) if rhs == "white" else \
            problems.smooth_source((m, m, m), seed=4243)
        self.model = numopt.DCDMModel.pretrained(3)

    def _run(self, solver, rtol, rhs):
        if solver.startswith("dcdm"):  # the two-level default, or the network's direction alone
            network_only = {"coarse_grid": None} if solver == "dcdm-network" else {}
            return numopt.solve_dcdm(self.A, self.b, model=self.model, rtol=rtol, maxiter=300,
                                     **network_only).nit
        precond = {"cg": None, "ic0": "ic0", "amg": "amg"}[solver]
        return numopt.solve_pcg(self.A, self.b, preconditioner=precond, rtol=rtol).nit

    def time_solve(self, solver, rtol, rhs):
        self._run(solver, rtol, rhs)

    def track_nit(self, solver, rtol, rhs):
        return self._run(solver, rtol, rhs)

    track_nit.unit = "iterations"


class DCDMNetworkApplication(Benchmark):
    """One application of the shipped 3-D network (torch CPU inference) on n = 32^3."""

    def setup(self):
        super().setup()
        safe_import("torch")
        m = pick(16, 32, 64)
        self.grid = (m, m, m)
        self.model = numopt.DCDMModel.pretrained(3)
        self.r = np.random.default_rng(0).standard_normal(m ** 3)

    def time_direction(self):
        self.model(self.r, grid_shape=self.grid)
