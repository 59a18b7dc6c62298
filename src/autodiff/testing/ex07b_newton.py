"""Exercise 07b's checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Tensor, hessian
from autodiff import grad as grad_of

from .harness import Array, Wrong, _call, _compare, exercise


@exercise("newton")
def _newton(newton_step: Callable[[Callable[[Tensor], Tensor], Array], Any]) -> str:
    """07b: newton_step(f, x) = x - H⁻¹ g, with H and g from the package."""
    rng = np.random.default_rng(11)
    m = rng.standard_normal((3, 3))
    a, b = m @ m.T + 3 * np.eye(3), rng.standard_normal(3)  # a positive definite quadratic: ½ xᵀAx - bᵀx
    quadratic = lambda x: 0.5 * (x * (x @ a)).sum() - (x * b).sum()  # noqa: E731
    X, y = rng.standard_normal((50, 2)), rng.integers(0, 2, 50)
    A = np.c_[X, np.ones(50)]

    def logistic(w: Tensor) -> Tensor:
        p = (A @ w).sigmoid()
        return -np.where(y == 1, p, 1 - p).log().mean()

    for text, f, x, steps in [("a quadratic", quadratic, rng.standard_normal(3), 1), ("a logistic regression", logistic,
                                                                                     np.zeros(3), 5)]:
        for step in range(1, steps + 1):
            kept, g, H = x.copy(), grad_of(f)(x), hessian(f)(x)
            got = _call("newton_step", newton_step, f, x)
            if not np.array_equal(x, kept):
                raise Wrong("newton_step changed x in place: return a new array, x - d")
            want = x - np.linalg.solve(H, g)
            _compare(got, want, f"newton_step on {text}, step {step}", [
                (x + np.linalg.solve(H, g), "it moves to x + H⁻¹g, away from the minimum: the step is x - H⁻¹g"),
                (x - H @ g, "that is x - H g: you multiplied by H; Newton divides by it, np.linalg.solve(H, g) is H⁻¹g"),
                (x - g, "that is a gradient step, x - g: Newton's step uses the curvature, x - H⁻¹g"),
                (x - np.linalg.solve(H.T @ H, g), "you solved (HᵀH) d = g; solve H d = g"),
            ])
            x = want
    return "One step lands on the quadratic's minimum, and five steps on the logistic regression follow Newton's exactly."
