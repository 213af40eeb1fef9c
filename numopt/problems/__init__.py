"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ._grid_poisson import obstacle_mask as obstacle_mask
from ._grid_poisson import poisson_masked as poisson_masked
from ._grid_poisson import poisson_variable_coefficient as poisson_variable_coefficient
from ._grid_poisson import random_field as random_field
from ._grid_poisson import smooth_source as smooth_source
from ._poisson import poisson_matrix as poisson_matrix

__all__ = ["poisson_matrix", "poisson_variable_coefficient", "poisson_masked", "obstacle_mask",
           "smooth_source", "random_field"]
