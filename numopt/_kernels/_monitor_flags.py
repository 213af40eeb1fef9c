"""Flags returned by the minimax residual monitor (shared by the kernels and the Python tracker;
this module imports no numba)."""

CONTINUE, CONVERGED, DIVERGED, STALLED, NONFINITE, EXHAUSTED = 0, 1, 2, 3, 4, 5
