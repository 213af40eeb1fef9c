r"""Resolvents (projections and proximal maps) for the ``G`` part of a monotone inclusion.

Plain functions compute the map on any array-API array: :func:`project_simplex`,
:func:`project_simplices`, :func:`project_box`, :func:`project_ball`, :func:`prox_l1`.  The classes
:class:`Simplex`, :class:`Simplices`, :class:`Box`, :class:`Ball` and :class:`L1` are resolvents
``J_{step G}(w) = resolvent(w, step)`` to pass to :func:`numopt.solve_monotone_inclusion`; the
solvers recognise them and run compiled (numba) versions inside their loops.
"""
import numbers

import numpy as np

from ._lib._array_api import array_namespace
from ._lib._validate import check_scalar

__all__ = ["project_simplex", "project_simplices", "project_box", "project_ball", "prox_l1",
           "Resolvent", "Simplex", "Simplices", "Box", "Ball", "L1"]


def project_simplex(v, radius=1.0):
    r"""Euclidean projection of ``v`` onto ``{x >= 0, sum(x) = radius}``.

    Sort-based, :math:`O(n \log n)`: ``x = max(v - theta, 0)`` with
    ``theta = max_k (sum_{i<=k} u_i - radius)/k`` over the sorted (descending) entries ``u`` [1]_.
    The compiled path used by the solvers is Condat's :math:`O(n)` expected-time algorithm [2]_.

    References
    ----------
    .. [1] W. Wang, M. A. Carreira-Perpinan, "Projection onto the probability simplex: an efficient
       algorithm with a simple proof", arXiv:1309.1541, 2013.
    .. [2] L. Condat, "Fast projection onto the simplex and the l1 ball", Math. Program. 158 (2016).
    """
    radius = check_scalar(radius, name="radius", low=0.0, low_open=True)
    xp, _ = array_namespace(v)
    u = xp.sort(v, descending=True)
    k = xp.arange(1, v.shape[0] + 1, dtype=v.dtype, device=u.device)
    theta = xp.max((xp.cumulative_sum(u) - radius) / k)
    return xp.maximum(v - theta, xp.zeros_like(v))


def project_simplices(v, sizes, radius=1.0):
    """Projection onto the product of simplices of the given block ``sizes`` (consecutive blocks)."""
    xp, _ = array_namespace(v)
    offsets = _block_offsets(sizes, v.shape[0])
    parts = [project_simplex(v[a:b], radius) for a, b in zip(offsets[:-1], offsets[1:])]
    return xp.concat(parts)


def project_box(v, lower, upper):
    """Projection onto the box ``lower <= x <= upper`` (scalars or arrays broadcasting with ``v``)."""
    xp, _ = array_namespace(v)
    return xp.clip(v, lower, upper)


def project_ball(v, radius=1.0):
    """Projection onto the Euclidean ball ``||x|| <= radius``."""
    xp, _ = array_namespace(v)
    norm = xp.linalg.vector_norm(v)
    return v * (radius / xp.maximum(norm, xp.asarray(radius, dtype=v.dtype, device=v.device)))


def prox_l1(v, threshold):
    """Soft thresholding, the prox of ``threshold * ||x||_1``: ``sign(v) max(|v| - threshold, 0)``."""
    xp, _ = array_namespace(v)
    return xp.sign(v) * xp.maximum(xp.abs(v) - threshold, xp.zeros_like(v))


def _block_offsets(sizes, n):
    sizes = [int(s) for s in sizes]
    if not sizes or any(s < 1 for s in sizes) or sum(sizes) != n:
        raise ValueError(f"`sizes` must be positive block sizes summing to {n}; got {sizes}")
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


class Resolvent:
    """Base class of the built-in resolvents: ``resolvent(w, step) = J_{step G}(w)``.

    ``code`` and ``params(n)`` describe the map to the compiled kernels
    (:mod:`numopt._kernels._proj`); ``None`` for the code means no compiled form.
    """

    code = None

    def params(self, n):
        """``(float parameters, int parameters)`` of the compiled form for vectors of length ``n``."""
        return np.zeros(1), np.zeros(1, dtype=np.int64)


class Simplex(Resolvent):
    """Projection onto ``{x >= 0, sum(x) = radius}`` (normal cone of the simplex; ``step`` unused)."""

    code = 1

    def __init__(self, radius=1.0):
        self.radius = check_scalar(radius, name="radius", low=0.0, low_open=True)

    def __call__(self, w, step):
        return project_simplex(w, self.radius)

    def params(self, n):
        return np.array([self.radius]), np.array([0, n], dtype=np.int64)


class Simplices(Resolvent):
    """Projection onto a product of simplices with block ``sizes`` (e.g. mixed strategies x, y)."""

    code = 1

    def __init__(self, sizes, radius=1.0):
        self.sizes = [int(s) for s in sizes]
        self.radius = check_scalar(radius, name="radius", low=0.0, low_open=True)

    def __call__(self, w, step):
        return project_simplices(w, self.sizes, self.radius)

    def params(self, n):
        return np.array([self.radius]), _block_offsets(self.sizes, n)


class Box(Resolvent):
    """Projection onto ``[lower, upper]^d`` (scalar bounds)."""

    code = 2

    def __init__(self, lower, upper):
        for name, value in (("lower", lower), ("upper", upper)):
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"`{name}` must be a real scalar; got {type(value).__name__}")
        if not lower <= upper:
            raise ValueError(f"`lower` must be <= `upper`; got lower={lower}, upper={upper}")
        self.lower, self.upper = float(lower), float(upper)

    def __call__(self, w, step):
        return project_box(w, self.lower, self.upper)

    def params(self, n):
        return np.array([self.lower, self.upper]), np.zeros(1, dtype=np.int64)


class Ball(Resolvent):
    """Projection onto the Euclidean ball of the given ``radius``."""

    code = 3

    def __init__(self, radius=1.0):
        self.radius = check_scalar(radius, name="radius", low=0.0, low_open=True)

    def __call__(self, w, step):
        return project_ball(w, self.radius)

    def params(self, n):
        return np.array([self.radius]), np.zeros(1, dtype=np.int64)


class L1(Resolvent):
    """Prox of ``weight * ||x||_1``: ``J_{step G}(w) = prox_l1(w, step * weight)``."""

    code = 4

    def __init__(self, weight=1.0):
        self.weight = check_scalar(weight, name="weight", low=0.0)

    def __call__(self, w, step):
        return prox_l1(w, step * self.weight)

    def params(self, n):
        return np.array([self.weight]), np.zeros(1, dtype=np.int64)
