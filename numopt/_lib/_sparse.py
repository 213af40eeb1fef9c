"""Sparse-matrix plumbing for scipy.sparse (arrays and matrices) and cupyx.scipy.sparse.

Dense ``xp`` arrays are accepted wherever a sparse matrix is; functions dispatch on the type.
"""
import sys

import numpy as np

__all__ = ["is_sparse", "is_linear_operator", "has_entries", "csr_arrays", "as_csr", "diagonal",
           "triangle", "triangular_solve", "astype_matrix"]


def _sparse_module(A):
    for name in ("scipy.sparse", "cupyx.scipy.sparse"):
        mod = sys.modules.get(name)
        if mod is not None and mod.issparse(A):
            return mod
    return None


def is_sparse(A):
    return _sparse_module(A) is not None


def is_linear_operator(A):
    """True for objects that only offer products (scipy/cupyx LinearOperator, numopt operators)."""
    return not is_sparse(A) and not hasattr(A, "__array_namespace__") and not isinstance(A, np.ndarray)


def has_entries(A):
    return not is_linear_operator(A)


def as_csr(A, dtype):
    """A canonical CSR copy or view of sparse ``A`` (sorted indices, no duplicates) with ``dtype``.

    The caller's matrix is never modified.
    """
    csr = A.tocsr()
    if csr is A and not csr.has_canonical_format:
        csr = csr.copy()
    if not csr.has_canonical_format:
        csr.sum_duplicates()
    if csr.dtype != dtype:
        csr = csr.astype(dtype)
    return csr


def csr_arrays(A, dtype):
    """``(indptr, indices, data)`` NumPy arrays of a scipy sparse (or NumPy dense) matrix."""
    if isinstance(A, np.ndarray):
        import scipy.sparse as sp

        A = sp.csr_array(A)
    csr = as_csr(A, dtype)
    return csr.indptr, csr.indices, csr.data


def astype_matrix(A, dtype, xp):
    """``A`` in ``dtype`` (sparse, dense or operator; operators are returned unchanged)."""
    if is_sparse(A):
        return A if A.dtype == dtype else A.astype(dtype)
    if is_linear_operator(A):
        return A
    return A if A.dtype == dtype else xp.astype(A, dtype)


def diagonal(A, xp):
    """Main diagonal of a sparse or dense square matrix, as an ``xp`` array."""
    if is_sparse(A):
        return A.diagonal()
    return xp.linalg.diagonal(A) if hasattr(xp, "linalg") and hasattr(xp.linalg, "diagonal") \
        else xp.diagonal(A)


def triangle(A, *, lower, xp, diag_scale=None, off_scale=1.0):
    """``diag(d) + off_scale * (strict lower or upper part of A)`` in ``A``'s format.

    ``diag_scale`` gives ``d`` (default: the diagonal of ``A``).
    """
    d = diagonal(A, xp) if diag_scale is None else diag_scale
    mod = _sparse_module(A)
    if mod is not None:
        part = mod.tril(A, k=-1, format="csr") if lower else mod.triu(A, k=1, format="csr")
        return (mod.diags(d, format="csr", dtype=A.dtype) + part * off_scale).tocsr()
    n = A.shape[0]
    i = xp.arange(n, device=_device(A))[:, None]
    j = xp.arange(n, device=_device(A))[None, :]
    mask = (i > j) if lower else (i < j)
    zero = xp.zeros((), dtype=A.dtype, device=_device(A))
    T = xp.where(mask, A * off_scale, zero)
    return T + xp.where(i == j, xp.ones_like(A) * d[:, None], zero)


def _device(A):
    import array_api_compat as aac

    return aac.device(A)


def triangular_solve(T, r, *, lower, xp):
    """Solve ``T y = r`` for a triangular ``T`` (sparse or dense) on ``r``'s backend."""
    mod = _sparse_module(T)
    if mod is not None:
        if mod.__name__.startswith("cupyx"):
            from cupyx.scipy.sparse.linalg import spsolve_triangular
        else:
            from scipy.sparse.linalg import spsolve_triangular
        return spsolve_triangular(T, r, lower=lower)
    name = xp.__name__
    if name.endswith("numpy"):
        from scipy.linalg import solve_triangular

        return solve_triangular(T, r, lower=lower)
    if name == "cupy":
        from cupyx.scipy.linalg import solve_triangular

        return solve_triangular(T, r, lower=lower)
    return xp.linalg.solve(T, r[:, None])[:, 0]  # generic array API: no triangular solver
