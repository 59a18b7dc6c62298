"""Exercise 03c's checker."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import ops

from .harness import Array, Mistakes, _try, exercise
from .opcheck import _Case, _check_op


@exercise("matmul")
def _matmul(op: Any) -> str:
    """03: MatMul.backward for matrices and stacks of them."""
    rng = np.random.default_rng(6)

    def case(sx: tuple[int, ...], sy: tuple[int, ...], needs: tuple[bool, bool] = (True, True)) -> _Case:
        return _Case([rng.standard_normal(sx), rng.standard_normal(sy)], needs)

    cases = [case((3, 3), (3, 3)), case((2, 3), (3, 4)), case((2, 3), (3, 4), (True, False)),
             case((2, 3), (3, 4), (False, True)), case((5, 2, 3), (3, 4)), case((2, 3), (5, 3, 4)),
             case((5, 2, 3), (5, 3, 4)), case((4, 1, 2, 3), (5, 3, 2))]

    def mistakes(x: Array, y: Array, u: Array, z: Array) -> list[Mistakes]:
        t = "`.T` reverses every axis, batch axes too: transpose each matrix with .swapaxes(-1, -2)"
        return [[(_try(lambda: u @ y), "did you forget the transpose? X̄ = G Yᵀ"), (_try(lambda: u @ y.T), t)],
                [(_try(lambda: x @ u), "did you forget the transpose? Ȳ = Xᵀ G"), (_try(lambda: x.T @ u), t)]]

    hints = [(".T", "`.T` reverses every axis, so on a stack of matrices it moves the batch axes too: transpose "
                    "each matrix with .swapaxes(-1, -2)")]
    return _check_op(op, ops.MatMul.apply, cases, "pairs of shapes, stacks and broadcast batches included",
                     mistakes, hints)

