"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ._poisson import poisson_matrix as poisson_matrix

__all__ = ["poisson_matrix"]
