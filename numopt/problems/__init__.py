"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
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
from ._poisson import poisson_matrix as poisson_matrix
from ..optimize._bcd._partitions import forest_partition as forest_partition
from ..optimize._bcd._partitions import lattice_tree_partition as lattice_tree_partition
from ..optimize._bcd._partitions import red_black_partition as red_black_partition

__all__ = ["poisson_matrix",
           "BlockProblem", "LeastSquares", "Logistic", "Softmax", "Quadratic",
           "sparse_regression_data", "logistic_data", "softmax_data", "lattice_label_propagation",
           "knn_label_propagation", "forest_partition", "red_black_partition",
           "lattice_tree_partition"]
