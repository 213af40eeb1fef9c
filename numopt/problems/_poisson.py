"""Finite-difference Laplacians on structured grids."""
import numpy as np

from .._lib._validate import check_choice

__all__ = ["poisson_matrix"]


def poisson_matrix(grid_shape, *, format="csr", dtype=np.float64):
    """The 5-point (2-D) or 7-point (3-D) Laplacian with Dirichlet boundaries, unscaled.

    Diagonal ``2 d`` (``d`` = number of dimensions), ``-1`` for each grid neighbour, unknowns in
    natural (C) order; multiply by ``1/h**2`` for the scaled operator.  SPD and consistently ordered.

    Parameters
    ----------
    grid_shape : int or tuple of int
        Interior grid points per dimension, e.g. ``(64, 64, 64)``; an int means a square 2-D grid.
    format : {'csr', 'csc', 'coo'}
        scipy.sparse format of the returned ``csr_array``-family matrix.
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    scipy.sparse.csr_array (or csc/coo)
        Matrix of shape ``(prod(grid_shape), prod(grid_shape))`` with int32 indices.

    Examples
    --------
    >>> import numopt
    >>> A = numopt.poisson_matrix((3, 3))
    >>> A.shape, A.diagonal()[0]
    ((9, 9), np.float64(4.0))
    """
    import scipy.sparse as sp

    if isinstance(grid_shape, (int, np.integer)):
        grid_shape = (int(grid_shape), int(grid_shape))
    grid_shape = tuple(int(g) for g in grid_shape)
    if len(grid_shape) not in (1, 2, 3) or min(grid_shape) < 1:
        raise ValueError(f"`grid_shape` must be 1 to 3 positive ints; got {grid_shape}")
    check_choice(format, ("csr", "csc", "coo"), name="format")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"`dtype` must be float32 or float64; got {dtype}")
    total = None
    for axis, m in enumerate(grid_shape):
        one_d = sp.diags_array([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], offsets=[-1, 0, 1],
                               shape=(m, m), dtype=dtype)
        term = one_d
        for other, k in enumerate(grid_shape):
            if other < axis:
                term = sp.kron(sp.eye_array(k, dtype=dtype), term, format="csr")
            elif other > axis:
                term = sp.kron(term, sp.eye_array(k, dtype=dtype), format="csr")
        total = term if total is None else total + term
    A = sp.csr_array(total, dtype=dtype)
    A.sum_duplicates()
    A.indptr = A.indptr.astype(np.int32)
    A.indices = A.indices.astype(np.int32)
    return A.asformat(format)
