"""Small dense kernels shared by the kernel modules (called from compiled code only)."""
import math

from .._lib._jit import kernel

__all__ = ["cholesky_factor", "cholesky_substitute", "cholesky_solve"]


@kernel
def cholesky_factor(H):
    """``H = L L^T`` in place (``L`` in the lower triangle of ``H``; SPD, small).  Returns False,
    leaving ``H`` partly factored, when a pivot is ``<= 1e-12 max_i H_ii`` (singular or indefinite)."""
    n = H.shape[0]
    big = 0.0
    for i in range(n):
        big = max(big, H[i, i])
    for j in range(n):
        s = H[j, j]
        for q in range(j):
            s -= H[j, q] * H[j, q]
        if not s > 1e-12 * big:
            return False
        piv = math.sqrt(s)
        H[j, j] = piv
        for i in range(j + 1, n):
            s = H[i, j]
            for q in range(j):
                s -= H[i, q] * H[j, q]
            H[i, j] = s / piv
    return True


@kernel
def cholesky_substitute(L, b, out):
    """Solve ``L L^T out = b`` with the factor of :func:`cholesky_factor`."""
    n = b.shape[0]
    for i in range(n):
        s = b[i]
        for q in range(i):
            s -= L[i, q] * out[q]
        out[i] = s / L[i, i]
    for i in range(n - 1, -1, -1):
        s = out[i]
        for q in range(i + 1, n):
            s -= L[q, i] * out[q]
        out[i] = s / L[i, i]


@kernel
def cholesky_solve(H, b, out):
    """Solve ``H out = b`` (SPD, small) by Cholesky; ``H`` is overwritten by its factor.  Returns
    False, leaving ``out`` undefined, when a pivot is ``<= 1e-12 max_i H_ii`` (singular or
    indefinite ``H``)."""
    if not cholesky_factor(H):
        return False
    cholesky_substitute(H, b, out)
    return True
