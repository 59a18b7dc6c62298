"""Error of finite differences against the step h: truncation falls with h, round-off grows as h shrinks.

Run: python tools/pictures/finite_differences.py <outdir>  ->  finite_differences.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np
from _style import figure, save

X = 1.0  # d/dx x³ at x = 1 is 3


def f(x: np.ndarray) -> np.ndarray:
    """x³ with + and * only: IEEE arithmetic gives the same bits on every machine (np.exp need not)."""
    return x * x * x


def errors() -> dict[str, list[float]]:
    h = np.array(sorted((float(f"{m}e-{k}") for k in range(1, 17) for m in (1, 3)), reverse=True))  # parsed, not pow()
    exact = 3 * X * X
    forward = (f(X + h) - f(X)) / h
    central = (f(X + h) - f(X - h)) / (2 * h)
    sig3 = lambda v: [float(f"{e:.3g}") for e in v]  # noqa: E731  (3 significant digits keep the file stable)
    return {"h": sig3(h), "forward": sig3(abs(forward - exact)), "central": sig3(abs(central - exact))}


def main(outdir: Path) -> None:
    data = {"f": "x**3", "x": X, "dtype": "float64", **errors()}
    (outdir / "finite_differences.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, ax = figure("finite_differences", (8, 4.5))
    h = np.array(data["h"])
    floor = np.full_like(h, 1e-17)  # a zero error would vanish from a log plot
    ax.loglog(h, np.maximum(data["forward"], floor), "o-", color="#f0a030", label=r"forward $\frac{f(x+h)-f(x)}{h}$")
    ax.loglog(h, np.maximum(data["central"], floor), "s-", color="#08a684", label=r"central $\frac{f(x+h)-f(x-h)}{2h}$")
    ax.loglog(h, 3 * h, ":", color="#888888", label=r"truncation $\sim h$")
    ax.loglog(h, 2.2e-16 / h, "--", color="#a83232", label=r"round-off $\sim \epsilon / h$")
    ax.set_xlabel("step $h$", fontsize=14)
    ax.set_ylabel(r"|error| of $\frac{d}{dx}x^3$ at $x=1$", fontsize=14)
    ax.set_ylim(1e-13, 10)
    ax.invert_xaxis()
    ax.legend(fontsize=11, framealpha=0.3, loc="lower left")
    save(fig, outdir, "finite_differences")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
