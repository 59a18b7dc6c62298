"""Checkpointing, as torch.utils.checkpoint: trade compute for memory.

    y = checkpoint(block, x)                          # block's intermediates are not kept
    y = checkpoint_sequential(layers, segments, x)    # n layers in √n segments: O(√n) memory

Reverse mode keeps every intermediate until backward needs it. A checkpointed block keeps only its
inputs; its backward runs the block again, on the recorded inputs, to rebuild what it needs. The price is
one more forward pass of the block (Chen et al. 2016; Griewank 1992).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import sweep
from .core import Function, Tensor, Watcher, enable_grad, no_grad, watchers, watching
from .ops import Alias


class Checkpoint(Function):
    """z = fn(*args) with fn's intermediates forgotten;  x̄ = fn's VJP, on intermediates recomputed in backward"""

    def forward(ctx, *xs: np.ndarray, fn: Callable[..., Any], args: list[Any], where: list[int],
                dtypes: list[np.dtype], value: np.ndarray) -> np.ndarray:
        ctx.fn, ctx.args, ctx.where, ctx.dtypes = fn, args, where, dtypes
        ctx.save_for_backward(*xs[: len(where)])  # the block's float arguments; tensors it closes over are parents
        return value

    def backward(ctx, grad: Any) -> tuple[Any, ...]:
        n = len(ctx.where)
        xs = [_fresh(x) for x in ctx.saved_tensors]
        with enable_grad():  # the recomputation: this time the block's graph is recorded
            outs = _outputs(ctx.fn(*_placed(ctx.args, ctx.where, xs, ctx.dtypes)))
        live = [(o, g) for o, g in zip(outs, _pieces(grad, outs)) if o.requires_grad]
        vertices = [x.grad_fn or x for x in xs] + list(ctx.parents[n:])
        recorded = isinstance(grad, Tensor)  # create_graph: the gradients are recorded, and the graph kept
        outside = frozenset(v for v in vertices if isinstance(v, Function))  # where the sweep stops: the graph
        sums = sweep(recorded, recorded, outside).run(*map(list, zip(*live))) if live else {}  # around stays whole
        return tuple(sums.get(v) if need else None for v, need in zip(vertices, ctx.needs_input_grad))


class _ClosedOver(Watcher):
    """A watcher of the block's first run (under no_grad): the tensors that require grad that its ops take,
    other than its arguments: the weights it closes over, or intermediates of the enclosing computation."""

    name = "checkpoint"

    def __init__(self) -> None:
        self.found: dict[int, Tensor] = {}

    def op(self, ctx: Function, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        for x in inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                self.found.setdefault(id(x), x)


def checkpoint(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args), keeping only args for backward, which runs fn again (torch.utils.checkpoint.checkpoint).

    fn returns a Tensor or a tuple of Tensors. Arguments that are not Tensors (an index, a mask) reach fn as
    they are. Tensors fn uses without being given them (a layer's weights, an intermediate computed outside)
    get their gradients too: a first run, under no_grad, finds them."""
    closed = _ClosedOver()
    with no_grad(), watching((*watchers(), closed)):
        out = fn(*(a.detach() if isinstance(a, Tensor) else a for a in args))
    outs = _outputs(out)
    where = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.dtype.kind == "f"]  # may have gradients
    value = outs[0].data if len(outs) == 1 else _flat([o.data for o in outs])
    kept = [None if i in where else a for i, a in enumerate(args)]  # an integer index or a boolean mask, too
    z = Checkpoint.apply(*(args[i] for i in where), *closed.found.values(), fn=fn, args=kept, where=where,
                         dtypes=[args[i].dtype for i in where], value=value)
    return z if not isinstance(out, (tuple, list)) else tuple(_pieces(z, outs))


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


def _fresh(x: Any) -> Tensor:
    """A saved argument for the recomputation: a new leaf, or, in a recorded backward, a new node in the graph."""
    if isinstance(x, Tensor):
        return Alias.apply(x)
    return Tensor(x, requires_grad=True)


def _placed(args: list[Any], where: list[int], xs: list[Tensor], dtypes: list[np.dtype]) -> list[Any]:
    """The block's arguments again, each float one in its own dtype (apply promoted them to one, exactly)."""
    args = list(args)
    for i, x, dtype in zip(where, xs, dtypes):
        args[i] = x if x.dtype == dtype else x.astype(dtype)
    return args


def _outputs(out: Any) -> list[Tensor]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"checkpoint: the block must return a Tensor or a tuple of Tensors, got {type(out).__name__}")
    if len({o.dtype for o in outs}) > 1:
        raise TypeError(f"checkpoint: the block's outputs must share one dtype, got {[str(o.dtype) for o in outs]}")
    return outs


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([a.ravel() for a in arrays])


def _pieces(z: Any, outs: list[Tensor]) -> list[Any]:
    """z cut into arrays (or Tensors) of outs' shapes: the outputs of a tuple-valued block, one after the other."""
    if len(outs) == 1:
        return [z]
    ends = np.cumsum([o.size for o in outs])
    return [z[a:b].reshape(o.shape) for a, b, o in zip([0, *ends[:-1]], ends, outs)]
