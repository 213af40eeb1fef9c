"""Linear solvers: SOR sweep vs PyAMG's compiled sweep, CG vs SciPy, preconditioned CG."""
import numpy as np

import numopt

from .common import Benchmark, pick, safe_import


class SORSweep(Benchmark):
    """One forward SOR sweep on the 3-D Poisson matrix (n = 64^3 in the regular profile)."""

    params = [["numopt", "numopt+residual", "pyamg"]]
    param_names = ["implementation"]

    def setup(self, implementation):
        super().setup()
        from numopt._lib._sparse import csr_arrays

        m = pick(24, 64)
        self.A = numopt.poisson_matrix((m, m, m))
        n = self.A.shape[0]
        self.b = np.random.default_rng(0).standard_normal(n)
        self.x = np.zeros(n)
        self.x_prev = np.zeros(n)
        self.csr = csr_arrays(self.A, np.float64)
        self.w = 1.5 / self.A.diagonal()
        if implementation == "pyamg":
            safe_import("pyamg")
            import scipy.sparse as sp

            self.Am = sp.csr_matrix(self.A)
        from numopt._kernels import _sor

        self.kernels = _sor

    def time_sweep(self, implementation):
        if implementation == "numopt":
            self.kernels.backward_sweep(*self.csr, self.w, self.b, self.x)
        elif implementation == "numopt+residual":
            self.kernels.forward_sweep(*self.csr, self.w, self.b, self.x, self.x_prev)
        else:
            from pyamg.relaxation.relaxation import sor

            sor(self.Am, self.x, self.b, 1.5, iterations=1, sweep="backward")


class SolveSOR(Benchmark):
    """Whole SOR/SSOR solves to rtol 1e-8 on 2-D Poisson with Young's omega."""

    params = [[False, True]]
    param_names = ["symmetric"]

    def setup(self, symmetric):
        super().setup()
        self.m = pick(32, 128)
        self.A = numopt.poisson_matrix((self.m, self.m))
        self.b = np.ones(self.A.shape[0])
        self.omega = 2 / (1 + np.sin(np.pi / (self.m + 1)))

    def time_solve(self, symmetric):
        numopt.solve_sor(self.A, self.b, omega=self.omega, symmetric=symmetric)

    def track_nit(self, symmetric):
        return numopt.solve_sor(self.A, self.b, omega=self.omega, symmetric=symmetric).nit

    track_nit.unit = "sweeps"


class PCG(Benchmark):
    """solve_pcg on 3-D Poisson (n = 64^3) to rtol 1e-8, each preconditioner."""

    params = [[None, "jacobi", "ssor", "ic0", "amg", "cholmod", "scipy-cg"]]
    param_names = ["preconditioner"]
    timeout = 600

    def setup(self, preconditioner):
        super().setup()
        if preconditioner == "amg":
            safe_import("pyamg")
        if preconditioner == "cholmod":
            safe_import("sksparse.cholmod")
        m = pick(24, 64)
        self.A = numopt.poisson_matrix((m, m, m))
        self.b = np.random.default_rng(1).standard_normal(self.A.shape[0])

    def _run(self, preconditioner):
        if preconditioner == "scipy-cg":
            import scipy.sparse.linalg as spla

            calls = []
            spla.cg(self.A, self.b, rtol=1e-8, callback=lambda xk: calls.append(1))
            return len(calls)
        return numopt.solve_pcg(self.A, self.b, preconditioner=preconditioner, omega=1.5,
                                rtol=1e-8).nit

    def time_solve(self, preconditioner):
        self._run(preconditioner)

    def track_nit(self, preconditioner):
        return self._run(preconditioner)

    track_nit.unit = "iterations"


class PCGPerIteration(Benchmark):
    """Seconds per CG iteration, numopt vs scipy.sparse.linalg.cg (100 iterations, n = 64^3)."""

    params = [["numopt", "scipy"]]
    param_names = ["implementation"]

    def setup(self, implementation):
        super().setup()
        m = pick(24, 64)
        self.A = numopt.poisson_matrix((m, m, m))
        self.b = np.random.default_rng(2).standard_normal(self.A.shape[0])

    def time_100_iterations(self, implementation):
        if implementation == "numopt":
            numopt.solve_pcg(self.A, self.b, rtol=0.0, maxiter=100)
        else:
            import scipy.sparse.linalg as spla

            spla.cg(self.A, self.b, rtol=0.0, maxiter=100)


class ImportTime:
    """``import numopt`` in a fresh interpreter (target <= 0.5 s)."""

    def timeraw_import(self):
        return "import numopt"
