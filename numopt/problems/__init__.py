"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ._minimax import InclusionProblem as InclusionProblem
from ._minimax import bilinear_qp as bilinear_qp
from ._minimax import bilinear_saddle as bilinear_saddle
from ._minimax import policeman_burglar as policeman_burglar
from ._minimax import robust_logistic_saddle as robust_logistic_saddle
from ._poisson import poisson_matrix as poisson_matrix

__all__ = ["poisson_matrix",
           "InclusionProblem", "bilinear_qp", "bilinear_saddle", "policeman_burglar", "robust_logistic_saddle"]
