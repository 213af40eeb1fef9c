"""OmegaBandit: Tsallis-INF probabilities, learning on stochastic bandits, state, bad input."""
import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq, lsq_linear

from numopt import OmegaBandit
from numopt._kernels._bandit import box_qp, chebcb_box_fit, tsallis_weights
from numopt._lib._jit import host_kernel
from numopt.linalg._bandit import LEARNERS

CONTEXTUAL = [name for name, cls in LEARNERS.items() if cls.contextual]


def _make(learner, d=20, seed=0):
    grid = np.linspace(1.0, 1.95, d)
    context_range = (0.0, 1.0) if LEARNERS[learner].contextual else None
    return OmegaBandit(grid, learner=learner, context_range=context_range, seed=seed)


def _adversarial_losses():
    rng = np.random.default_rng(0)
    yield np.full(20, 7.0)                                     # all equal
    yield 10.0 ** rng.uniform(-300, 300, 20)                   # 1e-300 ... 1e300
    yield np.r_[3.0, np.full(19, 1e300)]                       # one finite, rest huge
    yield np.r_[np.full(19, 1e300), 1e-300]
    yield 1e-300 * rng.random(20)                              # tiny
    yield 1e6 * rng.random(20)
    yield rng.standard_normal(20)                              # negative losses too


@pytest.mark.parametrize("t", [1, 10, 1000, 10**7])
def test_tsallis_weights_normalised_against_brentq(t, jit):
    tsallis = host_kernel(tsallis_weights)
    eta = 2.0 / math.sqrt(t)
    for L in _adversarial_losses():
        p, raw = tsallis(L, eta)
        # |sum p - 1| and the defining equation sum_i (u + a_i)^-2 = 1 (i.e.
        # sum 4 (eta (L_i - x))^-2 = 1 with x = min L - 2u/eta) hold to 1e-10: both are O(d eps)
        # for a root accurate to 1e-13.
        assert abs(p.sum() - 1.0) <= 1e-10
        assert abs(raw.sum() - 1.0) <= 1e-10
        assert np.all(p >= 0) and np.all(np.isfinite(p))
        assert p[np.argmin(L)] == p.max()  # ties among losses equal to rounding are allowed
        # An independent root of g(u) = sum (u + a)^-2 - 1 on [1, sqrt(d)] (scipy's brentq).
        a = 0.5 * eta * (L - L.min())
        u = brentq(lambda v: float(((v + a) ** -2.0).sum()) - 1.0, 1.0, math.sqrt(L.size),
                   xtol=1e-15, rtol=4 * np.finfo(float).eps)
        ref = (u + a) ** -2.0
        np.testing.assert_allclose(p, ref / ref.sum(), rtol=1e-10, atol=1e-300)
        moderate = np.abs(L - L.min()) < 1e100
        assert np.all(p[moderate] > 0)


def test_tsallis_weights_closed_form_two_arms():
    # d = 2, a = (0, a1): (u)^-2 + (u + a1)^-2 = 1; for a1 = 0 the root is sqrt(2), p = 1/2 each.
    p, raw = tsallis_weights(np.array([5.0, 5.0]), 1.0)
    np.testing.assert_allclose(p, [0.5, 0.5], rtol=1e-14)
    np.testing.assert_allclose(raw, [0.5, 0.5], rtol=1e-12)


def _poisson_bandit(learner, T, seed, checkpoints=()):
    """20 arms, Poisson costs with means 50 + 20 |i - 13|; pseudo-regret at the checkpoints."""
    means = 50.0 + 20.0 * np.abs(np.arange(20) - 13)
    bandit = _make(learner, seed=seed)
    rng = np.random.default_rng(1000 + seed)
    regret, out = 0.0, {}
    for t in range(1, T + 1):
        omega = bandit.suggest(0.5 if bandit.contextual else None)
        arm = int(np.searchsorted(bandit.omegas, omega))
        bandit.update(float(rng.poisson(means[arm])))
        regret += means[arm] - means[13]
        if t in checkpoints:
            out[t] = regret
    return bandit, out


def test_tsallis_inf_concentrates_and_regret_is_sublinear():
    slopes, p_best = [], []
    Ts = (300, 1000, 3000)
    for seed in range(10):
        bandit, regret = _poisson_bandit("tsallis-inf", 5000, seed, Ts)
        p_best.append(bandit._impl.bins[0].probabilities(bandit._impl.kernels)[13])
        slopes.append(np.polyfit(np.log(Ts), np.log([regret[T] for T in Ts]), 1)[0])
    # Spec section 7: p(best) >= 0.8 and slope < 0.7 (measured there: p >= 0.94, slope <= 0.35).
    assert min(p_best) >= 0.8, p_best
    assert max(slopes) < 0.7, slopes


@pytest.mark.parametrize("learner", ["thompson", "chebcb", "tsallis-inf-cb", "cheb-thompson"])
def test_other_learners_find_best_arm(learner):
    # Over the last 1000 of 3000 rounds the best arm is played most, with pseudo-regret far below
    # uniform play (mean gap 128): a learner that does not learn fails both.
    for seed in range(2):
        _, regret = _poisson_bandit(learner, 3000, seed, (2000, 3000))
        assert regret[3000] - regret[2000] < 0.2 * 128 * 1000, (learner, regret)


def _context_bandit(learner, T, seed):
    """The best arm is determined by the context: cost = 50 + 20 |i - round(19 c)|, c ~ U(0, 1)."""
    bandit = _make(learner, seed=seed)
    rng = np.random.default_rng(1000 + seed)  # independent of the bandit's own stream
    total = 0.0
    for _ in range(T):
        c = float(rng.random())
        arm = int(np.searchsorted(bandit.omegas, bandit.suggest(c)))
        cost = 50.0 + 20.0 * abs(arm - round(19 * c))
        bandit.update(cost)
        total += cost
    return total


@pytest.mark.parametrize("learner", CONTEXTUAL)
def test_contextual_beats_noncontextual_when_context_decides(learner):
    T = 2000
    plain = np.mean([_context_bandit("tsallis-inf", T, s) for s in range(2)])
    ctx = np.mean([_context_bandit(learner, T, s) for s in range(2)])
    assert ctx < plain, (ctx, plain)


def _recorded_thompson(learner, T=300, seed=3):
    """A Thompson bandit after T steps, and its observations ``(arm, features, log cost)``."""
    bandit = _make(learner, seed=seed)
    rng = np.random.default_rng(seed)
    seen = []
    for _ in range(T):
        c = float(rng.random())
        arm = int(np.searchsorted(bandit.omegas, bandit.suggest(c)))
        f = bandit._impl.pending.copy()
        cost = float(rng.poisson(40.0 + 15.0 * abs(arm - 4.0 - 10.0 * c)))
        bandit.update(cost)
        seen.append((arm, f, math.log(max(cost, 1.0))))
    return bandit, seen


@pytest.mark.parametrize("learner", ["thompson", "cheb-thompson"])
def test_thompson_cached_posterior_matches_weighted_ridge_lstsq(learner, jit):
    # The incrementally cached posterior (both the compiled and the NumPy path) against the
    # definition, solved from the raw observations by lstsq: arm k's ridge regression of
    # y - ybar on f, own rows weight 1, rows of arms k -+ 1 weight rho_k = rho0 / (1 + n_k / n0),
    # penalty lam |theta|^2; rss = weighted residual + penalty at the optimum.
    bandit, seen = _recorded_thompson(learner)
    impl = bandit._impl
    ybar = np.mean([y for _, _, y in seen])
    for k in range(impl.dof.shape[0]):
        own = [(f, y) for arm, f, y in seen if arm == k]
        rho = impl.rho0 / (1.0 + len(own) / impl.n0)
        rows = [(1.0, f, y) for f, y in own]
        rows += [(rho, f, y) for arm, f, y in seen if abs(arm - k) == 1]
        m = impl.degree + 1
        F = np.array([math.sqrt(w) * f for w, f, _ in rows] + list(math.sqrt(impl.lam) * np.eye(m)))
        r = np.array([math.sqrt(w) * (y - ybar) for w, _, y in rows] + [0.0] * m)
        theta = np.linalg.lstsq(F, r, rcond=None)[0]
        rss = float(np.sum((r - F @ theta) ** 2))
        cached_theta = impl.ab[k, 0] - ybar * impl.ab[k, 1]
        cached_rss = impl.rss_coef[k] @ [1.0, -2.0 * ybar, ybar * ybar]
        # theta: a well-conditioned 6x6 solve, 1e-9 is ~1e5 eps.  rss is a difference of sums of
        # squares of size sum (y - ybar)^2 + n ybar^2 (~1e4 here): 1e-9 of that scale.
        np.testing.assert_allclose(cached_theta, theta, rtol=1e-9, atol=1e-9)
        scale = sum(w * y * y for w, _, y in rows)
        assert abs(cached_rss - rss) <= 1e-9 * scale, (k, cached_rss, rss)
        assert impl.dof[k] == pytest.approx(impl.nu0 + sum(w for w, _, _ in rows), rel=1e-14)


@pytest.mark.parametrize("learner", ["thompson", "cheb-thompson"])
def test_thompson_compiled_and_numpy_paths_agree(learner, monkeypatch):
    from numopt._lib import _jit

    if not _jit.HAS_NUMBA:
        pytest.skip("numba not installed")
    runs = {}
    for disabled in (False, True):
        monkeypatch.setattr(_jit, "JIT_DISABLED", disabled)
        bandit, seen = _recorded_thompson(learner, T=1000)
        runs[disabled] = bandit._impl, [arm for arm, _, _ in seen]
    (fast, arms_fast), (ref, arms_ref) = runs[False], runs[True]
    assert fast._kernels is not None and ref._kernels is None
    # Same draws, posteriors equal to rounding: the same arms (a tie within 1e-12 has
    # probability ~1e-10 per step).
    assert arms_fast == arms_ref
    for name in ("ff", "fy", "yy", "count", "total"):
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=1e-13)
    np.testing.assert_allclose(fast.ab, ref.ab, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.Ginv, ref.Ginv, rtol=1e-9, atol=1e-12)


def test_sample_draws_as_generator_choice(jit):
    from numopt.linalg._bandit import _learner_kernels, _sample

    kernels = _learner_kernels()
    p = np.random.default_rng(0).dirichlet(np.full(20, 0.3))
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert [_sample(p, a, kernels) for _ in range(2000)] == \
        [int(b.choice(20, p=p)) for _ in range(2000)]


def test_tsallis_inf_cb_bins_to_nearest_centre():
    bandit = OmegaBandit(learner="tsallis-inf-cb", context_range=(0.0, 10.0), n_bins=5, seed=0)
    impl = bandit._impl  # centres 1, 3, 5, 7, 9
    for context, expected in [(0.0, 0), (2.0, 0), (2.0001, 1), (5.0, 2), (8.5, 4), (10.0, 4)]:
        bandit.suggest(context)
        assert impl.pending_bin == expected, context
        bandit.update(10)


def test_chebcb_constants():
    impl = OmegaBandit(learner="chebcb", context_range=(0, 1))._impl
    # Spec section 3.3: N = 2 + 4 (1 + ln 6) = 13.1670, alpha = 0.025901.
    assert impl.N == pytest.approx(13.1670, abs=1e-4)
    assert impl.alpha == pytest.approx(0.025901, abs=1e-6)
    np.testing.assert_allclose(impl.ub, [1 / impl.N] + [2 / (impl.N * j) for j in range(1, 6)])


def test_chebcb_box_fit_satisfies_kkt(jit):
    # A Gram matrix whose unconstrained LS solution violates the box: the BVLS solution must satisfy
    # the bound-constrained KKT conditions of min theta^T G theta - 2 theta^T h / s.
    impl = OmegaBandit(learner="chebcb", context_range=(0, 1))._impl
    rng = np.random.default_rng(3)
    F = rng.standard_normal((30, 6))
    impl.G[0] = F.T @ F
    impl.h[0] = F.T @ (50.0 * rng.standard_normal(30))
    impl.q[0] = 1e4
    theta, resnorm = host_kernel(chebcb_box_fit)(impl.G[0], impl.h[0], impl.q[0], impl.ub, 1.0)
    grad = 2 * (impl.G[0] @ theta - impl.h[0])
    at_upper = np.isclose(theta, impl.ub)
    at_lower = np.isclose(theta, -impl.ub)
    free = ~(at_upper | at_lower)
    assert np.all(np.abs(theta) <= impl.ub * (1 + 1e-12))
    assert np.all(np.abs(grad[free]) <= 1e-6 * np.abs(impl.h[0]).max())
    assert np.all(grad[at_upper] <= 1e-6) and np.all(grad[at_lower] >= -1e-6)
    assert resnorm >= 0


@pytest.mark.parametrize("learner", list(LEARNERS))
def test_state_dict_round_trip_reproduces_next_suggestions(learner):
    bandit = _make(learner, seed=7)
    costs = lambda arm, c: 50.0 + 20.0 * abs(arm - 13) + 30.0 * c  # noqa: E731
    rng = np.random.default_rng(1)
    for _ in range(60):
        c = float(rng.random())
        w = bandit.suggest(c)
        bandit.update(costs(int(np.searchsorted(bandit.omegas, w)), c))
    pending_context = 0.3
    first = bandit.suggest(pending_context)  # saved mid-sequence with a pending arm
    state = json.loads(json.dumps(bandit.state_dict()))
    clone = OmegaBandit.from_state_dict(state)
    arm = int(np.searchsorted(bandit.omegas, first))
    bandit.update(costs(arm, pending_context))
    clone.update(costs(arm, pending_context))
    for name in ("Ginv", "ab", "rss_coef", "dof", "lstsq"):  # caches are rebuilt bit for bit
        if hasattr(bandit._impl, name):
            assert np.array_equal(getattr(bandit._impl, name), getattr(clone._impl, name)), name
    for _ in range(100):
        c = float(rng.random())
        w1, w2 = bandit.suggest(c), clone.suggest(c)
        assert w1 == w2
        cost = costs(int(np.searchsorted(bandit.omegas, w1)), c)
        bandit.update(cost)
        clone.update(cost)


def test_default_learner_choice():
    assert OmegaBandit().learner == "thompson"
    assert OmegaBandit(context_range=(0, 1)).learner == "cheb-thompson"


@pytest.mark.parametrize("omegas, match", [
    ([], "at least 2"),
    ([1.5], "at least 2"),
    ([1.2, 1.1, 1.5], "strictly increasing"),
    ([1.1, 1.1, 1.5], "strictly increasing"),
    ([1.0, np.nan], "finite"),
    ([1.0, np.inf], "finite"),
    ([1.0, 2.0], r"\(0, 2\)"),
    ([-0.5, 1.0], r"\(0, 2\)"),
    ([[1.0, 1.5]], "1-D"),
])
def test_bad_omegas(omegas, match):
    with pytest.raises(ValueError, match=match):
        OmegaBandit(omegas)


def test_bad_construction():
    with pytest.raises(TypeError, match="omegas"):
        OmegaBandit(["a", "b"])
    with pytest.raises(ValueError, match="learner"):
        OmegaBandit(learner="ucb")
    for learner in CONTEXTUAL:
        with pytest.raises(ValueError, match="context_range"):
            OmegaBandit(learner=learner)
    with pytest.raises(ValueError, match="context_range"):
        OmegaBandit(learner="chebcb", context_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="context_range"):
        OmegaBandit(learner="chebcb", context_range=(0.0, np.inf))
    with pytest.raises(TypeError, match="context_range"):
        OmegaBandit(learner="chebcb", context_range=5.0)
    with pytest.raises(ValueError, match="n_bins"):
        OmegaBandit(learner="tsallis-inf-cb", context_range=(0, 1), n_bins=0)
    with pytest.raises(TypeError, match="seed"):
        OmegaBandit(seed="x")


@pytest.mark.parametrize("learner", CONTEXTUAL)
def test_bad_contexts(learner):
    bandit = _make(learner)
    with pytest.raises(ValueError, match="context"):
        bandit.suggest()
    with pytest.raises(ValueError, match="context_range"):
        bandit.suggest(1.5)
    with pytest.raises(ValueError, match="context"):
        bandit.suggest(np.nan)


@pytest.mark.parametrize("learner", list(LEARNERS))
def test_bad_update_sequence_and_costs(learner):
    bandit = _make(learner)
    with pytest.raises(ValueError, match="pending suggest"):
        bandit.update(10)
    bandit.suggest(0.5)
    for cost in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="cost"):
            bandit.update(cost)
    bandit.update(0)  # a 0-iteration solve is a valid cost
    with pytest.raises(ValueError, match="pending suggest"):
        bandit.update(10)


def test_malformed_state_dict():
    bandit = _make("tsallis-inf")
    good = bandit.state_dict()
    with pytest.raises(TypeError, match="dict"):
        OmegaBandit.from_state_dict([1, 2])
    with pytest.raises(ValueError, match="missing"):
        OmegaBandit.from_state_dict({k: v for k, v in good.items() if k != "rng"})
    with pytest.raises(ValueError, match="version"):
        OmegaBandit.from_state_dict({**good, "version": 99})
    with pytest.raises(ValueError, match="pending"):
        OmegaBandit.from_state_dict({**good, "pending": 25})
    with pytest.raises(ValueError, match="rng"):
        OmegaBandit.from_state_dict({**good, "rng": {"bit_generator": "nope"}})
    bad = json.loads(json.dumps(good))
    bad["learner_state"]["bins"][0]["K"] = [0.0] * 3
    with pytest.raises(ValueError, match="shape"):
        OmegaBandit.from_state_dict(bad)
    bad["learner_state"] = {}
    with pytest.raises(ValueError, match="malformed"):
        OmegaBandit.from_state_dict(bad)
    with pytest.raises(ValueError, match="learner"):
        OmegaBandit.from_state_dict({**good, "learner": "nope"})


def test_min_norm_solve_matches_numpy_pinv(jit):
    # Jacobi eigen-solve vs numpy's SVD pseudo-inverse on PSD Gram matrices, full rank
    # (condition <= ~1e4: agreement 1e-9 is ~1e3 cond eps) and rank-deficient with a clean
    # gap (rank r < k: the null space is cut by both).
    from numopt._kernels._bandit import PINV_RCOND, min_norm_solve

    solve = host_kernel(min_norm_solve)
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(1, 7))
        r = int(rng.integers(1, 2 * k + 1))
        F = rng.standard_normal((r, k)) * rng.uniform(0.3, 3.0, k)
        G, h = F.T @ F, rng.standard_normal(k)
        ref = np.linalg.pinv(G) @ h
        if r >= k and np.linalg.cond(G) > 1e4:
            continue
        np.testing.assert_allclose(solve(G, h, PINV_RCOND), ref, rtol=1e-9,
                                   atol=1e-9 * np.abs(ref).max())


def test_box_qp_matches_scipy_bvls(jit):
    # Objective of the active-set solution equals scipy's BVLS optimum (on a square root of G) to
    # rounding, for random, often rank-deficient Gram matrices; the solution is feasible.
    rng = np.random.default_rng(0)
    for _ in range(300):
        k = int(rng.integers(1, 12))
        F = rng.standard_normal((k, 6)) * rng.uniform(0.1, 3, 6)
        G, g = F.T @ F, F.T @ (rng.standard_normal(k) * rng.uniform(0.01, 100))
        ub = rng.uniform(0.01, 1, 6)
        theta = host_kernel(box_qp)(G, g, ub, 100)
        lam, V = np.linalg.eigh(G)
        keep = lam > lam.max() * 1e-12
        root = np.sqrt(lam[keep])[:, None] * V[:, keep].T
        ref = lsq_linear(root, (V[:, keep].T @ g) / np.sqrt(lam[keep]), bounds=(-ub, ub),
                         method="bvls").x
        objective = lambda t: t @ G @ t - 2 * g @ t  # noqa: E731
        assert objective(theta) <= objective(ref) + 1e-9 * (1 + abs(objective(ref)))
        assert np.all(np.abs(theta) <= ub * (1 + 1e-12))
