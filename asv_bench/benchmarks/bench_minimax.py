"""asv benchmarks for the monotone-inclusion / min-max family (spec halpern_vr.md section 10).

Policeman-burglar games with the authors' steps ('vr-halpern' 5/||A||_F, EG/EAG 5/||A||_2):
time for a fixed epoch budget, and the quality tracks (residual at the budget, epochs to R <= 2e-2,
and the EAG / VR-Halpern epoch ratio, the issue's >= 4x target).
"""
import numpy as np

try:
    import numopt
    from numopt._lib._jit import warmup
    from numopt.problems import bilinear_qp, policeman_burglar
except ImportError:  # asv discovers benchmarks before installing
    numopt = None


def _game(n, method, epochs, seed=0):
    A = policeman_burglar(n)
    step = 5 / np.linalg.norm(A) if method == "vr-halpern" else 5 / np.linalg.norm(A, 2)
    return numopt.solve_matrix_game(A, method=method, step=step, max_epochs=epochs, tol=1e-15, seed=seed,
                                    return_history=True)


def _epochs_to(res, level):
    hits = [e for e, R in zip(res.history_epochs, res.history) if R <= level]
    return hits[0] if hits else float("nan")


class PolicemanBurglarTime:
    """Wall time of 5000 epochs ('vr-halpern', 'eag') and 1000 ('vr-halpern-inexact') at n = 500."""

    params = [["vr-halpern", "eag", "vr-halpern-inexact"]]
    param_names = ["method"]
    timeout = 300

    def setup(self, method):
        warmup()
        self.A = policeman_burglar(500)
        self.epochs = 1000 if method == "vr-halpern-inexact" else 5000

    def time_solve(self, method):
        step = 5 / np.linalg.norm(self.A) if method == "vr-halpern" else None
        if method == "eag":
            step = 5 / np.linalg.norm(self.A, 2)
        numopt.solve_matrix_game(self.A, method=method, step=step, max_epochs=self.epochs, tol=1e-15,
                                 seed=0)


class PolicemanBurglarQuality:
    """Residual after 5000 epochs, epochs to 2e-2, and the EAG / VR-Halpern ratio at n = 500."""

    timeout = 600

    def setup_cache(self):
        warmup()
        vr, eag = _game(500, "vr-halpern", 5000), _game(500, "eag", 5000)
        return {"residual": vr.residual, "vr_to_2e-2": _epochs_to(vr, 2e-2),
                "eag_to_2e-2": _epochs_to(eag, 2e-2)}

    def track_residual_5000_epochs(self, cache):
        return cache["residual"]

    track_residual_5000_epochs.unit = "natural residual"

    def track_epochs_to_2e2(self, cache):
        return cache["vr_to_2e-2"]

    track_epochs_to_2e2.unit = "epochs"

    def track_ratio_vs_eag(self, cache):
        return cache["eag_to_2e-2"] / cache["vr_to_2e-2"]

    track_ratio_vs_eag.unit = "x fewer epochs"


class PolicemanBurglarLarge:
    """Epoch throughput of 'vr-halpern' at n = 2000 and 10000 (50 epochs)."""

    params = [[2000, 10_000]]
    param_names = ["n"]
    timeout = 600

    def setup(self, n):
        warmup()
        self.A = policeman_burglar(n)
        self.step = 5 / np.linalg.norm(self.A)

    def time_50_epochs(self, n):
        numopt.solve_matrix_game(self.A, method="vr-halpern", step=self.step, max_epochs=50, tol=1e-15,
                                 seed=0)


class BilinearQP:
    """The authors' hard QP (paired components): ||F|| after 1e4 epochs (CI budget), 'vr-halpern'
    (step 0.3) vs EAG (step 0.3).  The budget is 5e4 epochs so that the stall window (20 % of it)
    cannot stop the non-monotone Halpern transient before 1e4; R is read from the history."""

    timeout = 600

    def setup_cache(self):
        warmup()
        prob = bilinear_qp()
        at_1e4 = {}
        for method in ("vr-halpern", "eag"):
            res = numopt.solve_monotone_inclusion(prob.operator, prob.x0, method=method, step=0.3,
                                                  tol=1e-15, max_epochs=50_000, seed=0,
                                                  return_history=True)
            k = np.searchsorted(np.asarray(res.history_epochs), 1e4, side="right") - 1
            at_1e4[method] = float(res.history[k])
        return at_1e4

    def track_residual_vr_halpern(self, at_1e4):
        return at_1e4["vr-halpern"]

    def track_residual_eag(self, at_1e4):
        return at_1e4["eag"]

    track_residual_vr_halpern.unit = track_residual_eag.unit = "||F||"
