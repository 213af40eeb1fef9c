"""Tests for ``train_dcdm`` and ``DCDMModel`` (save/load, directions, training data)."""
import numpy as np
import pytest

import numopt
from numopt.problems import poisson_matrix, random_field

torch = pytest.importorskip("torch")

from ._torch_testing import one_torch_thread  # noqa: F401,E402  (autouse fixture)



@pytest.fixture(scope="module")
def small_model():
    # 2-D 16x16, 150 samples (135/15), 4 epochs of batch 10 = 56 Adam steps: a few seconds.
    return numopt.train_dcdm((16, 16), n_samples=150, epochs=4, seed=0, progress=False)


def test_training_loss_decreases(small_model):
    history = small_model.metadata["history"]
    assert len(history["val"]) == 5 and len(history["train"]) == 4
    # Untrained networks give loss ~1 (a random direction removes almost nothing from a unit
    # residual); after 56 steps the 2-D network must have halved it (measured: ~0.1-0.3).
    assert history["val"][0] > 0.8
    assert min(history["val"]) < 0.5 * history["val"][0]
    assert small_model.metadata["best_val_loss"] == min(history["val"])


def test_progress_bar(capsys):
    numopt.train_dcdm((8, 8), n_samples=20, epochs=1, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "Lanczos" in err and "epoch 1/1" in err and "best val" in err


def test_same_seed_same_weights():
    a = numopt.train_dcdm((8, 8), n_samples=20, epochs=1, seed=3, progress=False)
    b = numopt.train_dcdm((8, 8), n_samples=20, epochs=1, seed=3, progress=False)
    for (ka, va), (kb, vb) in zip(a.network.state_dict().items(), b.network.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_save_load_identical_directions(small_model, tmp_path):
    path = tmp_path / "model.pt"
    small_model.save(path)
    loaded = numopt.DCDMModel.load(path)
    assert loaded.config == small_model.config
    assert loaded.metadata["history"] == small_model.metadata["history"]
    r = random_field((16, 16), seed=0, dtype=np.float32)
    np.testing.assert_array_equal(loaded(r), small_model(r))  # bitwise identical on CPU


def test_model_call_shapes_dtypes_homogeneity(small_model):
    r = random_field((16, 16), seed=2)
    d = small_model(r)
    assert d.shape == (256,) and d.dtype == np.float64
    grid_d = small_model(r.reshape(16, 16))
    assert grid_d.shape == (16, 16)
    np.testing.assert_array_equal(grid_d.ravel(), d)
    # positively homogeneous: the network sees r / ||r|| (float32 rounding of the scaled input)
    np.testing.assert_allclose(small_model(7.0 * r), 7.0 * d, rtol=1e-5, atol=1e-6 * np.abs(d).max())
    assert not np.any(small_model(0 * r))
    # odd grid sizes are zero-padded to the pooling factor and cropped back
    assert small_model(random_field((15, 13), seed=0), grid_shape=(15, 13)).shape == (195,)


def test_model_direction_is_descent_for_training_operator(small_model):
    A = poisson_matrix((16, 16))
    r = random_field((16, 16), seed=4)
    d = small_model(r)
    # A trained model points towards A^{-1} r: the one-step residual reduction beats steepest
    # descent's on a white-noise residual.
    left_model = np.linalg.norm(r - (d @ r) / (d @ A @ d) * (A @ d))
    left_sd = np.linalg.norm(r - (r @ r) / (r @ A @ r) * (A @ r))
    assert left_model < left_sd


def test_training_bad_input():
    with pytest.raises(ValueError, match="2 or 3 ints"):
        numopt.train_dcdm((16,), progress=False)
    with pytest.raises(ValueError, match="`A` has 64 rows but `grid_shape`"):
        numopt.train_dcdm((4, 4), A=poisson_matrix((8, 8)), progress=False)
    with pytest.raises(ValueError, match="`n_samples` must be an int"):
        numopt.train_dcdm((8, 8), n_samples=1, progress=False)
    with pytest.raises(ValueError, match="`levels` must be an int in \\[1, 2\\]"):
        numopt.train_dcdm((8, 8), levels=3, progress=False)
    with pytest.raises(ValueError, match="`levels` applies to architecture='kaneda'"):
        numopt.train_dcdm((8, 8, 8), levels=2, progress=False)
    with pytest.raises(ValueError, match="`architecture` must be"):
        numopt.train_dcdm((8, 8), architecture="unet", progress=False)
    with pytest.raises(ValueError, match="`data` must be 'ritz' or 'spectral'"):
        numopt.train_dcdm((8, 8), data="lanczos", progress=False)
    with pytest.raises(ValueError, match="`data='spectral'` uses the eigenvectors"):
        numopt.train_dcdm((8, 8), A=poisson_matrix((8, 8)), data="spectral", progress=False)
    with pytest.raises(ValueError, match="`A` trains on one grid"):
        numopt.train_dcdm([(8, 8), (4, 4)], A=poisson_matrix((8, 8)), progress=False)
    with pytest.raises(ValueError, match="all be 2-D or all 3-D"):
        numopt.train_dcdm([(8, 8), (4, 4, 4)], progress=False)


def test_train_on_user_matrix():
    from numopt.problems import poisson_variable_coefficient

    k = np.exp(random_field((8, 8), correlation=0.2, seed=0).reshape(8, 8))
    model = numopt.train_dcdm((8, 8), A=poisson_variable_coefficient(k), n_samples=20, epochs=1,
                              seed=0, progress=False)
    assert model.dim == 2 and model.metadata["grid_shape"] == [8, 8]


def test_training_data_low_spectrum_bias():
    from numopt.linalg._dcdm._data import lanczos_ritz_vectors, ritz_training_vectors

    A = poisson_matrix((12, 12))
    rng = np.random.default_rng(0)
    values, R = lanczos_ritz_vectors(A, 144, rng)
    # Lanczos to exhaustion: every Ritz pair is an eigenpair (closed form for Poisson; a
    # Krylov space holds one vector per multiple eigenvalue, so fewer than 144 may come back)
    lam1 = 2 - 2 * np.cos(np.arange(1, 13) * np.pi / 13)
    exact = (lam1[:, None] + lam1[None, :]).ravel()
    assert np.abs(values[:, None] - exact[None, :]).min(axis=1).max() < 1e-10
    assert values[0] == pytest.approx(exact.min(), abs=1e-12)
    np.testing.assert_allclose(R @ R.T, np.eye(len(values)), atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(A @ R.T - R.T * values, axis=0), 0, atol=1e-8)
    B = ritz_training_vectors(A, 400, rng, m=144)
    assert B.dtype == np.float32 and np.allclose(np.linalg.norm(B, axis=1), 1, atol=1e-6)
    energy = ((B.astype(np.float64) @ R.T) ** 2).mean(axis=0)
    cut = 144 // 2 + 144 // 20  # the boosted Ritz vectors (same seed sequence not needed:
    assert energy[:cut].mean() > 40 * energy[cut:].mean()  # 81x energy in expectation)


@pytest.mark.slow
def test_training_3d_spec_recipe():
    # spec section 9: 16^3, 200 samples (180/20), Adam lr 1e-3, batch 10, 6 epochs -> validation
    # loss below half the untrained one (measured 0.07-0.22 from ~1.0 over 3 seeds).
    model = numopt.train_dcdm((16, 16, 16), n_samples=200, epochs=6, architecture="kaneda",
                              channels=16, seed=0, progress=False)
    history = model.metadata["history"]["val"]
    assert min(history) < 0.5 * history[0]


def test_two_level_network_roundtrip(tmp_path):
    model = numopt.train_dcdm((12, 12, 12), n_samples=10, epochs=1, architecture="kaneda", levels=2,
                              lanczos_steps=20, seed=0, progress=False)
    assert model.config["levels"] == 2
    model.save(tmp_path / "l2.pt")
    loaded = numopt.DCDMModel.load(tmp_path / "l2.pt")
    r = random_field((10, 10, 10), seed=1)  # 10 is not a multiple of 4: padded and cropped
    np.testing.assert_array_equal(loaded(r, grid_shape=(10, 10, 10)),
                                  model(r, grid_shape=(10, 10, 10)))


def test_spectral_training_vectors_are_boosted_poisson_eigenvectors():
    from numopt.linalg._dcdm._data import LOW_QUANTILE, spectral_training_vectors

    grid = (5, 4, 6)
    values, vectors = np.linalg.eigh(poisson_matrix(grid).toarray())  # LAPACK reference
    B = spectral_training_vectors(grid, 600, np.random.default_rng(0), chunk=7)
    assert B.shape == (600, 120) and B.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(B, axis=1), 1.0, atol=1e-6)
    energy = ((B.astype(np.float64) @ vectors) ** 2).mean(axis=0)
    low = values < np.quantile(values, LOW_QUANTILE)
    # 81x the energy per eigenvector below the quantile, in expectation (600 samples: the
    # measured ratio is within ~15 % of 81; equal eigenvalues share their energy, so compare
    # averages over the two groups).
    assert 60 < energy[low].mean() / energy[~low].mean() < 110


def test_multilevel_depth_follows_grid():
    from numopt.linalg._dcdm._network import multilevel_depth

    assert [multilevel_depth((g,) * 3, 4) for g in (3, 4, 8, 16, 30, 32, 64, 128)] == \
        [0, 0, 1, 2, 3, 3, 4, 5]
    assert multilevel_depth((64, 16), 4) == 2


@pytest.fixture(scope="module")
def multilevel_model():
    # two grids, spectral data: 2 x 25 samples, one epoch of 4 + 4 Adam steps (about a second)
    return numopt.train_dcdm([(8, 8, 8), (16, 16, 16)], n_samples=50, epochs=1, data="spectral",
                             channels=4, seed=0, progress=False)


def test_multilevel_model_on_several_grids(multilevel_model, tmp_path):
    model = multilevel_model
    assert model.config == {"architecture": "multilevel", "dim": 3, "channels": 4, "blocks": 1,
                            "bottom": 2, "coarsest": 4}
    assert model.metadata["grid_shape"] == [[8, 8, 8], [16, 16, 16]]
    assert model.metadata["data"] == "spectral" and len(model.metadata["history"]["val"]) == 2
    model.save(tmp_path / "ml.pt")
    loaded = numopt.DCDMModel.load(tmp_path / "ml.pt")
    for grid in [(8, 8, 8), (10, 12, 9), (32, 32, 32)]:  # (10, 12, 9) is padded and cropped
        r = random_field(grid, seed=1)
        d = model(r, grid_shape=grid)
        np.testing.assert_array_equal(loaded(r, grid_shape=grid), d)
        assert d.shape == r.shape and np.all(np.isfinite(d)) and d @ r > 0
        # bias-free: positively homogeneous (float32 rounding of the scaled input)
        np.testing.assert_allclose(model(3.0 * r, grid_shape=grid), 3.0 * d, rtol=1e-5,
                                   atol=1e-6 * np.abs(d).max())


def test_multilevel_network_is_a_fixed_linear_map_without_relu_paths():
    # With every residual block's second convolution zeroed the network is linear:
    # y = P (E + sum_l 4^l I^l R^l E) L r with the fixed full-weighting restriction R and linear
    # interpolation I.  Check the factor 4 and the restriction on a constant field: away from the
    # boundary, full weighting keeps a constant, so one level adds 4x the fine-level response.
    from numopt.linalg._dcdm._model import build_network

    net = build_network("multilevel", dim=2, channels=1, blocks=1, bottom=1, coarsest=4)
    with torch.no_grad():
        for block in [*net.smooth, *net.correct, *net.bottom]:
            block.second.weight.zero_()
        net.lift.weight.zero_()
        net.lift.weight[0, 0, 1, 1] = 1.0
        net.project.weight.fill_(1.0)
        x = torch.ones(1, 1, 16, 16)
        y8 = net(torch.ones(1, 1, 8, 8))   # depth 1: 1 + 4
        y16 = net(x)                        # depth 2: 1 + 4 + 16
    assert y8[0, 0, 4, 4].item() == pytest.approx(5.0)
    assert y16[0, 0, 8, 8].item() == pytest.approx(21.0)
