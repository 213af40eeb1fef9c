r"""``FiniteSumOperator``: ``F = (1/n) sum_i F_i`` with batched component evaluation.

Three forms:

* :meth:`FiniteSumOperator.linear` ``(M, offset)``: ``F(z) = M z + c`` with the ``n = d`` column
  components ``F_i(z) = n M[:, i] z_i + c`` (dense, ``scipy.sparse`` or ``LinearOperator``), or
  with ``components='paired'`` the ``n = ceil(d/2)`` components
  ``F_i(z) = n (M[:, i] z_i + M[:, i+s] z_{i+s}) + c``, ``s = ceil(d/2)`` (terms with an index
  ``>= d`` dropped);
* :meth:`FiniteSumOperator.bilinear` ``(A, b, c)``: the saddle operator of
  ``x^T A y + b^T x - c^T y``, ``F(x, y) = (A y + b, c - A^T x)``, i.e. the linear form with
  ``M = [[0, A], [-A^T, 0]]``, stored as ``A`` and ``A^T`` (both row-major, so a batch of columns of
  ``M`` is a gather of contiguous rows); ``components='paired'`` pairs ``x_i`` with ``y_i``
  (``s = m``, ``max(m, n)`` components; index ``i`` gives row ``i`` and column ``i`` of ``A``, the
  components of Cai et al.'s experiments);
* ``FiniteSumOperator(component, n, dim)``: a callable ``component(u, idx)`` returning the stack
  ``[F_i(u) for i in idx]`` of shape ``(len(idx), dim)``.
"""
import math

import numpy as np

from .._lib._array_api import array_namespace, is_numpy, result_dtype
from .._lib._validate import check_finite, check_int, check_matrix, check_scalar

__all__ = ["FiniteSumOperator"]

_POWER_ITERATIONS = 30  # spec: 30 power iterations on M^T M, then x1.05 (an upper estimate)
_POWER_SAFETY = 1.05


class FiniteSumOperator:
    r"""A finite-sum operator ``F = (1/n) sum_{i=1}^n F_i`` on ``R^dim``.

    Parameters
    ----------
    component : callable
        ``component(u, idx) -> (len(idx), dim)`` array whose row ``k`` is ``F_{idx[k]}(u)``;
        ``idx`` is a 1-D integer array of the operator's namespace.
    n : int
        Number of components.
    dim : int
        Dimension of ``u``.
    full : callable, optional
        ``full(u) -> F(u)``, the mean of all components (default: the mean of ``component(u,
        arange(n))``).
    lipschitz : float, optional
        Lipschitz (or cocoercivity) constant ``L_F`` of ``F`` if known.
    component_lipschitz : (n,) array_like, optional
        Constants ``L_i`` of the components; they give the sampled constant (``max L_i`` uniform,
        ``mean L_i`` with importance sampling ``q_i ∝ L_i``).
    sampling : {'uniform', 'importance'}, optional
        Sampling law of the variance-reduced methods: uniform batches without replacement, or i.i.d.
        with ``q_i ∝ L_i`` (matrix forms: ``q_i ∝ ||M[:, i]||^2``).  Default: 'importance' when the
        component constants are known (always for the matrix forms), else 'uniform'.

    Notes
    -----
    Constants that are not given are estimated by the solver at ``x0`` (section "Step" of
    :func:`numopt.solve_monotone_inclusion`) and the result's ``message`` says so.  The matrix forms
    compute the column norms exactly and ``||M||_2`` by 30 power iterations on ``M^T M`` (times
    1.05).
    """

    def __init__(self, component, n, dim, *, full=None, lipschitz=None, component_lipschitz=None,
                 sampling=None):
        if not callable(component):
            raise TypeError(f"`component` must be callable component(u, idx); got {type(component).__name__}")
        if full is not None and not callable(full):
            raise TypeError(f"`full` must be callable full(u) or None; got {type(full).__name__}")
        self.n = check_int(n, name="n", low=1)
        self.dim = check_int(dim, name="dim", low=1)
        self.kind = "callable"
        self._component, self._full = component, full
        self.xp, self.device, self.dtype = None, None, None  # taken from x0 by the solver
        self.lipschitz = None if lipschitz is None else check_scalar(
            lipschitz, name="lipschitz", low=0.0, low_open=True)
        self.component_lipschitz = None
        if component_lipschitz is not None:
            Li = np.asarray(component_lipschitz, dtype=np.float64)
            if Li.shape != (self.n,) or not np.all(np.isfinite(Li)) or np.any(Li < 0) or not Li.sum() > 0:
                raise ValueError(f"`component_lipschitz` must be {self.n} finite non-negative numbers, "
                                 f"not all zero; got shape {Li.shape} with values {Li[:5]}...")
            self.component_lipschitz = Li
        default = "uniform" if component_lipschitz is None else "importance"
        self.sampling_law = _check_sampling(sampling or default, self.component_lipschitz)

    # -- constructors of the matrix forms ---------------------------------------------------------
    @classmethod
    def linear(cls, M, offset=None, *, sampling="importance", components="columns"):
        """``F(z) = M z + offset`` with the column components ``F_i(z) = n M[:, i] z_i + offset``
        (``components='columns'``) or the pairs of columns ``i``, ``i + ceil(d/2)`` ('paired')."""
        xp, device = array_namespace(M, offset)
        shape = check_matrix(M, name="M", square=True)
        dtype = result_dtype(M, offset, xp=xp)
        op = cls.__new__(cls)
        split = _split(components, (shape[0] + 1) // 2)
        op._init_matrix(xp, device, dtype, shape[0], split, offset, "offset", sampling)
        op.kind = _linear_kind(M, xp)
        if op.kind == "dense":
            op._Mt = xp.asarray(xp.matrix_transpose(xp.asarray(M, dtype=dtype)), copy=True)
            if is_numpy(xp):
                op._Mt = np.ascontiguousarray(op._Mt)
            op._M = xp.matrix_transpose(op._Mt)
        elif op.kind == "sparse":
            op._M = M.astype(dtype).tocsr()
            op._Mt = op._M.T.tocsr()
        else:  # LinearOperator: columns by matvecs with scattered coefficients
            op._M, op._Mt = M, None
        op.column_norms = op._linear_column_norms()
        return op

    @classmethod
    def bilinear(cls, A, b=None, c=None, *, sampling="importance", components="columns"):
        """The saddle operator ``F(x, y) = (A y + b, c - A^T x)`` of ``x^T A y + b^T x - c^T y``.

        Components: the columns of ``M = [[0, A], [-A^T, 0]]`` ('columns') or the pairs
        ``(x_i, y_i)`` ('paired': row ``i`` and column ``i`` of ``A``).
        """
        xp, device = array_namespace(A, b, c)
        m, n = check_matrix(A, name="A", square=False)
        dtype = result_dtype(A, b, c, xp=xp)
        if hasattr(A, "toarray") or not hasattr(A, "__array_namespace__") and not isinstance(A, np.ndarray):
            raise TypeError(f"`A` must be a dense array for the bilinear form; got {type(A).__name__}")
        offset = None
        if b is not None or c is not None:
            parts = [_offset_part(b, m, "b", xp, dtype, device), _offset_part(c, n, "c", xp, dtype, device)]
            offset = xp.concat(parts)
        op = cls.__new__(cls)
        op._init_matrix(xp, device, dtype, m + n, _split(components, m), offset, "b, c", sampling)
        op.kind = "bilinear"
        op.m = m
        A = xp.asarray(A, dtype=dtype, copy=True)
        At = xp.asarray(xp.matrix_transpose(A), copy=True)
        if is_numpy(xp):
            A, At = np.ascontiguousarray(A), np.ascontiguousarray(At)
        op._A, op._At = A, At
        op.column_norms = xp.concat([xp.linalg.vector_norm(A, axis=1), xp.linalg.vector_norm(At, axis=1)])
        return op

    def _init_matrix(self, xp, device, dtype, dim, split, offset, offset_name, sampling):
        self.sampling_law = _check_sampling(sampling, True)
        self.xp, self.device, self.dtype = xp, device, dtype
        self.dim, self.split = dim, split
        self.n = dim if split == 0 else max(split, dim - split)
        self.offset = None if offset is None else _offset_part(offset, dim, offset_name, xp, dtype,
                                                               device)
        self.lipschitz = None
        self.component_lipschitz = None

    # -- evaluation -------------------------------------------------------------------------------
    @property
    def is_matrix(self):
        return self.kind != "callable"

    def F(self, u):
        """The full operator ``F(u) = (1/n) sum_i F_i(u)``."""
        if self.kind == "callable":
            if self._full is not None:
                return self._full(u)
            return self.xp.mean(self._component(u, self._indices(np.arange(self.n))), axis=0)
        return self._add_offset(self._matvec(u))

    def batch(self, idx, u):
        """Mean of ``F_i(u)`` over ``i`` in ``idx`` (a 1-D integer array)."""
        idx = np.asarray(idx)
        weights = np.full(idx.shape[0], 1.0 / idx.shape[0])
        if self.kind == "callable":
            return self._weighted_rows(weights, self._component(u, self._indices(idx)))
        out = self.weighted_diff(idx, weights, u, self.xp.zeros_like(u))
        return self._add_offset(out)

    def batch_diff(self, idx, u, v):
        """Mean of ``F_i(u) - F_i(v)`` over ``i`` in ``idx`` (one gather for the matrix forms)."""
        idx = np.asarray(idx)
        return self.weighted_diff(idx, np.full(idx.shape[0], 1.0 / idx.shape[0]), u, v)

    def weighted_diff(self, idx, weights, u, v):
        """``sum_k weights[k] (F_{idx[k]}(u) - F_{idx[k]}(v))`` for host arrays ``idx``, ``weights``."""
        xp = self.xp
        if self.kind == "callable":
            ids = self._indices(idx)
            return self._weighted_rows(weights, self._component(u, ids) - self._component(v, ids))
        idx, weights = self._columns(idx, weights)
        coef = xp.take(u - v, self._indices(idx)) * self._host(weights * self.n)
        if self.kind == "bilinear":
            lower = idx < self.m
            x_part = self._combine(coef[self._indices(np.nonzero(~lower)[0])], self._At,
                                   idx[~lower] - self.m)
            y_part = self._combine(coef[self._indices(np.nonzero(lower)[0])], self._A, idx[lower])
            return xp.concat([x_part, -y_part])
        if self.kind == "operator":
            full = np.zeros(self.dim)
            np.add.at(full, idx, np.asarray(coef))
            return xp.asarray(self._M @ full, dtype=self.dtype)
        return self._combine(coef, self._Mt, idx)

    def _columns(self, idx, weights):
        """The columns of ``M`` (and their weights) that the components ``idx`` consist of."""
        if self.split == 0:
            return idx, weights
        first, second = idx < self.split, idx + self.split < self.dim
        return (np.concatenate([idx[first], idx[second] + self.split]),
                np.concatenate([weights[first], weights[second]]))

    def component_norms(self):
        """Frobenius norms of the components' column blocks of ``M`` (host array)."""
        norms = np.asarray(_to_host(self.column_norms), dtype=np.float64)
        if self.split == 0:
            return norms
        squares = np.zeros(self.n)
        squares[:self.split] += norms[:self.split] ** 2
        squares[:self.dim - self.split] += norms[self.split:] ** 2
        return np.sqrt(squares)

    def _combine(self, coef, rows_of, idx):
        """``sum_k coef[k] rows_of[idx[k]]`` (rows of a dense or sparse matrix)."""
        xp = self.xp
        if self.kind == "sparse":
            return xp.asarray(rows_of[idx].T @ coef, dtype=self.dtype)
        if idx.shape[0] == 0:
            return xp.zeros(rows_of.shape[1], dtype=self.dtype, device=self.device)
        return xp.matmul(coef, xp.take(rows_of, self._indices(idx), axis=0))

    def kernel_layout(self):
        """``(layout, Mt, A, At, m, split)`` for the compiled kernels (dense: 0, bilinear: 1)."""
        unused = np.zeros((1, 1), dtype=self.dtype)
        if self.kind == "bilinear":
            return 1, unused, self._A, self._At, self.m, self.split
        return 0, self._Mt, unused, unused, 0, self.split

    def _matvec(self, u):
        if self.kind == "bilinear":
            m = self.m
            return self.xp.concat([self._A @ u[m:], -(self._At @ u[:m])])
        return self.xp.asarray(self._M @ u, dtype=self.dtype)

    def _add_offset(self, v):
        return v if self.offset is None else v + self.offset

    def _weighted_rows(self, weights, rows):
        return self.xp.matmul(self._host(weights), rows)

    def _indices(self, idx):
        return self.xp.asarray(np.asarray(idx, dtype=np.int64), device=self.device)

    def _host(self, values):
        return self.xp.asarray(np.asarray(values), dtype=self.dtype, device=self.device)

    # -- constants --------------------------------------------------------------------------------
    def _linear_column_norms(self):
        xp = self.xp
        if self.kind == "dense":
            return xp.linalg.vector_norm(self._Mt, axis=1)
        if self.kind == "sparse":
            return xp.asarray(np.sqrt(np.asarray(self._Mt.multiply(self._Mt).sum(axis=1)).ravel()))
        eye = np.eye(self.dim)  # LinearOperator: n matvecs (entries unknown)
        return xp.asarray(np.linalg.norm(np.asarray(self._M @ eye), axis=0))

    def operator_norm(self):
        """``1.05 x`` the 30-step power-iteration estimate of ``||M||_2`` (matrix forms)."""
        xp = self.xp
        v = xp.asarray(np.random.default_rng(0).standard_normal(self.dim), dtype=self.dtype,
                       device=self.device)
        sigma = 0.0
        for _ in range(_POWER_ITERATIONS):
            v = v / xp.linalg.vector_norm(v)
            Mv = self._matvec(v)
            sigma = float(xp.linalg.vector_norm(Mv))
            if sigma == 0.0:
                break
            v = self._rmatvec(Mv)
        return _POWER_SAFETY * sigma

    def _rmatvec(self, w):
        if self.kind == "bilinear":
            m = self.m
            return self.xp.concat([-(self._A @ w[m:]), self._At @ w[:m]])
        if self.kind == "dense":
            return self._Mt @ w
        return self.xp.asarray(self._M.T @ w, dtype=self.dtype)

    def _probe(self):
        return self.xp.empty(0, dtype=self.dtype, device=self.device)

    def sampling_constants(self):
        """``(q, L)``: the sampling law (``None`` = uniform) and the sampled constant ``L``.

        Matrix forms (``M_i``: the columns of component ``i``): uniform
        ``L = sqrt(n) max_i ||M_i||_F``, importance ``q_i ∝ ||M_i||_F^2`` with ``L = ||M||_F``.
        Callable with ``component_lipschitz``:
        uniform ``L = max L_i``, importance ``q_i ∝ L_i`` with ``L = mean L_i``.  Otherwise
        ``(None, None)``: the solver estimates ``L``.
        """
        importance = self.sampling_law == "importance"
        if self.is_matrix:
            norms = self.component_norms()
            if importance and norms.sum() > 0:
                return norms**2 / np.sum(norms**2), float(np.sqrt(np.sum(norms**2)))
            return None, math.sqrt(self.n) * float(norms.max())
        Li = self.component_lipschitz
        if Li is None:
            return None, None
        if importance:
            return Li / Li.sum(), float(Li.mean())
        return None, float(Li.max())


def _split(components, paired_split):
    """Column offset of the second member of a pair (0: one component per column)."""
    if components not in ("columns", "paired"):
        raise ValueError(f"`components` must be 'columns' or 'paired'; got {components!r}")
    return 0 if components == "columns" else paired_split


def _check_sampling(sampling, constants_known):
    if sampling not in ("uniform", "importance"):
        raise ValueError(f"`sampling` must be 'uniform' or 'importance'; got {sampling!r}")
    if sampling == "importance" and constants_known is None:
        raise ValueError("`sampling`='importance' needs `component_lipschitz` (got None)")
    return sampling


def _to_host(x):
    from .._lib._array_api import to_numpy

    return to_numpy(x)


def _linear_kind(M, xp):
    from .._lib._sparse import is_sparse

    if is_sparse(M):
        return "sparse"
    if hasattr(M, "matvec") and not hasattr(M, "__array_namespace__"):
        return "operator"
    return "dense"


def _offset_part(v, n, name, xp, dtype, device):
    if v is None:
        return xp.zeros(n, dtype=dtype, device=device)
    if tuple(v.shape) != (n,):
        raise ValueError(f"`{name}` must have shape ({n},); got {tuple(v.shape)}")
    v = xp.asarray(v, dtype=dtype, device=device)
    return check_finite(v, name=name)
