"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ._constrained_logistic import constrained_logistic as constrained_logistic
from ._hock_schittkowski import HS_PROBLEMS as HS_PROBLEMS
from ._hock_schittkowski import ConstrainedProblem as ConstrainedProblem
from ._hock_schittkowski import hock_schittkowski as hock_schittkowski
from ._pde_control import pde_control as pde_control
from ._poisson import poisson_matrix as poisson_matrix

__all__ = ["poisson_matrix", "ConstrainedProblem", "HS_PROBLEMS", "hock_schittkowski", "pde_control",
           "constrained_logistic"]
