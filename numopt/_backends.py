"""``show_backends()``: which optional backends numopt can use on this machine."""
from ._lib._capabilities import CAPABILITIES
from ._lib._jit import HAS_NUMBA, JIT_DISABLED
from ._lib._optional import has_module

__all__ = ["show_backends"]

_PACKAGES = {
    "numba": ("numba", "JIT kernels for NumPy inputs"),
    "cupy": ("cupy", "GPU arrays"),
    "scikit-sparse": ("sksparse", "CHOLMOD (preconditioner='cholmod')"),
    "pyamg": ("pyamg", "algebraic multigrid (preconditioner='amg')"),
    "torch": ("torch", "deep-CG networks (solve_dcdm, train_dcdm)"),
    "matplotlib": ("matplotlib", "numopt.plot"),
    "array-api-strict": ("array_api_strict", "strict array-API testing"),
}


def _version(dist):
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cuda_devices():
    if not has_module("cupy"):
        return 0
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount()
    except Exception:  # no driver, no device: report zero devices
        return 0


def show_backends(*, print_table=True):
    """Report the optional backends: installed version (or None) and what each enables.

    Returns a dict ``{name: {"version": str | None, "for": str}}`` plus the keys ``"jit_enabled"``,
    ``"cuda_devices"`` and ``"solvers"`` (each public solver's numba / CuPy / LinearOperator
    support); prints the tables unless ``print_table=False``.
    """
    info = {}
    for dist, (module, purpose) in _PACKAGES.items():
        version = _version(dist if dist != "cupy" else "cupy-cuda12x") or _version(dist)
        if version is None and has_module(module):
            version = "installed"
        info[dist] = {"version": version, "for": purpose}
    info["jit_enabled"] = HAS_NUMBA and not JIT_DISABLED
    info["cuda_devices"] = _cuda_devices()
    info["solvers"] = dict(CAPABILITIES)
    if print_table:
        for name, entry in info.items():
            if isinstance(entry, dict) and "for" in entry:
                print(f"{name:17s} {entry['version'] or 'not installed':14s} {entry['for']}")
        print(f"{'numba JIT':17s} {'on' if info['jit_enabled'] else 'off'}")
        print(f"{'CUDA devices':17s} {info['cuda_devices']}")
        print(f"\n{'solver':28s} {'numba':12s} {'CuPy':40s} LinearOperator")
        for name, caps in CAPABILITIES.items():
            print(f"{name:28s} {str(caps['numba']):12s} {str(caps['cupy']):40s} {caps['linear_operator']}")
    return info
