"""Measuring: each library's gradients checked against NumPy by hand, then its step timed in CPU time, round-robin
across the libraries (run_workload: B, B scalars, S and D in this process), or in fresh processes that run bench.py
--a-child (run_fresh: workload A, with its page faults) or --depth-child (run_depth: C, with its peak memory), so
that each sample has only NumPy and one library loaded.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from libs import LIB_CLASSES, THREADS, Lib
from workloads import Grads, chain_data, mlp_data

BENCH = Path(__file__).with_name("bench.py")  # the children's entry point: bench.py --a-child / --depth-child
DEPTH = {"numpy": 1_000_000, "autodiff": 1_000_000, "floor": 1_000_000, "torch": 1_000_000,
         "jax": 10_000, "micrograd": 10_000}  # others: 100,000


def max_diff(grads: Grads, ref: Grads) -> tuple[float, float]:
    """Largest absolute difference from the reference gradients, and the same relative to their scale."""
    diff = max(float(np.max(np.abs(np.asarray(g, dtype=np.float64) - r))) for g, r in zip(grads, ref))
    scale = max(float(np.max(np.abs(r))) for r in ref)
    return diff, diff / scale


def timed_round_robin(steps: dict[str, Callable[[], Any]], rounds: int, sample_time: float) -> dict[str, list[float]]:
    """Seconds per call of each step, one sample per round; each round samples every step in turn."""
    numbers = {}
    for name, step in steps.items():
        step()
        t = time.process_time()
        step()
        numbers[name] = max(1, int(sample_time / max(time.process_time() - t, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            t = time.process_time()
            for _ in range(numbers[name]):
                step()
            samples[name].append((time.process_time() - t) / numbers[name])
    return samples


def checked(step: Callable[[], Any]) -> Any:
    """The gradients of a step's second call: a compiled step's first call traces, the second replays."""
    step()
    return step()


def run_workload(label: str, libs: dict[str, Lib], build: Callable[[Lib], Callable[[], Any]], rounds: int,
                 sample_time: float, tol: float, per: int = 1) -> list[dict[str, Any]]:
    """Check every library's gradients against NumPy by hand, then time them all round-robin."""
    rows, steps = {}, {}
    ref = libs["numpy"].to_numpy(build(libs["numpy"])())
    for name, lib in libs.items():
        if (label[0] if label.startswith("A ") else label) not in lib.workloads:
            continue
        row = rows[name] = {"workload": label, "lib": name}
        try:
            step = build(lib)
            diff, rel = max_diff(lib.to_numpy(checked(step)), ref)
        except (NotImplementedError, RecursionError) as err:
            row["note"] = f"{type(err).__name__}: {err}"[:120]
            continue
        row["max_abs_grad_diff"] = diff
        if rel > tol:
            row["note"] = f"gradients differ from NumPy by hand (relative {rel:.1e})"
        steps[name] = step
        print(f"  {label:6s} {name:10s} max |grad - numpy| = {diff:.2e}", flush=True)
    samples = timed_round_robin(steps, rounds, sample_time)
    for name, s in samples.items():
        # ratios paired by round: a library and NumPy sampled moments apart share the machine's state
        ratios = [x / base for x, base in zip(s, samples["numpy"])]
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
        t = statistics.median(s)
        rows[name].update(seconds=t, us_per_op=t / per * 1e6, ratio=statistics.median(ratios), ratio_iqr=[q1, q3])
    return list(rows.values())


A_STEPS, A_WARMUP = 80, 5


def a_child(lib_name: str, dtype_name: str, steps: int) -> None:
    """Run in a fresh process: workload A's step, warmed up, then `steps` times; print JSON with the CPU
    time and the minor page faults (ru_minflt) per step."""
    import resource

    lib = LIB_CLASSES[lib_name]()
    step = lib.mlp(mlp_data(*A_SHAPE(steps), np.dtype(dtype_name).type, "ce"), "tanh", "ce")
    for _ in range(A_WARMUP):
        step()
    faults, t = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time()
    for _ in range(steps):
        step()
    seconds = (time.process_time() - t) / steps
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    print(json.dumps({"seconds": seconds, "faults_per_step": faults}))


def A_SHAPE(steps: int) -> tuple[list[int], int]:
    """Workload A's layer sizes and batch (small ones for a --quick run, which takes few steps)."""
    return ([784, 256, 10], 256) if steps >= A_STEPS else ([64, 32, 10], 32)


def run_fresh(label: str, libs: dict[str, Lib], dtype: type, rounds: int, steps: int, tol: float) -> list[dict[str, Any]]:
    """Workload A: gradients checked here against NumPy by hand; then, round-robin, one fresh process
    per library and round (a_child): × NumPy is the median of each round's ratio."""
    d = mlp_data(*A_SHAPE(steps), dtype, "ce")
    ref = libs["numpy"].to_numpy(libs["numpy"].mlp(d, "tanh", "ce")())
    rows: dict[str, dict[str, Any]] = {}
    for name, lib in libs.items():
        if "A" not in lib.workloads:
            continue
        row = rows[name] = {"workload": label, "lib": name}
        try:
            diff, rel = max_diff(lib.to_numpy(checked(lib.mlp(d, "tanh", "ce"))), ref)
        except NotImplementedError as err:
            row["note"] = f"NotImplementedError: {err}"[:120]
            continue
        row["max_abs_grad_diff"] = diff
        if rel > tol:
            row["note"] = f"gradients differ from NumPy by hand (relative {rel:.1e})"
    live = [name for name, row in rows.items() if "note" not in row or "differ" in row["note"]]
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in live}
    for _ in range(rounds):
        for name in live:
            samples[name].append(_child(["--a-child", name, np.dtype(dtype).name, str(steps)]))
    for name in live:
        if any("error" in s for s in samples[name]):
            rows[name]["note"] = next(s["error"] for s in samples[name] if "error" in s)
            continue
        ratios = [s["seconds"] / base["seconds"] for s, base in zip(samples[name], samples["numpy"])]
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
        faults = statistics.median(s["faults_per_step"] for s in samples[name])
        seconds = statistics.median(s["seconds"] for s in samples[name])
        rows[name].update(seconds=seconds, us_per_op=seconds * 1e6, ratio=statistics.median(ratios), ratio_iqr=[q1, q3],
                          faults_per_step=faults)
        print(f"  {label:6s} {name:10s} {rows[name]['ratio']:.3f} × NumPy, {faults:.0f} page faults a step", flush=True)
    return list(rows.values())


def _child(args: list[str]) -> dict[str, Any]:
    """One fresh `bench.py` process: its last JSON line, or {"error": ...}."""
    cmd = [sys.executable, str(BENCH), *args, "--threads", THREADS]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 600 s"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["crashed"])[-1][:120]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def depth_child(lib_name: str, n_ops: int) -> None:
    """Run in a fresh process: build the chain n_ops deep, backward; print time and peak memory as JSON."""
    lib = LIB_CLASSES[lib_name]()
    step = lib.chain(chain_data(n_ops))
    clear = Path("/proc/self/clear_refs")
    clear.write_text("5")  # reset the peak resident size (VmHWM) to the current size
    rss0 = _status_kb("VmRSS")
    t = time.process_time()
    try:
        grads = lib.to_numpy(step())
    except RecursionError as err:
        print(json.dumps({"error": f"RecursionError: {err}"}))
        return
    seconds = time.process_time() - t
    peak = _status_kb("VmHWM") - rss0
    finite = all(np.isfinite(g).all() for g in grads)
    print(json.dumps({"seconds": seconds, "kb_per_op": peak / n_ops, "finite": finite}))


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def run_depth(libs: list[str], quick: bool) -> list[dict[str, Any]]:
    """Each library's chain in fresh processes, round-robin (3 rounds, 1 quick); the median run is kept."""
    depth = {name: 3_000 if quick else DEPTH.get(name, 100_000) for name in libs if name != "jax.jit"}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in depth}
    for _ in range(1 if quick else 3):
        for name, done in runs.items():
            if not done or "error" not in done[-1]:  # a library that failed once is not run again
                done.append(_depth_run(name, depth[name]))
    rows = []
    for name in libs:
        if name == "jax.jit":
            rows.append({"workload": "C", "lib": name, "note": "skipped: compiling a 100,000-op program takes minutes"})
            continue
        done, n = runs[name], depth[name]
        row: dict[str, Any] = {"workload": "C", "lib": name, "depth": n}
        if "error" in done[-1]:
            row["note"] = done[-1]["error"]
        else:
            result = sorted(done, key=lambda r: r["seconds"])[len(done) // 2]
            row.update(seconds=result["seconds"], us_per_op=result["seconds"] / n * 1e6, kb_per_op=result["kb_per_op"])
            if not result["finite"]:
                row["note"] = "non-finite gradient"
        summary = row.get("note") or "{us_per_op:.2f} us/op, {kb_per_op:.3f} KB/op (median of {runs})".format(
            runs=len(done), **row)
        print(f"  C      {name:10s} depth {n:>9,}: {summary}", flush=True)
        rows.append(row)
    base = next((r for r in rows if r["lib"] == "numpy" and "us_per_op" in r), None)
    for r in rows:
        if base and "us_per_op" in r:
            r["ratio"] = r["us_per_op"] / base["us_per_op"]
    return rows


def _depth_run(name: str, n: int) -> dict[str, Any]:
    return _child(["--depth-child", name, str(n)])
