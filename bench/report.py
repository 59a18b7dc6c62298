"""The benchmark's record as text: its full table, the goals of issues 14, 18 and 19, and the README's summary.

bench/bench.py calls these with what bench/measure.py measured; tools/bench_table.py writes the summary
into README.md from bench/results.json (and its test checks it), so the README cannot drift from the results.
"""

from __future__ import annotations

from typing import Any, NamedTuple

WORKLOADS = ["A f64", "A f32", "B", "B scalars", "C", "D", "S"]
PER_OP = ("B", "B scalars", "C", "S")  # chains of tiny ops: a time per op says what an engine costs
Row = dict[str, Any]


class Goal(NamedTuple):
    """One goal: `lib`'s `measure` on `workload` is at most `limit` (per_torch: its µs/op over PyTorch's on the
    same workload; per_floor: over the floor's on B, the Function interface and nothing else)."""

    issue: int
    lib: str
    workload: str
    measure: str  # a key of the row: ratio, us_per_op, kb_per_op, faults_per_step; or per_torch, per_floor
    limit: float


UNIT = {"ratio": "× NumPy", "us_per_op": "µs/op", "kb_per_op": "KB/op", "faults_per_step": "page faults/step",
        "per_torch": "× PyTorch per op", "per_floor": "× the floor per op"}
COMPILED = ("autodiff.compile", "autodiff.compile x@W+b")
GOALS = [  # page faults: every way of running autodiff (a layer as x @ W + b, compiled) keeps issue 14's goal
    *(Goal(14, lib, w, "faults_per_step", 10) for lib in ("autodiff", "autodiff x@W+b", *COMPILED) for w in ("A f64", "A f32")),
    Goal(18, "autodiff", "B", "per_floor", 1.25), Goal(18, "autodiff", "B scalars", "per_floor", 1.25),
    Goal(18, "autodiff", "S", "per_torch", 1.0),
    *(Goal(19, lib, w, "ratio", 1.03) for lib in COMPILED for w in ("A f64", "A f32")),
    Goal(19, "autodiff.compile", "B", "ratio", 1.5), Goal(19, "autodiff.compile", "B scalars", "ratio", 1.5),
    *(Goal(19, lib, "D", "ratio", 1.25) for lib in COMPILED),
]


def fmt_row(r: Row) -> list[str]:
    if "seconds" not in r:
        return [r["workload"], r["lib"], "-", "-", "-", "-", "-", r.get("note", "")]
    value = f"{r['us_per_op']:.2f} µs/op" if r["workload"] in PER_OP else f"{r['seconds'] * 1e3:.3f} ms"
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
    """Each goal against this run's rows; a goal whose rows were not measured has value None."""
    cells = {(r["workload"], r["lib"]): r for r in rows if "seconds" in r}
    out = []
    for g in GOALS:
        r = cells.get((g.workload, g.lib))
        base = {"per_torch": cells.get((g.workload, "torch")), "per_floor": cells.get(("B", "floor"))}.get(g.measure)
        if g.measure in ("per_torch", "per_floor"):
            value = r["us_per_op"] / base["us_per_op"] if r and base else None
        else:
            value = r.get(g.measure) if r else None
        goal = {**g._asdict(), "unit": UNIT[g.measure], "value": value, "met": value is not None and value <= g.limit}
        if value is not None and base:  # both times, per op
            goal.update(us_per_op=r["us_per_op"], base_us_per_op=base["us_per_op"])
        out.append(goal)
    return out


def goal_line(g: Row) -> str:
    name = f"issue {g['issue']}, {g['lib']}, {g['workload']}"
    if g["value"] is None:
        return f"- {name}: not measured (goal ≤ {g['limit']} {g['unit']})"
    line = f"- {name}: {g['value']:.3f} {g['unit']} (goal ≤ {g['limit']})"
    if "base_us_per_op" in g:
        base = "PyTorch's" if g["measure"] == "per_torch" else "the floor's (bench/floor.py, B)"
        line += f": {g['us_per_op']:.2f} µs/op against {base} {g['base_us_per_op']:.2f}"
    return f"{line}: {'met' if g['met'] else 'NOT met'}"


def markdown(env: dict[str, Any], text: str, goal_lines: str) -> str:
    return (f"# Benchmark results\n\nWritten by `python bench/bench.py`. {setting(env)}\n"
            f"Times are medians of CPU time; × NumPy is the median of per-round ratios to the same computation "
            f"written by hand in NumPy, in the same run, and \"middle half\" their quartiles (C: ratio of medians "
            f"of three runs).\n\n"
            f"{text}\n\nThe goals of issues 14, 18 and 19:\n\n{goal_lines}\n")


def setting(env: dict[str, Any]) -> str:
    """Machine, threads and versions of a run, in one sentence."""
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, {b['filepath']})" for b in env["blas"])
    peers = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    return (f"{env['cpu']} ({env['cores']} cores), {env['threads']} thread(s) for every library; Python {env['python']}, "
            f"NumPy {env['numpy']}, BLAS {blas}; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for the run. "
            f"Versions: {peers}.")


def summary(rows: list[Row]) -> str:
    """The README's table: a line per library, a column per workload (× NumPy, or per op for the chains)."""
    cells = {(r["workload"], r["lib"]): r for r in rows if "seconds" in r}

    def cell(workload: str, lib: str) -> str:
        r = cells.get((workload, lib))
        if r is None:
            return "—"
        if workload in ("B", "B scalars", "S"):
            return f"{r['us_per_op']:.1f} µs"
        if workload == "C":
            return f"{r['us_per_op']:.1f} µs, {r['kb_per_op']:.2f} KB, {r['depth']:,}"
        if "faults_per_step" in r:
            return f"{r['ratio']:.2f} ({r['faults_per_step']:.0f} faults)"
        return f"{r['ratio']:.2f}"

    lines = ["| library | A f64 (page faults/step) | A f32 | B (µs/op) | B scalars (µs/op) | C (µs/op, KB/op, depth) | D "
             "| S (µs/op) |", "|---|---|---|---|---|---|---|---|"]
    for lib in dict.fromkeys([r["lib"] for r in rows if r["workload"] == "B"] + [r["lib"] for r in rows]):  # B has all
        lines.append(f"| {lib} | " + " | ".join(cell(w, lib) for w in WORKLOADS) + " |")
    return "\n".join(lines)


def readme_block(result: dict[str, Any]) -> str:
    """What README.md shows between its bench markers, from bench/results.json."""
    goal_lines = "\n".join(goal_line(g) for g in result["goals"])
    return (f"{summary(result['rows'])}\n\nThe latest run: {setting(result['environment'])}\n\n"
            f"The goals of the benchmark issues (14: page faults; 18: the core's cost per op, with Tensor constants "
            f"and with numbers; 19: `autodiff.compile`), in this run:\n\n{goal_lines}")
