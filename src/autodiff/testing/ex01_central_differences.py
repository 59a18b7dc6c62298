"""Exercise 01's checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Tensor
from autodiff import grad as grad_of

from .harness import Wrong, _call, _compare, _index, exercise


@exercise("central_differences")
def _central_differences(numerical_gradient: Callable[..., Any]) -> str:
    """01: numerical_gradient(f, x, h) by central differences, one entry at a time."""
    rng = np.random.default_rng(0)
    functions = [("f(x) = Σ x³", lambda x: (x * x * x).sum()),
                 ("f(x) = Σ x·eˣ", lambda x: (x * x.exp()).sum()),
                 ("f(x) = log Σ x²", lambda x: (x * x).sum().log())]
    h = 1e-4
    for shape in [(3,), (2, 3), ()]:
        for text, fn in functions:
            x = np.array(rng.standard_normal(shape) + 0.5)  # an array even when 0-d
            f = lambda a: float(fn(Tensor(a)).data)  # noqa: E731  (the learner's f: an array in, a number out)
            kept = x.copy()
            got = _call("numerical_gradient", numerical_gradient, f, x, h)
            if not np.array_equal(x, kept):
                at = _index(x != kept)
                raise Wrong(f"numerical_gradient changed x (at index {at} it is now {x[at]:.6g}, not {kept[at]:.6g}): "
                            "put each entry back after nudging it, or nudge a copy")
            steps = [np.eye(x.size).reshape((x.size,) + shape)[k] * h for k in range(x.size)]
            one_sided = np.array([(f(x + e) - f(x)) / h for e in steps]).reshape(shape)
            back = np.array([(f(x) - f(x - e)) / h for e in steps]).reshape(shape)
            along_ones = np.full(shape, (f(x + h) - f(x - h)) / (2 * h))
            what = f"numerical_gradient({text}) at x of shape {shape}"
            if np.shape(got) != shape:
                raise Wrong(f"{what} has shape {np.shape(got)}: the gradient has one entry per entry of x "
                            "(start from np.zeros_like(x))")
            want = grad_of(fn)(x)
            rows = np.broadcast_to(want.sum(axis=-1, keepdims=True), shape) if x.ndim > 1 else None
            _compare(got, want, what, rtol=1e-6, atol=1e-7, mistakes=[
                (rows, "every entry of a row is the same number, the slope along that whole row: with an integer k, "
                       "x[k] is a row of a 2-d x. Loop over np.ndindex(x.shape), whose k are full indices (i, j)"),
                (one_sided, "that is the one-sided difference (f(x + h) − f(x)) / h, whose error shrinks only like h: "
                            "use (f(x + h) − f(x − h)) / 2h"),
                (back, "that is the one-sided difference (f(x) − f(x − h)) / h, whose error shrinks only like h: "
                       "use (f(x + h) − f(x − h)) / 2h"),
                (along_ones if x.size > 1 else None, "every entry is the same number, the slope along (1, 1, …): "
                 "nudge one entry at a time (x + h·e_k), not all of x at once"),
            ], factor=lambda c: {2.0: "did you divide by h instead of 2h?",
                                 0.5: "did you divide by 4h? From x − h to x + h is 2h"}.get(round(c, 6)))
    return "Central differences agree with the exact gradient (by autodiff) for 3 functions at 0-d, 1-d and 2-d x."

