"""Checking an op, a Function subclass: against a reference, raw gradients, float32, gradcheck."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff import Function, Tensor
from autodiff.gradcheck import GradcheckError, check_vjp, gradcheck

from .harness import Array, Mistakes, Wrong, _call, _compare


@dataclass
class _Case:
    arrays: list[Array]
    needs: tuple[bool, ...]  # which inputs require grad (the others are constants)
    params: dict[str, Any] = field(default_factory=dict)

    def leaves(self, dtype: Any = np.float64) -> list[Any]:
        return [Tensor(a, requires_grad=True, dtype=dtype) if need else a.astype(dtype)
                for a, need in zip(self.arrays, self.needs)]

    def __str__(self) -> str:
        shapes = ", ".join(f"{a.shape}" + ("" if need else " (a constant)") for a, need in zip(self.arrays, self.needs))
        return f"inputs of shape {shapes}" + "".join(f", {k}={v!r}" for k, v in self.params.items())


def _fits(got: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Can the engine sum a gradient of shape `got` back to `shape` (over axes broadcasting added or stretched)?"""
    return len(got) >= len(shape) and all(n == 1 or n == m for n, m in zip(shape[::-1], got[::-1]))


def _shape_message(name: str, i: int, got: tuple[int, ...], shape: tuple[int, ...]) -> str:
    text = f"{name}.backward returned shape {got} for input {i} of shape {shape}"
    if len(got) >= 2 and len(shape) >= 2 and got[-2:] == shape[-2:][::-1]:
        return text + ": the shape of its transpose. Did you forget the transpose, or transpose the wrong factor?"
    if got == ():
        return text + ": did you sum it down to one number? A gradient has one entry per entry of its input"
    return text + ": a gradient has its input's shape (the engine only sums the axes broadcasting added or stretched)"


def _raw_backward(op: type[Function], out: Tensor, u: Array, case: _Case, hints: Sequence[tuple[str, str]],
                  strict: bool) -> list[Array | None]:
    """The learner's backward called directly, before the engine sums and casts: one checked entry per input."""
    name = op.__name__
    grad = u.copy()
    raw = _call(f"{name}.backward", op.backward, out.grad_fn, grad, hints=hints)
    if not np.array_equal(grad, u):
        raise Wrong(f"{name}.backward changed its argument grad in place (grad *= ..., or grad[...] = ...): the engine "
                    "may hand that same array to other nodes (Add gives it to both inputs). Compute a new array: grad * ...")
    if isinstance(raw, list):
        raise Wrong(f"{name}.backward returned a list: return a tuple, one entry per input (return gx, gy)")
    raw = raw if isinstance(raw, tuple) else (raw,)
    if len(raw) != len(case.arrays):
        raise Wrong(f"{name}.backward returned {len(raw)} gradient(s) for {len(case.arrays)} inputs: return one per "
                    "input, in order, None for an input that needs no gradient")
    for i, (g, need, a) in enumerate(zip(raw, case.needs, case.arrays)):
        if g is None and need:
            raise Wrong(f"{name}.backward returned None for input {i}, which requires grad "
                        f"(ctx.needs_input_grad is {case.needs}), on {case}")
        if g is not None and not need and strict:
            raise Wrong(f"{name}.backward returned a gradient for input {i}, a constant (ctx.needs_input_grad is "
                        f"{case.needs}): return None there, and skip computing it")
        if isinstance(g, Tensor):
            raise Wrong(f"{name}.backward returned a Tensor for input {i}: backward works on NumPy arrays "
                        "(grad and ctx.saved_tensors are arrays); return an array")
        if g is not None and not _fits(np.shape(g), a.shape):
            raise Wrong(_shape_message(name, i, np.shape(g), a.shape))
    return [None if g is None else np.asarray(g) for g in raw]


def _check_op(
    op: Any,
    reference: Callable[..., Tensor],
    cases: list[_Case],
    kinds: str,
    mistakes: Callable[..., list[Mistakes]] | None = None,
    hints: Sequence[tuple[str, str]] = (),
    strict: bool = False,
    overflow: str = "an overflow (exp of a large number?) or a division by zero",
) -> str:
    """_check_values, then _check_dtype_and_trust; `kinds` says what the cases were, for the verdict."""
    _check_values(op, reference, cases, mistakes, hints, strict, overflow)
    return _check_dtype_and_trust(op, cases, kinds, hints)


def _check_values(
    op: Any,
    reference: Callable[..., Tensor],
    cases: list[_Case],
    mistakes: Callable[..., list[Mistakes]] | None = None,
    hints: Sequence[tuple[str, str]] = (),
    strict: bool = False,
    overflow: str = "an overflow (exp of a large number?) or a division by zero",
) -> None:
    """Compare op with reference (a function of Tensors) on every case, in float64: output and gradients.

    mistakes(*arrays, u, z, **params) lists, per input, what typical mistakes give for its raw gradient
    (u: the cotangent, z: the right output). strict: a constant's gradient must be None.
    """
    if not (isinstance(op, type) and issubclass(op, Function)):
        raise Wrong(f"expected your Function class, got {op!r}")
    name, rng = op.__name__, np.random.default_rng(1)
    for case in cases:
        mine, theirs = case.leaves(), case.leaves()
        out = _call(f"{name}.forward", op.apply, *mine, hints=hints, **case.params)
        want = reference(*theirs, **case.params)
        _compare(out.data, want.data, f"{name}.forward on {case}", overflow=overflow)
        u = rng.standard_normal(out.shape)
        raw = _raw_backward(op, out, u, case, hints, strict)
        _call(f"{name}.backward", out.backward, u, hints=hints)
        want.backward(u)
        typical = mistakes(*case.arrays, u=u, z=want.data, **case.params) if mistakes else [[] for _ in mine]
        for i, (x, y) in enumerate(zip(mine, theirs)):
            if isinstance(x, Tensor):
                same = raw[i] is not None and raw[i].shape == u.shape == y.shape
                generic = [(u, "you returned grad unchanged: multiply it by the local derivative"),
                           (y.grad / u, "you forgot to multiply by grad (the gradient of the output)")] if same else []
                _compare(x.grad, y.grad, f"{name}.backward on {case}: the gradient of input {i}",
                         typical[i] + generic, raw[i], overflow=overflow)


def _check_dtype_and_trust(op: type[Function], cases: list[_Case], kinds: str, hints: Sequence[tuple[str, str]]) -> str:
    """float32 stays float32; gradcheck and check_vjp (float64, central differences) pass."""
    name = op.__name__
    _check_float32(op, cases[-1], np.random.default_rng(1), hints)
    for case in cases[:3]:
        try:
            _call(f"{name} in gradcheck", gradcheck, lambda *xs: op.apply(*xs, **case.params), *case.leaves(), hints=hints)
            _call(f"{name} in check_vjp", check_vjp, lambda *xs: op.apply(*xs, **case.params), *case.leaves(), hints=hints)
        except GradcheckError as err:
            raise Wrong(f"central differences in float64 disagree with your backward on {case}: {err}") from None
    return (f"{name} agrees with the reference on {len(cases)} {kinds}, keeps float32 in float32, and passes "
            "gradcheck and the dot-product test in float64.")


def _check_float32(op: type[Function], case: _Case, rng: np.random.Generator, hints: Sequence[tuple[str, str]]) -> None:
    name, leaves = op.__name__, case.leaves(np.float32)
    out = _call(f"{name}.forward", op.apply, *leaves, hints=hints, **case.params)
    if out.dtype != np.float32:
        raise Wrong(f"{name}.forward returned {out.dtype} for float32 {case}: keep the input's dtype (a float64 "
                    "array such as np.ones(n) or np.array(2.0) upcasts; np.ones_like(x) does not)")
    u = rng.standard_normal(out.shape).astype(np.float32)
    raw = _call(f"{name}.backward", op.backward, out.grad_fn, u.copy(), hints=hints)
    for i, g in enumerate(raw if isinstance(raw, tuple) else (raw,)):
        if g is not None and np.asarray(g).dtype != np.float32:
            raise Wrong(f"{name}.backward returned {np.asarray(g).dtype} for input {i} of float32 {case}: the engine "
                        "casts it back, but you computed in float64 (a float64 array such as np.ones(n) slipped in?)")
    out.backward(u)
    for i, x in enumerate(leaves):
        if isinstance(x, Tensor) and x.grad.dtype != np.float32:
            raise Wrong(f"the gradient of float32 input {i} of {name} came out {x.grad.dtype}")


def _shape(rng: np.random.Generator, ndim: int | None = None) -> tuple[int, ...]:
    ndim = int(rng.integers(0, 4)) if ndim is None else ndim
    return tuple(int(n) for n in rng.integers(1, 5, size=ndim))


def _shrunk(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to `shape`: some leading axes dropped, some axes set to 1."""
    shape = shape[int(rng.integers(0, len(shape) + 1)):]
    return tuple(1 if rng.random() < 0.35 else n for n in shape)


def _unary_cases(rng: np.random.Generator, draw: Callable[[tuple[int, ...]], Array]) -> list[_Case]:
    shapes = [(3,), (2, 3)] + [_shape(rng) for _ in range(4)]
    return [_Case([draw(s)], (True,)) for s in shapes]


def _binary_cases(rng: np.random.Generator) -> list[_Case]:
    """Same shapes first (needing both, then one), then random broadcasting pairs."""
    def case(sx: tuple[int, ...], sy: tuple[int, ...], needs: tuple[bool, bool] = (True, True)) -> _Case:
        return _Case([rng.standard_normal(sx), rng.standard_normal(sy)], needs)

    cases = [case((2, 3), (2, 3)), case((2, 3), (2, 3), (True, False)), case((3,), (3,), (False, True)),
             case((2, 3), (3,)), case((4, 1), (1, 3))]
    for _ in range(3):
        out = _shape(rng, int(rng.integers(1, 4)))
        cases.append(case(_shrunk(rng, out), _shrunk(rng, out)))
    return cases

