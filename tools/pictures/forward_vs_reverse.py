"""Passes over the graph that autodiff.jacobian makes in forward and in reverse mode, as inputs or outputs grow.

f(x) = tanh(W x) maps n inputs to m outputs. The passes are counted while jacobian runs (calls of f,
and backward sweeps), not timed, so the picture is the same on every machine.
Run: python tools/pictures/forward_vs_reverse.py <outdir>  ->  forward_vs_reverse.svg and .json
"""

import json
import sys
from pathlib import Path

import numpy as np

import autodiff
from autodiff import Tensor, engine
from _style import figure, save

SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def passes(n: int, m: int, mode: str) -> int:
    """Forward passes (calls of f) plus backward sweeps made by jacobian(f, x, mode) for f: Rⁿ → Rᵐ."""
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((m, n)), rng.standard_normal(n)
    count = 0
    sweep = engine.backward

    def f(x: Tensor) -> Tensor:
        nonlocal count
        count += 1
        return (w @ x).tanh()

    def counted_sweep(*args: object, **kwargs: object) -> object:
        nonlocal count
        count += 1
        return sweep(*args, **kwargs)

    engine.backward = counted_sweep
    try:
        jac = autodiff.jacobian(f, x, mode=mode)
    finally:
        engine.backward = sweep
    assert np.allclose(jac, (1 - np.tanh(w @ x) ** 2)[:, None] * w)
    return count


def main(outdir: Path) -> None:
    data = {
        "f": "tanh(W x), W of shape (m, n)",
        "sizes": SIZES,
        "scalar_output": {mode: [passes(n, 1, mode) for n in SIZES] for mode in ("fwd", "rev")},
        "scalar_input": {mode: [passes(1, m, mode) for m in SIZES] for mode in ("fwd", "rev")},
    }
    (outdir / "forward_vs_reverse.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, axes = figure("forward_vs_reverse", (10, 4.2), ncols=2, sharey=True)
    for ax, key, xlabel in zip(axes, ("scalar_output", "scalar_input"), ("inputs $n$ (one output: a loss)", "outputs $m$ (one input)")):
        ax.loglog(SIZES, data[key]["fwd"], "o-", color="#f0a030", label="forward mode (JVPs)")
        ax.loglog(SIZES, data[key]["rev"], "s-", color="#08a684", label="reverse mode (VJPs)")
        ax.set_xlabel(xlabel, fontsize=13)
        ax.legend(fontsize=11, framealpha=0.3, loc="upper left")
    axes[0].set_ylabel("passes over the graph", fontsize=13)
    save(fig, outdir, "forward_vs_reverse")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
