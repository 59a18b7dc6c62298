"""Newton's method against gradient descent on logistic regression (two moons): the loss's distance to
its minimum per step. Newton uses autodiff.hessian and autodiff.grad; descent uses grad alone.

Run: python tools/pictures/newton.py <outdir>  ->  newton.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np

import autodiff
from autodiff import Tensor, datasets
from _style import figure, save

NEWTON_STEPS, DESCENT_STEPS, LR = 8, 300, 1.0
ROUNDING = 1e-13  # a smaller gap is rounding: recorded as 0, drawn at the floor of the log scale
X, Y = datasets.make_moons(n=200, noise=0.2, seed=0)
A = np.c_[X, np.ones(len(X))]  # the two features and a bias column


def loss(w: Tensor) -> Tensor:
    """The mean logistic loss of the linear classifier w: -mean log p(y)."""
    p = (A @ w).sigmoid()
    return -np.where(Y == 1, p, 1 - p).log().mean()


def run(update, steps: int) -> list[float]:
    w, losses = np.zeros(3), []
    for _ in range(steps):
        w = update(w)
        losses.append(float(loss(Tensor(w)).data))
    return losses


def main(outdir: Path) -> None:
    newton = run(lambda w: w - np.linalg.solve(autodiff.hessian(loss)(w), autodiff.grad(loss)(w)), NEWTON_STEPS)
    descent = run(lambda w: w - LR * autodiff.grad(loss)(w), DESCENT_STEPS)
    best = min(newton + descent)
    gap = {name: [float(f"{v - best:.3g}") if v - best > ROUNDING else 0.0 for v in losses]
           for name, losses in (("newton", newton), ("descent", descent))}
    (outdir / "newton.json").write_text(json.dumps({"minimum": round(best, 12), "lr": LR, **gap}) + "\n")
    fig, ax = figure("newton", (6, 5))
    for name, colour, label in (("descent", "#9a9aa0", f"gradient descent, lr {LR:g}"), ("newton", "#f0a030", "Newton")):
        steps = np.arange(1, len(gap[name]) + 1)
        ax.plot(steps, np.maximum(gap[name], ROUNDING / 10), "o-" if name == "newton" else "-", color=colour, linewidth=2.5,
                markersize=7, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step", fontsize=20)
    ax.set_ylabel("loss − minimum", fontsize=20)
    ax.tick_params(labelsize=18)
    ax.legend(loc="lower right", fontsize=18, framealpha=0.5)
    save(fig, outdir, "newton")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
