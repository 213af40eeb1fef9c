"""Linear systems: SOR/SSOR, preconditioned CG."""
from ._pcg import solve_pcg as solve_pcg
from ._sor import solve_sor as solve_sor

__all__ = ["solve_sor", "solve_pcg"]
