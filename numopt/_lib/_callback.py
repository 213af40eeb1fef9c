"""User callbacks: ``callback(intermediate_result)``; ``StopIteration`` stops the solver cleanly."""

__all__ = ["call_callback"]


def call_callback(callback, intermediate_result):
    """Call ``callback`` and return True when it raised ``StopIteration`` (the solver must stop).

    Other exceptions propagate.  ``None`` never stops.
    """
    if callback is None:
        return False
    try:
        callback(intermediate_result)
    except StopIteration:
        return True
    return False
