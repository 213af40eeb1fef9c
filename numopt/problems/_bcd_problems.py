"""Problems for :func:`numopt.minimize_bcd`: least squares, logistic, softmax, sparse quadratics.

Each problem follows the :class:`BlockProblem` protocol.  The built-in ones also keep an
incremental *state* (``U = A X`` and ``G = A' phi'(U)`` for data problems, ``g = Q x - c`` for
quadratics) so that a block step costs the rows it touches, not a full gradient.

Data problems also accept dense arrays of other array-API namespaces (CuPy on a GPU,
array-api-strict): ``A``, the targets and every later computation then stay in that namespace and
on that device (``minimize_bcd`` runs its vectorised path on them); the losses, gradients and
objective are written once for any namespace ``xp``.
"""
from typing import Protocol, runtime_checkable

import numpy as np

from .._lib._array_api import array_namespace, is_numpy, result_dtype, to_numpy
from .._lib._jit import host_kernel, use_jit
from .._lib._optional import lazy_module
from .._lib._validate import check_finite, check_matrix, check_scalar, shape_of

sp = lazy_module("scipy.sparse")

__all__ = ["BlockProblem", "LeastSquares", "Logistic", "Softmax", "Quadratic"]


@runtime_checkable
class BlockProblem(Protocol):
    """What :func:`numopt.minimize_bcd` needs from a smooth convex objective ``f``.

    Required attributes and methods:

    * ``n`` (int): number of variables;
    * ``fun(x) -> float`` and ``grad(x) -> (n,) array``;
    * ``lipschitz``: ``(n,)`` coordinate-wise Lipschitz constants ``L_i`` of the gradient.

    Optional (rules that need one raise ``ValueError`` naming it when it is missing):

    * ``hess_bound_block(idx) -> (|b|, |b|)`` dense matrix ``H_b`` with ``grad^2 f(x)[b, b] <= H_b``
      for every ``x`` (needed by ``selection='gsd'/'gsq'`` and ``update='newton'/'prox-newton'``;
      without it ``update='lipschitz'`` uses ``L_b = sum_{i in b} L_i``);
    * ``hess_block(x, idx)``: the true Hessian block (Newton steps with Armijo backtracking);
    * ``hess_bound_matvec(v)``: ``H v`` for a global bound ``H`` (variable-block ``'gsq'``);
    * ``lipschitz_bar``: ``(n,)`` bounds valid for every block (variable-block ``'gsl'``; default
      ``block_size * L_i``);
    * ``graph``: sparse symmetric matrix whose pattern is the coupling graph (``blocks='tree'``).
    """

    n: int
    lipschitz: object

    def fun(self, x): ...

    def grad(self, x): ...


def _int64_copy(M, fmt):
    """A new canonical ``fmt`` array with int64 indices (the caller's matrix is never modified)."""
    M = M.asformat(fmt)
    if not M.has_canonical_format:
        M = M.copy()
        M.sum_duplicates()
    cls = sp.csc_array if fmt == "csc" else sp.csr_array
    return cls((M.data, M.indices.astype(np.int64), M.indptr.astype(np.int64)), shape=M.shape)


def _as_host_matrix(A, name, dtype):
    """``A`` as a CSC scipy array with int64 indices, checked finite."""
    check_matrix(A, name=name, square=False)
    if not (sp.issparse(A) or isinstance(A, np.ndarray)):
        raise TypeError(f"`{name}` must be a NumPy array or a scipy.sparse matrix; got "
                        f"{type(A).__name__} (minimize_bcd runs on the CPU)")
    A = sp.csc_array(A) if isinstance(A, np.ndarray) else A
    return _int64_copy(A.astype(dtype, copy=False), "csc")


def _dense_csc(F):
    """CSC (int64 indices) of a Fortran-ordered dense array; without zeros its ``data`` is a view
    of ``F`` and no per-entry index search is made (scipy's route through COO costs several times
    more)."""
    m, p = F.shape
    if np.count_nonzero(F) < F.size:
        return _int64_copy(sp.csc_array(F), "csc")
    indptr = np.arange(0, m * p + 1, m, dtype=np.int64)
    indices = np.tile(np.arange(m, dtype=np.int64), p)
    return sp.csc_array((F.ravel(order="F"), indices, indptr), shape=F.shape)


def _data_matrix(A, name, *targets):
    """``(A, products, xp, device, dtype)``: ``A`` a CSC copy for NumPy/scipy inputs, else ``A`` as
    a dense array of its own namespace and device (no sparse formats off the CPU); ``products``
    the matrix for full products ``A X``, ``A'R`` (for dense NumPy input a Fortran copy: BLAS)."""
    xp, device = array_namespace(A, *targets)
    dtype = result_dtype(A, *targets, xp=xp)
    if is_numpy(xp):
        if isinstance(A, np.ndarray):
            check_matrix(A, name=name, square=False)
            dense = np.array(A, dtype=dtype, order="F")  # the problem's own copy
            return _dense_csc(dense), dense, xp, device, dtype
        csc = _as_host_matrix(A, name, dtype)
        return csc, csc, xp, device, dtype
    check_matrix(A, name=name, square=False)
    if not hasattr(A, "__array_namespace__"):
        raise TypeError(f"`{name}` must be a dense array on {xp.__name__}; got "
                        f"{type(A).__name__} (sparse formats run on the CPU only)")
    A = xp.astype(A, dtype)
    return A, A, xp, device, dtype


def _host_vector(v, name, dtype):
    array_namespace(v)  # rejects foreign objects with a clear TypeError
    if not isinstance(v, (np.ndarray, list, tuple)):
        raise TypeError(f"`{name}` must be a NumPy array; got {type(v).__name__}")
    v = np.asarray(v)
    return check_finite(v.astype(dtype, copy=True), name=name) if v.size else v.astype(dtype)


class _LinearModel:
    """``f(X) = sum_i phi(a_i' X) + l2/2 ||X||^2`` with ``X`` of shape (p, k) flattened row-major
    (variable ``j * k + c``).  Subclasses fix the loss ``phi`` and the curvature bound.

    ``_A`` is the design for full products in the computing namespace ``xp`` (on NumPy: a dense
    copy of dense input, else ``_csc``, the CSC copy the kernels read);
    ``lipschitz`` and ``lipschitz_bar`` are NumPy arrays in every case.
    """

    loss = None          # kernel loss code
    quadratic = False    # the Hessian bound is the Hessian (exact block minimization)

    def __init__(self, A, products, T, l2, dtype, xp=np, device="cpu"):
        self.xp, self.device, self.dtype = xp, device, dtype
        self.host_dtype = np.dtype(np.float32 if dtype == xp.float32 else np.float64)
        self._A = products
        self.m, self.p = A.shape
        self.k = T.shape[1]
        self.n = self.p * self.k
        self.l2 = check_scalar(l2, name="l2", low=0.0)
        self._lipschitz_bar = None
        if not is_numpy(xp):
            self.T = xp.asarray(T, dtype=dtype, device=device)  # (m, k) targets
            col_sq = to_numpy(xp.sum(xp.astype(A, xp.float64) ** 2, axis=0))
        else:
            self._csc = A
            self._csr_cache = None
            self.T = np.ascontiguousarray(T, dtype=dtype)
            indptr = self._csc.indptr
            col_sq = np.zeros(self.p)
            filled = np.diff(indptr) > 0  # reduceat over the non-empty columns' segments
            if filled.any():
                col_sq[filled] = np.add.reduceat(
                    self._csc.data.astype(np.float64, copy=False) ** 2, indptr[:-1][filled])
        self.lipschitz = np.repeat(self._coord_scale() * col_sq + self.l2,
                                   self.k).astype(self.host_dtype)

    @property
    def _csr(self):
        """CSR copy (int64 indices), built on first use (row scatters of incremental gradients)."""
        if self._csr_cache is None:
            self._csr_cache = _int64_copy(self._csc, "csr")
        return self._csr_cache

    @property
    def lipschitz_bar(self):
        """Per-coordinate bounds valid for every block: ``s |A|'(|A| 1) + l2``."""
        if self._lipschitz_bar is None:
            xp = self.xp
            absA = abs(self._A)
            ones = xp.ones(self.p, dtype=xp.float64, device=self.device)
            bar = self._bar_scale() * to_numpy(absA.T @ (absA @ ones)) + self.l2
            self._lipschitz_bar = np.repeat(bar, self.k).astype(self.host_dtype)
        return self._lipschitz_bar

    # -- the loss, row-wise on U = A X ---------------------------------------------------------
    def _row_losses(self, U, T):
        """The loss of each row of ``U`` against the targets ``T`` (a length-``len(U)`` array)."""
        raise NotImplementedError

    def _loss(self, U):
        return float(self.xp.sum(self._row_losses(U, self.T)))

    def _change_along(self, U, dU, T, xb, d):
        """``t -> f(x + t d_b) - f(x)`` for a block step ``d`` (``x_b``: its coordinates before)
        that moves the rows ``U`` (targets ``T``) by ``t dU``: the row losses' changes, summed row
        by row (no rounding of the whole objective), plus the ``l2`` term's."""
        xp = self.xp
        before = self._row_losses(U, T)
        cross, dd = float(xp.sum(xb * d)), float(xp.sum(d * d))

        def change(t):
            return float(xp.sum(self._row_losses(U + t * dU, T) - before)) \
                + 0.5 * self.l2 * (2 * t * cross + t * t * dd)

        return change

    def _derivative(self, U):
        raise NotImplementedError

    def _coord_scale(self):
        return 1.0

    def _bar_scale(self):
        return 1.0

    def _bound_factor(self, classes):
        """Class factor ``S`` of the bound ``H[(j,c),(j',c')] = S[c,c'] A_j'A_j'``."""
        return self._coord_scale() * np.ones((classes.size, classes.size))

    # -- protocol --------------------------------------------------------------------------------
    def _X(self, x):
        xp = self.xp
        return xp.reshape(xp.asarray(x, dtype=self.dtype), (self.p, self.k))

    def fun(self, x):
        """Objective value at ``x``."""
        X = self._X(x)
        return float(self._loss(self._A @ X)) + 0.5 * self.l2 * float(self.xp.sum(X * X))

    def grad(self, x):
        """Full gradient at ``x``, shape (n,)."""
        xp = self.xp
        X = self._X(x)
        G = self._A.T @ self._derivative(self._A @ X) + self.l2 * X
        return xp.reshape(xp.asarray(G, dtype=self.dtype), (-1,))

    def _gram(self, idx):
        cols = np.asarray(idx, dtype=np.int64) // self.k
        if use_jit(np):
            from .._kernels._bcd import gram_block

            H = np.empty((cols.size, cols.size))
            gram_block(self._csc.indptr, self._csc.indices, self._csc.data, cols,
                       np.zeros(self.m, dtype=self.dtype), H)
            return H
        A_b = self._csc[:, cols]
        return np.asarray((A_b.T @ A_b).toarray(), dtype=np.float64)

    def hess_bound_block(self, idx):
        """``H_b``: ``s A_b'A_b + l2 I`` (softmax: times Boehning's class factor)."""
        idx = np.asarray(idx)
        H = self._gram(idx) * self._bound_factor(idx % self.k)
        H[np.diag_indices_from(H)] += self.l2
        return H

    def hess_bound_matvec(self, v):
        """``H v`` for the global bound ``H``."""
        V = np.asarray(v, dtype=np.float64).reshape(self.p, self.k)
        W = self._csc.T @ (self._csc @ V)
        W = self._mix_classes(W)
        return (W + self.l2 * V).ravel()

    def _mix_classes(self, W):
        return self._coord_scale() * W

    # -- incremental state used by minimize_bcd ------------------------------------------------
    def _bcd_state(self, x, jit):
        return _LinearModelState(self, x, jit)

    def _bcd_row_state(self, x):
        return _RowState(self, x)


class _LinearModelState:
    """``U = A X``, ``R = phi'(U)``, ``G = A'R`` kept up to date under block steps."""

    def __init__(self, problem, x, jit):
        self.problem = problem
        self.jit = jit
        self.x = x
        self._work = (np.zeros(problem.m, np.int64), np.empty(problem.m, np.int64))
        self.ngrad = 0
        self.refresh()

    def refresh(self):
        """Recompute ``U``, ``R`` and ``G`` from ``x`` (one full gradient)."""
        pr = self.problem
        X = self.x.reshape(pr.p, pr.k)
        self.U = np.ascontiguousarray(pr._A @ X, dtype=pr.dtype)
        self.R = np.ascontiguousarray(pr._derivative(self.U), dtype=pr.dtype)
        self.G = np.ascontiguousarray(pr._A.T @ self.R, dtype=pr.dtype)
        self.ngrad += 1

    @property
    def grad(self):
        g = self.G.ravel()
        return g + self.problem.l2 * self.x if self.problem.l2 else g

    def fun(self):
        pr = self.problem
        return float(pr._loss(self.U)) + 0.5 * pr.l2 * float(self.x @ self.x)

    def step(self, idx, d):
        """``x[idx] += d`` and update the state (touched rows only with the JIT)."""
        pr = self.problem
        self.x[idx] += d
        if self.jit:
            from .._kernels._bcd import data_block_step

            # scatter the changed rows into G when few rows change, else one streaming A'R
            limit = pr.m // 4
            cols = idx[d != 0] // pr.k
            few = int(np.sum(pr._csc.indptr[cols + 1] - pr._csc.indptr[cols])) <= limit
            rows = pr._csr if few else pr._csc  # CSC passed as a placeholder when not scattering
            touched = data_block_step(pr._csc.indptr, pr._csc.indices, pr._csc.data,
                                      rows.indptr, rows.indices, rows.data, idx,
                                      d.astype(pr.dtype, copy=False), self.U, self.R, self.G,
                                      pr.T, pr.loss, *self._work, limit if few else -1)
            if not few or touched > limit:
                self.G = np.ascontiguousarray(pr._A.T @ self.R, dtype=pr.dtype)
        else:
            self.U += self.direction(idx, d)
            self.R = pr._derivative(self.U).astype(pr.dtype, copy=False)
            self.G = np.asarray(pr._A.T @ self.R, dtype=pr.dtype)

    def direction(self, idx, d):
        """``A dX`` for the block step ``dX`` (shape (m, k))."""
        pr = self.problem
        j, c = np.divmod(idx, pr.k)
        dX = sp.csr_array((d, (j, c)), shape=(pr.p, pr.k))
        return np.asarray((pr._csc @ dX).toarray(), dtype=pr.dtype)

    def change_along(self, idx, d):
        """``t -> f(x + t d_b) - f(x)`` (for line searches), from ``A d_b`` computed once and the
        rows it touches only."""
        pr = self.problem
        dU = self.direction(idx, d)
        rows = np.flatnonzero(np.any(dU != 0, axis=1))
        return pr._change_along(self.U[rows], dU[rows], pr.T[rows], self.x[idx], d)

    def hess_block(self, idx):
        return self.problem._hess_block_at(self.U, idx)


class _RowState:
    """``U = A X``, ``R = phi'(U)`` and the row losses, updated by block Newton steps built from the
    rows a block touches (numba): no full gradient per step.  ``seen[i] = |g_i|`` when coordinate
    ``i`` was last looked at."""

    def __init__(self, problem, x):
        self.problem, self.x = problem, x
        self.ngrad = 0
        self.seen = np.zeros(problem.n)
        self._mark = np.full(problem.m, -1, np.int64)  # row marks for the kernels, kept at -1
        self._greedy_flags = None  # (features touched, blocks to rescore), zero between calls
        self.refresh()

    def refresh(self):
        """Recompute ``U``, ``R``, the row losses, ``F`` and the gradient from ``x``."""
        from .._kernels._bcd import row_losses

        pr = self.problem
        X = self.x.reshape(pr.p, pr.k)
        self.U = np.ascontiguousarray(pr._A @ X, dtype=pr.dtype)
        self.R = np.empty_like(self.U)
        self.rowloss = np.empty(pr.m)
        row_losses(pr.loss, self.U, pr.T, self.R, self.rowloss)
        self.F = float(self.rowloss.sum()) + 0.5 * pr.l2 * float(self.x @ self.x)
        self.G = np.asarray(pr._A.T @ self.R, dtype=np.float64).ravel()  # data part A'R
        np.abs((self.G + pr.l2 * self.x).astype(pr.dtype, copy=False), out=self.seen)
        self.ngrad += 1

    def fun(self):
        return self.F

    def newton_steps(self, flat, offs, rounding, c1, trials):
        """Newton steps with Armijo backtracking on the blocks ``flat[offs[s]:offs[s + 1]]``.
        Returns ``(blocks done, F after each, counts)``, counts = (objective trials, bound
        steps, coordinates updated, 1 if a step met a non-finite objective)."""
        from .._kernels._bcd import row_blocks_newton

        pr, csc = self.problem, self.problem._csc
        history = np.empty(offs.size - 1)
        counts = np.zeros(4, np.int64)
        done = row_blocks_newton(csc.indptr, csc.indices, csc.data, flat, offs, self.x, self.U,
                                 self.R, self.rowloss, pr.T, pr.loss, pr.l2, self.F, rounding, c1,
                                 trials, self._mark, self.seen, history, counts)
        if done:
            self.F = float(history[done - 1])
        return done, history[:done], counts

    def greedy_newton_steps(self, nsteps, partition, threshold, rounding, c1, trials):
        """Up to ``nsteps`` greedy Newton steps on ``partition`` (members, offsets, block of each
        coordinate, ``1 / D_i``, block scores and block max ``|g_i|``, the last two updated in
        place), stopping early once ``max_i |g_i| <= threshold``; ``G`` is kept exact by
        scattering the changed rows, and ``seen = |G + l2 x|`` afterwards.  Returns as
        :meth:`newton_steps`."""
        from .._kernels._bcd import row_greedy_newton

        pr, csc, csr = self.problem, self.problem._csc, self.problem._csr
        history = np.empty(nsteps)
        counts = np.zeros(4, np.int64)
        if self._greedy_flags is None:
            self._greedy_flags = np.zeros(pr.p, np.int64), np.zeros(partition[-1].size, np.int64)
        done = row_greedy_newton(csc.indptr, csc.indices, csc.data, csr.indptr, csr.indices,
                                 csr.data, *partition, threshold, self.G, self.x, self.U, self.R,
                                 self.rowloss, pr.T, pr.loss, pr.l2, self.F, rounding, c1, trials,
                                 self._mark, self.seen, *self._greedy_flags, history, counts)
        if done:
            self.F = float(history[done - 1])
        np.abs(self.G + pr.l2 * self.x, out=self.seen)
        return done, history[:done], counts


class LeastSquares(_LinearModel):
    """``f(x) = ||A x - b||^2 / 2``.

    Parameters
    ----------
    A : (m, p) array, scipy.sparse matrix or dense CuPy / array-API array (kept on its device)
    b : (m,) array

    Notes
    -----
    ``L_i = ||A_i||^2``, ``H = A'A`` (never formed; blocks ``A_b'A_b`` on demand).  scikit-learn's
    ``Lasso(alpha)`` objective ``||Ax - b||^2/(2m) + alpha ||x||_1`` is ``minimize_bcd(LeastSquares(A,
    b), l1=m * alpha)`` divided by ``m``.
    """

    loss = 0
    quadratic = True

    def __init__(self, A, b):
        mats, products, xp, device, dtype = _data_matrix(A, "A", b)
        m = mats.shape[0]
        if shape_of(b) != (m,):
            raise ValueError(f"`b` must have shape ({m},) to match `A` {tuple(mats.shape)}; got "
                             f"{shape_of(b)}")
        super().__init__(mats, products, _host_vector(to_numpy(b), "b", np.float64)[:, None], 0.0,
                         dtype, xp, device)

    def _row_losses(self, U, T):
        r = U - T
        return 0.5 * self.xp.sum(r * r, axis=1)

    def _derivative(self, U):
        return U - self.T

    def _hess_block_at(self, U, idx):
        return self.hess_bound_block(idx)

    def hess_block(self, x, idx):
        """The Hessian block ``A_b'A_b`` (equal to the bound)."""
        return self.hess_bound_block(idx)

    def duality_gap(self, x, l1):
        """Lasso duality gap ``P(x) - D(theta)`` of ``||Ax - b||^2/2 + l1 ||x||_1`` (>= 0, = 0 at
        the solution), with the dual point ``theta = (b - Ax) min(1, l1 / ||A'(b - Ax)||_inf)``."""
        x = np.asarray(x, dtype=np.float64)
        rho = self.T[:, 0] - self._csc @ x
        corr = float(np.abs(self._csc.T @ rho).max())
        theta = rho * (min(1.0, l1 / corr) if corr > 0 else 1.0)
        primal = 0.5 * float(rho @ rho) + l1 * float(np.abs(x).sum())
        b = self.T[:, 0]
        dual = 0.5 * float(b @ b) - 0.5 * float((b - theta) @ (b - theta))
        return primal - dual

    def _block_minimize(self, state, idx, l1, lo, hi, tol, max_sweeps):
        """Exact block minimizer with ``l1``/bounds by matrix-free CD (no ``A_b'A_b``)."""
        from .._kernels._bcd import ls_block_cd

        y = state.x[idx].copy()
        work = np.zeros(self.m, dtype=self.dtype)
        host_kernel(ls_block_cd)(self._csc.indptr, self._csc.indices, self._csc.data, idx,
                                 self.lipschitz, state.x, state.grad, l1, lo, hi, y, work, tol,
                                 max_sweeps)
        return y


def _sigmoid(z, xp=np):
    return 0.5 * (1.0 + xp.tanh(0.5 * z))


class Logistic(_LinearModel):
    """``f(x) = sum_i log(1 + exp(-y_i a_i'x)) + l2/2 ||x||^2`` with labels ``y_i`` in {-1, +1}.

    Parameters
    ----------
    A : (m, p) array, scipy.sparse matrix or dense CuPy / array-API array (kept on its device)
    y : (m,) array of labels in {-1, +1} (or {0, 1}, mapped to {-1, +1})
    l2 : float
        Ridge weight (>= 0).  With ``l2 = 0`` and linearly separable data there is no finite
        minimizer (``minimize_bcd`` then reports status 3).

    Notes
    -----
    ``L_i = ||A_i||^2 / 4 + l2``, ``H = A'A / 4 + l2 I``.  ``LogisticRegression(C)`` of
    scikit-learn without intercept minimizes ``f`` with ``l2 = 1 / C``.
    """

    loss = 1

    def __init__(self, A, y, l2=0.0):
        mats, products, xp, device, dtype = _data_matrix(A, "A")
        m = mats.shape[0]
        if shape_of(y) != (m,):
            raise ValueError(f"`y` must have shape ({m},) to match `A` {tuple(mats.shape)}; got "
                             f"{shape_of(y)}")
        y = _host_vector(to_numpy(y), "y", np.float64)
        labels = set(np.unique(y).tolist())
        if labels <= {0.0, 1.0}:
            y = 2.0 * y - 1.0
        elif not labels <= {-1.0, 1.0}:
            raise ValueError("`y` must hold labels in {-1, +1} (or {0, 1}); got values "
                             f"{sorted(labels)[:5]}")
        super().__init__(mats, products, y[:, None], l2, dtype, xp, device)

    def _coord_scale(self):
        return 0.25

    def _bar_scale(self):
        return 0.25

    def _row_losses(self, U, T):
        return self.xp.logaddexp(0.0, -T[:, 0] * U[:, 0])

    def _derivative(self, U):
        return -self.T * _sigmoid(-self.T * U, self.xp)

    def _hess_block_at(self, U, idx):
        cols = self._csc[:, idx]
        s = _sigmoid(U[:, 0])
        w = s * (1.0 - s)
        H = np.asarray((cols.T @ (cols.multiply(w[:, None]))).toarray(), dtype=np.float64)
        H[np.diag_indices_from(H)] += self.l2
        return H

    def hess_block(self, x, idx):
        """The true Hessian block ``A_b' diag(s(1 - s)) A_b + l2 I`` at ``x``."""
        return self._hess_block_at(self._csc @ self._X(x), np.asarray(idx))

    def separates(self, U):
        """True when ``x`` (with ``U = A x``) classifies every sample strictly correctly: then the
        unregularised loss has no finite minimizer (``f(t x) -> 0`` as ``t -> inf``)."""
        return bool(self.xp.all(self.T * U > 0))


class Softmax(_LinearModel):
    """Multinomial logistic loss ``sum_i [logsumexp(a_i'X) - a_i'X y_i] + l2/2 ||X||^2``.

    Parameters
    ----------
    A : (m, p) array, scipy.sparse matrix or dense CuPy / array-API array (kept on its device)
    Y : (m, k) one-hot labels, ``k >= 2``
    l2 : float
        Ridge weight (>= 0).

    Notes
    -----
    The variable is ``X`` (p, k) flattened row-major: coordinate ``j * k + c``.  Bounds use
    Boehning's ``0.5 (I - 11'/k')`` (``k' = min(k, classes in the block + 1)``).
    """

    loss = 2

    def __init__(self, A, Y, l2=0.0):
        mats, products, xp, device, dtype = _data_matrix(A, "A")
        m = mats.shape[0]
        shape = shape_of(Y)
        if len(shape) != 2 or shape[0] != m or shape[1] < 2:
            raise ValueError(f"`Y` must be one-hot with shape ({m}, k), k >= 2, to match `A` "
                             f"{tuple(mats.shape)}; got {shape}")
        Y = _host_vector(to_numpy(Y), "Y", np.float64)
        if not (np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1)):
            raise ValueError("`Y` must be one-hot: entries in {0, 1}, exactly one 1 per row")
        super().__init__(mats, products, Y, l2, dtype, xp, device)

    def _coord_scale(self):
        return 0.25

    def _bar_scale(self):
        return 1.0 - 1.0 / self.k

    def _bound_factor(self, classes):
        kk = min(self.k, np.unique(classes).size + 1)
        return 0.5 * ((classes[:, None] == classes[None, :]) - 1.0 / kk)

    def _mix_classes(self, W):
        return 0.5 * (W - W.sum(axis=1, keepdims=True) / self.k)

    def _shifted_exp(self, U, top):
        # exp(u - max u) below e^-700 is clamped there: subnormal results are very slow on CPUs
        # and change the row sums (>= 1) by less than 1e-300
        return self.xp.exp(self.xp.maximum(U - top, -700.0))

    def _probabilities(self, U):
        xp = self.xp
        E = self._shifted_exp(U, xp.max(U, axis=1, keepdims=True))
        return E / xp.sum(E, axis=1, keepdims=True)

    def _row_losses(self, U, T):
        xp = self.xp
        top = xp.max(U, axis=1, keepdims=True)
        return top[:, 0] + xp.log(xp.sum(self._shifted_exp(U, top), axis=1)) - xp.sum(U * T, axis=1)

    def _derivative(self, U):
        return self._probabilities(U) - self.T

    def _hess_block_at(self, U, idx):
        j, c = np.divmod(np.asarray(idx), self.k)
        if use_jit(np):  # row by row: the block's features in each row, their class pairs
            from .._kernels._bcd import softmax_hess_block

            feats, group = np.unique(j, return_inverse=True)
            gpos = np.argsort(group, kind="stable")
            gstart = np.searchsorted(group[gpos], np.arange(feats.size + 1))
            H = np.zeros((j.size, j.size))
            rows = self._csr
            softmax_hess_block(rows.indptr, rows.indices, rows.data, feats, gstart, gpos, c,
                               np.ascontiguousarray(self._probabilities(U), np.float64),
                               np.full(self.p, -1, np.int64), np.empty(feats.size, np.int64),
                               np.empty(feats.size, dtype=self.dtype), H)
            H[np.diag_indices_from(H)] += self.l2
            return H
        P = self._probabilities(U)[:, c]
        cols = self._csc[:, j]
        W = cols.multiply(P)
        same = (c[:, None] == c[None, :])
        H = same * np.asarray((W.T @ cols).toarray()) - np.asarray((W.T @ W).toarray())
        H[np.diag_indices_from(H)] += self.l2
        return H

    def hess_block(self, x, idx):
        """The true Hessian block at ``x``."""
        return self._hess_block_at(self._csc @ self._X(x), np.asarray(idx))

    def separates(self, U):
        """True when ``X`` ranks every sample's label strictly first (no finite minimizer)."""
        xp = self.xp
        true = xp.sum(U * self.T, axis=1)
        other = xp.max(xp.where(self.T > 0, -xp.inf, U), axis=1)
        return bool(xp.all(true > other))


class Quadratic:
    """``f(x) = x'Qx / 2 - c'x`` with a sparse symmetric positive definite ``Q``.

    The minimizer solves ``Q x = c`` (e.g. label propagation on a graph).

    Parameters
    ----------
    Q : (n, n) scipy.sparse matrix or array, symmetric with a positive diagonal
    c : (n,) array

    Notes
    -----
    ``L_i = Q_ii``, ``H = Q``, ``graph = Q``.  The gradient ``g = Q x - c`` is updated by
    ``Q[:, b] d_b`` after each block step.
    """

    quadratic = True

    def __init__(self, Q, c):
        dtype = result_dtype(Q, c, xp=np)
        check_matrix(Q, name="Q")
        csr = _int64_copy(_as_host_matrix(Q, "Q", dtype), "csr")
        n = csr.shape[0]
        if shape_of(c) != (n,):
            raise ValueError(f"`c` must have shape ({n},) to match `Q` {csr.shape}; got "
                             f"{shape_of(c)}")
        asym = abs(csr - csr.T).max() if csr.nnz else 0.0
        scale = abs(csr).max() if csr.nnz else 1.0
        if asym > 1e-12 * scale:  # rounding-level asymmetry only
            raise ValueError(f"`Q` must be symmetric; max |Q - Q'| = {asym:.3e}")
        diag = csr.diagonal()
        if np.any(diag <= 0):
            i = int(np.argmin(diag))
            raise ValueError(f"`Q` must be positive definite: its diagonal must be positive; got "
                             f"Q[{i},{i}] = {diag[i]!r}")
        self.dtype = dtype
        self.graph = csr
        self.c = _host_vector(c, "c", dtype)
        self.n = n
        self.lipschitz = diag.astype(dtype)
        self.lipschitz_bar = np.asarray(abs(csr).sum(axis=1)).ravel().astype(dtype)

    def fun(self, x):
        """``x'Qx/2 - c'x``."""
        return 0.5 * float(x @ (self.graph @ x)) - float(self.c @ x)

    def grad(self, x):
        """``Q x - c``."""
        return self.graph @ x - self.c

    def hess_bound_block(self, idx):
        """``Q[b, b]`` as a dense array."""
        return self.hess_block_sparse(idx).toarray().astype(np.float64)

    def hess_block(self, x, idx):
        """``Q[b, b]`` (the Hessian is constant)."""
        return self.hess_bound_block(idx)

    def hess_block_sparse(self, idx):
        """``Q[b, b]`` as a sparse array."""
        idx = np.asarray(idx)
        return self.graph[idx][:, idx]

    def hess_bound_matvec(self, v):
        """``Q v``."""
        return self.graph @ v

    def _bcd_state(self, x, jit):
        return _QuadraticState(self, x, jit)


class _QuadraticState:
    """``g = Q x - c`` kept up to date by ``g += Q[:, b] d_b``."""

    def __init__(self, problem, x, jit):
        self.problem = problem
        self.jit = jit
        self.x = x
        self.ngrad = 0
        self.refresh()

    def refresh(self):
        self.g = np.asarray(self.problem.grad(self.x), dtype=self.problem.dtype)
        self.f = 0.5 * float(self.x @ self.g) - 0.5 * float(self.problem.c @ self.x)
        self.ngrad += 1

    @property
    def grad(self):
        return self.g

    def fun(self):
        return self.f

    def step(self, idx, d):
        """``x_b += d``; ``g += Q[:, b] d`` and ``f += d'(g_b + g_b^new)/2`` (exact for a
        quadratic: O(|b|), no pass over ``x``)."""
        Q = self.problem.graph
        g_old = self.g[idx]
        self.x[idx] += d
        if self.jit:
            from .._kernels._bcd import sym_scatter_update

            sym_scatter_update(Q.indptr, Q.indices, Q.data, idx, d.astype(self.g.dtype, copy=False),
                               self.g)
        else:
            self.g += Q[idx].T @ d
        self.f += 0.5 * float(np.sum(d * (g_old + self.g[idx])))

    def change_along(self, idx, d):
        """``t -> f(x + t d_b) - f(x)``, exactly ``t g_b'd + t^2 d'Q_bb d / 2``."""
        Qd = self.problem.graph[:, idx] @ d
        slope, curv = float(self.g[idx] @ d), float(d @ Qd[idx])
        return lambda t: t * slope + 0.5 * t * t * curv

    def hess_block(self, idx):
        return self.problem.hess_bound_block(idx)
