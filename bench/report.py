"""The benchmark's record as text: its full table, the goals of issue 5, and the README's summary.

bench/bench.py measures and calls these; tools/bench_table.py writes the summary into README.md
from bench/results.json (and its test checks it), so the README cannot drift from the results.
"""

from __future__ import annotations

from typing import Any

GOALS = {"A f64": 1.05, "A f32": 1.05, "B": 2.5, "C": 0.8, "D": 1.8}
WORKLOADS = list(GOALS)
Row = dict[str, Any]


def fmt_row(r: Row) -> list[str]:
    if "seconds" not in r:
        return [r["workload"], r["lib"], "-", "-", "-", "-", "-", r.get("note", "")]
    value = f"{r['us_per_op']:.2f} µs/op" if r["workload"] in ("B", "C") else f"{r['seconds'] * 1e3:.3f} ms"
    extra = (f"{r['kb_per_op']:.3f} KB/op, depth {r['depth']:,}" if r["workload"] == "C"
             else f"{r['faults_per_step']:.0f} page faults/step" if "faults_per_step" in r else "")
    diff = f"{r['max_abs_grad_diff']:.1e}" if "max_abs_grad_diff" in r else "-"
    spread = "{:.2f}–{:.2f}".format(*r["ratio_iqr"]) if "ratio_iqr" in r else "-"
    return [r["workload"], r["lib"], value, f"{r['ratio']:.2f}", spread, diff, extra, r.get("note", "")]


def table(rows: list[Row]) -> str:
    head = ["workload", "library", "median", "× NumPy", "middle half", "max Δgrad", "memory", "note"]
    lines = [head] + [fmt_row(r) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |" for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def goals(rows: list[Row]) -> list[Row]:
    """autodiff against each of issue 5's goals."""
    ours = {r["workload"]: r for r in rows if r["lib"] == "autodiff"}
    torch_c = next((r for r in rows if r["workload"] == "C" and r["lib"] == "torch" and "us_per_op" in r), None)
    floor_b = next((r for r in rows if r["workload"] == "B" and r["lib"] == "floor" and "us_per_op" in r), None)
    out = []
    for key, limit in GOALS.items():
        r = ours.get(key, {})
        value = r.get("us_per_op") if key == "B" else r.get("kb_per_op") if key == "C" else r.get("ratio")
        unit = "µs/op" if key == "B" else "KB/op" if key == "C" else "× NumPy"
        ok = value is not None and value <= limit
        goal = {"goal": key, "limit": limit, "unit": unit, "value": value, "met": ok}
        if key == "C" and value is not None and torch_c:  # and no slower than PyTorch per op
            goal.update(us_per_op=r["us_per_op"], torch_us_per_op=torch_c["us_per_op"])
            goal["met"] = ok and r["us_per_op"] <= torch_c["us_per_op"]
        if key == "B" and floor_b:  # what PyTorch's Function interface alone costs, in the same run
            goal["floor_us_per_op"] = floor_b["us_per_op"]
        out.append(goal)
    return out


def goal_line(g: Row) -> str:
    if g["value"] is None:
        return f"- {g['goal']}: not measured (goal ≤ {g['limit']} {g['unit']})"
    line = f"- {g['goal']}: {g['value']:.3f} {g['unit']} (goal ≤ {g['limit']})"
    if "torch_us_per_op" in g:
        line += f", {g['us_per_op']:.2f} µs/op (goal ≤ PyTorch's {g['torch_us_per_op']:.2f})"
    if "floor_us_per_op" in g:
        line += f" (the floor, bench/floor.py: {g['floor_us_per_op']:.3f})"
    return f"{line}: {'met' if g['met'] else 'NOT met'}"




def markdown(env: dict[str, Any], text: str, goal_lines: str) -> str:
    return (f"# Benchmark results\n\nWritten by `python bench/bench.py`. {setting(env)}\n"
            f"Times are medians of CPU time; × NumPy is the median of per-round ratios to the same computation "
            f"written by hand in NumPy, in the same run, and \"middle half\" their quartiles (C: ratio of medians "
            f"of three runs).\n\n"
            f"{text}\n\nautodiff against the goals of issue 5:\n\n{goal_lines}\n")


def setting(env: dict[str, Any]) -> str:
    """Machine, threads and versions of a run, in one sentence."""
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, {b['filepath']})" for b in env["blas"])
    peers = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    return (f"{env['cpu']} ({env['cores']} cores), {env['threads']} thread(s) for every library; Python {env['python']}, "
            f"NumPy {env['numpy']}, BLAS {blas}; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for the run. "
            f"Versions: {peers}.")


def summary(rows: list[Row]) -> str:
    """The README's table: a line per library, a column per workload (× NumPy, or per op for B and C)."""
    cells = {(r["workload"], r["lib"]): r for r in rows if "seconds" in r}

    def cell(workload: str, lib: str) -> str:
        r = cells.get((workload, lib))
        if r is None:
            return "—"
        if workload == "B":
            return f"{r['us_per_op']:.1f} µs"
        if workload == "C":
            return f"{r['us_per_op']:.1f} µs, {r['kb_per_op']:.2f} KB, {r['depth']:,}"
        if "faults_per_step" in r:
            return f"{r['ratio']:.2f} ({r['faults_per_step']:.0f} faults)"
        return f"{r['ratio']:.2f}"

    lines = ["| library | A f64 (page faults/step) | A f32 | B (µs/op) | C (µs/op, KB/op, depth) | D |",
             "|---|---|---|---|---|---|"]
    for lib in dict.fromkeys([r["lib"] for r in rows if r["workload"] == "B"] + [r["lib"] for r in rows]):  # B has all
        lines.append(f"| {lib} | " + " | ".join(cell(w, lib) for w in WORKLOADS) + " |")
    return "\n".join(lines)


def readme_block(result: dict[str, Any]) -> str:
    """What README.md shows between its bench markers, from bench/results.json."""
    goal_lines = "\n".join(goal_line(g) for g in result["goals"])
    return (f"{summary(result['rows'])}\n\nThe latest run: {setting(result['environment'])}\n\n"
            f"autodiff against the goals of the benchmark issue, in this run:\n\n{goal_lines}")
