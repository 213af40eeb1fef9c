"""Equality-constrained optimization: sketched Newton with an exact augmented Lagrangian merit."""
from ._sketched_newton import minimize_sketched_newton as minimize_sketched_newton

__all__ = ["minimize_sketched_newton"]
