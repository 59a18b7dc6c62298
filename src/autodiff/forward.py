"""Forward mode: dual numbers, in torch.autograd.forward_ad's words, on the core's watchers.

    with dual_level():
        x = make_dual(primal, tangent)           # x = primal + tangent·ε
        y = f(x)                                 # every op computes J·tangent next to its value
        primal_out, tangent_out = unpack_dual(y) # f(primal), J_f(primal) @ tangent

One forward pass gives J v for one direction v (a JVP); reverse mode gives Jᵀ u for one u (a VJP).

A level is a watcher: apply tells it about every op, and it pushes the inputs' tangents through the op's
jvp. Levels nest, each with tangents of its own (nothing of an inner level leaks into an outer one), and
they compose with reverse mode: where a tangent is itself differentiated (by reverse mode, or by an outer
level), the jvp runs on Tensors, so the graph records it and the outer levels see it. Levels are per thread.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from .core import OUTPUT, Function, Tensor, Watcher, as_tensor, watchers, watching
from .ops import Alias


class UnpackedDual(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


class _Level(Watcher):
    """An open dual_level: the tangents it gave, by the vertex each belongs to (a node's output, or a
    tensor outside the graph), so that a backward's tensor rebuilt from a node finds its tangent."""

    name = "forward mode (dual numbers)"

    def __init__(self) -> None:
        self.tangents: dict[int, tuple[weakref.ref[Any], Tensor]] = {}

    def tangent(self, x: Any) -> Tensor | None:
        if not isinstance(x, Tensor):
            return None
        v = x.grad_fn or x
        entry = self.tangents.get(id(v))
        return entry[1] if entry is not None and entry[0]() is v else None

    def set(self, x: Tensor, tangent: Tensor) -> None:
        v, tangents = x.grad_fn or x, self.tangents
        key = id(v)
        tangents[key] = (weakref.ref(v, lambda _: tangents.pop(key, None)), tangent)

    def op(self, ctx: Function, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        """out's tangent, if an input has one at this level (an integer out has no derivative)."""
        tangents = [self.tangent(x) for x in inputs]
        if any(t is not None for t in tangents) and out.data.dtype.kind == "f":
            self.set(out, self.push(ctx, inputs, tangents, out))

    def push(self, ctx: Function, inputs: tuple[Any, ...], tangents: list[Tensor | None], out: Tensor) -> Tensor:
        """ctx's jvp of the inputs' tangents (zeros where an input has none), of out's shape and dtype."""
        jvp = getattr(type(ctx), "jvp", None)
        if jvp is None:
            raise NotImplementedError(f"{type(ctx).__name__} has no jvp, so forward mode cannot go through it")
        ts = [as_tensor(np.zeros(np.shape(_value(x)), out.dtype)) if t is None else t for x, t in zip(inputs, tangents)]
        ctx.has_tangent = tuple(t is not None for t in tangents)  # as backward's needs_input_grad: which are zeros
        outer = watchers()[: watchers().index(self)]
        if out.requires_grad or outer or any(t.requires_grad for t in ts):  # the tangent is differentiated further
            with watching(outer), _saved_as_tensors(ctx, inputs, out):
                tangent = as_tensor(jvp(ctx, *ts))
        else:
            tangent = as_tensor(np.asarray(jvp(ctx, *(t.data for t in ts))))
        if tangent.shape != out.shape:
            raise ValueError(f"{type(ctx).__name__}.jvp returned a tangent of shape {tangent.shape} for an output "
                             f"of shape {out.shape}")
        return tangent if tangent.dtype == out.dtype else tangent.astype(out.dtype)


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


@contextmanager
def _saved_as_tensors(ctx: Function, inputs: tuple[Any, ...], out: Tensor) -> Iterator[None]:
    """What ctx's forward saved, as the Tensors they are (inputs, output) while its jvp runs on Tensors."""
    saved = ctx.saved_tensors
    if saved:
        ctx.saved_tensors = tuple(out if tag == OUTPUT else inputs[tag] for tag in ctx.saved_tags)
    try:
        yield
    finally:
        ctx.saved_tensors = saved


def levels() -> list[_Level]:
    """This thread's open levels, the outermost first."""
    return [w for w in watchers() if isinstance(w, _Level)]


@contextmanager
def dual_level() -> Iterator[None]:
    """Open a forward-mode level in this thread; on exit the tangents given inside it are gone (as in PyTorch)."""
    level = _Level()
    try:
        with watching((*watchers(), level)):
            yield
    finally:
        level.tangents.clear()


def make_dual(primal: Any, tangent: Any) -> Tensor:
    """primal + tangent·ε at the innermost level: a Tensor with primal's data (not copied), in primal's graph
    and with primal's tangents of the outer levels; the tangent is cast to primal's dtype."""
    if not levels():
        raise RuntimeError("make_dual: open a forward-mode level first: `with dual_level(): ...`")
    x = as_tensor(primal)
    t = as_tensor(tangent)
    if x.dtype.kind != "f":
        raise TypeError(f"make_dual: the primal must be floating point, got dtype {x.dtype}")
    if t.dtype.kind not in "fiu":
        raise TypeError(f"make_dual: the tangent must be real numbers, got dtype {t.dtype}")
    if t.shape != x.shape:
        raise ValueError(f"make_dual: tangent of shape {t.shape} does not match primal of shape {x.shape}")
    dual = Alias.apply(x)  # a new tensor, so that x itself gets no tangent here
    levels()[-1].set(dual, t if t.dtype == x.dtype else t.astype(x.dtype))
    return dual


def unpack_dual(t: Tensor) -> UnpackedDual:
    """(primal, tangent) at the innermost level; tangent is None if t does not depend on a dual input there."""
    return UnpackedDual(t, levels()[-1].tangent(t) if levels() else None)


def has_tangent(t: Any) -> bool:
    """Whether t has a tangent at an open level of this thread."""
    return any(level.tangent(t) is not None for level in levels())
