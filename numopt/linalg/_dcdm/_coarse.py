"""The Galerkin coarse-grid correction of the two-level DCDM direction."""
import numpy as np

from ..._lib._sparse import _sparse_module

__all__ = ["hat_interpolation", "CoarseCorrection", "NotPositiveDefinite"]


class NotPositiveDefinite(ValueError):
    """``P^T A P`` has no Cholesky factor: ``A`` is not symmetric positive definite."""


def hat_interpolation(m, c):
    """``(m, c)`` piecewise-linear interpolation on ``(0, 1)`` from ``c`` uniform coarse nodes
    (``(j + 1) / (c + 1)``) to ``m`` fine ones (``(i + 1) / (m + 1)``), zero at both ends
    (Dirichlet); the identity when ``c >= m``.  NumPy float64."""
    if c >= m:
        return np.eye(m)
    fine = (np.arange(m) + 1.0) / (m + 1)
    coarse = (np.arange(c) + 1.0) / (c + 1)
    return np.maximum(0.0, 1.0 - np.abs(fine[:, None] - coarse[None, :]) * (c + 1))


class CoarseCorrection:
    """``c = P (P^T A P)^{-1} P^T r`` for the tensor-product interpolation ``P = P_1 x ... x P_d``
    (:func:`hat_interpolation` per axis, ``min(m_k, points)`` coarse nodes, C order).

    ``A c`` is the A-orthogonal projection of ``r`` onto the coarse space, so ``P^T (r - A c) =
    0``: the coarse correction removes the smooth error exactly, for any SPD ``A`` on the grid
    (variable coefficients, masked cells).  ``P`` is applied axis by axis; ``P^T A P`` is formed
    with sparse products for a sparse ``A`` (scipy or cupyx), else from one product with ``A``
    per coarse unknown.  Raises :class:`NotPositiveDefinite` if ``P^T A P`` is not SPD.
    """

    def __init__(self, A, grid, points, xp, dtype, device):
        hats = [hat_interpolation(m, min(m, points)) for m in grid]
        self.xp, self.grid = xp, grid
        self.coarse_grid = tuple(h.shape[1] for h in hats)
        self.hats = [xp.asarray(h, dtype=dtype, device=device) for h in hats]
        Ac = self._galerkin(A, dtype, device)
        try:
            factor = xp.linalg.cholesky(Ac)
        except Exception as exc:  # NumPy raises LinAlgError; others may return NaN
            raise NotPositiveDefinite(str(exc)) from None
        if not bool(xp.all(xp.isfinite(factor))):
            raise NotPositiveDefinite("non-finite Cholesky factor")
        self.inverse = xp.linalg.inv(Ac)

    def _galerkin(self, A, dtype, device):
        xp, sparse = self.xp, _sparse_module(A)
        if sparse is not None:  # P as a sparse Kronecker product of the axis hats, on A's device
            P = None
            for h in self.hats:
                factor = sparse.csr_matrix(h)
                P = factor if P is None else sparse.kron(P, factor, format="csr")
            return xp.asarray((P.T @ (A @ P)).toarray(), dtype=dtype)
        nc = int(np.prod(self.coarse_grid))
        unit = xp.eye(nc, dtype=dtype, device=device)
        columns = [self.restrict(A @ self.interpolate(unit[j, :])) for j in range(nc)]
        return xp.stack(columns, axis=1)

    def _apply(self, v, shape, matrices):
        """Contract the last axis with each matrix in turn (last axis first): ``v`` in C order."""
        t = self.xp.reshape(v, shape)
        for mat in reversed(matrices):
            t = self.xp.tensordot(mat, t, axes=([1], [t.ndim - 1]))
        return self.xp.reshape(t, (-1,))

    def interpolate(self, v):
        """``P v`` (coarse to fine)."""
        return self._apply(v, self.coarse_grid, self.hats)

    def restrict(self, r):
        """``P^T r`` (fine to coarse)."""
        return self._apply(r, self.grid, [h.T for h in self.hats])

    def __call__(self, r):
        """``c = P (P^T A P)^{-1} P^T r``."""
        return self.interpolate(self.inverse @ self.restrict(r))
