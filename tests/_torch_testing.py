"""Shared fixture for the torch-based (DCDM) tests."""
import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Small networks on a shared 2-core machine: one thread avoids spinning OpenMP workers."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
