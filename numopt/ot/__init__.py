"""Entropic optimal transport: ``solve_ot`` (SNS, log-domain and kernel Sinkhorn)."""
from ._solve import solve_ot as solve_ot

__all__ = ["solve_ot"]
