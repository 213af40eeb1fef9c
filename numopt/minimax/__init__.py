"""Monotone inclusions and min-max problems: variance-reduced Halpern, extragradient, matrix games."""
from ._games import solve_matrix_game as solve_matrix_game
from ._inclusion import solve_monotone_inclusion as solve_monotone_inclusion
from ._operators import FiniteSumOperator as FiniteSumOperator

__all__ = ["FiniteSumOperator", "solve_matrix_game", "solve_monotone_inclusion"]
