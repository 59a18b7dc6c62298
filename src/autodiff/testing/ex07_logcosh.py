"""Exercise 07's checker: LogCosh as a Function, forward and backward, finite for any x in float64 and float32."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, exercise
from .opcheck import Case, Op, check_op, unary_cases

OVERFLOW = ("an overflow: cosh x, and eˣ, are inf past |x| ≈ 710 in float64 and ≈ 89 in float32 (sinh x / cosh x is "
            "then inf / inf, nan). log cosh x = |x| + log1p(e^(−2|x|)) − log 2 never forms them (np.logaddexp(x, −x) "
            "− log 2 neither), and tanh x is np.tanh(x)")


@exercise("logcosh", write="write it yourself, with NumPy")
def check(op: Any) -> str:
    rng = np.random.default_rng(11)

    def large(n: int, low: float, high: float, s: tuple[int, ...]) -> Array:
        return rng.choice([-1.0, 1.0], s) * rng.uniform(low, high, s)

    cases = unary_cases(rng, lambda s: 3 * rng.standard_normal(s))
    cases += [Case([large(1, 30, 1000, (3, 4))], (True,), label="(large |x|)"),
              Case([np.array([0.0, 1e-8, -1e-8, 20.0, -20.0])], (True,), label="(near 0 and ±20)")]
    single = [Case([large(1, 10, 1000, (2, 5))], (True,), label="(large |x|)"),
              Case([3 * rng.standard_normal((3, 3))], (True,))]

    def reference(x: Array, u: Array | None) -> tuple[Array, list[Array]]:
        z = np.logaddexp(x, -x) - np.log(2.0)
        return z, None if u is None else [u * np.tanh(x)]

    def forward_mistakes(x: Array) -> Mistakes:
        z = np.logaddexp(x, -x) - np.log(2.0)
        return [(z + np.log(2.0), "it is log(cosh x) + log 2: cosh x = (eˣ + e⁻ˣ) / 2, so subtract log 2 "
                                  "(log cosh 0 = 0)"),
                (np.abs(x), "|x| is log cosh x only for large |x| (less log 2): near 0, log cosh x ≈ x²/2")]

    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        with np.errstate(all="ignore"):
            return [[(u * (1 - np.tanh(x) ** 2), "that is the derivative of tanh; d log cosh(x)/dx = "
                                                 "sinh x / cosh x = tanh x"),
                     (u * np.sinh(x), "d log cosh(x)/dx = sinh x / cosh x: divide by cosh x (that is tanh x)"),
                     (u / np.cosh(x), "d log cosh(x)/dx = sinh x / cosh x = tanh x, not 1 / cosh x"),
                     (u * np.tanh(z), "tanh of the output z: the derivative is tanh of the input, x "
                                      "(ctx.save_for_backward(x) in forward)")]]

    return check_op(op, Op(reference, cases, "random shapes, large |x| included", mistakes, exact_shape=True,
                           overflow=OVERFLOW, methods=("forward", "backward"), float32=single,
                           forward_mistakes=forward_mistakes)) + " It stays finite and right at large |x|, in both."
