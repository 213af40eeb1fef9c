"""The DCDM network: a fully convolutional residual U-shaped CNN on 2-D or 3-D grids (needs torch).

Imported only after ``import_optional("torch", ...)`` succeeded (torch is the optional ``deep`` extra).
"""
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["DCDMNet"]


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

    def _pool(self, x):
        return (F.avg_pool2d if self.dim == 2 else F.avg_pool3d)(x, 2)

    @staticmethod
    def _upsample(x):
        return F.interpolate(x, scale_factor=2, mode="nearest")

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
        m = self._pool(b)
        if self.levels == 1:
            m = self._pairs(self.coarse, m, 0, 2 * self.Q)
        else:
            m = self._pairs(self.coarse, m, 0, 2)
            quarter = self._pairs(self.coarse, self._pool(m), 2, 2 * self.Q)
            m = self._pairs(self.coarse, self._upsample(quarter) + m, 2 * self.Q, 2 * self.Q + 2)
        u = self._pairs(self.fine_out, self._upsample(m) + b, 0, 2 * self.R)
        return self.project(u)
