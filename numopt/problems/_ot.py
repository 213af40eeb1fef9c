"""Optimal-transport gallery: random assignment, point clouds, 1-D densities, digit images.

Every generator returns an :class:`OTInstance` ``(a, b, C, info)`` of NumPy float64 arrays; ``info``
holds what a check needs (e.g. the exact 1-D Wasserstein cost).
"""
from typing import NamedTuple

import numpy as np

from .._lib._rng import as_generator

__all__ = ["OTInstance", "ot_random_assignment", "ot_point_clouds", "ot_densities_1d",
           "ot_digit_images", "wasserstein_1d"]


class OTInstance(NamedTuple):
    """An OT problem: weights ``a`` (n,), ``b`` (m,), cost ``C`` (n, m) and an ``info`` dict."""

    a: np.ndarray
    b: np.ndarray
    C: np.ndarray
    info: dict


def ot_random_assignment(n, m=None, *, seed=0):
    """Uniform weights and ``C ~ U[0, 1]`` (the SNS paper's random assignment problem)."""
    m = n if m is None else m
    C = as_generator(seed).random((n, m))
    return OTInstance(np.full(n, 1.0 / n), np.full(m, 1.0 / m), C, {})


def ot_point_clouds(n, m=None, *, dim=2, shift=1.0, random_b=False, seed=0):
    """Two Gaussian clouds (the second shifted by ``shift``), squared distances scaled to [0, 1].

    ``a`` is uniform; ``b`` uniform or, with ``random_b``, uniform random weights normalised.
    ``info`` has the points ``x``, ``y``.
    """
    m = n if m is None else m
    rng = as_generator(seed)
    x = rng.normal(size=(n, dim))
    y = rng.normal(size=(m, dim)) + shift
    C = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    C /= C.max()
    b = rng.random(m) if random_b else np.ones(m)
    return OTInstance(np.full(n, 1.0 / n), b / b.sum(), C, {"x": x, "y": y})


def _mixture(x, means, stds, weights):
    dens = sum(w * np.exp(-0.5 * ((x - mu) / s) ** 2) / s for mu, s, w in zip(means, stds, weights))
    return dens / dens.sum()


def ot_densities_1d(n, *, p=2):
    """Two Gaussian mixtures on a grid of ``n`` points in [0, 1], cost ``|x - y|^p``.

    ``info['exact']`` is the exact discrete optimal cost ``W_p^p`` (monotone coupling, see
    :func:`wasserstein_1d`); ``info['x']`` the grid.
    """
    x = np.linspace(0.0, 1.0, n)
    a = _mixture(x, (0.25, 0.6), (0.06, 0.1), (0.6, 0.4))
    b = _mixture(x, (0.45, 0.8), (0.08, 0.05), (0.5, 0.5))
    C = np.abs(x[:, None] - x[None, :]) ** p
    return OTInstance(a, b, C, {"x": x, "exact": wasserstein_1d(x, x, a, b, p=p)})


def wasserstein_1d(x, y, a, b, *, p=1):
    """Exact ``W_p^p`` of discrete measures on the line, ``int_0^1 |F_a^-1(t) - F_b^-1(t)|^p dt``.

    The quantile functions are piecewise constant between the merged cumulative weights, so the
    integral is a finite sum (the monotone, north-west-corner coupling).
    """
    ix, iy = np.argsort(x), np.argsort(y)
    x, a, y, b = x[ix], a[ix] / a.sum(), y[iy], b[iy] / b.sum()
    ca, cb = np.cumsum(a), np.cumsum(b)
    t = np.union1d(ca, cb)
    t = t[t <= 1.0]
    lengths = np.diff(np.concatenate(([0.0], t)))
    mid = t - lengths / 2  # quantile level inside each piece
    qa = x[np.minimum(np.searchsorted(ca, mid), len(x) - 1)]
    qb = y[np.minimum(np.searchsorted(cb, mid), len(y) - 1)]
    return float(np.sum(lengths * np.abs(qa - qb) ** p))


def ot_digit_images(i=0, j=1, *, p=2):
    """Two 8x8 digit images from scikit-learn's bundled ``load_digits`` as histograms.

    Cost: ``|u - v|^p`` between pixel coordinates, scaled to [0, 1]; blank pixels give zero masses.
    """
    from .._lib._optional import import_optional

    datasets = import_optional("sklearn.datasets", extra="test", purpose="ot_digit_images")
    images = datasets.load_digits().images
    grid = np.stack(np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij"), -1).reshape(-1, 2)
    C = np.sum(np.abs(grid[:, None, :] - grid[None, :, :]) ** p, axis=-1)
    C /= C.max()
    a, b = images[i].ravel(), images[j].ravel()
    return OTInstance(a / a.sum(), b / b.sum(), C, {"images": (images[i], images[j])})
