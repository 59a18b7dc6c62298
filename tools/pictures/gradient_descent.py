"""Gradient descent on an elongated bowl, each step's gradient computed by autodiff.

Run: python tools/pictures/gradient_descent.py <outdir>  ->  gradient_descent.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np

from autodiff import Tensor
from _style import figure, save

START, LR, STEPS = (-4.0, 2.0), 0.17, 20


def loss(w: Tensor) -> Tensor:
    """L(w) = w₀²/2 + 5 w₁²: ten times steeper across than along."""
    return 0.5 * w[0] ** 2 + 5.0 * w[1] ** 2


def descend() -> list[list[float]]:
    w = np.array(START)
    path = [w.tolist()]
    for _ in range(STEPS):
        t = Tensor(w, requires_grad=True)
        loss(t).backward()
        w = w - LR * t.grad
        path.append(w.round(4).tolist())
    return path


def main(outdir: Path) -> None:
    path = descend()
    data = {"f": "w0**2/2 + 5*w1**2", "start": START, "lr": LR, "path": path}
    (outdir / "gradient_descent.json").write_text(json.dumps(data, indent=1) + "\n")

    a, b = np.meshgrid(np.linspace(-4.5, 4.5, 200), np.linspace(-2.5, 2.5, 200))
    fig, ax = figure("gradient_descent", (8, 4.5))
    ax.contour(a, b, 0.5 * a**2 + 5 * b**2, levels=np.geomspace(0.05, 30, 12), cmap="viridis", linewidths=1)
    p = np.array(path)
    ax.plot(p[:, 0], p[:, 1], "o-", color="#f0a030", markersize=4, label=r"$w \leftarrow w - \eta\,\nabla L(w)$")
    ax.plot(0, 0, "*", color="#08a684", markersize=14, label="minimum")
    ax.set_xlabel("$w_0$", fontsize=17)
    ax.set_ylabel("$w_1$", fontsize=17)
    ax.tick_params(labelsize=14)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=15, framealpha=0.5)
    save(fig, outdir, "gradient_descent")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
