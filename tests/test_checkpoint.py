"""Checkpointing: the same gradients, to any order, for about one extra forward pass and O(√n) memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, checkpoint, checkpoint_sequential, gradgradcheck
from autodiff.gradcheck import gradcheck

RNG = np.random.default_rng(0)


def block(h: Tensor, w: Tensor) -> Tensor:
    return (h @ w).tanh() * h


def test_a_checkpointed_block_has_the_same_gradients_as_the_block() -> None:
    x, w = (Tensor(RNG.standard_normal(s), requires_grad=True) for s in [(4, 3), (3, 3)])
    plain = [g.data for g in autodiff.autograd.grad(block(x, w).sum(), [x, w])]
    kept = [g.data for g in autodiff.autograd.grad(checkpoint(block, x, w).sum(), [x, w])]
    for a, b in zip(plain, kept):
        np.testing.assert_array_equal(a, b)
    assert gradcheck(lambda x, w: checkpoint(block, x, w), x, w).ok
    assert gradgradcheck(lambda x, w: checkpoint(block, x, w), x, w).ok
    assert gradcheck(lambda x: checkpoint(block, x, w.data), x).ok  # a constant input gets no gradient


class Layers:
    """n layers tanh(h @ Wᵢ), counting how many layer evaluations a pass costs."""

    def __init__(self, n: int, width: int) -> None:
        self.weights = [Tensor(RNG.standard_normal((width, width)) / np.sqrt(width), requires_grad=True)
                        for _ in range(n)]
        self.calls = 0
        self.functions = [lambda h, w=w: self.layer(h, w) for w in self.weights]

    def layer(self, h: Tensor, w: Tensor) -> Tensor:
        self.calls += 1
        return (h @ w).tanh()


def peak_bytes(layers: Layers, x: np.ndarray, segments: int | None) -> tuple[int, list[np.ndarray]]:
    """The peak of NumPy's allocations over forward + backward, and the weights' gradients."""
    for w in layers.weights:
        w.grad = None
    tracemalloc.start()
    try:
        h = Tensor(x)
        out = checkpoint_sequential(layers.functions, segments, h) if segments else _plain(layers, h)
        out.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, [w.grad for w in layers.weights]


def _plain(layers: Layers, h: Tensor) -> Tensor:
    for f in layers.functions:
        h = f(h)
    return h


def test_sqrt_n_segments_cut_memory_to_about_sqrt_n_for_one_extra_forward_pass() -> None:
    n, width = 64, 64
    layers, x = Layers(n, width), RNG.standard_normal((256, width))
    plain_peak, plain_grads = peak_bytes(layers, x, None)
    assert layers.calls == n
    layers.calls = 0
    kept_peak, kept_grads = peak_bytes(layers, x, 8)  # √64 segments of 8 layers
    assert layers.calls == 2 * n  # every layer runs once more, in backward: one extra forward pass
    for a, b in zip(plain_grads, kept_grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    activation = x.nbytes
    assert plain_peak > n * activation  # every layer's output is kept for backward
    assert kept_peak < 4 * 8 * activation  # 8 segment inputs, then one segment's 8 layers at a time


def test_checkpoint_sequential_needs_a_sensible_number_of_segments() -> None:
    with pytest.raises(ValueError, match="segments must be between 1 and 2, got 3"):
        checkpoint_sequential([lambda h: h, lambda h: h], 3, Tensor(1.0))
