"""`torch.autograd`'s functional entry point: gradients as values, of any order.

    (g,) = autograd.grad(loss, w, create_graph=True)   # g is a Tensor in the graph
    (h,) = autograd.grad((g * v).sum(), w)              # so it can be differentiated again: H v

Unlike backward(), grad() returns the gradients and leaves every .grad untouched. An input may be an
intermediate tensor: its gradient is the one that reaches its node, and the sweep goes no further back than
it must (so the graph behind it stays whole).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .core import Backward, Function, Tensor, add_grads, as_tensor
from .higher import RecordedBackward


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), as Tensors: recorded, so differentiable again, when create_graph=True."""
    outputs, inputs = _tensors("output", outputs), _tensors("input", inputs)
    cotangents = [None] * len(outputs) if grad_outputs is None else _many(grad_outputs)
    if len(cotangents) != len(outputs):
        raise ValueError(f"autograd.grad: {len(outputs)} outputs but {len(cotangents)} grad_outputs")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad")
    wanted, until = _ends(inputs)
    backward = sweep(create_graph, create_graph if retain_graph is None else retain_graph, until, wanted)
    sums = backward.run(outputs, cotangents)
    found = [sums.get(x.grad_fn or x, backward.wanted.get(x.grad_fn)) for x in inputs]
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {i} was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(None if g is None else as_tensor(np.array(g)) if not isinstance(g, Tensor) else g for g in found)


def sweep(create_graph: bool, retain_graph: bool, until: frozenset[Function] = frozenset(),
          wanted: dict[Function, Any] | None = None) -> Backward:
    """A backward pass (recorded, for create_graph) that stops at the nodes in `until`, keeping their gradient
    as a leaf's, and keeps the complete gradient of each node in `wanted` when it pops."""
    backward = (_RecordedGrad if create_graph else _Grad)(retain_graph)
    backward.until, backward.wanted = until, {} if wanted is None else wanted
    return backward


class _Intermediates:
    """A sweep that gives the gradients of intermediate tensors: it stops at the nodes in `until` (another
    input lies behind none of them) and keeps the gradient of the nodes in `wanted` when they pop."""

    until: frozenset[Function]
    wanted: dict[Function, Any]
    sums: dict[Any, Any]

    def vjp(self, node: Function, grad: Any) -> tuple[Any, ...]:
        if node in self.wanted:
            self.wanted[node] = grad
        return super().vjp(node, grad)  # type: ignore[misc]

    def accumulate(self, x: Any, grad: Any) -> None:
        if x in self.until:  # not passed on: its sum waits, as a leaf's does
            self.sums[x] = add_grads(self.sums[x], grad) if x in self.sums else grad
        else:
            super().accumulate(x, grad)  # type: ignore[misc]


class _Grad(_Intermediates, Backward):
    pass


class _RecordedGrad(_Intermediates, RecordedBackward):
    pass


def _ends(inputs: list[Tensor]) -> tuple[dict[Function, Any], frozenset[Function]]:
    """The intermediate inputs' nodes: those the sweep must pass (another input lies behind them), and those
    where it stops."""
    nodes = {x.grad_fn for x in inputs if x.grad_fn is not None}
    passed = {n for n in nodes if len(nodes) > 1 and _behind(n) & (nodes - {n})}
    return dict.fromkeys(passed), frozenset(nodes - passed)


def _behind(node: Function) -> set[Function]:
    """Every node a gradient at node flows on to."""
    seen, stack = set(), [node]
    while stack:
        for p in stack.pop().parents:
            if isinstance(p, Function) and p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _tensors(what: str, x: Any) -> list[Tensor]:
    xs = _many(x)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"autograd.grad: {what} {i} is a {type(t).__name__}, not a Tensor")
    return xs


def _many(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]
