"""Greedy block coordinate descent (Nutini, Laradji, Schmidt 2022)."""
from ._minimize import minimize_bcd as minimize_bcd

__all__ = ["minimize_bcd"]
