"""Hock-Schittkowski equality-constrained test problems (book variable order) with known solutions.

Each problem is given by its objective ``(f, grad, Hessian)`` and constraints ``(c, Jacobian,
Hessians of the c_i)``, all derived by hand (checked against finite differences in the tests).
"""
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ConstrainedProblem", "hock_schittkowski", "HS_PROBLEMS"]

SQ2 = math.sqrt(2.0)


@dataclass(frozen=True)
class ConstrainedProblem:
    """An equality-constrained problem: callables for :func:`numopt.minimize_sketched_newton` and scipy.

    ``min fun(x) s.t. constraints``.

    ``hess(x, lam)`` is the Hessian of the Lagrangian ``f + lam'c``; ``f_star``/``x_star`` are the
    known optimum (``x_star`` None where it is not unique or not known in closed form).
    """

    name: str
    fun: object
    jac: object
    hess: object
    constraints: object
    x0: np.ndarray
    lam0: np.ndarray
    f_star: float
    x_star: object = None
    objective_hess: object = None


def _e(n, *pairs):
    """An (n, n) symmetric matrix with the given ``((i, j), value)`` entries (mirrored)."""
    M = np.zeros((n, n))
    for (i, j), v in pairs:
        M[i, j] += v
        if i != j:
            M[j, i] += v
    return M


def _prod_derivs(x):
    """``prod x``, its gradient and Hessian."""
    n = x.size
    g = np.array([np.prod(np.delete(x, i)) for i in range(n)])
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            H[i, j] = H[j, i] = np.prod(np.delete(x, [i, j]))
    return float(np.prod(x)), g, H


def _linear(A, rhs):
    A, rhs = np.asarray(A, float), np.asarray(rhs, float)
    n = A.shape[1]
    return lambda x: (A @ x - rhs, A, [np.zeros((n, n))] * A.shape[0])


# ---- objectives: x -> (f, g, H) ----
def _obj6(x):
    return (1 - x[0]) ** 2, np.array([-2 * (1 - x[0]), 0.0]), _e(2, ((0, 0), 2.0))


def _con6(x):
    return np.array([10 * (x[1] - x[0] ** 2)]), np.array([[-20 * x[0], 10.0]]), [_e(2, ((0, 0), -20.0))]


def _obj7(x):
    s = 1 + x[0] ** 2
    return math.log(s) - x[1], np.array([2 * x[0] / s, -1.0]), _e(2, ((0, 0), 2 * (1 - x[0] ** 2) / s ** 2))


def _con7(x):
    s = 1 + x[0] ** 2
    return (np.array([s ** 2 + x[1] ** 2 - 4]), np.array([[4 * x[0] * s, 2 * x[1]]]),
            [_e(2, ((0, 0), 4 + 12 * x[0] ** 2), ((1, 1), 2.0))])


def _obj8(x):
    return -1.0, np.zeros(2), np.zeros((2, 2))


def _con8(x):
    return (np.array([x[0] ** 2 + x[1] ** 2 - 25, x[0] * x[1] - 9]),
            np.array([[2 * x[0], 2 * x[1]], [x[1], x[0]]]), [2 * np.eye(2), _e(2, ((0, 1), 1.0))])


_A9, _B9 = math.pi / 12, math.pi / 16


def _obj9(x):
    s1, c1 = math.sin(_A9 * x[0]), math.cos(_A9 * x[0])
    s2, c2 = math.sin(_B9 * x[1]), math.cos(_B9 * x[1])
    return (s1 * c2, np.array([_A9 * c1 * c2, -_B9 * s1 * s2]),
            _e(2, ((0, 0), -_A9 ** 2 * s1 * c2), ((0, 1), -_A9 * _B9 * c1 * s2), ((1, 1), -_B9 ** 2 * s1 * c2)))


def _obj26(x):
    a, d = x[0] - x[1], x[1] - x[2]
    return (a ** 2 + d ** 4, np.array([2 * a, -2 * a + 4 * d ** 3, -4 * d ** 3]),
            _e(3, ((0, 0), 2.0), ((0, 1), -2.0), ((1, 1), 2 + 12 * d ** 2), ((1, 2), -12 * d ** 2),
               ((2, 2), 12 * d ** 2)))


def _con26(x):
    return (np.array([(1 + x[1] ** 2) * x[0] + x[2] ** 4 - 3]),
            np.array([[1 + x[1] ** 2, 2 * x[0] * x[1], 4 * x[2] ** 3]]),
            [_e(3, ((0, 1), 2 * x[1]), ((1, 1), 2 * x[0]), ((2, 2), 12 * x[2] ** 2))])


def _obj27(x):
    e = x[1] - x[0] ** 2
    return (0.01 * (x[0] - 1) ** 2 + e ** 2, np.array([0.02 * (x[0] - 1) - 4 * x[0] * e, 2 * e, 0.0]),
            _e(3, ((0, 0), 0.02 - 4 * e + 8 * x[0] ** 2), ((0, 1), -4 * x[0]), ((1, 1), 2.0)))


def _con27(x):
    return np.array([x[0] + x[2] ** 2 + 1]), np.array([[1.0, 0.0, 2 * x[2]]]), [_e(3, ((2, 2), 2.0))]


def _obj28(x):
    a, d = x[0] + x[1], x[1] + x[2]
    return (a ** 2 + d ** 2, np.array([2 * a, 2 * a + 2 * d, 2 * d]),
            _e(3, ((0, 0), 2.0), ((0, 1), 2.0), ((1, 1), 4.0), ((1, 2), 2.0), ((2, 2), 2.0)))


def _obj39(x):
    return -x[0], np.array([-1.0, 0, 0, 0]), np.zeros((4, 4))


def _con39(x):
    return (np.array([x[1] - x[0] ** 3 - x[2] ** 2, x[0] ** 2 - x[1] - x[3] ** 2]),
            np.array([[-3 * x[0] ** 2, 1.0, -2 * x[2], 0.0], [2 * x[0], -1.0, 0.0, -2 * x[3]]]),
            [_e(4, ((0, 0), -6 * x[0]), ((2, 2), -2.0)), _e(4, ((0, 0), 2.0), ((3, 3), -2.0))])


def _obj40(x):
    f, g, H = _prod_derivs(x)
    return -f, -g, -H


def _con40(x):
    return (np.array([x[0] ** 3 + x[1] ** 2 - 1, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]]),
            np.array([[3 * x[0] ** 2, 2 * x[1], 0.0, 0.0], [2 * x[0] * x[3], 0.0, -1.0, x[0] ** 2],
                      [0.0, -1.0, 0.0, 2 * x[3]]]),
            [_e(4, ((0, 0), 6 * x[0]), ((1, 1), 2.0)), _e(4, ((0, 0), 2 * x[3]), ((0, 3), 2 * x[0])),
             _e(4, ((3, 3), 2.0))])


def _obj42(x):
    d = x - np.arange(1.0, 5.0)
    return float(d @ d), 2 * d, 2 * np.eye(4)


def _con42(x):
    return (np.array([x[0] - 2, x[2] ** 2 + x[3] ** 2 - 2]),
            np.array([[1.0, 0, 0, 0], [0, 0, 2 * x[2], 2 * x[3]]]),
            [np.zeros((4, 4)), _e(4, ((2, 2), 2.0), ((3, 3), 2.0))])


def _obj46(x):  # also HS49
    a = x[0] - x[1]
    return ((a ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6),
            np.array([2 * a, -2 * a, 2 * (x[2] - 1), 4 * (x[3] - 1) ** 3, 6 * (x[4] - 1) ** 5]),
            _e(5, ((0, 0), 2.0), ((0, 1), -2.0), ((1, 1), 2.0), ((2, 2), 2.0),
               ((3, 3), 12 * (x[3] - 1) ** 2), ((4, 4), 30 * (x[4] - 1) ** 4)))


def _con46_shifted(r1, r2):
    """``x1^2 x4 + sin(x4 - x5) - r1``, ``x2 + x3^4 x4^2 - r2`` (HS46: 1, 2; HS77: 2 sqrt2, 8 + sqrt2)."""
    def con(x):
        s, c = math.sin(x[3] - x[4]), math.cos(x[3] - x[4])
        return (np.array([x[0] ** 2 * x[3] + s - r1, x[1] + x[2] ** 4 * x[3] ** 2 - r2]),
                np.array([[2 * x[0] * x[3], 0.0, 0.0, x[0] ** 2 + c, -c],
                          [0.0, 1.0, 4 * x[2] ** 3 * x[3] ** 2, 2 * x[2] ** 4 * x[3], 0.0]]),
                [_e(5, ((0, 0), 2 * x[3]), ((0, 3), 2 * x[0]), ((3, 3), -s), ((3, 4), s), ((4, 4), -s)),
                 _e(5, ((2, 2), 12 * x[2] ** 2 * x[3] ** 2), ((2, 3), 8 * x[2] ** 3 * x[3]),
                    ((3, 3), 2 * x[2] ** 4))])
    return con


def _quartic_chain(x, w01, square_12, head):
    """Shared by HS47/HS79: ``head + w01 (x1-x2)^2 + [(x2-x3)^2 | (x2-x3)^3] + (x3-x4)^4 + (x4-x5)^4``."""
    a, b, c, d = x[0] - x[1], x[1] - x[2], x[2] - x[3], x[3] - x[4]
    fb, gb, hb = (b ** 2, 2 * b, 2.0) if square_12 else (b ** 3, 3 * b ** 2, 6 * b)
    f = head[0] + w01 * a ** 2 + fb + c ** 4 + d ** 4
    g = head[1] + np.array([2 * w01 * a, -2 * w01 * a + gb, -gb + 4 * c ** 3, -4 * c ** 3 + 4 * d ** 3,
                            -4 * d ** 3])
    H = head[2] + _e(5, ((0, 0), 2 * w01), ((0, 1), -2 * w01), ((1, 1), 2 * w01 + hb), ((1, 2), -hb),
                     ((2, 2), hb + 12 * c ** 2), ((2, 3), -12 * c ** 2), ((3, 3), 12 * c ** 2 + 12 * d ** 2),
                     ((3, 4), -12 * d ** 2), ((4, 4), 12 * d ** 2))
    return f, g, H


def _obj47(x):
    return _quartic_chain(x, 1.0, False, (0.0, np.zeros(5), np.zeros((5, 5))))


def _con47_shifted(r1, r2, r3):
    """``x1 + x2^2 + x3^3 - r1``, ``x2 - x3^2 + x4 - r2``, ``x1 x5 - r3`` (HS47 and HS79)."""
    def con(x):
        return (np.array([x[0] + x[1] ** 2 + x[2] ** 3 - r1, x[1] - x[2] ** 2 + x[3] - r2, x[0] * x[4] - r3]),
                np.array([[1.0, 2 * x[1], 3 * x[2] ** 2, 0, 0], [0, 1.0, -2 * x[2], 1.0, 0],
                          [x[4], 0, 0, 0, x[0]]]),
                [_e(5, ((1, 1), 2.0), ((2, 2), 6 * x[2])), _e(5, ((2, 2), -2.0)), _e(5, ((0, 4), 1.0))])
    return con


def _obj48(x):
    a, b = x[1] - x[2], x[3] - x[4]
    return ((x[0] - 1) ** 2 + a ** 2 + b ** 2, np.array([2 * (x[0] - 1), 2 * a, -2 * a, 2 * b, -2 * b]),
            _e(5, ((0, 0), 2.0), ((1, 1), 2.0), ((1, 2), -2.0), ((2, 2), 2.0), ((3, 3), 2.0),
               ((3, 4), -2.0), ((4, 4), 2.0)))


def _obj50(x):
    a, b, c, d = x[0] - x[1], x[1] - x[2], x[2] - x[3], x[3] - x[4]
    return (a ** 2 + b ** 2 + c ** 4 + d ** 2,
            np.array([2 * a, -2 * a + 2 * b, -2 * b + 4 * c ** 3, -4 * c ** 3 + 2 * d, -2 * d]),
            _e(5, ((0, 0), 2.0), ((0, 1), -2.0), ((1, 1), 4.0), ((1, 2), -2.0), ((2, 2), 2 + 12 * c ** 2),
               ((2, 3), -12 * c ** 2), ((3, 3), 12 * c ** 2 + 2), ((3, 4), -2.0), ((4, 4), 2.0)))


def _obj51_52(w):
    """``(w x1 - x2)^2 + (x2 + x3 - 2)^2 + (x4 - 1)^2 + (x5 - 1)^2`` (HS51: w=1, HS52: w=4)."""
    def obj(x):
        a, e = w * x[0] - x[1], x[1] + x[2] - 2
        return (a ** 2 + e ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
                np.array([2 * w * a, -2 * a + 2 * e, 2 * e, 2 * (x[3] - 1), 2 * (x[4] - 1)]),
                _e(5, ((0, 0), 2 * w * w), ((0, 1), -2 * w), ((1, 1), 4.0), ((1, 2), 2.0), ((2, 2), 2.0),
                   ((3, 3), 2.0), ((4, 4), 2.0)))
    return obj


def _obj77(x):
    a = x[0] - x[1]
    return ((x[0] - 1) ** 2 + a ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
            np.array([2 * (x[0] - 1) + 2 * a, -2 * a, 2 * (x[2] - 1), 4 * (x[3] - 1) ** 3,
                      6 * (x[4] - 1) ** 5]),
            _e(5, ((0, 0), 4.0), ((0, 1), -2.0), ((1, 1), 2.0), ((2, 2), 2.0),
               ((3, 3), 12 * (x[3] - 1) ** 2), ((4, 4), 30 * (x[4] - 1) ** 4)))


def _obj78(x):
    return _prod_derivs(x)


def _con78(x):
    return (np.array([x @ x - 10, x[1] * x[2] - 5 * x[3] * x[4], x[0] ** 3 + x[1] ** 3 + 1]),
            np.array([2 * x, [0, x[2], x[1], -5 * x[4], -5 * x[3]], [3 * x[0] ** 2, 3 * x[1] ** 2, 0, 0, 0]]),
            [2 * np.eye(5), _e(5, ((1, 2), 1.0), ((3, 4), -5.0)), _e(5, ((0, 0), 6 * x[0]), ((1, 1), 6 * x[1]))])


def _obj79(x):
    head = ((x[0] - 1) ** 2, np.array([2 * (x[0] - 1), 0, 0, 0, 0]), _e(5, ((0, 0), 2.0)))
    return _quartic_chain(x, 1.0, True, head)


_ONES5 = np.ones(5)
# number: (objective, constraints, x0, f*, x* or None)
HS_PROBLEMS = {
    6: (_obj6, _con6, [-1.2, 1.0], 0.0, [1.0, 1.0]),
    7: (_obj7, _con7, [2.0, 2.0], -math.sqrt(3.0), [0.0, math.sqrt(3.0)]),
    8: (_obj8, _con8, [2.0, 1.0], -1.0, None),
    9: (_obj9, _linear([[4.0, -3.0]], [0.0]), [0.0, 0.0], -0.5, None),
    26: (_obj26, _con26, [-2.6, 2.0, 2.0], 0.0, [1.0, 1.0, 1.0]),
    27: (_obj27, _con27, [2.0, 2.0, 2.0], 0.04, [-1.0, 1.0, 0.0]),
    28: (_obj28, _linear([[1.0, 2.0, 3.0]], [1.0]), [-4.0, 1.0, 1.0], 0.0, [0.5, -0.5, 0.5]),
    39: (_obj39, _con39, [2.0] * 4, -1.0, [1.0, 1.0, 0.0, 0.0]),
    40: (_obj40, _con40, [0.8] * 4, -0.25, [2 ** (-1 / 3), 2 ** -0.5, 2 ** (-11 / 12), 2 ** -0.25]),
    42: (_obj42, _con42, [1.0] * 4, 28 - 10 * SQ2, [2.0, 2.0, 0.6 * SQ2, 0.8 * SQ2]),
    46: (_obj46, _con46_shifted(1.0, 2.0), [SQ2 / 2, 1.75, 0.5, 2.0, 2.0], 0.0, _ONES5),
    47: (_obj47, _con47_shifted(3.0, 1.0, 1.0), [2.0, SQ2, -1.0, 2 - SQ2, 0.5], 0.0, _ONES5),
    48: (_obj48, _linear([[1.0] * 5, [0, 0, 1.0, -2.0, -2.0]], [5.0, -3.0]), [3.0, 5.0, -3.0, 2.0, -2.0],
         0.0, _ONES5),
    49: (_obj46, _linear([[1.0, 1.0, 1.0, 4.0, 0.0], [0, 0, 1.0, 0, 5.0]], [7.0, 6.0]),
         [10.0, 7.0, 2.0, -3.0, 0.8], 0.0, _ONES5),
    50: (_obj50, _linear([[1.0, 2.0, 3.0, 0, 0], [0, 1.0, 2.0, 3.0, 0], [0, 0, 1.0, 2.0, 3.0]], [6.0] * 3),
         [35.0, -31.0, 11.0, 5.0, -5.0], 0.0, _ONES5),
    51: (_obj51_52(1.0), _linear([[1.0, 3.0, 0, 0, 0], [0, 0, 1.0, 1.0, -2.0], [0, 1.0, 0, 0, -1.0]],
                                 [4.0, 0.0, 0.0]), [2.5, 0.5, 2.0, -1.0, 0.5], 0.0, _ONES5),
    52: (_obj51_52(4.0), _linear([[1.0, 3.0, 0, 0, 0], [0, 0, 1.0, 1.0, -2.0], [0, 1.0, 0, 0, -1.0]],
                                 [0.0, 0.0, 0.0]), [2.0] * 5, 1859 / 349,
         [-33 / 349, 11 / 349, 180 / 349, -158 / 349, 11 / 349]),
    77: (_obj77, _con46_shifted(2 * SQ2, 8 + SQ2), [2.0] * 5, 0.2415051288,
         [1.166172, 1.182111, 1.380257, 1.506036, 0.610920]),
    78: (_obj78, _con78, [-2.0, 1.5, 2.0, -1.0, -1.0], -2.9197004090,
         [-1.717144, 1.595710, 1.827246, -0.763643, -0.763643]),
    79: (_obj79, _con47_shifted(2 + 3 * SQ2, -2 + 2 * SQ2, 2.0), [2.0] * 5, 0.0787768209,
         [1.191127, 1.362603, 1.472818, 1.635017, 1.679081]),
}


def hock_schittkowski(number):
    """Hock-Schittkowski problem ``number`` (one of ``HS_PROBLEMS``) as a :class:`ConstrainedProblem`.

    Constraints come as one scipy ``{'type': 'eq'}`` dict with an exact Jacobian; ``lam0`` is zero.
    ``x_star`` holds the book's rounded solution (6 decimals for HS77/78/79), None if not unique.

    References
    ----------
    .. [1] W. Hock, K. Schittkowski, *Test Examples for Nonlinear Programming Codes*, Lecture Notes
       in Economics and Mathematical Systems 187, Springer, 1981.
    """
    if number not in HS_PROBLEMS:
        raise ValueError(f"`number` must be one of {sorted(HS_PROBLEMS)}; got {number!r}")
    obj, con, x0, f_star, x_star = HS_PROBLEMS[number]
    x0 = np.array(x0, dtype=float)
    m = con(x0)[0].size

    def hess(x, lam):
        H = obj(x)[2] + sum(l * Hc for l, Hc in zip(lam, con(x)[2]))
        return np.asarray(H, dtype=float)

    constraints = {"type": "eq", "fun": lambda x: con(x)[0], "jac": lambda x: con(x)[1]}
    return ConstrainedProblem(
        name=f"HS{number}", fun=lambda x: float(obj(x)[0]), jac=lambda x: np.asarray(obj(x)[1], float),
        hess=hess, constraints=constraints, x0=x0, lam0=np.zeros(m), f_star=float(f_star),
        x_star=None if x_star is None else np.array(x_star, dtype=float),
        objective_hess=lambda x: np.asarray(obj(x)[2], float))
