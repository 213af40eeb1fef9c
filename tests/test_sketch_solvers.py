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


def _kkt_with_indefinite_hessian(seed, reduced_definite=True, n=60, m=15):
    """H with 10 negative eigenvalues in range(G') (so Z'HZ is positive definite) or in null(G)."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((m, n)) * 30.0  # badly scaled G: no effect on projected CG
    Q = np.linalg.qr(np.column_stack([G.T, rng.standard_normal((n, n - m))]))[0]
    eigs = rng.uniform(0.5, 5.0, n)
    eigs[:10 if reduced_definite else 0] *= -1.0
    if not reduced_definite:
        eigs[m:m + 10] *= -1.0  # columns m.. of Q span null(G)
    H = (Q * eigs) @ Q.T
    H = 0.5 * (H + H.T)
    K = np.block([[H, G.T], [G, np.zeros((m, m))]])
    return H, G, K, rng.standard_normal(n + m)


@pytest.mark.parametrize("rel", [1e-2, 1e-10])
@pytest.mark.parametrize("sparse_G", [False, True], ids=["dense G", "sparse G"])
def test_exact_on_operator_is_projected_cg_to_the_target(rel, sparse_G):
    """'exact' with a LinearOperator H: projected CG; K z = b met to the target (residual returned is
    the true one), the constraint rows exactly; an indefinite H with a positive definite reduced
    Hessian is fine; the relative solution agrees with numpy.linalg.solve at the tight target."""
    from scipy.sparse.linalg import aslinearoperator

    H, G, K, b = _kkt_with_indefinite_hessian(3)
    system = KKTSystem(aslinearoperator(H), sp.csr_array(G) if sparse_G else G, 0.0, b)
    z, r = np.zeros(K.shape[0]), -b.copy()
    target = rel * np.linalg.norm(b)
    norm, stats = sketch_solve(system, z, r, sketch="exact", target=target, max_steps=10_000,
                               rng=np.random.default_rng(0), sketch_size=1, jit=False)
    # r by recurrence: round-off of a few dozen CG steps, 1e-9 relative to ||b||
    np.testing.assert_allclose(r, K @ z - b, atol=1e-9 * np.linalg.norm(b))
    assert norm <= target
    n = H.shape[0]
    np.testing.assert_allclose(G @ z[:n], b[n:], atol=1e-10 * np.linalg.norm(b))  # constraints exact
    if rel < 1e-8:  # ||z - z*|| <= ||K^-1|| ||r||: cond(K) ~ 1e3 here, so 1e-6 relative is loose
        z_star = np.linalg.solve(K, b)
        np.testing.assert_allclose(z, z_star, atol=1e-6 * np.linalg.norm(z_star))
    assert 1 <= stats.steps < n and stats.matvecs == stats.steps + 1  # B dx of the start + one per step


def test_exact_on_operator_warm_start_continues():
    from scipy.sparse.linalg import aslinearoperator

    H, G, K, b = _kkt_with_indefinite_hessian(5)
    system = KKTSystem(aslinearoperator(H), G, 0.0, b)
    z, r = np.zeros(K.shape[0]), -b.copy()
    kw = dict(sketch="exact", max_steps=10_000, rng=np.random.default_rng(0), sketch_size=1, jit=False)
    loose, _ = sketch_solve(system, z, r, target=1e-1 * np.linalg.norm(b), **kw)
    tight, _ = sketch_solve(system, z, r, target=1e-9 * np.linalg.norm(b), **kw)
    assert tight <= 1e-9 * np.linalg.norm(b) < loose
    np.testing.assert_allclose(z, np.linalg.solve(K, b), atol=1e-6 * np.linalg.norm(z))


def test_exact_on_operator_flags_negative_reduced_curvature():
    """A direction of null(G) with p'Hp < 0 makes projected CG return inf (the caller shifts H)."""
    from scipy.sparse.linalg import aslinearoperator

    H, G, K, b = _kkt_with_indefinite_hessian(4, reduced_definite=False)
    Z = np.linalg.qr(G.T, mode="complete")[0][:, G.shape[0]:]
    assert np.linalg.eigvalsh(Z.T @ H @ Z)[0] < 0
    system = KKTSystem(aslinearoperator(H), G, 0.0, b)
    z, r = np.zeros(K.shape[0]), -b.copy()
    norm, _ = sketch_solve(system, z, r, sketch="exact", target=1e-10, max_steps=10_000,
                           rng=np.random.default_rng(0), sketch_size=1, jit=False)
    assert norm == np.inf
