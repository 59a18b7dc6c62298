"""`torch.autograd`'s functional entry point: gradients as values, of any order.

    (g,) = autograd.grad(loss, w, create_graph=True)   # g is a Tensor in the graph
    (h,) = autograd.grad((g * v).sum(), w)              # so it can be differentiated again: H v

Unlike backward(), grad() returns the gradients and leaves every .grad untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import engine
from .tensor import Tensor


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), as Tensors: recorded, so differentiable again, when create_graph=True."""
    outputs, inputs = _many(outputs), _many(inputs)
    cotangents = [None] * len(outputs) if grad_outputs is None else _many(grad_outputs)
    if len(cotangents) != len(outputs):
        raise ValueError(f"autograd.grad: {len(outputs)} outputs but {len(cotangents)} grad_outputs")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} is not a Tensor that requires grad")
    captured: dict[engine.Function, Any] = {}
    nodes = {x.grad_fn: x.grad_fn.hooks for x in inputs if x.grad_fn is not None}
    for node, hooks in nodes.items():  # an intermediate input: its node's gradient, once complete
        node.hooks = (*hooks, captured.__setitem__)  # called as hook(node, grad)
    try:
        sums = engine.backward(outputs, cotangents, create_graph if retain_graph is None else retain_graph, create_graph)
    finally:
        for node, hooks in nodes.items():
            node.hooks = hooks
    found = [sums.get(x) if x.grad_fn is None else captured.get(x.grad_fn) for x in inputs]
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {i} was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(None if g is None else g if isinstance(g, Tensor) else Tensor._make(np.array(g)) for g in found)


def _many(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]
