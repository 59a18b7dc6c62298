"""Memory: nodes link to nodes, never to intermediate Tensors, so a kept loss keeps no activations.

Beginners write `losses.append(loss)`; after backward that must hold next to nothing, with the
garbage collector off (only reference counting frees memory here), and the graph can still be drawn.
"""

from __future__ import annotations

import tracemalloc
import weakref
from typing import Callable

import numpy as np
import pytest

import autodiff
import autodiff.functional as F
from autodiff import Function, Tensor, nn, optim, viz



def model_and_data() -> tuple[nn.MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return nn.MLP([64, 256, 256, 10], seed=0), rng.standard_normal((512, 64)), rng.integers(0, 10, 512)


def test_intermediates_are_freed_after_backward_while_the_loss_lives(no_gc: None) -> None:
    model, X, y = model_and_data()
    before = model[0](Tensor(X))
    hidden = model[1](before)  # relu saves a mask, not its input
    pre, activation = weakref.ref(before.data), weakref.ref(hidden.data)
    loss = F.cross_entropy(model[4](model[3](model[2](hidden))), y)
    del before, hidden
    assert pre() is None  # nothing needs the pre-activation: it is gone at once, as in PyTorch
    assert activation() is not None  # the next Affine saved it for backward
    loss.backward()
    assert activation() is None  # backward freed what it saved; no node holds the tensor
    assert loss.grad_fn is not None and model[0].weight.grad is not None


def test_a_list_of_kept_losses_holds_next_to_nothing(no_gc: None) -> None:
    model, X, y = model_and_data()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        losses = []
        for _ in range(4):
            loss = F.cross_entropy(model(X), y)
            model.zero_grad()
            loss.backward()
            losses.append(loss)
        kept = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    grads = sum(p.grad.nbytes for p in model.parameters())
    activations = 512 * (256 + 256 + 10) * 8  # one forward pass's outputs, float64
    assert kept < grads + activations / 4, f"4 kept losses hold {kept / 1e6:.2f} MB"


def test_the_graph_is_drawn_after_backward_from_what_the_nodes_keep(no_gc: None) -> None:
    pytest.importorskip("graphviz")
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    hidden = (x @ np.ones((3, 2))).tanh()
    ref = weakref.ref(hidden)
    loss = hidden.sum()
    del hidden
    loss.backward()
    assert ref() is None  # the intermediate tensor is gone ...
    dot = viz.to_dot(loss, {"x": x})
    assert "Tanh" in dot and '"(4, 2) float64"' in dot and "x\\n(4, 3) float64" in dot  # ... its node remains


def test_a_node_keeps_no_reference_to_its_output(no_gc: None) -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp saves its output for backward: an array, not the Tensor
    node, ref = y.grad_fn, weakref.ref(y)
    del y
    assert ref() is None and node.out_shape == (2,)


BIG = 100_000  # 800 KB: an array large enough for glibc to give back to the OS (a small one is freed at once)


def test_a_small_grad_set_to_none_is_freed_at_once(no_gc: None) -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    (w * w).sum().backward()
    old = weakref.ref(w.grad)
    w.grad = None
    assert old() is None


def test_zero_grad_keeps_the_old_array_until_backward_computes_the_next(no_gc: None) -> None:
    """The block of a .grad set to None is freed just before the node that computes its successor runs, so
    NumPy takes the same block again (freed at the start of a step, it let glibc trim the heap; freed when
    backward starts, the backward's temporaries took it: page faults either way). A leaf that backward does
    not reach has its array freed when backward ends."""
    w, elsewhere = Tensor(np.ones(BIG), requires_grad=True), Tensor(np.ones(BIG), requires_grad=True)
    (w * w).sum().backward()
    (elsewhere * 2).sum().backward()
    old, other = weakref.ref(w.grad), weakref.ref(elsewhere.grad)
    w.grad = elsewhere.grad = None
    assert w.grad is None and old() is not None
    Probe.seen = []
    loss = Probe.apply(w * 3, seen=lambda: old() is not None).sum()
    assert old() is not None  # the forward pass does not free it ...
    loss.backward()
    assert Probe.seen == [True]  # ... nor backward before it reaches the node that computes w's gradient
    assert old() is None and other() is None  # ... which does; and backward's end frees the one it did not reach
    np.testing.assert_array_equal(w.grad, np.full(BIG, 3.0))


def test_a_compiled_step_frees_zero_grads_arrays_as_eager_does(no_gc: None) -> None:
    w, old, Probe.seen = Tensor(np.ones(BIG), requires_grad=True), lambda: None, []
    step = autodiff.compile(lambda x: Probe.apply(w * x, seen=lambda: old() is not None).sum())
    step(np.ones(BIG))  # the trace
    for _ in range(2):  # the replays
        old = weakref.ref(w.grad)
        w.grad = None
        step(np.full(BIG, 2.0))
        assert Probe.seen[-1] and old() is None
    np.testing.assert_array_equal(w.grad, np.full(BIG, 2.0))


class Probe(Function):
    """z = x, noting in backward what seen() says then (whether an old .grad array still lives)."""

    seen: list[bool] = []

    def forward(ctx, x: np.ndarray, seen: Callable[[], bool]) -> np.ndarray:
        ctx.seen = seen
        return x + 0

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        Probe.seen.append(ctx.seen())
        return grad


OPTIMIZERS = {  # every option: each keeps its buffers from the first step on
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "SGD dampening weight_decay": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1),
    "SGD nesterov weight_decay": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "Adam amsgrad weight_decay": lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True, weight_decay=0.1),
    "AdamW amsgrad": lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS)
def test_an_optimizer_step_allocates_no_array(make) -> None:
    params = [Tensor(np.ones((300, 200)), requires_grad=True), Tensor(np.ones(200), requires_grad=True)]
    opt = make(params)
    for p in params:
        p.grad = np.full(p.shape, 0.5)
    opt.step()  # the first step makes the buffers
    tracemalloc.start()
    try:
        opt.step()
        opt.zero_grad(set_to_none=False)  # zeros written into the arrays
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000, f"a step allocated {peak} bytes"  # a 300x200 float64 array alone is 480,000
