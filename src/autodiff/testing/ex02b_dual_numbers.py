"""Exercise 02b's checker: dual numbers (Dual, log, tanh) and a forward sweep per input (partials)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .harness import Wrong, compare, everything, exercise, learner

ERRORS = [("object has no attribute 'primal'", "a plain number is a dual number whose tangent is 0: wrap it first, "
                                                "other = other if isinstance(other, Dual) else Dual(other, 0.0)"),
          ("object has no attribute 'tangent'", "a plain number is a dual number whose tangent is 0: wrap it first, "
                                                 "other = other if isinstance(other, Dual) else Dual(other, 0.0)"),
          ("unsupported operand", "a Dual needs each of +, −, * both ways round: __add__ for d + 2, __radd__ for "
                                  "2 + d (Python calls it when the left operand does not know a Dual)")]


def _sech2(v: float) -> float:
    return 1 - math.tanh(v) ** 2


@exercise("dual_numbers", forbid=everything,
          write="write the arithmetic of dual numbers yourself: a value and a tangent, pushed through each operation")
def check(Dual: Any, log: Callable[[Any], Any], tanh: Callable[[Any], Any], partials: Callable[..., Any]) -> str:
    rng = np.random.default_rng(16)
    a_v, a_t, b_v, b_t = (float(v) for v in rng.uniform(0.5, 2.0, 4))
    if not isinstance(Dual, type):
        raise Wrong(f"expected your Dual class, got {Dual!r}")

    def dual(v: float, t: float) -> Any:
        return learner("Dual(primal, tangent)", Dual, v, t, returns=True)

    # (what, how, its value, its tangent): each operation alone, on Duals and with plain numbers
    ops: list[tuple[str, Callable[[Any, Any], Any], float, float]] = [
        ("a + b", lambda a, b: a + b, a_v + b_v, a_t + b_t),
        ("a + 2.0", lambda a, b: a + 2.0, a_v + 2.0, a_t),
        ("2.0 + a", lambda a, b: 2.0 + a, a_v + 2.0, a_t),
        ("a - b", lambda a, b: a - b, a_v - b_v, a_t - b_t),
        ("a - 3.0", lambda a, b: a - 3.0, a_v - 3.0, a_t),
        ("3.0 - a", lambda a, b: 3.0 - a, 3.0 - a_v, -a_t),
        ("a * b", lambda a, b: a * b, a_v * b_v, a_t * b_v + a_v * b_t),
        ("a * 2.5", lambda a, b: a * 2.5, 2.5 * a_v, 2.5 * a_t),
        ("2.5 * a", lambda a, b: 2.5 * a, 2.5 * a_v, 2.5 * a_t),
        ("log(a)", lambda a, b: log(a), math.log(a_v), a_t / a_v),
        ("tanh(a)", lambda a, b: tanh(a), math.tanh(a_v), a_t * _sech2(a_v)),
    ]
    wrong = {"a * b": [(a_t * b_t, "the product's tangent is a.tangent·b.primal + a.primal·b.tangent: the product "
                                   "rule. ε² = 0 drops a.tangent·b.tangent")],
             "3.0 - a": [(a_t, "3.0 − a came out as a − 3.0's tangent: Python calls a.__rsub__(3.0) for 3.0 − a, "
                               "which is other − self")],
             "log(a)": [(1 / a_v, "you forgot the chain rule: the tangent of log(a) is a.tangent / a.primal"),
                        (a_t * math.log(a_v), "the derivative of log is 1/x: a.tangent / a.primal")],
             "tanh(a)": [(_sech2(a_v), "you forgot the chain rule: the tangent of tanh(a) is a.tangent · (1 − tanh² a)"),
                         (a_t * (1 + math.tanh(a_v) ** 2), "the derivative of tanh is 1 − tanh², not 1 + tanh²"),
                         (a_t * math.tanh(a_v), "tanh's derivative is 1 − tanh²(a), not tanh(a)")]}
    for what, how, value, tangent in ops:
        a, b = dual(a_v, a_t), dual(b_v, b_t)
        got = learner(f"{what}, with a = Dual({a_v:.4g}, {a_t:.4g}) and b = Dual({b_v:.4g}, {b_t:.4g}),", how, a, b,
                      returns=True, errors=ERRORS)
        where = f"{what} with a = Dual({a_v:.4g}, {a_t:.4g}), b = Dual({b_v:.4g}, {b_t:.4g})"
        if not isinstance(got, Dual):
            raise Wrong(f"{where} is {got!r}, not a Dual: every operation returns a new Dual, its primal and its "
                        "tangent")
        if (a.primal, a.tangent) != (a_v, a_t):
            raise Wrong(f"{where} changed a: a is now Dual({a.primal!r}, {a.tangent!r}); return a new Dual")
        compare(got.primal, value, f"the primal of {where}", [(a_v - 3.0, "3.0 − a came out as a − 3.0: Python "
                "calls a.__rsub__(3.0) for 3.0 − a, which is other − self")] if what == "3.0 - a" else [])
        compare(got.tangent, tangent, f"the tangent of {where}", wrong.get(what, []))
    # the sweep: deck 02's trace, then functions of three inputs, at random points
    functions: list[tuple[str, Callable[..., Any], Callable[..., list[float]]]] = [
        ("deck 02's trace y = log x1 + x1 x2 − tanh x2", lambda x1, x2: log(x1) + x1 * x2 - tanh(x2),
         lambda x1, x2: [1 / x1 + x2, x1 - _sech2(x2)]),
        ("f = x1 x2 x3 − log(x1) + tanh(x2 x3)", lambda x1, x2, x3: x1 * x2 * x3 - log(x1) + tanh(x2 * x3),
         lambda x1, x2, x3: [x2 * x3 - 1 / x1, x1 * x3 + x3 * _sech2(x2 * x3), x1 * x2 + x2 * _sech2(x2 * x3)]),
        ("f = 2 − x1 (x3 − x2) + 3 x1", lambda x1, x2, x3: 2.0 - x1 * (x3 - x2) + 3.0 * x1,
         lambda x1, x2, x3: [-(x3 - x2) + 3.0, x1, -x1]),
    ]
    points = [[2.0, 5.0]] + [[float(v) for v in rng.uniform(0.5, 2.0, 3)] for _ in range(2)]
    for (text, f, exact), xs in zip(functions, points):
        kept = list(xs)
        got = learner("partials", partials, f, xs, returns=True, errors=ERRORS)
        if xs != kept:
            raise Wrong("partials changed the list xs: build the Duals in a new list")
        where = f"partials({text}) at x = {xs}"
        if isinstance(got, Dual) or any(isinstance(g, Dual) for g in np.ravel(np.asarray(got, dtype=object))):
            raise Wrong(f"{where} holds Duals: return the numbers, each sweep's output tangent (y.tangent)")
        want = exact(*xs)
        sums = [sum(want)] * len(xs)
        close = np.allclose(np.asarray(got, dtype=float), want, rtol=1e-5)
        if close and not np.allclose(np.asarray(got, dtype=float), want, rtol=1e-10, atol=1e-12):
            raise Wrong(f"{where} is {list(np.asarray(got, dtype=float))}, close to {want} but not equal: finite "
                        "differences? A sweep with dual numbers is exact: tangent 1 on x_k, 0 on the others, and the "
                        "output's tangent is ∂f/∂x_k")
        compare(np.asarray(got, dtype=float), np.array(want), where, [
            (np.array(sums), "every entry is the sum of all the partials: you seeded every input with tangent 1 in "
                             "one sweep. Seed one input at a time: tangent 1 on x_k, 0 on the others, one sweep per "
                             "input")], rtol=1e-10, atol=1e-12)
    exact = functions[0][2](2.0, 5.0)
    return (f"Each operation carries its tangent, and one sweep per input gives deck 02's partials at (2, 5), "
            f"∂y/∂x1 = {exact[0]:.6g} and ∂y/∂x2 = {exact[1]:.6g}, and those of two more functions.")
