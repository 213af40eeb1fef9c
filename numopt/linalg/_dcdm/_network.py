"""The DCDM networks (need torch): Kaneda et al.'s residual U-shaped CNN and a multilevel variant
whose depth follows the grid.

Imported only after ``import_optional("torch", ...)`` succeeded (torch is the optional ``deep`` extra).
"""
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["DCDMNet", "MultilevelNet", "multilevel_depth"]


def _pool(x):
    return (F.avg_pool2d if x.dim() == 4 else F.avg_pool3d)(x, 2)


def _restrict(x):
    """Cell-centred full weighting: per axis the filter ``[1, 3, 3, 1] / 8`` (the adjoint of linear
    interpolation, up to a factor 2) at stride 2, zero padding (Dirichlet), every channel alone."""
    dim = x.dim() - 2
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0], dtype=x.dtype, device=x.device) / 8.0
    kernel = taps
    for _ in range(dim - 1):
        kernel = kernel[..., None] * taps
    weight = kernel.expand(x.shape[1], 1, *(4,) * dim)
    return (F.conv2d if dim == 2 else F.conv3d)(x, weight, stride=2, padding=1, groups=x.shape[1])


def _upsample(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


class DCDMNet(nn.Module):
    """Kaneda et al.'s architecture with ``channels`` feature maps and ``P, Q, R`` residual pairs.

    ``levels=1``: full resolution (``P`` pairs), half resolution (``Q`` pairs), full resolution again
    (``R`` pairs), skip connection across the pooling.  ``levels=2`` pools once more after the first
    half-resolution pair, runs the remaining ``Q - 1`` pairs at quarter resolution and finishes the
    half-resolution stage with one more pair (about twice the receptive field).  All convolutions are
    3x3(x3) with zero padding and ReLU, except the linear lift (1 -> c) and projection (1x1, c -> 1).
    Inputs must have every grid size divisible by ``2**levels`` (the model pads).
    """

    def __init__(self, dim, channels, P, Q, R, levels):
        super().__init__()
        conv = {2: nn.Conv2d, 3: nn.Conv3d}[dim]
        self.dim, self.levels, self.P, self.Q, self.R = dim, levels, P, Q, R

        def convs(count):
            return nn.ModuleList(conv(channels, channels, 3, padding=1) for _ in range(count))

        self.lift = conv(1, channels, 3, padding=1)
        self.fine_in = convs(2 * P)
        self.coarse = convs(2 * Q + (2 if levels == 2 else 0))
        self.fine_out = convs(2 * R)
        self.project = conv(channels, 1, 1)

    def depth(self, grid):
        """Pooling levels used on ``grid`` (fixed: ``levels``)."""
        return self.levels

    @staticmethod
    def _pairs(layers, x, start, stop):
        """Residual pairs ``x <- relu(conv(relu(conv(x)))) + x`` with layers ``start..stop-1``."""
        for k in range(start, stop, 2):
            x = F.relu(layers[k + 1](F.relu(layers[k](x)))) + x
        return x

    def forward(self, r):
        h = self.lift(r)
        a = F.relu(self.fine_in[0](h))
        b = F.relu(self.fine_in[1](a))
        for k in range(2, 2 * self.P, 2):
            a = F.relu(self.fine_in[k](b)) + a
            b = F.relu(self.fine_in[k + 1](a))
        m = _pool(b)
        if self.levels == 1:
            m = self._pairs(self.coarse, m, 0, 2 * self.Q)
        else:
            m = self._pairs(self.coarse, m, 0, 2)
            quarter = self._pairs(self.coarse, _pool(m), 2, 2 * self.Q)
            m = self._pairs(self.coarse, _upsample(quarter) + m, 2 * self.Q, 2 * self.Q + 2)
        u = self._pairs(self.fine_out, _upsample(m) + b, 0, 2 * self.R)
        return self.project(u)


def multilevel_depth(grid, coarsest):
    """Restriction levels of :class:`MultilevelNet` on ``grid``: halve until the smallest side is at
    most ``coarsest`` (``ceil(log2(min(grid) / coarsest))``, at least 0)."""
    depth, side = 0, min(grid)
    while side > coarsest:
        side = -(-side // 2)
        depth += 1
    return depth


class _ResidualBlock(nn.Module):
    """``x + conv(relu(conv(relu(x))))`` (pre-activation, bias-free 3x3(x3) convolutions)."""

    def __init__(self, conv, channels):
        super().__init__()
        self.first = conv(channels, channels, 3, padding=1, bias=False)
        self.second = conv(channels, channels, 3, padding=1, bias=False)

    def forward(self, x):
        return x + self.second(F.relu(self.first(F.relu(x))))


class MultilevelNet(nn.Module):
    """A V-cycle-shaped CNN whose levels share their weights, so its depth follows the grid.

    On a grid it restricts ``depth = multilevel_depth(grid, coarsest)`` times.  Each level maps
    its features ``h`` (``channels`` maps) to an output:

    .. code-block:: text

        s = smooth(h);  out = correct(s) + 4 interpolate(cycle(restrict(s)))

    with ``bottom(h)`` at the coarsest level; ``smooth``, ``correct`` and ``bottom`` are residual
    blocks.  Restriction (cell-centred full weighting), interpolation (bi/trilinear) and the
    factor 4 are fixed: 4 is the ``h**2`` ratio between the unscaled Laplacian stencils of two
    levels, so a level's output is in the units of its own grid and the smooth modes get the
    ``~N**2`` amplification of ``A^{-1}`` on an ``N``-point grid whatever the depth.  Lift
    (3x3(x3), 1 -> c) and projection (1x1, c -> 1) are linear.  All convolutions are bias-free:
    the network is positively homogeneous (``f(t r) = t f(r)``, ``t > 0``).  The same weights
    apply at 16^3, 64^3 or 256^3, and the receptive field always covers the grid.
    """

    def __init__(self, dim, channels, blocks, bottom, coarsest):
        super().__init__()
        conv = {2: nn.Conv2d, 3: nn.Conv3d}[dim]
        self.dim, self.coarsest = dim, coarsest
        self.lift = conv(1, channels, 3, padding=1, bias=False)
        self.smooth = nn.Sequential(*(_ResidualBlock(conv, channels) for _ in range(blocks)))
        self.correct = nn.Sequential(*(_ResidualBlock(conv, channels) for _ in range(blocks)))
        self.bottom = nn.Sequential(*(_ResidualBlock(conv, channels) for _ in range(bottom)))
        self.project = conv(channels, 1, 1, bias=False)

    def depth(self, grid):
        """Restriction levels used on ``grid``."""
        return multilevel_depth(grid, self.coarsest)

    def _cycle(self, h, depth):
        if depth == 0:
            return self.bottom(h)
        s = self.smooth(h)
        coarse = self._cycle(_restrict(s), depth - 1)
        mode = "bilinear" if self.dim == 2 else "trilinear"
        return self.correct(s) + 4.0 * F.interpolate(coarse, scale_factor=2, mode=mode)

    def forward(self, r):
        return self.project(self._cycle(self.lift(r), self.depth(r.shape[2:])))
