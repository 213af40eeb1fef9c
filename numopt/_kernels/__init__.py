"""numba kernels (fast paths for NumPy inputs). Importing a kernel module imports numba."""
