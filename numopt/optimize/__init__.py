"""Optimization solvers."""
from ._bcd import minimize_bcd as minimize_bcd

__all__ = ["minimize_bcd"]
