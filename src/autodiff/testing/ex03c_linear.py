"""Exercise 03c's checker: Linear.backward, z = x Wᵀ + b as torch.nn.functional.linear, for stacks of x."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, attempt, exercise
from .opcheck import Case, Op, check_op


@exercise("linear", write="write the rule yourself, with NumPy products")
def check(op: Any) -> str:
    rng = np.random.default_rng(6)

    def case(sx: tuple[int, ...], out: int, needs: tuple[bool, bool, bool] = (True, True, True)) -> Case:
        n = sx[-1]
        return Case([rng.standard_normal(sx), rng.standard_normal((out, n)), rng.standard_normal(out)], needs)

    cases = [case((3, 3), 3), case((4, 3), 2), case((4, 3), 2, (False, True, True)), case((4, 3), 2, (True, False, False)),
             case((5, 4, 3), 2), case((2, 5, 4, 3), 3), case((5, 4, 3), 4, (False, True, True)), case((1, 2), 2)]

    def reference(x: Array, w: Array, b: Array, u: Array | None) -> tuple[Array, list[Array]]:
        z = x @ w.T + b
        if u is None:
            return z, None
        flat_u, flat_x = u.reshape(-1, u.shape[-1]), x.reshape(-1, x.shape[-1])
        return z, [u @ w, flat_u.T @ flat_x, flat_u.sum(axis=0)]

    def mistakes(x: Array, w: Array, b: Array, u: Array, z: Array) -> list[Mistakes]:
        t = "`.T` reverses every axis, batch axes too: transpose each matrix of a stack with .swapaxes(-1, -2)"
        flat_u, flat_x = u.reshape(-1, u.shape[-1]), x.reshape(-1, x.shape[-1])
        return [[(attempt(lambda: u @ w.T), "x̄ = z̄ W: W has shape (out, in), so no transpose (it is the transpose "
                                            "that z = x Wᵀ + b applied)")],
                [(attempt(lambda: flat_x.T @ flat_u), "that is Wᵀ's gradient, (in, out): W̄ = z̄ᵀ x, of W's shape "
                                                      "(out, in)"),
                 (attempt(lambda: u.T @ x), t), (attempt(lambda: u[0].T @ x[0]) if u.ndim > 2 else None,
                                                 "that is the first matrix of the stack's share only: every matrix "
                                                 "of the stack uses W, so W̄ adds up their shares"),
                 (attempt(lambda: (flat_u.T @ flat_x) / len(flat_u)), "did you average over the batch? Every row "
                                                                     "uses W: W̄ adds their shares up")],
                [(attempt(lambda: flat_u.mean(axis=0)), "did you average over the batch? Every row adds b: b̄ adds "
                                                        "their shares up, z̄ summed over every axis but the last"),
                 (attempt(lambda: u.sum(axis=-1)), "you summed over the last axis, the output's features; b̄ has one "
                                                   "entry per feature: sum over every other axis")]]

    stack = ("`.T` reverses every axis, so on a stack of x it moves the batch axes too: transpose each matrix "
             "with .swapaxes(-1, -2), or flatten the batch axes first with reshape(-1, n)")
    hints = [("grad.T", stack), ("x.T", stack)]
    return check_op(op, Op(reference, cases, "shapes, stacks of x and constants included", mistakes, hints,
                           strict=True, extra_axes=1))
