"""The result contract, checked for every solver in ``numopt._registry.SOLVERS``."""
import pytest

from numopt._lib._result import Status
from numopt._registry import SOLVERS

CASES = sorted(SOLVERS)


def _case(name, xp, dtype):
    case = SOLVERS[name]
    if xp.name not in case.backends:
        pytest.skip(f"{name} does not support {xp.name}")
    if str(dtype) not in case.dtypes:
        pytest.skip(f"{name} does not support {dtype}")
    args, kwargs = case.make_args(xp.xp, xp.device, dtype)
    return case, args, kwargs


@pytest.mark.parametrize("name", CASES)
def test_result_fields_dtype_device(name, xp, dtype):
    case, args, kwargs = _case(name, xp, dtype)
    res = case.func(*args, **kwargs)
    for key in ("success", "status", "message", "nit", case.output, *case.fields):
        assert key in res, key
    assert res.success == (res.status == Status.SUCCESS)
    assert res.success, res.message
    assert isinstance(res.message, str) and res.message
    assert isinstance(res.nit, int)
    out = res[case.output]
    assert str(out.dtype).endswith(str(dtype))
    from numopt._lib._array_api import array_namespace

    got_xp, got_device = array_namespace(out)
    assert got_device == xp.device
    assert "history" not in res
    res = case.func(*args, **kwargs, return_history=True)
    assert len(res.history) >= 1


@pytest.mark.parametrize("name", CASES)
def test_callback_stopiteration(name, xp):
    case, args, kwargs = _case(name, xp, "float64")
    seen = []

    def callback(intermediate):
        seen.append(intermediate.nit)
        if intermediate.nit == 2:
            raise StopIteration

    res = case.func(*args, **kwargs, callback=callback)
    assert res.status == Status.CALLBACK
    assert not res.success
    assert res.nit == 2
    assert seen[-1] == 2


@pytest.mark.parametrize("name", CASES)
def test_other_callback_exceptions_propagate(name):
    from tests._xp_testing import Backend

    case, args, kwargs = _case(name, Backend("numpy"), "float64")

    def callback(intermediate):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        case.func(*args, **kwargs, callback=callback)


@pytest.mark.parametrize("name", CASES)
def test_unknown_keyword_is_typeerror(name):
    from tests._xp_testing import Backend

    case, args, kwargs = _case(name, Backend("numpy"), "float64")
    with pytest.raises(TypeError):
        case.func(*args, **kwargs, not_an_option=1)
