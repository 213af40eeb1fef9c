"""Backend support table: which solver runs numba kernels, CuPy, LinearOperators."""

__all__ = ["capabilities", "CAPABILITIES"]

CAPABILITIES = {}


def capabilities(*, numba, cupy, linear_operator):
    """Record a public solver's backend support (shown by ``show_backends`` and the docs)."""

    def register(func):
        CAPABILITIES[func.__name__] = {"numba": numba, "cupy": cupy, "linear_operator": linear_operator}
        return func

    return register
