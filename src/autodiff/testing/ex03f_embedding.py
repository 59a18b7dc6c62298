"""Exercise 03f's checker: Embedding.backward, rows picked by an index that repeats: a scatter-add."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, exercise
from .opcheck import Case, Op, check_op


@exercise("embedding", write="write the rule yourself, with NumPy")
def check(op: Any) -> str:
    rng = np.random.default_rng(13)
    indices = [np.array([0, 2, 2, 4]), np.array([[1, 1, 0], [3, 1, 1]]), np.array([3, 3, 3]), np.array([4, 0]),
               rng.integers(0, 5, (2, 3, 4))]
    cases = [Case([rng.standard_normal((5, 3))], (True,), {"index": i}) for i in indices]
    cases.append(Case([rng.standard_normal(6)], (True,), {"index": np.array([5, 1, 5, 5])}, label="(1-d W)"))

    def reference(w: Array, u: Array | None, index: Array) -> tuple[Array, list[Array]]:
        if u is None:
            return w[index], None
        gw = np.zeros_like(w)
        np.add.at(gw, index, u)
        return w[index], [gw]

    def mistakes(w: Array, u: Array, z: Array, index: Array) -> list[Mistakes]:
        buffered = np.zeros_like(w)
        buffered[index] += u
        return [[(buffered, "a row picked several times got the gradient of one pick only: gW[index] += grad (or = "
                            "grad) is buffered, each repeated index is written once and the last write wins. "
                            "np.add.at(gW, index, grad) adds every one")]]

    errors = [("out of bounds", "gW has W's shape, ctx.shape (grad has the picked rows' shape, index.shape + (D,)): "
                                "np.zeros(ctx.shape, grad.dtype)")]
    return check_op(op, Op(reference, cases, "indices with repeats, 1-d and 2-d", mistakes, exact_shape=True,
                           errors=errors))
