"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ..optimize._bcd._partitions import forest_partition as forest_partition
from ..optimize._bcd._partitions import lattice_tree_partition as lattice_tree_partition
from ..optimize._bcd._partitions import red_black_partition as red_black_partition
from ._bcd_data import knn_label_propagation as knn_label_propagation
from ._bcd_data import lattice_label_propagation as lattice_label_propagation
from ._bcd_data import logistic_data as logistic_data
from ._bcd_data import softmax_data as softmax_data
from ._bcd_data import sparse_regression_data as sparse_regression_data
from ._bcd_problems import BlockProblem as BlockProblem
from ._bcd_problems import LeastSquares as LeastSquares
from ._bcd_problems import Logistic as Logistic
from ._bcd_problems import Quadratic as Quadratic
from ._bcd_problems import Softmax as Softmax
from ._constrained_logistic import constrained_logistic as constrained_logistic
from ._grid_poisson import obstacle_mask as obstacle_mask
from ._grid_poisson import poisson_masked as poisson_masked
from ._grid_poisson import poisson_variable_coefficient as poisson_variable_coefficient
from ._grid_poisson import random_field as random_field
from ._grid_poisson import smooth_source as smooth_source
from ._hock_schittkowski import ConstrainedProblem as ConstrainedProblem
from ._hock_schittkowski import HS_PROBLEMS as HS_PROBLEMS
from ._hock_schittkowski import hock_schittkowski as hock_schittkowski
from ._hs_array_api import HS_XP_PROBLEMS as HS_XP_PROBLEMS
from ._hs_array_api import hock_schittkowski_xp as hock_schittkowski_xp
from ._minimax import InclusionProblem as InclusionProblem
from ._minimax import bilinear_qp as bilinear_qp
from ._minimax import bilinear_saddle as bilinear_saddle
from ._minimax import policeman_burglar as policeman_burglar
from ._minimax import robust_logistic_saddle as robust_logistic_saddle
from ._ot import OTInstance as OTInstance
from ._ot import ot_densities_1d as ot_densities_1d
from ._ot import ot_digit_images as ot_digit_images
from ._ot import ot_point_clouds as ot_point_clouds
from ._ot import ot_random_assignment as ot_random_assignment
from ._ot import wasserstein_1d as wasserstein_1d
from ._pde_control import pde_control as pde_control
from ._poisson import poisson_matrix as poisson_matrix
from ._sequences import HeatSequence as HeatSequence
from ._sequences import ShiftedLaplacianSequence as ShiftedLaplacianSequence
from ._sequences import heat_sequence as heat_sequence
from ._sequences import shifted_laplacian_sequence as shifted_laplacian_sequence

__all__ = [
    # linear systems
    "poisson_matrix", "poisson_variable_coefficient", "poisson_masked", "obstacle_mask",
    "smooth_source", "random_field",
    # optimal transport
    "OTInstance", "ot_densities_1d", "ot_digit_images", "ot_point_clouds", "ot_random_assignment",
    "wasserstein_1d",
    # monotone inclusions and min-max
    "InclusionProblem", "bilinear_qp", "bilinear_saddle", "policeman_burglar", "robust_logistic_saddle",
    # constrained optimization
    "ConstrainedProblem", "HS_PROBLEMS", "hock_schittkowski", "HS_XP_PROBLEMS", "hock_schittkowski_xp",
    "pde_control",
    "constrained_logistic",
    # block coordinate descent
    "BlockProblem", "LeastSquares", "Logistic", "Softmax", "Quadratic", "sparse_regression_data",
    "logistic_data", "softmax_data", "lattice_label_propagation", "knn_label_propagation",
    "forest_partition", "red_black_partition", "lattice_tree_partition",
    # learned relaxation (sequences)
    "HeatSequence", "ShiftedLaplacianSequence", "heat_sequence", "shifted_laplacian_sequence",
]
