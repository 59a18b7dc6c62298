"""Error of finite differences against the step h: truncation falls with h, round-off grows as h shrinks.

Each method's best step is marked: the forward difference's lies near √u, the central difference's near
u^(1/3), u = 2⁻⁵³ being float64's unit round-off.
Run: python tools/pictures/finite_differences.py <outdir>  ->  finite_differences.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np
from _style import figure, save

X = 1.0  # d/dx x³ at x = 1 is 3
U = 2.0**-53  # float64's unit round-off
COLOUR = {"forward": "#f0a030", "central": "#08a684"}


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
    data = {"f": "x**3", "x": X, "dtype": "float64", "u": U, **errors()}
    data["best_h"] = {m: data["h"][int(np.argmin(data[m]))] for m in COLOUR}
    (outdir / "finite_differences.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, ax = figure("finite_differences", (6.6, 5.8))
    h = np.array(data["h"])
    floor = np.full_like(h, 1e-17)  # a zero error would vanish from a log plot
    ax.loglog(h, np.maximum(data["forward"], floor), "o-", color=COLOUR["forward"], label="forward difference")
    ax.loglog(h, np.maximum(data["central"], floor), "s-", color=COLOUR["central"], label="central difference")
    ax.loglog(h, 3 * h, ":", color=COLOUR["forward"], alpha=0.7)  # truncation (h/2)|f''| = 3h for x³ at 1
    ax.loglog(h, h * h, ":", color=COLOUR["central"], alpha=0.7)  # truncation (h²/6)|f'''| = h²
    ax.loglog(h, U / h, "--", color="#dddddd", label=r"round-off $\sim u/h$,  $u = 2^{-53}$")
    labels = {"forward": (r"$\sqrt{u}$", (48, -62), "center"), "central": (r"$u^{1/3}$", (-40, -62), "center")}
    for method, (rule, offset, side) in labels.items():
        best = data["best_h"][method]
        err = data[method][data["h"].index(best)]
        ax.plot(best, err, "*", color="white", markersize=16, zorder=5)
        ax.annotate(f"best $h$ = {best:.0e}\n≈ {rule}", (best, err), xytext=offset, textcoords="offset points",
                    ha=side, fontsize=15, color=COLOUR[method], zorder=6,
                    bbox={"boxstyle": "round", "facecolor": "#202228", "edgecolor": "none", "alpha": 0.9},
                    arrowprops={"arrowstyle": "-", "color": COLOUR[method]})
    ax.set_xlabel("step $h$ (shrinking →)", fontsize=16)
    ax.set_ylabel(r"|error| of $\frac{d}{dx}x^3$ at $x=1$", fontsize=16)
    ax.set_xticks([1e0, 1e-4, 1e-8, 1e-12, 1e-16])
    ax.set_yticks([1e3, 1e-1, 1e-5, 1e-9, 1e-13])
    ax.minorticks_off()
    ax.tick_params(labelsize=17)  # the exponents are set smaller: 17 keeps them above 16 px on the slide
    ax.set_ylim(1e-16, 1e5)
    ax.invert_xaxis()
    ax.legend(fontsize=15, framealpha=0.3, loc="upper center")
    save(fig, outdir, "finite_differences")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
