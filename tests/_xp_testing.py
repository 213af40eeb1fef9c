"""Backend helpers for tests: move NumPy data to a backend and compare results on it."""
import numpy as np

from numopt._lib._array_api import array_namespace, to_numpy


class Backend:
    """One test backend: ``numpy``, ``strict`` (array-api-strict on ``Device('device1')``) or ``cupy``."""

    def __init__(self, name):
        self.name = name
        if name == "numpy":
            import array_api_compat.numpy as xp

            self.xp, self.device = xp, "cpu"
        elif name == "strict":
            import array_api_strict as xp

            self.xp, self.device = xp, xp.Device("device1")
        elif name == "cupy":
            import cupy as xp

            self.xp, self.device = xp, xp.cuda.Device(0)
        else:
            raise ValueError(name)

    def __repr__(self):
        return f"Backend({self.name})"

    def asarray(self, a, dtype=None):
        """Move a NumPy array (or scipy sparse matrix, for numpy/cupy) onto this backend."""
        import scipy.sparse as sp

        if sp.issparse(a):
            if dtype is not None:
                a = a.astype(dtype)
            if self.name == "numpy":
                return a
            if self.name == "cupy":
                import cupyx.scipy.sparse as csp

                return csp.csr_matrix(a.tocsr())
            a = a.toarray()  # array-api-strict has no sparse format: dense stands in
        a = np.asarray(a, dtype=dtype)
        if self.name == "numpy":
            return a
        return self.xp.asarray(a, device=self.device)


def xp_assert_close(actual, desired, *, rtol=1e-7, atol=0.0, xp=None, dtype=None, err_msg=""):
    """Assert closeness after checking namespace, device, dtype and shape of ``actual``.

    ``xp`` is the :class:`Backend` the result must live on; ``dtype`` the dtype it must keep.
    """
    if xp is not None:
        got_xp, got_device = array_namespace(actual)
        assert got_xp.__name__.split(".")[-1] == xp.xp.__name__.split(".")[-1], (got_xp, xp.xp)
        assert got_device == xp.device, (got_device, xp.device)
    if dtype is not None:
        assert str(actual.dtype).endswith(str(np.dtype(dtype))), (actual.dtype, dtype)
    a = to_numpy(actual)
    d = to_numpy(desired)
    assert a.shape == d.shape, (a.shape, d.shape)
    np.testing.assert_allclose(a, d, rtol=rtol, atol=atol, err_msg=err_msg)
