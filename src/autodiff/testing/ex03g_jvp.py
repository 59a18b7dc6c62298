"""Exercise 03g's checkers: forward mode's rules, Div.jvp and LogSumExp.jvp (J times a tangent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Tensor

from .harness import Array, Mistakes, Wrong, as_array, attempt, compare, exercise, learner, own_class
from .opcheck import Case, Op, forward

WRITE = "write the rule yourself, with NumPy: the derivative applied to the tangents"


def _check_jvp(op: Any, cases: list[Case], rule: Callable[..., Array], mistakes: Callable[..., Mistakes],
               hints: list[tuple[str, str]] = ()) -> int:
    """Run op's jvp on every case, in float64 and (the last case) float32, against `rule`."""
    own_class(op, "Function", ("jvp",))
    name, rng = op.__name__, np.random.default_rng(1)
    for k, case in enumerate(cases + cases[-1:]):
        dtype = np.float32 if k == len(cases) else np.float64
        where = f"{case}" + (" in float32" if dtype == np.float32 else "")
        leaves = [Tensor(a, requires_grad=True, dtype=dtype) for a in case.arrays]
        out = forward(op, Op(lambda *a, **p: (None, None), [case], ""), case, leaves)
        tangents = [rng.standard_normal(a.shape).astype(dtype) for a in case.arrays]
        kept = [t.copy() for t in tangents]
        arrays = [a.astype(dtype).astype(np.float64) for a in case.arrays]
        got = learner(f"{name}.jvp on {where}", type(out.grad_fn).jvp, out.grad_fn, *tangents, returns=True,
                      hints=hints)
        if any(not np.array_equal(t, s) for t, s in zip(tangents, kept)):
            raise Wrong(f"{name}.jvp changed a tangent in place: compute a new array")
        if isinstance(got, tuple):
            raise Wrong(f"{name}.jvp returned a tuple: forward mode has one tangent out, the output's, however "
                        "many inputs: return one array of the output's shape")
        got = as_array(got, f"{name}.jvp on {where}", lists=False)
        if got.shape != out.shape:
            raise Wrong(f"{name}.jvp on {where} has shape {got.shape}, but the output has shape {out.shape}: "
                        "a tangent has the shape of the value it goes with")
        if dtype == np.float32 and got.dtype != np.float32:
            raise Wrong(f"{name}.jvp returned {got.dtype} for float32 {case}: keep the tangents' dtype")
        t64 = [t.astype(np.float64) for t in tangents]
        want = rule(*arrays, *t64, **case.params)
        compare(got.astype(np.float64), want, f"{name}.jvp on {where}", mistakes(*arrays, *t64, **case.params),
                rtol=1e-4 if dtype == np.float32 else 1e-7, atol=1e-6 if dtype == np.float32 else 1e-10)
    return len(cases)


@exercise("div_jvp", write=WRITE)
def check_div(op: Any) -> str:
    rng = np.random.default_rng(14)

    def away(s: tuple[int, ...]) -> Array:
        return rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s)

    cases = [Case([rng.standard_normal(sx), away(sy)], (True, True))
             for sx, sy in [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 3)), ((), (2,))]]

    def rule(x: Array, y: Array, tx: Array, ty: Array) -> Array:
        return tx / y - x * ty / y**2

    def mistakes(x: Array, y: Array, tx: Array, ty: Array) -> Mistakes:
        return [(tx / y + x * ty / y**2, "the sign of ẏ's term: ∂(x/y)/∂y = −x/y², so ż = ẋ/y − x ẏ/y²"),
                (attempt(lambda: tx / y - ty / y), "ẏ's term is −(x/y) ẏ / y = −z ẏ / y: a factor x/y is missing"),
                (attempt(lambda: np.broadcast_to(tx / y, np.broadcast_shapes(x.shape, y.shape)) + 0),
                 "only ẋ's term: y moves too, by ẏ, and ż gets −x ẏ/y² from it (the quotient rule)"),
                (attempt(lambda: tx / ty), "ẋ/ẏ is not a derivative: ż = ẋ/y − x ẏ/y², linear in the tangents")]

    n = _check_jvp(op, cases, rule, mistakes)
    return f"Div.jvp is ẋ/y − x ẏ/y² on {n} pairs of shapes, broadcasting included, and keeps float32."


@exercise("logsumexp_jvp", write=WRITE)
def check_logsumexp(op: Any) -> str:
    rng = np.random.default_rng(15)
    cases = [Case([3 * rng.standard_normal(s)], (True,), {"axis": a, "keepdims": k})
             for s, a, k in [((4,), -1, False), ((2, 3), -1, False), ((2, 3), 0, False), ((2, 3, 4), 1, True),
                             ((3, 4), -1, True)]]
    cases.append(Case([rng.uniform(500, 1000, (2, 3))], (True,), {"axis": -1, "keepdims": False}, label="(large x)"))

    def softmax(x: Array, axis: int) -> Array:
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def rule(x: Array, tx: Array, axis: int, keepdims: bool) -> Array:
        return (softmax(x, axis) * tx).sum(axis=axis, keepdims=keepdims)

    def mistakes(x: Array, tx: Array, axis: int, keepdims: bool) -> Mistakes:
        with np.errstate(all="ignore"):
            return [(attempt(lambda: (np.exp(x) * tx).sum(axis=axis, keepdims=keepdims)),
                     "that is Σ eˣ ẋ: the derivative of log Σ eˣ divides by Σ eˣ, so the weights are softmax(x) = "
                     "exp(x − z)"),
                    (attempt(lambda: tx.sum(axis=axis, keepdims=keepdims)), "that is Σ ẋ, the tangent of a sum: "
                     "log Σ eˣ weighs each ẋᵢ by its softmax, ż = Σ softmax(x)ᵢ ẋᵢ"),
                    (attempt(lambda: (softmax(x, axis) * tx).sum(axis=-1, keepdims=keepdims))
                     if axis % x.ndim != x.ndim - 1 else None, f"you summed over the last axis, but this logsumexp "
                     f"runs along axis {axis}: use ctx.axis")]

    hints = [("exp", "exp of x alone overflows for large x: use the saved output, softmax(x) = exp(x − z) with z "
                     "put back to x's shape")]
    n = _check_jvp(op, cases, rule, mistakes, hints)
    return (f"LogSumExp.jvp is Σ softmax(x) ẋ along the axis on {n} cases, axes, keepdims and large x included, "
            "and keeps float32.")
