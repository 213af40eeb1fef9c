"""Per-step arithmetic of the ``omega`` learners (``numopt.linalg._bandit``).

A learner's state is a few numbers per arm; in NumPy a step costs tens of small-array calls,
which at n = 1e4 is a noticeable share of a solve.  The Thompson kernels follow the NumPy
reference ``Thompson._refit`` / ``Thompson.choose``; the sampler, the Tsallis-INF normaliser and
ChebCB's steps run through :func:`~numopt._lib._jit.host_kernel` (their Python body is the
reference).
"""
import math

import numpy as np

from .._lib._jit import kernel
from ._dense import cholesky_factor, cholesky_substitute

EPS = float(np.finfo(np.float64).eps)
PINV_RCOND = 1e-15  # numpy.linalg.pinv's default


@kernel
def sample_index(p, u):
    """``rng.choice(len(p), p=p)`` given its uniform draw ``u``: the same inverse-CDF sampling
    (``searchsorted`` on the normalised cumulative sum) without ``choice``'s argument checks."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.searchsorted(cdf, u, side="right")


@kernel
def tsallis_weights(losses, eta):
    r"""Probabilities of the 1/2-Tsallis FTRL step and the normaliser's ``u``.

    ``p_i = 4 (eta (L_i - x))^{-2}`` with ``sum_i p_i = 1`` is, with
    ``a_i = (eta/2)(L_i - min L)`` and ``x = min L - 2u/eta``, the root ``u in [1, sqrt(d)]`` of
    ``g(u) = sum_i (u + a_i)^{-2} - 1``.
    ``g`` is convex and decreasing, so Newton from ``u = 1`` rises monotonically to the root; it is
    stopped at ``g(u) <= 1e-13`` (or 50 steps) and followed by bisection if it has not got there.

    Returns ``(p, raw)``: the normalised probabilities and the raw weights ``(u + a_i)^{-2}``.
    """
    d = losses.shape[0]
    a = 0.5 * eta * (losses - losses.min())
    upper = math.sqrt(d)
    u = 1.0
    newton_converged = False
    for _ in range(50):
        g = ((u + a) ** -2.0).sum() - 1.0
        if g <= 1e-13:
            newton_converged = True
            break
        u = min(u + g / (2.0 * ((u + a) ** -3.0).sum()), upper)
    if not newton_converged:
        low, high = 1.0, upper
        for _ in range(200):
            u = 0.5 * (low + high)
            g = ((u + a) ** -2.0).sum() - 1.0
            if abs(g) <= 1e-13 or high - low <= 1e-15 * high:
                break
            low, high = (u, high) if g > 0 else (low, u)
    raw = (u + a) ** -2.0
    return raw / raw.sum(), raw


@kernel
def thompson_refit(arms, ff, fy, f1, yy, count, lam, rho0, n0, nu0, Ginv, ab, rss_coef, dof):
    """Cache ``G^-1``, ``[a, b] = G^-1 [P, Q]``, the rss coefficients and ``nu0 + C`` of ``arms``.

    ``G^-1`` from the Cholesky factor of ``G = lam I + pooled f f^T`` (SPD).
    """
    m = fy.shape[2]
    G = np.empty((m, m))
    P = np.empty(m)
    Q = np.empty(m)
    unit = np.empty(m)
    for k in arms:
        w = rho0 / (1.0 + count[0, k] / n0)
        for i in range(m):
            P[i] = fy[0, k, i] + w * fy[1, k, i]
            Q[i] = f1[0, k, i] + w * f1[1, k, i]
            for j in range(m):
                G[i, j] = ff[0, k, i, j] + w * ff[1, k, i, j]
            G[i, i] += lam
        cholesky_factor(G)  # SPD: lam > 0
        for c in range(m):  # column c of G^-1
            unit[:] = 0.0
            unit[c] = 1.0
            cholesky_substitute(G, unit, Ginv[k, :, c])
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
def thompson_choose(f, ybar, Ginv, ab, rss_coef, dof, count, z, offsets, prior):
    """The arm of least ``expected_k + width_k z_k`` among the leader and ``leader -+ offsets``.

    Candidates in increasing arm order (ties go to the lowest arm); all arms before any is played.
    """
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
    candidate = np.zeros(d, dtype=np.bool_)
    if leader < 0:
        candidate[:] = True
    else:
        candidate[leader] = True
        for o in offsets:
            if leader - o >= 0:
                candidate[leader - o] = True
            if leader + o < d:
                candidate[leader + o] = True
    arm = -1
    best = np.inf
    for k in range(d):
        if not candidate[k]:
            continue
        quad = 0.0
        for i in range(m):
            s = 0.0
            for j in range(m):
                s += Ginv[k, i, j] * f[j]
            quad += s * f[i]
        score = expected[k] + math.sqrt(var[k] * quad) * z[k]
        if arm < 0 or score < best:
            best = score
            arm = k
    return arm


@kernel
def min_norm_solve(G, h, rcond):
    """``pinv(G) h`` for a small symmetric PSD ``G``: the minimum-norm least-squares solution.

    Eigenvalues by cyclic Jacobi rotations (Golub & Van Loan, Alg. 8.5.3; accurate to rounding
    relative to ``||G||``), those ``<= rcond max |lambda|`` are treated as zero.  For 6 x 6
    matrices this is a few hundred flops, several times cheaper than a LAPACK SVD call.
    """
    k = G.shape[0]
    A = G.copy()
    V = np.eye(k)
    scale = 0.0
    for i in range(k):
        for j in range(k):
            scale += A[i, j] * A[i, j]
    for _ in range(100):
        off = 0.0
        for p in range(k):
            for q in range(p + 1, k):
                off += A[p, q] * A[p, q]
        if off <= EPS * EPS * scale:
            break
        for p in range(k):
            for q in range(p + 1, k):
                if A[p, q] == 0.0:
                    continue
                tau = (A[q, q] - A[p, p]) / (2.0 * A[p, q])
                t = (1.0 if tau >= 0 else -1.0) / (abs(tau) + math.sqrt(1.0 + tau * tau))
                c = 1.0 / math.sqrt(1.0 + t * t)
                s = t * c
                for i in range(k):  # A <- A J (columns p, q)
                    aip, aiq = A[i, p], A[i, q]
                    A[i, p], A[i, q] = c * aip - s * aiq, s * aip + c * aiq
                for i in range(k):  # A <- J^T A (rows p, q)
                    api, aqi = A[p, i], A[q, i]
                    A[p, i], A[q, i] = c * api - s * aqi, s * api + c * aqi
                A[p, q] = A[q, p] = 0.0  # what the rotation achieves in exact arithmetic
                for i in range(k):
                    vip, viq = V[i, p], V[i, q]
                    V[i, p], V[i, q] = c * vip - s * viq, s * vip + c * viq
    largest = 0.0
    for i in range(k):
        largest = max(largest, abs(A[i, i]))
    x = np.zeros(k)
    for j in range(k):
        if A[j, j] > rcond * largest:
            coef = 0.0
            for i in range(k):
                coef += V[i, j] * h[i]
            coef /= A[j, j]
            for i in range(k):
                x[i] += coef * V[i, j]
    return x


@kernel
def box_qp(G, g, ub, max_steps):
    """Minimise ``theta^T G theta - 2 g^T theta`` over ``|theta_j| <= ub_j`` (``G`` PSD, small).

    Primal active-set method (Nocedal & Wright, Alg. 16.3) from the feasible ``theta = 0``: on the
    free variables solve the equality-constrained problem (minimum-norm solution when ``G`` is
    singular), step to it or to the first bound it crosses, and release the bound whose KKT
    multiplier has the wrong sign (the largest) until none has, or ``max_steps`` steps.
    """
    m = g.shape[0]
    theta = np.zeros(m)
    fixed = np.zeros(m, dtype=np.bool_)
    kkt_tol = 1e-12 * (1.0 + np.abs(g).max())
    for _ in range(max_steps):
        free = np.flatnonzero(~fixed)
        k = free.shape[0]
        target = theta.copy()
        if k > 0:
            sub = np.empty((k, k))
            rhs = np.empty(k)
            for a in range(k):
                i = free[a]
                s = g[i]
                for j in range(m):
                    if fixed[j]:
                        s -= G[i, j] * theta[j]
                rhs[a] = s
                for b in range(k):
                    sub[a, b] = G[i, free[b]]
            sol = min_norm_solve(sub, rhs, k * EPS)  # lstsq's default rcond
            for a in range(k):
                target[free[a]] = sol[a]
        blocking, room = -1, np.inf  # first bound crossed on the way to the target
        for j in range(m):
            step = target[j] - theta[j]
            if step != 0.0:
                r = ((ub[j] if step > 0 else -ub[j]) - theta[j]) / step
                if r < room:
                    blocking, room = j, r
        if room < 1.0:
            bound = ub[blocking] if target[blocking] > theta[blocking] else -ub[blocking]
            theta += room * (target - theta)
            theta[blocking] = bound
            fixed[blocking] = True
            continue
        theta = target
        release, worst = -1, 0.0  # KKT: gradient <= 0 at an upper bound, >= 0 at a lower one
        for j in range(m):
            if fixed[j]:
                grad = -g[j]
                for i in range(m):
                    grad += G[j, i] * theta[i]
                wrong = grad if theta[j] > 0 else -grad
                if wrong > kkt_tol and abs(grad) > worst:
                    release, worst = j, abs(grad)
        if release < 0:
            return theta
        fixed[release] = False
    return theta


@kernel
def chebcb_box_fit(G, h, q, ub, scale):
    """ChebCB's box-constrained fit of one arm and its squared residual.

    ``theta`` minimises ``theta^T G theta - 2 theta^T h / scale + q / scale^2`` over
    ``|theta_j| <= ub_j``; the residual is that minimum, clipped at 0.
    """
    g = h / scale
    theta = box_qp(G, g, ub, 100)
    resnorm = theta @ (G @ theta) - 2.0 * (theta @ g) + q / (scale * scale)
    return theta, max(resnorm, 0.0)


@kernel
def chebcb_probabilities(theta, f, eta):
    """SquareCB: ``p_i = 1 / (d + eta (y_i - y_best))``, the rest on ``best = argmin y``."""
    y = theta @ f
    d = y.shape[0]
    best = int(np.argmin(y))
    p = 1.0 / (d + eta * (y - y[best]))
    p[best] = 0.0
    p[best] = 1.0 - p.sum()
    return p


@kernel
def chebcb_learn(arm, f, pi, cost, G, h, q, count, lstsq, theta, sums, ub, N, kmax):
    """ChebCB's update (spec 3.3) in Gram form; returns the new ``kmax`` and ``R - resnorm``.

    Adds the observation to the arm's ``G = F^T F``, ``h = F^T (cost - 1)``, ``q``; caches its
    minimum-norm solution ``lstsq = pinv(G) h``; refits ``theta = lstsq / scale`` (``scale = kmax
    N``) for every arm with data when ``scale`` changed, else for the played arm, with a box fit
    where the box is violated (``resnorm`` = the last box fit's, else 0).
    """
    d, m = count.shape[0], f.shape[0]
    y = cost - 1.0
    for i in range(m):
        h[arm, i] += f[i] * y
        for j in range(m):
            G[arm, i, j] += f[i] * f[j]
    q[arm] += y * y
    count[arm] += 1
    lstsq[arm] = min_norm_solve(G[arm], h[arm], PINV_RCOND)
    sums[0] += pi * pi
    sums[1] += pi * cost
    sums[2] += cost * cost
    old_scale = kmax * N
    kmax = max(kmax, cost)
    scale = kmax * N
    if scale <= 0:
        return kmax, 0.0
    resnorm = 0.0
    for i in range(d):
        if i == arm or (scale != old_scale and count[i] > 0):
            boxed = False
            for j in range(m):
                theta[i, j] = lstsq[i, j] / scale
                boxed = boxed or abs(theta[i, j]) > ub[j]
            if boxed:
                theta[i], resnorm = chebcb_box_fit(G[i], h[i], q[i], ub, scale)
    R = sums[0] - 2.0 * sums[1] / scale + sums[2] / (scale * scale)
    return kmax, R - resnorm


def warmup():
    """Compile the kernels (float64 state, the only dtype the learners use)."""
    d, m = 3, 2
    ff, fy, f1 = np.zeros((2, d, m, m)), np.zeros((2, d, m)), np.zeros((2, d, m))
    yy, count, total = np.zeros((2, d)), np.zeros((2, d)), np.zeros(2)
    Ginv, ab, rss_coef, dof = np.empty((d, m, m)), np.empty((d, 2, m)), np.empty((d, 3)), \
        np.empty(d)
    f = np.ones(m)
    sample_index(f / f.sum(), 0.5)
    tsallis_weights(f, 1.0)
    thompson_learn(1, f, 1.0, ff, fy, f1, yy, count, total)
    thompson_refit(np.arange(d), ff, fy, f1, yy, count, 1.0, 1.0, 30.0, 2.0, Ginv, ab, rss_coef,
                   dof)
    thompson_choose(f, 0.5, Ginv, ab, rss_coef, dof, count, np.zeros(d), np.ones(1, dtype=np.intp),
                    0.5)
    G = np.array([[2.0, 1.0], [1.0, 2.0]])
    min_norm_solve(G, f, PINV_RCOND)
    box_qp(G, 10.0 * f, f, 100)
    chebcb_box_fit(G, f, 1.0, f, 0.1)
    chebcb_probabilities(np.ones((d, m)), f, 1.0)
    chebcb_learn(1, f, 0.5, 3.0, np.zeros((d, m, m)), np.zeros((d, m)), np.zeros(d),
                 np.zeros(d, dtype=np.int64), np.zeros((d, m)), np.zeros((d, m)), np.zeros(3), f,
                 13.0, 0.0)
