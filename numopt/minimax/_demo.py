"""Demo row: 'vr-halpern' against the extragradient loop users hand-write in NumPy."""
import numpy as np

__all__ = ["rows", "numpy_extragradient"]


def numpy_extragradient(A, step, max_epochs, tol=0.0):
    """The peer: extragradient on ``min_x max_y x^T A y`` with sort-based simplex projections.

    Stops when ``R = ||z - P(z - F z)|| <= tol`` or after ``max_epochs`` (2 per iteration).
    Returns ``(z, history)`` with ``history`` a list of ``(epoch, R)``.
    """
    def proj(v):
        u = np.sort(v)[::-1]
        theta = np.max((np.cumsum(u) - 1.0) / np.arange(1, v.size + 1))
        return np.maximum(v - theta, 0.0)

    m, n = A.shape
    x, y = np.full(m, 1.0 / m), np.full(n, 1.0 / n)
    history = []
    for k in range(int(max_epochs) // 2):
        Ay, ATx = A @ y, A.T @ x
        R = np.sqrt(np.sum((x - proj(x - Ay)) ** 2) + np.sum((y - proj(y + ATx)) ** 2))
        history.append((2.0 * k, R))
        if R <= tol:
            break
        x_bar, y_bar = proj(x - step * Ay), proj(y + step * ATx)
        x, y = proj(x - step * (A @ y_bar)), proj(y + step * (A.T @ x_bar))
    return np.concatenate([x, y]), history


def rows(quick):
    """VR-Halpern vs NumPy EG on policeman-burglar n = 500 until R <= 2e-2 (quick) or 5e-3."""
    from .._demo import DemoRow, timed
    from ..prox import Simplices
    from ..problems import policeman_burglar
    from . import FiniteSumOperator, solve_monotone_inclusion

    A = policeman_burglar(500)
    target = 2e-2 if quick else 5e-3
    z0 = np.full(1000, 1.0 / 500)
    res, seconds = timed(solve_monotone_inclusion, FiniteSumOperator.bilinear(A), z0,
                         resolvent=Simplices([500, 500]), step=5 / np.linalg.norm(A), tol=target,
                         max_epochs=5000, seed=0, return_history=True)
    (_, history), peer_seconds = timed(numpy_extragradient, A, 5 / np.linalg.norm(A, 2),
                                       2000 if quick else 10_000, target)
    peer = {"history": [R for _, R in history]}
    return [DemoRow(solver="solve_monotone_inclusion('vr-halpern')", problem="policeman-burglar n=500",
                    iterations=int(round(res.epochs)), time=seconds, accuracy=res.residual,
                    peer="NumPy extragradient", peer_iterations=int(history[-1][0]),
                    peer_time=peer_seconds, accuracy_name="residual R; iters = epochs",
                    results={"vr-halpern": res, "NumPy EG": peer})]
