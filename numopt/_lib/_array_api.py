"""Array-API dispatch: one ``(xp, device)`` pair per public call.

Every public solver calls :func:`array_namespace` once on its array-like inputs and passes ``xp``
down.  Sparse matrices and linear operators are unwrapped to a probe array first, because
array-api-compat does not know them.
"""
import sys

import array_api_compat as aac
import numpy as np

__all__ = ["array_namespace", "result_dtype", "is_numpy", "is_cupy", "to_numpy"]


def _scipy_sparse_probe(obj):
    sparse = sys.modules.get("scipy.sparse")
    if sparse is not None and sparse.issparse(obj):
        return obj.data
    interface = sys.modules.get("scipy.sparse.linalg")
    if interface is not None and isinstance(obj, interface.LinearOperator):
        return np.empty(0, dtype=obj.dtype if obj.dtype is not None else np.float64)
    return None


def _cupy_probe(obj):
    # cupyx is looked up in sys.modules only: a CuPy object implies CuPy was imported already.
    sparse = sys.modules.get("cupyx.scipy.sparse")
    if sparse is not None and sparse.issparse(obj):
        return obj.data
    interface = sys.modules.get("cupyx.scipy.sparse.linalg")
    if interface is not None and isinstance(obj, interface.LinearOperator):
        import cupy

        return cupy.empty(0, dtype=obj.dtype if obj.dtype is not None else cupy.float64)
    return None


def _probe(obj):
    """An array standing for ``obj`` in namespace/device detection."""
    if isinstance(obj, np.matrix):
        raise TypeError("numpy.matrix is not supported; pass a numpy.ndarray (np.asarray(m))")
    probe = getattr(obj, "_numopt_probe", None)  # numopt objects that carry their namespace
    if probe is not None:
        return probe
    for finder in (_scipy_sparse_probe, _cupy_probe):
        probe = finder(obj)
        if probe is not None:
            return probe
    if isinstance(obj, (list, tuple)):
        return np.asarray(obj)
    if aac.is_array_api_obj(obj):
        return obj
    raise TypeError(f"expected an array, a sparse matrix or a LinearOperator; got {type(obj).__name__}")


def array_namespace(*objs):
    """Return ``(xp, device)`` for the given inputs.

    ``None`` and Python scalars are ignored.  Inputs from different array libraries raise
    ``TypeError``; inputs on different devices raise ``ValueError``.
    """
    probes = [_probe(o) for o in objs if o is not None and not isinstance(o, (bool, int, float))]
    if not probes:
        return aac.array_namespace(np.empty(0)), "cpu"
    try:
        xp = aac.array_namespace(*probes)
    except TypeError as exc:
        raise TypeError(f"inputs come from different array libraries: {exc}") from None
    device = aac.device(probes[0])
    for p in probes[1:]:
        if aac.device(p) != device:  # CuPy devices are unhashable: compare pairwise
            raise ValueError(f"inputs are on different devices: {device} and {aac.device(p)}")
    return xp, device


def is_numpy(xp):
    return aac.is_numpy_namespace(xp)


def is_cupy(xp):
    return aac.is_cupy_namespace(xp)


def result_dtype(*objs, xp):
    """The floating dtype a solver computes in: float32 if every floating input is float32.

    Integer and boolean inputs count as float64; float16 and complex inputs raise ``TypeError``.
    """
    dtypes = []
    for o in objs:
        if o is None or isinstance(o, (bool, int, float)):
            continue
        dt = getattr(o, "dtype", None)
        if dt is None:
            continue
        dtypes.append(dt)
    out = xp.float32 if dtypes else xp.float64
    for dt in dtypes:
        if dt == xp.float32:
            continue
        if dt == xp.float64:
            out = xp.float64
        elif _is_kind(dt, xp, ("complex floating",)):
            raise TypeError(f"complex inputs are not supported; got dtype {dt}")
        elif _is_kind(dt, xp, ("real floating",)):
            raise TypeError(f"only float32 and float64 are supported; got dtype {dt}")
        elif _is_kind(dt, xp, ("integral", "bool")):
            out = xp.float64
        else:
            raise TypeError(f"unsupported dtype {dt}")
    return out


def _is_kind(dt, xp, kinds):
    try:
        return xp.isdtype(dt, kinds)
    except (TypeError, ValueError):  # numpy dtype of a scipy.sparse matrix under a wrapped namespace
        np_kinds = {"complex floating": "c", "real floating": "f", "integral": "iu", "bool": "b"}
        return np.dtype(dt).kind in "".join(np_kinds[k] for k in kinds)


def to_numpy(x):
    """Host copy of any array (tests and plots only; never inside a solver loop)."""
    if hasattr(x, "get") and not isinstance(x, np.ndarray):
        return x.get()
    if aac.is_array_api_obj(x) and not isinstance(x, np.ndarray):
        try:
            return np.from_dlpack(x)
        except (TypeError, RuntimeError, BufferError):
            import array_api_strict

            return np.asarray(array_api_strict.asarray(x, device=array_api_strict.Device("CPU_DEVICE")))
    return np.asarray(x)
