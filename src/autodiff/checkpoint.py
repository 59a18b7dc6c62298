"""Checkpointing, as torch.utils.checkpoint: trade compute for memory.

    y = checkpoint(block, x)                          # block's intermediates are not kept
    y = checkpoint_sequential(layers, segments, x)    # n layers in √n segments: O(√n) memory

Reverse mode keeps every intermediate until backward needs it. A checkpointed block keeps only
its inputs; its backward runs the block again, on the recorded inputs, to rebuild what it needs.
The price is one more forward pass of the block (Chen et al. 2016; Griewank 1992).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .engine import Function, enable_grad
from .tensor import Tensor, as_tensor


class Checkpoint(Function):
    """z = fn(x, ...) with fn's intermediates forgotten;  dL/dx = fn's VJP, on intermediates recomputed in backward"""

    def forward(ctx, *xs: np.ndarray, fn: Callable[..., Tensor], value: np.ndarray, n: int) -> np.ndarray:
        ctx.fn, ctx.n = fn, n
        ctx.save_for_backward(*xs[:n])  # the block's own inputs; the leaves it closes over are parents
        return value

    def backward(ctx, grad: Any) -> tuple[Any, ...]:
        xs = [_input(x, need) for x, need in zip(ctx.saved_tensors, ctx.needs_input_grad)]
        with enable_grad():  # the recomputation: this time the block's graph is recorded
            out = ctx.fn(*xs)
        wanted = [x for x, need in zip(xs + list(ctx.parents[ctx.n :]), ctx.needs_input_grad) if need]
        grads = iter(autograd.grad(out, wanted, grad, create_graph=isinstance(grad, Tensor), allow_unused=True))
        return tuple(next(grads) if need else None for need in ctx.needs_input_grad)


def _input(x: Any, need: bool) -> Any:
    """A saved input for the recomputation: itself when it is in a graph already (create_graph), else a leaf."""
    if isinstance(x, Tensor) or not need:
        return x
    t = Tensor._make(x)
    t.requires_grad = True
    return t


def checkpoint(fn: Callable[..., Tensor], *args: Any) -> Tensor:
    """fn(*args), keeping only args for backward, which runs fn again (torch.utils.checkpoint.checkpoint).

    Parameters fn uses without being given them (a layer's weights) get their gradients too: a first
    run on detached args records only what involves them, and finds them as its leaves."""
    detached = [Tensor._make(a.data) if isinstance(a, Tensor) else a for a in args]
    out = as_tensor(fn(*detached))
    return Checkpoint.apply(*args, *_leaves(out), fn=fn, value=out.data, n=len(args))


def _leaves(out: Tensor) -> list[Tensor]:
    """The leaves that require grad in out's graph, each once, in the order a walk from out meets them."""
    found: dict[int, Tensor] = {}
    stack, seen = [out.grad_fn], set()
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            found.setdefault(id(v), v)
        elif v is not None and id(v) not in seen:
            seen.add(id(v))
            stack.extend(reversed(v.parents))
    return list(found.values())


def checkpoint_sequential(functions: Sequence[Callable[[Any], Tensor]], segments: int, x: Any) -> Tensor:
    """functions applied in turn, in `segments` checkpointed runs of about equal length."""
    if not 1 <= segments <= len(functions):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and {len(functions)}, got {segments}")
    bounds = np.linspace(0, len(functions), segments + 1).round().astype(int)
    for start, stop in zip(bounds, bounds[1:]):
        x = checkpoint(lambda h, run=functions[start:stop]: _run(run, h), x)
    return x


def _run(functions: Sequence[Callable[[Any], Tensor]], x: Any) -> Any:
    for f in functions:
        x = f(x)
    return x
