"""tanh and its first four derivatives, each computed by differentiating the previous one: grad of grad.

Run: python tools/pictures/tanh_derivatives.py <outdir>  ->  tanh_derivatives.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np

import autodiff
from autodiff import as_tensor
from _style import figure, save

X = np.linspace(-4, 4, 401)
ORDERS = 4
COLOURS = ["#e8e8e8", "#f0a030", "#08a684", "#6fa8dc", "#c27ba0"]


def derivative(f):
    """x -> f'(x), elementwise: the gradient of Σ f(x), which grad differentiates again when nested."""
    return autodiff.grad(lambda x: f(x).sum())


def curves() -> list[np.ndarray]:
    f, found = (lambda x: as_tensor(x).tanh()), []
    for _ in range(ORDERS + 1):
        found.append(np.asarray(f(X)))
        f = derivative(f)
    return found


def main(outdir: Path) -> None:
    ys = curves()
    data = {"x": X[::40].round(2).tolist(), "orders": [y[::40].round(6).tolist() for y in ys]}
    (outdir / "tanh_derivatives.json").write_text(json.dumps(data, indent=1) + "\n")
    fig, ax = figure("tanh_derivatives", (7, 5.4))
    labels = ["tanh x", "1st", "2nd", "3rd", "4th"]
    for y, colour, label in zip(ys, COLOURS, labels):
        ax.plot(X, y, color=colour, linewidth=2.5, label=label)
    ax.set_xlabel("x", fontsize=20)
    ax.tick_params(labelsize=18)
    ax.set_ylim(-4.5, 4.5)
    # Above the plot, in one row: inside, it hid the curves left of x = -1.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, fontsize=18, frameon=False,
              handlelength=1.0, columnspacing=0.8, handletextpad=0.4, title="derivatives of tanh, by autodiff.grad",
              title_fontsize=18)
    save(fig, outdir, "tanh_derivatives")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
