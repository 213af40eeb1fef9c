"""Equality constraints in scipy's forms, stacked into one ``c(x)`` (m,) and Jacobian ``G(x)`` (m, n).

Accepted: ``{'type': 'eq', 'fun': c, 'jac': J[, 'args': ()]}``, a list of such dicts,
``scipy.optimize.NonlinearConstraint`` (``c = fun(x) - lb``) and ``scipy.optimize.LinearConstraint``
(``c = A x - lb``, ``G = A``), each with ``lb == ub``.  Pieces are stacked in the given order.
For a non-NumPy ``x0`` (the generic array-API path) the callables must return dense arrays of its
namespace; the bounds and ``LinearConstraint.A`` are moved to its device once.
"""
from dataclasses import dataclass

import numpy as np

from .._lib._array_api import is_numpy
from .._lib._optional import lazy_module

sp = lazy_module("scipy.sparse")

__all__ = ["EqualityConstraints", "as_equality_constraints"]


@dataclass(frozen=True)
class _Piece:
    name: str
    fun: object     # x -> (size,)
    jac: object     # x -> (size, n)
    size: int
    linear: object = None  # (A, rhs) for a LinearConstraint


@dataclass(frozen=True)
class EqualityConstraints:
    """``c(x)`` and its Jacobian ``G(x)`` from the stacked pieces (names used in error messages)."""

    pieces: tuple
    m: int
    xp: object = np

    def fun(self, x):
        if not is_numpy(self.xp):
            return self.xp.concat([_as_vector(p.fun(x), self.xp) for p in self.pieces])
        return np.concatenate([_as_vector(p.fun(x)) for p in self.pieces])

    def jac(self, x):
        blocks = [p.jac(x) for p in self.pieces]
        if not is_numpy(self.xp):
            xp = self.xp
            return xp.concat([xp.reshape(xp.astype(xp.asarray(b), xp.float64), (-1, x.shape[0]))
                              for b in blocks])
        if any(sp.issparse(b) for b in blocks):
            return sp.csr_array(sp.vstack([sp.csr_array(b) if sp.issparse(b) else np.atleast_2d(b)
                                           for b in blocks]))
        return np.vstack([np.atleast_2d(np.asarray(b, dtype=float)) for b in blocks])

    def linear_parts(self):
        return [(p.name, p.linear) for p in self.pieces if p.linear is not None]


def _as_vector(value, xp=np):
    if not is_numpy(xp):
        return xp.reshape(xp.astype(xp.asarray(value), xp.float64), (-1,))
    return np.atleast_1d(np.asarray(value, dtype=float)).ravel()


def _check_callable(obj, name):
    if not callable(obj):
        raise TypeError(f"`{name}` must be callable; got {type(obj).__name__}")


def _equal_bounds(lb, ub, name):
    lb, ub = np.atleast_1d(np.asarray(lb, dtype=float)), np.atleast_1d(np.asarray(ub, dtype=float))
    lb, ub = np.broadcast_arrays(lb, ub)
    if not np.array_equal(lb, ub):
        raise ValueError(f"`{name}` must be an equality constraint (lb == ub); got lb={lb} and ub={ub}: "
                         "inequality constraints are not supported")
    if not np.all(np.isfinite(lb)):
        raise ValueError(f"`{name}` bounds must be finite; got lb={lb}")
    return lb.copy()


def _dict_piece(con, name, x0, xp, device):
    if con.get("type") != "eq":
        raise ValueError(f"`{name}['type']` must be 'eq' (only equality constraints are supported); "
                         f"got {con.get('type')!r}")
    for key in ("fun", "jac"):
        if key not in con:
            raise ValueError(f"`{name}` needs the key {key!r} (an exact Jacobian is required)")
        _check_callable(con[key], f"{name}['{key}']")
    args = tuple(con.get("args", ()))
    fun, jac = con["fun"], con["jac"]
    size = _as_vector(fun(x0, *args), xp).shape[0]
    return _Piece(name, lambda x: fun(x, *args), lambda x: jac(x, *args), size)


def _nonlinear_piece(con, name, x0, xp, device):
    _check_callable(con.fun, f"{name}.fun")
    _check_callable(con.jac, f"{name}.jac")
    size = _as_vector(con.fun(x0), xp).shape[0]
    lb = _on_device(np.broadcast_to(_equal_bounds(con.lb, con.ub, name), (size,)).copy(), xp, device)
    fun, jac = con.fun, con.jac
    return _Piece(name, lambda x: _as_vector(fun(x), xp) - lb, jac, size)


def _linear_piece(con, name, n, xp, device):
    A = con.A
    A = sp.csr_array(A, dtype=float) if sp.issparse(A) else np.atleast_2d(np.asarray(A, dtype=float))
    if A.ndim != 2 or A.shape[1] != n:
        raise ValueError(f"`{name}.A` must have shape (k, {n}); got {A.shape}")
    if sp.issparse(A) and not is_numpy(xp):
        raise TypeError(f"`{name}.A` must be dense for a non-NumPy `x0`; got a scipy sparse matrix")
    lb = np.broadcast_to(_equal_bounds(con.lb, con.ub, name), (A.shape[0],)).copy()
    A_xp, lb_xp = _on_device(A, xp, device), _on_device(lb, xp, device)
    return _Piece(name, lambda x: A_xp @ x - lb_xp, lambda x: A_xp, A.shape[0], linear=(A, lb))


def _on_device(a, xp, device):
    """A host (NumPy) constant moved once to the namespace and device of ``x0``."""
    return a if is_numpy(xp) else xp.asarray(a, device=device)


def as_equality_constraints(constraints, x0, xp=np, device="cpu"):
    """Normalise ``constraints`` (see the module docstring) evaluated once at ``x0``."""
    from scipy.optimize import LinearConstraint, NonlinearConstraint

    if constraints is None:
        raise ValueError("`constraints` must give at least one equality constraint; got None")
    items = list(constraints) if isinstance(constraints, (list, tuple)) else [constraints]
    if not items:
        raise ValueError("`constraints` must give at least one equality constraint; got an empty list")
    pieces = []
    for k, con in enumerate(items):
        name = "constraints" if len(items) == 1 and not isinstance(constraints, (list, tuple)) \
            else f"constraints[{k}]"
        if isinstance(con, dict):
            pieces.append(_dict_piece(con, name, x0, xp, device))
        elif isinstance(con, NonlinearConstraint):
            pieces.append(_nonlinear_piece(con, name, x0, xp, device))
        elif isinstance(con, LinearConstraint):
            pieces.append(_linear_piece(con, name, x0.shape[0], xp, device))
        else:
            raise TypeError(f"`{name}` must be a dict, NonlinearConstraint or LinearConstraint; "
                            f"got {type(con).__name__}")
    return EqualityConstraints(tuple(pieces), sum(p.size for p in pieces), xp)


def check_linear_consistency(constraints, max_dense=250_000):
    """Raise ``ValueError`` for rank-deficient or inconsistent linear constraints (small ones).

    Tested with ``rank [A | b] > rank A`` (inconsistent) and ``rank A < rows`` (redundant) on the
    stacked linear pieces when they are dense with at most ``max_dense`` entries; larger or sparse
    ones are caught by the LICQ test at ``x0`` (full row rank implies consistency).
    """
    parts = constraints.linear_parts()
    if not parts:
        return
    A = [p[1][0] for p in parts]
    if sum(a.shape[0] * a.shape[1] for a in A) > max_dense or any(sp.issparse(a) for a in A):
        return
    A = np.vstack([a.toarray() if sp.issparse(a) else a for a in A])
    rhs = np.concatenate([p[1][1] for p in parts])
    rank = np.linalg.matrix_rank(A)
    names = ", ".join(p[0] for p in parts)
    if np.linalg.matrix_rank(np.column_stack([A, rhs])) > rank:
        raise ValueError(f"the linear constraints ({names}) are inconsistent: rank [A | b] = "
                         f"{rank + 1} > rank A = {rank}; no x satisfies A x = b")
    if rank < A.shape[0]:
        raise ValueError(f"the linear constraints ({names}) are rank-deficient: rank A = {rank} < "
                         f"{A.shape[0]} rows (remove the redundant ones; LICQ fails everywhere)")
