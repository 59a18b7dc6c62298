"""Exercise 03b's checker."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import ops

from .harness import Array, Mistakes, exercise
from .opcheck import _binary_cases, _check_op


@exercise("mul")
def _mul(op: Any) -> str:
    """03: Mul.backward with ctx.needs_input_grad."""
    def mistakes(x: Array, y: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "dz/dx = y: multiply grad by y, not x (are the two gradients swapped?)")],
                [(u * y, "dz/dy = x: multiply grad by x, not y (are the two gradients swapped?)")]]

    return _check_op(op, ops.Mul.apply, _binary_cases(np.random.default_rng(5)), "pairs of shapes, broadcasting "
                     "and constants included", mistakes, strict=True)

