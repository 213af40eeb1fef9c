"""Up-front input checks with messages that name the argument, the expectation and what was received."""
import math
import numbers
import warnings

import numpy as np

__all__ = ["NumoptWarning", "check_matrix", "check_vector", "check_finite", "check_choice",
           "check_scalar", "check_int", "check_tol", "shape_of"]


class NumoptWarning(UserWarning):
    """Warnings issued by numopt (e.g. a tolerance below machine precision)."""


def shape_of(A):
    shape = getattr(A, "shape", None)
    if shape is None:
        raise TypeError(f"expected an array-like with a shape; got {type(A).__name__}")
    return tuple(int(s) for s in shape)


def check_matrix(A, *, name="A", square=True):
    """Check that ``A`` is 2-D (and square); return its shape."""
    shape = shape_of(A)
    if len(shape) != 2:
        raise ValueError(f"`{name}` must be a 2-D matrix; got {len(shape)}-D with shape {shape}")
    if square and shape[0] != shape[1]:
        raise ValueError(f"`{name}` must be square; got shape {shape}")
    if min(shape) == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {shape}")
    _check_entries_finite(A, name)
    return shape


def _check_entries_finite(A, name):
    data = getattr(A, "data", None)  # scipy / cupyx sparse
    if data is not None and hasattr(A, "nnz"):
        finite = bool(data.size == 0 or _all_finite(data))
    elif hasattr(A, "__array_namespace__") or isinstance(A, np.ndarray):
        finite = _all_finite(A)
    else:  # LinearOperator: entries unknown
        return
    if not finite:
        raise ValueError(f"`{name}` contains NaN or Inf entries")


def _all_finite(x):
    xp = x.__array_namespace__() if hasattr(x, "__array_namespace__") else np
    return bool(xp.all(xp.isfinite(x)))


def check_finite(x, *, name):
    """Raise ``ValueError`` if the array ``x`` has NaN/Inf entries."""
    if not _all_finite(x):
        raise ValueError(f"`{name}` contains NaN or Inf entries")
    return x


def check_vector(v, n, *, name, xp, dtype, device, matrix_name="A"):
    """Return ``v`` as a finite 1-D ``xp`` array of length ``n``, ``dtype`` and ``device``."""
    shape = shape_of(v) if hasattr(v, "shape") else np.shape(v)
    if tuple(shape) != (n,):
        raise ValueError(f"`{name}` must have shape ({n},) to match `{matrix_name}`; got {tuple(shape)}")
    v = xp.asarray(v, dtype=dtype, device=device)
    check_finite(v, name=name)
    return v


def check_choice(value, choices, *, name):
    """Check a string option against the valid ``choices`` (listed in the error)."""
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {valid}; got {value!r}")
    return value


def check_scalar(value, *, name, low=None, high=None, low_open=False, high_open=False):
    """Check a finite real scalar in an interval; return it as a Python float.

    ``low_open``/``high_open`` exclude the end points.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"`{name}` must be a finite number in {left}{lo}, {hi}{right}; got {value!r}")
    return value


def check_int(value, *, name, low=None, high=None):
    """Check an integer in ``[low, high]``; return it as a Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int; got {type(value).__name__}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"`{name}` must be an int in [{lo}, {hi}]; got {value}")
    return value


def check_tol(value, *, name, dtype=None, positive=False):
    """Check a tolerance (``>= 0``, or ``> 0`` when ``positive``); warn if below ``eps(dtype)``."""
    value = check_scalar(value, name=name, low=0.0, low_open=positive)
    if dtype is not None and 0 < value < float(np.finfo(str(np.dtype(_np_name(dtype)))).eps):
        warnings.warn(f"`{name}`={value:g} is below the machine precision of {_np_name(dtype)}; "
                      "the solver may not reach it", NumoptWarning, stacklevel=3)
    return value


def _np_name(dtype):
    text = str(dtype)
    return "float32" if "float32" in text else "float64"
