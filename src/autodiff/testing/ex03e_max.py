"""Exercise 03e's checker: Max.backward along an axis, with ties sharing the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, exercise
from .opcheck import Case, Op, check_op


def _expand(a: Array, axis: int | None, keepdims: bool, ndim: int) -> Array:
    """a with the reduced axis put back (size 1), so that it broadcasts against x."""
    if axis is None:
        return np.reshape(a, (1,) * ndim)
    return a if keepdims else np.expand_dims(a, axis)


@exercise("max", write="write the rule yourself, with NumPy")
def check(op: Any) -> str:
    rng = np.random.default_rng(12)
    cases = []
    for s, axis, keepdims in [((5,), 0, False), ((3, 4), 1, False), ((3, 4), 0, True), ((3, 3), 1, False),
                              ((2, 3, 4), -1, False), ((2, 3, 4), 1, True), ((3, 4), None, False), ((2, 3), None, True)]:
        cases.append(Case([rng.standard_normal(s)], (True,), {"axis": axis, "keepdims": keepdims}))
    for s, axis, keepdims in [((4, 5), 1, False), ((3, 4), 0, True), ((2, 3, 4), 2, False), ((3, 3), None, False)]:
        ties = rng.integers(0, 3, s).astype(float)  # few values: each row holds ties
        cases.append(Case([ties], (True,), {"axis": axis, "keepdims": keepdims}, smooth=False, label="(with ties)"))

    def reference(x: Array, u: Array | None, axis: int | None, keepdims: bool) -> tuple[Array, list[Array]]:
        z = x.max(axis=axis, keepdims=keepdims)
        if u is None:
            return z, None
        hit = x == _expand(z, axis, keepdims, x.ndim)
        return z, [hit / hit.sum(axis=axis, keepdims=True) * _expand(u, axis, keepdims, x.ndim)]

    def mistakes(x: Array, u: Array, z: Array, axis: int | None, keepdims: bool) -> list[Mistakes]:
        hit = x == _expand(z, axis, keepdims, x.ndim)
        first = np.zeros_like(x)
        if axis is not None:
            np.put_along_axis(first, np.expand_dims(x.argmax(axis=axis), axis), 1.0, axis=axis)
        else:
            first.flat[x.argmax()] = 1.0
        found = [(hit * _expand(u, axis, keepdims, x.ndim), "the tied maxima each got all of z̄, so together they "
                  "pass on more than came in: share it, z̄ divided by the number of ties"),
                 (first * _expand(u, axis, keepdims, x.ndim), "you gave all of z̄ to the first maximum (argmax); this "
                  "max shares it equally between ties, as torch.amax does: z̄ / (number of ties) to each")]
        if axis is not None and not keepdims and x.ndim == 2 and x.shape[0] == x.shape[1]:
            wrong = np.expand_dims(u, 1 - axis % 2)
            found.append((hit / hit.sum(axis=axis, keepdims=True) * wrong, "grad was broadcast along the wrong axis: "
                          "put the reduced axis back first, np.expand_dims(grad, ctx.axis), then broadcast"))
        return [found]

    hints = [("expand_dims", "with axis=None every axis was reduced: grad is one number, which broadcasts as it is"),
             ("==", "compare x with the max put back to x's shape: with keepdims=False the reduced axis is gone from z "
                    "(np.expand_dims(z, ctx.axis)), and for axis=None z is one number"),
             ("grad", "grad has z's shape: with keepdims=False the reduced axis is gone from it too. Put it back, "
                      "np.expand_dims(grad, ctx.axis), so that it broadcasts along x's rows")]
    return check_op(op, Op(reference, cases, "axes, keepdims and ties", mistakes, hints, exact_shape=True))
