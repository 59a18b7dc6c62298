"""The live demo's seeded run: loss per step (and SGD's, for comparison), and the decision boundary over the two moons.

The legend gives each run's final loss; a dotted line marks where SGD ends, and a dot the step by which
Adam was already there (the slide's note reads both off the picture).

Run: python tools/pictures/demo_training.py <outdir>  ->  demo_training.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np

from _demo_run import OPTIMIZERS, accuracy, data, train
from _style import figure, points, save
import autodiff.functional as F
from autodiff import Tensor, no_grad

GRID = 80  # points per side of the probability map
FIGSIZE = (11.0, 4.2)  # inches
SHOWN_WIDTH = 1150  # px: the slide shows this picture `![w:1150]`
PX = {"label": 19, "legend": 17, "tick": 16}  # font sizes at slide size


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    X, y, X_test, y_test = data()
    runs = {name: train(name) for name in OPTIMIZERS}
    model = runs[next(iter(OPTIMIZERS))][0]  # the demo's model: trained with Adam
    xs, ys = np.linspace(-1.6, 2.6, GRID), np.linspace(-1.2, 1.7, GRID)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    with no_grad():
        p = F.softmax(model(Tensor(grid))).data[:, 1].reshape(GRID, GRID)
    losses = {name: [round(v, 4) for v in run[1]] for name, run in runs.items()}
    adam, sgd = losses.values()
    source = {
        "losses": losses,
        "adam_step_at_sgd_final": next(step for step, v in enumerate(adam, start=1) if v <= sgd[-1]),
        "train_accuracy": accuracy(model, X, y),
        "test_accuracy": accuracy(model, X_test, y_test),
        "grid_x": xs.round(4).tolist(),
        "grid_y": ys.round(4).tolist(),
        "p_class1": p.round(2).tolist(),
    }
    (outdir / "demo_training.json").write_text(json.dumps(source) + "\n")

    size = {k: points(px, FIGSIZE[0], SHOWN_WIDTH) for k, px in PX.items()}
    fig, (left, right) = figure("demo_training", FIGSIZE, ncols=2, gridspec_kw={"width_ratios": [1, 1.3]})
    for (name, curve), colour in zip(source["losses"].items(), ("#f0a030", "#9a9aa0")):
        left.plot(np.arange(1, len(curve) + 1), curve, color=colour, linewidth=2, label=f"{name}\nends at {curve[-1]:.3f}")
    step, level = source["adam_step_at_sgd_final"], sgd[-1]
    left.plot([step, len(sgd)], [level, level], color="#9a9aa0", linestyle=":", linewidth=1.5)
    left.plot([step], [level], "o", color="#f0a030", markersize=7)
    left.annotate(f"step {step}", (step, level), xytext=(0, -10), textcoords="offset points", ha="center", va="top",
                  fontsize=size["legend"], color="#f0a030")
    left.set_yscale("log")
    left.legend(fontsize=size["legend"], framealpha=0.3, loc="upper right")
    left.set_xlabel("step (full batch of 200 points)", fontsize=size["label"])
    left.set_ylabel("cross-entropy loss", fontsize=size["label"])
    left.tick_params(which="both", labelsize=size["tick"])
    left.grid(alpha=0.2)
    right.contourf(xs, ys, source["p_class1"], levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.55)
    right.contour(xs, ys, source["p_class1"], levels=[0.5], colors="white", linewidths=1.5)
    for label, colour in ((0, "#4c8ee8"), (1, "#e8604c")):
        right.scatter(*X[y == label].T, s=14, color=colour, edgecolors="black", linewidths=0.4)
    right.set_title(f"train {source['train_accuracy']:.1%}, test {source['test_accuracy']:.1%}", fontsize=size["label"])
    right.set_aspect("equal")
    right.set_xticks([])
    right.set_yticks([])
    save(fig, outdir, "demo_training")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
