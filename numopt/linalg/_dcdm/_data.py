"""Training right-hand sides for DCDM: random combinations of eigenvectors biased to the low spectrum.

Kaneda et al. (2023), Section 4: Lanczos with full reorthogonalisation started from ``A g``
(``g ~ N(0, I)``), Ritz pairs of the tridiagonal matrix in ascending order, coefficients
``c_j ~ N(0, 1)`` multiplied by 9 for the lowest ``m/2 + theta`` Ritz vectors (smooth modes, the ones
CG struggles with, get 81 times the energy), normalised to unit 2-norm.  For the Dirichlet Poisson
matrix of a box the eigenvectors are known (separable sines), which gives the same kind of data
without Lanczos (:func:`spectral_training_vectors`).
"""
import numpy as np

__all__ = ["lanczos_ritz_vectors", "ritz_training_vectors", "default_lanczos_steps",
           "spectral_training_vectors", "LOW_QUANTILE"]

#: Eigenvalues below this quantile get 9 times the coefficient in :func:`spectral_training_vectors`.
LOW_QUANTILE = 0.55


def default_lanczos_steps(n):
    """``m = min(1000, max(400, n // 32))``, never more than ``n``."""
    return min(n, 1000, max(400, n // 32))


def lanczos_ritz_vectors(A, m, rng):
    """Ritz values (ascending) and unit Ritz vectors (rows) of ``m`` Lanczos steps on SPD ``A``.

    Full reorthogonalisation (two Gram-Schmidt passes against all previous Lanczos vectors) keeps
    the basis orthonormal to round-off; the run stops early on an invariant subspace.  Float64.
    """
    from scipy.linalg import eigh_tridiagonal

    n = A.shape[0]
    V = np.empty((m, n))
    alpha, beta = np.empty(m), np.empty(m)
    v = A @ rng.standard_normal(n)
    v /= np.linalg.norm(v)
    steps = m
    for j in range(m):
        V[j] = v
        w = A @ v
        alpha[j] = v @ w
        for _ in range(2):
            w -= V[:j + 1].T @ (V[:j + 1] @ w)
        beta[j] = np.linalg.norm(w)
        if beta[j] <= 1e-10 * abs(alpha[j]) or j == m - 1:
            steps = j + 1
            break
        v = w / beta[j]
    theta, S = eigh_tridiagonal(alpha[:steps], beta[:steps - 1])
    return theta, S.T @ V[:steps]


def ritz_training_vectors(A, n_samples, rng, *, m=None, theta_shift=None):
    """``n_samples`` unit float32 right-hand sides ``b = sum_j c_j R_j`` (rows of the result).

    ``c_j ~ N(0, 1)``, times 9 for the ``m // 2 + theta_shift`` lowest Ritz vectors; Ritz values
    below ``1e-8`` (the null space of a singular ``A``) are dropped.  Defaults: ``m`` from
    :func:`default_lanczos_steps`, ``theta_shift = m // 20``.
    """
    m = default_lanczos_steps(A.shape[0]) if m is None else m
    theta_shift = m // 20 if theta_shift is None else theta_shift
    values, R = lanczos_ritz_vectors(A, m, rng)
    R = R[values >= 1e-8]
    coeffs = rng.standard_normal((n_samples, R.shape[0]))
    coeffs[:, :m // 2 + theta_shift] *= 9.0
    B = coeffs @ R
    B /= np.linalg.norm(B, axis=1, keepdims=True)
    return B.astype(np.float32)


def spectral_training_vectors(grid, n_samples, rng, *, chunk=64):
    """``n_samples`` unit float32 right-hand sides from the exact eigenvectors of Dirichlet Poisson.

    The eigenvectors of :func:`numopt.poisson_matrix` on ``grid`` are the separable sines of the
    orthonormal DST-I, with eigenvalues ``sum_axes 4 sin(pi k / (2 (g + 1)))**2``.  Coefficients
    ``c_k ~ N(0, 1)``, times 9 where the eigenvalue is below its ``LOW_QUANTILE`` quantile, are
    transformed by ``scipy.fft.idstn(type=1, norm='ortho')`` and normalised: ``O(n log n)`` per
    sample, no Lanczos.  Rows of the result, C order.
    """
    from scipy.fft import idstn

    axes = [4.0 * np.sin(np.pi * np.arange(1, g + 1) / (2.0 * (g + 1))) ** 2 for g in grid]
    eigenvalues = sum(np.meshgrid(*axes, indexing="ij", sparse=True))
    low = eigenvalues < np.quantile(eigenvalues, LOW_QUANTILE)
    scale = np.where(low, 9.0, 1.0)
    out = np.empty((n_samples, low.size), dtype=np.float32)
    for start in range(0, n_samples, chunk):
        count = min(chunk, n_samples - start)
        coeffs = rng.standard_normal((count, *grid))
        coeffs *= scale
        B = idstn(coeffs, type=1, norm="ortho", axes=tuple(range(1, len(grid) + 1)))
        B = B.reshape(count, -1)
        out[start:start + count] = B / np.linalg.norm(B, axis=1, keepdims=True)
    return out
