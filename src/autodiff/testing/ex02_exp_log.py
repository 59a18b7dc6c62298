"""Exercise 02's checkers: Exp.backward and Log.backward, elementwise VJPs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, exercise
from .opcheck import Op, check_op, unary_cases

WRITE = "write the rule yourself, with NumPy: grad times the derivative"
UNPACK = [("saved_tensors", "ctx.saved_tensors is a tuple, even of one array: (z,) = ctx.saved_tensors")]


@exercise("exp", write=WRITE)
def check_exp(op: Any) -> str:
    """z = exp(x): x̄ = z̄ ⊙ z."""
    def reference(x: Array, u: Array | None) -> tuple[Array, list[Array]]:
        return np.exp(x), None if u is None else [u * np.exp(x)]

    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "you multiplied grad by x; exp is its own derivative: multiply by z = exp(x), which "
                         "forward saved"),
                 (u * np.exp(z), "you took exp of z, but z is already exp(x): the derivative is z itself, grad * z"),
                 (np.exp(u), "you took exp of grad: the VJP multiplies grad by the derivative, grad * z")]]

    rng = np.random.default_rng(2)
    return check_op(op, Op(reference, unary_cases(rng, rng.standard_normal), "random shapes", mistakes, UNPACK,
                           exact_shape=True))


@exercise("log", write=WRITE)
def check_log(op: Any) -> str:
    """z = log(x): x̄ = z̄ / x."""
    def reference(x: Array, u: Array | None) -> tuple[Array, list[Array]]:
        return np.log(x), None if u is None else [u / x]

    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "you multiplied grad by x; d log(x)/dx = 1/x: divide grad by x"),
                 (u * z, "you multiplied grad by log(x), the output; d log(x)/dx = 1/x"),
                 (u / x**2, "d log(x)/dx is 1/x, not 1/x²"),
                 (-u / x**2, "−1/x² is the derivative of 1/x; d log(x)/dx = 1/x")]]

    rng = np.random.default_rng(3)
    return check_op(op, Op(reference, unary_cases(rng, lambda s: rng.uniform(0.5, 2.0, s)), "random shapes",
                           mistakes, UNPACK, exact_shape=True))
