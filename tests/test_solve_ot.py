"""``solve_ot``: checks against POT, closed forms, exact LP and duality certificates."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from numopt import solve_ot
from numopt._lib._array_api import to_numpy
from numopt.problems import (ot_densities_1d, ot_digit_images, ot_point_clouds,
                             ot_random_assignment, wasserstein_1d)
from tests._xp_testing import xp_assert_close

METHODS = ("sns", "sinkhorn-log", "sinkhorn")


def _entropy(p):
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def _marginal_error(P, a, b):
    return float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())


@pytest.fixture(scope="module")
def clouds():
    """Spec test 2: Gaussian clouds (second shifted by 1), cost in [0, 1], b random, reg 0.02."""
    a, b, C, _ = ot_point_clouds(60, 50, random_b=True, seed=0)
    return a, b, C, 0.02


@pytest.fixture(scope="module")
def pot_plan(clouds):
    ot = pytest.importorskip("ot")
    a, b, C, reg = clouds
    return ot.bregman.sinkhorn_log(a, b, C, reg, numItermax=100_000, stopThr=1e-14)


# ---------------------------------------------------------------------------- closed form
@pytest.mark.parametrize("method", METHODS)
def test_two_by_two_closed_form(method, xp, dtype):
    # P_11 = 0.5 / (1 + e^-1): the only plan with the right marginals and exp(-C/reg) ratios
    p = 0.5 / (1.0 + math.exp(-1.0))
    C = xp.asarray(np.array([[0.0, 1.0], [1.0, 0.0]]), dtype=dtype)
    a = xp.asarray(np.array([0.5, 0.5]), dtype=dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    res = solve_ot(a, a, C, 1.0, method=method, tol=tol)
    assert res.success, res.message
    desired = np.array([[p, 0.5 - p], [0.5 - p, p]])
    # fp32: plan entries carry ~1e-7 relative rounding; fp64 to 1e-8 as the spec asks
    xp_assert_close(res.plan, desired, atol=1e-6 if dtype == np.float32 else 1e-8, xp=xp,
                    dtype=dtype)
    # P_11 = exp((f_1 + g_1) / reg) with the gauge <a, f> = <b, g>: f = g = log(p) / 2
    for name in ("f", "g"):
        xp_assert_close(res[name], np.full(2, 0.5 * math.log(p)), atol=1e-5, xp=xp, dtype=dtype)


# ---------------------------------------------------------------------------- POT agreement
@pytest.mark.parametrize("method", METHODS)
def test_matches_pot_sinkhorn_log(method, clouds, pot_plan, jit):
    a, b, C, reg = clouds
    res = solve_ot(a, b, C, reg, method=method, tol=1e-12)
    assert res.success, res.message
    assert res.marginal_error <= 1e-12
    # stopping rule asserted on the returned plan itself
    assert _marginal_error(res.plan, a, b) <= 1e-12 * 1.01
    # POT converged to 1e-14 on the same plan: both within ~1e-13 of the optimum
    assert np.max(np.abs(res.plan - pot_plan)) <= 1e-9
    assert abs(res.cost - float(np.sum(pot_plan * C))) <= 1e-10
    assert abs(res.duality_gap) <= 1e-8
    # the gap is primal minus Phi(f, g) recomputed here from the returned potentials
    P = np.exp((res.f[:, None] + res.g[None, :] - C) / reg)
    phi = a @ res.f + b @ res.g - reg * P.sum() + reg
    primal = float(np.sum(res.plan * C) + reg * np.sum(res.plan * np.log(res.plan)))
    assert abs(primal - phi) <= 1e-10 * max(1.0, abs(primal))
    np.testing.assert_allclose(P, res.plan, rtol=1e-10, atol=1e-15)


def test_matches_pot_on_backends(clouds, pot_plan, xp):
    a, b, C, reg = clouds
    for method in ("sns", "sinkhorn-log"):
        res = solve_ot(*(xp.asarray(v) for v in (a, b, C)), reg, method=method, tol=1e-12)
        assert res.success, res.message
        xp_assert_close(res.plan, pot_plan, atol=1e-9, xp=xp, dtype=np.float64)


def test_float32_sinkhorn_and_sns(clouds, pot_plan):
    a, b, C, reg = (v.astype(np.float32) if isinstance(v, np.ndarray) else v for v in clouds)
    for method in METHODS:
        res = solve_ot(a, b, C, reg, method=method, tol=1e-5)
        assert res.success, res.message
        assert res.plan.dtype == np.float32 and res.f.dtype == np.float32
        # float32 cost entries: plans agree to float32 round-off of exp(C / reg) (~1e-6 rel.)
        np.testing.assert_allclose(res.plan, pot_plan, atol=1e-6)
    from numopt import NumoptWarning

    with pytest.warns(NumoptWarning, match="below the machine precision"):
        res = solve_ot(a, b, C, reg, tol=1e-12)
    assert res.status == 2 and "Precision floor" in res.message  # fp32 cannot reach 1e-12


# ---------------------------------------------------------------------------- limits
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_reg_approaches_exact_lp(seed):
    ot = pytest.importorskip("ot")
    from scipy.optimize import linear_sum_assignment

    a, b, C, _ = ot_random_assignment(64, seed=seed)
    reg = 1e-4
    res = solve_ot(a, b, C, reg)  # range(C)/reg = 1e4 > 2000: continuation path
    assert res.success, res.message
    lp = float(ot.emd2(a, b, C))
    # entropic bias bound: 0 <= <C,P> - OT_0 <= reg * min(H(a), H(b)) (+ the tolerance's effect)
    assert -1e-9 <= res.cost - lp <= reg * min(_entropy(a), _entropy(b)) + 1e-9
    rows, cols = linear_sum_assignment(C)
    np.testing.assert_array_equal(np.argmax(res.plan, axis=1)[rows], cols)


@pytest.mark.parametrize("p", [1, 2])
def test_one_dimensional_closed_form(p):
    ot = pytest.importorskip("ot")
    a, b, C, info = ot_densities_1d(400, p=p)
    x = info["x"]
    # the gallery's exact value is POT's 1-D quantile formula
    assert info["exact"] == pytest.approx(float(ot.wasserstein_1d(x, x, a, b, p=p)), rel=1e-12)
    reg = 1e-3
    res = solve_ot(a, b, C, reg)
    assert res.success, res.message
    gap = res.cost - info["exact"]
    assert -1e-9 <= gap <= reg * min(_entropy(a), _entropy(b)) + 1e-9


def test_wasserstein_1d_matches_scipy():
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(3)
    x, y, a, b = rng.random(7), rng.random(5), rng.random(7), rng.random(5)
    assert wasserstein_1d(x, y, a, b, p=1) == pytest.approx(wasserstein_distance(x, y, a, b),
                                                            rel=1e-12)


# ---------------------------------------------------------------------------- Newton
@pytest.fixture(scope="module")
def assignment500():
    return ot_random_assignment(500, seed=0)[:3]


def test_newton_superlinear(assignment500):
    a, b, C = assignment500
    res = solve_ot(a, b, C, 1 / 1200, tol=1e-12, return_history=True)
    assert res.success, res.message
    assert res.n_newton <= 12
    errs = np.array(res.history[res.n_sinkhorn:])
    ratios = errs[1:] / errs[:-1]
    # superlinear: the contraction factor keeps shrinking over the last three steps
    assert np.all(np.diff(ratios[-3:]) < 0), ratios
    assert ratios[-1] < 1e-2


@pytest.mark.slow
def test_two_per_row_is_linear(assignment500):
    a, b, C = assignment500
    res = solve_ot(a, b, C, 1 / 1200, tol=1e-12, sparsity=2, max_newton=40)
    assert res.n_newton > 30  # the paper's 2/n sparsity read literally: linear rate


def test_mass_rule_on_diffuse_plan(clouds):
    a, b, C, _ = ot_point_clouds(200, 200, random_b=True, seed=0)
    res = solve_ot(a, b, C, 0.02, tol=1e-12)
    assert res.success, res.message
    assert res.n_newton <= 6


def test_sparsity_options_agree(clouds, pot_plan):
    a, b, C, reg = clouds
    # a fixed k per row on this diffuse plan converges linearly (spec: 15/row took 28 steps)
    for sparsity in (15, 0.2, 1.0):
        res = solve_ot(a, b, C, reg, tol=1e-11, sparsity=sparsity, max_newton=400)
        assert res.success, (sparsity, res.message)
        assert np.max(np.abs(res.plan - pot_plan)) <= 1e-9


@pytest.mark.parametrize("sparsity", [None, 15])
def test_jit_and_reference_paths_agree(clouds, monkeypatch, sparsity):
    from numopt._lib import _jit

    if not _jit.HAS_NUMBA:
        pytest.skip("numba not installed")
    a, b, C, reg = clouds
    plans = []
    for disabled in (False, True):
        monkeypatch.setattr(_jit, "JIT_DISABLED", disabled)
        res = solve_ot(b, a, C.T.copy(), reg, tol=1e-11, sparsity=sparsity, max_newton=300)
        assert res.success and res.n_newton >= 1, res.message
        plans.append(res.plan)
    np.testing.assert_allclose(plans[0], plans[1], atol=1e-11)


# ---------------------------------------------------------------------------- invariances
def test_invariances(clouds):
    a, b, C, reg = clouds
    base = solve_ot(a, b, C, reg, tol=1e-12)
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=C.shape[0]), rng.normal(size=C.shape[1])
    shifted = solve_ot(a, b, C + u[:, None] + v[None, :], reg, tol=1e-12)
    np.testing.assert_allclose(shifted.plan, base.plan, atol=1e-12)
    # potentials move with the cost, up to the gauge constant fixed by <a, f> = <b, g>
    t = np.mean((shifted.f - base.f) - u)
    np.testing.assert_allclose(shifted.f - base.f - u, t, atol=1e-10)
    np.testing.assert_allclose(shifted.g - base.g - v, -t, atol=1e-10)
    flipped = solve_ot(b, a, C.T, reg, tol=1e-12)
    np.testing.assert_allclose(flipped.plan, base.plan.T, atol=1e-12)
    assert abs(a @ base.f - b @ base.g) <= 1e-12 * max(1.0, abs(a @ base.f))


def test_zero_masses_and_unequal_sizes(clouds):
    a, b, C, reg = clouds
    a = a.copy()
    a[::10] = 0.0  # 10% zero entries
    a *= b.sum() / a.sum()
    res = solve_ot(a, b, C, reg, tol=1e-12)
    assert res.success, res.message
    assert np.all(res.plan[::10] == 0.0)
    assert np.all(np.isfinite(res.f)) and np.all(np.isfinite(res.g))
    keep = a > 0
    reduced = solve_ot(a[keep], b, C[keep], reg, tol=1e-12)
    np.testing.assert_allclose(res.plan[keep], reduced.plan, atol=1e-12)
    # dual feasibility of the filled potentials: f_i + g_j <= C_ij on the zero rows
    assert np.all(res.f[~keep][:, None] + res.g[None, :] <= C[~keep] + 1e-12)


def test_digit_images_with_blank_pixels():
    ot = pytest.importorskip("ot")
    a, b, C, _ = ot_digit_images(0, 1)
    assert np.any(a == 0) and np.any(b == 0)
    res = solve_ot(a, b, C, 0.01, tol=1e-11)
    assert res.success, res.message
    with np.errstate(divide="ignore"):  # POT takes log(0) of the blank pixels
        ref = ot.bregman.sinkhorn_log(a, b, C, 0.01, numItermax=100_000, stopThr=1e-13)
    assert np.max(np.abs(res.plan - ref)) <= 1e-9


def test_unnormalised_mass():
    a, b, C, _ = ot_point_clouds(30, 20, seed=2)
    res = solve_ot(3 * a, 3 * b, C, 0.05, tol=1e-10)
    unit = solve_ot(a, b, C, 0.05, tol=1e-12)
    assert res.success and res.marginal_error <= 1e-10
    np.testing.assert_allclose(res.plan, 3 * unit.plan, atol=1e-10)


def test_tiny_reg_is_finite():
    a, b, C = ot_random_assignment(64, seed=0)[:3]
    res = solve_ot(a, b, C, 1e-5)
    assert res.status in (0, 1, 2), res.message
    for name in ("plan", "f", "g"):
        assert np.all(np.isfinite(res[name]))


# ---------------------------------------------------------------------------- warm start, batch
@pytest.mark.parametrize("method", METHODS)
def test_warm_start(method, clouds):
    a, b, C, reg = clouds
    cold = solve_ot(a, b, C, reg, method=method, tol=1e-10)
    again = solve_ot(a, b, C, reg, method=method, tol=1e-10, f0=cold.f, g0=cold.g)
    assert again.success and again.nit == 0
    rough = solve_ot(a, b, C, reg, method="sinkhorn-log", tol=1e-3)
    warm = solve_ot(a, b, C, reg, method=method, tol=1e-10, f0=rough.f, g0=rough.g)
    assert warm.success and warm.nit < cold.nit
    only_f = solve_ot(a, b, C, reg, method=method, tol=1e-10, f0=rough.f)
    assert only_f.success and only_f.nit < cold.nit


@pytest.mark.parametrize("method", METHODS)
def test_batch_equals_loop(method, xp):  # strict: one vectorised loop for the whole batch
    rng = np.random.default_rng(5)
    A = rng.random((3, 8))
    B = rng.random((3, 6))
    A /= A.sum(1, keepdims=True)
    B /= B.sum(1, keepdims=True)
    Cs = rng.random((3, 8, 6))
    regs = np.array([0.05, 0.1, 0.2])
    res = solve_ot(xp.asarray(A), xp.asarray(B), xp.asarray(Cs), regs, method=method, tol=1e-12)
    assert res.success and to_numpy(res.plan).shape == (3, 8, 6)
    for k in range(3):
        one = solve_ot(A[k], B[k], Cs[k], regs[k], method=method, tol=1e-12)
        np.testing.assert_allclose(to_numpy(res.plan)[k], one.plan, atol=1e-12)
        if xp.name == "numpy":  # other namespaces check convergence every 10 iterations
            assert res.nit[k] == one.nit
    shared = solve_ot(A, B, Cs[0], 0.1, method=method, tol=1e-12)
    assert shared.plan.shape == (3, 8, 6) and shared.success


# ---------------------------------------------------------------------------- callback, status
def test_maxiter_and_history(clouds):
    a, b, C, reg = clouds
    res = solve_ot(a, b, C, reg, method="sinkhorn-log", maxiter=3, return_history=True)
    assert res.status == 1 and not res.success and res.nit == 3
    assert len(res.history) == 4 and res.history[-1] == pytest.approx(res.marginal_error, rel=1e-6)


def test_kernel_sinkhorn_small_reg_points_to_log_domain():
    a, b, C = ot_random_assignment(50, seed=0)[:3]
    res = solve_ot(a, b, C, 1 / 1200, method="sinkhorn", maxiter=50)
    assert res.status == 1 and "sinkhorn-log" in res.message
    assert np.all(np.isfinite(res.plan))


def test_callback_receives_output_potentials(clouds):
    a, b, C, reg = clouds
    seen = []
    res = solve_ot(a, b, C, reg, tol=1e-10,
                   callback=lambda r: seen.append((r.nit, r.marginal_error, r.f.copy(), r.g.copy())))
    assert [s[0] for s in seen] == list(range(1, len(seen) + 1))
    # the last callback sees the returned point, in the output convention
    assert seen[-1][1] == pytest.approx(res.marginal_error, rel=1e-6)
    np.testing.assert_allclose(seen[-1][2], res.f, atol=1e-12)
    np.testing.assert_allclose(seen[-1][3], res.g, atol=1e-12)


# ---------------------------------------------------------------------------- bad input
def _base():
    a, b, C, _ = ot_point_clouds(5, 4, seed=0)
    return a, b, C


@pytest.mark.parametrize("change, error, match", [
    (lambda a, b, C: (a.reshape(1, 5, 1), b, C), ValueError, "1-D"),
    (lambda a, b, C: (-a, b, C), ValueError, "nonnegative"),
    (lambda a, b, C: (np.where(np.arange(5) == 0, np.nan, a), b, C), ValueError, "NaN"),
    (lambda a, b, C: (a, np.where(np.arange(4) == 1, np.inf, b), C), ValueError, "NaN"),
    (lambda a, b, C: (a * 0, b, C), ValueError, "mass"),
    (lambda a, b, C: (a * (1 + 1e-8), b, C), ValueError, "equal total mass"),
    (lambda a, b, C: (a, b, C[:, :3]), ValueError, "shape"),
    (lambda a, b, C: (a, b, np.where(C > 0.5, np.nan, C)), ValueError, "NaN"),
    (lambda a, b, C: (a, b, np.where(C > 0.5, np.inf, C)), ValueError, "NaN"),
    (lambda a, b, C: (a, b, sp.csr_array(C)), TypeError, "dense"),
    (lambda a, b, C: (a, b, C.astype(np.complex128)), TypeError, "complex"),
])
def test_bad_arrays(change, error, match):
    with pytest.raises(error, match=match):
        solve_ot(*change(*_base()), 0.1)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"reg": 0.0}, ValueError, "reg"),
    ({"reg": -1.0}, ValueError, "reg"),
    ({"reg": np.nan}, ValueError, "reg"),
    ({"reg": 1e-20}, ValueError, "too small"),
    ({"tol": 0.0}, ValueError, "tol"),
    ({"tol": -1e-3}, ValueError, "tol"),
    ({"method": "greenkhorn"}, ValueError, "method"),
    ({"maxiter": 0}, ValueError, "maxiter"),
    ({"max_newton": 0}, ValueError, "max_newton"),
    ({"sinkhorn_iters": -1}, ValueError, "sinkhorn_iters"),
    ({"sparsity": 0}, ValueError, "sparsity"),
    ({"sparsity": 1.5}, ValueError, "sparsity"),
    ({"sparsity": "dense"}, TypeError, "sparsity"),
    ({"f0": np.zeros(4)}, ValueError, "f0"),
    ({"g0": np.full(4, np.inf)}, ValueError, "g0"),
    ({"callback": 3}, TypeError, "callback"),
])
def test_bad_options(kwargs, error, match):
    a, b, C = _base()
    reg = kwargs.pop("reg", 0.1)
    with pytest.raises(error, match=match):
        solve_ot(a, b, C, reg, **kwargs)


def test_reg_too_small_message_has_ratio_and_advice():
    a, b, C = _base()
    with pytest.raises(ValueError, match=r"range\(C\)/reg = .* Use reg >="):
        solve_ot(a, b, C, 1e-15)
    with pytest.raises(ValueError, match="float32"):
        solve_ot(*(v.astype(np.float32) for v in (a, b, C)), 1e-6, tol=1e-5)


def test_bad_batch_reg_and_mixed_namespaces():
    a, b, C = _base()
    with pytest.raises(ValueError, match="reg"):
        solve_ot(np.stack([a, a]), np.stack([b, b]), C, np.array([0.1, 0.1, 0.1]))
    strict = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError):
        solve_ot(strict.asarray(a), b, C, 0.1)


def test_plot_transport_plan(clouds):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numopt.plot import plot_transport_plan

    a, b, C, reg = clouds
    res = solve_ot(a, b, C, reg)
    fig, ax = plt.subplots()
    assert plot_transport_plan(res, ax=ax, a=a, b=b, log=True) is ax
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == C.shape
    with pytest.raises(ValueError, match="2-D plan"):
        plot_transport_plan(np.ones(3), ax=ax)
    plt.close(fig)


def test_reg_as_array_scalar_and_list():
    a, b, C = _base()
    ref = solve_ot(a, b, C, 0.1)
    np.testing.assert_allclose(solve_ot(a, b, C, np.float64(0.1)).plan, ref.plan)
    np.testing.assert_allclose(solve_ot(a, b, C, np.asarray(0.1)).plan, ref.plan)
    batch = solve_ot(np.stack([a, a]), np.stack([b, b]), C, [0.1, 0.1])
    np.testing.assert_allclose(batch.plan[1], ref.plan, atol=1e-14)
    with pytest.raises(ValueError, match="reg"):
        solve_ot(np.stack([a, a]), np.stack([b, b]), C, [0.1, -0.1])


hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")


@hypothesis.settings(max_examples=25, deadline=None, derandomize=True)
@hypothesis.given(n=st.integers(1, 9), m=st.integers(1, 9), seed=st.integers(0, 2**16),
                  reg=st.floats(0.01, 2.0), method=st.sampled_from(METHODS))
def test_property_plan_nonnegative_and_feasible(n, m, seed, reg, method):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n) + 0.01, rng.random(m) + 0.01
    b *= a.sum() / b.sum()
    C = rng.random((n, m))
    res = solve_ot(a, b, C, reg, method=method, tol=1e-9)
    assert res.success, res.message
    assert np.all(res.plan >= 0) and res.marginal_error <= 1e-9
    assert _marginal_error(res.plan, a, b) <= 1e-9 * 1.01
