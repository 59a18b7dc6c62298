"""The cost of the gradient of a scalar loss through J = J₃ J₂ J₁, as rectangles to scale: what each mode multiplies.

x ∈ Rⁿ → h₁ ∈ Rᵖ → h₂ ∈ R^q → L ∈ R, so J₁ is p×n, J₂ is q×p, J₃ is 1×q. Reverse mode starts from L̄ = 1 and
applies the transposes in reverse order, carrying one column: ∇L = J₁ᵀ(J₂ᵀ(J₃ᵀ·1)), a matrix times a vector at
each step. Forward mode, to get the whole gradient, pushes n tangents at once, the n columns of Iₙ, through J₁,
J₂, J₃ (a matrix times a matrix) and ends with J itself, the row ∇Lᵀ. The multiply-adds of each step are
counted from the shapes and written to the .json; forward mode's total is exactly n times reverse mode's.
Run: python tools/pictures/chain_cost.py <outdir>  ->  chain_cost.svg and .json
"""

import json
import sys
from pathlib import Path

from matplotlib.patches import Rectangle

from _style import figure, save

DIMS = {"n": 5, "p": 3, "q": 2}  # drawn sizes; n, the inputs (the weights), is the large one
GREY, REVERSE, FORWARD = "#5a5d66", "#08a684", "#f0a030"
SIZE = {"1": 1, **DIMS}
# Each step: (left operand, right operand, result), an operand being (label, rows, cols, carried?).
REVERSE_STEPS = [
    (("J₃ᵀ", "q", "1", False), (r"$\bar L$", "1", "1", True), ("", "q", "1", True)),
    (("J₂ᵀ", "p", "q", False), ("", "q", "1", True), ("", "p", "1", True)),
    (("J₁ᵀ", "n", "p", False), ("", "p", "1", True), (r"$\nabla L$", "n", "1", True)),
]
FORWARD_STEPS = [
    (("J₁", "p", "n", False), ("Iₙ", "n", "n", True), ("", "p", "n", True)),
    (("J₂", "q", "p", False), ("", "p", "n", True), ("", "q", "n", True)),
    (("J₃", "1", "q", False), ("", "q", "n", True), (r"$\nabla L^\top$", "1", "n", True)),
]


def multiply_adds(steps: list) -> list[int]:
    """rows(left) × cols(left) × cols(right) for each product."""
    return [SIZE[a[1]] * SIZE[a[2]] * SIZE[b[2]] for a, b, _ in steps]


def operand(ax, x: float, y: float, op: tuple, colour: str, result: bool = False) -> float:
    """Draw one operand centred on height y from x; return the x where it ends. A name too wide for its
    one-wide box goes above it, or beside it for a step's result (nothing is drawn to its right)."""
    label, r, c, carried = op
    rows, cols = SIZE[r], SIZE[c]
    ax.add_patch(Rectangle((x, y - rows / 2), cols, rows, facecolor=colour if carried else GREY,
                           edgecolor="white", linewidth=1, alpha=0.9))
    if label and min(rows, cols) > 1:
        ax.text(x + cols / 2, y, label, ha="center", va="center", fontsize=19, color="white", weight="bold")
    elif label and result:
        ax.text(x + cols + 0.3, y, label, ha="left", va="center", fontsize=19, color="white", weight="bold")
    elif label:
        ax.text(x + cols / 2, y - rows / 2 - 0.15, label, ha="center", va="bottom", fontsize=19, color="white",
                weight="bold")
    ax.text(x + cols / 2, y + rows / 2 + 0.2, f"{r}×{c}", ha="center", va="top", fontsize=19, color="#dddddd")
    return x + cols


def panel(ax, x0: float, steps: list, ys: list[float], colour: str, title: str, formula: str, cost: str) -> None:
    ax.text(x0, -2.2, title, fontsize=23, color=colour, weight="bold", va="center")
    ax.text(x0, -1.0, formula, fontsize=22, color=colour, va="center")
    for (a, b, out), y in zip(steps, ys):
        x = operand(ax, x0, y, a, colour)
        ax.text(x + 0.7, y, "·", ha="center", va="center", fontsize=26)
        x = operand(ax, x + 1.4, y, b, colour)
        ax.text(x + 0.7, y, "=", ha="center", va="center", fontsize=22)
        operand(ax, x + 1.4, y, out, colour, result=True)
    ax.text(x0, ys[-1] + 4.0, cost, fontsize=22, color=colour, va="center")


def main(outdir: Path) -> None:
    rev, fwd = multiply_adds(REVERSE_STEPS), multiply_adds(FORWARD_STEPS)
    assert sum(fwd) == DIMS["n"] * sum(rev)
    data = {"dims": DIMS, "reverse_multiply_adds": rev, "forward_multiply_adds": fwd,
            "reverse_total": sum(rev), "forward_total": sum(fwd)}
    (outdir / "chain_cost.json").write_text(json.dumps(data, indent=1) + "\n")

    heights = [max(SIZE[op[1]] for step in (r, f) for op in step) for r, f in zip(REVERSE_STEPS, FORWARD_STEPS)]
    ys, y = [], 0.6
    for h in heights:
        ys.append(y + h / 2)
        y += h + 1.6
    left, right, top, bottom = -0.3, 31.5, -3.0, ys[-1] + 5.8
    fig, ax = figure("chain_cost", (10, 10 * (bottom - top) / (right - left)))  # the drawing's own aspect: no margins
    panel(ax, 0, REVERSE_STEPS, ys, REVERSE, "reverse: 1 column",
          r"$\nabla L = J_1^\top (J_2^\top (J_3^\top \cdot 1))$", f"q + pq + np = {sum(rev)}")
    panel(ax, 12.5, FORWARD_STEPS, ys, FORWARD, "forward: n columns",
          r"$J = J_3 (J_2 (J_1 I_n))$", f"n × (pn + qp + q) = {sum(fwd)}")
    dims = ", ".join(f"{k} = {v}" for k, v in DIMS.items())
    ax.text(15.6, ys[-1] + 5.2, f"multiply-adds, drawn to scale with {dims}", fontsize=19, color="#bbbbbb", ha="center", va="center")
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")
    save(fig, outdir, "chain_cost")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
