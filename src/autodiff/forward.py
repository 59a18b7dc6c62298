"""Forward mode: dual numbers over ndarrays. Each Tensor may carry a tangent, pushed through every op by its jvp.

    with dual_level():
        x = make_dual(primal, tangent)           # x = primal + tangent·ε
        y = f(x)                                 # every op computes J·tangent next to its value
        primal_out, tangent_out = unpack_dual(y) # f(primal), J_f(primal) @ tangent

One forward pass gives J v for one direction v (a JVP); reverse mode gives uᵀ J for one u (a VJP).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from . import engine
from .tensor import Tensor

_duals: list[weakref.WeakSet[Tensor]] = []  # per open level: the live tensors given a tangent in it
_nodes: list[list[engine.Function]] = []  # per open level: the nodes that keep their output's tangent


class UnpackedDual(NamedTuple):
    primal: np.ndarray
    tangent: np.ndarray | None


@contextlib.contextmanager
def dual_level() -> Iterator[None]:
    """Open a forward-mode level; on exit, the tensors that got a tangent inside it lose it (as in PyTorch)."""
    engine._forward_ad_level += 1
    _duals.append(weakref.WeakSet())
    _nodes.append([])
    try:
        yield
    finally:
        for t in _duals.pop():
            t.tangent = None
        for node in _nodes.pop():
            del node.tangent
        engine._forward_ad_level -= 1


def make_dual(primal: Any, tangent: Any) -> Tensor:
    """A new leaf Tensor with primal's data (not copied) and the tangent, cast to primal's dtype."""
    if not engine._forward_ad_level:
        raise RuntimeError("make_dual: open a forward-mode level first: `with dual_level(): ...`")
    data = primal.data if isinstance(primal, Tensor) else np.asarray(primal)
    t = np.asarray(getattr(tangent, "data", tangent))
    if not np.issubdtype(data.dtype, np.floating):
        raise TypeError(f"make_dual: the primal must be floating point, got dtype {data.dtype}")
    if not (np.issubdtype(t.dtype, np.floating) or np.issubdtype(t.dtype, np.integer)):
        raise TypeError(f"make_dual: the tangent must be real numbers, got dtype {t.dtype}")
    if t.shape != data.shape:
        raise ValueError(f"make_dual: tangent of shape {t.shape} does not match primal of shape {data.shape}")
    out = Tensor._make(data)
    _set_tangent(out, t.astype(data.dtype))
    return out


def unpack_dual(t: Tensor) -> UnpackedDual:
    """(primal, tangent) as ndarrays; tangent is None if t does not depend on any dual input."""
    return UnpackedDual(t.data, t.tangent)


def _set_tangent(t: Tensor, tangent: np.ndarray) -> None:
    t.tangent = tangent
    _duals[-1].add(t)


def _push_tangent(cls: type[engine.Function], ctx: engine.Function, inputs: tuple[Any, ...], result: Tensor) -> None:
    """Called by Function.apply inside a dual level: result.tangent = the op's jvp of its inputs' tangents."""
    tangents = [x.tangent if isinstance(x, Tensor) else None for x in inputs]
    if all(t is None for t in tangents):
        return
    jvp = getattr(cls, "jvp", None)
    if jvp is None:
        raise NotImplementedError(f"{cls.__name__} has no jvp, so forward mode cannot go through it")
    dtype = result.dtype
    tangents = [np.zeros(np.shape(x), dtype) if t is None else t for x, t in zip(inputs, tangents)]
    tangent = np.asarray(jvp(ctx, *tangents), dtype=dtype)
    if tangent.shape != result.shape:
        raise ValueError(f"{cls.__name__}.jvp returned a tangent of shape {tangent.shape} for an output of shape {result.shape}")
    _set_tangent(result, tangent)
    if result.grad_fn is ctx:  # a recorded node: a backward run on Tensors (create_graph) may rebuild result
        ctx.tangent = tangent
        _nodes[-1].append(ctx)


def _rejoin_tangent(t: Tensor, node: engine.Function) -> None:
    """A tensor rebuilt from node's output (engine._rejoin) gets that output's tangent back."""
    tangent = getattr(node, "tangent", None)
    if tangent is not None and t.tangent is None:
        _set_tangent(t, tangent)
