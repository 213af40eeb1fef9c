"""Shared fixtures: the ``xp`` backend (numpy; array-api-strict on a second device; cupy with a GPU),
``dtype`` (float32/float64) and ``jit`` (numba kernels on/off for NumPy inputs).

``NUMOPT_TEST_BACKENDS=numpy,strict`` restricts the backends.
"""
import importlib.util
import os

import numpy as np
import pytest

from ._xp_testing import Backend


def _cuda_device_count():
    if importlib.util.find_spec("cupy") is None:
        return 0
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount()
    except Exception:  # no driver or no device
        return 0


def _backends():
    wanted = os.environ.get("NUMOPT_TEST_BACKENDS")
    wanted = None if not wanted else set(wanted.split(","))
    names = ["numpy"]
    if importlib.util.find_spec("array_api_strict"):
        names.append("strict")
    if _cuda_device_count() > 0:
        names.append("cupy")
    for name in names:
        if wanted is None or name in wanted:
            marks = [pytest.mark.gpu] if name == "cupy" else []
            yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(params=list(_backends()))
def xp(request):
    """A :class:`Backend`: ``.xp`` namespace, ``.device`` and ``.asarray(numpy_array)``."""
    return Backend(request.param)


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(params=[True, False], ids=["jit", "nojit"])
def jit(request, monkeypatch):
    """Run with numba kernels on (when numba is installed) or forced off."""
    from numopt._lib import _jit

    if request.param and not _jit.HAS_NUMBA:
        pytest.skip("numba not installed")
    monkeypatch.setattr(_jit, "JIT_DISABLED", not request.param)
    return request.param


def pytest_collection_modifyitems(config, items):
    if _cuda_device_count() == 0:
        skip = pytest.mark.skip(reason="no CUDA device")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
