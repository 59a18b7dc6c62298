"""How fast is autodiff? The same workloads, in one run, for NumPy by hand, autodiff and its peers.

    python bench/bench.py                    # full run: table on stdout, bench/results.json, bench/results.md
    python bench/bench.py --quick            # small sizes, few repeats: checks that everything runs
    python bench/bench.py --libs numpy,autodiff,torch --threads 1

Workloads (issue 5):
  A  one MLP training step, 256x784 -> 256 (tanh) -> 10, softmax cross-entropy, float64 and float32,
     as a user's script runs it: each sample is a fresh process with only NumPy and that library
     loaded, glibc's malloc as it comes; its page faults per step are counted beside the time
  B  a chain of 1,000 elementwise ops (x * w, + b, relu, repeated) on a 10-element vector, forward + backward
  C  the same chain 1,000,000 ops deep (100,000 for the slow peers, 10,000 for JAX eager and micrograd),
     in fresh processes, three rounds across the libraries: the median run's time and peak memory
  D  a tiny MLP, 2-16-16-1 (relu) on 100 points, mean squared error: the live demo's regime
"floor" is not a library but a yardstick for B and C (bench/floor.py): PyTorch's Function interface
in plain Python and nothing else, so its time above NumPy by hand is what the interface costs.
A layer is the library's own fused layer where it has one, as its nn.Linear runs it (autodiff's
F.linear, torch's addmm); the others compute h @ W + b. "autodiff x@W+b" writes autodiff's layer as
h @ W + b, the way a user may; "autodiff.compile" runs the same loss through autodiff.compile (issue 14):
the first call traces, every sample replays the generated step.
Every time is this process's CPU time (time.process_time: other processes on a shared machine do
not count), the median of samples taken round-robin across the libraries so that what load remains
hits them all alike; the garbage collector stays on. × NumPy is the median, over the rounds, of each
round's ratio to NumPy by hand (samples taken moments apart share the machine's state); "middle half"
gives the quartiles of those ratios, so a reader can see how much the machine moved during the run.
"""

from __future__ import annotations

import os
import sys

# Before NumPy loads: one thread for every library, and no OpenBLAS tuning variables
# (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE slow NumPy down on this machine). The modules below import
# NumPy (and libs.py reads THREADS back from OMP_NUM_THREADS), so they are imported after this.
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
WAS_SET = {v: os.environ.pop(v) for v in OPENBLAS_VARS if v in os.environ}
THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = THREADS
os.environ["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={'false' if THREADS == '1' else 'true'} intra_op_parallelism_threads={THREADS}"

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from libs import LIB_CLASSES, LIBS, PACKAGE  # noqa: E402  (bench/libs.py: the libraries' adapters)
from measure import A_STEPS, a_child, depth_child, run_depth, run_fresh, run_workload  # noqa: E402  (bench/measure.py)
from report import goal_line, goals, markdown, table  # noqa: E402  (bench/report.py: the tables and goal lines)
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402
from workloads import chain_data, mlp_data  # noqa: E402  (bench/workloads.py: the workloads' data)

NUMPY_BLAS = threadpool_info()  # before any peer loads its own BLAS or OpenMP

HERE = Path(__file__).resolve().parent


# The record: environment, table, JSON. ------------------------------------------------------


def _blas(pools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("internal_api", "version", "architecture", "num_threads", "filepath")
    return [{k: Path(p[k]).name if k == "filepath" else p.get(k) for k in keys} for p in pools]


def _version(module: str) -> str:
    """The installed distribution's version; a module of this folder (the floor) has none."""
    try:
        return importlib.metadata.version(module)
    except importlib.metadata.PackageNotFoundError:
        return f"bench/{module}.py"


def environment(libs: list[str], skipped: dict[str, str]) -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {name: _version(PACKAGE.get(name, name)) for name in libs}
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
        "versions": versions, "blas": _blas(NUMPY_BLAS), "all_thread_pools": _blas(threadpool_info()),
        "threads": int(THREADS),
        "openblas_vars_unset": {v: WAS_SET.get(v) for v in OPENBLAS_VARS},
        "malloc": "glibc defaults",
        "skipped": skipped,
        "notes": "medians of round-robin samples; gc on; × NumPy: the median of per-round ratios to NumPy by hand "
                 "(middle half: their quartiles); C: the median of 3 runs",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke test)")
    parser.add_argument("--libs", default=",".join(LIBS), help=f"comma-separated, from {LIBS}")
    parser.add_argument("--threads", default="1", help="threads for every library (read before NumPy loads)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and results.md")
    parser.add_argument("--depth-child", nargs=2, metavar=("LIB", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--a-child", nargs=3, metavar=("LIB", "DTYPE", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.depth_child:
        return depth_child(args.depth_child[0], int(args.depth_child[1]))
    if args.a_child:
        return a_child(args.a_child[0], args.a_child[1], int(args.a_child[2]))

    wanted = ["numpy"] + [n for n in args.libs.split(",") if n and n != "numpy"]
    libs, skipped = {}, {}
    for name in wanted:
        if name not in LIB_CLASSES:
            parser.error(f"unknown library {name!r}; choose from {LIBS}")
        if importlib.util.find_spec(PACKAGE.get(name, name)) is None:
            skipped[name] = f"not installed (pip install {PACKAGE.get(name, name)})"
            continue
        libs[name] = LIB_CLASSES[name]()
    threadpool_limits(int(THREADS))  # every BLAS and OpenMP pool the peers brought, too
    for name, why in skipped.items():
        print(f"skipping {name}: {why}")
    env = environment(list(libs), skipped)
    print(f"{env['cpu']}, {env['threads']} thread(s); NumPy {env['numpy']}, BLAS "
          + ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})" for b in env["blas"]))
    print("OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this run"
          + (f" (they were set: {WAS_SET})" if WAS_SET else " (neither was set)"))

    quick = args.quick
    rounds, sample = (3, 0.005) if quick else (25, 0.1)
    rows = []
    for dtype, tol in ((np.float64, 1e-9), (np.float32, 1e-4)):
        rows += run_fresh("A f64" if dtype is np.float64 else "A f32", libs, dtype, 2 if quick else 7,
                          5 if quick else A_STEPS, tol)
    n_ops = 1000 if not quick else 99
    rows += run_workload("B", libs, lambda lib: lib.chain(chain_data(n_ops)), rounds, sample, 1e-9, per=n_ops)
    rows += run_workload("B scalars", libs, lambda lib: lib.chain_scalars(chain_data(n_ops)), rounds, sample, 1e-9,
                         per=n_ops)
    rows += run_workload("S", libs, lambda lib: lib.tanh_chain(chain_data(n_ops)), rounds, sample, 1e-9,
                         per=chain_data(n_ops)["tanh_cycles"] * 5 + 1)
    rows += run_depth([name for name, lib in libs.items() if "C" in lib.workloads], quick)
    d_small = mlp_data([2, 16, 16, 1], 100, np.float64, "mse")
    rows += run_workload("D", libs, lambda lib: lib.mlp(d_small, "relu", "mse"), rounds, sample, 1e-9)

    result = {"quick": quick, "environment": env, "rows": rows, "goals": goals(rows)}
    text = table(rows)
    goal_lines = "\n".join(goal_line(g) for g in result["goals"])
    print("\n" + text + "\n\nThe goals of issues 14, 18 and 19:\n" + goal_lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "results.md").write_text(markdown(env, text, goal_lines))




if __name__ == "__main__":
    main()
