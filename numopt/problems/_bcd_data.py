"""Data for block coordinate descent (Nutini, Laradji, Schmidt 2022, datasets A-E).

All generators draw from ``numpy.random.default_rng(seed)``; the data follow the paper's recipes
but are not bit-identical to its reference code.
"""
import math

import numpy as np

from .._lib._optional import lazy_module
from .._lib._validate import check_int, check_scalar

sp = lazy_module("scipy.sparse")

__all__ = ["sparse_regression_data", "logistic_data", "softmax_data", "lattice_label_propagation",
           "knn_label_propagation"]


def _sparse_design(rng, n_samples, n_features):
    """``X_ij = N(0,1) + 1``, column ``j`` scaled by ``10 N(0,1)``, entries kept with probability
    ``10 ln(m) / m``."""
    X = rng.standard_normal((n_samples, n_features)) + 1.0
    X *= 10.0 * rng.standard_normal(n_features)
    X *= rng.random((n_samples, n_features)) < min(1.0, 10.0 * math.log(n_samples) / n_samples)
    return X


def _sizes(n_samples, n_features):
    return (check_int(n_samples, name="n_samples", low=2),
            check_int(n_features, name="n_features", low=1))


def sparse_regression_data(n_samples=1000, n_features=10000, seed=1):
    """Sparse least-squares/Lasso data ("A"): returns ``(A, b, w)``, ``A`` a CSC sparse array.

    ``w_j = N(0,1)`` kept with probability 0.1, ``b = A w + N(0,1)``.
    """
    n_samples, n_features = _sizes(n_samples, n_features)
    rng = np.random.default_rng(seed)
    X = _sparse_design(rng, n_samples, n_features)
    w = rng.standard_normal(n_features) * (rng.random(n_features) < 0.1)
    b = X @ w + rng.standard_normal(n_samples)
    return sp.csc_array(X), b, w


def logistic_data(n_samples=1000, n_features=10000, seed=1):
    """Binary classification data ("B"): ``(A, y)``, ``y = sign(A w)`` flipped with prob. 0.1."""
    n_samples, n_features = _sizes(n_samples, n_features)
    rng = np.random.default_rng(seed)
    X = _sparse_design(rng, n_samples, n_features)
    w = rng.standard_normal(n_features)
    y = np.where(X @ w >= 0, 1.0, -1.0)
    y[rng.random(n_samples) < 0.1] *= -1.0
    return sp.csc_array(X), y


def softmax_data(n_samples=1000, n_features=1000, n_classes=50, seed=1):
    """Multi-class data ("C"): ``(A, Y)`` with one-hot ``Y``, labels ``argmax(A W + N(0,1))``."""
    n_samples, n_features = _sizes(n_samples, n_features)
    n_classes = check_int(n_classes, name="n_classes", low=2)
    rng = np.random.default_rng(seed)
    X = _sparse_design(rng, n_samples, n_features)
    W = rng.standard_normal((n_features, n_classes))
    labels = np.argmax(X @ W + rng.standard_normal((n_samples, n_classes)), axis=1)
    return sp.csc_array(X), np.eye(n_classes)[labels]


def _propagation_system(W, labeled, y_labeled):
    """``Q = (Deg - W)[U, U]``, ``c = W[U, L] y_L`` for the unlabelled nodes ``U``."""
    n = W.shape[0]
    unlabeled = np.setdiff1d(np.arange(n), labeled)
    W = sp.csr_array(W)
    lap = sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W
    Q = sp.csr_array(lap[unlabeled][:, unlabeled])
    c = W[unlabeled][:, labeled] @ y_labeled
    return Q, np.asarray(c, dtype=np.float64)


def lattice_label_propagation(nrows=50, ncols=50, weight=1e5, n_labeled=100, seed=1):
    """Label propagation on an ``nrows x ncols`` lattice ("D").

    Edges join each node (``r + c * nrows``) to its right and lower neighbours with weight
    ``weight``; ``n_labeled`` nodes are drawn uniformly without replacement with labels
    ``10 N(0,1)``.  Returns ``(Q, c, labeled)``: minimize ``x'Qx/2 - c'x`` over the unlabelled
    nodes (``f* = -c'Q^{-1}c/2``); the lattice combs of :func:`lattice_tree_partition` with the
    same ``labeled`` are forests of ``Q``.
    """
    nrows = check_int(nrows, name="nrows", low=2)
    ncols = check_int(ncols, name="ncols", low=2)
    weight = check_scalar(weight, name="weight", low=0.0, low_open=True)
    N = nrows * ncols
    n_labeled = check_int(n_labeled, name="n_labeled", low=1, high=N - 1)
    rng = np.random.default_rng(seed)
    node = np.arange(N).reshape(ncols, nrows).T  # node[r, c] = r + c * nrows
    rows = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    cols = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    W = sp.coo_array((np.full(rows.size, weight), (rows, cols)), shape=(N, N))
    W = (W + W.T).tocsr()
    labeled = rng.choice(N, n_labeled, replace=False)
    y = 10.0 * rng.standard_normal(n_labeled)  # label of node labeled[i]
    Q, c = _propagation_system(W, labeled, y)
    return Q, c, labeled


def knn_label_propagation(n_samples=2000, n_neighbors=5, n_labeled=100, seed=1):
    """Label propagation on a symmetrised kNN graph of two noisy moons ("E").

    Class Bernoulli(1/2), ``phi ~ U(0, pi)``, class 1 at ``(cos phi, sin phi)``, class 2 at
    ``(1 + cos phi, 0.5 - sin phi)``, plus ``N(0, 0.2^2)`` noise; ``W_ij = 1`` if ``j`` is among
    the ``n_neighbors`` nearest neighbours of ``i`` or vice versa; labels in {1, 2}.
    Returns ``(Q, c, labeled)`` as :func:`lattice_label_propagation`.
    """
    from scipy.spatial import cKDTree

    n_samples = check_int(n_samples, name="n_samples", low=3)
    n_neighbors = check_int(n_neighbors, name="n_neighbors", low=1, high=n_samples - 1)
    n_labeled = check_int(n_labeled, name="n_labeled", low=1, high=n_samples - 1)
    rng = np.random.default_rng(seed)
    noise = 0.2 * rng.standard_normal((n_samples, 2))
    second = rng.random(n_samples) < 0.5
    phi = np.pi * rng.random(n_samples)
    points = np.where(second[:, None], np.c_[1.0 + np.cos(phi), 0.5 - np.sin(phi)],
                      np.c_[np.cos(phi), np.sin(phi)]) + noise
    labeled = rng.choice(n_samples, n_labeled, replace=False)
    _, nbr = cKDTree(points).query(points, k=n_neighbors + 1)
    rows = np.repeat(np.arange(n_samples), n_neighbors)
    A = sp.coo_array((np.ones(rows.size), (rows, nbr[:, 1:].ravel())), shape=(n_samples,) * 2)
    W = ((A + A.T) > 0).astype(np.float64)
    y = np.where(second[labeled], 2.0, 1.0)
    Q, c = _propagation_system(W, labeled, y)
    return Q, c, labeled
