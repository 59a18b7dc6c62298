"""The exercises' checker: run a learner's answer against the package and say what is wrong.

    check("exp", Exp)     prints "exp: correct. ..." or what is wrong, with a hint (a notebook's check cell)
    run("exp", Exp)       the same as a Result, for tests
    parent_nodes(node)    the nodes that made a node's inputs: the graph access of the toposort exercise

An op is run on random shapes (broadcasting included) in float64 against the package's own op (the
reference); its raw gradients are inspected before the engine sums and casts them; then it must keep
float32 in float32 and pass autodiff.gradcheck and the dot-product test (check_vjp). A wrong answer
is compared with the typical mistakes: a sign, a constant factor, a transpose, a missing sum, zeros,
swapped inputs. An error in the learner's code is reported with the learner's line, not the checker's.
"""

from __future__ import annotations

import sys
import traceback
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import ops, optim
from .engine import Function
from .gradcheck import GradcheckError, check_vjp, gradcheck
from .tensor import Tensor
from .transforms import grad as grad_of
from .transforms import hessian, jvp, vjp

Array = np.ndarray
Mistakes = list[tuple[Any, str]]  # (what a typical mistake computes, what to say when it matches)
RTOL, ATOL = 1e-7, 1e-10  # float64 answers that only round differently from the reference


class Wrong(Exception):
    """The answer is wrong; the message says how, and what to try."""


@dataclass
class Result:
    exercise: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message


EXERCISES: dict[str, Callable[..., str]] = {}  # name -> checker: returns what was checked, or raises Wrong


def _exercise(name: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    def register(checker: Callable[..., str]) -> Callable[..., str]:
        EXERCISES[name] = checker
        return checker

    return register


def run(name: str, *answer: Any) -> Result:
    """Check an answer to exercise `name`: "correct", or what is wrong and a hint."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():  # the message says what overflowed
            warnings.simplefilter("ignore")
            detail = EXERCISES[name](*answer)
    except Wrong as err:
        return Result(name, False, f"{name}: {err}")
    return Result(name, True, f"{name}: correct. {detail}")


def check(name: str, *answer: Any) -> None:
    """Print what `run` says: the last cell of an exercise."""
    print(run(name, *answer))


def parent_nodes(node: Function) -> list[Function]:
    """The nodes that made `node`'s inputs, in input order: `node.parents` has one entry per input, the
    node that made it, or the leaf itself, or None for a constant; leaves and constants have no node."""
    return [p for p in node.parents if isinstance(p, Function)]


# Running the learner's code ------------------------------------------------------------------

_LIBRARY = tuple({str(Path(__file__).resolve().parent), sys.prefix, sys.base_prefix, sys.exec_prefix})
# A phrase in an error message, and what it usually means.
_HINTS = (
    ("implicitly only for a scalar", "backward() of an output that is not a scalar needs its cotangent: "
     "out.backward(u) computes uᵀJ"),
    ("already backpropagated", "the first backward frees the graph: run the forward again"),
    ("NoneType", "a .grad is None until a backward reaches it, and stays None for a tensor the loss does not use"),
    ("could not be broadcast", "the shapes do not broadcast: sum(..., keepdims=True) keeps the summed axis "
     "with size 1, so the result broadcasts back"),
    ("core dimension", "NumPy cannot multiply these shapes. A gradient has its input's shape: which product "
     "of grad and the other factor gives it? Did you forget a transpose?"),
    ("unsized object", "x may be 0-d (one number): np.ndindex(x.shape) visits every entry, whatever the shape"),
    ("RecursionError", "a recursive walk nests one Python call per node: keep your own stack (a list of nodes "
     "to visit) instead"),
)


def _call(what: str, fn: Callable[..., Any], *args: Any, hints: Sequence[tuple[str, str]] = (), **kwargs: Any) -> Any:
    """fn(*args, **kwargs), where fn is (or calls) the learner's code: an error in it becomes a Wrong that
    names `what`, the learner's line and a hint. `hints`: (a phrase in the failing line, a hint)."""
    try:
        return fn(*args, **kwargs)
    except (Wrong, GradcheckError):
        raise
    except NotImplementedError:
        raise Wrong(f"not yet implemented: {what} still raises NotImplementedError. Write it in the cell above, "
                    "run that cell, then run this check again.") from None
    except Exception as err:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(_LIBRARY)]
        if isinstance(err, RecursionError):  # where it trips varies; the line that recurses does not
            calls = Counter((f.filename, f.lineno) for f in frames)
            frames = [max(frames, key=lambda f: calls[f.filename, f.lineno])] if frames else []
            message = f"{what} hit Python's recursion limit ({sys.getrecursionlimit()} nested calls)"
        else:
            first_line = str(err).split("\n")[0][:300]
            message = f"{what} raised {type(err).__name__}: {first_line}"
        line = (frames[-1].line or "").strip() if frames else ""
        if frames:
            message += f"\n  in your code, line {frames[-1].lineno}: {line}"
        hint = next((h for phrase, h in hints if line and phrase in line), None) or next(
            (h for phrase, h in _HINTS if phrase in f"{type(err).__name__}: {err}"), None)
        raise Wrong(message + (f"\n  hint: {hint}" if hint else "")) from None


# Comparing an answer with the right one ------------------------------------------------------


def _index(mask: Array) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _num(c: float) -> str:
    return f"{c:.4g}"


def _ratio(got: Array, want: Array) -> float | None:
    """c when got = c · want everywhere, for a c other than 1; else None."""
    scale = np.abs(want).max(initial=0)
    big = np.abs(want) > 1e-6 * scale
    if not big.any() or not np.allclose(got[~big], 0, atol=1e-6 * scale):
        return None
    r = got[big] / want[big]
    c = float(np.median(r))
    return c if np.allclose(r, c, rtol=1e-5, atol=1e-12) and not np.isclose(c, 1) else None


def _compare(
    got: Any,
    want: Array,
    what: str,
    mistakes: Mistakes = (),
    raw: Array | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    factor: Callable[[float], str | None] = lambda c: None,
    overflow: str = "an overflow (exp of a large number?) or a division by zero",
) -> None:
    """Raise a Wrong saying how `got` differs from `want`. `mistakes` are compared with `raw` (the value
    before the engine summed it) or `got`; `factor` turns a constant ratio into a hint."""
    if isinstance(got, Tensor):
        raise Wrong(f"{what} is a Tensor: return a NumPy array (grad and ctx.saved_tensors are arrays)")
    got = np.asarray(got)
    if got.shape != want.shape:
        raise Wrong(f"{what} has shape {got.shape}, but it should have shape {want.shape}")
    if not np.issubdtype(got.dtype, np.number):
        raise Wrong(f"{what} has dtype {got.dtype}: it should hold numbers")
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if close.all():
        return
    broken = ~np.isfinite(got) & np.isfinite(want)
    if broken.any():
        at = _index(broken)
        raise Wrong(f"{what} is {got[at]} at index {at}, where it should be {want[at]:.6g}: {overflow}")
    for mistake, message in mistakes:
        for g in (raw, got):
            if mistake is not None and g is not None and np.shape(mistake) == g.shape and np.allclose(g, mistake):
                raise Wrong(f"{what} is wrong: {message}")
    if not got.any():
        raise Wrong(f"{what} is all zeros, but the right answer is not")
    c = _ratio(got, want)
    if c is not None and np.isclose(c, -1):
        raise Wrong(f"{what} has the wrong sign: it is minus the right answer")
    if c is not None:
        raise Wrong(f"{what} is {_num(c)} times the right answer everywhere: "
                    + (factor(c) or "a constant factor is missing, or one too many"))
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and np.allclose(got, np.swapaxes(want, -1, -2), rtol, atol):
        raise Wrong(f"{what} is the transpose of the right answer: did you forget the transpose, "
                    "or transpose the wrong factor?")
    at = _index(~close)
    by = f" by a factor of {_num(got[at] / want[at])}" if want[at] and np.isfinite(got[at]) else ""
    raise Wrong(f"{what} is off at index {at}{by}: {got[at]:.6g} instead of {want[at]:.6g}")


def _try(f: Callable[[], Any]) -> Any:
    """What a mistake computes, or None where its shapes do not even fit."""
    try:
        return f()
    except ValueError:
        return None


# Checking an op (a Function subclass) --------------------------------------------------------


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


# The exercises -------------------------------------------------------------------------------


@_exercise("central_differences")
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


@_exercise("exp")
def _exp(op: Any) -> str:
    """02: Exp.backward, z = exp(x)."""
    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "you multiplied grad by x; exp is its own derivative: multiply by z = exp(x), which "
                         "forward saved"),
                 (np.exp(u), "you took exp of grad: the VJP multiplies grad by the derivative, grad * z")]]

    rng = np.random.default_rng(2)
    return _check_op(op, ops.Exp.apply, _unary_cases(rng, rng.standard_normal), "random shapes", mistakes)


@_exercise("log")
def _log(op: Any) -> str:
    """02: Log.backward, z = log(x)."""
    def mistakes(x: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "you multiplied grad by x; d log(x)/dx = 1/x: divide grad by x"),
                 (u * z, "you multiplied grad by log(x), the output; d log(x)/dx = 1/x"),
                 (u / x**2, "d log(x)/dx is 1/x, not 1/x²")]]

    rng = np.random.default_rng(3)
    return _check_op(op, ops.Log.apply, _unary_cases(rng, lambda s: rng.uniform(0.5, 2.0, s)), "random shapes", mistakes)


@_exercise("unbroadcast")
def _unbroadcast(unbroadcast: Callable[[Array, tuple[int, ...]], Any]) -> str:
    """03: unbroadcast(grad, shape): sum a gradient back to the shape of an input that was broadcast."""
    rng = np.random.default_rng(4)
    pairs = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 3), (1,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 3), ()),
             ((5, 4, 3), (4, 1)), ((2, 4, 3), (2, 1, 3))]
    for _ in range(4):
        out = _shape(rng, int(rng.integers(1, 4)))
        pairs.append((out, _shrunk(rng, out)))
    for k, (gshape, shape) in enumerate(pairs):
        dtype = np.float32 if k == len(pairs) - 1 else np.float64
        grad = rng.standard_normal(gshape).astype(dtype)
        kept = grad.copy()
        got = _call("unbroadcast", unbroadcast, grad, shape)
        what = f"unbroadcast(grad of shape {gshape}, {shape})"
        if not np.array_equal(grad, kept):
            raise Wrong(f"{what} changed grad in place: return a new array")
        x = Tensor(np.zeros(shape), requires_grad=True)  # the reference: what the engine does for x + c
        (x + np.zeros(gshape)).backward(grad)
        got_shape = np.shape(got)
        if got_shape != shape:
            raise Wrong(_unbroadcast_shape_message(what, got_shape, gshape, shape))
        if np.asarray(got).dtype != dtype:
            raise Wrong(f"{what} turned {dtype.__name__} into {np.asarray(got).dtype}: keep grad's dtype")
        _compare(got, x.grad.astype(dtype), what, [(np.asarray(grad.mean()), "a broadcast copies an entry, so its "
                 "gradient adds the copies up: sum, not mean")], rtol=RTOL if dtype is np.float64 else 1e-5,
                 factor=lambda c: "did you average? A broadcast copies an entry, so its gradient adds the copies "
                                  "up: sum, not mean" if c < 1 else None)
    return f"unbroadcast sums back each of {len(pairs)} broadcasts, leading and stretched axes, in float64 and float32."


def _unbroadcast_shape_message(what: str, got: tuple[int, ...], gshape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    text = f"{what} returned shape {got}"
    lead = len(gshape) - len(shape)
    stretched = [a for a, n in enumerate(shape) if n == 1 and gshape[lead + a] != 1]
    if got == gshape:
        return (text + ": nothing was summed. Sum over the axes broadcasting added (the first "
                f"{lead}) and those it stretched (where the shape has 1)")
    if int(np.prod(got)) == int(np.prod(shape)):
        return text + ": the right numbers in the wrong shape. Keep the stretched axes (keepdims=True), or reshape"
    if len(got) > len(shape):
        return text + f": did you sum over the {lead} leading axes that broadcasting added?"
    if len(got) == len(shape) and any(got[a] != 1 for a in stretched):
        a = next(a for a in stretched if got[a] != 1)
        return text + f": did you sum over the broadcast axis? Axis {a} has size 1 in {shape} but {got[a]} in yours"
    return text + f": it must have shape {shape}"


@_exercise("mul")
def _mul(op: Any) -> str:
    """03: Mul.backward with ctx.needs_input_grad."""
    def mistakes(x: Array, y: Array, u: Array, z: Array) -> list[Mistakes]:
        return [[(u * x, "dz/dx = y: multiply grad by y, not x (are the two gradients swapped?)")],
                [(u * y, "dz/dy = x: multiply grad by x, not y (are the two gradients swapped?)")]]

    return _check_op(op, ops.Mul.apply, _binary_cases(np.random.default_rng(5)), "pairs of shapes, broadcasting "
                     "and constants included", mistakes, strict=True)


@_exercise("matmul")
def _matmul(op: Any) -> str:
    """03: MatMul.backward for matrices and stacks of them."""
    rng = np.random.default_rng(6)

    def case(sx: tuple[int, ...], sy: tuple[int, ...], needs: tuple[bool, bool] = (True, True)) -> _Case:
        return _Case([rng.standard_normal(sx), rng.standard_normal(sy)], needs)

    cases = [case((3, 3), (3, 3)), case((2, 3), (3, 4)), case((2, 3), (3, 4), (True, False)),
             case((2, 3), (3, 4), (False, True)), case((5, 2, 3), (3, 4)), case((2, 3), (5, 3, 4)),
             case((5, 2, 3), (5, 3, 4)), case((4, 1, 2, 3), (5, 3, 2))]

    def mistakes(x: Array, y: Array, u: Array, z: Array) -> list[Mistakes]:
        t = "`.T` reverses every axis, batch axes too: transpose each matrix with .swapaxes(-1, -2)"
        return [[(_try(lambda: u @ y), "did you forget the transpose? X̄ = G Yᵀ"), (_try(lambda: u @ y.T), t)],
                [(_try(lambda: x @ u), "did you forget the transpose? Ȳ = Xᵀ G"), (_try(lambda: x.T @ u), t)]]

    hints = [(".T", "`.T` reverses every axis, so on a stack of matrices it moves the batch axes too: transpose "
                    "each matrix with .swapaxes(-1, -2)")]
    return _check_op(op, ops.MatMul.apply, cases, "pairs of shapes, stacks and broadcast batches included",
                     mistakes, hints)


@_exercise("softmax")
def _softmax(op: Any) -> str:
    """03: Softmax.backward without building the Jacobian."""
    rng = np.random.default_rng(7)
    cases = [_Case([rng.standard_normal(s)], (True,), {"axis": a}) for s, a in [((5,), -1), ((3, 4), -1), ((2, 3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1)]]

    def mistakes(x: Array, u: Array, z: Array, axis: int) -> list[Mistakes]:
        p, s = z, (u * z).sum(axis=axis, keepdims=True)
        return [[(p * u, "that is diag(p) z̄ alone; the Jacobian is diag(p) − p pᵀ: subtract p ⟨z̄, p⟩ too"),
                 (u - s, "the factor p in front is missing: x̄ = p ⊙ (z̄ − ⟨z̄, p⟩)"),
                 (p * (u - u.sum(axis=axis, keepdims=True)), "you subtracted Σ z̄; it is Σ z̄ p, the sum weighted by p "
                  "(Σ z̄ alone belongs to log_softmax)"),
                 (p * (u - (u * p).sum()) if u.ndim > 1 else None, "you summed over every axis: sum over the "
                  "softmax's axis only, ctx.axis, with keepdims=True"),
                 (p * (u - (u * p).sum(axis=-1, keepdims=True)) if axis % u.ndim != u.ndim - 1 else None,
                  f"you summed over the last axis, but this softmax is over axis {axis}: use ctx.axis")]]

    _check_values(op, ops.Softmax.apply, cases, mistakes)
    x = rng.standard_normal((2, 2000))
    out = op.apply(Tensor(x, requires_grad=True))
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        _call(f"{op.__name__}.backward", op.backward, out.grad_fn, np.ones_like(x))
        extra = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()
    if extra > 50 * x.nbytes:
        raise Wrong(f"{op.__name__}.backward is right, but for an input of {x.nbytes // 1000} kB it allocated "
                    f"{extra / 1e6:.0f} MB: it builds the Jacobian (2000 × 2000 per row). Apply it instead: "
                    "x̄ = p ⊙ (z̄ − ⟨z̄, p⟩), where ⟨z̄, p⟩ is one number per row")
    return _check_dtype_and_trust(op, cases, "shapes and axes", ()) + " Its memory stays O(n): no Jacobian."


@_exercise("toposort")
def _toposort(toposort: Callable[[Tensor], Any]) -> str:
    """04: toposort(root): every node once, each after all of its consumers, without recursion."""
    rng = np.random.default_rng(8)
    graphs = []
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    graphs.append(("the fan-out graph (b = a + a, c = b + b)", b + b))
    x1, x2 = Tensor(2.0, requires_grad=True), Tensor(5.0, requires_grad=True)
    graphs.append(("deck 02's trace (y = log x1 + x1 x2 − tanh x2)", x1.log() + x1 * x2 - x2.tanh()))
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    h = w.exp()
    graphs.append(("a diamond with constants ((2h + tanh h) · h · 3)", (h * 2.0 + h.tanh()) * h * 3.0))
    values = [Tensor(rng.standard_normal(2), requires_grad=True) for _ in range(3)]
    for _ in range(40):
        p, q = (values[int(k)] for k in rng.integers(0, len(values), 2))
        values.append([p + q, p * q, p.tanh()][int(rng.integers(0, 3))])
    graphs.append(("a random graph of 40 ops", sum(values[-5:], values[-6]).sum()))
    for what, root in graphs:
        _check_order(_call("toposort", toposort, root), root, what)
    chain = Tensor(1.0, requires_grad=True)
    for _ in range(20_000):
        chain = chain * 0.99999
    _check_order(_call("toposort on a chain 20,000 ops deep", toposort, chain), chain, "a chain 20,000 ops deep")
    return "Every node once, each after all of its consumers, on 4 graphs and a chain 20,000 ops deep."


def _check_order(order: Any, root: Tensor, what: str) -> None:
    nodes, edges, todo = {id(root.grad_fn): root.grad_fn}, [], [root.grad_fn]  # edges: (consumer, producer)
    while todo:
        node = todo.pop()
        for p in parent_nodes(node):
            edges.append((node, p))
            if id(p) not in nodes:
                nodes[id(p)] = p
                todo.append(p)
    if not isinstance(order, (list, tuple)):
        raise Wrong(f"toposort returned {type(order).__name__} on {what}: return a list of nodes")
    strays = [n for n in order if not isinstance(n, Function)]
    if strays:
        kind = "Tensors" if isinstance(strays[0], Tensor) else type(strays[0]).__name__
        raise Wrong(f"on {what}, your list holds {kind}: list the nodes, the Function objects (root.grad_fn, "
                    "then parent_nodes(node) of each node)")
    count = Counter(id(n) for n in order)
    twice = next((n for n in order if count[id(n)] > 1), None)
    if twice is not None:
        raise Wrong(f"on {what}, one node ({type(twice).__name__}) appears {count[id(twice)]} times: a node with two "
                    "consumers is reached twice. Remember the nodes you have seen (a set of id(node)) and list each once")
    missing = [n for k, n in nodes.items() if k not in count]
    if missing:
        names = ", ".join(type(n).__name__ for n in missing[:4])
        raise Wrong(f"on {what}, {len(missing)} of {len(nodes)} nodes are missing ({names}): follow "
                    "parent_nodes(node) of every node you visit")
    if len(order) > len(nodes):
        raise Wrong(f"on {what}, your list holds nodes that root does not depend on")
    pos = {id(n): k for k, n in enumerate(order)}
    late = [(c, p) for c, p in edges if pos[id(c)] > pos[id(p)]]
    if late and len(late) == len(edges):
        raise Wrong(f"on {what}, your list runs the wrong way: producers first, as a DFS post-order lists them. "
                    "backward visits a node after all of its consumers: reverse the list")
    if late:
        c, p = late[0]
        raise Wrong(f"on {what}, {type(p).__name__} (at {pos[id(p)]}) comes before {type(c).__name__} (at "
                    f"{pos[id(c)]}), which uses its output: backward would run it before all of its gradient has "
                    "arrived. Every node must come after all of its consumers")


@_exercise("dot_product_test")
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


@_exercise("sgd")
def _sgd(sgd: Any) -> str:
    """06: SGD with momentum: zero_grad() and step()."""
    rng = np.random.default_rng(10)
    start = [rng.standard_normal(3), rng.standard_normal((2, 2)), rng.standard_normal(2)]
    target, c = rng.standard_normal(3), rng.uniform(0.5, 2.0, (2, 2))
    names = ["w", "b", "unused"]

    def loss(ps: list[Tensor]) -> Tensor:
        w, b, _ = ps
        return ((w - target) * (w - target)).sum() + (b * b * b * b * c).sum()

    def trajectory(make: Callable[[list[Tensor]], Any], zero: bool = True, steps: int = 4) -> list[list[Array]]:
        ps = [Tensor(a, requires_grad=True) for a in start]
        opt = make(ps)
        seen = []
        for _ in range(steps):
            if zero:
                opt.zero_grad()
            loss(ps).backward()
            opt.step()
            seen.append([p.data.copy() for p in ps])
        return seen

    want = trajectory(lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9))
    plain = trajectory(lambda ps: optim.SGD(ps, lr=0.05))
    ps = [Tensor(a, requires_grad=True) for a in start]
    opt = _call("SGD(params, lr=0.05, momentum=0.9)", sgd, ps, lr=0.05, momentum=0.9)
    for step, right in enumerate(want, start=1):
        _call("SGD.zero_grad", opt.zero_grad, hints=[(".grad", "p.grad is None before the first backward, and "
              "for a parameter the loss does not use: p.grad = None clears it either way")])
        for name, p in zip(names, ps):
            if p.grad is not None and np.any(p.grad):
                raise Wrong(f"after zero_grad(), {name}.grad still holds the last step's gradient: set p.grad = None "
                            "for every parameter. backward adds into .grad, so each step's gradient would pile onto "
                            "the last")
        loss(ps).backward()
        before = [p.data.copy() for p in ps]
        _call("SGD.step", opt.step, hints=[("grad", "a parameter the loss does not use keeps p.grad None: skip it")])
        for k, (name, p) in enumerate(zip(names, ps)):
            if type(p.data) is not np.ndarray:
                raise Wrong(f"after step {step}, {name}.data is a {type(p.data).__name__}: update the array itself "
                            "with NumPy (p.data -= lr * v), outside the graph")
            moved, should = p.data - before[k], right[k] - (want[step - 2][k] if step > 1 else start[k])
            what = f"step {step}'s move of {name}"
            if not moved.any() and should.any():
                raise Wrong(f"{what} is zero: the parameters did not change. p = p - ... only rebinds the name p; "
                            "change the array in place: p.data -= lr * v")
            if np.allclose(p.data, plain[step - 1][k]) and step > 1 and not np.allclose(plain[step - 1][k], right[k]):
                raise Wrong(f"{what} is plain SGD's, without momentum: keep each parameter's velocity in "
                            "self.velocity[i] across steps, v = momentum * v + p.grad, then p.data -= lr * v")
            _compare(moved, should, what, [(-should, "it goes uphill: step against the gradient, p.data -= lr * v")],
                     factor=lambda c: "did you multiply by lr twice?" if np.isclose(c, 0.05) else None)
    return "zero_grad() clears every .grad, and 4 steps with momentum follow autodiff.optim.SGD exactly."


@_exercise("softplus")
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


@_exercise("newton")
def _newton(newton_step: Callable[[Callable[[Tensor], Tensor], Array], Any]) -> str:
    """07b: newton_step(f, x) = x - H⁻¹ g, with H and g from the package."""
    rng = np.random.default_rng(11)
    m = rng.standard_normal((3, 3))
    a, b = m @ m.T + 3 * np.eye(3), rng.standard_normal(3)  # a positive definite quadratic: ½ xᵀAx - bᵀx
    quadratic = lambda x: 0.5 * (x * (x @ a)).sum() - (x * b).sum()  # noqa: E731
    X, y = rng.standard_normal((50, 2)), rng.integers(0, 2, 50)
    A = np.c_[X, np.ones(50)]

    def logistic(w: Tensor) -> Tensor:
        p = (A @ w).sigmoid()
        return -np.where(y == 1, p, 1 - p).log().mean()

    for text, f, x, steps in [("a quadratic", quadratic, rng.standard_normal(3), 1), ("a logistic regression", logistic,
                                                                                     np.zeros(3), 5)]:
        for step in range(1, steps + 1):
            kept, g, H = x.copy(), grad_of(f)(x), hessian(f)(x)
            got = _call("newton_step", newton_step, f, x)
            if not np.array_equal(x, kept):
                raise Wrong("newton_step changed x in place: return a new array, x - d")
            want = x - np.linalg.solve(H, g)
            _compare(got, want, f"newton_step on {text}, step {step}", [
                (x + np.linalg.solve(H, g), "it moves to x + H⁻¹g, away from the minimum: the step is x - H⁻¹g"),
                (x - H @ g, "that is x - H g: you multiplied by H; Newton divides by it, np.linalg.solve(H, g) is H⁻¹g"),
                (x - g, "that is a gradient step, x - g: Newton's step uses the curvature, x - H⁻¹g"),
                (x - np.linalg.solve(H.T @ H, g), "you solved (HᵀH) d = g; solve H d = g"),
            ])
            x = want
    return "One step lands on the quadratic's minimum, and five steps on the logistic regression follow Newton's exactly."
