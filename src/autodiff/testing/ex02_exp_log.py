"""Exercise 02's checker."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import ops

from .harness import Array, Mistakes, exercise
from .opcheck import _check_op, _unary_cases


@exercise("exp")
def _exp(op: Any) -> str:
    """02: Exp.backward, z = exp(x)."""
    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "you multiplied grad by x; exp is its own derivative: multiply by z = exp(x), which "
                         "forward saved"),
                 (np.exp(u), "you took exp of grad: the VJP multiplies grad by the derivative, grad * z")]]

    rng = np.random.default_rng(2)
    return _check_op(op, ops.Exp.apply, _unary_cases(rng, rng.standard_normal), "random shapes", mistakes)


@exercise("log")
def _log(op: Any) -> str:
    """02: Log.backward, z = log(x)."""
    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "you multiplied grad by x; d log(x)/dx = 1/x: divide grad by x"),
                 (u * z, "you multiplied grad by log(x), the output; d log(x)/dx = 1/x"),
                 (u / x**2, "d log(x)/dx is 1/x, not 1/x²")]]

    rng = np.random.default_rng(3)
    return _check_op(op, ops.Log.apply, _unary_cases(rng, lambda s: rng.uniform(0.5, 2.0, s)), "random shapes", mistakes)

