"""Hock-Schittkowski problems written with array-API operations, for any namespace and device.

They exercise the generic (non-NumPy) path of :func:`numopt.minimize_sketched_newton`: every callable
computes in the namespace of its argument, so CuPy or array-api-strict inputs never visit the host.
Same data and solutions as :func:`numopt.problems.hock_schittkowski`.
"""
import math


from ._hock_schittkowski import ConstrainedProblem

__all__ = ["hock_schittkowski_xp", "HS_XP_PROBLEMS"]

# least-squares objectives ||M x - d||^2 with linear constraints A x = rhs: (M, d, A, rhs, x0, f*, x*)
_LQ = {
    28: ([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]], [0.0, 0.0], [[1.0, 2.0, 3.0]], [1.0], [-4.0, 1.0, 1.0],
         0.0, [0.5, -0.5, 0.5]),
    48: ([[1.0, 0, 0, 0, 0], [0, 1.0, -1.0, 0, 0], [0, 0, 0, 1.0, -1.0]], [1.0, 0.0, 0.0],
         [[1.0] * 5, [0, 0, 1.0, -2.0, -2.0]], [5.0, -3.0], [3.0, 5.0, -3.0, 2.0, -2.0], 0.0, [1.0] * 5),
}
HS_XP_PROBLEMS = (7, *_LQ)


def _lq_problem(number, xp, device):
    M, d, A, rhs, x0, f_star, x_star = (xp.asarray(v, dtype=xp.float64, device=device)
                                        if isinstance(v, list) else v for v in _LQ[number])
    H = 2.0 * (M.T @ M)

    def residual(x):
        return M @ x - d

    constraints = {"type": "eq", "fun": lambda x: A @ x - rhs, "jac": lambda x: A}
    return (lambda x: xp.sum(residual(x) ** 2), lambda x: 2.0 * (M.T @ residual(x)),
            lambda x, lam: H, constraints, x0, A.shape[0], f_star, x_star)


def _hs7(xp, device):
    """``min log(1 + x1^2) - x2`` s.t. ``(1 + x1^2)^2 + x2^2 = 4``."""
    e1, e2 = (xp.asarray(v, dtype=xp.float64, device=device) for v in ([1.0, 0.0], [0.0, 1.0]))
    E11, E22 = e1[:, None] * e1[None, :], e2[:, None] * e2[None, :]

    def fun(x):
        return xp.log(1.0 + x[0] ** 2) - x[1]

    def jac(x):
        return (2.0 * x[0] / (1.0 + x[0] ** 2)) * e1 - e2

    def hess(x, lam):
        s = 1.0 + x[0] ** 2
        return (2.0 * (1.0 - x[0] ** 2) / s ** 2 + lam[0] * (4.0 + 12.0 * x[0] ** 2)) * E11 \
            + (2.0 * lam[0]) * E22

    def con(x):
        return xp.reshape((1.0 + x[0] ** 2) ** 2 + x[1] ** 2 - 4.0, (1,))

    def con_jac(x):
        return xp.reshape((4.0 * x[0] * (1.0 + x[0] ** 2)) * e1 + (2.0 * x[1]) * e2, (1, 2))

    x0 = xp.asarray([2.0, 2.0], dtype=xp.float64, device=device)
    return fun, jac, hess, {"type": "eq", "fun": con, "jac": con_jac}, x0, 1, -math.sqrt(3.0), \
        xp.asarray([0.0, math.sqrt(3.0)], dtype=xp.float64, device=device)


def hock_schittkowski_xp(number, xp, device=None):
    """Hock-Schittkowski problem ``number`` (one of ``HS_XP_PROBLEMS``: 7, 28, 48) on ``xp``/``device``.

    Returns a :class:`ConstrainedProblem` whose arrays (``x0``, ``lam0``, ``x_star``) and callables'
    outputs live in ``xp`` on ``device`` (float64); ``fun`` returns a 0-d array.
    """
    if number not in HS_XP_PROBLEMS:
        raise ValueError(f"`number` must be one of {HS_XP_PROBLEMS}; got {number!r}")
    parts = _hs7(xp, device) if number == 7 else _lq_problem(number, xp, device)
    fun, jac, hess, constraints, x0, m, f_star, x_star = parts
    return ConstrainedProblem(name=f"HS{number}", fun=fun, jac=jac, hess=hess, constraints=constraints,
                              x0=x0, lam0=xp.zeros(m, dtype=xp.float64, device=device),
                              f_star=float(f_star), x_star=x_star)
