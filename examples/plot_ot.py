"""
Entropic OT between two digit images: Sinkhorn-Newton-Sparse vs POT's log-domain Sinkhorn
=========================================================================================

Two 8x8 digits from scikit-learn's ``load_digits`` (blank pixels are zero masses), squared
Euclidean pixel cost scaled to [0, 1], ``reg = 0.005``.  Left: the plan found by
``numopt.solve_ot`` ('sns'); right: the marginal error per iteration of 'sns' and 'sinkhorn-log'.
POT's ``sinkhorn_log`` runs to the same tolerance for reference.
"""
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

import numopt
from numopt._lib._jit import warmup
from numopt.plot import plot_convergence, plot_transport_plan
from numopt.problems import ot_digit_images

warmup()  # compile (or load) the numba kernels outside the timings
a, b, C, _ = ot_digit_images(0, 1)
reg, tol = 0.005, 1e-9
results = {}
for method in ("sns", "sinkhorn-log"):
    start = time.perf_counter()
    results[method] = numopt.solve_ot(a, b, C, reg, method=method, tol=tol, return_history=True)
    res = results[method]
    print(f"numopt {method:12s} nit={res.nit:5d} time={time.perf_counter() - start:.3f}s "
          f"error={res.marginal_error:.1e} cost={res.cost:.10f}")
try:
    import ot

    with warnings.catch_warnings(), np.errstate(divide="ignore"):  # log(0) of blank pixels
        warnings.simplefilter("ignore", UserWarning)
        start = time.perf_counter()
        P = ot.bregman.sinkhorn_log(a, b, C, reg, stopThr=tol, numItermax=100_000)
    print(f"POT sinkhorn_log     time={time.perf_counter() - start:.3f}s "
          f"max|dP|={np.abs(P - results['sns'].plan).max():.1e}")
except ImportError:
    pass

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
plot_transport_plan(results["sns"], ax=ax1, a=a, b=b, log=True)
plot_convergence(results, ax=ax2)
ax2.set_ylabel("marginal error")
plt.tight_layout()
plt.show()
