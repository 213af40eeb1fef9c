"""numopt.prox: projections checked by their optimality (KKT) conditions and against each other."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numopt import prox
from tests._xp_testing import xp_assert_close

vectors = arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3, allow_nan=False))


def _kkt_simplex(v, x, radius, atol):
    # x = argmin ||x - v||^2 on the simplex iff x >= 0, sum x = r and v - x = theta on supp(x),
    # v - x <= theta off it.
    assert np.all(x >= 0) and abs(x.sum() - radius) <= atol * max(1, radius)
    theta = v - x
    support = x > 0
    assert np.ptp(theta[support]) <= atol * (1 + np.abs(v).max())
    assert np.all(theta[~support] <= theta[support].max() + atol * (1 + np.abs(v).max()))


@settings(deadline=None, derandomize=True, max_examples=25)
@given(vectors, st.sampled_from([0.5, 1.0, 7.0]))
def test_simplex_kkt_and_compiled_agree(v, radius):
    x = prox.project_simplex(v, radius)
    _kkt_simplex(v, x, radius, 1e-9)
    np.testing.assert_allclose(prox.project_simplex(x, radius), x, atol=1e-9)  # idempotent
    from numopt._kernels._proj import apply_resolvent

    out = np.empty_like(v)
    apply_resolvent(1, v, 1.0, np.array([radius]), np.array([0, v.size]), out, np.empty(2 * v.size))
    np.testing.assert_allclose(out, x, atol=1e-9 * (1 + np.abs(v).max()))


def test_simplex_on_backend(xp, dtype):
    v = np.random.default_rng(0).standard_normal(30).astype(dtype)
    x = prox.project_simplex(xp.asarray(v))
    ref = prox.project_simplex(v.astype(np.float64))
    xp_assert_close(x, ref, atol=1e-5 if dtype == np.float32 else 1e-12, xp=xp, dtype=dtype)


def test_simplices_blocks():
    v = np.random.default_rng(1).standard_normal(9)
    x = prox.Simplices([4, 5])(v, 1.0)
    np.testing.assert_allclose(x[:4], prox.project_simplex(v[:4]))
    np.testing.assert_allclose(x[4:], prox.project_simplex(v[4:]))
    with pytest.raises(ValueError, match="`sizes`"):
        prox.project_simplices(v, [4, 4])


@pytest.mark.parametrize("resolvent, reference", [
    (prox.Box(-0.5, 0.3), lambda w, s: np.clip(w, -0.5, 0.3)),
    (prox.Ball(2.0), lambda w, s: w * min(1.0, 2.0 / np.linalg.norm(w))),
    (prox.L1(0.7), lambda w, s: np.sign(w) * np.maximum(np.abs(w) - 0.7 * s, 0)),
    (prox.Simplex(3.0), lambda w, s: prox.project_simplex(w, 3.0)),
])
def test_resolvents_and_compiled_forms(resolvent, reference):
    from numopt._kernels._proj import apply_resolvent

    w = 3 * np.random.default_rng(2).standard_normal(12)
    for step in (0.5, 2.0):
        np.testing.assert_allclose(resolvent(w, step), reference(w, step), atol=1e-12)
        fparams, iparams = resolvent.params(w.size)
        out = np.empty_like(w)
        apply_resolvent(resolvent.code, w, step, fparams, iparams, out, np.empty(2 * w.size))
        np.testing.assert_allclose(out, reference(w, step), atol=1e-12)


def test_l1_prox_is_optimal():
    # prox_l1(v, t) minimises t||x||_1 + ||x - v||^2/2: 0 in t sign(x) + x - v (subgradient check).
    v = np.random.default_rng(3).standard_normal(50)
    x = prox.prox_l1(v, 0.4)
    nz = x != 0
    np.testing.assert_allclose(v[nz] - x[nz], 0.4 * np.sign(x[nz]), atol=1e-14)
    assert np.all(np.abs(v[~nz]) <= 0.4)


def test_bad_parameters():
    with pytest.raises(ValueError, match="`radius`"):
        prox.Simplex(0.0)
    with pytest.raises(ValueError, match="`lower` must be <= `upper`"):
        prox.Box(1.0, 0.0)
    with pytest.raises(TypeError, match="`lower`"):
        prox.Box(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="`weight`"):
        prox.L1(-1.0)
