"""Optional dependencies, imported where they are used, with an install hint."""
import importlib

__all__ = ["import_optional", "has_module", "lazy_module"]


def has_module(name):
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def import_optional(name, *, extra, purpose):
    """Import ``name`` or raise ``ImportError`` naming the numopt extra that provides it.

    ``purpose`` completes the sentence "<purpose> needs <name>", e.g. "preconditioner='amg'".
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs {name.split('.')[0]}: `pip install numopt[{extra}]` ({exc})"
        ) from exc


class _LazyModule:
    """Stands for a module that is imported on first attribute access (keeps ``import numopt`` fast)."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        module = importlib.import_module(self._name)
        return getattr(module, attr)


def lazy_module(name):
    """A stand-in for ``import name`` that imports the module when first used."""
    return _LazyModule(name)
