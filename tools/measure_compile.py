"""How close autodiff.compile comes to NumPy by hand: issue 14's goals for workloads A, B and D.

    python tools/measure_compile.py              # one run: every workload, round-robin, as bench/bench.py times
    python tools/measure_compile.py --fresh 3    # the same in 3 fresh processes, then the median of each ratio
    python tools/measure_compile.py --faults     # page faults per step of A, eager and compiled, glibc's defaults

A measurement, not a test: it uses bench/bench.py's data, its NumPy by hand and its timer (which pins
glibc's malloc thresholds at import, the same for every contestant). Goals: compiled A <= 1.03x NumPy
by hand, B <= 1.5x per op, D <= 1.25x. Each compiled step is first checked bit for bit against eager.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

GOALS = {"A f64": 1.03, "A f32": 1.03, "B": 1.5, "D": 1.25}


def steps(bench: Any, workload: str) -> tuple[dict[str, Callable[[], Any]], int]:
    """NumPy by hand, eager autodiff and compiled autodiff (F.linear, and x @ W + b) on one workload."""
    import numpy as np

    import autodiff
    import autodiff.functional as F
    from autodiff import Tensor

    if workload == "B":
        d = bench.chain_data(1000)
        x, w, b = Tensor(d["x"], requires_grad=True), Tensor(d["w"]), Tensor(d["b"])

        def chain(x: Any, w: Any, b: Any) -> Any:
            return bench._chain(x, w, b, d["cycles"], F.relu)

        fast = autodiff.compile(chain)

        def run(f: Callable[..., Any]) -> Callable[[], Any]:
            def step() -> list[Any]:
                x.grad = None
                f(x, w, b) if f is fast else f(x, w, b).backward()
                return [x.grad]
            return step

        return {"numpy": bench.numpy_chain(d), "eager": run(chain), "compiled": run(fast)}, 1000  # ops, as bench.py counts them
    dtype = np.float32 if workload == "A f32" else np.float64
    d = bench.mlp_data([784, 256, 10], 256, dtype, "ce") if workload[0] == "A" else \
        bench.mlp_data([2, 16, 16, 1], 100, np.float64, "mse")
    names = ("tanh", "ce") if workload[0] == "A" else ("relu", "mse")
    act, loss = (F.tanh, F.cross_entropy) if workload[0] == "A" else (F.relu, F.mse_loss)
    params = [Tensor(p, requires_grad=True) for p in d["params"]]

    def mlp(linear: Callable[..., Any]) -> Callable[[Any, Any], Any]:
        return lambda X, y: loss(bench._layers(X, params, act, linear), y)

    def run(f: Callable[..., Any], compiled: bool) -> Callable[[], Any]:
        def step() -> list[Any]:
            for p in params:
                p.grad = None
            f(d["X"], d["y"]) if compiled else f(d["X"], d["y"]).backward()
            return [p.grad for p in params]
        return step

    return {"numpy": bench.numpy_mlp(d, *names),
            "eager": run(mlp(F.linear), False), "compiled": run(autodiff.compile(mlp(F.linear)), True),
            "eager x@W+b": run(mlp(bench._affine), False),
            "compiled x@W+b": run(autodiff.compile(mlp(bench._affine)), True)}, 1


def check(found: dict[str, Callable[[], Any]]) -> None:
    """Compiled equals eager bit for bit, on the tracing call and the two after it."""
    import numpy as np

    for name, step in found.items():
        if name.startswith("compiled"):
            eager = found[name.replace("compiled", "eager")]
            for _ in range(3):
                got, want = [g.copy() for g in step()], eager()
                assert all(np.array_equal(g, w) for g, w in zip(got, want)), f"{name} differs from eager"


def measure(workloads: list[str], rounds: int, sample: float) -> dict[str, dict[str, float]]:
    import bench

    out = {}
    for workload in workloads:
        found, per = steps(bench, workload)
        check(found)
        samples = bench.timed_round_robin(found, rounds, sample)
        row = out[workload] = {}
        for name, s in samples.items():
            row[name] = statistics.median(x / base for x, base in zip(s, samples["numpy"]))
            if workload == "B":
                row[name + " us/op"] = statistics.median(s) / per * 1e6
    return out


def faults(name: str) -> float:
    """Page faults per step of one contestant on A (float64), alone in this process, with glibc's own malloc
    thresholds: whether a step faults depends on the heap's history, so each runs in a fresh process."""
    import importlib.util
    import resource

    spec = importlib.util.spec_from_file_location("bench_unpinned", ROOT / "bench" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    platform, sys.platform = sys.platform, "unpinned"  # bench.py pins malloc on linux only: not here
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.platform = platform
    step = steps(bench, "A f64")[0][name]
    for _ in range(5):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(80):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 80


def all_faults() -> dict[str, float]:
    names = ["numpy", "eager", "compiled", "eager x@W+b", "compiled x@W+b"]
    return {name: fresh(1, ["--faults-of", name])[0] for name in names}


def fresh(n: int, flag: list[str]) -> list[dict[str, Any]]:
    runs = []
    for _ in range(n):
        cmd = [sys.executable, __file__, *flag, "--json"]
        runs.append(json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout))
    return runs


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    if all(isinstance(v, dict) for v in first.values()):
        return {w: {k: statistics.median(r[w][k] for r in runs) for k in row} for w, row in first.items()}
    return {k: statistics.median(r[k] for r in runs) for k in first}


def report(result: dict[str, Any]) -> str:
    lines = []
    for workload, row in result.items():
        if not isinstance(row, dict):
            lines.append(f"{workload:16s} {row:8.1f} page faults per step")
            continue
        cells = ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k != "numpy")
        goal = row["compiled"] <= GOALS[workload]
        lines.append(f"{workload:6s} x NumPy by hand: {cells}  (goal compiled <= {GOALS[workload]}: "
                     f"{'met' if goal else 'NOT met'})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", type=int, default=0, help="run in this many fresh processes, report the medians")
    parser.add_argument("--faults", action="store_true", help="page faults per step of A instead of times")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--workloads", default=",".join(GOALS), help=f"comma-separated, from {list(GOALS)}")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--faults-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.faults_of:
        return print(json.dumps(faults(args.faults_of)))
    flag = ["--faults"] if args.faults else ["--rounds", str(args.rounds), "--workloads", args.workloads]
    if args.fresh:
        runs = fresh(args.fresh, flag)
        for i, run in enumerate(runs):
            print(f"process {i + 1}:\n{report(run)}")
        print(f"median of {len(runs)} processes:\n{report(median_of(runs))}")
        return
    result = all_faults() if args.faults else measure(args.workloads.split(","), args.rounds, 0.1)
    print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    main()
