"""``train_dcdm``: fit a DCDM network with the scale-invariant loss on Ritz-vector right-hand sides."""
import math
import sys
import time

import numpy as np

from ..._lib._rng import as_generator
from ..._lib._validate import check_choice, check_int, check_matrix, check_scalar
from ._data import default_lanczos_steps, ritz_training_vectors, spectral_training_vectors
from ._model import DCDMModel, build_network, import_torch, padded_forward

__all__ = ["train_dcdm", "DEFAULTS"]

#: Per-dimension defaults (spec section 5): architecture, channels, samples, epochs.
DEFAULTS = {2: {"architecture": "kaneda", "channels": 16, "n_samples": 2000, "epochs": 20},
            3: {"architecture": "multilevel", "channels": 16, "n_samples": 3000, "epochs": 6}}
#: Sizes of the multilevel network: residual blocks per level and at the coarsest level, and the
#: largest coarsest-level side.
MULTILEVEL_SIZES = {"blocks": 1, "bottom": 2, "coarsest": 4}


def train_dcdm(grid_shape, *, A=None, n_samples=None, epochs=None, architecture=None, channels=None,
               levels=1, data="ritz", lanczos_steps=None, batch_size=10, learning_rate=1e-3, seed=None,
               progress=True):
    r"""Train a DCDM network (a :class:`DCDMModel`) for systems on a 2-D or 3-D grid.

    The network ``f`` is trained so that ``f(r)`` is a good search direction for ``A x = r``, up to
    an unknown scale, with the scale-invariant loss of Kaneda et al. (the residual left after one
    exact line search from ``x = 0`` along ``y = f(r)``, averaged over a batch):

    .. math:: \ell(r) = \Big\| r - \frac{y^T r}{y^T A y} A y \Big\|_2^2, \qquad \|r\|_2 = 1.

    Training right-hand sides (``data='ritz'``) are random combinations of Ritz vectors of ``A``
    (Lanczos with full reorthogonalisation from ``A g``), with 81 times the energy on the lowest
    ``m/2 + m/20`` (see :func:`numopt.linalg._dcdm._data.ritz_training_vectors`); ``'spectral'``
    draws them from the exact eigenvectors of box Dirichlet Poisson instead (no Lanczos; 81 times
    the energy below the 0.55-quantile of the eigenvalues).  Optimiser: Adam, 90/10
    train/validation split on every grid; the weights with the lowest validation loss are kept.

    Parameters
    ----------
    grid_shape : tuple of 2 or 3 ints, or list of such tuples
        The training grid, C order (the numbering of :func:`numopt.poisson_matrix`).  Several
        grids of one dimension (Poisson matrices only): the samples are split evenly between them
        and every batch comes from one grid, in random order; a ``'multilevel'`` network then
        learns one set of weights for several depths.
    A : (n, n) scipy.sparse matrix, optional
        The SPD training matrix on that (single) grid (default ``poisson_matrix(grid_shape)``).
    n_samples : int, optional
        Number of training right-hand sides, all grids together (default 2000 in 2-D, 3000 in
        3-D).
    epochs : int, optional
        Passes over the training set (default 20 in 2-D, 6 in 3-D).
    architecture : {'kaneda', 'multilevel'}, optional
        ``'kaneda'`` (default in 2-D): the paper's network (see Notes).  ``'multilevel'`` (default
        in 3-D): a V-cycle of weight-shared levels, as many as the grid allows down to a 4-point
        side, with residual blocks per level and a fixed factor 4 between levels (see
        :class:`numopt.linalg._dcdm._network.MultilevelNet`): its iteration counts stay nearly
        flat as the grid grows (*measured* in ``examples/compare_dcdm.py``).
    channels : int, optional
        Feature maps per convolution (default 16).
    levels : {1, 2}
        Pooling levels of the ``'kaneda'`` network (2: about twice the receptive field;
        *measured* on 3-D 16^3, 8 channels, 150 samples, 42 Adam steps: validation loss
        1.006 -> 0.132 with ``levels=2``, 0.112 with ``levels=1``).
    data : {'ritz', 'spectral'}
        Training right-hand sides (above); ``'spectral'`` needs ``A=None``.  *Measured*
        (multilevel network, 8^3 + 16^3 + 32^3, 1500 samples, 3 epochs, seed 1; smooth source,
        rtol 1e-4 / 1e-8): ``'ritz'`` 11 / 20 iterations at 32^3 and 15 / 26 at 64^3;
        ``'spectral'`` stagnated at both sizes.  The Ritz vectors of a short Lanczos run resolve
        the lowest modes first, so ``'ritz'`` puts far more energy on them than the 0.55-quantile
        weighting of ``'spectral'``, and those modes decide the iteration counts.
    lanczos_steps : int, optional
        Lanczos steps ``m`` per grid (default ``min(1000, max(400, n // 32))``).
    batch_size : int
        Samples per Adam step.
    learning_rate : float
        Adam step size.
    seed : None, int or numpy.random.Generator
        Seeds the data, the initial weights and the batch order (same seed, same model).
    progress : bool
        Print a progress bar with the losses to ``stderr``.

    Returns
    -------
    DCDMModel
        ``metadata['history']`` holds ``'train'`` (mean training loss per epoch) and ``'val'``
        (validation loss of the untrained network, then after every epoch).

    See Also
    --------
    solve_dcdm : the solver that uses the model.

    Notes
    -----
    ``'kaneda'`` network (Kaneda et al., Section 3; all convolutions 3x3(x3) with zero padding): a
    linear lift to ``channels`` maps, ``P = 2`` residual pairs at full resolution, average pooling,
    ``Q = 3`` pairs at half resolution, nearest upsampling plus skip connection, ``R = 2`` pairs, a
    linear 1x1 projection.  Both networks are fully convolutional: a model trained on one grid
    applies to any grid of the same dimension; the fixed depth of ``'kaneda'`` limits its
    receptive field (about +-23 cells), so its iteration counts grow on larger grids.

    References
    ----------
    .. [1] A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran, "A deep conjugate
       direction method for iteratively solving linear systems", ICML 2023, PMLR 202:15720-15736.

    Examples
    --------
    >>> import numopt
    >>> model = numopt.train_dcdm((16, 16), n_samples=40, epochs=1, seed=0, progress=False)
    >>> model.dim, len(model.metadata["history"]["val"])
    (2, 2)
    """
    torch = import_torch("train_dcdm")
    if data not in ("ritz", "spectral"):
        raise ValueError(f"`data` must be 'ritz' or 'spectral'; got {data!r}")
    if data == "spectral" and A is not None:
        raise ValueError("`data='spectral'` uses the eigenvectors of the box Dirichlet Poisson matrix: "
                         "pass `A=None` or use `data='ritz'` for another matrix")
    problems = _check_training_problems(grid_shape, A)
    dim = len(problems[0][0])
    defaults = DEFAULTS[dim]
    n_samples = check_int(defaults["n_samples"] if n_samples is None else n_samples, name="n_samples",
                          low=2 * len(problems))
    epochs = check_int(defaults["epochs"] if epochs is None else epochs, name="epochs", low=1)
    architecture = defaults["architecture"] if architecture is None else architecture
    architecture = check_choice(architecture, ("kaneda", "multilevel"), name="architecture")
    channels = check_int(defaults["channels"] if channels is None else channels, name="channels", low=1)
    levels = check_int(levels, name="levels", low=1, high=2)
    if architecture == "multilevel" and levels != 1:
        raise ValueError("`levels` applies to architecture='kaneda'; the 'multilevel' network "
                         "takes its depth from the grid")
    batch_size = check_int(batch_size, name="batch_size", low=1)
    learning_rate = check_scalar(learning_rate, name="learning_rate", low=0.0, low_open=True)
    rng = as_generator(seed)
    report = _Progress(progress)
    sets, steps = [], []
    for k, (grid, A_grid) in enumerate(problems):
        count = n_samples // len(problems) + (k < n_samples % len(problems))
        n = A_grid.shape[0]
        if data == "ritz":
            m = default_lanczos_steps(n) if lanczos_steps is None else check_int(
                lanczos_steps, name="lanczos_steps", low=2, high=n)
            report.line(f"train_dcdm: Lanczos with m={m} steps on n={n} unknowns")
            samples = ritz_training_vectors(A_grid, count, rng, m=m)
        else:
            m = None
            report.line(f"train_dcdm: {count} spectral right-hand sides on n={n} unknowns")
            samples = spectral_training_vectors(grid, count, rng)
        samples = torch.from_numpy(samples)
        n_train = max(1, int(round(0.9 * count)))
        val = samples[n_train:] if count > n_train else samples
        sets.append((_ScaleInvariantLoss(torch, A_grid, grid), samples[:n_train], val))
        steps.append(m)
    config = {"architecture": architecture, "dim": dim, "channels": channels}
    config.update({"P": 2, "Q": 3, "R": 2, "levels": levels} if architecture == "kaneda"
                  else MULTILEVEL_SIZES)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**31)))
        network = build_network(**config)
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    history = {"train": [], "val": [_validation_loss(network, sets, batch_size)]}
    best_state, best_val = _snapshot(network), history["val"][0]
    n_train = sum(len(train) for _, train, _ in sets)
    report.line(f"train_dcdm: untrained validation loss {best_val:.4f}")
    for epoch in range(1, epochs + 1):
        network.train()
        batches = _shuffled_batches(sets, batch_size, rng)
        total = 0.0
        for step, (loss_fn, batch) in enumerate(batches):
            loss = loss_fn(network, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.shape[0]
            report.bar(epoch, epochs, (step + 1) / len(batches), loss.item(), best_val)
        history["train"].append(total / n_train)
        history["val"].append(_validation_loss(network, sets, batch_size))
        if history["val"][-1] < best_val:
            best_state, best_val = _snapshot(network), history["val"][-1]
        report.bar(epoch, epochs, 1.0, history["train"][-1], best_val, done=True)
    network.load_state_dict(best_state)
    from ... import __version__

    grids = [list(grid) for grid, _ in problems]
    metadata = {"grid_shape": grids[0] if len(grids) == 1 else grids, "data": data,
                "n_samples": n_samples, "epochs": epochs,
                "lanczos_steps": steps[0] if len(steps) == 1 else steps, "batch_size": batch_size,
                "learning_rate": learning_rate, "seed": seed if isinstance(seed, int) else None,
                "numopt_version": __version__, "history": history, "best_val_loss": best_val}
    return DCDMModel(network, config, metadata)


def _check_training_problems(grid_shape, A):
    """``[(grid, A_grid)]``: one grid (``A`` or its Poisson matrix) or several (Poisson only)."""
    from ...problems import poisson_matrix

    several = not isinstance(grid_shape, (int, np.integer)) and len(tuple(grid_shape)) > 0 and all(
        isinstance(g, (tuple, list)) for g in grid_shape)
    shapes = [tuple(g) for g in grid_shape] if several else [grid_shape]
    grids = []
    for shape in shapes:
        if isinstance(shape, (int, np.integer)) or len(tuple(shape)) not in (2, 3):
            raise ValueError(f"`grid_shape` must be a tuple of 2 or 3 ints, or a list of such "
                             f"tuples; got {grid_shape!r}")
        grids.append(tuple(check_int(g, name="grid_shape", low=2) for g in shape))
    if len({len(grid) for grid in grids}) > 1:
        raise ValueError(f"the grids in `grid_shape` must all be 2-D or all 3-D; got {grid_shape!r}")
    if A is None:
        return [(grid, poisson_matrix(grid)) for grid in grids]
    import scipy.sparse as sp

    if several:
        raise ValueError("`A` trains on one grid: pass a single `grid_shape` with it")
    if not sp.issparse(A):
        raise TypeError(f"`A` must be a scipy.sparse matrix; got {type(A).__name__}")
    n = check_matrix(A, name="A")[0]
    grid = grids[0]
    if n != math.prod(grid):
        raise ValueError(f"`A` has {n} rows but `grid_shape` {grid} has {math.prod(grid)} points")
    return [(grid, sp.csr_array(A, dtype=np.float64))]


def _shuffled_batches(sets, batch_size, rng):
    """One epoch: each grid's training samples in random batches; with several grids, the batches
    in random order."""
    batches = []
    for loss_fn, train, _ in sets:
        order = rng.permutation(len(train))
        batches += [(loss_fn, train[order[k:k + batch_size]]) for k in range(0, len(train), batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))] if len(sets) > 1 else batches


def _validation_loss(network, sets, batch_size):
    """Mean scale-invariant loss over the validation samples of every grid."""
    total = sum(loss_fn.evaluate(network, val, batch_size) * len(val) for loss_fn, _, val in sets)
    return total / sum(len(val) for _, _, val in sets)


def _snapshot(network):
    return {k: v.detach().clone() for k, v in network.state_dict().items()}


class _ScaleInvariantLoss:
    """Mean over the batch of ``||r - (y^T r / y^T A y) A y||^2``; samples with ``y^T A y <= 1e-30``
    are skipped.  ``A y`` is a float32 sparse product."""

    def __init__(self, torch, A, grid):
        coo = A.tocoo()
        self.torch, self.grid = torch, grid
        indices = torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64))
        values = torch.from_numpy(coo.data.astype(np.float32))
        self.A = torch.sparse_coo_tensor(indices, values, size=coo.shape, check_invariants=True)

    def __call__(self, network, R):
        torch = self.torch
        batch = R.shape[0]
        Y = padded_forward(network, R.reshape(batch, 1, *self.grid)).reshape(batch, -1)
        AY = torch.sparse.mm(self.A, Y.T).T
        curvature = (Y * AY).sum(dim=1)
        valid = curvature > 1e-30
        step = (Y * R).sum(dim=1) / torch.where(valid, curvature, 1.0)
        left = ((R - step[:, None] * AY) ** 2).sum(dim=1)
        return left[valid].mean() if bool(valid.any()) else (Y * 0.0).sum() + 1.0

    def evaluate(self, network, R, batch_size):
        network.eval()
        with self.torch.no_grad():
            losses = [self(network, R[k:k + batch_size]).item() * len(R[k:k + batch_size])
                      for k in range(0, len(R), batch_size)]
        return sum(losses) / len(R)


class _Progress:
    """A one-line text progress bar on stderr (no dependency)."""

    def __init__(self, enabled, width=30):
        self.enabled, self.width, self.start = enabled, width, time.perf_counter()
        self._last = -1

    def line(self, text):
        if self.enabled:
            print(text, file=sys.stderr, flush=True)

    def bar(self, epoch, epochs, fraction, loss, best, done=False):
        if not self.enabled:
            return
        filled = int(self.width * fraction)
        if filled == self._last and not done:
            return
        self._last = -1 if done else filled
        text = (f"\repoch {epoch}/{epochs} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"loss {loss:.4f} best val {best:.4f} {time.perf_counter() - self.start:6.0f} s")
        print(text, end="\n" if done else "", file=sys.stderr, flush=True)
