"""numba shim.  Importing numopt never imports numba: kernel modules import it when first used.

A numba kernel is a fast path used only for NumPy inputs; the vectorised xp code is the reference.
``NUMOPT_DISABLE_JIT=1`` (or ``numopt._lib._jit.JIT_DISABLED = True``) forces the xp path.
"""
import importlib
import os

import array_api_compat as aac

from ._optional import has_module

__all__ = ["HAS_NUMBA", "JIT_DISABLED", "use_jit", "kernel", "host_kernel", "warmup", "KERNEL_MODULES"]

HAS_NUMBA = has_module("numba")
# NUMOPT_DISABLE_JIT=1 in the environment: numba is never imported and kernels stay plain Python
# (host-side steps then run them interpreted).  Setting ``JIT_DISABLED`` at run time (tests) only
# switches the paths: kernels already decorated stay compiled.
_DISABLED_BY_ENV = os.environ.get("NUMOPT_DISABLE_JIT", "0").strip() not in ("", "0")
JIT_DISABLED = _DISABLED_BY_ENV

# Modules under numopt._kernels; each defines ``warmup()`` that compiles its kernels on tiny inputs.
KERNEL_MODULES = (
    "numopt._kernels._sor",
    "numopt._kernels._krylov",
    "numopt._kernels._sinkhorn",
    "numopt._kernels._proj",
    "numopt._kernels._minimax",
    "numopt._kernels._sketch",
    "numopt._kernels._bcd",
    "numopt._kernels._bandit",
)


def use_jit(xp):
    """True when numba kernels should run for arrays of namespace ``xp``."""
    return HAS_NUMBA and not JIT_DISABLED and aac.is_numpy_namespace(xp)


def kernel(func=None, *, reassociate=False, contract=False):
    """``numba.njit(cache=True, nogil=True)``: compiled lazily per dtype signature, cached on disk.

    ``reassociate=True`` lets LLVM reorder floating-point sums (fastmath flag ``reassoc`` only, NaN
    and Inf semantics kept) so reductions vectorise, as BLAS does; ``contract=True`` lets it fuse
    ``a * b + c`` into one FMA (flag ``contract``: one rounding instead of two), which shortens
    serial recurrences such as tree substitutions.  Without numba the plain Python
    function is returned (usable through :func:`host_kernel`), as it is under
    ``NUMOPT_DISABLE_JIT=1``, so that kernels calling kernels stay uncompiled too.
    """
    if func is None:
        return lambda f: kernel(f, reassociate=reassociate, contract=contract)
    if not HAS_NUMBA or _DISABLED_BY_ENV:
        return func
    import numba

    flags = {"reassoc"} if reassociate else set()
    if contract:
        flags.add("contract")
    return numba.njit(cache=True, nogil=True, fastmath=flags or False)(func)


def host_kernel(func):
    """The compiled kernel, or its plain Python body when the JIT is off.

    For host-side steps that have no vectorised form (e.g. an incomplete factorisation).
    """
    if HAS_NUMBA and not JIT_DISABLED:
        return func
    return getattr(func, "py_func", func)


def warmup():
    """Compile (or load from cache) every kernel for float32 and float64; used by the demo and asv."""
    if not HAS_NUMBA or JIT_DISABLED:
        return
    for name in KERNEL_MODULES:
        importlib.import_module(name).warmup()
