"""solve_sor_sequence: learned omega on gallery sequences, SSOR-PCG counts, streaming, errors."""
import functools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import splu

import numopt
from numopt import OmegaBandit, solve_sor, solve_sor_sequence
from numopt.linalg._sequence import grid_costs
from numopt.problems import heat_sequence, shifted_laplacian_sequence

GRID = np.linspace(1.0, 1.95, 20)


@functools.cache
def _costs(seed):
    """Iterations of every grid omega on the high-variance sequence, T = 300."""
    seq = shifted_laplacian_sequence(300, variance="high", seed=seed)
    return seq, np.array([[solve_sor(A, b, omega=w).nit for w in GRID] for A, b, _ in seq])


def _replay(C, contexts, learner, seed, context_range=(-0.15, 0.65)):
    bandit = OmegaBandit(GRID, learner=learner, seed=seed,
                         context_range=context_range if learner != "tsallis-inf" and
                         learner != "thompson" else None)
    total = 0
    for t in range(C.shape[0]):
        arm = int(np.searchsorted(GRID, bandit.suggest(contexts[t] if bandit.contextual else None)))
        bandit.update(C[t, arm])
        total += C[t, arm]
    return total


def test_sequence_iterations_equal_per_system_solves():
    seq = shifted_laplacian_sequence(300, variance="high", seed=0)
    res = solve_sor_sequence(seq, learner="tsallis-inf", seed=3)
    assert res.success and res.nit == 300 and len(res.x) == 300
    np.testing.assert_array_equal(GRID[np.searchsorted(GRID, res.omegas)], res.omegas)
    direct = [solve_sor(A, b, omega=w) for (A, b, _), w in zip(seq, res.omegas)]
    np.testing.assert_array_equal(res.iterations, [r.nit for r in direct])
    assert res.total_iterations == sum(r.nit for r in direct)
    np.testing.assert_array_equal(res.contexts, [c for _, _, c in seq])
    for (A, b, _), x in zip(seq, res.x):
        assert np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b)


def test_replay_on_recorded_costs_reproduces_the_run():
    # The learner sees only iteration counts: replaying it on the recorded costs of every grid omega
    # makes the same choices as the real run (used by the comparators and the bounds test below).
    seq, C = _costs(0)
    res = solve_sor_sequence(seq, learner="tsallis-inf", seed=3)
    contexts = np.array([c for _, _, c in seq])
    assert _replay(C, contexts, "tsallis-inf", 3) == res.total_iterations


@pytest.mark.parametrize("seeds", [(0, 1), pytest.param(range(5), marks=pytest.mark.slow)])
def test_short_synthetic_sequence_bounds(seeds):
    # Spec section 7, T = 300, seeds 0-4 (slow; 0-1 by default): Tsallis-INF <= 2.2x best fixed
    # omega and <= 0.4x omega = 1 (measured 1.85x, 0.32x); ChebCB and the default learner below
    # Tsallis-INF (ChebCB measured 1.19x vs 1.85x).
    ratios, vs_one, cheb, default = [], [], [], []
    for seed in seeds:
        seq, C = _costs(seed)
        contexts = np.array([c for _, _, c in seq])
        tsallis = _replay(C, contexts, "tsallis-inf", seed)
        ratios.append(tsallis / C.sum(0).min())
        vs_one.append(tsallis / C[:, 0].sum())
        cheb.append(_replay(C, contexts, "chebcb", seed) / tsallis)
        default.append(_replay(C, contexts, "thompson", seed) / tsallis)
    assert np.mean(ratios) <= 2.2, ratios
    assert np.mean(vs_one) <= 0.4, vs_one
    assert np.mean(cheb) < 1.0, cheb
    assert np.mean(default) < 1.0, default


@pytest.mark.slow
@pytest.mark.parametrize("variance", ["high", "low"])
def test_default_learners_meet_the_T5000_target(variance):
    # Issue #3 target, T = 5000, on sequence seed 10 (the learners' constants were chosen on seeds
    # 0-3): mean over learner seeds 0-2 <= 1.05x the best fixed omega ('thompson') and the grid
    # instance-optimal policy ('cheb-thompson').  Measured 1.045 / 1.025 and 1.034 / 1.045
    # (high / low); the earlier defaults measured 1.044 / 1.020 and 1.059 / 1.043.
    seq = shifted_laplacian_sequence(5000, variance=variance, seed=10)
    C, contexts = grid_costs(seq, GRID)
    thompson = np.mean([_replay(C, contexts, "thompson", s) for s in range(3)])
    cheb = np.mean([_replay(C, contexts, "cheb-thompson", s) for s in range(3)])
    assert thompson <= 1.05 * C.sum(0).min(), thompson / C.sum(0).min()
    assert cheb <= 1.05 * C.min(1).sum(), cheb / C.min(1).sum()


def _ssor_pcg_reference(A, b, x0, omega, rtol, maxiter=1000):
    """Textbook PCG with M = (D + w L^T) D^-1 (D + w L) / (w (2 - w)) formed densely (spec 2.2)."""
    A = A.toarray()
    D = np.diag(np.diag(A))
    L = np.tril(A, -1)
    M = (D + omega * L.T) @ np.linalg.inv(D) @ (D + omega * L) / (omega * (2 - omega))
    x = x0.copy()
    r = b - A @ x
    tol = rtol * np.linalg.norm(b)
    if np.linalg.norm(r) <= tol:
        return 0
    z = np.linalg.solve(M, r)
    p = z.copy()
    for k in range(1, maxiter + 1):
        q = A @ p
        alpha = (r @ z) / (p @ q)
        x += alpha * p
        r_new = r - alpha * q
        if np.linalg.norm(r_new) <= tol and np.linalg.norm(b - A @ x) <= tol:
            return k
        z_new = np.linalg.solve(M, r_new)
        beta = (r_new @ z_new) / (r @ z)
        p = z_new + beta * p
        r, z = r_new, z_new
    return maxiter


def test_ssor_pcg_counts_match_reference_from_spec_factors():
    seq = heat_sequence(12, steps=6)
    res = solve_sor_sequence(seq, method="ssor-pcg", omegas=[1.3, 1.75], learner="tsallis-inf",
                             warm_start=True, seed=0)
    assert res.success
    x0 = heat_sequence(12).initial()
    for k, (A, b, _) in enumerate(heat_sequence(12, steps=6)):
        if k > 0:
            x0 = res.x[k - 1]
        assert _ssor_pcg_reference(A, b, x0, res.omegas[k], 1e-8) == res.iterations[k], k
    # A non-trivial (non-diagonal) system at several omegas, from x0 = 0.
    A = numopt.poisson_matrix((9, 9)) + sp.eye_array(81) * 0.05
    b = np.random.default_rng(0).standard_normal(81)
    for omega in (0.7, 1.0, 1.5, 1.9):
        nit = numopt.solve_pcg(A, b, preconditioner="ssor", omega=omega, rtol=1e-8).nit
        assert nit == _ssor_pcg_reference(A, b, np.zeros(81), omega, 1e-8), omega


def test_heat_warm_start_lowers_iterations():
    seq = heat_sequence(25, steps=500)
    warm = solve_sor_sequence(seq, method="ssor-pcg", warm_start=True, seed=0, keep_x=False)
    cold = solve_sor_sequence(seq, method="ssor-pcg", warm_start=False, seed=0, keep_x=False)
    assert warm.success and cold.success
    assert warm.total_iterations < cold.total_iterations
    assert len(warm.x) == 1 and warm.x[0] is warm.x_final


def test_heat_generator_receives_solutions():
    # The generator advances with the sent solutions: the final state equals a direct-solve run
    # up to the accumulated solver tolerance (rtol 1e-10 per step, 20 steps).
    steps = 20
    res = solve_sor_sequence(heat_sequence(10, steps=steps), method="ssor-pcg", rtol=1e-10,
                             warm_start=True, seed=0)
    u = heat_sequence(10).initial()
    gen = iter(heat_sequence(10, steps=steps))
    A, b, kappa = next(gen)
    contexts = [kappa]
    for _ in range(steps - 1):
        u = splu(A.tocsc()).solve(b)
        A, b, kappa = gen.send(u)
        contexts.append(kappa)
    u = splu(A.tocsc()).solve(b)
    np.testing.assert_allclose(res.x_final, u, rtol=0, atol=1e-8 * np.abs(u).max())
    np.testing.assert_array_equal(res.contexts, contexts)
    assert res.bandit.learner == "cheb-thompson"  # the gallery sequence gives the context range


def test_streams_plain_generator_and_contexts_override():
    A = numopt.poisson_matrix((6, 6))
    consumed = []

    def systems():
        for k in range(5):
            consumed.append(k)
            yield A, np.full(36, k + 1.0)

    res = solve_sor_sequence(systems(), learner="chebcb", contexts=np.linspace(0, 1, 5), seed=0)
    assert res.success and consumed == list(range(5))
    np.testing.assert_array_equal(res.contexts, np.linspace(0, 1, 5))
    assert res.bandit.context_range == (0.0, 1.0)


def test_bandit_instance_is_updated_in_place():
    bandit = OmegaBandit(learner="tsallis-inf", seed=0)
    seq = shifted_laplacian_sequence(20, seed=0)
    res = solve_sor_sequence(seq, learner=bandit)
    assert res.bandit is bandit
    assert bandit._impl.bins[0].t == 21


def test_callback_stops_sequence():
    seen = []

    def callback(r):
        seen.append((r.nit, r.omega, r.iterations))
        if r.nit == 3:
            raise StopIteration

    res = solve_sor_sequence(shifted_laplacian_sequence(10, seed=0), callback=callback, seed=0)
    assert res.status == 99 and not res.success and res.nit == 3 and len(seen) == 3


def test_unconverged_solves_report_failure():
    res = solve_sor_sequence(shifted_laplacian_sequence(3, seed=0), maxiter=5, seed=0)
    assert not res.success and res.status == 1
    assert "3 of 3" in res.message
    np.testing.assert_array_equal(res.iterations, [5, 5, 5])


def test_bad_inputs():
    A = numopt.poisson_matrix((4, 4))
    b = np.ones(16)
    with pytest.raises(ValueError, match="method"):
        solve_sor_sequence([(A, b)], method="gmres")
    with pytest.raises(ValueError, match="learner"):
        solve_sor_sequence([(A, b)], learner="nope")
    with pytest.raises(TypeError, match="learner"):
        solve_sor_sequence([(A, b)], learner=3)
    with pytest.raises(ValueError, match="omegas"):
        solve_sor_sequence([(A, b)], omegas=[1.5, 1.2])
    with pytest.raises(ValueError, match="omega"):
        solve_sor_sequence([(A, b)], omegas=[1.5, 2.5])
    with pytest.raises(ValueError, match="at least one"):
        solve_sor_sequence([])
    with pytest.raises(ValueError, match="tuples"):
        solve_sor_sequence([A])
    with pytest.raises(ValueError, match="context_range"):
        solve_sor_sequence([(A, b)], learner="chebcb")
    with pytest.raises(ValueError, match="context"):  # contextual learner, context missing
        solve_sor_sequence([(A, b)], learner=OmegaBandit(learner="chebcb", context_range=(0, 1)))
    with pytest.raises(ValueError, match="context_range"):  # context outside the range
        solve_sor_sequence([(A, b, 2.0)], learner=OmegaBandit(learner="chebcb",
                                                              context_range=(0, 1)))
    with pytest.raises(ValueError, match="`contexts` has 1"):
        solve_sor_sequence([(A, b), (A, b)], learner="tsallis-inf", contexts=[0.5])
    A9 = numopt.poisson_matrix((3, 3))
    with pytest.raises(ValueError, match="warm_start"):
        solve_sor_sequence([(A, b), (A9, np.ones(9))], warm_start=True)
    res = solve_sor_sequence([(A, b), (A9, np.ones(9))], warm_start=False)  # fine without
    assert res.success
    bad = A.tolil()
    bad[5, 5] = 0.0
    with pytest.raises(ValueError, match="row 5"):
        solve_sor_sequence([(bad.tocsr(), b)])
    bad[5, 5] = -1.0
    with pytest.raises(ValueError, match="row 5"):
        solve_sor_sequence([(bad.tocsr(), b)], method="ssor-pcg")
    with pytest.raises(ValueError, match="omegas"):
        solve_sor_sequence([(A, b)], learner=OmegaBandit(seed=0), omegas=[1.0, 1.5])


def test_gallery_sequences():
    seq = shifted_laplacian_sequence(200, variance="low", seed=1)
    items = list(seq)
    assert len(items) == 200 and seq.n == 100
    A, b, c = items[0]
    assert np.all(A.diagonal() == 4 + c)
    contexts = np.array([c for _, _, c in items])
    assert contexts.min() >= -0.15 and contexts.max() <= 0.65
    # Beta(2, 6): mean 0.25 -> E c = -0.15 + 0.6 * 0.25 = 0; sd of the mean over 200 draws ~ 0.006.
    assert abs(contexts.mean()) < 0.03
    assert all(np.linalg.norm(b) <= 10.0 for _, b, _ in items)
    np.testing.assert_array_equal(items[5][1], list(seq)[5][1])  # re-iterable with an int seed
    # Young's omega*: rho(G_omega*) = omega* - 1 for the consistently ordered A + c I.
    w = seq.optimal_omega(c)
    Ad = A.toarray()
    D, L = np.diag(np.diag(Ad)), np.tril(Ad, -1)
    G = np.linalg.solve(D / w + L, D / w + L - Ad)
    assert max(abs(np.linalg.eigvals(G))) == pytest.approx(w - 1, rel=1e-5)
    heat = heat_sequence(8, steps=3)
    assert heat.context_range == (0.0, 10.0) and heat.n == 49
    A, b, kappa = next(iter(heat))
    assert kappa == 0.0
    np.testing.assert_allclose(A.toarray(), np.eye(49) + 0.5 * np.sin(np.pi * 1e-3) * 0.1 * 1e-3
                               * 64 * numopt.poisson_matrix((7, 7)).toarray())
    with pytest.raises(ValueError, match="variance"):
        shifted_laplacian_sequence(5, variance="mid")
    with pytest.raises(ValueError, match="nx"):
        heat_sequence(1)


@pytest.mark.slow
def test_binned_contexts_beat_tsallis_inf_at_T_2000():
    # Spec section 7: Tsallis-INF-CB total < Tsallis-INF total at T = 2000 (measured 1.17x vs 1.32x
    # the best fixed omega).
    seq = shifted_laplacian_sequence(2000, variance="high", seed=0)
    C, contexts = grid_costs(seq, GRID)
    assert np.mean([_replay(C, contexts, "tsallis-inf-cb", s) for s in range(3)]) < \
        np.mean([_replay(C, contexts, "tsallis-inf", s) for s in range(3)])


def test_grid_costs_match_single_solves():
    seq = shifted_laplacian_sequence(4, seed=2)
    C, contexts = grid_costs(seq, [1.2, 1.7])
    for t, (A, b, c) in enumerate(seq):
        assert contexts[t] == c
        assert list(C[t]) == [solve_sor(A, b, omega=w).nit for w in (1.2, 1.7)]


def test_state_dict_round_trip_on_heat_sequence():
    # Saved mid-sequence with a pending arm; the restored learner makes the same next 100 choices.
    bandit = OmegaBandit(learner="cheb-thompson", context_range=(0.0, 10.0), seed=4)
    gen = iter(heat_sequence(25, steps=160))
    A, b, kappa = next(gen)
    clone, x0 = None, None
    for step in range(150):
        w = bandit.suggest(kappa)
        if step == 50:
            clone = OmegaBandit.from_state_dict(bandit.state_dict())
        elif step > 50:
            assert clone.suggest(kappa) == w
        res = numopt.solve_pcg(A, b, x0, preconditioner="ssor", omega=w)
        bandit.update(res.nit)
        if clone is not None:
            clone.update(res.nit)
        x0 = res.x
        A, b, kappa = gen.send(res.x)


def test_plot_omega_choices():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numopt.plot import plot_omega_choices

    res = solve_sor_sequence(shifted_laplacian_sequence(10, seed=0), seed=0)
    fig, ax = plt.subplots()
    assert plot_omega_choices(res, ax=ax, against="context") is ax
    np.testing.assert_array_equal(ax.collections[0].get_offsets()[:, 1], res.omegas)
    with pytest.raises(ValueError, match="against"):
        plot_omega_choices(res, ax=ax, against="time")
    plt.close(fig)
