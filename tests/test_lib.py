"""The dispatch layer, results, validation, seeds and import hygiene."""
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt._lib._array_api import array_namespace, result_dtype
from numopt._lib._callback import call_callback
from numopt._lib._result import LinearSolveResult, Status, make_result
from numopt._lib._rng import as_generator
from numopt._lib._validate import check_choice, check_int, check_scalar


def test_import_loads_no_heavy_modules():
    code = ("import sys, numopt; heavy = [m for m in ('numba', 'cupy', 'matplotlib', 'torch', "
            "'pyamg', 'sksparse', 'scipy.sparse') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_disable_jit_env_keeps_numba_out_of_host_side_kernels():
    # NUMOPT_DISABLE_JIT=1: the host-side factorisations (tree-SGS, IC(0)) call kernels that call
    # kernels; none may be compiled, so numba is never imported, and the answers are still right.
    pytest.importorskip("numba")
    code = ("import os, sys, numpy as np, scipy.sparse as sp, numopt\n"
            "from numopt.problems import poisson_matrix\n"
            "A = sp.csr_array(poisson_matrix((12, 12))); b = np.ones(A.shape[0])\n"
            "res = [numopt.solve_pcg(A, b, preconditioner=p, rtol=1e-10) for p in ('tree-sgs', 'ic0')]\n"
            "x = np.linalg.solve(A.toarray(), b)\n"
            "print(all(r.success and np.allclose(r.x, x, rtol=1e-8, atol=0) for r in res),"
            " 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "NUMOPT_DISABLE_JIT": "1"})
    assert out.stdout.split() == ["True", "False"]


def test_namespace_of_sparse_operator_and_lists():
    import scipy.sparse.linalg as spla

    A = sp.random(4, 4, density=0.5, format="csr", dtype=np.float32, random_state=0)
    xp, device = array_namespace(A, [1.0, 2.0], None, 3.0)
    assert xp.__name__.endswith("numpy") and device == "cpu"
    xp, _ = array_namespace(spla.aslinearoperator(A))
    assert xp.__name__.endswith("numpy")
    xp, device = array_namespace()
    assert xp.__name__.endswith("numpy")
    with pytest.raises(TypeError, match="expected an array"):
        array_namespace(object())


@pytest.mark.parametrize("dtypes, expected", [
    (("float32", "float32"), "float32"),
    (("float32", "float64"), "float64"),
    (("int64", "float32"), "float64"),
    (("bool",), "float64"),
])
def test_result_dtype(dtypes, expected):
    import array_api_compat.numpy as xp

    arrays = [np.zeros(2, dtype=d) for d in dtypes]
    assert np.dtype(result_dtype(*arrays, xp=xp)) == np.dtype(expected)


def test_result_object():
    res = make_result(LinearSolveResult, Status.MAXITER, x=np.zeros(2), nit=3)
    assert res.x is res["x"] and res.nit == 3
    assert res.success is False and res.status == 1 and "Maximum" in res.message
    assert "history" not in res
    res.extra = 5
    assert res["extra"] == 5
    assert "nit: 3" in repr(res)
    with pytest.raises(AttributeError):
        res.missing
    assert make_result(LinearSolveResult, 0, return_history=True).history == []


def test_call_callback():
    assert call_callback(None, {}) is False
    assert call_callback(lambda r: None, {}) is False

    def stop(r):
        raise StopIteration

    assert call_callback(stop, {}) is True


def test_seeds():
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert as_generator(5).random() == np.random.default_rng(5).random()
    with pytest.raises(TypeError, match="seed"):
        as_generator("5")
    with pytest.raises(ValueError, match="seed"):
        as_generator(-1)


def test_validators():
    assert check_choice("a", ("a", "b"), name="m") == "a"
    with pytest.raises(ValueError, match="`m` must be one of 'a', 'b'; got 'c'"):
        check_choice("c", ("a", "b"), name="m")
    with pytest.raises(ValueError, match=r"\(0, 2\)"):
        check_scalar(2, name="omega", low=0, high=2, low_open=True, high_open=True)
    with pytest.raises(TypeError, match="real number"):
        check_scalar("1", name="t")
    with pytest.raises(TypeError):
        check_scalar(True, name="t")
    with pytest.raises(ValueError, match=r"\[1, inf\]"):
        check_int(0, name="maxiter", low=1)


def test_show_backends():
    info = numopt.show_backends(print_table=False)
    assert {"numba", "cupy", "pyamg", "torch", "scikit-sparse"} <= set(info)
    assert isinstance(info["jit_enabled"], bool)
    assert info["cuda_devices"] >= 0
    assert info["solvers"]["solve_pcg"]["linear_operator"] is True


def test_warmup_compiles_kernels():
    from numopt._lib import _jit

    if not _jit.HAS_NUMBA:
        pytest.skip("numba not installed")
    _jit.warmup()
