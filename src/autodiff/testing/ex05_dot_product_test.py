"""Exercise 05's checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Tensor, jvp, ops, vjp

from .harness import Array, Wrong, _call, _compare, exercise


@exercise("dot_product_test")
def _dot_product_test(test: Callable[..., Any]) -> str:
    """05: dot_product_test(f, x, u, v) -> (<Jᵀu, v> by backward, <u, Jv> by central differences)."""
    rng = np.random.default_rng(9)
    W = rng.standard_normal((4, 2))
    f = lambda x: (x @ W).tanh()  # noqa: E731
    x0, u, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 2)), rng.standard_normal((3, 4))
    _, pull = vjp(f, x0)
    by_backward = float(np.vdot(pull(u)[0], v))
    by_jvp = float(np.vdot(u, jvp(f, (x0,), (v,))[1]))
    ones = float(np.vdot(pull(np.ones_like(u))[0], v))

    def numbers(f: Callable[[Tensor], Tensor], x: Tensor) -> tuple[float, float]:
        kept = x.data.copy()
        got = _call("dot_product_test", test, f, x, u, v, hints=[("vdot", "np.vdot(a, b) takes two arrays of one "
                    "size: x.grad has x's shape, as v has; f(x) has u's shape")])
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise Wrong(f"dot_product_test returned {got!r}: return two numbers, (<Jᵀu, v>, <u, Jv>)")
        if not np.array_equal(x.data, kept):
            raise Wrong("dot_product_test changed x.data: step away from x in a new Tensor (Tensor(x.data + h * v))")
        return float(np.asarray(got[0])), float(np.asarray(got[1]))

    first, second = numbers(f, Tensor(x0, requires_grad=True))
    _compare(np.asarray(first), np.asarray(by_backward), "the first number, <Jᵀu, v> by backward", [
        (np.asarray(ones), "that is <Jᵀ1, v>: out.sum().backward() seeds with ones; pass the cotangent: out.backward(u)")])
    _compare(np.asarray(second), np.asarray(by_jvp), "the second number, <u, Jv> by central differences",
             rtol=1e-5, atol=1e-8,
             factor=lambda c: {2.0: "did you divide by h instead of 2h?", 0.5: "did you divide by 4h?"}.get(round(c, 4)))
    x = Tensor(x0, requires_grad=True)
    once, twice = numbers(f, x)[0], numbers(f, x)[0]
    if np.isclose(twice, 2 * once):
        raise Wrong(f"called twice on the same x, your first number doubled ({once:.6g}, then {twice:.6g}): backward "
                    "adds into x.grad. Start from x.grad = None (what zero_grad does), or differentiate a fresh leaf")
    if not np.isclose(twice, once, rtol=1e-9):
        raise Wrong(f"called twice on the same x, your first number changed ({once:.6g}, then {twice:.6g})")
    first, second = numbers(lambda x: _HalfExp.apply(x @ W), Tensor(x0, requires_grad=True))
    if np.isclose(first, second, rtol=1e-4):
        raise Wrong(f"on an op whose backward is half the truth, your two numbers agree ({first:.6g} and {second:.6g}), "
                    "so your test cannot catch it: take the first from one backward (x.grad), the second from f alone")
    return "Both numbers are right, the test survives being called twice, and it catches a backward off by a factor of 2."


class _HalfExp(ops.Exp):
    """exp, with a backward half the truth: a test that passes it is no test."""

    def backward(ctx, grad: Array) -> Array:
        return ops.Exp.backward(ctx, grad) / 2

