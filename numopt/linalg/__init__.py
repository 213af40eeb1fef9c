"""Linear systems: SOR/SSOR, preconditioned CG, learned relaxation, deep conjugate directions."""
from ._bandit import OmegaBandit as OmegaBandit
from ._dcdm import DCDMModel as DCDMModel
from ._dcdm import solve_dcdm as solve_dcdm
from ._dcdm import train_dcdm as train_dcdm
from ._pcg import solve_pcg as solve_pcg
from ._sequence import solve_sor_sequence as solve_sor_sequence
from ._sor import solve_sor as solve_sor

__all__ = ["solve_sor", "solve_pcg", "OmegaBandit", "solve_sor_sequence", "solve_dcdm", "train_dcdm",
           "DCDMModel"]
