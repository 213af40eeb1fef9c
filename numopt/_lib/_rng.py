"""Seeds: an int, a ``numpy.random.Generator`` or ``None``; never the global NumPy state."""
import numbers

import numpy as np

__all__ = ["as_generator"]


def as_generator(seed, *, name="seed"):
    """Return a ``numpy.random.Generator`` for ``seed`` (a Generator is used as is, not copied)."""
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"`{name}` must be a non-negative int; got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(f"`{name}` must be None, an int or a numpy.random.Generator; got {type(seed).__name__}")
