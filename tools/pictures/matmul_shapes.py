"""The shapes that decide matmul's VJP: X̄ = Z̄ Yᵀ and Ȳ = Xᵀ Z̄, drawn as rectangles to scale.

Run: python tools/pictures/matmul_shapes.py <outdir>  ->  matmul_shapes.svg and .json
"""

import json
import sys
from pathlib import Path

from matplotlib.patches import Rectangle
from _style import figure, save

N, K, M = 4, 3, 2  # Z = X @ Y with X: N×K, Y: K×M, so Z̄: N×M
COLOUR = {"X": "#2f6ea8", "Y": "#08a684", "Z": "#f0a030"}
# Each row of the picture: (label, rows, cols, colour key) for result = left @ right.
ROWS = [
    [("X̄", N, K, "X"), ("Z̄", N, M, "Z"), ("Yᵀ", M, K, "Y")],
    [("Ȳ", K, M, "Y"), ("Xᵀ", K, N, "X"), ("Z̄", N, M, "Z")],
]


def main(outdir: Path) -> None:
    data = {"n": N, "k": K, "m": M, "rows": [[{"name": a, "shape": [r, c]} for a, r, c, _ in row] for row in ROWS]}
    (outdir / "matmul_shapes.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    fig, ax = figure("matmul_shapes", (12, 3.2))
    height = max(r for row in ROWS for _, r, _, _ in row)
    x = 0.0
    for row in ROWS:
        for i, (name, r, c, key) in enumerate(row):
            y = (height - r) / 2
            ax.add_patch(Rectangle((x, y), c, r, facecolor=COLOUR[key], edgecolor="white", alpha=0.85))
            ax.text(x + c / 2, y + r / 2, name, ha="center", va="center", fontsize=22, color="white", weight="bold")
            ax.text(x + c / 2, y - 0.4, f"{r}×{c}", ha="center", va="center", fontsize=14, color="#cccccc")
            x += c + 0.25
            if i < 2:
                ax.text(x + 0.35, height / 2, "=" if i == 0 else "·", ha="center", va="center", fontsize=28)
                x += 0.95
        x += 1.6
    ax.set_xlim(-0.2, x - 1.6)
    ax.set_ylim(-0.9, height + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    save(fig, outdir, "matmul_shapes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
