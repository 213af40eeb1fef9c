"""Deep conjugate-direction method (Kaneda et al., ICML 2023): ``solve_dcdm``, ``train_dcdm``,
``DCDMModel``.  torch (the ``deep`` extra) is imported only when a network is built or run."""
from ._model import DCDMModel as DCDMModel
from ._solve import solve_dcdm as solve_dcdm
from ._train import train_dcdm as train_dcdm

__all__ = ["DCDMModel", "solve_dcdm", "train_dcdm"]
