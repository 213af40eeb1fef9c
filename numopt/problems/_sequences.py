"""Sequences of related SPD systems for learning SOR's relaxation parameter (Khodak et al. 2024)."""
import math

import numpy as np

from .._lib._rng import as_generator
from .._lib._validate import check_choice, check_int, check_scalar
from ._poisson import poisson_matrix

__all__ = ["ShiftedLaplacianSequence", "HeatSequence", "shifted_laplacian_sequence",
           "heat_sequence"]

# Beta(a, b) laws of the shift's random part: high / low variance.
_SHIFT_LAWS = {"high": (0.5, 1.5), "low": (2.0, 6.0)}


def _with_diagonal(P, scale, shift):
    """``scale * P + shift * I`` for a CSR ``P`` with a full diagonal, sharing its index arrays."""
    import scipy.sparse as sp

    rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
    on_diag = rows == P.indices
    data = scale * P.data + shift * on_diag
    return sp.csr_array((data, P.indices, P.indptr), shape=P.shape)


class ShiftedLaplacianSequence:
    r"""The synthetic sequence ``A_t = A + c_t I``, ``b_t ~ N(0, I)`` with ``||b_t|| <= sqrt(n)``.

    ``A`` is the unscaled 5-point Laplacian on a ``grid x grid`` interior grid (diagonal 4; MATLAB
    ``delsq(numgrid('S', grid + 2))``), ``c_t = -0.15 + 0.6 B_t`` with ``B_t ~ Beta(0.5, 1.5)``
    (``variance='high'``) or ``Beta(2, 6)`` (``'low'``); ``b_t`` is redrawn until
    ``||b_t||_2 <= sqrt(n)``.  Iterating yields ``(A_t, b_t, c_t)``; with an int ``seed`` every
    iteration yields the same sequence.

    Parameters
    ----------
    length : int
        Number of systems ``T`` (paper: 5000).
    variance : {'high', 'low'}
        Law of the shift.
    grid : int
        Interior grid points per side (paper: 10, ``n = 100``).
    seed : None, int or numpy.random.Generator

    Attributes
    ----------
    context_range : (float, float)
        ``(-0.15, 0.65)``, the range of ``c_t``.
    n : int
        Size of each system.

    Notes
    -----
    ``lambda_min(A) = 4 - 4 cos(pi / (grid + 1))`` (0.162 for ``grid = 10``): every ``A_t`` is SPD.
    The Jacobi matrix of ``A_t`` has spectral radius ``beta_t = 4 cos(pi/(grid+1)) / (4 + c_t)`` and
    Young's optimal SOR parameter is ``2 / (1 + sqrt(1 - beta_t^2))`` (:meth:`optimal_omega`).

    References
    ----------
    .. [1] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to relax", ICLR 2024, sec. 5.
    """

    context_range = (-0.15, 0.65)

    def __init__(self, length=5000, *, variance="high", grid=10, seed=None):
        self.length = check_int(length, name="length", low=1)
        self.variance = check_choice(variance, tuple(_SHIFT_LAWS), name="variance")
        self.grid = check_int(grid, name="grid", low=2)
        self.n = self.grid ** 2
        self.seed = seed
        self._A = poisson_matrix((self.grid, self.grid))

    def __len__(self):
        return self.length

    def __iter__(self):
        rng = as_generator(self.seed)
        a, b = _SHIFT_LAWS[self.variance]
        limit = math.sqrt(self.n)
        for _ in range(self.length):
            c = -0.15 + 0.6 * float(rng.beta(a, b))
            rhs = rng.standard_normal(self.n)
            while np.linalg.norm(rhs) > limit:
                rhs = rng.standard_normal(self.n)
            yield _with_diagonal(self._A, 1.0, c), rhs, c

    def optimal_omega(self, context):
        """Young's optimal SOR ``omega`` for ``A + context I`` (consistently ordered, SPD)."""
        beta = 4.0 * math.cos(math.pi / (self.grid + 1)) / (4.0 + context)
        return 2.0 / (1.0 + math.sqrt(1.0 - beta * beta))


def _bump(X, Y, cx, cy, radius):
    """``exp(1 - 1/(1 - min(1, |x - c|^2 / rho^2)))``: 1 at the centre, 0 outside the disc."""
    s = np.minimum(1.0, ((X - cx) ** 2 + (Y - cy) ** 2) / radius ** 2)
    out = np.zeros_like(s)
    inside = s < 1.0
    out[inside] = np.exp(1.0 - 1.0 / (1.0 - s[inside]))
    return out


def diffusion(t):
    """The heat sequence's diffusion ``kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t)``."""
    s = math.sin(2.0 * math.pi * t)
    return max(0.1 * s, -10.0 * s)


class HeatSequence:
    r"""2-D heat equation ``u_t = kappa(t) Laplace(u) + f``, Crank-Nicolson: an SPD system a step.

    Unit square, zero Dirichlet data, ``nx`` intervals (``n = (nx - 1)^2`` unknowns in natural
    order), ``L_h`` the 5-point Laplacian over ``h^2``.  Step ``k`` (``t_k = k dt``,
    ``tau = t_k + dt/2``) solves

    .. math:: (I - \tfrac12 \kappa(\tau) dt L_h) u_{k+1} = (I + \tfrac12 \kappa(\tau) dt L_h) u_k
              + dt f(\tau, \cdot)

    with ``kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t)``, ``u_0`` a bump of radius 1/4 at the
    centre and ``f`` a bump of height 32 and radius 1/8 circling the centre.  Iterating yields a
    generator of ``(A_k, b_k, kappa(t_k))``; send it the solution of each system
    (``solve_sor_sequence`` does), or the next system is built from a sparse direct solve.

    Parameters
    ----------
    nx : int
        Intervals per side (paper: 25, 50, 100, 200, 400).
    steps : int
        Number of time steps (paper: 5000).
    dt : float
        Time step (paper: 1e-3, ``t_end = 5``).

    Attributes
    ----------
    context_range : (float, float)
        ``(0, 10)``: the range of ``kappa``.
    n : int
        Unknowns per system.

    References
    ----------
    .. [1] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to relax", ICLR 2024, sec. 5.
    """

    context_range = (0.0, 10.0)

    def __init__(self, nx=25, *, steps=5000, dt=1e-3):
        self.nx = check_int(nx, name="nx", low=2)
        self.steps = check_int(steps, name="steps", low=1)
        self.dt = check_scalar(dt, name="dt", low=0.0, low_open=True)
        self.n = (self.nx - 1) ** 2

    def __len__(self):
        return self.steps

    def grid(self):
        """Coordinates ``(X, Y)`` of the unknowns, flattened in natural order."""
        h = 1.0 / self.nx
        x = h * np.arange(1, self.nx)
        X, Y = np.meshgrid(x, x, indexing="ij")
        return X.ravel(), Y.ravel()

    def initial(self):
        """``u_0``: the bump of radius 1/4 at the centre."""
        X, Y = self.grid()
        return _bump(X, Y, 0.5, 0.5, 0.25)

    def source(self, t):
        """``f(t, .)``: height 32, radius 1/8, centre ``1/2 + (cos 16 pi t, sin 16 pi t) / 4``."""
        X, Y = self.grid()
        angle = 16.0 * math.pi * t
        return 32.0 * _bump(X, Y, 0.5 + math.cos(angle) / 4, 0.5 + math.sin(angle) / 4, 0.125)

    def __iter__(self):
        return self._steps()

    def _steps(self):
        from scipy.sparse.linalg import splu

        P = poisson_matrix((self.nx - 1, self.nx - 1))  # -h^2 L_h
        inv_h2 = float(self.nx) ** 2
        u = self.initial()
        for k in range(self.steps):
            t = k * self.dt
            tau = t + 0.5 * self.dt
            coef = 0.5 * diffusion(tau) * self.dt * inv_h2
            A = _with_diagonal(P, coef, 1.0)
            b = u - coef * (P @ u) + self.dt * self.source(tau)
            solution = yield A, b, diffusion(t)
            u = np.asarray(solution, dtype=np.float64) if solution is not None \
                else splu(A.tocsc()).solve(b)


def shifted_laplacian_sequence(length=5000, *, variance="high", grid=10, seed=None):
    """The synthetic shifted-Laplacian sequence; see :class:`ShiftedLaplacianSequence`."""
    return ShiftedLaplacianSequence(length, variance=variance, grid=grid, seed=seed)


def heat_sequence(nx=25, *, steps=5000, dt=1e-3):
    """The Crank-Nicolson heat-equation sequence; see :class:`HeatSequence`."""
    return HeatSequence(nx, steps=steps, dt=dt)
