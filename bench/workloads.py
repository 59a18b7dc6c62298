"""The benchmark's workloads, the same for every library: their data (NumPy arrays from fixed seeds), NumPy by hand
(each workload's step written out with no engine: the reference every library's gradients are checked against and
the baseline of × NumPy), and the programs the adapters of bench/libs.py share (_layers, _chain, ...), which each
library runs with its own tensors and ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

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


# The programs every library's adapter runs with its own ops. ---------------------------------


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

