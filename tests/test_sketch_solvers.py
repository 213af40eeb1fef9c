"""The inner sketch-and-project solvers on random symmetric indefinite systems vs numpy.linalg.solve."""
import numpy as np
import pytest
import scipy.sparse as sp

from numopt.optimize._sketch import SKETCHES, KKTSystem, sketch_solve

N = 50


def _indefinite_system(seed=0):
    """K = Q diag(+-[1, 2]) Q' (condition 2, half the eigenvalues negative) as a KKT-shaped H block
    with an empty G: the solvers see the (N, N) matrix K itself."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((N, N)))[0]
    eigs = rng.uniform(1.0, 2.0, N) * np.where(np.arange(N) % 2 == 0, 1.0, -1.0)
    K = (Q * eigs) @ Q.T
    return 0.5 * (K + K.T), rng.standard_normal(N)


def _system(K, b, sparse=False):
    G = np.zeros((0, N))
    return KKTSystem(sp.csr_array(K) if sparse else K, sp.csr_array(G) if sparse else G, 0.0, b)


@pytest.mark.parametrize("sketch", sorted(SKETCHES))
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_sketch_reaches_numpy_solve(sketch, sparse, jit):
    K, b = _indefinite_system()
    z_star = np.linalg.solve(K, b)
    system = _system(K, b, sparse)
    z, r = np.zeros(N), -b.copy()
    q = 1 if sketch in ("kaczmarz", "gaussian") else 8
    norm, stats = sketch_solve(system, z, r, sketch=sketch, target=1e-11 * np.linalg.norm(b),
                               max_steps=200_000, rng=np.random.default_rng(1), sketch_size=q, jit=jit)
    # ||z - z*|| <= ||K^{-1}|| ||r|| <= 1e-11 ||b||: 1e-8 relative leaves a 1000x margin
    np.testing.assert_allclose(z, z_star, rtol=0, atol=1e-8 * np.linalg.norm(z_star))
    np.testing.assert_allclose(r, K @ z - b, atol=1e-12)
    assert norm <= 1e-11 * np.linalg.norm(b) and stats.steps < 200_000


@pytest.mark.parametrize("sketch", ["kaczmarz", "block-kaczmarz", "gaussian", "block-gaussian", "count"])
def test_error_never_increases(sketch, jit):
    """Each step projects z orthogonally onto an affine set containing z*, so the error is monotone."""
    K, b = _indefinite_system(2)
    z_star = np.linalg.solve(K, b)
    system = _system(K, b, sparse=True)
    z, r = np.zeros(N), -b.copy()
    rng = np.random.default_rng(3)
    errors = [np.linalg.norm(z - z_star)]
    q = 1 if sketch in ("kaczmarz", "gaussian") else 5
    for _ in range(300):
        sketch_solve(system, z, r, sketch=sketch, target=0.0, max_steps=1, rng=rng, sketch_size=q, jit=jit)
        errors.append(np.linalg.norm(z - z_star))
    assert np.all(np.diff(errors) <= 1e-12 * errors[0])
    assert errors[-1] < 0.9 * errors[0]


def test_block_gaussian_with_q_equal_n_solves_in_one_step():
    K, b = _indefinite_system(4)
    system = _system(K, b)
    z, r = np.zeros(N), -b.copy()
    _, stats = sketch_solve(system, z, r, sketch="block-gaussian", target=1e-10 * np.linalg.norm(b),
                            max_steps=10, rng=np.random.default_rng(0), sketch_size=N, jit=False)
    assert stats.steps == 1
    np.testing.assert_allclose(z, np.linalg.solve(K, b), atol=1e-9)


@pytest.mark.parametrize("sketch", ["kaczmarz", "block-kaczmarz"])
def test_compiled_and_reference_row_sketches_agree(sketch):
    K, b = _indefinite_system(5)
    out = []
    for jit in (True, False):
        system = _system(K, b, sparse=True)
        z, r = np.zeros(N), -b.copy()
        _, stats = sketch_solve(system, z, r, sketch=sketch, target=1e-6, max_steps=3000,
                                rng=np.random.default_rng(7), sketch_size=1 if sketch == "kaczmarz" else 6,
                                jit=jit)
        out.append((z, stats.steps))
    assert out[0][1] == out[1][1]
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rel", [1e-2, 1e-8])
def test_exact_on_operator_meets_the_true_residual_target(rel):
    """'exact' with a LinearOperator H (MINRES): the returned ||K z - b|| is true and <= target.

    scipy's own MINRES test (relative to ||K|| ||z|| + ||b||) can stop with ||r|| ~ ||b|| on this
    indefinite K; the solver must keep going until the requested residual is met.
    """
    from scipy.sparse.linalg import aslinearoperator

    K, b = _indefinite_system(3)
    G = np.zeros((0, N))
    system = KKTSystem(aslinearoperator(K), G, 0.0, b)
    z, r = np.zeros(N), -b.copy()
    target = rel * np.linalg.norm(b)
    norm, stats = sketch_solve(system, z, r, sketch="exact", target=target, max_steps=10_000,
                               rng=np.random.default_rng(0), sketch_size=1, jit=False)
    np.testing.assert_allclose(r, K @ z - b, atol=1e-12)
    assert norm == pytest.approx(np.linalg.norm(K @ z - b), rel=1e-12)
    assert norm <= target
    assert stats.matvecs >= 2  # MINRES iterations are counted as products with K
