"""Broadcasting copies b into every row of X + b; backward adds the rows of Z̄ back into b̄.

Run: python tools/pictures/broadcast_sum.py <outdir>  ->  broadcast_sum.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, Rectangle

from autodiff import Tensor
from _style import figure, save

B, ROWS = [1.0, 2.0, 3.0], 2


def gradients() -> dict[str, list]:
    """The demo of the slide: Z = X + b, L = sum(Z), so Z̄ is ones and b̄ sums its rows."""
    x = Tensor(np.zeros((ROWS, len(B))), requires_grad=True)
    b = Tensor(B, requires_grad=True)
    (x + b).sum().backward()
    return {"b": B, "b_copied": np.broadcast_to(B, (ROWS, len(B))).tolist(), "z_grad": np.ones((ROWS, len(B))).tolist(), "b_grad": b.grad.tolist()}


def grid(ax: Axes, x0: float, y0: float, values: list[list[float]], colour: str) -> None:
    """A table of cells, top-left corner at (x0, y0), one unit per cell."""
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.add_patch(Rectangle((x0 + j, y0 - i - 1), 1, 1, facecolor=colour, edgecolor="white", alpha=0.85))
            ax.text(x0 + j + 0.5, y0 - i - 0.5, f"{v:g}", ha="center", va="center", fontsize=18, color="white")


def arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, color="#cccccc", lw=1.5))


def main(outdir: Path) -> None:
    data = gradients()
    (outdir / "broadcast_sum.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, ax = figure("broadcast_sum", (11, 3.2))
    grid(ax, 0, 3, [data["b"]], "#2f6ea8")
    for i in range(ROWS):
        arrow(ax, (3.1, 2.5), (5.4, 1.6 - i))
    grid(ax, 5.5, 2.1, data["b_copied"], "#2f6ea8")
    ax.text(4.2, 3.35, "forward: copy b into each row", ha="center", fontsize=14)
    grid(ax, 11, 2.1, data["z_grad"], "#f0a030")
    for i in range(ROWS):
        arrow(ax, (14.1, 1.6 - i), (16.4, 2.5))
    grid(ax, 16.5, 3, [data["b_grad"]], "#f0a030")
    ax.text(15.4, 3.35, "backward: add the rows", ha="center", fontsize=14)
    for x, y, label in ((1.5, 1.55, "b"), (7, -0.55, "b broadcast to (2, 3)"), (12.5, -0.55, "Z̄"), (18, 1.55, "b̄")):
        ax.text(x, y, label, ha="center", va="center", fontsize=15, color="#cccccc")
    ax.set_xlim(-0.2, 19.7)
    ax.set_ylim(-0.9, 3.8)
    ax.set_aspect("equal")
    ax.axis("off")
    save(fig, outdir, "broadcast_sum")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
