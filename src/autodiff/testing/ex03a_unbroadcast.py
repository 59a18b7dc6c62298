"""Exercise 03a's checker: unbroadcast(grad, shape) sums a gradient back to its input's shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .harness import RTOL, Array, Wrong, as_array, compare, everything, exercise, learner
from .opcheck import shape, shrunk, sum_to


@exercise("unbroadcast", forbid=everything, write="write it yourself, with NumPy sums")
def check(unbroadcast: Callable[[Array, tuple[int, ...]], Any]) -> str:
    rng = np.random.default_rng(4)
    pairs = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 3), (1,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 3), ()),
             ((5, 4, 3), (4, 1)), ((2, 4, 3), (2, 1, 3)), ((3, 1, 4), (1, 1, 4)), ((4, 3), (1, 1))]
    for _ in range(4):
        out = shape(rng, int(rng.integers(1, 4)))
        pairs.append((out, shrunk(rng, out)))
    for k, (gshape, target) in enumerate(pairs):
        dtype = np.float32 if k >= len(pairs) - 2 else np.float64
        grad = rng.standard_normal(gshape).astype(dtype)
        kept = grad.copy()
        what = f"unbroadcast(grad of shape {gshape}, {target})"
        got = learner("unbroadcast", unbroadcast, grad, target, returns=True)
        if not np.array_equal(grad, kept):
            raise Wrong(f"{what} changed grad in place: return a new array")
        got = as_array(got, what, lists=False)
        if got.shape != target:
            raise Wrong(_shape_message(what, got.shape, gshape, target))
        if got.dtype != dtype:
            raise Wrong(f"{what} turned {np.dtype(dtype).name} into {got.dtype}: keep grad's dtype (np.zeros(shape) "
                        "is float64: np.zeros(shape, grad.dtype), or sum grad itself)")
        compare(got, sum_to(grad.astype(np.float64), target), what, [
            (np.full(target, grad.mean()), "a broadcast copies an entry, so its gradient adds the copies up: sum, "
                                           "not mean")],
            rtol=RTOL if dtype == np.float64 else 1e-5,
            factor=lambda c: "did you average? A broadcast copies an entry, so its gradient adds the copies "
                             "up: sum, not mean" if c < 1 else None)
    return f"unbroadcast sums back each of {len(pairs)} broadcasts, leading and stretched axes, in float64 and float32."


def _shape_message(what: str, got: tuple[int, ...], gshape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    text = f"{what} returned shape {got}"
    lead = len(gshape) - len(shape)
    stretched = [a for a, n in enumerate(shape) if n == 1 and gshape[lead + a] != 1]
    if got == gshape:
        return (text + ": nothing was summed. Sum over the axes broadcasting added (the first "
                f"{lead}) and those it stretched (where the shape has 1)")
    if len(got) > len(shape) and got[len(got) - len(shape):] == shape and all(n == 1 for n in got[:len(got) - len(shape)]):
        return (text + f": the right numbers, but the {len(got) - len(shape)} leading axes that broadcasting added "
                "are still there, with size 1. Sum them away without keepdims: only the stretched axes keep their "
                "size 1")
    if len(got) > len(shape):
        return text + f": did you sum over the {lead} leading axes that broadcasting added?"
    if int(np.prod(got)) == int(np.prod(shape)):
        return (text + ": the right numbers in the wrong shape. The stretched axes stay, with size 1: sum them "
                "with keepdims=True")
    if len(got) == len(shape) and any(got[a] != 1 for a in stretched):
        a = next(a for a in stretched if got[a] != 1)
        return (text + f": did you sum over the broadcast axis? Axis {a} has size 1 in {shape} but {got[a]} in yours"
                f" (shapes line up from the right: axis {a} of the shape is axis {lead + a} of grad)")
    return text + f": it must have shape {shape}"
