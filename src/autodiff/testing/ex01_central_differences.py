"""Exercise 01's checker: numerical_gradient(f, x, h) by central differences, one entry at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .harness import Wrong, compare, everything, exercise, index, learner

# (what, f, its exact gradient): plain NumPy, so the learner's f is an array in, a number out
FUNCTIONS = [
    ("f(x) = Σ x³", lambda x: float((x**3).sum()), lambda x: 3 * x**2),
    ("f(x) = Σ x·eˣ", lambda x: float((x * np.exp(x)).sum()), lambda x: (1 + x) * np.exp(x)),
    ("f(x) = log Σ x²", lambda x: float(np.log((x * x).sum())), lambda x: 2 * x / (x * x).sum()),
]


@exercise("central_differences", forbid=everything,
          write="write it yourself, with NumPy: nudge one entry of x at a time, both ways")
def check(numerical_gradient: Callable[..., Any]) -> str:
    rng = np.random.default_rng(0)
    # First a large step, where the central difference of Σ x³ is exactly 3x² + h²: the answer must use the h
    # it is given, and difference both ways (a one-sided one is 3x² ± 3xh + h²)
    x = rng.uniform(-2, 2, (2, 3))
    cube = FUNCTIONS[0][1]
    got = {h: _run(numerical_gradient, cube, x, h, f"numerical_gradient(f(x) = Σ x³, x, h={h}) at x of shape (2, 3)")
           for h in (0.1, 0.25)}
    if np.allclose(np.asarray(got[0.1], float), np.asarray(got[0.25], float), rtol=1e-4, atol=1e-6) and np.allclose(
            np.asarray(got[0.1], float), 3 * x**2, rtol=1e-2):
        raise Wrong("numerical_gradient(f(x) = Σ x³, x, h) at x of shape (2, 3) gives the same numbers for h = 0.1 "
                    "and h = 0.25, where the central differences, 3x² + h², differ by 0.0525: your function ignores "
                    "the h it is given (a step of its own?). Nudge by h")
    for h in (0.1, 0.25):
        what = f"numerical_gradient(f(x) = Σ x³, x, h={h}) at x of shape (2, 3)"
        _compare(got[h], 3 * x**2 + h**2, cube, x, h, what, rtol=1e-8, atol=1e-10, large=True)
    h = 1e-4
    for shape in [(3,), (2, 3), ()]:
        for text, f, exact in FUNCTIONS:
            x = np.array(rng.standard_normal(shape) + 0.5)  # an array even when 0-d
            what = f"numerical_gradient({text}, x, h={h}) at x of shape {shape}"
            got = _run(numerical_gradient, f, x, h, what)
            _compare(got, exact(x), f, x, h, what, rtol=1e-6, atol=1e-7)
    return ("Central differences agree with the exact gradient for 3 functions at 0-d, 1-d and 2-d x, and at "
            "h = 0.1 and 0.25 they are exactly (f(x + h e_k) − f(x − h e_k)) / 2h.")


def _run(numerical_gradient: Callable[..., Any], f: Callable[[np.ndarray], float], x: np.ndarray, h: float,
         what: str) -> Any:
    kept = x.copy()
    got = learner("numerical_gradient", numerical_gradient, f, x, h, returns=True,
                  hints=[("ndindex", "np.ndindex(x.shape) visits every index of x"),
                         ("[k]", "x may be 0-d (one number): np.ndindex(x.shape) visits every entry, whatever the "
                                 "shape, and x[k] with k = () is that entry")])
    if not np.array_equal(x, kept):
        at = index(x != kept)
        now, then = x[at], kept[at]
        raise Wrong(f"numerical_gradient changed x: at index {at} it is now {float(now)!r}, not {float(then)!r} "
                    f"(a difference of {abs(float(now) - float(then)):.2g})"
                    + (". Adding h and then taking it away again rounds: x + h - h is not always x. Save the entry "
                       "and put it back (old = x[k]; ...; x[k] = old), or nudge a copy"
                       if np.isclose(now, then, rtol=1e-12) else ": put each entry back after nudging it, or nudge a copy"))
    if np.shape(got) != x.shape:
        raise Wrong(f"{what} has shape {np.shape(got)}: the gradient has one entry per entry of x "
                    "(start from np.zeros_like(x))")
    if isinstance(got, np.ndarray) and got.dtype == np.float32:
        raise Wrong(f"{what} is float32, for a float64 x: keep x's dtype. f(x + h) − f(x − h) cancels most of the "
                    "digits, and float32 has only 7 to lose")
    return got


def _compare(got: Any, want: np.ndarray, f: Callable[[np.ndarray], float], x: np.ndarray, h: float, what: str,
             rtol: float, atol: float, large: bool = False) -> None:
    shape = x.shape
    steps = [np.eye(x.size).reshape((x.size,) + shape)[k] * h for k in range(x.size)]
    prefix = [sum(steps[: k + 1]) for k in range(x.size)]
    one_sided = np.array([(f(x + e) - f(x)) / h for e in steps]).reshape(shape)
    back = np.array([(f(x) - f(x - e)) / h for e in steps]).reshape(shape)
    along_ones = np.full(shape, (f(x + h) - f(x - h)) / (2 * h))
    accumulated = np.array([(f(x + e) - f(x - e)) / (2 * h) for e in prefix]).reshape(shape)
    rows = np.broadcast_to(want.sum(axis=-1, keepdims=True), shape) if x.ndim > 1 else None
    exact = 3 * x**2 if large else None
    compare(got, want, what, rtol=rtol, atol=atol, mistakes=[
        (exact, f"that is 3x², the exact derivative, but at h = {h} the central difference is 3x² + h²: your "
                "function ignores the h it is given (a step of its own?). Nudge by h"),
        (rows, "every entry of a row is the same number, the slope along that whole row: with an integer k, "
               "x[k] is a row of a 2-d x. Loop over np.ndindex(x.shape), whose k are full indices (i, j)"),
        (one_sided, "that is the one-sided difference (f(x + h) − f(x)) / h, whose error shrinks only like h: "
                    "use (f(x + h) − f(x − h)) / 2h"),
        (back, "that is the one-sided difference (f(x) − f(x − h)) / h, whose error shrinks only like h: "
               "use (f(x + h) − f(x − h)) / 2h"),
        (along_ones if x.size > 1 else None, "every entry is the same number, the slope along (1, 1, …): "
         "nudge one entry at a time (x + h·e_k), not all of x at once"),
        (accumulated if x.size > 1 else None, "entry k nudged entries 0 to k together: the step vector kept the "
         "1s of the earlier entries. Reset it after each entry (step[k] = 0), or make a new one"),
    ], factor=lambda c: "/ 2 * h divides by 2, then multiplies by h: write / (2 * h)" if np.isclose(c, h * h) else
        {2.0: "did you divide by h instead of 2h?", 0.5: "did you divide by 4h? From x − h to x + h is 2h"}.get(round(c, 6)))
