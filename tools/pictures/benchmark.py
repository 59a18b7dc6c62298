"""How fast is it: each library's time as a multiple of NumPy by hand, per workload, from bench/results.json.

Run: python tools/pictures/benchmark.py <outdir>  ->  benchmark.svg and .json
(bench/results.json comes from `python bench/bench.py`; this script only draws it.)
"""

import json
import sys
from pathlib import Path

from _style import figure, save

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"
TITLES = {
    "A f64": "A  MLP step 784-256-10\nfloat64",
    "A f32": "A  MLP step 784-256-10\nfloat32",
    "B": "B  1,000 small ops\n(per op)",
    "C": "C  a chain 10⁵-10⁶ deep\n(per op)",
    "D": "D  tiny MLP 2-16-16-1\n(the live demo)",
}
COLOURS = {"autodiff": "#f0a030", "numpy": "#6a6a70"}


def significant(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}")


def why(note: str) -> str:
    """A bar's missing value in two words: the exception's name, or what the note says first."""
    kind = note.split(":")[0]
    return {"NotImplementedError": "n/a (no tanh, no softmax)"}.get(kind, kind)


def source(results: dict) -> dict:
    """The plotted numbers: per workload, each library's ratio to NumPy by hand (or why it has none)."""
    rows, env = results["rows"], results["environment"]
    goals = {g["goal"]: g for g in results["goals"]}
    measured = {(r["workload"], r["lib"]) for r in rows}
    # a library with a row in every panel (the floor runs only the chain: op_cost.py draws it)
    libs = [lib for lib in dict.fromkeys(r["lib"] for r in rows) if all((w, lib) in measured for w in TITLES)]
    panels = []
    for name, title in TITLES.items():
        cells = {r["lib"]: r for r in rows if r["workload"] == name}
        numpy_us = cells["numpy"]["us_per_op"]
        goal = goals[name]["limit"]
        goal_ratio = goal / numpy_us if name == "B" else None if name == "C" else goal
        bars = []
        for lib in libs:
            r = cells.get(lib, {"note": "not run"})
            bar = {"lib": lib, "ratio": significant(r["ratio"])} if "ratio" in r else {"lib": lib, "note": why(r["note"])}
            if name == "C" and "kb_per_op" in r:
                bar.update(depth=r["depth"], kb_per_op=significant(r["kb_per_op"], 2))
            bars.append(bar)
        panels.append({"workload": name, "title": title, "goal_ratio": goal_ratio and significant(goal_ratio), "bars": bars})
    blas = ", ".join(f"{b['internal_api']} {b['version']}" for b in env["blas"])
    caption = f"{env['cpu']}, {env['threads']} thread, NumPy {env['numpy']} ({blas}); CPU time, medians of per-round ratios"
    return {"caption": caption, "panels": panels}


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    data = source(json.loads(RESULTS.read_text()))
    (outdir / "benchmark.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    panels = data["panels"]
    fig, axes = figure("benchmark", (15, 5.6), ncols=len(panels), sharey=True)
    libs = [b["lib"] for b in panels[0]["bars"]]
    for ax, panel in zip(axes, panels):
        ratios = [b.get("ratio") for b in panel["bars"]]
        shown = [r for r in ratios if r is not None]
        top, bottom = max(shown) * 12, min(0.3, min(shown) / 3)
        for y, (bar, ratio) in enumerate(zip(panel["bars"], ratios)):
            if ratio is None:
                ax.text(bottom * 1.2, y, bar["note"], va="center", fontsize=9, color="#9a9aa0", style="italic")
                continue
            ax.barh(y, ratio, color=COLOURS.get(bar["lib"], "#4c8ee8"), height=0.7)
            label = f"{ratio:g}×" + (f"  {bar['kb_per_op']:g} KB" if "kb_per_op" in bar else "")
            ax.text(ratio * 1.15, y, label, va="center", fontsize=10,
                    fontweight="bold" if bar["lib"] == "autodiff" else "normal")
        if panel["goal_ratio"]:
            ax.axvline(panel["goal_ratio"], color="#f0a030", linestyle="--", linewidth=1.2)
        ax.set_xscale("log")
        ax.set_xlim(bottom, top)
        ax.set_title(panel["title"], fontsize=12)
        ax.tick_params(axis="x", labelsize=9)
        ax.grid(axis="x", alpha=0.15)
    axes[0].set_yticks(range(len(libs)), libs, fontsize=12)
    axes[0].invert_yaxis()
    fig.supxlabel("time as a multiple of NumPy by hand in the same run (log scale; dashed line: the goal)\n"
                  + data["caption"], fontsize=11)
    save(fig, outdir, "benchmark")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
