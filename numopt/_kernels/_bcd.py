"""Block coordinate descent kernels: greedy scores, incremental gradients, forest (tree) solves.

Sparse matrices are CSR/CSC triples ``(indptr, indices, data)`` with int64 indices.  A *forest
factor* of a block ``B`` of a symmetric matrix ``Q`` whose graph restricted to ``B`` is a forest is
stored as four arrays over the block's nodes in BFS order: ``order`` (node ids), ``parent``
(position of the parent in ``order``, -1 for a root), ``coef`` (``Q[node, parent]``) and ``piv``
(pivots after leaves-first elimination).
"""
import math

import numpy as np

from .._lib._jit import kernel
from ._dense import cholesky_solve

CYCLE = 1
NONPOSITIVE_PIVOT = 2

LOSS_SQUARED = 0
LOSS_LOGISTIC = 1
LOSS_SOFTMAX = 2


@kernel
def prox_target(xi, gi, curv, l1, lo, hi):
    """``clip(soft(x_i - g_i / D_i, l1 / D_i), lo_i, hi_i)`` for one coordinate (``D_i > 0``)."""
    v = xi - gi / curv
    t = l1 / curv
    if v > t:
        v -= t
    elif v < -t:
        v += t
    else:
        v = 0.0
    return min(max(v, lo), hi)


@kernel
def prox_residual(x, g, lip, l1, lo, hi):
    """``max_i L_i |x_i - T_i(x)|`` over the coordinates with ``L_i > 0``."""
    out = 0.0
    for i in range(x.shape[0]):
        if lip[i] > 0:
            out = max(out, lip[i] * abs(x[i] - prox_target(x[i], g[i], lip[i], l1, lo[i], hi[i])))
    return out


@kernel
def gsq_scores(x, g, curv, l1, lo, hi, out):
    """Decrease of the proximal 1-D model per coordinate (GS-q); 0 where the curvature is 0.

    ``score_i = -(g_i d_i + D_i d_i^2 / 2 + l1 (|x_i + d_i| - |x_i|))``, ``d_i = T_i(x) - x_i``.
    """
    for i in range(x.shape[0]):
        c = curv[i]
        if c > 0:
            d = prox_target(x[i], g[i], c, l1, lo[i], hi[i]) - x[i]
            out[i] = -(g[i] * d + 0.5 * c * d * d + l1 * (abs(x[i] + d) - abs(x[i])))
        else:
            out[i] = 0.0


@kernel
def box_l1_qp(H, g, x, l1, lo, hi, y, tol, max_sweeps):
    """Minimize ``g'(y - x) + (y - x)'H(y - x)/2 + l1 ||y||_1`` over ``lo <= y <= hi`` by cyclic CD.

    ``y`` holds the start on entry and the solution on exit.  Stops when a sweep changes no entry
    by more than ``tol * max(1, ||y||_inf)``; returns the number of sweeps.
    """
    n = x.shape[0]
    q = g.copy()  # gradient of the model at y
    for i in range(n):
        if y[i] != x[i]:
            for j in range(n):
                q[j] += H[j, i] * (y[i] - x[i])
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        change = 0.0
        ymax = 1.0
        for i in range(n):
            h = H[i, i]
            if h <= 0:
                continue
            new = prox_target(y[i], q[i], h, l1, lo[i], hi[i])
            delta = new - y[i]
            if delta != 0.0:
                y[i] = new
                for j in range(n):
                    q[j] += H[j, i] * delta
                change = max(change, abs(delta))
            ymax = max(ymax, abs(y[i]))
        if change <= tol * ymax:
            break
    return sweeps


@kernel
def _block_model(cptr, cidx, cval, idx, x, g, l1, y, work):
    """``g_b'(y - x_b) + ||A_b (y - x_b)||^2 / 2 + l1 ||y||_1``; ``work`` receives ``A_b(y - x_b)``."""
    work[:] = 0.0
    val = 0.0
    for t in range(idx.shape[0]):
        j = idx[t]
        dt = y[t] - x[j]
        val += g[j] * dt + l1 * abs(y[t])
        if dt != 0.0:
            for p in range(cptr[j], cptr[j + 1]):
                work[cidx[p]] += cval[p] * dt
    return val + 0.5 * np.dot(work, work)


@kernel
def ls_block_cd(cptr, cidx, cval, idx, lip, x, g, l1, lo, hi, y, work, tol, max_sweeps):
    """Exact least-squares block step: minimize ``g_b'(y - x_b) + ||A_b (y - x_b)||^2 / 2 +
    l1 ||y||_1`` over ``lo <= y <= hi`` by cyclic CD, matrix-free (``work = A_b (y - x_b)``).

    ``y`` starts at ``x[idx]``.  After a full sweep only the non-zero coordinates are swept until
    no coordinate's prox-residual ``L_j |delta_j|`` exceeds ``tol``; a full sweep then confirms.
    Every 5 sweeps over the same coordinates, Anderson extrapolation of the last iterates is tried
    and kept if it is feasible and lowers the model.  ``work`` (length m) must be zero and is
    restored.  Returns the number of sweeps.
    """
    nb = idx.shape[0]
    depth = 5
    hist = np.empty((depth + 1, nb), dtype=y.dtype)
    trial = np.empty(nb, dtype=y.dtype)
    trial_work = np.empty_like(work)
    nh = 0
    sweeps = 0
    full = True
    while sweeps < max_sweeps:
        sweeps += 1
        change = 0.0
        for t in range(nb):
            if not full and y[t] == 0.0:
                continue
            j = idx[t]
            L = lip[j]
            if L <= 0:
                continue
            q = g[j]
            for p in range(cptr[j], cptr[j + 1]):
                q += cval[p] * work[cidx[p]]
            new = prox_target(y[t], q, L, l1, lo[j], hi[j])
            delta = new - y[t]
            if delta != 0.0:
                y[t] = new
                for p in range(cptr[j], cptr[j + 1]):
                    work[cidx[p]] += cval[p] * delta
                change = max(change, L * abs(delta))
        if change <= tol:
            if full:
                break
            full = True
            nh = 0
            continue
        if full:
            full = False
            nh = 0
            continue
        hist[nh] = y
        nh += 1
        if nh == depth + 1:  # Anderson extrapolation on the last depth+1 active sweeps
            nh = 0
            U = hist[1:] - hist[:-1]
            C = U @ U.T
            reg = 1e-10 * max(np.trace(C), 1e-300)
            for k in range(depth):
                C[k, k] += reg
            z = np.linalg.solve(C, np.ones(depth, dtype=C.dtype))
            z /= z.sum()
            for t in range(nb):
                v = 0.0
                for k in range(depth):
                    v += z[k] * hist[k + 1, t]
                if (y[t] == 0.0 and v != 0.0) or v < lo[idx[t]] or v > hi[idx[t]]:
                    v = y[t]  # keep zeros and bounds: extrapolate only the free coordinates
                trial[t] = v
            f_trial = _block_model(cptr, cidx, cval, idx, x, g, l1, trial, trial_work)
            f_now = 0.0
            for t in range(nb):
                f_now += g[idx[t]] * (y[t] - x[idx[t]]) + l1 * abs(y[t])
            f_now += 0.5 * np.dot(work, work)
            if f_trial < f_now:
                y[:] = trial
                work[:] = trial_work
    for t in range(nb):
        j = idx[t]
        for p in range(cptr[j], cptr[j + 1]):
            work[cidx[p]] = 0.0
    return sweeps


@kernel
def sym_scatter_update(indptr, indices, data, idx, d, g):
    """``g += Q[:, idx] d`` for a symmetric CSR ``Q`` (rows ``idx`` read as columns)."""
    for t in range(idx.shape[0]):
        j = idx[t]
        dt = d[t]
        for k in range(indptr[j], indptr[j + 1]):
            g[indices[k]] += data[k] * dt


@kernel
def gram_block(cptr, cidx, cval, cols, work, H):
    """``H = A[:, cols]' A[:, cols]`` from CSC triples; ``work`` (length m) must be zero (restored)."""
    nb = cols.shape[0]
    for a in range(nb):
        ja = cols[a]
        for q in range(cptr[ja], cptr[ja + 1]):
            work[cidx[q]] = cval[q]
        for b in range(a, nb):
            jb = cols[b]
            acc = 0.0
            for q in range(cptr[jb], cptr[jb + 1]):
                acc += work[cidx[q]] * cval[q]
            H[a, b] = acc
            H[b, a] = acc
        for q in range(cptr[ja], cptr[ja + 1]):
            work[cidx[q]] = 0.0


@kernel
def softmax_hess_block(rptr, ridx, rval, feats, gstart, gpos, cls, P, gid, grp, val, H):
    """Softmax Hessian block ``H[t, u] += sum_i A[i, j_t] A[i, j_u] P[i, c_t] (delta(c_t, c_u) -
    P[i, c_u])`` row by row from CSR triples: ``O(nnz(A) + sum_i (classes of the block in row
    i)^2)``.  The block's variables are grouped by feature: ``feats[a]`` owns positions
    ``gpos[gstart[a]:gstart[a + 1]]``; ``cls`` holds each position's class.  ``gid`` (length p)
    must be -1 (restored); ``grp``/``val`` hold one row's block features (length ``feats``)."""
    s = feats.shape[0]
    for a in range(s):
        gid[feats[a]] = a
    for i in range(rptr.shape[0] - 1):
        r = 0
        for q in range(rptr[i], rptr[i + 1]):
            a = gid[ridx[q]]
            if a >= 0:
                grp[r] = a
                val[r] = rval[q]
                r += 1
        for x in range(r):
            a = grp[x]
            for y in range(x, r):
                b = grp[y]
                w = val[x] * val[y]
                for ta in range(gstart[a], gstart[a + 1]):
                    t = gpos[ta]
                    ct = cls[t]
                    wp = w * P[i, ct]
                    for ub in range(gstart[b], gstart[b + 1]):
                        u = gpos[ub]
                        v = -wp * P[i, cls[u]]
                        if cls[u] == ct:
                            v += wp
                        H[t, u] += v
                        if y != x:
                            H[u, t] += v
    for a in range(s):
        gid[feats[a]] = -1


@kernel
def _row_derivative(loss, u, target, out, with_loss):
    """``phi'(u)`` of one data row into ``out``; returns the row's loss ``phi(u)`` when
    ``with_loss`` (else 0): squared ``|u - b|^2 / 2``, logistic ``log(1 + e^{-y u})``, softmax
    ``logsumexp(u) - u'y``."""
    k = u.shape[0]
    value = 0.0
    if loss == LOSS_SQUARED:
        for c in range(k):
            out[c] = u[c] - target[c]
            if with_loss:
                value += 0.5 * out[c] * out[c]
    elif loss == LOSS_LOGISTIC:
        for c in range(k):
            z = target[c] * u[c]
            if z > 0:
                e = math.exp(-z)
                out[c] = -target[c] * e / (1.0 + e)
                if with_loss:
                    value += math.log1p(e)
            else:
                e = math.exp(z)
                out[c] = -target[c] / (1.0 + e)
                if with_loss:
                    value += math.log1p(e) - z
    else:
        top = u[0]
        for c in range(1, k):
            top = max(top, u[c])
        total = 0.0
        for c in range(k):
            out[c] = math.exp(max(u[c] - top, -700.0))  # no subnormals (slow)
            total += out[c]
            if with_loss:
                value -= u[c] * target[c]
        if with_loss:
            value += top + math.log(total)
        for c in range(k):
            out[c] = out[c] / total - target[c]
    return value


@kernel
def data_block_step(cptr, cidx, cval, rptr, ridx, rval, idx, d, U, R, G, T, loss, mark, touched,
                    max_touched):
    """Apply ``X[idx] += d`` (flat index ``j * k + c``) to ``U = A X``, ``R = phi'(U)``, ``G = A'R``.

    Only the rows of ``A`` touched by the changed columns are recomputed (incremental gradient);
    ``mark`` (zeros, length m) and ``touched`` are work arrays.  Returns the number of touched rows;
    when it exceeds ``max_touched``, ``G`` is left stale (the caller recomputes ``A'R`` in one
    streaming product, cheaper than scattering most rows).
    """
    k = U.shape[1]
    nt = 0
    for t in range(idx.shape[0]):
        dt = d[t]
        if dt == 0.0:
            continue
        j = idx[t] // k
        c = idx[t] - j * k
        for q in range(cptr[j], cptr[j + 1]):
            i = cidx[q]
            U[i, c] += cval[q] * dt
            if mark[i] == 0:
                mark[i] = 1
                touched[nt] = i
                nt += 1
    new = np.empty(k, dtype=U.dtype)
    delta = np.empty(k, dtype=U.dtype)
    scatter = nt <= max_touched
    for s in range(nt):
        i = touched[s]
        mark[i] = 0
        _row_derivative(loss, U[i], T[i], new, False)
        for c in range(k):
            delta[c] = new[c] - R[i, c]
            R[i, c] = new[c]
        if not scatter:
            continue
        for q in range(rptr[i], rptr[i + 1]):
            j = ridx[q]
            a = rval[q]
            for c in range(k):
                G[j, c] += a * delta[c]
    return nt


@kernel
def row_losses(loss, U, T, R, rowloss):
    """``R[i] = phi'(U[i])`` and ``rowloss[i] = phi(U[i])`` for every data row."""
    for i in range(U.shape[0]):
        rowloss[i] = _row_derivative(loss, U[i], T[i], R[i], True)


@kernel
def _solve_spd(H, b):
    """``H^{-1} b`` by Cholesky; the minimum-norm least-squares solution for a singular ``H``."""
    out = np.empty(b.shape[0])
    if not cholesky_solve(H.copy(), b, out):
        out = np.linalg.lstsq(H, b, rcond=-1.0)[0]
    return out


@kernel
def _row_trial(rows, U, T, loss, dU, step, newU, newR, newloss, rowloss):
    """Loss change of the rows ``rows`` under ``U[rows] += step dU``; the new rows, derivatives and
    losses go to ``newU``, ``newR``, ``newloss``."""
    delta = 0.0
    for r in range(rows.shape[0]):
        i = rows[r]
        for c in range(U.shape[1]):
            newU[r, c] = U[i, c] + step * dU[r, c]
        newloss[r] = _row_derivative(loss, newU[r], T[i], newR[r], True)
        delta += newloss[r] - rowloss[i]
    return delta


@kernel
def _touched_rows(cptr, cidx, idx, k, mark):
    """The rows of ``A`` with a non-zero in a column ``j = idx[t] // k`` of block ``idx``; on exit
    ``mark[i]`` is the position of row ``i`` in the result (``mark``, length m, must be -1: the
    caller restores it)."""
    total = 0
    for t in range(idx.shape[0]):
        j = idx[t] // k
        total += cptr[j + 1] - cptr[j]
    rows = np.empty(total, np.int64)
    nr = 0
    for t in range(idx.shape[0]):
        j = idx[t] // k
        for q in range(cptr[j], cptr[j + 1]):
            i = cidx[q]
            if mark[i] < 0:
                mark[i] = nr
                rows[nr] = i
                nr += 1
    return rows[:nr]


@kernel
def _block_rows(cptr, cidx, cval, idx, k, mark):
    """The rows touched by the features of block ``idx`` and the dense ``E[r, t] = A[rows[r], j_t]``
    (``mark``, length m, must be -1 and is restored)."""
    rows = _touched_rows(cptr, cidx, idx, k, mark)
    nr = rows.shape[0]
    E = np.zeros((nr, idx.shape[0]))
    for t in range(idx.shape[0]):
        j = idx[t] // k
        for q in range(cptr[j], cptr[j + 1]):
            E[mark[cidx[q]], t] = cval[q]
    for r in range(nr):
        mark[rows[r]] = -1
    return rows, E


@kernel
def _bound_block(E, cls, k, loss, l2):
    """``H_b = S o (E'E) + l2 I``, ``S`` = 1 (squared), 1/4 (logistic), Boehning's ``0.5 (delta_cc'
    - 1/k')`` (softmax, ``k' = min(k, classes in the block + 1)``): ``H_b >= grad^2 f`` everywhere."""
    nb = cls.shape[0]
    seen = np.zeros(k, np.int64)
    for t in range(nb):
        seen[cls[t]] = 1
    kk = min(k, seen.sum() + 1)
    H = E.T @ E
    for t in range(nb):
        for u in range(nb):
            if loss == LOSS_SQUARED:
                s = 1.0
            elif loss == LOSS_LOGISTIC:
                s = 0.25
            else:
                s = 0.5 * ((1.0 if cls[t] == cls[u] else 0.0) - 1.0 / kk)
            H[t, u] *= s
        H[t, t] += l2
    return H


@kernel
def _block_direction(E, cls, idx, x, d, k):
    """``dU = A dX`` on the touched rows (shape (rows, k)), ``x_b'd`` and ``d'd`` for step ``d``."""
    nr = E.shape[0]
    dU = np.zeros((nr, k))
    xd = 0.0
    for t in range(cls.shape[0]):
        xd += x[idx[t]] * d[t]
        for r in range(nr):
            dU[r, cls[t]] += E[r, t] * d[t]
    return dU, xd, np.dot(d, d)


@kernel
def newton_on_rows(rows, E, idx, x, U, R, rowloss, T, loss, l2, slack, c1, trials, seen):
    """Newton step on block ``idx`` of a data problem from its touched ``rows`` and the dense
    ``E[r, t] = A[rows[r], j_t]`` (:func:`_block_rows`).

    ``g_b = E'R + l2 x_b`` and the true Hessian block ``H_b[t, u] = sum_r E_rt E_ru w_r(c_t, c_u)
    + l2 delta_tu`` (``w = P_c (delta_cc' - P_c')`` softmax, ``s (1 - s)`` logistic, 1 squared) are
    built on the touched rows; ``d = -H_b^{-1} g_b`` (Cholesky, min-norm lstsq when singular);
    Armijo backtracking ``F(x + s d) <= F(x) + c1 s g_b'd + slack`` (halving, ``trials`` tries),
    else the bound step ``-H_bound^{-1} g_b`` (a sure decrease).  ``seen[idx] = |g_b|`` (before the
    step).  On success ``x``, ``U``, ``R`` and ``rowloss`` are updated.  Returns ``(delta F,
    objective trials, 1 if the bound step was taken, ok)``; ``ok`` is False, and nothing changed,
    when the new objective is not finite.
    """
    k = U.shape[1]
    nb = idx.shape[0]
    nr = rows.shape[0]
    cls = np.empty(nb, np.int64)
    g = np.empty(nb)
    for t in range(nb):
        cls[t] = idx[t] % k
        g[t] = l2 * x[idx[t]]
    B = np.empty((nr, nb))  # E scaled by the curvature weight of each row and class
    for r in range(nr):
        i = rows[r]
        for t in range(nb):
            c = cls[t]
            e = E[r, t]
            g[t] += e * R[i, c]
            if loss == LOSS_SOFTMAX:
                w = R[i, c] + T[i, c]  # the probability P[i, c]
            elif loss == LOSS_LOGISTIC:
                w = abs(R[i, c])  # sigmoid(-y u)
                w = w * (1.0 - w)
            else:
                w = 1.0
            B[r, t] = e * w
    for t in range(nb):
        seen[idx[t]] = abs(g[t])
    H = np.zeros((nb, nb))
    for t in range(nb):
        for u in range(t, nb):
            if cls[t] == cls[u]:
                acc = 0.0
                for r in range(nr):
                    acc += E[r, t] * B[r, u]
                H[t, u] = acc
                H[u, t] = acc
    if loss == LOSS_SOFTMAX:
        H -= B.T @ B
    for t in range(nb):
        H[t, t] += l2
    d = _solve_spd(H, -g)
    newU = np.empty((nr, k), U.dtype)
    newR = np.empty((nr, k), U.dtype)
    newloss = np.empty(nr)
    dU, xd, dd = _block_direction(E, cls, idx, x, d, k)
    decrease = np.dot(g, d)
    step = 1.0
    tried = 0
    accepted = False
    while tried < trials:
        tried += 1
        delta = _row_trial(rows, U, T, loss, dU, step, newU, newR, newloss, rowloss) \
            + l2 * (step * xd + 0.5 * step * step * dd)
        if delta <= c1 * step * decrease + slack:
            accepted = True
            break
        step *= 0.5
    bound = 0
    if not accepted:
        bound = 1
        d = _solve_spd(_bound_block(E, cls, k, loss, l2), -g)
        dU, xd, dd = _block_direction(E, cls, idx, x, d, k)
        step = 1.0
        tried += 1
        delta = _row_trial(rows, U, T, loss, dU, step, newU, newR, newloss, rowloss) \
            + l2 * (xd + 0.5 * dd)
    if not math.isfinite(delta):
        return delta, tried, bound, False
    for r in range(nr):
        i = rows[r]
        rowloss[i] = newloss[r]
        for c in range(k):
            U[i, c] = newU[r, c]
            R[i, c] = newR[r, c]
    for t in range(nb):
        x[idx[t]] += step * d[t]
    return delta, tried, bound, True


@kernel
def _counted_step(rows, E, idx, x, U, R, rowloss, T, loss, l2, F, rounding, c1, trials, seen,
                  counts, history, s):
    """Step ``s`` of a run: :func:`newton_on_rows` with rounding slack ``rounding |F|``, adding
    (objective trials, bound steps, coordinates) to ``counts[:3]`` and ``history[s] =`` the new
    ``F``, or ``counts[3] = 1`` on a non-finite objective.  Returns ``(new F, ok)``."""
    delta, tried, bound, ok = newton_on_rows(rows, E, idx, x, U, R, rowloss, T, loss, l2,
                                             rounding * abs(F), c1, trials, seen)
    counts[0] += tried
    counts[1] += bound
    if not ok:
        counts[3] = 1
        return F, False
    counts[2] += idx.shape[0]
    history[s] = F + delta
    return F + delta, True


@kernel
def row_blocks_newton(cptr, cidx, cval, flat, offs, x, U, R, rowloss, T, loss, l2, F, rounding,
                      c1, trials, mark, seen, history, counts):
    """:func:`newton_on_rows` on the blocks ``flat[offs[s]:offs[s + 1]]`` in turn (rows and columns
    from :func:`_block_rows`); ``history[s]`` receives ``F`` after block ``s``, ``counts`` as
    :func:`_counted_step` (a step that met a non-finite objective changed nothing).  Returns the
    number of blocks done (fewer than asked when a step met a non-finite objective)."""
    for s in range(offs.shape[0] - 1):
        idx = flat[offs[s]:offs[s + 1]]
        rows, E = _block_rows(cptr, cidx, cval, idx, U.shape[1], mark)
        F, ok = _counted_step(rows, E, idx, x, U, R, rowloss, T, loss, l2, F, rounding, c1, trials,
                              seen, counts, history, s)
        if not ok:
            return s
    return offs.shape[0] - 1


@kernel
def _block_score(members, s0, s1, G, x, l2, inv_curv):
    """``(sum_{i in block} g_i^2 / D_i, max_{i in block} |g_i|)`` with ``g = G + l2 x``."""
    score = 0.0
    top = 0.0
    for t in range(s0, s1):
        i = members[t]
        gi = G[i] + l2 * x[i]
        score += gi * gi * inv_curv[i]
        top = max(top, abs(gi))
    return score, top


@kernel
def row_greedy_newton(cptr, cidx, cval, rptr, ridx, rval, members, offs, fptr, fblk, inv_curv,
                      scores, tops, threshold, G, x, U, R, rowloss, T, loss, l2, F, rounding, c1,
                      trials, mark, seen, ftouch, dirty, history, counts):
    """Greedy block Newton on a partition: up to ``len(history)`` times take the block of largest
    ``scores`` (``sum_{i in b} g_i^2 / D_i``, ``inv_curv = 1 / D``), step it with
    :func:`newton_on_rows` (which writes ``seen``), then keep ``G = A'R`` (flat, ``g = G + l2 x``)
    exact by scattering the touched rows' change of ``R`` through the CSR rows of ``A`` and rescore
    the blocks holding a changed coordinate (``tops[b] = max_{i in b} |g_i|``); ``counts`` as
    :func:`row_blocks_newton`.  ``fblk[fptr[j]:fptr[j + 1]]`` are the blocks holding a coordinate
    of feature ``j``; ``ftouch`` (length p) and ``dirty`` (number of blocks) must be zero
    (restored).  Returns the number of steps done: fewer than asked when a step met a non-finite
    objective or once ``max_b tops[b] <= threshold`` (the stopping rule, which the caller confirms
    on a fresh gradient).
    """
    k = U.shape[1]
    dlist = np.empty(scores.shape[0], np.int64)
    flist = np.empty(ftouch.shape[0], np.int64)
    dR = np.empty(k)
    Gmat = G.reshape((-1, k))
    for s in range(history.shape[0]):
        b = np.argmax(scores)
        idx = members[offs[b]:offs[b + 1]]
        rows, E = _block_rows(cptr, cidx, cval, idx, k, mark)
        old = R[rows]
        F, ok = _counted_step(rows, E, idx, x, U, R, rowloss, T, loss, l2, F, rounding, c1, trials,
                              seen, counts, history, s)
        if not ok:
            return s
        nf = 0
        for r in range(rows.shape[0]):
            i = rows[r]
            for c in range(k):
                dR[c] = R[i, c] - old[r, c]
            for q in range(rptr[i], rptr[i + 1]):
                j = ridx[q]
                a = rval[q]
                Gj = Gmat[j]  # a row view: the class loop vectorises (flat indexing does not)
                for c in range(k):
                    Gj[c] += a * dR[c]
                if ftouch[j] == 0:
                    ftouch[j] = 1
                    flist[nf] = j
                    nf += 1
        dirty[b] = 1
        dlist[0] = b
        nd = 1
        for a in range(nf):
            j = flist[a]
            ftouch[j] = 0
            for q in range(fptr[j], fptr[j + 1]):
                blk = fblk[q]
                if dirty[blk] == 0:
                    dirty[blk] = 1
                    dlist[nd] = blk
                    nd += 1
        for a in range(nd):
            blk = dlist[a]
            dirty[blk] = 0
            scores[blk], tops[blk] = _block_score(members, offs[blk], offs[blk + 1], G, x, l2,
                                                  inv_curv)
        if tops.max() <= threshold:
            return s + 1
    return history.shape[0]


@kernel
def forest_factor(indptr, indices, data, nodes, mark, order, parent, coef, piv):
    """Factor ``Q[B, B]`` for the block ``B = nodes`` whose graph must be a forest.

    BFS from every unvisited node; a visited neighbour that is not the parent closes a cycle.  Then
    leaves-first elimination ``piv[p] -= coef^2 / piv[i]``.  ``mark`` (length n) must be all -1 on
    entry and is restored.  Returns ``(code, node)``: 0 ok, :data:`CYCLE` or
    :data:`NONPOSITIVE_PIVOT` with the offending node.
    """
    m = nodes.shape[0]
    for t in range(m):
        mark[nodes[t]] = -2
    code = 0
    bad = -1
    head = 0
    tail = 0
    for t in range(m):
        s = nodes[t]
        if mark[s] != -2:
            continue
        mark[s] = tail
        order[tail] = s
        parent[tail] = -1
        coef[tail] = 0.0
        piv[tail] = 0.0
        tail += 1
        while head < tail and code == 0:
            u = order[head]
            pu = head
            head += 1
            for k in range(indptr[u], indptr[u + 1]):
                v = indices[k]
                a = data[k]
                if v == u:
                    piv[pu] += a
                elif a != 0.0:
                    mv = mark[v]
                    if mv == -2:
                        mark[v] = tail
                        order[tail] = v
                        parent[tail] = pu
                        coef[tail] = a
                        piv[tail] = 0.0
                        tail += 1
                    elif mv >= 0 and mv != parent[pu]:
                        code = CYCLE
                        bad = u
                        break
        if code != 0:
            break
    if code == 0:
        for pos in range(m - 1, -1, -1):
            if not piv[pos] > 0.0:
                code = NONPOSITIVE_PIVOT
                bad = order[pos]
                break
            p = parent[pos]
            if p >= 0:
                piv[p] -= coef[pos] * coef[pos] / piv[pos]
    for t in range(m):
        mark[nodes[t]] = -1
    return code, bad


@kernel
def forest_factor_blocks(indptr, indices, data, members, seg, mark, order, parent, coef, piv):
    """:func:`forest_factor` for every block ``members[seg[k]:seg[k+1]]``; the factors are stored
    at the same positions.  Returns ``(code, node, block)``, block -1 when all are forests."""
    for k in range(seg.shape[0] - 1):
        s0 = seg[k]
        s1 = seg[k + 1]
        code, bad = forest_factor(indptr, indices, data, members[s0:s1], mark, order[s0:s1],
                                  parent[s0:s1], coef[s0:s1], piv[s0:s1])
        if code != 0:
            return code, bad, k
    return 0, -1, -1


@kernel
def forest_apply(parent, coef, piv, y):
    """Solve with a forest factor in place: ``y`` is indexed by BFS position (two passes, O(m))."""
    m = y.shape[0]
    for pos in range(m - 1, -1, -1):
        p = parent[pos]
        if p >= 0:
            y[p] -= coef[pos] / piv[pos] * y[pos]
    for pos in range(m):
        p = parent[pos]
        if p >= 0:
            y[pos] = (y[pos] - coef[pos] * y[p]) / piv[pos]
        else:
            y[pos] = y[pos] / piv[pos]


@kernel
def forest_newton_step(indptr, indices, data, nodes, g, mark, order, parent, coef, piv, d):
    """Exact block step ``d = -Q[B, B]^{-1} g[B]`` on a forest block; ``d`` follows ``order``.

    Returns ``(code, node)`` as :func:`forest_factor`.
    """
    code, bad = forest_factor(indptr, indices, data, nodes, mark, order, parent, coef, piv)
    if code != 0:
        return code, bad
    m = nodes.shape[0]
    for pos in range(m):
        d[pos] = -g[order[pos]]
    forest_apply(parent[:m], coef[:m], piv[:m], d[:m])
    return 0, -1


@kernel
def _find(uf, i):
    while uf[i] != i:
        uf[i] = uf[uf[i]]
        i = uf[i]
    return i


@kernel
def greedy_forest(indptr, indices, data, candidates, mark, uf, stamp, out):
    """Scan ``candidates`` in order; add node i iff its neighbours already in the block lie in
    pairwise different trees (union-find), then merge them.  O(nnz alpha(n)).

    ``mark`` (all -1, restored) and ``uf``, ``stamp`` (all -1 on entry) are work arrays of length n.
    The block goes to ``out``; returns its size.
    """
    cnt = 0
    for t in range(candidates.shape[0]):
        i = candidates[t]
        ok = True
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j == i or data[k] == 0.0 or mark[j] < 0:
                continue
            r = _find(uf, j)
            if stamp[r] == t:
                ok = False
                break
            stamp[r] = t
        if not ok:
            continue
        mark[i] = cnt
        out[cnt] = i
        cnt += 1
        uf[i] = i
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j == i or data[k] == 0.0 or mark[j] < 0:
                continue
            uf[_find(uf, j)] = i
    for t in range(cnt):
        mark[out[t]] = -1
        uf[out[t]] = -1
    stamp[:] = -1
    return cnt


@kernel
def _breadth_first(indptr, indices, data, start, queue, head, seen, ptr, idx, val, renumber):
    """Breadth-first search from ``start`` over the nonzero off-diagonal entries, skipping nodes
    with ``seen >= 0``; the visited nodes go to ``queue[head:]`` (``seen`` set to their places).
    With ``renumber``, row ``queue[k]`` is also copied to ``ptr``/``idx``/``val`` as row ``k``,
    columns renumbered to places and explicit zeros off the diagonal dropped (every neighbour has
    its place once its row has been read).  Returns the end of the queue."""
    queue[head] = start
    seen[start] = head
    tail = head + 1
    while head < tail:
        i = queue[head]
        at = ptr[head]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j != i and data[k] == 0.0:
                continue
            if seen[j] < 0:
                seen[j] = tail
                queue[tail] = j
                tail += 1
            if renumber:
                idx[at] = seen[j]
                val[at] = data[k]
                at += 1
        head += 1
        if renumber:
            ptr[head] = at
    return tail


@kernel
def breadth_first_renumber(indptr, indices, data, order, seen, ptr, idx, val):
    """Breadth-first order of every connected component (lowest-numbered first), each from a
    pseudo-peripheral node: the last one reached by a first search from its lowest-numbered node
    (the start of Cuthill-McKee); and the graph renumbered in that order, ``A[order][:, order]``
    without explicit zeros off the diagonal, as CSR triples (``ptr[0] = 0``; ``idx``, ``val`` of
    length ``nnz(A)``; the entries used are ``:ptr[n]``).  ``seen``: length n, all -1 on entry.
    O(nnz); passes over the renumbered graph then read memory nearly in sequence."""
    head = 0
    for s in range(indptr.shape[0] - 1):
        if seen[s] >= 0:
            continue
        tail = _breadth_first(indptr, indices, data, s, order, head, seen, ptr, idx, val, False)
        far = order[tail - 1]
        for k in range(head, tail):
            seen[order[k]] = -1
        head = _breadth_first(indptr, indices, data, far, order, head, seen, ptr, idx, val, True)


@kernel
def forest_partition_assign(indptr, indices, data, visit, forest_of, uf, stamp, runs):
    """Put each node (in ``visit`` order) into the lowest-numbered forest where it closes no cycle,
    else open a new one; with ``runs``, only the last opened forest is tried (forests are then runs
    of consecutive nodes of ``visit``).  ``forest_of``, ``uf``, ``stamp``: length n, all -1.
    Returns #forests."""
    nforests = 0
    counter = 0
    for t in range(visit.shape[0]):
        i = visit[t]
        chosen = nforests
        for f in range(nforests - 1 if runs and nforests > 0 else 0, nforests):
            counter += 1
            ok = True
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if j == i or data[k] == 0.0 or forest_of[j] != f:
                    continue
                r = _find(uf, j)
                if stamp[r] == counter:
                    ok = False
                    break
                stamp[r] = counter
            if ok:
                chosen = f
                break
        if chosen == nforests:
            nforests += 1
        forest_of[i] = chosen
        uf[i] = i
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j != i and data[k] != 0.0 and forest_of[j] == chosen:
                uf[_find(uf, j)] = i
    return nforests


@kernel
def greedy_coloring(indptr, indices, data, color, counts, used):
    """Greedy colouring in index order: the allowed colour with the fewest nodes, else a new one.

    ``color`` (all -1), ``counts`` and ``used`` (zeros) have length n.  Returns #colours.
    """
    ncolors = 0
    for i in range(indptr.shape[0] - 1):
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j != i and data[k] != 0.0 and color[j] >= 0:
                used[color[j]] = i + 1
        best = -1
        for c in range(ncolors):
            if used[c] != i + 1 and (best < 0 or counts[c] < counts[best]):
                best = c
        if best < 0:
            best = ncolors
            ncolors += 1
        color[i] = best
        counts[best] += 1
    return ncolors


@kernel
def split_off_blocks(indptr, indices, data, perm, seg):
    """The entries coupling each block to earlier blocks (``lo``) and to later ones (``up``), by
    position (node ``perm[p]`` at ``p``; block ``b`` at ``seg[b]:seg[b+1]``), with position columns.

    Each part is ``(ptr, rows, cols, vals)``: ``ptr`` the CSR row pointers, and the entries of a
    block (``ptr[seg[b]]:ptr[seg[b+1]]``) in *slot order* -- the first entry of every row, then
    the second, ..., rows ascending within a slot -- so that accumulating a block's entries into
    their rows is one branch-free loop without a store-to-load chain through a row.  O(nnz).
    """
    n = perm.shape[0]
    nb = seg.shape[0] - 1
    block_of = np.empty(n, np.int64)  # block of each node
    for b in range(nb):
        for p in range(seg[b], seg[b + 1]):
            block_of[perm[p]] = b
    position = np.empty(n, np.int64)
    for p in range(n):
        position[perm[p]] = p
    lo_ptr = np.zeros(n + 1, np.int64)
    up_ptr = np.zeros(n + 1, np.int64)
    width = 0
    for p in range(n):
        i = perm[p]
        own = block_of[i]
        for k in range(indptr[i], indptr[i + 1]):
            c = block_of[indices[k]]
            if c < own:
                lo_ptr[p + 1] += 1
            elif c > own:
                up_ptr[p + 1] += 1
        width = max(width, lo_ptr[p + 1], up_ptr[p + 1])
    lo_count = lo_ptr[1:].copy()
    up_count = up_ptr[1:].copy()
    for p in range(n):
        lo_ptr[p + 1] += lo_ptr[p]
        up_ptr[p + 1] += up_ptr[p]
    lo_row, lo_col = np.empty(lo_ptr[n], np.int64), np.empty(lo_ptr[n], np.int64)
    up_row, up_col = np.empty(up_ptr[n], np.int64), np.empty(up_ptr[n], np.int64)
    lo_val, up_val = np.empty(lo_ptr[n], data.dtype), np.empty(up_ptr[n], data.dtype)
    lo_next = np.empty(width + 1, np.int64)  # next free place of each slot in the block
    up_next = np.empty(width + 1, np.int64)
    for b in range(nb):
        lo_next[:] = 0
        up_next[:] = 0
        for p in range(seg[b], seg[b + 1]):
            lo_next[lo_count[p]] += 1  # rows with exactly that many entries
            up_next[up_count[p]] += 1
        lo_at = lo_ptr[seg[b]]
        up_at = up_ptr[seg[b]]
        lo_rows = seg[b + 1] - seg[b]  # rows with more than s entries, s = 0, 1, ...
        up_rows = lo_rows
        for slot in range(width + 1):
            lo_rows -= lo_next[slot]
            up_rows -= up_next[slot]
            lo_next[slot] = lo_at
            up_next[slot] = up_at
            lo_at += lo_rows
            up_at += up_rows
        for p in range(seg[b], seg[b + 1]):
            i = perm[p]
            lo_slot = 0
            up_slot = 0
            for k in range(indptr[i], indptr[i + 1]):
                c = block_of[indices[k]]
                if c < b:
                    at = lo_next[lo_slot]
                    lo_next[lo_slot] += 1
                    lo_slot += 1
                    lo_row[at] = p
                    lo_col[at] = position[indices[k]]
                    lo_val[at] = data[k]
                elif c > b:
                    at = up_next[up_slot]
                    up_next[up_slot] += 1
                    up_slot += 1
                    up_row[at] = p
                    up_col[at] = position[indices[k]]
                    up_val[at] = data[k]
    return (lo_ptr, lo_row, lo_col, lo_val), (up_ptr, up_row, up_col, up_val)


@kernel
def forest_eliminate(s0, s1, parent, mult, y):
    """Leaves-first elimination ``y_parent -= mult_p y_p`` on positions ``s0:s1`` (children have
    higher positions).  A parent at ``p - 1`` (paths) is updated in a register, off the memory
    dependency chain.  :func:`split_backward` and :func:`split_forward` write this loop out, fused
    with their own per-node work: a per-node helper call made their product 5x slower."""
    carry = 0.0
    for p in range(s1 - 1, s0 - 1, -1):
        v = y[p] + carry
        y[p] = v
        carry = 0.0
        q = parent[p]
        if q == p - 1:
            carry = -mult[p] * v
        elif q >= 0:
            y[q] -= mult[p] * v


@kernel
def _solve_block(s0, s1, parent, mult, inv_piv, y):
    """``y = D_b^{-1} y`` on the positions ``s0:s1`` of one forest block, in place."""
    forest_eliminate(s0, s1, parent, mult, y)
    for p in range(s0, s1):
        y[p] *= inv_piv[p]
    _substitute(s0, s1, parent, mult, y, y)


@kernel
def tree_sgs_apply(lo_ptr, lo_row, lo_idx, lo_val, up_ptr, up_row, up_idx, up_val, seg, perm,
                   parent, mult, inv_piv, r, z, s, y):
    """``z = M^{-1} r`` for the symmetric block Gauss-Seidel ``M = (D + L) D^{-1} (D + U)`` whose
    diagonal blocks ``D`` are forests, reading the off-block entries once.

    Everything is in *positions*: node ``perm[p]`` sits at ``p``, block ``b`` at ``seg[b]:seg[b+1]``
    in BFS order (``parent[p] < p``, absolute positions; ``mult = Q[p, parent] / piv_p``); ``lo_*``
    and ``up_*`` are the entries coupling a block to earlier and later blocks, as returned by
    :func:`split_off_blocks`.  Forward sweep: ``s_b = r_b - L_b y``, ``y_b = D_b^{-1} s_b``;
    backward sweep (blocks ``nb-2 .. 0``; the last one's right-hand side is unchanged): ``y_b =
    D_b^{-1} (s_b - U_b y)``, as the earlier blocks still hold their forward values.  ``s``,
    ``y``: work arrays of length n; nothing is allocated.
    """
    nb = seg.shape[0] - 1
    for b in range(nb):
        s0 = seg[b]
        s1 = seg[b + 1]
        for p in range(s0, s1):
            s[p] = r[perm[p]]
        for q in range(lo_ptr[s0], lo_ptr[s1]):
            s[lo_row[q]] -= lo_val[q] * y[lo_idx[q]]
        for p in range(s0, s1):
            y[p] = s[p]
        _solve_block(s0, s1, parent, mult, inv_piv, y)
    for b in range(nb - 2, -1, -1):
        s0 = seg[b]
        s1 = seg[b + 1]
        for p in range(s0, s1):
            y[p] = s[p]
        for q in range(up_ptr[s0], up_ptr[s1]):
            y[up_row[q]] -= up_val[q] * y[up_idx[q]]
        _solve_block(s0, s1, parent, mult, inv_piv, y)
    for p in range(seg[nb]):
        z[perm[p]] = y[p]


@kernel(contract=True)
def _substitute(s0, s1, parent, mult, a, t):
    """Back substitution ``t_k = a_k - mult_k t_parent`` on positions ``s0:s1``, roots first (the
    previous value is kept in a register for paths; one FMA per node on that chain)."""
    prev = 0.0
    for k in range(s0, s1):
        q = parent[k]
        v = a[k]
        if q == k - 1:
            v -= mult[k] * prev
        elif q >= 0:
            v -= mult[k] * t[q]
        t[k] = v
        prev = v


@kernel
def split_backward(up_ptr, up_row, up_idx, up_val, seg, parent, mult, inv_piv, piv, rh, beta, p,
                   t, e, q):
    """Backward half of Eisenstat's product for ``M = (D + L) D^{-1} (D + U)``, ``D = W Lambda W^T``
    the forest factor (``W`` unit, ``W[parent_k, k] = mult_k``; positions as
    :func:`tree_sgs_apply`; ``U`` as the ``up`` part of :func:`split_off_blocks`).

    Per block ``b`` from the last: ``p_b = Lambda_b rh_b + beta p_b`` (CG's new direction),
    ``e_b = W_b^{-1} U_b t``, ``q_b = Lambda_b^{-1} (p_b - e_b)`` and ``t_b = W_b^{-T} q_b``, so
    that ``t = (D + U)^{-1} W p``: one gather and one leaves-first and one roots-first loop per
    block.  ``e`` is work space (each block's part is zeroed before its gather).
    """
    for b in range(seg.shape[0] - 2, -1, -1):
        s0 = seg[b]
        s1 = seg[b + 1]
        for k in range(s0, s1):
            e[k] = 0.0
        for j in range(up_ptr[s0], up_ptr[s1]):
            e[up_row[j]] += up_val[j] * t[up_idx[j]]
        carry = 0.0
        for k in range(s1 - 1, s0 - 1, -1):
            pk = piv[k] * rh[k] + beta * p[k]
            p[k] = pk
            v = e[k] + carry  # children eliminated
            e[k] = v
            carry = 0.0
            a = parent[k]
            if a == k - 1:
                carry = -mult[k] * v
            elif a >= 0:
                e[a] -= mult[k] * v
            q[k] = (pk - v) * inv_piv[k]
        _substitute(s0, s1, parent, mult, q, t)


@kernel
def split_forward(lo_ptr, lo_row, lo_idx, lo_val, seg, parent, mult, inv_piv, e, u, out, product,
                  p):
    """Forward block sweep ``u = (D + L)^{-1} W e`` (``e``: ``W^{-1}`` of the right-hand side per
    block), with ``W^T u = Lambda^{-1} (e + W^{-1} (-L u))`` per block written to ``out`` and
    ``out^T Lambda out`` returned; with ``product`` (after :func:`split_backward`), it is added to
    ``out`` and ``p^T out`` is returned.  ``u`` is overwritten (each block's part is zeroed before
    its gather).
    """
    total = 0.0
    for b in range(seg.shape[0] - 1):
        s0 = seg[b]
        s1 = seg[b + 1]
        for k in range(s0, s1):
            u[k] = 0.0
        for j in range(lo_ptr[s0], lo_ptr[s1]):
            u[lo_row[j]] -= lo_val[j] * u[lo_idx[j]]
        carry = 0.0
        for k in range(s1 - 1, s0 - 1, -1):
            f = u[k] + carry  # W^{-1} (-L u), children eliminated
            carry = 0.0
            a = parent[k]
            if a == k - 1:
                carry = -mult[k] * f
            elif a >= 0:
                u[a] -= mult[k] * f
            ef = e[k] + f
            c = ef * inv_piv[k]
            u[k] = c
            if product:
                c += out[k]
                total += p[k] * c
            else:
                total += c * ef  # piv_k c^2
            out[k] = c
        _substitute(s0, s1, parent, mult, u, u)
    return total


def warmup():
    """Compile every kernel here for float32 and float64 (or load them from the cache)."""
    i64 = np.int64
    indptr = np.array([0, 2, 5, 7], dtype=i64)
    indices = np.array([0, 1, 0, 1, 2, 1, 2], dtype=i64)
    nodes = np.arange(3, dtype=i64)
    idx = np.array([1], dtype=i64)
    for dtype in (np.float32, np.float64):
        data = np.array([2.0, -1.0, -1.0, 2.0, -1.0, -1.0, 2.0], dtype=dtype)
        v = np.ones(3, dtype=dtype)
        lo, hi = np.full(3, -np.inf, dtype=dtype), np.full(3, np.inf, dtype=dtype)
        out = np.empty(3, dtype=dtype)
        prox_residual(v, v, v, 0.0, lo, hi)
        gsq_scores(v, v, v, 0.0, lo, hi, out)
        H = np.eye(3, dtype=dtype)
        box_l1_qp(H, v, v, 0.0, lo, hi, v.copy(), 1e-13, 10)
        sym_scatter_update(indptr, indices, data, idx, v[:1], out)
        gram_block(indptr, indices, data, nodes, np.zeros(3, dtype=dtype), np.empty((3, 3)))
        softmax_hess_block(indptr, indices, data, nodes, np.arange(4, dtype=i64), nodes, nodes,
                           np.ones((3, 3)), np.full(3, -1, i64), np.empty(3, i64),
                           np.empty(3, dtype=dtype), np.zeros((3, 3)))
        ls_block_cd(indptr, indices, data, nodes, v, v, v, 0.0, lo, hi, v.copy(),
                    np.zeros(3, dtype=dtype), 1e-13, 10)
        mark, order, parent = np.full(3, -1, i64), np.empty(3, i64), np.empty(3, i64)
        coef, piv = np.empty(3, dtype=dtype), np.empty(3, dtype=dtype)
        forest_newton_step(indptr, indices, data, nodes, v, mark, order, parent, coef, piv, out)
        forest_factor_blocks(indptr, indices, data, nodes, np.array([0, 1, 3], dtype=i64), mark,
                             order, parent, coef, piv)
        seg = np.array([0, 3], dtype=i64)
        lo, up = split_off_blocks(indptr, indices, data, nodes, np.array([0, 1, 3], dtype=i64))
        w = [v.copy() for _ in range(5)]
        tree_sgs_apply(*lo, *up, seg, nodes, parent, coef, piv, v, out, w[0], w[1])
        forest_eliminate(0, 3, parent, coef, w[0])
        split_backward(*up, seg, parent, coef, piv, piv, v, 0.5, *w[:4])
        split_forward(*lo, seg, parent, coef, piv, *w[:3], True, w[3])
        for loss, k in ((LOSS_SQUARED, 1), (LOSS_LOGISTIC, 1), (LOSS_SOFTMAX, 3)):
            U, R, T = (np.ones((3, k), dtype=dtype) for _ in range(3))
            G = np.zeros((3, k), dtype=dtype)
            data_block_step(indptr, indices, data, indptr, indices, data, idx, v[:1], U, R, G, T,
                            loss, np.zeros(3, i64), np.empty(3, i64), 3)
            rowloss = np.empty(3)
            row_losses(loss, U, T, R, rowloss)
            x = np.zeros(3 * k, dtype=dtype)
            flat, offs = np.arange(3 * k, dtype=i64), np.array([0, k, 3 * k], dtype=i64)
            mark = np.full(3, -1, i64)
            counts = np.zeros(4, i64)
            row_blocks_newton(indptr, indices, data, flat, offs, x, U, R, rowloss, T, loss, 1.0,
                              1.0, 1e-15, 1e-4, 30, mark, np.zeros(3 * k), np.empty(2), counts)
            row_greedy_newton(indptr, indices, data, indptr, indices, data, flat, offs,
                              np.array([0, 1, 2, 3], dtype=i64), np.array([0, 1, 1], dtype=i64),
                              np.ones(3 * k), np.ones(2), np.ones(2), 0.0,
                              np.zeros(3 * k), x, U, R, rowloss, T, loss, 1.0, 1.0, 1e-15, 1e-4,
                              30, mark, np.zeros(3 * k), np.zeros(3, i64), np.zeros(2, i64),
                              np.empty(2), counts)
    data = np.ones(7)
    work = [np.full(3, -1, i64) for _ in range(3)]
    greedy_forest(indptr, indices, data, nodes, work[0], work[1], work[2], np.empty(3, i64))
    work = [np.full(3, -1, i64) for _ in range(3)]
    forest_partition_assign(indptr, indices, data, nodes, work[0], work[1], work[2], True)
    breadth_first_renumber(indptr, indices, data, np.empty(3, i64), np.full(3, -1, i64),
                           np.zeros(4, i64), np.empty(7, i64), np.empty(7))
    greedy_coloring(indptr, indices, data, np.full(3, -1, i64), np.zeros(3, i64), np.zeros(3, i64))
