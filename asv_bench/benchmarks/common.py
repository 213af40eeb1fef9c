"""Shared benchmark helpers: size profiles, optional imports, backend parametrisation.

``NUMOPT_BENCH_PROFILE=fast|regular|large`` picks problem sizes (default ``regular``).
"""
import importlib
import os

try:
    from asv_runner.benchmarks.mark import SkipNotImplemented
except ImportError:  # older asv
    class SkipNotImplemented(NotImplementedError):
        pass

PROFILE = os.environ.get("NUMOPT_BENCH_PROFILE", "regular")


def pick(fast, regular, large=None):
    """The value for the active size profile."""
    return {"fast": fast, "regular": regular, "large": large if large is not None else regular}[PROFILE]


def safe_import(name):
    """Import a module or skip the benchmark (``SkipNotImplemented``) when it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise SkipNotImplemented(f"{name} not installed: {exc}") from None


class Benchmark:
    """Base class: compiles numopt's kernels before timing, so compilation is never timed."""

    timeout = 300

    def setup(self, *params):
        from numopt._lib._jit import warmup

        warmup()


class XPBenchmark(Benchmark):
    """Parametrised over backends; CuPy benchmarks are skipped without a GPU."""

    backends = ["numpy", "cupy"]

    def setup_backend(self, backend):
        super().setup()
        if backend == "cupy":
            cupy = safe_import("cupy")
            try:
                if cupy.cuda.runtime.getDeviceCount() == 0:
                    raise SkipNotImplemented("no CUDA device")
            except cupy.cuda.runtime.CUDARuntimeError:
                raise SkipNotImplemented("no CUDA device") from None
            return cupy
        import numpy

        return numpy

    @staticmethod
    def sync(xp):
        if xp.__name__ == "cupy":
            xp.cuda.get_current_stream().synchronize()
