"""How fast is it: big tensors cost an engine nothing, tiny ops cost it microseconds each.

Run: python tools/pictures/benchmark.py <outdir>  ->  benchmark.svg and .json
(bench/results.json comes from `python bench/bench.py`; this script only draws it.)

One message for the slide: two workloads (PANELS), each library's time as a multiple of NumPy by
hand in the same run, on one shared log axis, so A's bars cluster at 1 and B's spread. The rows are
the libraries in LIBRARIES that the results have; any other library in the results is left out
(bench/results.md and the README's table have them all), so a new row in the results joins the
chart by one line here. Font sizes are given in pixels as the slide shows the chart, SHOWN_WIDTH
wide, and converted to points from the figure's width.
"""

import json
import sys
from pathlib import Path

from _style import figure, points, save

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"
REFERENCE = "numpy"  # every ratio is to this library's time in the same run: NumPy by hand, no engine
PANELS = {  # workload in results.json: its title on the chart
    "A f64": "A · big tensors: one MLP training step\n256×784 → 256 → 10, float64",
    "B": "B · tiny tensors: 1,000 ops on 10 numbers\nper op, forward + backward",
}
LIBRARIES = {  # library in results.json: its row's label and colour, top to bottom
    "autodiff": ("autodiff", "#f0a030"),
    "autodiff.compile": ("autodiff.compile", "#f0a030"),
    "torch": ("PyTorch", "#4c8ee8"),
    "autograd": ("HIPS autograd", "#4c8ee8"),
    "mygrad": ("MyGrad", "#4c8ee8"),
    "jax.jit": ("JAX, jit", "#08a684"),
}
OURS = ("autodiff", "autodiff.compile")  # their labels are bold
SHOWN_WIDTH = 1150  # px: the slide shows this picture `![w:1150]`
FIGSIZE = (12.0, 4.8)  # inches
PX = {"title": 20, "row": 20, "value": 18, "axis": 18, "tick": 16, "caption": 16}  # font sizes at slide size


def significant(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}")


def why(note: str) -> str:
    """A missing value in a word or two: the exception's name, or the note's first clause."""
    return note.split(":")[0]


def source(results: dict) -> dict:
    """The plotted numbers: per panel, each shown library's ratio to NumPy by hand (or why it has none)."""
    rows, env = results["rows"], results["environment"]
    cells = {(r["workload"], r["lib"]): r for r in rows}
    libs = [lib for lib in LIBRARIES if any((w, lib) in cells for w in PANELS)]
    panels = []
    for workload, title in PANELS.items():
        if (workload, REFERENCE) not in cells:
            raise SystemExit(f"{RESULTS}: workload {workload!r} has no {REFERENCE} row: run `make bench`")
        bars = []
        for lib in libs:
            r = cells.get((workload, lib), {"note": "not run"})
            bars.append({"lib": lib, "ratio": significant(r["ratio"])} if "ratio" in r else {"lib": lib, "note": why(r["note"])})
        panels.append({"workload": workload, "title": title, "bars": bars})
    blas = ", ".join(f"{b['internal_api']} {b['version']}" for b in env["blas"])
    caption = (f"{env['cpu']}, {env['threads']} thread, NumPy {env['numpy']} ({blas}); "
               "medians of per-round ratios; every library: bench/results.md")
    return {"caption": caption, "shown_width_px": SHOWN_WIDTH, "smallest_font_px": min(PX.values()), "panels": panels}


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    data = source(json.loads(RESULTS.read_text()))
    (outdir / "benchmark.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    size = {k: points(px, FIGSIZE[0], SHOWN_WIDTH) for k, px in PX.items()}

    panels = data["panels"]
    fig, axes = figure("benchmark", FIGSIZE, ncols=len(panels), sharey=True, sharex=True)
    ratios = [b["ratio"] for p in panels for b in p["bars"] if "ratio" in b]
    low, high = min(ratios + [1.0]) / 10, max(ratios + [1.0]) * 5
    ticks = [10.0**k for k in range(-3, 4) if low <= 10.0**k <= high]
    for ax, panel in zip(axes, panels):
        for y, bar in enumerate(panel["bars"]):
            weight = "bold" if bar["lib"] in OURS else "normal"
            if "ratio" not in bar:
                ax.text(1.15, y, bar["note"], va="center", fontsize=size["value"], color="#9a9aa0", style="italic")
                continue
            ratio = bar["ratio"]
            ax.barh(y, ratio - 1, left=1, color=LIBRARIES[bar["lib"]][1], height=0.66)  # from 1×, either way
            right = ratio >= 1
            ax.text(ratio * 1.12 if right else ratio / 1.12, y, f"{ratio:g}×", va="center", ha="left" if right else "right",
                    fontsize=size["value"], fontweight=weight)
        ax.axvline(1, color="#c8c8cc", linewidth=1.5)
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ax.set_xticks(ticks, [f"{t:g}×" for t in ticks], fontsize=size["tick"])
        ax.minorticks_off()
        ax.set_title(panel["title"], fontsize=size["title"], loc="left")
        ax.grid(axis="x", alpha=0.15)
        ax.set_axisbelow(True)
    axes[0].set_yticks(range(len(panels[0]["bars"])), [LIBRARIES[b["lib"]][0] for b in panels[0]["bars"]], fontsize=size["row"])
    for label, bar in zip(axes[0].get_yticklabels(), panels[0]["bars"]):
        label.set_fontweight("bold" if bar["lib"] in OURS else "normal")
    axes[0].invert_yaxis()
    line = 1.5 / (SHOWN_WIDTH * FIGSIZE[1] / FIGSIZE[0])  # a line of 1 px type, as a fraction of the height
    fig.text(0.5, 0.0, data["caption"], ha="center", va="bottom", fontsize=size["caption"], color="#9a9aa0")
    fig.text(0.5, line * PX["caption"], "time ÷ NumPy by hand, one call per op, in the same run (log scale)",
             ha="center", va="bottom", fontsize=size["axis"])
    save(fig, outdir, "benchmark", rect=(0, line * (PX["caption"] + PX["axis"]), 1, 1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
