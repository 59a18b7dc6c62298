"""Exercise 03a's checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Tensor

from .harness import RTOL, Array, Wrong, _call, _compare, exercise
from .opcheck import _shape, _shrunk


@exercise("unbroadcast")
def _unbroadcast(unbroadcast: Callable[[Array, tuple[int, ...]], Any]) -> str:
    """03: unbroadcast(grad, shape): sum a gradient back to the shape of an input that was broadcast."""
    rng = np.random.default_rng(4)
    pairs = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 3), (1,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 3), ()),
             ((5, 4, 3), (4, 1)), ((2, 4, 3), (2, 1, 3))]
    for _ in range(4):
        out = _shape(rng, int(rng.integers(1, 4)))
        pairs.append((out, _shrunk(rng, out)))
    for k, (gshape, shape) in enumerate(pairs):
        dtype = np.float32 if k == len(pairs) - 1 else np.float64
        grad = rng.standard_normal(gshape).astype(dtype)
        kept = grad.copy()
        got = _call("unbroadcast", unbroadcast, grad, shape)
        what = f"unbroadcast(grad of shape {gshape}, {shape})"
        if not np.array_equal(grad, kept):
            raise Wrong(f"{what} changed grad in place: return a new array")
        x = Tensor(np.zeros(shape), requires_grad=True)  # the reference: what the engine does for x + c
        (x + np.zeros(gshape)).backward(grad)
        got_shape = np.shape(got)
        if got_shape != shape:
            raise Wrong(_unbroadcast_shape_message(what, got_shape, gshape, shape))
        if np.asarray(got).dtype != dtype:
            raise Wrong(f"{what} turned {dtype.__name__} into {np.asarray(got).dtype}: keep grad's dtype")
        _compare(got, x.grad.astype(dtype), what, [(np.asarray(grad.mean()), "a broadcast copies an entry, so its "
                 "gradient adds the copies up: sum, not mean")], rtol=RTOL if dtype is np.float64 else 1e-5,
                 factor=lambda c: "did you average? A broadcast copies an entry, so its gradient adds the copies "
                                  "up: sum, not mean" if c < 1 else None)
    return f"unbroadcast sums back each of {len(pairs)} broadcasts, leading and stretched axes, in float64 and float32."


def _unbroadcast_shape_message(what: str, got: tuple[int, ...], gshape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    text = f"{what} returned shape {got}"
    lead = len(gshape) - len(shape)
    stretched = [a for a, n in enumerate(shape) if n == 1 and gshape[lead + a] != 1]
    if got == gshape:
        return (text + ": nothing was summed. Sum over the axes broadcasting added (the first "
                f"{lead}) and those it stretched (where the shape has 1)")
    if int(np.prod(got)) == int(np.prod(shape)):
        return text + ": the right numbers in the wrong shape. Keep the stretched axes (keepdims=True), or reshape"
    if len(got) > len(shape):
        return text + f": did you sum over the {lead} leading axes that broadcasting added?"
    if len(got) == len(shape) and any(got[a] != 1 for a in stretched):
        a = next(a for a in stretched if got[a] != 1)
        return text + f": did you sum over the broadcast axis? Axis {a} has size 1 in {shape} but {got[a]} in yours"
    return text + f": it must have shape {shape}"

