"""Reproduce the DCDM weights shipped in ``numopt/linalg/_dcdm/weights/`` (fixed seeds).

    nice python examples/train_dcdm_weights.py            # both models
    nice python examples/train_dcdm_weights.py --dim 3    # only the 3-D one

The shipped recipes (``RECIPES``) fit in under 30 minutes on a shared (heavily loaded) 2-core CPU:
2-D on 64x64 Dirichlet Poisson (the paper's network, 16 channels, 1000 samples, 8 epochs; 408 s
measured); 3-D: the multilevel network (16 channels) on 8^3, 16^3 and 32^3 Dirichlet Poisson
together (1000 Ritz-vector samples each, Lanczos m = 400 / 400 / 1000, 6 epochs; 629 s measured
with one torch thread, the machine's 2 cores shared with 3-4 other jobs).  The multilevel network
shares its weights between levels, so training on three depths teaches one set of weights for
all of them; the previous 3-D model (the paper's network trained on 16^3) needed 2.3-2.4x more
iterations at 64^3 than at 32^3 on smooth sources, this one 1.5-1.6x.
torch runs on ``--threads`` threads (default 1: on a loaded machine more threads spin and slow
everything down).  The training time is printed and stored in the model's metadata.
"""
import argparse
import time
from pathlib import Path

import numopt
from numopt.linalg._dcdm._model import WEIGHTS_DIR

RECIPES = {
    2: {"grid_shape": (64, 64), "n_samples": 1000, "epochs": 8, "seed": 20232},
    3: {"grid_shape": [(8, 8, 8), (16, 16, 16), (32, 32, 32)], "architecture": "multilevel",
        "channels": 16, "data": "ritz", "n_samples": 3000, "epochs": 6, "seed": 20233},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, choices=(2, 3), nargs="*", default=[2, 3])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    for dim in args.dim:
        recipe = dict(RECIPES[dim])
        start = time.perf_counter()
        model = numopt.train_dcdm(recipe.pop("grid_shape"), **recipe, progress=True)
        seconds = time.perf_counter() - start
        model.metadata["training_seconds"] = round(seconds, 1)
        path = args.out / f"dcdm_{dim}d.pt"
        model.save(path)
        history = model.metadata["history"]["val"]
        print(f"{dim}-D: {seconds:.0f} s, validation loss {history[0]:.4f} -> "
              f"{min(history):.4f}, wrote {path}")


if __name__ == "__main__":
    main()
