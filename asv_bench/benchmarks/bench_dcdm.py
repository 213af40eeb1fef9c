"""DCDM (shipped 3-D model) vs CG, IC(0)-PCG and PyAMG SA-PCG on 3-D Dirichlet Poisson."""
import numpy as np

import numopt

from .common import Benchmark, pick, safe_import


class SolveDCDM(Benchmark):
    """Solves to rtol 1e-4 and 1e-8 on n = 32^3 (regular; 16^3 fast, 64^3 large), held-out rhs."""

    params = [["dcdm", "cg", "ic0", "amg"], [1e-4, 1e-8]]
    param_names = ["solver", "rtol"]
    timeout = 900

    def setup(self, solver, rtol):
        super().setup()
        safe_import("torch")
        if solver == "amg":
            safe_import("pyamg")
        m = pick(16, 32, 64)
        self.A = numopt.poisson_matrix((m, m, m))
        self.b = numopt.problems.random_field((m, m, m), seed=4242)
        self.model = numopt.DCDMModel.pretrained(3)

    def _run(self, solver, rtol):
        if solver == "dcdm":
            return numopt.solve_dcdm(self.A, self.b, model=self.model, rtol=rtol, maxiter=300).nit
        precond = {"cg": None, "ic0": "ic0", "amg": "amg"}[solver]
        return numopt.solve_pcg(self.A, self.b, preconditioner=precond, rtol=rtol).nit

    def time_solve(self, solver, rtol):
        self._run(solver, rtol)

    def track_nit(self, solver, rtol):
        return self._run(solver, rtol)

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
