"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ._poisson import poisson_matrix as poisson_matrix
from ._sequences import HeatSequence as HeatSequence
from ._sequences import ShiftedLaplacianSequence as ShiftedLaplacianSequence
from ._sequences import heat_sequence as heat_sequence
from ._sequences import shifted_laplacian_sequence as shifted_laplacian_sequence

__all__ = ["poisson_matrix", "HeatSequence", "ShiftedLaplacianSequence", "heat_sequence",
           "shifted_laplacian_sequence"]
