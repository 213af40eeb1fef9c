"""``DCDMModel``: a trained DCDM network with its configuration; ``model(residual) -> direction``."""
import functools
import math
import os
from pathlib import Path

import numpy as np

from ..._lib._array_api import array_namespace, is_cupy, is_numpy
from ..._lib._optional import import_optional

__all__ = ["DCDMModel", "import_torch", "infer_grid", "check_grid", "padded_forward"]

_FORMAT = "numopt-dcdm"
#: Configuration keys of each architecture (``config['architecture']``).
_CONFIG_KEYS = {"kaneda": ("architecture", "dim", "channels", "P", "Q", "R", "levels"),
                "multilevel": ("architecture", "dim", "channels", "blocks", "bottom", "coarsest")}
WEIGHTS_DIR = Path(__file__).parent / "weights"


def import_torch(purpose):
    """torch, or ``ImportError`` naming the ``deep`` extra."""
    return import_optional("torch", extra="deep", purpose=purpose)


def infer_grid(n, dim):
    """The cube/square grid of dimension ``dim`` with ``n`` points, else ``ValueError``."""
    side = round(n ** (1.0 / dim))
    for s in (side - 1, side, side + 1):
        if s > 0 and s ** dim == n:
            return (s,) * dim
    raise ValueError(f"`grid_shape` is None and n={n} is not a {dim}-D cube/square: pass `grid_shape` "
                     f"(a tuple of {dim} ints with product {n})")


def check_grid(grid_shape, n, dim):
    """Validate ``grid_shape`` against ``n`` unknowns and a ``dim``-D model (None: infer a cube)."""
    if grid_shape is None:
        return infer_grid(n, dim)
    if isinstance(grid_shape, (int, np.integer)) or not all(
            isinstance(g, (int, np.integer)) and g >= 1 for g in grid_shape):
        raise TypeError(f"`grid_shape` must be a tuple of positive ints; got {grid_shape!r}")
    grid = tuple(int(g) for g in grid_shape)
    if len(grid) != dim:
        raise ValueError(f"`grid_shape` {grid} is {len(grid)}-D but the DCDM model is {dim}-D: use a "
                         f"{dim}-D grid or a model trained on {len(grid)}-D grids")
    if math.prod(grid) != n:
        raise ValueError(f"`grid_shape` {grid} has {math.prod(grid)} points but the system has n={n} "
                         "unknowns: prod(grid_shape) must equal n")
    return grid


def padded_forward(net, x):
    """``net(x * sqrt(n))`` for unit-norm ``x`` of shape ``(batch, 1, *grid)``, ``n = prod(grid)``.

    The factor gives the network inputs of unit RMS per cell on every grid (with unit-norm inputs
    the cell values shrink like ``n**-1/2``: the biases dominate, training stalls on a plateau at
    larger grids and a model sees other magnitudes on other grids).  Every grid size is
    zero-padded to a multiple of ``2**depth`` (Dirichlet exterior; ``depth = net.depth(grid)``
    pooling levels) and the output cropped back.
    """
    from torch.nn import functional as F

    grid = tuple(x.shape[2:])
    x = x * math.sqrt(math.prod(grid))
    step = 2 ** net.depth(grid)
    pads = [(-g) % step for g in grid]
    if any(pads):
        x = F.pad(x, [p for pad in reversed(pads) for p in (0, pad)])
        return net(x)[(..., *(slice(0, g) for g in grid))]
    return net(x)


class DCDMModel:
    """A trained DCDM network: ``model(residual)`` returns a search direction ``~ s A^{-1} residual``.

    Use :func:`train_dcdm` to train one, :meth:`load` to read one, :meth:`pretrained` for the models
    shipped with numopt (7-point/5-point Dirichlet Poisson).  The network runs in float32 with torch
    (CPU for NumPy input, the array's CUDA device for CuPy input, zero-copy through DLPack); the
    direction is returned in the input's namespace, device, dtype and shape.

    ``model(residual)`` is positively homogeneous: ``model(t r) = t model(r)`` for ``t > 0``
    (the network sees ``r / ||r||``), and oriented so that ``residual^T model(residual) >= 0``
    (the loss determines the network's output only up to a scale of either sign).  ``numopt_flexible = True`` makes ``solve_pcg`` treat the
    model as a nonlinear preconditioner (flexible CG).

    Attributes
    ----------
    config : dict
        ``architecture`` (``'kaneda'`` or ``'multilevel'``), ``dim``, ``channels`` and the
        architecture's sizes (``P``, ``Q``, ``R``, ``levels``, or ``blocks``, ``bottom``,
        ``coarsest``; see :func:`train_dcdm`).
    metadata : dict
        Training grid, seed, sample/epoch counts, numopt version and the loss ``history``
        (``'train'``: mean loss per epoch, ``'val'``: validation loss before training and after
        every epoch).
    """

    numopt_flexible = True

    def __init__(self, network, config, metadata=None):
        self.network = network.eval()
        self.config = dict(config)
        self.metadata = dict(metadata or {})
        self._device_networks = {}

    @property
    def dim(self):
        """Grid dimension (2 or 3) the network works on."""
        return self.config["dim"]

    def __repr__(self):
        cfg = ", ".join(f"{k}={self.config[k]!r}" for k in _CONFIG_KEYS[self.config["architecture"]])
        return f"DCDMModel({cfg}, trained on {self.metadata.get('grid_shape')})"

    def __call__(self, residual, grid_shape=None):
        """The direction for ``residual`` (1-D of length ``prod(grid_shape)`` or grid-shaped)."""
        xp, device = array_namespace(residual)
        shape = tuple(residual.shape)
        grid = shape if len(shape) == self.dim and grid_shape is None else \
            check_grid(grid_shape, math.prod(shape), self.dim)
        norm = float(xp.linalg.vector_norm(residual))
        if norm == 0.0 or not math.isfinite(norm):
            return residual * 0.0 if norm == 0.0 else residual * math.nan
        direction = xp.reshape(self.unit_direction(residual / norm, grid, xp), shape)
        # The loss fixes f only up to a scale of either sign; orient it as a descent direction.
        sign = -1.0 if float(xp.sum(direction * residual)) < 0 else 1.0
        return direction * (sign * norm)

    def unit_direction(self, unit, grid, xp):
        """``f(unit)`` for a unit-norm residual (any shape with ``prod(grid)`` entries), grid-shaped,
        in ``unit``'s dtype and namespace."""
        torch = import_torch("DCDMModel")
        with torch.inference_mode():
            if is_numpy(xp):
                x = torch.from_numpy(np.ascontiguousarray(unit, dtype=np.float32).reshape(grid))
                y = padded_forward(self.network, x[None, None])
                return y[0, 0].numpy().astype(unit.dtype, copy=False)
            if is_cupy(xp):
                return self._cupy_direction(torch, unit, grid)
        raise TypeError(f"DCDMModel runs on NumPy or CuPy arrays; got a {xp.__name__} array")

    def _cupy_direction(self, torch, unit, grid):
        """CUDA inference on ``unit``'s device and CuPy's current stream, no host copies."""
        import cupy

        x = torch.from_dlpack(cupy.ascontiguousarray(unit.astype(cupy.float32, copy=False)))
        net = self._device_networks.get(x.device)
        if net is None:
            net = self._device_networks[x.device] = _copy_network(self.network, x.device)
        stream = torch.cuda.ExternalStream(cupy.cuda.get_current_stream().ptr, device=x.device)
        with torch.cuda.stream(stream):
            y = padded_forward(net, x.reshape(1, 1, *grid))[0, 0]
            return cupy.from_dlpack(y.contiguous()).astype(unit.dtype, copy=False)

    def save(self, path):
        """Write the weights (float32), configuration and metadata to ``path`` (torch format)."""
        torch = import_torch("DCDMModel.save")
        state = {k: v.detach().to("cpu", torch.float32) for k, v in self.network.state_dict().items()}
        torch.save({"format": _FORMAT, "config": self.config, "metadata": self.metadata,
                    "state_dict": state}, os.fspath(path))

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`.

        Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is not a
        DCDM model (corrupt, or weights that do not fit the stored configuration).  Only tensors
        and plain containers are unpickled (``weights_only=True``).
        """
        torch = import_torch("DCDMModel.load")
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"DCDM model file {path!r} does not exist")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises several types for unreadable files
            raise ValueError(f"{path!r} is not a readable DCDM model file: {exc}") from None
        if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
            raise ValueError(f"{path!r} is not a DCDM model file (format tag {_FORMAT!r} missing)")
        config = blob.get("config", {})
        keys = _CONFIG_KEYS.get(config.get("architecture")) if isinstance(config, dict) else None
        if keys is None or set(config) != set(keys) or config["dim"] not in (2, 3):
            raise ValueError(f"{path!r}: invalid DCDM configuration {config!r}")
        network = build_network(**config)
        try:
            network.load_state_dict(blob["state_dict"])
        except (RuntimeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path!r}: weights do not match the configuration {config}: {exc}") \
                from None
        return cls(network, config, blob.get("metadata"))

    @classmethod
    def pretrained(cls, dim):
        """The model shipped with numopt for ``dim``-D Dirichlet Poisson (``dim`` 2 or 3), read
        once per process and shared."""
        if dim not in (2, 3):
            raise ValueError(f"numopt ships 2-D and 3-D DCDM models; got dim={dim!r}")
        return _shipped_model(cls, dim)


def build_network(architecture, **sizes):
    """A freshly initialised network (float32, CPU): ``'kaneda'`` -> :class:`DCDMNet`,
    ``'multilevel'`` -> :class:`MultilevelNet`, with the sizes of ``_CONFIG_KEYS``."""
    import_torch("the DCDM network")
    from ._network import DCDMNet, MultilevelNet

    return {"kaneda": DCDMNet, "multilevel": MultilevelNet}[architecture](**sizes)


@functools.lru_cache(maxsize=2)
def _shipped_model(cls, dim):
    return cls.load(WEIGHTS_DIR / f"dcdm_{dim}d.pt")


def _copy_network(network, device):
    import copy

    return copy.deepcopy(network).to(device).eval()
