"""Sketch-and-project solvers for the symmetric KKT system ``K z = b`` (inner solves of
:func:`numopt.minimize_sketched_newton`).

A step with a sketch ``S`` (N x q) projects ``z`` onto ``{S'K z = S'b}``: ``Y = K S``,
``w = (Y'Y)^+ S'r``, ``z -= Y w``, ``r -= K Y w`` with ``r = K z - b``; ``||z - z*||`` never increases.
Every solver runs from the given ``(z, r)`` (warm start) until ``||r|| <= target`` or ``max_steps``
steps, recomputing ``r`` from scratch every ``N`` steps and before returning.

On NumPy inputs the Kaczmarz sketches run compiled kernels; the generic path (any array-API
namespace: CuPy, array-api-strict) keeps a dense ``K`` on the input's device and draws the same
random numbers from the host generator, moving each sketch with ``xp.asarray(..., device=device)``.
"""
import math
import warnings
from dataclasses import dataclass

import array_api_compat
import numpy as np

from .._lib._array_api import is_numpy
from .._lib._optional import lazy_module
from .._lib._validate import NumoptWarning

sla = lazy_module("scipy.linalg")
sp = lazy_module("scipy.sparse")
spla = lazy_module("scipy.sparse.linalg")

__all__ = ["KKTSystem", "SKETCHES", "sketch_solve", "default_sketch_size"]

_DENSE_LIMIT = 2000      # N above which a dense-input K is still stored sparse (kernels need CSR)
_CHUNK = 1 << 14         # random draws per call of a compiled kernel


def default_sketch_size(N):
    """``q = min(N, max(2, ceil(sqrt(N))))``."""
    return min(N, max(2, math.ceil(math.sqrt(N))))


class KKTSystem:
    """``K = [[H + shift I, G'], [G, 0]]`` and right-hand side ``b``.

    ``K`` is a dense array (dense inputs, ``N <= 2000``; any size on the generic path), a CSR matrix
    (sparse NumPy inputs or larger ``N``) or a ``LinearOperator`` (``H`` is one); ``projector``: a
    :class:`NullSpaceProjector` of the same ``G`` to reuse (operator case).
    """

    def __init__(self, H, G, shift, b, *, xp=np, device="cpu", projector=None):
        m, n = G.shape
        self.n, self.m, self.N = n, m, n + m
        self.b, self.xp, self.device = b, xp, device
        self.generic = not is_numpy(xp)
        self.is_operator = isinstance(H, spla.LinearOperator)
        if self.generic:
            B = H + shift * xp.eye(n, dtype=H.dtype, device=device) if shift else H
            zeros = xp.zeros((m, m), dtype=H.dtype, device=device)
            self.K = xp.concat([xp.concat([B, G.T], axis=1), xp.concat([G, zeros], axis=1)], axis=0)
        elif self.is_operator:
            Gs = sp.csr_array(G) if sp.issparse(G) else G
            self.H, self.G, self.shift = H, Gs, shift
            self._projector = projector  # depends on G only: reused across shifts

            def matvec(v):
                v = np.ravel(v)
                x, y = v[:n], v[n:]
                return np.concatenate([H @ x + shift * x + Gs.T @ y, Gs @ x])

            self.K = spla.LinearOperator((self.N, self.N), matvec=matvec, rmatvec=matvec, dtype=np.float64)
        elif sp.issparse(H) or sp.issparse(G) or self.N > _DENSE_LIMIT:
            B = sp.csr_array(H) + shift * sp.eye_array(n, format="csr") if shift else sp.csr_array(H)
            Gs = sp.csr_array(G)
            K = sp.block_array([[B, Gs.T], [Gs, None]], format="csr")
            K.sum_duplicates()
            K.sort_indices()
            self.K = K
        else:
            B = np.asarray(H, dtype=float) + shift * np.eye(n)
            self.K = np.block([[B, G.T], [G, np.zeros((m, m))]])
        self._csr = None
        self._rownorm2 = None

    def matvec(self, v):
        return self.K @ v

    def matmat(self, V):
        if self.is_operator:
            return self.K.matmat(V)
        out = self.K @ V
        if self.generic:
            return out
        return out.toarray() if sp.issparse(out) else np.asarray(out)

    def rows(self, T):
        """Rows ``K_T`` as a dense (len(T), N) array (for an operator: ``len(T)`` products)."""
        if self.is_operator:
            E = np.zeros((self.N, len(T)))
            E[T, np.arange(len(T))] = 1.0
            return self.K.matmat(E).T
        if self.generic:
            return self.xp.take(self.K, self.to_device(T), axis=0)
        rows = self.K[T]
        return rows.toarray() if sp.issparse(rows) else np.asarray(rows)

    def to_device(self, a):
        """A host array (random draws) on the system's namespace and device."""
        return self.xp.asarray(a, device=self.device) if self.generic else a

    def take(self, v, T):
        """Entries ``v[T]`` for host indices ``T``."""
        return self.xp.take(v, self.to_device(T)) if self.generic else v[T]

    def csr(self):
        """``(indptr, indices, data)`` of ``K`` for the compiled kernels."""
        if self._csr is None:
            K = self.K if sp.issparse(self.K) else sp.csr_array(self.K)
            self._csr = (K.indptr, K.indices, np.ascontiguousarray(K.data, dtype=np.float64))
        return self._csr

    def row_norms2(self):
        """``||K_i||^2`` per row (explicit ``K`` only: the compiled Kaczmarz path)."""
        if self._rownorm2 is None:
            if sp.issparse(self.K):
                self._rownorm2 = np.asarray(self.K.multiply(self.K).sum(axis=1)).ravel()
            else:
                self._rownorm2 = np.einsum("ij,ij->i", self.K, self.K)
        return self._rownorm2

    def projector(self):
        """The :class:`NullSpaceProjector` of ``G`` (operator ``K`` only; built once per system)."""
        if self._projector is None:
            self._projector = NullSpaceProjector(self.G)
        return self._projector

    def resync(self, z, r):
        r[:] = self.matvec(z) - self.b
        return _norm(r)


def _norm(v):
    """``||v||_2`` as a Python float (one scalar read on a device)."""
    if isinstance(v, np.ndarray):
        return float(np.linalg.norm(v))
    return float(array_api_compat.array_namespace(v).linalg.vector_norm(v))


@dataclass
class InnerStats:
    """Work of one call: ``steps`` (sketch steps or direct solves) and ``matvecs`` (K times a vector)."""

    steps: int = 0
    matvecs: int = 0


def _project(system, z, r, Y, Sr, stats):
    """The generic step ``w = (Y'Y)^+ S'r``, ``z -= Y w``, ``r -= K Y w`` (Cholesky, lstsq fallback)."""
    gram = Y.T @ Y
    if system.generic:  # the pseudo-inverse is lstsq's rcond=1e-12 solution, with no host round trip
        w = system.xp.linalg.pinv(gram, rtol=1e-12) @ Sr
    elif not np.any(gram):
        return
    else:
        try:
            w = sla.cho_solve(sla.cho_factor(gram), Sr)
        except np.linalg.LinAlgError:
            w = np.linalg.lstsq(gram, Sr, rcond=1e-12)[0]
    u = Y @ w
    z -= u
    r -= system.matvec(u)
    stats.matvecs += 1


def _generic_loop(system, z, r, target, max_steps, draw_step, stats):
    """Run ``draw_step(k) -> (Y, S'r)`` projections until ``||r|| <= target`` (confirmed by a resync)."""
    norm = _norm(r)
    since_sync = 0
    while True:
        if norm <= target:
            norm = system.resync(z, r)
            stats.matvecs += 1
            since_sync = 0
            if norm <= target:
                return norm
        if stats.steps >= max_steps:
            norm = system.resync(z, r)
            stats.matvecs += 1
            return norm
        Y, Sr = draw_step()
        _project(system, z, r, Y, Sr, stats)
        stats.steps += 1
        since_sync += 1
        if since_sync >= system.N:
            norm = system.resync(z, r)
            stats.matvecs += 1
            since_sync = 0
        else:
            norm = _norm(r)


def _draw_chunk(rng, N, q, left):
    """The next chunk of row draws: ``min(left, CHUNK)`` indices (``q == 1``) or uniforms (rows of q)."""
    if q == 1:
        return rng.integers(0, N, size=min(left, _CHUNK))
    return rng.random((min(left, max(1, _CHUNK // q)), q))


def _kaczmarz_xp(system, z, r, target, max_steps, rng, q, stats):
    """Reference path: the generic projection with ``S`` = ``q`` uniform distinct unit vectors.

    Draws the same chunks as the compiled path, so both give the same iterates.
    """
    from .._kernels._sketch import floyd_sample

    sample = getattr(floyd_sample, "py_func", floyd_sample)
    state = {"chunk": np.empty(0), "next": 0}

    def step():
        if state["next"] == len(state["chunk"]):
            state["chunk"] = _draw_chunk(rng, system.N, q, max_steps - stats.steps)
            state["next"] = 0
        draw = state["chunk"][state["next"]]
        state["next"] += 1
        if q == 1:
            T = np.array([draw])
        else:
            T = np.empty(q, dtype=np.int64)
            sample(draw, system.N, T)
        return system.rows(T).T, system.take(r, T)

    return _generic_loop(system, z, r, target, max_steps, step, stats)


def _kaczmarz_jit(system, z, r, target, max_steps, rng, q, stats):
    from .._kernels import _sketch as kernels

    indptr, indices, data = system.csr()
    target2 = target * target
    rr = float(np.dot(r, r))
    if q == 1:
        rownorm2 = system.row_norms2()
        while True:
            rows = _draw_chunk(rng, system.N, 1, max_steps - stats.steps)
            steps, rr = kernels.kaczmarz_csr(indptr, indices, data, rownorm2, system.b, z, r, rows,
                                             target2, system.N)
            stats.steps += int(steps)
            stats.matvecs += 1 + int(steps) // system.N
            if rr <= target2 or stats.steps >= max_steps:
                return math.sqrt(rr)
    rows = np.empty(q, dtype=np.int64)
    gram, w = np.empty((q, q)), np.empty(q)
    work, touched = np.zeros(system.N), -np.ones(system.N, dtype=np.int64)
    while True:
        uniforms = _draw_chunk(rng, system.N, q, max_steps - stats.steps)
        steps, rr, flag = kernels.block_kaczmarz_csr(indptr, indices, data, system.b, z, r, uniforms,
                                                     target2, system.N, rows, gram, w, work, touched)
        stats.steps += int(steps)
        stats.matvecs += 1 + int(steps) // system.N
        if flag == 2:  # singular Gram: this step by least squares, then go on with fresh draws
            T = rows.copy()
            _project(system, z, r, system.rows(T).T, r[T], stats)
            stats.steps += 1
            rr = float(np.dot(r, r))
        if (flag == 0 and rr <= target2) or stats.steps >= max_steps:
            return math.sqrt(rr)


def _gaussian(system, z, r, target, max_steps, rng, q, stats):
    def step():
        S = system.to_device(rng.standard_normal((system.N, q)))
        stats.matvecs += q
        return system.matmat(S), S.T @ r

    return _generic_loop(system, z, r, target, max_steps, step, stats)


def _count(system, z, r, target, max_steps, rng, q, stats):
    N = system.N

    def step():
        cols = rng.integers(0, q, size=N)
        signs = 2.0 * rng.integers(0, 2, size=N) - 1.0
        stats.matvecs += q
        if system.generic:  # dense S (N x q, q ~ sqrt(N)) built on the host, moved once
            S = system.to_device((cols[:, None] == np.arange(q)) * signs[:, None])
            return system.matmat(S), S.T @ r
        S = sp.csr_array((signs, (np.arange(N), cols)), shape=(N, q))
        return system.matmat(S), np.bincount(cols, weights=signs * r, minlength=q)

    return _generic_loop(system, z, r, target, max_steps, step, stats)


def _exact(system, z, r, target, max_steps, rng, q, stats):
    """Direct solve (dense LU, sparse ``splu``); projected CG to ``target`` for a ``LinearOperator``.

    Returns ``inf`` when ``K`` is numerically singular (the caller then shifts ``H``).
    """
    norm = _norm(r)
    if norm <= target:
        return norm
    if system.is_operator:
        return _projected_cg(system, z, r, target, max_steps, stats)
    stats.steps += 1
    if system.generic:
        try:
            z[:] = system.xp.linalg.solve(system.K, system.b)
        except np.linalg.LinAlgError:  # array-api-strict raises NumPy's; CuPy returns NaN/Inf instead
            return math.inf
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", sp.linalg.MatrixRankWarning)
                if sp.issparse(system.K):
                    z[:] = sp.linalg.splu(system.K.tocsc()).solve(system.b)
                else:
                    z[:] = np.linalg.solve(system.K, system.b)
        except (RuntimeError, np.linalg.LinAlgError, sp.linalg.MatrixRankWarning):
            return math.inf
    stats.matvecs += 1
    norm = system.resync(z, r)
    return norm if math.isfinite(norm) else math.inf


class NullSpaceProjector:
    """Orthogonal projection onto ``null(G)`` and the least-squares maps that come with it.

    ``split(v) = (P v, w)`` with ``w = (GG')^{-1} G v`` and ``P v = v - G'w``; ``min_norm(e) = G^+ e``,
    the least-norm ``u`` with ``G u = e``.  Dense ``G``: thin QR ``G' = Q R``.  Sparse ``G``: ``splu``
    of the augmented matrix ``[[I, G'], [G, 0]]`` (no normal equations, so no squared condition
    number).
    """

    def __init__(self, G):
        self.m, self.n = G.shape
        if sp.issparse(G):
            aug = sp.block_array([[sp.eye_array(self.n), G.T], [G, None]], format="csc")
            self._lu = sp.linalg.splu(aug)
        else:
            self._lu = None
            self._Q, self._R = np.linalg.qr(np.asarray(G).T)

    def split(self, v):
        if self._lu is not None:
            sol = self._lu.solve(np.concatenate([v, np.zeros(self.m)]))
            return sol[:self.n], sol[self.n:]
        Qv = self._Q.T @ v
        return v - self._Q @ Qv, sla.solve_triangular(self._R, Qv)

    def min_norm(self, e):
        if self._lu is not None:
            return self._lu.solve(np.concatenate([np.zeros(self.n), e]))[:self.n]
        return self._Q @ sla.solve_triangular(self._R, e, trans="T")


def _projected_cg(system, z, r, target, max_steps, stats):
    """Projected conjugate gradients (Gould, Hribar, Nocedal 2001) on ``K z = b``, operator ``B``.

    With ``b = -(g, c)``: ``dx`` is first moved onto ``{G dx = -c}`` (least-norm correction of the
    warm start), then CG minimises ``dx'B dx / 2 + g'dx`` on that affine set; the multipliers are the
    least-squares ones, ``dlam = -(GG')^{-1} G (B dx + g)``, so the KKT residual is
    ``r = (P (B dx + g), G dx + c)`` with ``P`` the projection onto ``null(G)`` and its norm is
    ``||P (B dx + g)||`` (the constraint part is round-off).  Stops when ``||r|| <= target *
    min(1, ||r_0|| / ||b||)`` (the relative reduction asked of ``b``, applied to the part CG solves,
    so a large ``c`` does not leave the tangential step unsolved), after ``max_steps`` CG steps
    (one product with ``B`` each, counted in ``stats``), or, returning ``inf`` so that the caller
    shifts ``B``, at a direction ``p`` of ``null(G)`` with ``p'B p <= eps ||p|| ||B p||``: the
    reduced Hessian is not positive definite.

    Unlike MINRES on ``K``, the iteration count does not depend on the scale of ``G`` (only on the
    spectrum of the reduced Hessian), and the curvature test doubles as the reduced-Hessian
    safeguard.  ``r`` is kept by recurrence (a warm-started call recomputes it from ``z``).
    """
    n = system.n
    proj = system.projector()
    g, c = -system.b[:n], -system.b[n:]
    dx = z[:n]
    dx -= proj.min_norm(system.G @ dx + c)

    def B(v):
        stats.matvecs += 1
        return system.H @ v + system.shift * v

    rx = B(dx) + g if np.any(dx) else g.copy()
    Prx, w = proj.split(rx)
    rho = float(Prx @ Prx)
    target = target * min(1.0, math.sqrt(rho) / _norm(system.b))
    p = -Prx
    eps = np.finfo(float).eps
    while math.sqrt(rho) > target and stats.steps < max_steps:
        Bp = B(p)
        stats.steps += 1
        curvature = float(p @ Bp)
        if not curvature > eps * float(np.linalg.norm(p) * np.linalg.norm(Bp)):
            return math.inf
        step = rho / curvature
        dx += step * p
        rx += step * Bp
        Prx, w = proj.split(rx)
        rho, rho_old = float(Prx @ Prx), rho
        p = (rho / rho_old) * p - Prx
    z[n:] = -w
    r[:n] = Prx
    r[n:] = system.G @ dx + c
    norm = _norm(r)
    return norm if math.isfinite(norm) else math.inf


def sketch_solve(system, z, r, *, sketch, target, max_steps, rng, sketch_size, jit):
    """Advance ``(z, r)`` in place with ``sketch`` until ``||r|| <= target`` or ``max_steps`` steps.

    Returns ``(||r||, InnerStats)``.
    """
    stats = InnerStats()
    solver = SKETCHES[sketch]
    if sketch in ("kaczmarz", "block-kaczmarz"):
        if system.is_operator:
            warnings.warn(f"sketch={sketch!r} with a LinearOperator `hess` costs one Hessian product "
                          "per row of K; sketch='block-gaussian' needs none", NumoptWarning,
                          stacklevel=4)
        elif jit:
            solver = _kaczmarz_jit
    norm = solver(system, z, r, target, max_steps, rng, sketch_size, stats)
    return norm, stats


SKETCHES = {
    "kaczmarz": _kaczmarz_xp,
    "block-kaczmarz": _kaczmarz_xp,
    "gaussian": _gaussian,
    "block-gaussian": _gaussian,
    "count": _count,
    "exact": _exact,
}
