"""Where a small op's time goes: workload B's µs per op, split into NumPy, the interface and the engine.

Run: python tools/pictures/op_cost.py <outdir>  ->  op_cost.svg and .json, from bench/results.json.
NumPy by hand, the floor (bench/floor.py) and autodiff make the same NumPy calls, so the floor's
extra over NumPy is what PyTorch's Function interface costs in Python, and autodiff's extra over
the floor is its engine. PyTorch, when it was measured, is one bar: its engine is C++.
"""

import json
import sys
from pathlib import Path

from _style import figure, points, save
from matplotlib.patches import Patch

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"
SHOWN_WIDTH = 1100  # px: the slide shows this picture `![w:1100]`
FIGSIZE = (12.0, 3.7)  # inches
PX = {"label": 20, "value": 18, "axis": 18, "caption": 16}  # font sizes at slide size
PARTS = {  # segment: (colour, what it is)
    "numpy": ("#6a6a70", "NumPy's calls"),
    "interface": ("#9a7ae0", "Function interface in Python"),
    "engine": ("#f0a030", "autodiff's engine"),
    "torch": ("#4c8ee8", "PyTorch (C++ engine)"),
}


def source(results: dict) -> dict:
    """Per bar, its segments in µs per op (rounded to 0.01), from workload B's rows."""
    us = {r["lib"]: r["us_per_op"] for r in results["rows"] if r["workload"] == "B" and "us_per_op" in r}
    missing = {"numpy", "floor", "autodiff"} - set(us)
    if missing:
        raise SystemExit(f"{RESULTS}: workload B has no time for {sorted(missing)}: run `make bench`")
    numpy, interface, engine = us["numpy"], us["floor"] - us["numpy"], us["autodiff"] - us["floor"]
    bars = [
        {"label": "NumPy by hand", "numpy": numpy},
        {"label": "floor", "numpy": numpy, "interface": interface},
        {"label": "autodiff", "numpy": numpy, "interface": interface, "engine": engine},
    ]
    if "torch" in us:
        bars.append({"label": "PyTorch", "torch": us["torch"]})
    bars = [{k: round(v, 2) if isinstance(v, float) else v for k, v in bar.items()} for bar in bars]
    env = results["environment"]
    caption = f"{env['cpu']}, {env['threads']} thread, Python {env['python']}, NumPy {env['numpy']}; CPU time, medians"
    return {"caption": caption, "bars": bars}


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    data = source(json.loads(RESULTS.read_text()))
    (outdir / "op_cost.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    size = {k: points(px, FIGSIZE[0], SHOWN_WIDTH) for k, px in PX.items()}
    fig, ax = figure("op_cost", FIGSIZE)
    bars = data["bars"]
    for y, bar in enumerate(bars):
        left = 0.0
        for part, (colour, _) in PARTS.items():
            width = bar.get(part)
            if width is None:
                continue
            ax.barh(y, width, left=left, color=colour, height=0.62)
            if width >= 0.4:
                ax.text(left + width / 2, y, f"{width:.1f}", ha="center", va="center", fontsize=size["value"], color="white")
            left += width
        ax.text(left + 0.08, y, f"{left:.1f} µs", va="center", fontsize=size["value"],
                fontweight="bold" if bar["label"] == "autodiff" else "normal")
    ax.set_yticks(range(len(bars)), [b["label"] for b in bars], fontsize=size["label"])
    ax.invert_yaxis()
    ax.set_xlim(0, max(sum(v for k, v in b.items() if k != "label") for b in bars) * 1.15)
    ax.set_xlabel("µs per op, forward + backward (a chain of 1,000 ops on 10 numbers)", fontsize=size["axis"])
    ax.tick_params(axis="x", labelsize=size["caption"])
    line = 1.5 / (SHOWN_WIDTH * FIGSIZE[1] / FIGSIZE[0])  # a line of 1 px type, as a fraction of the height
    fig.text(0.5, 0.0, data["caption"], ha="center", va="bottom", fontsize=size["caption"], color="#9a9aa0")
    ax.grid(axis="x", alpha=0.15)
    ax.set_axisbelow(True)
    shown = [part for part in PARTS if any(part in bar for bar in bars)]
    ax.legend(handles=[Patch(color=PARTS[p][0], label=PARTS[p][1]) for p in shown], loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=len(shown), fontsize=size["value"], frameon=False)
    save(fig, outdir, "op_cost", rect=(0, line * PX["caption"], 1, 1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
