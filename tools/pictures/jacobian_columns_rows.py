"""One Jacobian read out two ways: column by column with JVPs (forward mode), row by row with VJPs (reverse mode).

f(x) = tanh(W x): R⁶ → R³, the function of deck 02's adjoint-identity cell (same seed, same draws), so J is 3×6.
Every column is autodiff.jvp(f, x, e_j), every row autodiff.vjp(f, x) pulled back from e_i: the package draws
its own Jacobian, and the two read-outs are checked against each other and against autodiff.jacobian.
Run: python tools/pictures/jacobian_columns_rows.py <outdir>  ->  jacobian_columns_rows.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np
from matplotlib.patches import Rectangle

import autodiff
from _style import figure, save

M, N = 3, 6
FORWARD, REVERSE = "#f0a030", "#08a684"


def read_out() -> tuple[np.ndarray, np.ndarray]:
    """J by columns (N JVPs) and by rows (M VJPs)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((M, N))
    x = 0.3 * rng.standard_normal(N)
    f = lambda x: (w @ x).tanh()  # noqa: E731
    columns = np.stack([autodiff.jvp(f, (x,), (e,))[1] for e in np.eye(N)], axis=1)
    _, pullback = autodiff.vjp(f, x)
    rows = np.stack([pullback(e)[0] for e in np.eye(M)])
    assert np.allclose(columns, rows) and np.allclose(rows, autodiff.jacobian(f, x, mode="rev"))
    assert np.allclose(columns, autodiff.jacobian(f, x, mode="fwd"))
    return columns, rows


def main(outdir: Path) -> None:
    columns, rows = read_out()
    data = {"f": "tanh(W x), W = default_rng(0).standard_normal((3, 6)), x = 0.3 * the next 6 draws",
            "by_columns_jvp": columns.round(4).tolist(), "by_rows_vjp": rows.round(4).tolist()}
    (outdir / "jacobian_columns_rows.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, axes = figure("jacobian_columns_rows", (13, 4.4), ncols=2)
    limit = np.abs(columns).max()
    panels = [(columns, FORWARD, f"forward mode: {N} JVPs, one column each"),
              (rows, REVERSE, f"reverse mode: {M} VJPs, one row each")]
    for ax, (jac, colour, title) in zip(axes, panels):
        ax.imshow(jac, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.75)
        for (i, j), value in np.ndenumerate(jac):
            strong = abs(value) > 0.6 * limit
            ax.text(j, i, f"{value:.2f}".replace("-", "−"), ha="center", va="center", fontsize=17,
                    color="white" if strong else "black")
        ax.set_title(title, fontsize=21, color=colour, pad=12)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlim(-0.55, N + 0.9)
        ax.set_ylim(M + 0.45, -0.55)
        for spine in ax.spines.values():
            spine.set_visible(False)
    for j in range(N):  # each column is one JVP: J e_j
        axes[0].add_patch(Rectangle((j - 0.46, -0.46), 0.92, M - 0.08, fill=False, edgecolor=FORWARD, linewidth=3))
        axes[0].text(j, M - 0.2, f"$J e_{j + 1}$", ha="center", va="top", fontsize=20, color=FORWARD)
    for i in range(M):  # each row is one VJP: e_iᵀ J
        axes[1].add_patch(Rectangle((-0.46, i - 0.46), N - 0.08, 0.92, fill=False, edgecolor=REVERSE, linewidth=3))
        axes[1].text(N - 0.3, i, f"$e_{i + 1}^\\top J$", ha="left", va="center", fontsize=20, color=REVERSE)
    save(fig, outdir, "jacobian_columns_rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
