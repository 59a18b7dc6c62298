"""Exercise 02c's checkers: the transposes of three linear primitives (a scale by a constant, a sum, a gather), and
a linear program transposed with them, newest line first: linearize's J becomes Jᵀ, the VJP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor
from autodiff.linear import LINEAR, Line, Program, Var, aval, linear_transpose, linearize, trace
from autodiff.ops import GetItem, Mul, Sum
from autodiff.ops.shape import scatter_add

from .harness import Array, Mistakes, Wrong, answer, as_array, attempt, compare, delegates, exercise, learner
from .opcheck import sum_to

Rule = Callable[[Array, Line], Any]  # (the cotangent of line.out, the line) -> one cotangent per operand

WRITE = "write the transposes yourself, with NumPy: each line's, and the walk over the lines"
# The package's own answers: its ops' backward rules (each linear primitive's transpose), linear_transpose and what
# it is built on, its scatter-add; the program may be read and printed, not run or transposed.
POLICY = delegates(linear_transpose, linearize, trace, Program.transpose, Program.__call__, scatter_add)

NAMES = {Mul: "transpose_mul", Sum: "transpose_sum", GetItem: "transpose_getitem"}
# Where a rule's error comes from, and what it usually means: for every rule, and for each one's own.
RULE_ERRORS = [
    ("'Var'", "line.operands holds the traced value as a Var (its .shape and .dtype only: the program is linear in it, "
              "it has no values) and a constant as a Tensor (its array is .data): tell them apart with isinstance(o, Var)"),
]
OWN_ERRORS = {
    Mul: [("converted to Python scalars", "the constant may be an array (tanh's slope, a weight), not only a number: "
                                   "multiply by its array, c.data")],
    Sum: [("broadcast", "ct has the output's shape. With keepdims=False the summed axes are gone: put them back with "
                        "size 1, np.expand_dims(ct, axis), then np.broadcast_to(ct, x.shape); with keepdims=True they "
                        "are there already"),
          ("axis remapping", "with keepdims=True, ct kept the summed axes (size 1): broadcast it as it is; put them "
                             "back with np.expand_dims only when keepdims is False"),
          ("'NoneType' object", "axis None sums every axis: ct is then one number, to copy to every entry of x")],
    GetItem: [("out of bounds", "the cotangent has x's shape, line.operands[0].shape, not ct's: start from "
                                "np.zeros(x.shape, ct.dtype) and add ct at the index"),
              ("array is 0-dimensional", "line.operands[0] is a Var, which has no values (np.zeros_like of it is one "
                                         "0-d object): np.zeros(x.shape, ct.dtype)")],
}
DRIVER_ERRORS = [
    ("read-only", "a transpose may return a read-only view (np.broadcast_to), or one array for two operands (add's "
                  "gives ct to both): add out of place, total = total + g, never +="),
    ("KeyError", "walk the lines newest first, reversed(program.lines), starting from the output, program.outputs[0], "
                 "with ct; skip a line whose value got no cotangent (the output does not use it)"),
    ("not iterable", "each transpose returns a tuple, one cotangent per operand of the line: zip it with "
                     "line.operands"),
    ("unsupported operand type(s) for +: 'NoneType'", "a transpose gives None to a constant operand: skip it, and "
                                                       "add only the cotangents of Vars"),
]

RECIPROCAL = ("the transpose of a scale by c is a scale by c, not by 1/c: a transpose is not an inverse (a 1 × 1 "
              "matrix [c] is its own transpose), so x̄ = c · ct")
UNSCALED = "that is ct itself: the scale is missing. out = c · x, so x̄ = c · ct"
NAIVE = ("a sum's transpose must broadcast ct back to the input's shape keeping the summed axes where they were: "
         "broadcasting ct as it is lines its axes up from the right, so they land on the wrong axes of x. Put the "
         "summed axes back with size 1 first, np.expand_dims(ct, axis), then broadcast")
MEAN = ("a sum's transpose copies ct to every entry that was summed; dividing by their number is the transpose of "
        "a mean")
BUFFERED = ("a gather's transpose must add up repeated indices, not assign: an entry picked twice gets both shares. "
            "z[index] = ct (or z[index] += ct, which is buffered) writes a repeated index once, and the last write "
            "wins; np.add.at(z, index, ct) adds every one")
FANOUT = ("a value used twice kept only one of its cotangents: at fan-out, add the shares up (total = total + g when "
          "the Var already has one)")
FORWARD = ("walk the lines newest first, reversed(program.lines): a line's cotangent is complete only once every line "
           "that uses its value has been transposed, and the output's line is the newest")
INPLACE = ("a cotangent changed after it was handed on: add out of place, total = total + g. A transpose may hand "
           "one array to two operands (add's gives ct to both), and += on it changed the other's too")


def show(line: Line) -> str:
    """`b:f64[4,3] = mul k0 a` (a:f64[3], k0:f64[4,3]): a line alone, as a program prints it, and its operands."""
    traced = list(dict.fromkeys(o for o in line.operands if isinstance(o, Var)))
    text = Program(traced, [line], [line.out], single=True, nested=False).source.splitlines()
    body = text[1].strip()
    names = body.split()[-len(line.operands):]  # a name, or a 0-d constant's value: no spaces in either
    parts = [f"{n}:{aval(o)}" for n, o in zip(names, line.operands) if isinstance(o, Var) or o.ndim]
    index = line.params.get("index")
    if line.op is GetItem and _has_array(index):
        parts.append(f"index {_index(index)}")
    return f"`{body}` ({', '.join(dict.fromkeys(parts))})"


def _has_array(index: Any) -> bool:
    return isinstance(index, np.ndarray) or isinstance(index, tuple) and any(isinstance(i, np.ndarray) for i in index)


def _index(index: Any) -> str:
    if isinstance(index, np.ndarray):
        return repr(index.tolist())
    if isinstance(index, tuple):
        return "(" + ", ".join(_index(i) for i in index) + ")"
    return repr(index)


# The right transposes: the checker's own (the learner may not call them) and the package's ----------------------


@answer
def reference_mul(ct: Array, line: Line) -> tuple[Any, ...]:
    a, b = line.operands
    if isinstance(a, Var):
        return sum_to(np.asarray(ct * b.data), a.shape), None
    return None, sum_to(np.asarray(a.data * ct), b.shape)


@answer
def reference_sum(ct: Array, line: Line) -> tuple[Any, ...]:
    (x,) = line.operands
    axis, keepdims = line.params.get("axis"), line.params.get("keepdims", False)
    if not keepdims:
        ct = np.expand_dims(ct, tuple(range(len(x.shape))) if axis is None else axis)
    return (np.broadcast_to(ct, x.shape),)


@answer
def reference_getitem(ct: Array, line: Line) -> tuple[Any, ...]:
    (x,) = line.operands
    z = np.zeros(x.shape, np.asarray(ct).dtype)
    np.add.at(z, line.params["index"], ct)
    return (z,)


REFERENCE: dict[type, Rule] = {Mul: reference_mul, Sum: reference_sum, GetItem: reference_getitem}


@answer
def package_transpose(ct: Array, line: Line) -> tuple[Any, ...]:
    """The package's transpose of one line: its op's backward, fitted to the operands."""
    return tuple(None if g is None else g.data for g in line.transpose(autodiff.as_tensor(ct)))


def package_rules() -> dict[type, Rule]:
    """Every linear primitive's transpose: the package's, the checker's own for the three of the exercise."""
    rules: dict[type, Rule] = {op: package_transpose for op in LINEAR}
    return {**rules, **REFERENCE}


# The three transposes ----------------------------------------------------------------------------------------


def _line(op: type, f: Callable[..., Tensor], *primals: Array) -> Line:
    """The first line of op in f's linearization at primals: a line as linearize records it."""
    _, program = linearize(f, *primals)
    return next(line for line in program.lines if line.op is op)


def _mul_lines(rng: np.random.Generator) -> list[Line]:
    n, m = (int(k) for k in rng.integers(2, 6, 2))
    normal = rng.standard_normal
    c1, c2, c3, c4 = normal(m), normal((n, m)), normal((n, m)), normal(m)
    c5 = normal((n, m)).astype(np.float32)
    return [
        _line(Mul, lambda x: x * 2.5, normal(n)),  # mul a 2.5
        _line(Mul, lambda x: 2.5 * x, normal((n, m))),  # mul 2.5 a
        _line(Mul, lambda x: x.tanh(), normal((n, m))),  # mul a k0: its slope, x's shape
        _line(Mul, lambda x: x * c1, normal((n, m))),  # c broadcast to x
        _line(Mul, lambda x: Tensor(c2) * x, normal(m)),  # mul k0 a: x broadcast up, a leading axis added
        _line(Mul, lambda x: Tensor(c3) * x, normal((n, 1))),  # x stretched along an axis of size 1
        _line(Mul, lambda x: x * c2, normal(m)),  # mul a k0, x broadcast up
        _line(Mul, lambda x: x * c4, np.array(normal())),  # a 0-d x times a vector
        _line(Mul, lambda x: x * c5, normal((n, 1)).astype(np.float32)),
        _line(Mul, lambda x: 2.0 * x, normal(m).astype(np.float32)),
    ]


def _sum_lines(rng: np.random.Generator) -> list[Line]:
    n, m, p = (int(k) for k in rng.integers(2, 5, 3))
    normal = rng.standard_normal
    return [
        _line(Sum, lambda x: x.sum(axis=0), normal((n, m))),
        _line(Sum, lambda x: x.sum(axis=1), normal((m, m))),  # square: ct broadcast as it is fits, on the wrong axis
        _line(Sum, lambda x: x.sum(axis=-1), normal((n, m, p))),
        _line(Sum, lambda x: x.sum(axis=(0, 2)), normal((n, m, p))),
        _line(Sum, lambda x: x.sum(axis=(-1, 0)), normal((n, m, p))),
        _line(Sum, lambda x: x.sum(), normal((n, m))),
        _line(Sum, lambda x: x.sum(axis=1, keepdims=True), normal((n, m, p))),
        _line(Sum, lambda x: x.sum(keepdims=True), normal((n, m))),
        _line(Sum, lambda x: x.sum(axis=0), normal(n)),
        _line(Sum, lambda x: x.sum(axis=(1,)), normal((n, m, p)).astype(np.float32)),
    ]


def _repeating(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> Array:
    """Indices below n, of this shape, with at least one repeat."""
    index = rng.integers(0, n, shape)
    index.flat[-1] = index.flat[0]
    return index


def _getitem_lines(rng: np.random.Generator) -> list[Line]:
    n, m, p = (int(k) for k in rng.integers(3, 6, 3))
    normal = rng.standard_normal
    rows, cols = _repeating(rng, n, (5,)), _repeating(rng, m, (5,))
    picks, paired, again = _repeating(rng, n, (2, 3)), (rows, cols), _repeating(rng, n, (4,))
    return [
        _line(GetItem, lambda x: x[[0, 2, 2]], normal((n, m))),
        _line(GetItem, lambda x: x[picks], normal(n)),
        _line(GetItem, lambda x: x[1:, ::2], normal((n, m))),
        _line(GetItem, lambda x: x[paired], normal((n, m))),
        _line(GetItem, lambda x: x[[1, -1, n - 1]], normal((n, m))),  # -1 and n - 1: one row, picked twice
        _line(GetItem, lambda x: x[:, [2, 0, 2], 1], normal((n, m, p))),
        _line(GetItem, lambda x: x[2], normal((n, m))),
        _line(GetItem, lambda x: x[..., -1], normal((n, m, p))),
        _line(GetItem, lambda x: x[again], normal((n, m)).astype(np.float32)),
    ]


def _rule_mistakes(line: Line, ct: Array, k: int) -> Mistakes:
    """What typical mistakes give for operand k's cotangent."""
    x = line.operands[k]
    if line.op is Mul:
        c = line.operands[1 - k].data
        return [(attempt(lambda: sum_to(np.asarray(ct / c), x.shape)), RECIPROCAL),
                (attempt(lambda: sum_to(np.asarray(ct), x.shape)), UNSCALED)]
    if line.op is Sum:
        return [(attempt(lambda: np.broadcast_to(ct, x.shape)), NAIVE)]
    z = np.zeros(x.shape)
    z[line.params["index"]] = ct
    return [(z, BUFFERED)]


def _shape_message(name: str, line: Line, k: int, got: tuple[int, ...]) -> str:
    x = line.operands[k]
    text = f"{name} on {show(line)} returned shape {got} for operand {k}, of shape {x.shape}"
    out = line.out.shape
    if line.op is Mul and got == out:
        return (text + f": the constant broadcast it up to the output's shape {out}, and broadcasting's transpose is a "
                "sum: sum it back, sum_to(ct * c, x.shape)")
    if line.op is Sum and got == out:
        return (text + ": that is ct's shape. A sum's transpose broadcasts ct back to the input's shape: each entry "
                "of x that was summed gets the cotangent of its sum")
    if line.op is Sum and len(got) == len(x.shape) and all(g in (1, s) for g, s in zip(got, x.shape)):
        return text + ": the summed axes are back, with size 1: now broadcast ct to x's shape, np.broadcast_to"
    if line.op is GetItem and got == out:
        return (text + ": that is ct's shape. A gather's transpose puts ct back where its entries came from, into "
                "zeros of x's shape (line.operands[0].shape)")
    return text + ": a cotangent has the shape of its operand"


def _check_rule(rule: Any, line: Line, rng: np.random.Generator) -> None:
    """The learner's transpose of one line against the right one: its tuple, None for the constant, the Var's
    cotangent's shape, dtype and values."""
    name, where = NAMES[line.op], show(line)
    ct = rng.standard_normal(line.out.shape).astype(line.out.dtype)
    kept = ct.copy()
    got = learner(f"{name} on {where}", rule, ct, line, returns=True, errors=RULE_ERRORS + OWN_ERRORS[line.op])
    if not np.array_equal(ct, kept):
        raise Wrong(f"{name} changed ct in place (ct *= ..., ct[...] = ...): the walk may hand that same array to "
                    "another operand too (add's transpose gives it to both). Compute a new array")
    n = len(line.operands)
    one = "(x̄,)" if n == 1 else "(x̄, None) or (None, x̄)"
    if not isinstance(got, (tuple, list)):
        raise Wrong(f"{name} on {where} returned {_kind(got)}: return a tuple, one cotangent per operand of the line, "
                    f"{one}")
    if len(got) != n:
        raise Wrong(f"{name} on {where} returned {len(got)} cotangent(s) for the line's {n} operand(s): one per "
                    f"line.operands, None for a constant: {one}")
    want = REFERENCE[line.op](ct, line)
    single = line.out.dtype == np.float32
    for k, (g, operand) in enumerate(zip(got, line.operands)):
        if not isinstance(operand, Var):
            if g is None:
                continue
            j = next(i for i, o in enumerate(line.operands) if isinstance(o, Var))
            if got[j] is None:
                raise Wrong(f"{name} on {where} gave the cotangent to operand {k}, the constant (a Tensor), and None "
                            f"to operand {j}, the traced value (a Var): the cotangent goes to the Var, "
                            f"{'(x̄, None)' if j == 0 else '(None, x̄)'}. linearize puts the constant on either side")
            raise Wrong(f"{name} on {where} returned a cotangent for operand {k}, a constant (a Tensor): return None "
                        "there, nothing depends on a constant")
        if g is None:
            raise Wrong(f"{name} on {where} returned None for operand {k}, the traced value (a Var): it gets the "
                        "cotangent; only a constant gets None")
        if isinstance(g, Tensor):
            raise Wrong(f"{name} on {where} returned a Tensor for operand {k}: return NumPy arrays (ct is one; a "
                        "constant operand is a Tensor, whose array is .data)")
        g = as_array(g, f"{name} on {where}: the cotangent of operand {k}", lists=False)
        if g.shape != operand.shape:
            raise Wrong(_shape_message(name, line, k, g.shape))
        if g.dtype != operand.dtype:
            extra = (": np.zeros(shape) makes float64, np.zeros(x.shape, ct.dtype) does not" if line.op is GetItem
                     else ": a float64 array or NumPy scalar upcasts it; ct * c.data does not")
            raise Wrong(f"{name} on {where} returned {g.dtype} for operand {k}, a {operand.dtype} value: keep ct's "
                        f"dtype{extra}")
        want_k = np.asarray(want[k], np.float64)
        factor = None
        if line.op is Sum:
            n_summed = int(np.prod(operand.shape)) // max(int(np.prod(line.out.shape)), 1)
            factor = lambda c, n=n_summed: MEAN if n > 1 and np.isclose(c, 1 / n) else None  # noqa: E731
        compare(g.astype(np.float64), want_k, f"{name} on {where}: the cotangent of operand {k}",
                _rule_mistakes(line, ct.astype(np.float64), k), rtol=1e-5 if single else 1e-7,
                atol=1e-6 if single else 1e-10, **({"factor": factor} if factor else {}))


def _kind(x: Any) -> str:
    if isinstance(x, Tensor):
        return "a Tensor"
    if isinstance(x, np.ndarray) and x.ndim:
        return "an array"
    if isinstance(x, (np.ndarray, np.generic, float, int)):
        return "a number"
    return f"a {type(x).__name__}"


def _own(fn: Any, name: str) -> None:
    if not callable(fn):
        raise Wrong(f"expected your function {name}, got {fn!r}")


def check_rules_of(mul: Any, sum_: Any, getitem: Any) -> int:
    """Each of the learner's transposes on lines of every kind; how many lines."""
    rng = np.random.default_rng(21)
    lines = 0
    for rule, op, draw in ((mul, Mul, _mul_lines), (sum_, Sum, _sum_lines), (getitem, GetItem, _getitem_lines)):
        _own(rule, NAMES[op])
        for line in draw(rng):
            _check_rule(rule, line, rng)
            lines += 1
    return lines


@exercise("transpose_rules", forbid=POLICY, write=WRITE)
def check_rules(mul: Any, sum_: Any, getitem: Any) -> str:
    n = check_rules_of(mul, sum_, getitem)
    return (f"transpose_mul, transpose_sum and transpose_getitem agree with the transposes on {n} lines: a scale by a "
            "number or an array on either side, broadcasting x up or the constant to x; sums over every axis, one, "
            "a negative one and several, keepdims or not; gathers with repeated, negative, 2-d and paired indices and "
            "slices; float32 kept.")


# The walk -----------------------------------------------------------------------------------------------------


def _trace(x1: Tensor, x2: Tensor) -> Tensor:
    return x1.log() + x1 * x2 - x2.tanh()


def _layer(idx: Array) -> Callable[[Tensor, Tensor], Tensor]:
    return lambda x, w: (x[idx] * w).sum(axis=0).tanh()


def _unused(x: Tensor, w: Tensor) -> Tensor:
    y = (x * 3.0)[::2].sum(axis=-1)
    x.exp()  # a value the output does not use, computed last: the last line is not the output's
    return y


def _shared(x: Tensor) -> Tensor:
    u, v = x.tanh(), x.exp()
    w = u * 3.0
    return (u + v) + w  # u + v's transpose hands one array to u and v, and u gets w's share after it


def _doublings(x: Tensor) -> Tensor:
    for _ in range(40):
        x = x + x
    return x


Walk = tuple[str, Callable[..., Tensor], list[Array]]  # (what, f, primals): f's linearization walked


def _walks(rng: np.random.Generator) -> list[Walk]:
    """The programs the walk is checked on, with the checker's transposes: (what, f, primals)."""
    n, m = (int(k) for k in rng.integers(3, 6, 2))
    idx = _repeating(rng, n, (4,))
    x, w = rng.standard_normal((n, m)), rng.standard_normal(m)
    return [
        ("deck 02's trace, y = log x1 + x1 x2 − tanh x2 at (2, 5)", _trace, [np.array(2.0), np.array(5.0)]),
        (f"tanh((x[{idx.tolist()}] * w).sum(axis=0)), x and w used twice", _layer(idx), [x, w]),
        ("a float32 program with a value the output does not use (its last line) and an input it does not use",
         _unused, [rng.standard_normal((n, m)).astype(np.float32), rng.standard_normal(m).astype(np.float32)]),
        ("(u + v) + 3u with u = tanh x, v = exp x, where add's transpose hands one array to u and v", _shared,
         [rng.standard_normal(m)]),
        ("40 doublings, y = y + y", _doublings, [rng.standard_normal(3)]),
        (f"tanh((x[{idx.tolist()}] * w).sum(axis=0)) in float32", _layer(idx),
         [x.astype(np.float32), w.astype(np.float32)]),
    ]


def _frees(rng: np.random.Generator) -> list[Walk]:
    """Random functions whose linearizations use the three primitives (and others): the VJP for free."""
    n, m, p = (int(k) for k in rng.integers(3, 6, 3))
    idx, rows, cols = _repeating(rng, n, (5,)), _repeating(rng, n, (4,)), _repeating(rng, m, (4,))
    C, W = rng.standard_normal((m, p)), rng.standard_normal((m, p))  # constants: a scale, a matmul
    return [
        (f"tanh((x[{idx.tolist()}] * w).sum(axis=0))", _layer(idx), [rng.standard_normal((n, m)), rng.standard_normal(m)]),
        ("((x − x.mean(axis=1, keepdims=True)) ** 2 * C).sum(axis=(0, −1))",
         lambda x: ((x - x.mean(axis=1, keepdims=True)) ** 2 * C).sum(axis=(0, -1)), [rng.standard_normal((n, m, p))]),
        (f"(exp(x)[{rows.tolist()}, {cols.tolist()}] * x[0, :4]).sum()",
         lambda x: (x.exp()[rows, cols] * x[0, :4]).sum(), [rng.standard_normal((n, m + 4))]),
        ("(x @ W).T[::2, 1:].sum(axis=-1, keepdims=True) * x[:1, :1]",
         lambda x: (x @ W).T[::2, 1:].sum(axis=-1, keepdims=True) * x[:1, :1], [rng.standard_normal((n, m))]),
        (f"tanh((x[{idx.tolist()}] * w).sum(axis=0)) in float32", _layer(idx),
         [rng.standard_normal((n, m)).astype(np.float32), rng.standard_normal(m).astype(np.float32)]),
    ]


def walk(program: Program, ct: Any, rules: dict[type, Rule], mode: str = "add") -> tuple[Any, ...] | None:
    """The transposed program run on ct, newest line first. mode: how a Var's second share is kept: "add" (right),
    "last" or "first" (one share only, a typical mistake), "inplace" (+=: wrong where two Vars hold one array);
    "forward": added, but walking the lines oldest first (a line is skipped until its value has a cotangent)."""
    cts: dict[Var, Any] = {program.outputs[0]: ct}
    try:
        for line in program.lines if mode == "forward" else reversed(program.lines):
            if line.out not in cts:
                continue
            for o, g in zip(line.operands, rules[line.op](cts.pop(line.out), line)):
                if not isinstance(o, Var) or g is None:
                    continue
                if o not in cts:
                    cts[o] = g
                elif mode in ("add", "forward"):
                    cts[o] = cts[o] + g
                elif mode == "last":
                    cts[o] = g
                elif mode == "inplace":
                    cts[o] += g
    except ValueError:  # += on a read-only view
        return None
    return tuple(np.asarray(cts.get(v, np.zeros(v.shape, v.dtype))) for v in program.inputs)


class _Rules(dict):
    """The rules handed to the learner's walk: each records the lines it transposes, refuses a line twice, and
    checks the cotangent it is handed."""

    def __init__(self, program: Program, table: dict[type, Rule], names: dict[int, str]) -> None:
        super().__init__({op: self._wrap(rule) for op, rule in table.items()})
        self.program, self.names, self.order = program, names, []
        self.used_by = uses(program)

    def _wrap(self, rule: Rule) -> Rule:
        def transpose(ct: Any, line: Line) -> Any:
            return self.transpose(rule, ct, line)

        return transpose

    def transpose(self, rule: Rule, ct: Any, line: Line) -> Any:
        where = f"line {self.names.get(id(line), '?')}"
        if any(seen is line for seen in self.order):
            raise Wrong(f"{where} was transposed twice: transpose each line once, with its complete cotangent. Add up "
                        "the shares of a value used twice first, then transpose its line (a walk per use makes 2⁴⁰ "
                        "transposes on 40 doublings)")
        self.order.append(line)
        if ct is None or isinstance(ct, Tensor) or np.shape(ct) != line.out.shape:
            got = "None" if ct is None else "a Tensor" if isinstance(ct, Tensor) else f"a cotangent of shape {np.shape(ct)}"
            out = self.program.outputs[0]
            last = line is self.program.lines[-1] and line.out is not out and np.shape(ct) == out.shape  # the seed
            dead = id(line.out) not in self.used_by and line.out is not out
            raise Wrong(f"{where} was handed {got}, but its value has shape {line.out.shape}: a cotangent has its "
                        "value's shape" + (". The program's output is program.outputs[0], here not the last line's "
                                           "value (the output does not use the last line): seed the output with ct"
                                           if last else ". The output does not use this line's value, so it has no "
                                           "cotangent: skip the line" if dead else ""))
        return rule(ct, line)


def _line_names(program: Program) -> dict[int, str]:
    """Each line as print(program) shows it: `d:f64[3,3] = mul c k0`."""
    text = program.source.splitlines()[1:1 + len(program.lines)]
    return {id(line): f"`{t.strip()}`" for line, t in zip(program.lines, text)}


def uses(program: Program) -> dict[int, list[Line]]:
    """id(Var) -> the lines that use it, among the lines whose value the output uses."""
    live, used_by = {id(program.outputs[0])}, {}
    for line in reversed(program.lines):
        if id(line.out) in live:
            for o in line.operands:
                if isinstance(o, Var):
                    live.add(id(o))
                    used_by.setdefault(id(o), []).append(line)
    return used_by


def _consumers_first(rules: _Rules) -> None:
    """Every line the output uses was transposed after every line that uses its value."""
    when = {id(line): k for k, line in enumerate(rules.order)}
    for line in rules.order:
        for consumer in rules.used_by.get(id(line.out), []):
            if id(consumer) in when and when[id(consumer)] > when[id(line)]:
                raise Wrong(f"line {rules.names[id(line)]} was transposed before line {rules.names[id(consumer)]}, "
                            "which uses its value: its cotangent was not complete yet. Walk the lines newest first, "
                            "reversed(program.lines): each line comes after every line that uses its value")


def _run_walk(driver: Any, what: str, f: Callable[..., Tensor], primals: list[Array], table: dict[type, Rule],
              rng: np.random.Generator, free: bool) -> tuple[Any, ...]:
    _, program = linearize(f, *primals)
    out = program.outputs[0]
    ct = rng.standard_normal(out.shape).astype(out.dtype) if out.shape else np.array(1.0, out.dtype)
    names = _line_names(program)
    rules = _Rules(program, table, names)
    got = learner("transpose_program", driver, program, ct.copy(), rules, returns=True, errors=DRIVER_ERRORS,
                  limit=20.0, slow="is each line transposed once? Walk the lines once, newest first")
    _consumers_first(rules)
    want = autodiff.vjp(f, *primals)[1](ct) if free else walk(program, ct.copy(), package_rules())
    n = len(program.inputs)
    if not isinstance(got, (tuple, list)):
        raise Wrong(f"transpose_program on {what} returned {_kind(got)}: return a tuple, one cotangent per "
                    f"input of the program (program.inputs), {'(x̄,) for one' if n == 1 else f'{n} here'}")
    if len(got) != n:
        raise Wrong(f"transpose_program on {what} returned {len(got)} cotangent(s) for the program's {n} inputs: one "
                    "per program.inputs, zeros for an input the output does not use")
    typical: list[tuple[tuple[Any, ...] | None, str]] = []
    if not free:
        reference = package_rules()
        typical = [(walk(program, ct.copy(), reference, "last"), FANOUT),
                   (walk(program, ct.copy(), reference, "first"), FANOUT),
                   (walk(program, ct.copy(), reference, "inplace"), INPLACE),
                   (walk(program, ct.copy(), reference, "forward"), FORWARD)]
    used = set(rules.used_by) | {id(out)}  # the inputs the output depends on
    single = out.dtype == np.float32
    for k, (g, v) in enumerate(zip(got, program.inputs)):
        name = f"on {what}, the cotangent of input {k} ({aval(v)})"
        if g is None:
            raise Wrong(f"{name} is None" + (": the output does not depend on this input, so its "
                                             "cotangent is zeros of its shape: np.zeros(v.shape, v.dtype)"
                                             if id(v) not in used else ": did you forget to return it?"))
        if isinstance(g, Tensor):
            raise Wrong(f"{name} is a Tensor: return NumPy arrays")
        g = as_array(g, name, lists=False)
        if g.shape != v.shape:
            raise Wrong(f"{name} has shape {g.shape}, but input {k} has shape {v.shape}" + (
                ": the output does not depend on this input, so its cotangent is zeros of its shape, "
                "np.zeros(v.shape, v.dtype)" if id(v) not in used else ""))
        if g.dtype != v.dtype:
            raise Wrong(f"{name} is {g.dtype} for a {v.dtype} input: keep the program's dtype"
                        + (" (np.zeros(v.shape, v.dtype) for an input the output does not use)" if id(v) not in used
                           else ""))
        mistakes = [(m[k], message) for m, message in typical if m is not None]
        compare(g.astype(np.float64), np.asarray(want[k], np.float64), name, mistakes,
                rtol=1e-4 if single else 1e-7, atol=1e-5 if single else 1e-10)
    return tuple(np.asarray(g) for g in got)


@exercise("transpose_program", forbid=POLICY, write=WRITE)
def check_program(driver: Any, mul: Any, sum_: Any, getitem: Any) -> str:
    _own(driver, "transpose_program")
    rng = np.random.default_rng(22)
    walks, frees = _walks(rng), _frees(rng)  # deck 02's trace first
    walked = [_run_walk(driver, what, f, primals, package_rules(), rng, free=False) for what, f, primals in walks]
    check_rules_of(mul, sum_, getitem)  # yours are right on their own before the walk uses them
    mine = {**package_rules(), Mul: mul, Sum: sum_, GetItem: getitem}
    for what, f, primals in frees:
        _run_walk(driver, f"{what} (with your three transposes)", f, primals, mine, rng, free=True)
    a, b = (float(g) for g in walked[0])
    return (f"Your walk transposes {len(walks)} programs: fan-out, a value and an input the output does not use, one "
            f"array for two operands, 40 doublings, float32. With your three transposes it is the VJP of "
            f"{len(frees)} random functions of gathers, scales and sums, as autodiff.vjp says; on deck 02's trace, "
            f"Jᵀ·1 = ({a:.6g}, {b:.6g}).")
