"""Problem gallery shared by tests, examples, the demo and the benchmarks."""
from ._poisson import poisson_matrix as poisson_matrix

__all__ = ["poisson_matrix"]
from ._ot import OTInstance as OTInstance
from ._ot import ot_densities_1d as ot_densities_1d
from ._ot import ot_digit_images as ot_digit_images
from ._ot import ot_point_clouds as ot_point_clouds
from ._ot import ot_random_assignment as ot_random_assignment
from ._ot import wasserstein_1d as wasserstein_1d

__all__ += ["OTInstance", "ot_densities_1d", "ot_digit_images", "ot_point_clouds",
            "ot_random_assignment", "wasserstein_1d"]
