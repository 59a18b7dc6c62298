"""Checking an op, a Function subclass the learner wrote, against a reference written in NumPy.

check_op runs it on every case in float64: the output, the raw gradients its backward returns (before
the engine sums and casts them: their number, None where none is due, their shapes), the same backward
called twice, and the leaves' gradients after the engine's backward, each compared with the reference
and with the typical mistakes. Then float32 must stay float32 (and right, on the cases given for it),
and autodiff.gradcheck and the dot-product test (check_vjp) must pass in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff import Function, Tensor
from autodiff.gradcheck import GradcheckError, check_vjp, gradcheck

from .harness import (ATOL, RTOL, Array, Mistakes, NoReturn, Refused, Unfinished, Wrong, answer, compare, learner,
                      own_class)

OVERFLOW = "an overflow (exp of a large number?) or a division by zero"


@dataclass
class Case:
    arrays: list[Array]
    needs: tuple[bool, ...]  # which inputs require grad (the others are constants)
    params: dict[str, Any] = field(default_factory=dict)
    smooth: bool = True  # differentiable at these inputs: central differences apply
    label: str = ""  # what is special about it, for messages

    def leaves(self, dtype: Any = np.float64) -> list[Any]:
        return [Tensor(a, requires_grad=True, dtype=dtype) if need else a.astype(dtype)
                for a, need in zip(self.arrays, self.needs)]

    def __str__(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        params = "".join(f", {k}={_show(v)}" for k, v in self.params.items())
        consts = [str(i) for i, need in enumerate(self.needs) if not need]  # named apart: after a shape, it read as its
        const = ("" if not consts else f"; input {consts[0]} is a constant" if len(consts) == 1
                 else f"; inputs {', '.join(consts)} are constants")
        return f"inputs of shape {shapes}{params}{const}{' ' + self.label if self.label else ''}"


def _show(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return np.array2string(v, separator=", ") if v.size <= 8 else f"an array of shape {v.shape}"
    return repr(v)


@answer
def sum_to(g: Array, shape: tuple[int, ...]) -> Array:
    """g summed over the axes that broadcasting added or stretched, to `shape` (the reference's unbroadcast)."""
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(a for a, n in enumerate(shape) if n == 1 and g.shape[a] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def fits(got: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Can the engine sum a gradient of shape `got` back to `shape` (over axes broadcasting added or stretched)?"""
    return len(got) >= len(shape) and all(n == 1 or n == m for n, m in zip(shape[::-1], got[::-1]))


@dataclass
class Op:
    """How to check one op. `reference(*arrays, u, **params)` is (z, [x̄ for each input, of its shape]);
    `mistakes(*arrays, u, z, **params)` lists per input what typical mistakes give for its gradient."""

    reference: Callable[..., tuple[Array, list[Array]]]
    cases: list[Case]
    kinds: str  # what the cases were, for the verdict
    mistakes: Callable[..., list[Mistakes]] | None = None
    hints: Sequence[tuple[str, str]] = ()
    errors: Sequence[tuple[str, str]] = ()  # (a phrase in an error, a hint)
    strict: bool = False  # a constant's gradient must be None
    exact_shape: bool = False  # a raw gradient has its input's shape (nothing for the engine to sum back)
    extra_axes: int = 0  # how many axes beyond the output's a raw gradient may have (the engine sums them)
    overflow: str = OVERFLOW
    methods: tuple[str, ...] = ("backward",)  # what the learner writes
    float32: list[Case] | None = None  # cases run in float32 and compared too (default: the last, dtypes only)
    forward_mistakes: Callable[..., Mistakes] | None = None  # (*arrays, **params) -> [(z of a mistake, message)]
    trust: int = 3  # how many smooth cases gradcheck and check_vjp run on

    @property
    def advice(self) -> dict[str, Sequence[tuple[str, str]]]:
        """The hints for `learner`."""
        return {"hints": self.hints, "errors": self.errors}


def check_op(op: Any, spec: Op) -> str:
    """Check the learner's op on every case; what was checked, or raise Wrong."""
    own_class(op, "Function", spec.methods)
    rng = np.random.default_rng(1)
    for case in spec.cases:
        _check_case(op, spec, case, rng, np.float64)
    for case in spec.float32 or []:
        _check_case(op, spec, case, rng, np.float32)
    if not spec.float32:
        _check_float32_dtypes(op, spec, spec.cases[-1], rng)
    smooth = [c for c in spec.cases if c.smooth][:spec.trust]
    name = op.__name__
    for case in smooth:
        try:
            f = _applied(op, case)
            learner(f"{name} in gradcheck", gradcheck, f, *case.leaves(), **spec.advice)
            learner(f"{name} in check_vjp", check_vjp, f, *case.leaves(), **spec.advice)
        except GradcheckError as err:
            raise Wrong(f"central differences in float64 disagree with your backward on {case}: {err}") from None
    return (f"{name} agrees with the reference on {len(spec.cases)} {spec.kinds}, keeps float32 in float32"
            + (" (and right)" if spec.float32 else "") + ", and passes gradcheck and the dot-product test in float64.")


def _applied(op: type[Function], case: Case) -> Callable[..., Tensor]:
    return lambda *xs: op.apply(*xs, **case.params)


def forward(op: type[Function], spec: Op, case: Case, leaves: list[Any]) -> Tensor:
    """The learner's op applied to the leaves; a forward that returns None is told so, whatever the engine does."""
    name = op.__name__
    probe = op.__new__(op)  # forward called alone first, on a bare ctx: its return value as it is
    try:
        result = learner(f"{name}.forward on {case}", op.forward, probe,
                         *[x.data if isinstance(x, Tensor) else x for x in leaves], **spec.advice, **case.params)
    except (NoReturn, Refused, Unfinished):
        raise
    except Wrong:
        result = 0  # any other error: let apply report it, as the learner will meet it
    if result is None:
        raise Wrong(f"{name}.forward on {case} returned None: did you forget `return`?")
    return learner(f"{name}.forward on {case}", op.apply, *leaves, **spec.advice, **case.params)


def _check_case(op: type[Function], spec: Op, case: Case, rng: np.random.Generator, dtype: Any) -> None:
    name, single = op.__name__, dtype == np.float32
    rtol, atol = (1e-4, 1e-6) if single else (RTOL, ATOL)
    where = f"{case}" + (" in float32" if single else "")
    arrays = [a.astype(dtype).astype(np.float64) for a in case.arrays]  # what the learner's op sees, exactly
    leaves = case.leaves(dtype)
    out = forward(op, spec, case, leaves)
    z, grads = spec.reference(*arrays, u=None, **case.params)
    if single and out.dtype != np.float32:
        raise Wrong(f"{name}.forward returned {out.dtype} for float32 {case}: keep the input's dtype. A float64 "
                    "array or NumPy scalar upcasts it (np.ones(n), np.array(2.0), np.log(2.0)); np.ones_like(x) and a "
                    "Python float (2.0, math.log(2.0)) do not")
    scale = max(float(np.abs(z).max(initial=0)), 1.0)
    typical = spec.forward_mistakes(*arrays, **case.params) if spec.forward_mistakes else []
    compare(out.data, z, f"{name}.forward on {where}", typical, rtol=rtol, atol=atol * scale, overflow=spec.overflow)
    if not any(case.needs):
        return
    u = rng.standard_normal(out.shape)
    _, want = spec.reference(*arrays, u=u, **case.params)
    _, want_ones = spec.reference(*arrays, u=np.ones_like(u), **case.params)
    node = out.grad_fn
    raw = raw_backward(op, node, u.astype(dtype), case, spec, dtype)
    learner(f"{name}.backward on {where}", out.backward, u.astype(dtype), **spec.advice)
    typical = spec.mistakes(*arrays, u=u, z=z, **case.params) if spec.mistakes else [[] for _ in arrays]
    for i, (x, a) in enumerate(zip(leaves, arrays)):
        if not isinstance(x, Tensor):
            continue
        if single and x.grad.dtype != np.float32:
            raise Wrong(f"the gradient of float32 input {i} of {name} came out {x.grad.dtype}")
        shape = a.shape
        found = list(typical[i])
        if raw[i] is not None and raw[i].shape == u.shape:
            found.append((u, "you returned grad unchanged: multiply it by the local derivative"))
        found.append((want_ones[i], "you forgot to multiply by grad (the gradient of the output)"))
        fitted = [(sum_to(np.asarray(m), shape) if m is not None and np.shape(m) != shape and fits(np.shape(m), shape)
                   else m, message) for m, message in found]
        gscale = max(float(np.abs(want[i]).max(initial=0)), 1.0)
        compare(x.grad.astype(np.float64), want[i], f"{name}.backward on {where}: the gradient of input {i}",
                found + fitted, None if raw[i] is None else raw[i].astype(np.float64), rtol=rtol,
                atol=atol * gscale, overflow=spec.overflow)


def raw_backward(op: type[Function], node: Function, u: Array, case: Case, spec: Op, dtype: Any) -> list[Array | None]:
    """The learner's backward called directly, before the engine sums and casts: one checked entry per input."""
    name = op.__name__
    where = f"{case}" + (" in float32" if dtype == np.float32 else "")
    grad = u.copy()
    raw = learner(f"{name}.backward on {where}", type(node).backward, node, grad, **spec.advice, returns=True)
    if not np.array_equal(grad, u):
        raise Wrong(f"{name}.backward changed its argument grad in place (grad *= ..., or grad[...] = ...): the "
                    "engine may hand that same array to other nodes (Add gives it to both inputs). Compute a new array: "
                    "grad * ...")
    again = learner(f"{name}.backward on {where}", type(node).backward, node, u.copy(), **spec.advice, returns=True)
    n = len(case.arrays)
    if isinstance(raw, list):
        if all(np.ndim(g) == 0 and not isinstance(g, np.ndarray) for g in raw) and len(raw) != n:
            raise Wrong(f"{name}.backward returned a list of numbers (.tolist()?): return a NumPy array")
        if n == 1:
            raise Wrong(f"{name}.backward returned a list: the engine reads a list as one gradient. {name} has one "
                        "input: return its gradient itself, an array")
        raise Wrong(f"{name}.backward returned a list: the engine reads a list as one gradient. Return a tuple, "
                    f"one entry per input ({', '.join(f'g{k}' for k in range(n))})")
    raw = raw if isinstance(raw, tuple) else (raw,)
    again = again if isinstance(again, tuple) else (again,)
    if len(raw) != n:
        raise Wrong(f"{name}.backward returned {len(raw)} gradient(s) for {n} input(s): return one per input, in order, "
                    "None for an input that needs no gradient")
    for i, (g, need, a) in enumerate(zip(raw, case.needs, case.arrays)):
        if g is None and need:
            raise Wrong(f"{name}.backward returned None for input {i}, which requires grad "
                        f"(ctx.needs_input_grad is {case.needs}), on {where}")
        if g is not None and not need and spec.strict:
            raise Wrong(f"{name}.backward returned a gradient for input {i}, a constant (ctx.needs_input_grad is "
                        f"{case.needs}): return None there, and skip computing it")
        if isinstance(g, Tensor):
            raise Wrong(f"{name}.backward returned a Tensor for input {i}: backward works on NumPy arrays "
                        "(grad and ctx.saved_tensors are arrays); return an array")
        if isinstance(g, list):
            raise Wrong(f"{name}.backward returned a list for input {i}: return a NumPy array")
        if g is None:
            continue
        got = np.shape(g)
        if spec.exact_shape and got != a.shape or not fits(got, a.shape) or len(got) > max(u.ndim, a.ndim) + spec.extra_axes:
            raise Wrong(_shape_message(name, i, got, a.shape, u.shape))
        if dtype == np.float32 and np.asarray(g).dtype != np.float32:
            raise Wrong(f"{name}.backward returned {np.asarray(g).dtype} for input {i} of float32 {case}: the engine "
                        "casts it back, but you computed in float64 (a float64 array or NumPy scalar slipped in? np.ones(n), "
                        "np.log(2.0); a division of integer or boolean arrays gives float64 too)")
        h = again[i] if i < len(again) else None
        if h is None or np.shape(h) != got or not np.array_equal(np.asarray(h), np.asarray(g), equal_nan=True):
            raise Wrong(f"{name}.backward called twice on the same node gave a different gradient for input {i} the "
                        "second time: does it change a saved array in place (p -= ..., p[...] = ...)? The engine "
                        "may run backward again (retain_graph=True): work on a copy")
    return [None if g is None else np.asarray(g) for g in raw]


def _shape_message(name: str, i: int, got: tuple[int, ...], shape: tuple[int, ...], out: tuple[int, ...]) -> str:
    text = f"{name}.backward returned shape {got} for input {i} of shape {shape}"
    if got == (1,) + shape:
        return (text + ": an extra leading axis of size 1. Did you forget to unpack ctx.saved_tensors? It is a "
                "tuple: write (z,) = ctx.saved_tensors, not z = ctx.saved_tensors")
    if len(got) >= 2 and len(shape) >= 2 and got[-2:] == shape[-2:][::-1]:
        return text + ": the shape of its transpose. Did you forget the transpose, or transpose the wrong factor?"
    if got == ():
        return text + ": did you sum it down to one number? A gradient has one entry per entry of its input"
    return text + ": a gradient has its input's shape"


def _check_float32_dtypes(op: type[Function], spec: Op, case: Case, rng: np.random.Generator) -> None:
    name, leaves = op.__name__, case.leaves(np.float32)
    out = forward(op, spec, case, leaves)
    if out.dtype != np.float32:
        raise Wrong(f"{name}.forward returned {out.dtype} for float32 {case}: keep the input's dtype. A float64 "
                    "array or NumPy scalar upcasts it (np.ones(n), np.array(2.0), np.log(2.0)); np.ones_like(x) and a "
                    "Python float (2.0, math.log(2.0)) do not")
    u = rng.standard_normal(out.shape).astype(np.float32)
    raw_backward(op, out.grad_fn, u, case, spec, np.float32)


# Drawing cases -------------------------------------------------------------------------------


def shape(rng: np.random.Generator, ndim: int | None = None) -> tuple[int, ...]:
    ndim = int(rng.integers(0, 4)) if ndim is None else ndim
    return tuple(int(n) for n in rng.integers(1, 5, size=ndim))


def shrunk(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to `shape`: some leading axes dropped, some axes set to 1."""
    shape = shape[int(rng.integers(0, len(shape) + 1)):]
    return tuple(1 if rng.random() < 0.35 else n for n in shape)


def unary_cases(rng: np.random.Generator, draw: Callable[[tuple[int, ...]], Array]) -> list[Case]:
    shapes = [(3,), (2, 3)] + [shape(rng) for _ in range(4)]
    return [Case([draw(s)], (True,)) for s in shapes]
