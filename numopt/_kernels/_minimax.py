"""Monotone-inclusion kernels: matrix-form operator evaluations and the sampled VR-Halpern loop.

Matrix layouts (see :class:`numopt.FiniteSumOperator`): 0 = dense ``M`` stored as ``Mt = M^T``
row-major (column ``i`` of ``M`` is ``Mt[i]``); 1 = bilinear ``M = [[0, A], [-A^T, 0]]`` stored as
``A`` and ``At`` (both row-major).  ``split`` = 0: one component per column of ``M``; else the
paired components of :func:`linear_diff_add`.  Random numbers are drawn on the host in blocks, so
the compiled and the vectorised paths consume the same stream.
"""
import math

import numpy as np

from .._lib._jit import kernel
from ._monitor_flags import CONTINUE, CONVERGED, DIVERGED, EXHAUSTED, NONFINITE, STALLED
from ._proj import apply_resolvent


@kernel
def monitor_update(state, residual, measure, epochs, tol, window_floor):
    """Stopping/stall/divergence test at a residual evaluation; ``state = [R_first, R_ref, e_ref]``.

    Converged if ``measure <= tol``; diverging if ``R > 1e3 R_first``; stalled if ``R`` has not
    halved since ``(e_ref, R_ref)`` within ``max(window_floor, 10 e_ref)`` epochs.
    """
    if not (math.isfinite(residual) and math.isfinite(measure)):
        return NONFINITE
    if measure <= tol:
        return CONVERGED
    if state[0] < 0.0:
        state[0] = residual
        state[1] = residual
        state[2] = epochs
        return CONTINUE
    if residual > 1e3 * state[0]:
        return DIVERGED
    if residual <= 0.5 * state[1]:
        state[1] = residual
        state[2] = epochs
    elif epochs - state[2] > max(window_floor, 10.0 * state[2]):
        return STALLED
    return CONTINUE


@kernel
def floyd_sample(uniforms, n, out):
    """Rows of ``out``: uniform samples of ``out.shape[1]`` distinct indices in ``[0, n)``.

    Floyd's algorithm driven by the pre-drawn ``uniforms`` (same shape as ``out``).
    """
    rows, b = out.shape
    for r in range(rows):
        for j in range(b):
            t = n - b + j
            cand = min(int(uniforms[r, j] * (t + 1)), t)
            for s in range(j):
                if out[r, s] == cand:
                    cand = t
                    break
            out[r, j] = cand


@kernel
def linear_full(layout, Mt, A, At, m, offset, u, out):
    """``out = M u + offset`` (BLAS products)."""
    if layout == 0:
        out[:] = np.dot(u, Mt)
    else:
        out[:m] = np.dot(A, u[m:])
        out[m:] = -np.dot(At, u[:m])
    for j in range(out.shape[0]):
        out[j] += offset[j]


@kernel
def _axpy(c, row, out, start):
    """``out[start:start + len(row)] += c row``."""
    if c != 0.0:
        for j in range(row.shape[0]):
            out[start + j] += c * row[j]


@kernel
def component_count(dim, split):
    """Number of components: ``dim`` (``split = 0``), else ``max(split, dim - split)`` pairs."""
    return dim if split == 0 else max(split, dim - split)


@kernel
def _add_column(layout, Mt, A, At, m, j, c, out):
    """``out += c M[:, j]``."""
    if layout == 0:
        _axpy(c, Mt[j], out, 0)
    elif j < m:
        _axpy(-c, A[j], out, m)
    else:
        _axpy(c, At[j - m], out, 0)


@kernel
def linear_diff_add(layout, Mt, A, At, m, split, idx, weights, u, v, out):
    """``out += sum_k weights[k] N (F_{idx[k]}(u) - F_{idx[k]}(v))`` for the linear components.

    Component ``i`` is column ``i`` of ``M`` (``split = 0``), else the pair of columns ``i`` (if
    ``i < split``) and ``i + split`` (if ``< dim``); ``N`` = :func:`component_count`.
    """
    dim = u.shape[0]
    scale = component_count(dim, split)
    for k in range(idx.shape[0]):
        i = idx[k]
        c = weights[k] * scale
        if split == 0 or i < split:
            _add_column(layout, Mt, A, At, m, i, c * (u[i] - v[i]), out)
        if split != 0 and i + split < dim:
            j = i + split
            _add_column(layout, Mt, A, At, m, j, c * (u[j] - v[j]), out)


@kernel
def natural_residual(rcode, fparams, iparams, u, Fu, tmp, out, work):
    """``||u - J_G(u - F(u))||`` (unit step); ``out`` receives ``J_G(u - F(u))``."""
    for j in range(u.shape[0]):
        tmp[j] = u[j] - Fu[j]
    apply_resolvent(rcode, tmp, 1.0, fparams, iparams, out, work)
    total = 0.0
    for j in range(u.shape[0]):
        d = u[j] - out[j]
        total += d * d
    return math.sqrt(total)


@kernel
def bilinear_gap(m, Fu):
    """Duality gap ``max_j (A^T x)_j - min_i (A y)_i`` from ``Fu = (A y, -A^T x)``."""
    return -np.min(Fu[m:]) - np.min(Fu[:m])


@kernel
def vr_halpern_probability(k, sqrt_n):
    """Full-pass probability ``p_k`` of Algorithm 1."""
    if k <= 1:
        return 1.0
    if k - 1 <= sqrt_n:
        return 4.0 / (k + 4.0)
    return 4.0 / (sqrt_n + 5.0)


@kernel
def full_pass_check(layout, Mt, A, At, m, split, offset, rcode, fparams, iparams, point, F_point,
                    checked, stop_measure, tol, window_floor, n_oracle, state, history, nhist, tmp,
                    out, work):
    """``F_point = F(point)``, its residual into ``history[nhist]`` and the monitor's flag.

    ``checked`` receives a copy of ``point`` when the run goes on (the last finite checked iterate).
    """
    n = component_count(point.shape[0], split)
    linear_full(layout, Mt, A, At, m, offset, point, F_point)
    res = natural_residual(rcode, fparams, iparams, point, F_point, tmp, out, work)
    measure = bilinear_gap(m, F_point) if stop_measure == 1 else res
    history[nhist, 0] = res
    history[nhist, 1] = n_oracle / n
    flag = monitor_update(state, res, measure, n_oracle / n, tol, window_floor)
    if flag == CONTINUE:
        checked[:] = point
    return flag


@kernel
def vr_halpern_block(layout, Mt, A, At, m, split, offset, rcode, fparams, iparams, u0, u, u_prev,
                     u_checked, Ft, eta, k, maxiter, coins, idx, weights, pos, stop_measure, tol,
                     window_floor, max_oracle, n_oracle, state, history, tmp, out, work, single):
    """Algorithm 1 iterations on a block of pre-drawn samples ``coins[pos:]``, ``idx[pos:]``.

    Returns ``(k, n_oracle, pos, flag, n_history)``; ``history[t] = (R, epochs)`` at each full pass
    (``flag`` as in :func:`monitor_update`, 5 = budget or ``maxiter`` reached).  ``single`` stops after
    one iteration (callback mode).  ``stop_measure`` 1 tests the bilinear duality gap, else ``R``.
    """
    dim = u.shape[0]
    n = component_count(dim, split)
    sqrt_n = math.sqrt(n)
    nhist = 0
    while pos < coins.shape[0]:
        if n_oracle >= max_oracle or k >= maxiter:
            return k, n_oracle, pos, EXHAUSTED, nhist
        if coins[pos] < vr_halpern_probability(k, sqrt_n):
            n_oracle += n
            flag = full_pass_check(layout, Mt, A, At, m, split, offset, rcode, fparams, iparams,
                                   u, Ft, u_checked, stop_measure, tol, window_floor, n_oracle,
                                   state, history, nhist, tmp, out, work)
            nhist += 1
            if flag != CONTINUE:
                return k, n_oracle, pos + 1, flag, nhist
        else:
            linear_diff_add(layout, Mt, A, At, m, split, idx[pos], weights[pos], u, u_prev, Ft)
            n_oracle += 2 * idx.shape[1]
        lam = 2.0 / (k + 4.0)
        for j in range(dim):
            tmp[j] = lam * u0[j] + (1.0 - lam) * u[j] - eta * Ft[j]
        u_prev[:] = u
        apply_resolvent(rcode, tmp, eta, fparams, iparams, u, work)
        k += 1
        pos += 1
        if single:
            break
    return k, n_oracle, pos, 0, nhist


@kernel
def vr_eg_block(layout, Mt, A, At, m, split, offset, rcode, fparams, iparams, u, w, w_checked, Fw,
                gamma, k, maxiter, coins, idx, weights, pos, stop_measure, tol, window_floor,
                max_oracle, n_oracle, state, history, u_bar, u_hat, tmp, out, work, single):
    """Loopless-SVRG extragradient steps on a block of pre-drawn samples (see 'vr-eg').

    Same protocol as :func:`vr_halpern_block`; the residual is evaluated at each new snapshot ``w``.
    """
    dim = u.shape[0]
    n = component_count(dim, split)
    p = 1.0 / n
    nhist = 0
    while pos < coins.shape[0]:
        if n_oracle >= max_oracle or k >= maxiter:
            return k, n_oracle, pos, EXHAUSTED, nhist
        for j in range(dim):
            u_bar[j] = (1.0 - p) * u[j] + p * w[j]
            tmp[j] = u_bar[j] - gamma * Fw[j]
        apply_resolvent(rcode, tmp, gamma, fparams, iparams, u_hat, work)
        tmp[:] = 0.0
        linear_diff_add(layout, Mt, A, At, m, split, idx[pos], weights[pos], u_hat, w, tmp)
        n_oracle += 2 * idx.shape[1]
        for j in range(dim):
            tmp[j] = u_bar[j] - gamma * (Fw[j] + tmp[j])
        apply_resolvent(rcode, tmp, gamma, fparams, iparams, u, work)
        if coins[pos] < p:
            w[:] = u
            n_oracle += n
            flag = full_pass_check(layout, Mt, A, At, m, split, offset, rcode, fparams, iparams,
                                   w, Fw, w_checked, stop_measure, tol, window_floor, n_oracle,
                                   state, history, nhist, tmp, out, work)
            nhist += 1
            if flag != CONTINUE:
                return k, n_oracle, pos + 1, flag, nhist
        k += 1
        pos += 1
        if single:
            break
    return k, n_oracle, pos, 0, nhist


@kernel
def forb_restart(center, F_center, eta, v, w, w_prev, phi_w):
    """Start (or restart) an inner VR-FoRB solve at ``center``: ``v = w = w_prev = center``."""
    for j in range(center.shape[0]):
        v[j] = center[j]
        w[j] = center[j]
        w_prev[j] = center[j]
        phi_w[j] = eta * F_center[j]


@kernel
def forb_inner(layout, Mt, A, At, m, split, offset, rcode, fparams, iparams, center, F_center, eta,
               steps, v, w, w_prev, phi_w, state, coins, idx, weights, pos, max_oracle, n_oracle,
               tmp, tmp2, out, work):
    """VR-FoRB steps on ``Φ(v) = ηF(v) + v - center`` (Algorithm 2's inner solver), resumable.

    ``state = [steps done (-1: start), gamma, inner residual at the start]``.  Returns
    ``(pos, n_oracle, flag)``: 0 done, 1 sample block used up (refill and call again), 5 budget.
    A snapshot residual above 10x the starting one restarts the solve with ``gamma/2``.
    """
    dim = center.shape[0]
    n = component_count(dim, split)
    p = 1.0 / n
    if state[0] < 0.0:
        forb_restart(center, F_center, eta, v, w, w_prev, phi_w)
        state[0] = 0.0
        for j in range(dim):
            tmp[j] = w[j] - phi_w[j]
        state[2] = _distance_to_resolvent(rcode, fparams, iparams, w, tmp, eta, out, work)
    while state[0] < steps:
        if n_oracle >= max_oracle:
            return pos, n_oracle, 5
        if pos >= coins.shape[0]:
            return pos, n_oracle, 1
        g = state[1]
        tmp[:] = 0.0
        linear_diff_add(layout, Mt, A, At, m, split, idx[pos], weights[pos], v, w_prev, tmp)
        n_oracle += 2
        for j in range(dim):
            tmp2[j] = (1.0 - p) * v[j] + p * w[j] - g * (phi_w[j] + eta * tmp[j] + v[j] - w_prev[j])
        apply_resolvent(rcode, tmp2, g * eta, fparams, iparams, out, work)
        w_prev[:] = w
        if coins[pos] < p:
            w[:] = out
            linear_full(layout, Mt, A, At, m, offset, w, tmp)
            n_oracle += n
            for j in range(dim):
                phi_w[j] = eta * tmp[j] + w[j] - center[j]
                tmp2[j] = w[j] - phi_w[j]
            r = _distance_to_resolvent(rcode, fparams, iparams, w, tmp2, eta, tmp, work)
            if not r <= 10.0 * max(state[2], 1e-300):
                state[1] = g / 2.0
                forb_restart(center, F_center, eta, v, w, w_prev, phi_w)
                state[0] = 0.0
                pos += 1
                continue
        v[:] = out
        state[0] += 1.0
        pos += 1
    return pos, n_oracle, 0


@kernel
def _distance_to_resolvent(rcode, fparams, iparams, w, arg, step, out, work):
    """``||w - J_{step G}(arg)||``."""
    apply_resolvent(rcode, arg, step, fparams, iparams, out, work)
    total = 0.0
    for j in range(w.shape[0]):
        d = w[j] - out[j]
        total += d * d
    return math.sqrt(total)


def warmup():
    """Compile the kernels here for float32 and float64 (or load them from the cache)."""
    fparams, iparams = np.array([1.0]), np.array([0, 1, 2], dtype=np.int64)
    floyd_sample(np.zeros((1, 1)), 2, np.zeros((1, 1), dtype=np.int64))
    for dtype in (np.float32, np.float64):
        for layout in (0, 1):
            M = np.eye(2, dtype=dtype)
            small = np.ones((1, 1), dtype=dtype)
            vecs = [np.full(2, 0.5, dtype=dtype) for _ in range(7)]
            vr_halpern_block(layout, M, small, small, 1, 0, np.zeros(2, dtype=dtype), 1, fparams,
                             iparams, *vecs[:5], 0.5, 0, 2, np.zeros(2),
                             np.zeros((2, 1), dtype=np.int64), np.ones((2, 1)), 0, 0, 0.0, 1.0, 100,
                             0, -np.ones(3), np.zeros((2, 2)), vecs[5], vecs[6],
                             np.zeros(4, dtype=dtype), False)
            vecs = [np.full(2, 0.5, dtype=dtype) for _ in range(8)]
            vr_eg_block(layout, M, small, small, 1, 0, np.zeros(2, dtype=dtype), 1, fparams,
                        iparams, *vecs[:4], 0.5, 0, 2, np.zeros(2),
                        np.zeros((2, 1), dtype=np.int64), np.ones((2, 1)), 0, 0, 0.0, 1.0, 100, 0,
                        -np.ones(3), np.zeros((2, 2)), *vecs[4:], np.zeros(4, dtype=dtype), False)
            vecs = [np.full(2, 0.5, dtype=dtype) for _ in range(10)]
            forb_inner(layout, M, small, small, 1, 0, np.zeros(2, dtype=dtype), 1, fparams, iparams,
                       vecs[0], vecs[1], 0.5, 3, *vecs[2:6], np.array([-1.0, 0.1, 0.0]), np.zeros(2),
                       np.zeros((2, 1), dtype=np.int64), np.ones((2, 1)), 0, 100, 0, *vecs[6:9],
                       np.zeros(4, dtype=dtype))
