"""Exercise 05's checker: dot_product_test(f, x, u, v, h) -> (<Jᵀu, v> by backward, <u, Jv> by differences)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff
from autodiff import Function, Tensor

from .harness import Array, Wrong, compare, exercise, learner, these

ERRORS = [("'numpy.ndarray' object has no attribute", "f takes a Tensor and returns one: f(Tensor(x.data + h * v)), "
                                                      "not f(x.data + h * v); its values are .data")]
HINTS = [("vdot", "np.vdot(a, b) takes two arrays of one size: x.grad has x's shape, as v has; f(x) has u's shape")]


class _HalfExp(Function):
    """exp, with a backward half the truth: a test that passes it is no test."""

    def forward(ctx, x: Array) -> Array:
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * z / 2


@exercise("dot_product_test", forbid=these(autodiff.gradcheck, autodiff.jvp, autodiff.hvp, getattr(autodiff, "forward", None)),
          write="write the test yourself: one backward for the first number, two forwards of f for the second")
def check(test: Callable[..., Any]) -> str:
    rng = np.random.default_rng(9)
    W = rng.standard_normal((4, 2))
    f = lambda x: (x @ W).tanh()  # noqa: E731
    x0, u, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 2)), rng.standard_normal((3, 4))
    slope = 1 - np.tanh(x0 @ W) ** 2
    Jv = slope * (v @ W)
    by_backward, by_differences = float(np.vdot((slope * u) @ W.T, v)), float(np.vdot(u, Jv))
    ones = float(np.vdot(slope @ W.T, v))

    def numbers(f: Callable[[Tensor], Tensor], x: Tensor, u: Array, v: Array, **h: float) -> tuple[float, float]:
        kept = x.data.copy()
        got = learner("dot_product_test", test, f, x, u, v, returns=True, hints=HINTS, errors=ERRORS, **h)
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise Wrong(f"dot_product_test returned {got!r}: return two numbers, (<Jᵀu, v>, <u, Jv>)")
        if not np.array_equal(x.data, kept):
            raise Wrong("dot_product_test changed x.data: step away from x in a new Tensor (Tensor(x.data + h * v))")
        if any(np.size(getattr(n, "data", n)) != 1 for n in got):
            raise Wrong(f"dot_product_test returned {got!r}: return two numbers, each a dot product (np.vdot)")
        return float(np.asarray(getattr(got[0], "data", got[0]))), float(np.asarray(getattr(got[1], "data", got[1])))

    first, second = numbers(f, Tensor(x0, requires_grad=True), u, v)
    compare(first, by_backward, "the first number, <Jᵀu, v> by backward", [
        (ones, "that is <Jᵀ1, v>: out.sum().backward() seeds with ones; pass the cotangent: out.backward(u)")])
    compare(second, by_differences, "the second number, <u, Jv> by central differences", [
        (Jv.sum(), "that is Σ Jv, the differences summed without u: <u, Jv> weighs them by u, np.vdot(u, ...)")],
        rtol=1e-5, atol=1e-8,
        factor=lambda c: {2.0: "did you divide by h instead of 2h?", 0.5: "did you divide by 4h?"}.get(round(c, 4)))
    # A large step on f(x) = x³, where the central difference along v is exactly 3x²v + h²v³: the test must use
    # the h it is given, and difference both ways (a one-sided one adds ±3xhv²)
    cube = lambda x: x * x * x  # noqa: E731
    h = 0.1
    w = rng.standard_normal(x0.shape)  # the cotangent: x³ keeps x's shape
    first, second = numbers(cube, Tensor(x0, requires_grad=True), w, v, h=h)
    want = float(np.vdot(w, 3 * x0**2 * v + h**2 * v**3))
    what = f"with h = {h} on f(x) = x³, the second number"
    compare(second, want, what, [
        (np.vdot(w, 3 * x0**2 * v), f"that is <u, Jv> itself, but at h = {h} the central difference is "
                                    "<u, 3x²v + h²v³>: your test ignores the h it is given (a step of its own?)"),
        (np.vdot(w, 3 * x0**2 * v + 3 * x0 * h * v**2 + h**2 * v**3), "that is the one-sided difference "
         "(f(x + hv) − f(x)) / h, whose error shrinks only like h: use (f(x + hv) − f(x − hv)) / 2h"),
        (np.vdot(w, 3 * x0**2 * v - 3 * x0 * h * v**2 + h**2 * v**3), "that is the one-sided difference "
         "(f(x) − f(x − hv)) / h, whose error shrinks only like h: use (f(x + hv) − f(x − hv)) / 2h")],
        rtol=1e-9, atol=1e-12)
    x = Tensor(x0, requires_grad=True)
    once, twice = numbers(f, x, u, v)[0], numbers(f, x, u, v)[0]
    if np.isclose(twice, 2 * once):
        raise Wrong(f"called twice on the same x, your first number doubled ({once:.6g}, then {twice:.6g}): backward "
                    "adds into x.grad. Start from x.grad = None (what zero_grad does), or differentiate a fresh leaf")
    if not np.isclose(twice, once, rtol=1e-9):
        raise Wrong(f"called twice on the same x, your first number changed ({once:.6g}, then {twice:.6g})")
    first, second = numbers(lambda x: _HalfExp.apply(x @ W), Tensor(x0, requires_grad=True), u, v)
    if np.isclose(first, second, rtol=1e-4):
        raise Wrong(f"on an op whose backward is half the truth, your two numbers agree ({first:.6g} and {second:.6g}), "
                    "so your test cannot catch it: take the first from one backward (x.grad), the second from f alone")
    return ("Both numbers are right, the differences are central with the h given, the test survives being called "
            "twice, and it catches a backward off by a factor of 2.")
