"""Exercise 03b's checker: Div.backward, with ctx.needs_input_grad and broadcasting."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, exercise
from .opcheck import Case, Op, check_op, shape, shrunk, sum_to


@exercise("div", write="write the rule yourself, with NumPy")
def check(op: Any) -> str:
    rng = np.random.default_rng(5)

    def away(s: tuple[int, ...]) -> Array:  # a divisor away from zero
        return rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s)

    def case(sx: tuple[int, ...], sy: tuple[int, ...], needs: tuple[bool, bool] = (True, True)) -> Case:
        return Case([rng.standard_normal(sx), away(sy)], needs)

    cases = [case((2, 3), (2, 3)), case((2, 3), (2, 3), (True, False)), case((3,), (3,), (False, True)),
             case((2, 3), (3,)), case((4, 1), (1, 3)), case((3,), (2, 3), (False, True))]
    for _ in range(3):
        out = shape(rng, int(rng.integers(1, 4)))
        cases.append(case(shrunk(rng, out), shrunk(rng, out)))

    def reference(x: Array, y: Array, u: Array | None) -> tuple[Array, list[Array]]:
        if u is None:
            return x / y, None
        return x / y, [sum_to(u / y, x.shape), sum_to(-u * x / y**2, y.shape)]

    def mistakes(x: Array, y: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * y, "you multiplied grad by y; ∂(x/y)/∂x = 1/y: divide"),
                 (-u * x / y**2, "that is ȳ, the gradient of y: are the two swapped? x̄ = z̄ / y")],
                [(u * x / y**2, "∂(x/y)/∂y = −x/y²: the sign is minus"),
                 (-u / y**2, "∂(x/y)/∂y = −x/y²: the factor x is missing"),
                 (-u * x / y, "∂(x/y)/∂y = −x/y²: y squared"),
                 (u / y, "that is x̄, the gradient of x: are the two swapped? ȳ = −z̄ x / y²")]]

    return check_op(op, Op(reference, cases, "pairs of shapes, broadcasting and constants included", mistakes,
                           strict=True))
