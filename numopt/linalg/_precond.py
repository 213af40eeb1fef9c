"""Preconditioners for ``solve_pcg``: each builder returns ``apply(r) -> M^{-1} r`` for a system."""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._lib._jit import host_kernel, use_jit
from .._lib._optional import import_optional
from .._lib._sparse import csr_arrays, has_entries, is_sparse, triangle, triangular_solve
from .._lib._validate import check_scalar
from ._system import check_diagonal

__all__ = ["Preconditioner", "make_preconditioner", "PRECONDITIONERS"]


@dataclass
class Preconditioner:
    """``apply(r)`` returns ``M^{-1} r``; ``flexible`` marks a nonlinear or varying ``M`` (flexible CG);
    ``split``, when set, offers Eisenstat's split form of ``M`` (``transform``, ``product``, ``perm``,
    ``piv``: see :class:`~numopt.optimize._bcd._forest.TreeSGS`) for NumPy inputs."""

    apply: Callable
    name: str
    flexible: bool = False
    split: object = None


def _needs_matrix(name, A):
    if not has_entries(A):
        raise TypeError(f"preconditioner={name!r} needs the entries of `A` (a dense or sparse matrix); "
                        f"got {type(A).__name__}: use None, a LinearOperator or a callable instead")


def _host_csr(name, system):
    """CSR triples on the host; only NumPy/scipy inputs (no silent device-to-host copies)."""
    _needs_matrix(name, system.A)
    if not (is_sparse(system.A) or isinstance(system.A, np.ndarray)) or \
            not system.xp.__name__.endswith("numpy"):
        raise TypeError(f"preconditioner={name!r} runs on the CPU and needs NumPy/scipy.sparse inputs; "
                        f"got {type(system.A).__name__}: use 'jacobi' or 'ssor' on this backend")
    return csr_arrays(system.A, system.dtype)


def _identity(system, omega):
    return Preconditioner(lambda r: r, "none")


def _jacobi(system, omega):
    _needs_matrix("jacobi", system.A)
    inv_diag = 1.0 / check_diagonal(system.A, system.xp, what="preconditioner='jacobi'", positive=True)
    return Preconditioner(lambda r: inv_diag * r, "jacobi")


def _ssor(system, omega):
    omega = check_scalar(omega, name="omega", low=0.0, high=2.0, low_open=True, high_open=True)
    _needs_matrix("ssor", system.A)
    xp = system.xp
    diag = check_diagonal(system.A, xp, what="preconditioner='ssor'", positive=True)
    if use_jit(xp) and (is_sparse(system.A) or isinstance(system.A, np.ndarray)):
        from .._kernels._sor import diagonal_positions, ssor_apply

        indptr, indices, data = csr_arrays(system.A, system.dtype)
        diag_pos = diagonal_positions(indptr, indices)
        inv_diag = 1.0 / diag

        def apply(r):
            z = np.empty_like(r)
            ssor_apply(indptr, indices, data, diag_pos, inv_diag, omega, r, z)
            return z

        return Preconditioner(apply, "ssor")
    upper = triangle(system.A, lower=False, xp=xp, off_scale=omega)  # D + omega U
    lower = triangle(system.A, lower=True, xp=xp, off_scale=omega)   # D + omega L
    scale = omega * (2.0 - omega)

    def apply(r):
        y = diag * triangular_solve(upper, r, lower=False, xp=xp)
        return scale * triangular_solve(lower, y, lower=True, xp=xp)

    return Preconditioner(apply, "ssor")


def _ic0(system, omega):
    from .._kernels import _sor as kernels

    indptr, indices, data = _host_csr("ic0", system)
    L_indptr, L_indices, L_data, bad_row = host_kernel(kernels.ic0_factor)(indptr, indices, data)
    if bad_row >= 0:
        raise ValueError(f"preconditioner='ic0' broke down: non-positive pivot on row {bad_row} "
                         "(`A` is not SPD, or IC(0) is unstable for it; try 'jacobi' or 'amg')")
    if use_jit(system.xp):
        def apply(r):
            z = np.empty_like(r)
            kernels.ic0_apply(L_indptr, L_indices, L_data, r, z)
            return z
    else:
        import scipy.sparse as sp

        L = sp.csr_array((L_data, L_indices, L_indptr), shape=system.A.shape)
        Lt = L.T.tocsr()

        def apply(r):
            y = triangular_solve(L, r, lower=True, xp=system.xp)
            return triangular_solve(Lt, y, lower=False, xp=system.xp)

    return Preconditioner(apply, "ic0")


def _amg(system, omega):
    pyamg = import_optional("pyamg", extra="sparse", purpose="preconditioner='amg'")
    indptr, indices, data = _host_csr("amg", system)
    import scipy.sparse as sp

    A = sp.csr_matrix((data, indices, indptr), shape=system.A.shape)
    ml = pyamg.smoothed_aggregation_solver(A)
    M = ml.aspreconditioner(cycle="V")
    dtype = system.dtype
    return Preconditioner(lambda r: np.asarray(M @ r, dtype=dtype), "amg")


def _cholmod(system, omega):
    cholmod = import_optional("sksparse.cholmod", extra="sparse", purpose="preconditioner='cholmod'")
    indptr, indices, data = _host_csr("cholmod", system)
    import scipy.sparse as sp

    A = sp.csr_matrix((data.astype(np.float64), indices, indptr), shape=system.A.shape).tocsc()
    try:
        factor = cholmod.cholesky(A)
    except cholmod.CholmodNotPositiveDefiniteError as exc:
        raise ValueError(f"preconditioner='cholmod': `A` is not positive definite ({exc})") from None
    dtype = system.dtype
    return Preconditioner(lambda r: factor(np.asarray(r, dtype=np.float64)).astype(dtype, copy=False),
                          "cholmod")


def _tree_sgs(system, omega):
    """Forest-block symmetric Gauss-Seidel built on the BCD message-passing kernels."""
    from ..optimize._bcd._forest import TreeSGS

    indptr, indices, data = _host_csr("tree-sgs", system)
    sgs = TreeSGS(indptr, indices, data, system.dtype)
    return Preconditioner(sgs.apply, "tree-sgs", split=sgs if use_jit(system.xp) else None)


PRECONDITIONERS = {
    None: _identity,
    "jacobi": _jacobi,
    "ssor": _ssor,
    "ic0": _ic0,
    "amg": _amg,
    "cholmod": _cholmod,
    "tree-sgs": _tree_sgs,
}


def make_preconditioner(preconditioner, system, omega):
    """Build a :class:`Preconditioner` from a name, a LinearOperator, an object with ``.matvec``,
    a flexible preconditioner object (``numopt_flexible = True``, e.g. a DCDM model) or a callable."""
    if preconditioner is None or isinstance(preconditioner, str):
        builder = PRECONDITIONERS.get(preconditioner)
        if builder is None:
            valid = ", ".join(repr(k) for k in PRECONDITIONERS)
            raise ValueError(f"`preconditioner` must be one of {valid}, a LinearOperator or a callable; "
                             f"got {preconditioner!r}")
        return builder(system, omega)
    flexible = bool(getattr(preconditioner, "numopt_flexible", False))
    if hasattr(preconditioner, "matvec"):
        return Preconditioner(preconditioner.matvec, type(preconditioner).__name__, flexible)
    if callable(preconditioner):
        return Preconditioner(preconditioner, getattr(preconditioner, "__name__", "callable"), flexible)
    raise TypeError("`preconditioner` must be a name, a LinearOperator or a callable r -> M^{-1} r; "
                    f"got {type(preconditioner).__name__}")
