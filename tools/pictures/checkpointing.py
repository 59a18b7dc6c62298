"""Checkpointing, measured by the package: the peak memory of forward + backward through 64 layers,
for every number of checkpointed segments, against the layer evaluations it costs.

Memory is tracemalloc's peak (NumPy's arrays included), in units of one layer's activation; layer
evaluations are counted per layer (1: forward only; 2: one more, in backward).
Run: python tools/pictures/checkpointing.py <outdir>  ->  checkpointing.svg and .json
"""

import json
import sys
import tracemalloc
from pathlib import Path

import numpy as np

from autodiff import Tensor, checkpoint_sequential
from _style import figure, save

LAYERS, WIDTH, BATCH = 64, 32, 1024
SEGMENTS = [1, 2, 4, 8, 16, 32, 64]


class Model:
    """LAYERS layers tanh(h @ Wᵢ), counting layer evaluations."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.weights = [Tensor(rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH), requires_grad=True)
                        for _ in range(LAYERS)]
        self.layers = [lambda h, w=w: self.layer(h, w) for w in self.weights]
        self.calls = 0

    def layer(self, h: Tensor, w: Tensor) -> Tensor:
        self.calls += 1
        return (h @ w).tanh()

    def run(self, x: np.ndarray, segments: int | None) -> Tensor:
        h = Tensor(x)
        if segments:
            return checkpoint_sequential(self.layers, segments, h)
        for layer in self.layers:
            h = layer(h)
        return h


def measure(model: Model, x: np.ndarray, segments: int | None) -> tuple[float, float]:
    """(peak memory in activations, layer evaluations per layer) of one forward + backward."""
    for w in model.weights:
        w.grad = None
    model.calls = 0
    tracemalloc.start()
    try:
        model.run(x, segments).sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return round(peak / x.nbytes, 1), model.calls / LAYERS


def main(outdir: Path) -> None:
    model, x = Model(), np.random.default_rng(1).standard_normal((BATCH, WIDTH))
    measure(model, x, None)  # warm up: the first run allocates NumPy's and Python's caches
    plain = measure(model, x, None)
    rows = {s: measure(model, x, s) for s in SEGMENTS}
    data = {"layers": LAYERS, "activation_bytes": x.nbytes, "no_checkpoint": plain,
            "segments": {str(s): r for s, r in rows.items()}}
    (outdir / "checkpointing.json").write_text(json.dumps(data, indent=1) + "\n")
    fig, ax = figure("checkpointing", (7, 5))
    ax.plot(SEGMENTS, [r[0] for r in rows.values()], "o-", color="#f0a030", linewidth=2.5, markersize=8,
            label="checkpointed: 2 evaluations per layer")
    ax.axhline(plain[0], color="#9a9aa0", linewidth=2, linestyle="--", label="no checkpoint: 1 evaluation")
    ax.axvline(np.sqrt(LAYERS), color="#08a684", linewidth=1.5, linestyle=":")
    ax.text(np.sqrt(LAYERS) * 1.08, plain[0] * 0.55, r"$\sqrt{k}$", color="#08a684", fontsize=20)
    ax.set_xscale("log", base=2)
    ax.set_xticks(SEGMENTS, [str(s) for s in SEGMENTS])
    ax.set_ylim(0, plain[0] * 1.25)
    ax.set_xlabel(f"segments, for k = {LAYERS} layers", fontsize=18)
    ax.set_ylabel("peak memory (activations)", fontsize=18)
    ax.tick_params(labelsize=16)
    ax.legend(loc="lower center", fontsize=15, framealpha=0.5)
    save(fig, outdir, "checkpointing")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
