"""Linear systems: SOR/SSOR, preconditioned CG."""
from ._bandit import OmegaBandit as OmegaBandit
from ._pcg import solve_pcg as solve_pcg
from ._sequence import solve_sor_sequence as solve_sor_sequence
from ._sor import solve_sor as solve_sor

__all__ = ["solve_sor", "solve_pcg", "OmegaBandit", "solve_sor_sequence"]
