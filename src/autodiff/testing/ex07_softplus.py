"""Exercise 07's checker."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

from .harness import Array, Mistakes, _call, _compare, exercise
from .opcheck import _check_op, _unary_cases


@exercise("softplus")
def _softplus(op: Any) -> str:
    """07: Softplus as a Function: forward, backward, and finite at ±1000."""
    rng = np.random.default_rng(11)

    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        s = 1 / (1 + np.exp(-x))
        return [[(u * (1 - s), "that is σ(−x) = 1 − σ(x); d softplus(x)/dx = σ(x) = 1 / (1 + e⁻ˣ)"),
                 (u * np.exp(x), "eˣ is the derivative of exp; d/dx log(1 + eˣ) = eˣ / (1 + eˣ) = σ(x)")]]

    overflow = ("an overflow: log(1 + eˣ) and eˣ / (1 + eˣ) both form eˣ, which is inf past x ≈ 709. "
                "np.logaddexp(0, x) is log(e⁰ + eˣ) without forming eˣ, and σ(x) = exp(−logaddexp(0, −x))")
    done = _check_op(op, lambda x: (x.exp() + 1.0).log(), _unary_cases(rng, lambda s: 3 * rng.standard_normal(s)),
                     "random shapes", mistakes, overflow=overflow)
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    out = _call(f"{op.__name__}.forward", op.apply, x)
    _compare(out.data, np.array([0.0, np.log(2.0), 1000.0]), f"{op.__name__}.forward at x = -1000, 0, 1000",
             overflow=overflow)
    _call(f"{op.__name__}.backward", out.backward, np.ones(3))
    _compare(x.grad, np.array([0.0, 0.5, 1.0]), f"{op.__name__}.backward at x = -1000, 0, 1000", overflow=overflow)
    return done + " It stays finite at x = ±1000."

