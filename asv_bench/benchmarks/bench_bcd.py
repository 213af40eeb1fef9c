"""minimize_bcd benchmarks: Lasso vs scikit-learn and skglm, label propagation vs red-black
Gauss-Seidel and Jacobi-PCG, tree-SGS preconditioned CG, softmax vs lbfgs.  Sizes follow
``NUMOPT_BENCH_PROFILE`` (:func:`.common.pick`; ``regular`` holds the issue's sizes)."""
import numpy as np

from .common import pick

LASSO_SIZE = pick((200, 2000), (1000, 10000))
LATTICE = pick(50, 200)
SOFTMAX_SIZE = pick((300, 200), (1000, 1000))


class Lasso:
    """Time to the duality gap <= 1e-6 P(0) (numopt tol chosen to meet it, see compare_bcd.py)."""

    params = [10, 100]
    param_names = ["lambda_max_over"]

    def setup(self, frac):
        from numopt._lib._jit import warmup
        from numopt.problems import LeastSquares, sparse_regression_data

        warmup()
        self.A, self.b, _ = sparse_regression_data(*LASSO_SIZE, seed=1)
        self.problem = LeastSquares(self.A, self.b)
        self.l1 = float(np.abs(self.A.T @ self.b).max()) / frac
        self.m = self.A.shape[0]

    def _numopt(self):
        import numopt

        return numopt.minimize_bcd(self.problem, blocks="variable",
                                   block_size=min(2000, self.A.shape[1]), selection="gsq",
                                   update="prox-newton", l1=self.l1, tol=1e-7, maxiter=10_000)

    def time_numopt(self, frac):
        self._numopt()

    def time_sklearn(self, frac):
        from sklearn.linear_model import Lasso as SkLasso

        SkLasso(alpha=self.l1 / self.m, fit_intercept=False, tol=5e-7,
                max_iter=100_000).fit(self.A, self.b)

    def time_skglm(self, frac):
        try:
            import skglm
        except ImportError:
            raise NotImplementedError("skglm is not installed") from None
        # tol 1e-5 meets the gap at both lambdas on "A" (the ladder of compare_bcd.py)
        skglm.Lasso(alpha=self.l1 / self.m, fit_intercept=False, tol=1e-5,
                    max_iter=1000).fit(self.A, self.b)

    def track_gap_over_p0(self, frac):
        x = self._numopt().x
        return self.problem.duality_gap(x, self.l1) / (0.5 * float(self.b @ self.b))

    track_gap_over_p0.unit = "gap/P(0)"


class LabelPropagation:
    """Passes over the graph (row visits / n) to ||x - x*|| <= 1e-8 ||x*|| on lattice "D"."""

    params = ["lattice-combs", "greedy-tree", "red-black"]
    param_names = ["blocks"]

    def setup(self, blocks):
        import scipy.sparse.linalg as spl

        from numopt._lib._jit import warmup
        from numopt.problems import (Quadratic, lattice_label_propagation, lattice_tree_partition,
                                     red_black_partition)

        warmup()
        Q, c, labeled = lattice_label_propagation(LATTICE, LATTICE, weight=1e5,
                                                  n_labeled=LATTICE * LATTICE // 25, seed=1)
        self.problem = Quadratic(Q, c)
        self.x_star = spl.spsolve(Q.tocsc(), c)
        self.kwargs = {
            "lattice-combs": {"blocks": lattice_tree_partition(LATTICE, LATTICE, labeled),
                              "selection": "cyclic"},
            "greedy-tree": {"blocks": "tree", "selection": "gsl"},
            "red-black": {"blocks": red_black_partition(Q), "selection": "cyclic"},
        }[blocks]

    def _run(self):
        import numopt

        scale = 1e-8 * np.linalg.norm(self.x_star)

        def stop(res):
            if np.linalg.norm(res.x - self.x_star) <= scale:
                raise StopIteration

        return numopt.minimize_bcd(self.problem, update="message-passing", tol=1e-15,
                                   maxiter=200_000, callback=stop, **self.kwargs)

    def time_solve(self, blocks):
        self._run()

    def track_passes(self, blocks):
        return self._run().ncoord / self.problem.n

    track_passes.unit = "passes"


class TreeSGSPreconditioner:
    """solve_pcg on lattice "D" (W = 1e5): Jacobi vs point SGS vs IC(0) vs tree-SGS, rtol 1e-8.

    ``track_passes`` counts matrix entries read / nnz per step: the product ``A p`` plus the
    preconditioner's (diagonal; a lower and an upper triangle); tree-SGS runs Eisenstat's split
    form, whose step replaces both (``tree_sgs_cost(A, split=True)``)."""

    params = ["jacobi", "ssor", "ic0", "tree-sgs"]
    param_names = ["preconditioner"]

    def setup(self, preconditioner):
        from numopt._lib._jit import warmup
        from numopt.optimize._bcd._forest import tree_sgs_cost
        from numopt.problems import lattice_label_propagation

        warmup()
        self.Q, self.c, _ = lattice_label_propagation(LATTICE, LATTICE, weight=1e5,
                                                      n_labeled=LATTICE * LATTICE // 25, seed=1)
        n, nnz = self.Q.shape[0], self.Q.nnz
        self.step_cost = {"jacobi": 1 + n / nnz, "ssor": 1 + (nnz + n) / nnz,
                          "ic0": 1 + (nnz + n) / nnz,
                          "tree-sgs": tree_sgs_cost(self.Q, split=True)}[preconditioner]

    def time_pcg(self, preconditioner):
        import numopt

        numopt.solve_pcg(self.Q, self.c, preconditioner=preconditioner, rtol=1e-8)

    def track_iterations(self, preconditioner):
        import numopt

        return numopt.solve_pcg(self.Q, self.c, preconditioner=preconditioner, rtol=1e-8).nit

    track_iterations.unit = "iterations"

    def track_passes(self, preconditioner):
        return self.track_iterations(preconditioner) * self.step_cost

    track_passes.unit = "passes"


class TreeSGSSetup:
    """Building the tree-SGS preconditioner (ordering, forest runs, factor, off-block split) on
    lattice "D" of side ``LATTICE`` and twice that: the part of a tree-SGS solve that grows
    fastest with n once the arrays leave the caches."""

    params = [LATTICE, 2 * LATTICE]
    param_names = ["side"]

    def setup(self, side):
        from numopt._lib._jit import warmup
        from numopt._lib._sparse import csr_arrays
        from numopt.problems import lattice_label_propagation

        warmup()
        Q, _, _ = lattice_label_propagation(side, side, weight=1e5, n_labeled=side * side // 25,
                                            seed=1)
        self.csr, self.dtype = csr_arrays(Q, Q.dtype), Q.dtype

    def time_setup(self, side):
        from numopt.optimize._bcd._forest import TreeSGS

        TreeSGS(*self.csr, self.dtype)


def _softmax_case():
    """``(A, labels, problem, k)`` of softmax "C" (l2 = 1), keeping the classes that occur
    (scikit-learn fits only those)."""
    from numopt.problems import Softmax as SoftmaxProblem
    from numopt.problems import softmax_data

    A, Y = softmax_data(*SOFTMAX_SIZE, 50, seed=1)
    Y = Y[:, Y.sum(axis=0) > 0]
    return A, Y.argmax(axis=1), SoftmaxProblem(A, Y, l2=1.0), Y.shape[1]


def _softmax_numopt(problem, k, selection, maxiter, callback=None):
    import numopt

    return numopt.minimize_bcd(problem, blocks="fixed", block_size=k, selection=selection,
                               update="newton", tol=1e-15, maxiter=maxiter, callback=callback)


def _lbfgs(A, labels, tol):
    import warnings

    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=1.0, fit_intercept=False, tol=tol,
                                  max_iter=100_000).fit(A, labels).coef_.T.ravel()


class Softmax:
    """Softmax "C" (50 classes, l2 = 1): time to F <= F*(1 + 1e-6); F* from a tight lbfgs run.

    numopt: feature blocks (``blocks='fixed', block_size=k``), Newton, cyclic or GSL selection (the
    per-row path), stopped at the iteration count that reaches the target (found once, in
    ``setup_cache``)."""

    params = ["cyclic", "gsl"]
    param_names = ["selection"]

    def setup_cache(self):
        from numopt._lib._jit import warmup

        warmup()
        A, labels, problem, k = _softmax_case()
        target = problem.fun(_lbfgs(A, labels, 1e-12)) * (1 + 1e-6)

        def stop(res):
            if res.fun <= target:
                raise StopIteration

        return {selection: _softmax_numopt(problem, k, selection, 100 * problem.n // k, stop).nit
                for selection in self.params}

    def setup(self, nit, selection):
        from numopt._lib._jit import warmup

        warmup()
        _, _, self.problem, self.k = _softmax_case()
        self.nit = nit[selection]

    def time_numopt(self, nit, selection):
        _softmax_numopt(self.problem, self.k, selection, self.nit)

    def track_passes(self, nit, selection):
        return self.nit * self.k / self.problem.n

    track_passes.unit = "passes"


class SoftmaxLbfgs:
    """scikit-learn ``LogisticRegression(solver='lbfgs')`` on softmax "C" to 1e-6 relative
    suboptimality (tol 1e-7, the ladder of compare_bcd.py)."""

    def setup(self):
        self.A, self.labels, _, _ = _softmax_case()

    def time_lbfgs(self):
        _lbfgs(self.A, self.labels, 1e-7)
