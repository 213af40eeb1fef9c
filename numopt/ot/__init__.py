"""Entropic optimal transport: ``solve_ot`` (Sinkhorn-Newton-Sparse, log-domain and kernel Sinkhorn)."""
from ._solve import solve_ot as solve_ot

__all__ = ["solve_ot"]
