"""Demo rows: the learned omega of ``solve_sor_sequence`` vs omega = 1 and the best fixed omega."""
import numpy as np

__all__ = ["rows"]


def _fixed_run(seq, omega):
    from ._sor import solve_sor

    results = [solve_sor(A, b, omega=omega) for A, b, _ in seq]
    return sum(r.nit for r in results)


def _max_relative_residual(seq, xs):
    return max(float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))
               for (A, b, _), x in zip(seq, xs))


def rows(quick):
    """Learned omega (default learner) on the high-variance synthetic sequence, n = 100."""
    from .._demo import DemoRow, timed
    from ..problems import shifted_laplacian_sequence
    from ._bandit import DEFAULT_OMEGAS
    from ._sequence import grid_costs, solve_sor_sequence

    T = 200 if quick else 2000
    seq = shifted_laplacian_sequence(T, variance="high", seed=0)
    grid = np.array(DEFAULT_OMEGAS)
    costs, _ = grid_costs(seq, grid)
    best = float(grid[int(np.argmin(costs.sum(0)))])
    res, seconds = timed(solve_sor_sequence, seq, seed=0, return_history=True)
    accuracy = _max_relative_residual(seq, res.x)
    problem = f"shifted Laplacian n=100, T={T}"
    out = []
    for peer_omega, name in ((1.0, "SOR omega=1"), (best, f"SOR best fixed omega={best:.2f}")):
        peer_iterations, peer_seconds = timed(_fixed_run, seq, peer_omega)
        out.append(DemoRow("solve_sor_sequence (learned omega)", problem, res.total_iterations,
                           seconds, accuracy, name, peer_iterations, peer_seconds))
    out[0].results = {"learned omega: sweeps per system": res}  # one plot for both rows
    return out
