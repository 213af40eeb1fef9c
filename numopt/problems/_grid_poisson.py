"""Poisson-type systems on structured grids: variable coefficients, masked (fluid/solid) domains,
and right-hand sides from smooth sources or random fields (the DCDM gallery)."""
import math

import numpy as np

from .._lib._rng import as_generator
from .._lib._validate import check_scalar

__all__ = ["poisson_variable_coefficient", "poisson_masked", "obstacle_mask", "smooth_source",
           "random_field"]


def _grid(grid_shape):
    grid = (int(grid_shape),) * 2 if isinstance(grid_shape, (int, np.integer)) else \
        tuple(int(g) for g in grid_shape)
    if len(grid) not in (2, 3) or min(grid) < 2:
        raise ValueError(f"`grid_shape` must be 2 or 3 ints >= 2; got {grid_shape!r}")
    return grid


def _coordinates(grid):
    """Cell-centre coordinates in ``(0, 1)`` per axis, broadcastable to the grid."""
    axes = [(np.arange(g) + 1.0) / (g + 1.0) for g in grid]
    return np.meshgrid(*axes, indexing="ij")


def poisson_variable_coefficient(coefficient, *, dtype=np.float64):
    r"""Flux-form ``-div(k grad u)`` with Dirichlet boundaries for a cell coefficient ``k > 0``.

    Face coefficients are harmonic means of the two cells; a boundary face uses the cell's value
    (ghost value 0 at distance one cell), so ``k = 1`` gives :func:`numopt.poisson_matrix`
    exactly.  SPD, unscaled (multiply by ``1/h**2``).

    Parameters
    ----------
    coefficient : (n1, n2[, n3]) array
        Positive finite cell coefficients on the grid.
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    scipy.sparse.csr_array
        The ``(n, n)`` matrix, unknowns in C order.
    """
    import scipy.sparse as sp

    k = np.asarray(coefficient, dtype=np.float64)
    grid = _grid(k.shape)
    if not (np.all(np.isfinite(k)) and np.all(k > 0)):
        raise ValueError("`coefficient` must be positive and finite on every cell")
    index = np.arange(k.size).reshape(grid)
    diag = np.zeros(grid)
    rows, cols, vals = [], [], []
    for axis in range(len(grid)):
        def part(a, lo, hi, axis=axis):
            return a[(slice(None),) * axis + (slice(lo, hi),)]

        left, right = part(k, 0, -1), part(k, 1, None)
        face = 2.0 * left * right / (left + right)
        i, j = part(index, 0, -1).ravel(), part(index, 1, None).ravel()
        rows += [i, j]
        cols += [j, i]
        vals += [-face.ravel(), -face.ravel()]
        part(diag, 0, -1)[...] += face
        part(diag, 1, None)[...] += face
        part(diag, 0, 1)[...] += part(k, 0, 1)
        part(diag, -1, None)[...] += part(k, -1, None)
    rows.append(index.ravel())
    cols.append(index.ravel())
    vals.append(diag.ravel())
    A = sp.coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                     shape=(k.size, k.size)).tocsr()
    A.sum_duplicates()
    return sp.csr_array(A, dtype=np.dtype(dtype))


def poisson_masked(mask, *, coefficient=None, dtype=np.float64):
    """Poisson on the fluid cells of ``mask`` (True = fluid), Dirichlet on the walls and at solid
    cells; solid cells get identity rows (``x = b = 0`` there), so ``A`` stays SPD on the full grid.

    Parameters
    ----------
    mask : (n1, n2[, n3]) bool array
        Fluid cells.
    coefficient : array, optional
        Cell coefficients as in :func:`poisson_variable_coefficient` (default 1).
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    scipy.sparse.csr_array
    """
    import scipy.sparse as sp

    mask = np.asarray(mask, dtype=bool)
    k = np.ones(mask.shape) if coefficient is None else np.asarray(coefficient, dtype=np.float64)
    if k.shape != mask.shape:
        raise ValueError(f"`coefficient` must have the shape of `mask` {mask.shape}; got {k.shape}")
    fluid = sp.diags_array(mask.ravel().astype(np.float64))
    solid = sp.diags_array((~mask).ravel().astype(np.float64))
    A = fluid @ poisson_variable_coefficient(k) @ fluid + solid
    A = sp.csr_array(A)
    A.eliminate_zeros()
    return sp.csr_array(A, dtype=np.dtype(dtype))


def obstacle_mask(grid_shape, *, radius=0.2, center=None):
    """Fluid mask of the unit box with a solid ball (disc in 2-D) of ``radius`` at ``center``."""
    grid = _grid(grid_shape)
    radius = check_scalar(radius, name="radius", low=0.0, high=0.5)
    center = (0.5,) * len(grid) if center is None else tuple(center)
    distance2 = sum((c - x0) ** 2 for c, x0 in zip(_coordinates(grid), center))
    return distance2 > radius ** 2


def smooth_source(grid_shape, *, n_bumps=4, width=0.1, seed=None, dtype=np.float64):
    """A smooth right-hand side: ``n_bumps`` Gaussian bumps with random centres, signs and widths
    ``width * U(0.5, 1.5)``, flattened in C order."""
    grid = _grid(grid_shape)
    rng = as_generator(seed)
    coords = _coordinates(grid)
    b = np.zeros(grid)
    for _ in range(n_bumps):
        centre = rng.uniform(0.2, 0.8, size=len(grid))
        w = width * rng.uniform(0.5, 1.5)
        distance2 = sum((c - x0) ** 2 for c, x0 in zip(coords, centre))
        b += rng.choice((-1.0, 1.0)) * np.exp(-distance2 / (2 * w * w))
    return b.ravel().astype(dtype)


def random_field(grid_shape, *, correlation=0.0, seed=None, dtype=np.float64):
    """A random right-hand side: white noise ``N(0, I)`` (``correlation=0``) or a Gaussian random
    field with squared-exponential correlation length ``correlation`` (fraction of the box), made
    by Gaussian filtering of white noise; flattened in C order with unit RMS."""
    from scipy.ndimage import gaussian_filter

    grid = _grid(grid_shape)
    correlation = check_scalar(correlation, name="correlation", low=0.0)
    noise = as_generator(seed).standard_normal(grid)
    if correlation > 0:
        noise = gaussian_filter(noise, sigma=[correlation * g for g in grid], mode="constant")
    return (noise / math.sqrt(np.mean(noise ** 2))).ravel().astype(dtype)
