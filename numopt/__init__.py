"""numopt: recent numerical optimization methods with a scipy.optimize-flavoured API.

Every solver accepts NumPy/scipy.sparse inputs (numba kernels on CPU) and CuPy arrays (GPU), and
returns a result object with ``success``, ``status``, ``message`` and work counters.
"""
__version__ = "0.1.0"

from . import prox as prox
from ._backends import show_backends as show_backends
from ._lib._result import LinearSolveResult as LinearSolveResult
from ._lib._result import OptimizeResult as OptimizeResult
from ._lib._result import OTResult as OTResult
from ._lib._result import Result as Result
from ._lib._result import SequenceResult as SequenceResult
from ._lib._result import Status as Status
from ._lib._validate import NumoptWarning as NumoptWarning
from .linalg import DCDMModel as DCDMModel
from .linalg import OmegaBandit as OmegaBandit
from .linalg import solve_dcdm as solve_dcdm
from .linalg import solve_pcg as solve_pcg
from .linalg import solve_sor as solve_sor
from .linalg import solve_sor_sequence as solve_sor_sequence
from .linalg import train_dcdm as train_dcdm
from .minimax import FiniteSumOperator as FiniteSumOperator
from .minimax import solve_matrix_game as solve_matrix_game
from .minimax import solve_monotone_inclusion as solve_monotone_inclusion
from .optimize import minimize_bcd as minimize_bcd
from .optimize import minimize_sketched_newton as minimize_sketched_newton
from .ot import solve_ot as solve_ot
from .problems import poisson_matrix as poisson_matrix

__all__ = [
    # results and utilities
    "LinearSolveResult", "NumoptWarning", "OTResult", "OptimizeResult", "Result", "SequenceResult",
    "Status", "show_backends", "prox",
    # linear systems
    "solve_sor", "solve_pcg", "poisson_matrix", "OmegaBandit", "solve_sor_sequence", "solve_dcdm",
    "train_dcdm", "DCDMModel",
    # optimization
    "minimize_sketched_newton", "minimize_bcd",
    # monotone inclusions and min-max
    "solve_monotone_inclusion", "solve_matrix_game", "FiniteSumOperator",
    # optimal transport
    "solve_ot",
]
