"""Seven ops' Jacobians, each as a heat map beside its transpose: the matrix that backward applies.

Every J is computed by autodiff.jacobian (reverse mode, checked against forward mode), and each
Jᵀ is checked against its partner: the Jacobian of broadcast for sum and of sum for broadcast, of
the transpose back, of Z̄ ↦ Z̄ Yᵀ for X ↦ X Y, a scatter-add written in NumPy for the gather, or J
itself where J is symmetric.
Run: python tools/pictures/jacobian_gallery.py <outdir>  ->  jacobian_gallery.svg (all seven),
one picture per kind of Jacobian for deck 03 (jacobian_diagonal, _broadcast_sum, _moves, _matmul,
_softmax .svg), and jacobian_gallery.json (every matrix drawn).
"""

import json
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

import autodiff
import autodiff.functional as F
from autodiff import Tensor
from _style import figure, save

Y = np.arange(1.0, 7.0).reshape(3, 2)  # the fixed right factor of X ↦ X Y
INDEX = [0, 0, 2]
CELL = 0.3  # inches per matrix entry, the same in every picture
GAP, SPACE, LABEL = 0.7, 0.8, 0.36  # inches: between J and Jᵀ, between pairs, for a row of labels
TITLE, SUB, VALUE = 15, 14, 12  # font sizes in points: 20, 18.7 and 16 px where a slide shows a picture at its own size
POSITIVE, NEGATIVE, ZERO = to_rgb("#f0a030"), to_rgb("#4f9fe0"), to_rgb("#2b2d33")


def matrix(f: Callable[[Tensor], Tensor], x: np.ndarray) -> np.ndarray:
    """f's Jacobian at x as a matrix (rows: outputs, columns: inputs), by both of the package's modes."""
    rev, fwd = autodiff.jacobian(f, x, mode="rev"), autodiff.jacobian(f, x, mode="fwd")
    assert np.allclose(rev, fwd)
    return rev.reshape(-1, x.size)


def scatter_add(n: int) -> np.ndarray:
    """The matrix of z̄ ↦ zeros(n) with z̄ added at INDEX, in NumPy: column k scatters the unit vector e_k."""
    out = np.zeros((n, len(INDEX)))
    for k in range(len(INDEX)):
        np.add.at(out[:, k], INDEX, np.eye(len(INDEX))[k])
    return out


def symmetric(jac: np.ndarray) -> np.ndarray:
    """The partner of a symmetric J is J itself."""
    return jac


# name: (what J is, what Jᵀ is, f, the primal, Jᵀ computed another way from J: the partner op's Jacobian)
CASES: dict[str, tuple[str, str, Callable[[Tensor], Tensor], np.ndarray, Callable[[np.ndarray], np.ndarray]]] = {
    "tanh": ("tanh(x)", "itself: diagonal", lambda x: x.tanh(), np.array([-1.5, -0.5, 0.3, 1.2]), symmetric),
    "sum": ("sum over rows of X (2×3)", "broadcast to rows", lambda x: x.sum(axis=0), np.zeros((2, 3)),
            lambda _: matrix(lambda g: g.broadcast_to((2, 3)), np.zeros(3))),
    "broadcast": ("broadcast b (3) to 2 rows", "sum over rows", lambda x: x.broadcast_to((2, 3)), np.zeros(3),
                  lambda _: matrix(lambda g: g.sum(axis=0), np.zeros((2, 3)))),
    "index": (f"gather x[{INDEX}]", "scatter-add: x̄₀ = z̄₀ + z̄₁", lambda x: x[INDEX], np.zeros(3), lambda _: scatter_add(3)),
    "transpose": ("transpose X (2×3)", "transpose back", lambda x: x.T, np.zeros((2, 3)),
                  lambda _: matrix(lambda g: g.T, np.zeros((3, 2)))),
    "softmax": ("softmax(x)", "itself: symmetric", lambda x: F.softmax(x), np.array([0.5, 1.0, 0.0, 0.2]), symmetric),
    "matmul": ("X ↦ XY: I₂ ⊗ Yᵀ", "Z̄ ↦ Z̄Yᵀ: I₂ ⊗ Y", lambda x: x @ Y, np.zeros((2, 3)),
               lambda _: matrix(lambda g: g @ Y.T, np.zeros((2, 2)))),
}
# The pictures: file name -> rows of cases, each case a pair of maps, left to right.
PICTURES = {
    "jacobian_gallery": [["tanh", "softmax", "index"], ["sum", "broadcast"], ["transpose", "matmul"]],
    "jacobian_diagonal": [["tanh"]],
    "jacobian_broadcast_sum": [["broadcast"]],
    "jacobian_moves": [["index", "transpose"]],
    "jacobian_matmul": [["matmul"]],
    "jacobian_softmax": [["softmax"]],
}
VALUES_SHOWN = {"tanh", "matmul"}  # the values fit their cells; elsewhere the colour says it (0, 1, or a sign)


def jacobians() -> dict[str, dict]:
    """Every case's J, with a check that its transpose is the partner's Jacobian."""
    data = {}
    for name, (what, partner, f, x, transpose) in CASES.items():
        jac = matrix(f, x)
        assert np.allclose(jac.T, transpose(jac)), f"{name}: Jᵀ is not the Jacobian of {partner}"
        if name == "matmul":  # rows of Z = rows of X times Y: one block Yᵀ per row, block diagonal
            assert np.allclose(jac, np.kron(np.eye(2), Y.T)), "matmul: J is not I₂ ⊗ Yᵀ"
        data[name] = {"J": what, "J_T": partner, "shape": list(jac.shape), "matrix": np.round(jac, 4).tolist()}
    return data


def heat_map(ax: Axes, m: np.ndarray, x0: float, y0: float, values: bool) -> None:
    """m drawn with its top-left corner at (x0, y0): orange > 0, blue < 0, dark grey = 0."""
    scale = np.abs(m).max() or 1.0
    for (i, j), v in np.ndenumerate(m):
        tone = POSITIVE if v > 0 else NEGATIVE
        t = abs(v) / scale
        colour = tuple(z + t * (c - z) for c, z in zip(tone, ZERO))
        ax.add_patch(Rectangle((x0 + j * CELL, y0 - (i + 1) * CELL), CELL, CELL, facecolor=colour, edgecolor="#777777", lw=0.6))
        if values and v != 0:
            text = f"{v:g}" if float(v).is_integer() else f"{v:.2f}".lstrip("0")  # 3, .79: short enough for a cell
            ax.text(x0 + (j + 0.5) * CELL, y0 - (i + 0.5) * CELL, text,
                    ha="center", va="center", fontsize=VALUE, color="black" if t > 0.55 else "white")


def text_width(text: str, points: float) -> float:
    """About how many inches a line of text takes (DejaVu Sans averages 0.58 em a character)."""
    return sum(not unicodedata.combining(c) for c in text) * 0.58 * points / 72


def pair(ax: Axes, case: dict, x0: float, top: float, rows: int) -> float:
    """J and Jᵀ side by side from (x0, top), centred on a band `rows` cells high; returns the width used."""
    m = np.array(case["matrix"])
    band = rows * CELL
    x = x0
    for k, (mat, title, sub) in enumerate(((m, "J", case["J"]), (m.T, "Jᵀ", case["J_T"]))):
        width = max(mat.shape[1] * CELL, text_width(sub, SUB))
        left = x + (width - mat.shape[1] * CELL) / 2
        heat_map(ax, mat, left, top - LABEL - (band - mat.shape[0] * CELL) / 2, case["values"])
        ax.text(x + width / 2, top - LABEL / 2, f"{title}  {mat.shape[0]}×{mat.shape[1]}", ha="center", va="center", fontsize=TITLE)
        ax.text(x + width / 2, top - LABEL - band - LABEL / 2, sub, ha="center", va="center", fontsize=SUB, color="#cccccc")
        x += width
        if k == 0:
            ax.text(x + GAP / 2, top - LABEL - band / 2, "⟶", ha="center", va="center", fontsize=22, color="#cccccc")
            x += GAP
    return x - x0


def draw(outdir: Path, name: str, data: dict[str, dict]) -> None:
    """One picture: its rows of pairs, every entry CELL inches wide, so all pictures share one scale."""
    grid = [[dict(data[c], values=c in VALUES_SHOWN) for c in row] for row in PICTURES[name]]
    bands = [max(max(c["shape"]) for c in row) for row in grid]
    heights = [b * CELL + 2 * LABEL for b in bands]
    fig, ax = figure(name, (1, 1))
    top, width = sum(heights), 0.0
    for row, band, height in zip(grid, bands, heights):
        x = 0.0
        for case in row:
            x += pair(ax, case, x, top, band) + SPACE
        width = max(width, x - SPACE)
        top -= height
    fig.set_size_inches(width + 0.3, sum(heights) + 0.2)
    ax.set_xlim(-0.15, width + 0.15)
    ax.set_ylim(-0.1, sum(heights) + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    save(fig, outdir, name)


def main(outdir: Path) -> None:
    data = jacobians()
    (outdir / "jacobian_gallery.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    for name in PICTURES:
        draw(outdir, name, data)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
