"""Optimization: equality-constrained sketched Newton, block coordinate descent."""
from ._bcd import minimize_bcd as minimize_bcd
from ._sketched_newton import minimize_sketched_newton as minimize_sketched_newton

__all__ = ["minimize_sketched_newton", "minimize_bcd"]
