"""One step of the Thompson-sampling ``omega`` learner (``numopt.linalg._bandit.Thompson``).

The learner's posterior is a few numbers per arm; its NumPy form costs tens of small-array calls
a step, these kernels one call each.  Same formulas as ``Thompson._refit`` / ``Thompson.choose``.
"""
import math

import numpy as np

from .._lib._jit import kernel


@kernel
def thompson_refit(arms, ff, fy, f1, yy, count, lam, rho0, n0, nu0, Ginv, ab, rss_coef, dof):
    """Cache ``G^-1``, ``[a, b] = G^-1 [P, Q]``, the rss coefficients and ``nu0 + C`` of ``arms``.

    ``G^-1`` from the Cholesky factor of ``G = lam I + pooled f f^T`` (SPD).
    """
    m = fy.shape[2]
    G = np.empty((m, m))
    P = np.empty(m)
    Q = np.empty(m)
    for k in arms:
        w = rho0 / (1.0 + count[0, k] / n0)
        for i in range(m):
            P[i] = fy[0, k, i] + w * fy[1, k, i]
            Q[i] = f1[0, k, i] + w * f1[1, k, i]
            for j in range(m):
                G[i, j] = ff[0, k, i, j] + w * ff[1, k, i, j]
            G[i, i] += lam
        for j in range(m):  # G = L L^T, L stored in the lower triangle of G
            s = G[j, j]
            for p in range(j):
                s -= G[j, p] * G[j, p]
            G[j, j] = math.sqrt(s)
            for i in range(j + 1, m):
                s = G[i, j]
                for p in range(j):
                    s -= G[i, p] * G[j, p]
                G[i, j] = s / G[j, j]
        for c in range(m):  # column c of G^-1: L y = e_c, L^T x = y
            for i in range(m):
                s = 1.0 if i == c else 0.0
                for p in range(i):
                    s -= G[i, p] * Ginv[k, p, c]
                Ginv[k, i, c] = s / G[i, i]
            for i in range(m - 1, -1, -1):
                s = Ginv[k, i, c]
                for p in range(i + 1, m):
                    s -= G[p, i] * Ginv[k, p, c]
                Ginv[k, i, c] = s / G[i, i]
        pa = pb = qb = 0.0
        for i in range(m):
            a = 0.0
            b = 0.0
            for j in range(m):
                a += Ginv[k, i, j] * P[j]
                b += Ginv[k, i, j] * Q[j]
            ab[k, 0, i] = a
            ab[k, 1, i] = b
            pa += P[i] * a
            pb += P[i] * b
            qb += Q[i] * b
        c_pooled = count[0, k] + w * count[1, k]
        rss_coef[k, 0] = yy[0, k] + w * yy[1, k] - pa
        rss_coef[k, 1] = P[0] - pb
        rss_coef[k, 2] = c_pooled - qb
        dof[k] = nu0 + c_pooled


@kernel
def thompson_learn(arm, f, y, ff, fy, f1, yy, count, total):
    """Add observation ``(f, y)`` of ``arm``: layer 0 of ``arm``, layer 1 of ``arm -+ 1``."""
    d, m = count.shape[1], f.shape[0]
    for k in range(max(arm - 1, 0), min(arm + 2, d)):
        layer = 0 if k == arm else 1
        for i in range(m):
            fy[layer, k, i] += f[i] * y
            f1[layer, k, i] += f[i]
            for j in range(m):
                ff[layer, k, i, j] += f[i] * f[j]
        yy[layer, k] += y * y
        count[layer, k] += 1.0
    total[0] += 1.0
    total[1] += y


@kernel
def thompson_choose(f, ybar, Ginv, ab, rss_coef, dof, count, z, radius, prior):
    """The arm of least ``expected_k + width_k z_k`` within ``radius`` of the leader."""
    d, m = dof.shape[0], f.shape[0]
    expected = np.empty(d)
    var = np.empty(d)
    leader = -1
    best = np.inf
    for k in range(d):
        rss = rss_coef[k, 0] - 2.0 * ybar * rss_coef[k, 1] + ybar * ybar * rss_coef[k, 2]
        var[k] = (prior + max(rss, 0.0)) / dof[k]
        af = 0.0
        bf = 0.0
        for i in range(m):
            af += ab[k, 0, i] * f[i]
            bf += ab[k, 1, i] * f[i]
        expected[k] = af - ybar * bf + (ybar + 0.5 * var[k])
        if count[0, k] > 0 and expected[k] < best:
            best = expected[k]
            leader = k
    lo, hi = 0, d
    if leader >= 0:
        lo, hi = max(leader - radius, 0), min(leader + radius + 1, d)
    arm = lo
    best = np.inf
    for k in range(lo, hi):
        quad = 0.0
        for i in range(m):
            s = 0.0
            for j in range(m):
                s += Ginv[k, i, j] * f[j]
            quad += s * f[i]
        score = expected[k] + math.sqrt(var[k] * quad) * z[k]
        if score < best:
            best = score
            arm = k
    return arm


def warmup():
    """Compile the kernels (float64 state, the only dtype the learner uses)."""
    d, m = 3, 2
    ff, fy, f1 = np.zeros((2, d, m, m)), np.zeros((2, d, m)), np.zeros((2, d, m))
    yy, count, total = np.zeros((2, d)), np.zeros((2, d)), np.zeros(2)
    Ginv, ab, rss_coef, dof = np.empty((d, m, m)), np.empty((d, 2, m)), np.empty((d, 3)), \
        np.empty(d)
    f = np.ones(m)
    thompson_learn(1, f, 1.0, ff, fy, f1, yy, count, total)
    thompson_refit(np.arange(d), ff, fy, f1, yy, count, 1.0, 1.0, 30.0, 2.0, Ginv, ab, rss_coef,
                   dof)
    thompson_choose(f, 0.5, Ginv, ab, rss_coef, dof, count, np.zeros(d), 1, 0.5)
