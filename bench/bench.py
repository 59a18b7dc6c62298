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
# (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE slow NumPy down on this machine).
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
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from report import goal_line, goals, markdown, table  # noqa: E402  (bench/report.py: the tables and goal lines)
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

NUMPY_BLAS = threadpool_info()  # before any peer loads its own BLAS or OpenMP

HERE = Path(__file__).resolve().parent
LIBS = ["numpy", "autodiff", "autodiff x@W+b", "autodiff.compile", "autodiff.compile x@W+b", "floor", "torch", "mygrad",
        "autograd", "jax", "jax.jit", "micrograd"]
PACKAGE = {"jax.jit": "jax", "autodiff x@W+b": "autodiff", "autodiff.compile": "autodiff",
           "autodiff.compile x@W+b": "autodiff"}  # the module to import, where it is not the library's name
DEPTH = {"numpy": 1_000_000, "autodiff": 1_000_000, "floor": 1_000_000, "torch": 1_000_000,
         "jax": 10_000, "micrograd": 10_000}  # others: 100,000
Grads = list[np.ndarray]


# The workloads' data: NumPy arrays from fixed seeds, the same for every library. ------------


def mlp_data(sizes: list[int], batch: int, dtype: type, loss: str, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        params += [rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.1, n_out)]
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch) if loss == "ce" else rng.choice([-1.0, 1.0], (batch, 1))
    cast = [a.astype(dtype) for a in params]
    return {"params": cast, "X": X.astype(dtype), "y": y if loss == "ce" else y.astype(dtype)}


def chain_data(n_ops: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"x": rng.uniform(0.5, 1.5, 10), "w": rng.uniform(0.98, 1.0, 10), "b": rng.uniform(0, 0.02, 10),
            "cycles": n_ops // 3, "tanh_cycles": n_ops // 5}


# NumPy by hand: the same arithmetic with no engine. -----------------------------------------


def numpy_mlp(d: dict[str, Any], act: str, loss: str) -> Callable[[], Grads]:
    params, X, y = d["params"], d["X"], d["y"]

    def step() -> Grads:
        hs, h = [], X
        for i in range(0, len(params), 2):
            hs.append(h)
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = np.tanh(h) if act == "tanh" else np.maximum(h, 0)
        if loss == "ce":
            logp = h - np.log(np.exp(h - h.max(1, keepdims=True)).sum(1, keepdims=True)) - h.max(1, keepdims=True)
            _ = -logp[np.arange(len(y)), y].mean()
            g = np.exp(logp)
            g[np.arange(len(y)), y] -= 1
            g /= len(y)
        else:
            _ = ((h - y) ** 2).mean()
            g = (h - y) * (2 / h.size)
        grads: Grads = []
        for i in reversed(range(0, len(params), 2)):
            x = hs.pop()
            grads[:0] = [x.T @ g, g.sum(0)]
            if i:
                g = g @ params[i].T
                g = g * (1 - x * x) if act == "tanh" else g * (x > 0)
        return grads

    return step


def numpy_chain_scalars(d: dict[str, Any]) -> Callable[[], Grads]:
    """B with its constants written as numbers: y <- relu(0.999 y + 0.001)."""
    x = d["x"]

    def step() -> Grads:
        y, masks = x, []
        for _ in range(d["cycles"]):
            y = y * 0.999 + 0.001
            masks.append(y > 0)
            y = np.maximum(y, 0)
        _ = y.sum()
        g = np.ones_like(y)
        for m in reversed(masks):
            g = g * m * 0.999
        return [g]

    return step


def numpy_tanh_chain(d: dict[str, Any]) -> Callable[[], Grads]:
    """S: h <- tanh(1.0001 y + 0.001); y <- 1 - h²."""
    x = d["x"]

    def step() -> Grads:
        y, hs = x, []
        for _ in range(d["tanh_cycles"]):
            h = np.tanh(y * 1.0001 + 0.001)
            hs.append(h)
            y = 1 - h * h
        _ = y.sum()
        g = np.ones_like(y)
        for h in reversed(hs):
            g = (g * -h * 2) * (1 - h * h) * 1.0001
        return [g]

    return step


def numpy_chain(d: dict[str, Any]) -> Callable[[], Grads]:
    x, w, b = d["x"], d["w"], d["b"]

    def step() -> Grads:
        y, masks = x, []
        for _ in range(d["cycles"]):
            y = y * w + b
            masks.append(y > 0)
            y = np.maximum(y, 0)
        _ = y.sum()
        g = np.ones_like(y)
        for m in reversed(masks):
            g = g * m * w
        return [g]

    return step


# The libraries under test: each gives a step() (forward + backward) and its gradients as NumPy. ----


class Lib:
    name = "?"
    workloads = {"A", "B", "C", "D"}  # the workloads it runs (A for A f64 and A f32)

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        raise NotImplementedError

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    def chain_scalars(self, d: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    def tanh_chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    def to_numpy(self, grads: Any) -> Grads:
        return [np.asarray(g) for g in grads]


class NumpyByHand(Lib):
    name = "numpy"
    workloads = {"A", "B", "B scalars", "C", "D", "S"}
    mlp = staticmethod(numpy_mlp)
    chain = staticmethod(numpy_chain)
    chain_scalars = staticmethod(numpy_chain_scalars)
    tanh_chain = staticmethod(numpy_tanh_chain)


def _affine(h: Any, W: Any, b: Any) -> Any:
    return h @ W + b


def _layers(h: Any, params: list[Any], act: Callable[[Any], Any], linear: Callable[..., Any] = _affine) -> Any:
    """linear(h, W, b) per layer, `act` between layers: one text for every library."""
    for i in range(0, len(params), 2):
        h = linear(h, params[i], params[i + 1])
        if i + 2 < len(params):
            h = act(h)
    return h


def _chain(y: Any, w: Any, b: Any, cycles: int, relu: Callable[[Any], Any]) -> Any:
    for _ in range(cycles):
        y = relu(y * w + b)
    return y.sum()


def _chain_scalars(y: Any, cycles: int, relu: Callable[[Any], Any]) -> Any:
    for _ in range(cycles):
        y = relu(y * 0.999 + 0.001)
    return y.sum()


def _tanh_chain(y: Any, cycles: int) -> Any:
    for _ in range(cycles):
        h = (y * 1.0001 + 0.001).tanh()
        y = 1 - h * h
    return y.sum()


class Autodiff(Lib):
    """autodiff speaks PyTorch's words (Tensor, requires_grad, backward, .grad, F.*): one text serves both."""

    name = "autodiff"
    workloads = {"A", "B", "B scalars", "C", "D", "S"}

    def __init__(self) -> None:
        import autodiff
        import autodiff.functional as F

        self.tensor, self.F, self.linear = autodiff.Tensor, F, F.linear

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        F = self.F
        params = [self.tensor(p, requires_grad=True) for p in d["params"]]
        X, y = self.tensor(d["X"]), self.tensor(d["y"])
        activation = F.tanh if act == "tanh" else F.relu

        def loss_of(X: Any, y: Any) -> Any:
            out = _layers(X, params, activation, self.linear)
            return F.cross_entropy(out, y) if loss == "ce" else F.mse_loss(out, y)

        run = self.run(loss_of)

        def step() -> list[Any]:
            for p in params:
                p.grad = None
            run(X, y)
            return [p.grad for p in params]

        return step

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        x, w, b = self.tensor(d["x"], requires_grad=True), self.tensor(d["w"]), self.tensor(d["b"])
        run = self.run(lambda x, w, b: _chain(x, w, b, d["cycles"], self.F.relu))

        def step() -> list[Any]:
            x.grad = None
            run(x, w, b)
            return [x.grad]

        return step

    def chain_scalars(self, d: dict[str, Any]) -> Callable[[], Any]:
        return self._of_x(d, lambda x: _chain_scalars(x, d["cycles"], self.F.relu))

    def tanh_chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        return self._of_x(d, lambda x: _tanh_chain(x, d["tanh_cycles"]))

    def _of_x(self, d: dict[str, Any], loss: Callable[[Any], Any]) -> Callable[[], Any]:
        x, run = self.tensor(d["x"], requires_grad=True), self.run(loss)

        def step() -> list[Any]:
            x.grad = None
            run(x)
            return [x.grad]

        return step

    def run(self, loss: Callable[..., Any]) -> Callable[..., Any]:
        """How a step runs its loss: eagerly, forward then backward (Compiled: autodiff.compile)."""
        return lambda *args: loss(*args).backward()


class AutodiffMatmul(Autodiff):
    """The layer as a user may write it, h @ W + b: two nodes (MatMul, Add) instead of F.linear's Affine."""

    name = "autodiff x@W+b"
    workloads = {"A", "D"}

    def __init__(self) -> None:
        super().__init__()
        self.linear = _affine


class Compiled(Autodiff):
    """autodiff.compile(loss): the first call traces, every later one replays straight-line NumPy."""

    name = "autodiff.compile"
    workloads = {"A", "B", "B scalars", "D", "S"}

    def run(self, loss: Callable[..., Any]) -> Callable[..., Any]:
        import autodiff

        return autodiff.compile(loss)


class CompiledMatmul(Compiled, AutodiffMatmul):
    """autodiff.compile over the layer written h @ W + b."""

    name = "autodiff.compile x@W+b"
    workloads = {"A", "D"}


class Torch(Autodiff):
    name = "torch"

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(int(THREADS))
        self.tensor, self.F = torch.tensor, torch.nn.functional
        self.linear = lambda h, W, b: torch.addmm(b, h, W)  # torch.nn.Linear's one node (its weight is Wᵀ)

    def to_numpy(self, grads: Any) -> Grads:
        return [g.numpy() for g in grads]


class Floor(Autodiff):
    """bench/floor.py: PyTorch's Function interface in Python and nothing else, on the chain (B, C)."""

    name = "floor"
    workloads = {"B", "C"}

    def __init__(self) -> None:
        import floor

        self.tensor, self.F = floor.Tensor, floor


class MyGrad(Lib):
    name = "mygrad"

    def __init__(self) -> None:
        import mygrad

        self.mg = mygrad

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        mg = self.mg
        params = [mg.tensor(p) for p in d["params"]]
        X, y = mg.tensor(d["X"], constant=True), d["y"]
        activation = mg.tanh if act == "tanh" else mg.nnet.relu

        def step() -> list[Any]:
            out = _layers(X, params, activation)
            if loss == "ce":
                L = -mg.nnet.logsoftmax(out)[np.arange(len(y)), y].mean()
            else:
                L = ((out - y) ** 2).mean()
            L.backward()
            return [p.grad for p in params]

        return step

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        mg = self.mg
        x, w, b = mg.tensor(d["x"]), mg.tensor(d["w"], constant=True), mg.tensor(d["b"], constant=True)

        def step() -> list[Any]:
            _chain(x, w, b, d["cycles"], mg.nnet.relu).backward()
            return [x.grad]

        return step


class HipsAutograd(Lib):
    """HIPS autograd and JAX: a loss is a function of the parameters, differentiated by grad()."""

    name = "autograd"

    def __init__(self) -> None:
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        self.np, self.value_and_grad, self.logsumexp = anp, autograd.value_and_grad, logsumexp

    def relu(self, h: Any) -> Any:
        return self.np.maximum(h, 0)

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.value_and_grad(f)

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        xp = self.np
        activation = xp.tanh if act == "tanh" else self.relu

        def loss_fn(params: list[Any], X: Any, y: Any) -> Any:
            out = _layers(X, params, activation)
            if loss == "ce":
                logp = out - self.logsumexp(out, axis=1, keepdims=True)
                return -xp.mean(logp[xp.arange(len(y)), y])
            return xp.mean((out - y) ** 2)

        f, params, X, y = self.compile(loss_fn), [self.array(p) for p in d["params"]], self.array(d["X"]), self.array(d["y"])
        return lambda: self.sync(f(params, X, y)[1])

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        def f(x: Any, w: Any, b: Any) -> Any:
            return _chain(x, w, b, d["cycles"], self.relu)

        g, x, w, b = self.compile(f), self.array(d["x"]), self.array(d["w"]), self.array(d["b"])
        return lambda: [self.sync(g(x, w, b)[1])]

    def array(self, a: np.ndarray) -> Any:
        return a

    def sync(self, out: Any) -> Any:
        return out


class Jax(HipsAutograd):
    name = "jax"

    def __init__(self) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)
        self.jax, self.np, self.logsumexp = jax, jax.numpy, jax.scipy.special.logsumexp

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.jax.value_and_grad(f)

    def relu(self, h: Any) -> Any:
        return self.jax.nn.relu(h)

    def array(self, a: np.ndarray) -> Any:
        return self.jax.device_put(a)

    def sync(self, out: Any) -> Any:
        return self.jax.block_until_ready(out)


class JaxJit(Jax):
    name = "jax.jit"

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.jax.jit(self.jax.value_and_grad(f))


class Micrograd(Lib):
    """Scalars only: an op on a vector is one Value op per element. No tanh: the chain and D use relu."""

    name = "micrograd"

    def __init__(self) -> None:
        from micrograd.engine import Value

        self.Value = Value

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        if act != "relu" or loss != "mse":
            raise NotImplementedError("micrograd has no tanh and no softmax (and ~50M scalar ops would take hours)")
        Value = self.Value
        params = [np.vectorize(Value, otypes=[object])(p) for p in d["params"]]
        X, y = d["X"].tolist(), d["y"][:, 0].tolist()

        def step() -> list[Any]:
            for p in params:
                for v in p.flat:
                    v.grad = 0
            total = Value(0.0)
            for xi, yi in zip(X, y):
                h = xi
                for i in range(0, len(params), 2):
                    W, b = params[i], params[i + 1]
                    h = [sum((h[j] * W[j, k] for j in range(W.shape[0])), b[k]) for k in range(W.shape[1])]
                    if i + 2 < len(params):
                        h = [v.relu() for v in h]
                total = total + (h[0] - yi) ** 2
            (total * (1 / len(X))).backward()
            return params

        return step

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        x = [self.Value(v) for v in d["x"].tolist()]
        w, b = d["w"].tolist(), d["b"].tolist()

        def step() -> list[Any]:
            y = x
            for v in x:
                v.grad = 0
            for _ in range(d["cycles"]):
                y = [(yi * wi + bi).relu() for yi, wi, bi in zip(y, w, b)]
            sum(y, self.Value(0.0)).backward()
            return [x]

        return step

    def to_numpy(self, grads: Any) -> Grads:
        return [np.vectorize(lambda v: v.grad, otypes=[float])(np.asarray(g, dtype=object)) for g in grads]


LIB_CLASSES: dict[str, type[Lib]] = {
    c.name: c for c in (NumpyByHand, Autodiff, AutodiffMatmul, Compiled, CompiledMatmul, Floor, Torch, MyGrad, HipsAutograd,
                        Jax, JaxJit, Micrograd)
}


# Measuring. ----------------------------------------------------------------------------------


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
    cmd = [sys.executable, __file__, *args, "--threads", THREADS]
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
