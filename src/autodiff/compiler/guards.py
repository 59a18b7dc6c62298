"""What a replay relies on, checked before each call, and the errors for what a trace cannot replay.

A trace is made for its arguments' shapes, dtypes and requires_grad, and for which arguments share an array
(the key). It also relies on every tensor f closes over keeping its shape, dtype and requires_grad, and on
every boolean index keeping its count of True entries (the signature): when either changes, f is traced
again. Arrays and tensors are read by reference at each replay, so their values may change freely.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tensor


def key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a trace is made for: each argument's shape, dtype and requires_grad, and which share an array."""
    parts: list[Any] = [(a.shape, a.dtype) if type(a) is np.ndarray else _argument(i, a) for i, a in enumerate(args)]
    if len(args) > 1:
        ids = [id(a.data) if isinstance(a, Tensor) else id(a) for a in args]
        if len(set(ids)) < len(ids):  # the same array twice: the trace ties their uses together
            parts.append(tuple(map(ids.index, ids)))
    return tuple(parts)


def _argument(i: int, a: Any) -> tuple[Any, ...]:
    """A Tensor's (or an ndarray subclass's) part of the key; anything else is an error naming argument i."""
    if isinstance(a, Tensor):
        if a.grad_fn is not None:
            raise ValueError(f"autodiff.compile: argument {i} was computed by {type(a.grad_fn).__name__} (it has a "
                             "grad_fn), so backward would run past f into the graph that made it; pass a leaf, "
                             "or .detach() it")
        return a.data.shape, a.data.dtype, a.requires_grad
    if isinstance(a, np.ndarray):
        return a.shape, a.dtype
    raise TypeError(f"autodiff.compile: argument {i} is a {type(a).__name__}; pass a NumPy array or a Tensor "
                    "(a number that changes: np.asarray(it); one that does not: let f close over it)")


class Signature:
    """The tensors f closes over and the boolean indices a trace used: what they were at the trace."""

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self.masks: list[tuple[int | None, Any]] = []  # (argument number, or None and the constant array)
        self.made_for: tuple[Any, ...] = ()

    def now(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        tensors = [(t.data.shape, t.data.dtype, t.requires_grad) for t in self.tensors]
        if self.masks:
            tensors += [int(np.count_nonzero(_array(args[i] if i is not None else m))) for i, m in self.masks]
        return tuple(tensors)

    def holds(self, args: tuple[Any, ...]) -> bool:
        return self.now(args) == self.made_for


def _array(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


_COMPARES = {"bool()": "branches on a traced tensor's value", "in": "branches on a traced tensor's value",
             "np.asarray()": "turns a traced tensor into a NumPy array", ".numpy()": "turns a traced tensor into a NumPy array"}


def left_the_graph(how: str) -> TypeError:
    """The error for a traced value taken out of the graph: every replay would reuse this call's."""
    if how in _COMPARES:
        what = f"{_COMPARES[how]} ({how}): " + ("a replay would take this call's branch" if how in ("bool()", "in")
                                                else "NumPy's work on it would be baked in")
    elif how.startswith("numpy."):
        what = f"applies {how}, which has no derivative rule, to a traced tensor: its result is a constant"
    else:
        what = f"takes a traced tensor's value out as a Python number ({how}): every replay would reuse this call's"
    return TypeError(f"autodiff.compile: f {what}. Keep computing with the Tensor's methods and autodiff's ops, or do "
                     "this outside f")


def refused(what: str) -> RuntimeError:
    return RuntimeError(f"autodiff.compile: {what}; a trace records one backward, of the loss f returns "
                        "(create_graph and higher order are not compiled): call f uncompiled")
