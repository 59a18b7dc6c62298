"""The cost of J = J₃ J₂ J₁ for a scalar loss, as rectangles to scale: what each mode multiplies, step by step.

x ∈ Rⁿ → h₁ ∈ Rᵖ → h₂ ∈ R^q → L ∈ R, so J₁ is p×n, J₂ is q×p, J₃ is 1×q. Reverse mode starts from L̄ = 1 and
carries a row vector through the chain (vector × matrix); forward mode, to get the whole gradient, carries n
tangents at once, an n-column block (matrix × matrix). The multiply-adds of each step are counted from the
shapes and written to the .json; forward mode's total is exactly n times reverse mode's.
Run: python tools/pictures/chain_cost.py <outdir>  ->  chain_cost.svg and .json
"""

import json
import sys
from pathlib import Path

from matplotlib.patches import Rectangle

from _style import figure, save

DIMS = {"n": 5, "p": 3, "q": 2}  # drawn sizes; n, the inputs (the weights), is the large one
GREY, REVERSE, FORWARD = "#5a5d66", "#08a684", "#f0a030"
# Each step: (left operand, right operand, result), an operand being (label, rows, cols, carried?).
ROW, COL = {"1": 1, **DIMS}, {"1": 1, **DIMS}
REVERSE_STEPS = [
    ((r"$\bar L$", "1", "1", True), ("J₃", "1", "q", False), ("", "1", "q", True)),
    (("", "1", "q", True), ("J₂", "q", "p", False), ("", "1", "p", True)),
    (("", "1", "p", True), ("J₁", "p", "n", False), (r"$\nabla L$", "1", "n", True)),
]
FORWARD_STEPS = [
    (("J₁", "p", "n", False), ("Iₙ", "n", "n", True), ("", "p", "n", True)),
    (("J₂", "q", "p", False), ("", "p", "n", True), ("", "q", "n", True)),
    (("J₃", "1", "q", False), ("", "q", "n", True), (r"$\nabla L$", "1", "n", True)),
]


def multiply_adds(steps: list) -> list[int]:
    """rows(left) × cols(left) × cols(right) for each product."""
    return [ROW[a[1]] * COL[a[2]] * COL[b[2]] for a, b, _ in steps]


def operand(ax, x: float, y: float, op: tuple, colour: str) -> float:
    """Draw one operand centred on height y from x; return the x where it ends."""
    label, r, c, carried = op
    rows, cols = ROW[r], COL[c]
    ax.add_patch(Rectangle((x, y - rows / 2), cols, rows, facecolor=colour if carried else GREY,
                           edgecolor="white", linewidth=1, alpha=0.9))
    if label:
        ax.text(x + cols / 2, y, label, ha="center", va="center", fontsize=19, color="white", weight="bold")
    ax.text(x + cols / 2, y + rows / 2 + 0.2, f"{r}×{c}", ha="center", va="top", fontsize=18, color="#dddddd")
    return x + cols


def panel(ax, x0: float, steps: list, ys: list[float], colour: str, title: str, cost: str) -> None:
    ax.text(x0, -1.3, title, fontsize=23, color=colour, weight="bold", va="center")
    for (a, b, out), y in zip(steps, ys):
        x = operand(ax, x0, y, a, colour)
        ax.text(x + 0.7, y, "·", ha="center", va="center", fontsize=26)
        x = operand(ax, x + 1.4, y, b, colour)
        ax.text(x + 0.7, y, "=", ha="center", va="center", fontsize=22)
        operand(ax, x + 1.4, y, out, colour)
    ax.text(x0, ys[-1] + 3.5, cost, fontsize=22, color=colour, va="center")


def main(outdir: Path) -> None:
    rev, fwd = multiply_adds(REVERSE_STEPS), multiply_adds(FORWARD_STEPS)
    assert sum(fwd) == DIMS["n"] * sum(rev)
    data = {"dims": DIMS, "reverse_multiply_adds": rev, "forward_multiply_adds": fwd,
            "reverse_total": sum(rev), "forward_total": sum(fwd)}
    (outdir / "chain_cost.json").write_text(json.dumps(data, indent=1) + "\n")

    heights = [max(ROW[op[1]] for step in (r, f) for op in step) for r, f in zip(REVERSE_STEPS, FORWARD_STEPS)]
    ys, y = [], 0.0
    for h in heights:
        ys.append(y + h / 2)
        y += h + 1.7
    left, right, top, bottom = -0.3, 36.5, -2.2, ys[-1] + 5.8
    fig, ax = figure("chain_cost", (13, 13 * (bottom - top) / (right - left)))  # the drawing's own aspect: no margins
    panel(ax, 0, REVERSE_STEPS, ys, REVERSE, "reverse: a row vector",
          f"q + qp + pn = {sum(rev)} multiply-adds")
    panel(ax, 18.5, FORWARD_STEPS, ys, FORWARD, "forward: n columns at once",
          f"n × (pn + qp + q) = {sum(fwd)}")
    dims = ", ".join(f"{k} = {v}" for k, v in DIMS.items())
    ax.text(18.2, ys[-1] + 5.2, f"drawn to scale with {dims}", fontsize=18, color="#bbbbbb", ha="center", va="center")
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")
    save(fig, outdir, "chain_cost")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
