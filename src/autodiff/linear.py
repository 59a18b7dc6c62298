"""Reverse mode is forward mode, transposed: linearize and linear_transpose, as in JAX.

    y, f_jvp = linearize(f, x)          # f runs once; f_jvp(ẋ) = J ẋ, a recorded linear program
    print(f_jvp)                        # the program, one linear primitive a line
    f_vjp = linear_transpose(f_jvp, x)  # the same program transposed, line by line in reverse order
    (x̄,) = f_vjp(ȳ)                     # Jᵀ ȳ: the VJP, from the JVP alone

A linear program is traced: its inputs are tracer tensors, and a watcher records every op applied to a
value that depends on them. Each must be one of the linear primitives of LINEAR (scale by a constant, add,
sum, reshape, gather, matmul by a constant, ...); any other op there raises, naming it and why. linearize
traces forward mode: each op's jvp, evaluated at the primals, is a program of linear primitives, so no
other rule is needed. linear_transpose traces the transposition: for a linear op, J and Jᵀ are the same
map written twice, so a linear primitive's transpose is its own backward rule, and only theirs run.
(Autodidax, "JAX core from scratch", parts 3 and 4; Radul, Paszke, Frostig, Johnson, Maclaurin, "You Only
Linearize Once: Tangents Transpose to Gradients", POPL 2023.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core import Function, Tensor, Watcher, add_grads, as_tensor, enable_grad, per_input, sum_to, tag_saved, \
    watchers, watching
from .forward import dual_level, has_tangent, make_dual, unpack_dual
from .ops import (
    Add, Alias, BroadcastTo, Cast, Concatenate, Div, GetItem, MatMul, Mean, Mul, Neg, Reshape, ScatterAdd, Stack, Sub,
    Sum, Transpose, Where,
)

# The linear primitives: how each is linear, as a rule on which operands are traced (the rest are constants).
# Each one's transpose is its own backward rule: for a linear map, the VJP is the transpose itself.


def _sums(op: type[Function], traced: list[bool], constants: list[Any]) -> str | None:
    """Linear in every operand: the constants among them must be zeros (adding a constant is affine)."""
    if any(np.any(c) for c in constants):
        return (f"{op.__name__} adds a constant to a value that depends on the inputs: x + c is affine, not linear "
                "(it does not send 0 to 0)")
    return None


def _scales(op: type[Function], traced: list[bool], constants: list[Any]) -> str | None:
    """Linear in one operand, the other a constant: x * c, c @ x."""
    if all(traced):
        return f"{op.__name__} of two values that depend on the inputs (the input times itself) is quadratic, not linear"
    return None


def _numerator(op: type[Function], traced: list[bool], constants: list[Any]) -> str | None:
    """x / c: a scale; c / x is not linear."""
    if traced[1]:
        return f"{op.__name__} by a value that depends on the inputs is not linear"
    return None


def _moves(op: type[Function], traced: list[bool], constants: list[Any]) -> str | None:
    """One operand, its entries moved, summed or copied: always linear."""
    return None


LINEAR: dict[type[Function], Callable[[type[Function], list[bool], list[Any]], str | None]] = {
    Add: _sums, Sub: _sums, Concatenate: _sums, Stack: _sums, Where: _sums,  # the condition is a parameter
    Neg: _moves, Alias: _moves, Cast: _moves, Sum: _moves, Mean: _moves, Reshape: _moves, Transpose: _moves,
    BroadcastTo: _moves, GetItem: _moves, ScatterAdd: _moves,
    Mul: _scales, MatMul: _scales, Div: _numerator,
}


# A linear program: traced once, evaluated, printed, transposed -----------------------------------------


@dataclass(eq=False)
class Var:
    """A value of a linear program, by its shape and dtype."""

    shape: tuple[int, ...]
    dtype: np.dtype


@dataclass
class Line:
    """out = op(operands..., **params): each operand a Var or a constant Tensor."""

    op: type[Function]
    operands: list[Var | Tensor]
    params: dict[str, Any]
    out: Var

    def transpose(self, ct: Any) -> tuple[Any, ...]:
        """Each traced operand's cotangent given the output's, None for a constant: the op's backward, each
        gradient summed back to its operand's shape and cast to its dtype, as the engine fits a gradient."""
        return tuple(_fitted(g, o) if isinstance(o, Var) and g is not None else None
                     for o, g in zip(self.operands, _backward(self, ct)))


class Program:
    """A linear function as its program: call it with one tangent (or cotangent) per input."""

    def __init__(self, inputs: list[Var], lines: list[Line], outputs: list[Var | Tensor], single: bool,
                 nested: bool) -> None:
        self.inputs, self.lines, self.outputs = inputs, lines, outputs
        self.single, self.nested = single, nested

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.inputs):
            raise TypeError(f"the linear program takes {len(self.inputs)} arguments, got {len(args)}")
        env: dict[int, Tensor] = {}
        for i, (v, a) in enumerate(zip(self.inputs, args)):
            env[id(v)] = _argument(i, v, a)
        for line in self.lines:
            operands = [env[id(o)] if isinstance(o, Var) else o for o in line.operands]
            env[id(line.out)] = line.op.apply(*operands, **line.params)
        nested = self.nested or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        outs = [_result(env[id(o)] if isinstance(o, Var) else o, nested) for o in self.outputs]
        return outs[0] if self.single else tuple(outs)

    @property
    def source(self) -> str:
        """The program, one primitive a line, as a jaxpr shows it: `name:dtype[shape] = op operands`."""
        return _Printer(self).text()

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<linear program: {len(self.inputs)} inputs, {len(self.lines)} lines>\n{self.source}"

    def transpose(self) -> Program:
        """The transposed program: each line's backward rule, applied in reverse order (traced, so linear)."""
        return trace(lambda *cts: _transposed(self, cts), [(o.shape, o.dtype) for o in self.outputs],
                     single=False, nested=self.nested)


def _argument(i: int, v: Var, a: Any) -> Tensor:
    t = as_tensor(a if isinstance(a, Tensor) else np.asarray(a))
    if t.shape != v.shape:
        raise ValueError(f"the linear program's input {i} has shape {v.shape}, got {t.shape}")
    return t if t.dtype == v.dtype else t.astype(v.dtype)


def _result(t: Any, nested: bool) -> Any:
    if nested:
        return t
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def _transposed(program: Program, cts: tuple[Tensor, ...]) -> tuple[Any, ...]:
    """Jᵀ applied to the outputs' cotangents: each line's transpose (its backward), newest line first; a value
    used twice sums its cotangents."""
    sums: dict[int, Any] = {}
    for out, ct in zip(program.outputs, cts):
        if isinstance(out, Var):
            sums[id(out)] = add_grads(sums[id(out)], ct) if id(out) in sums else ct
    for line in reversed(program.lines):
        ct = sums.pop(id(line.out), None)
        if ct is None:  # the outputs do not depend on this line
            continue
        for operand, g in zip(line.operands, line.transpose(ct)):
            if g is not None:
                sums[id(operand)] = add_grads(sums[id(operand)], g) if id(operand) in sums else g
    return tuple(sums.get(id(v), as_tensor(np.zeros(v.shape, v.dtype))) for v in program.inputs)


def _fitted(g: Any, v: Var) -> Any:
    g = g if np.shape(g) == v.shape else sum_to(g, v.shape)
    return g if g.dtype == v.dtype else g.astype(v.dtype)


def _backward(line: Line, ct: Tensor) -> tuple[Any, ...]:
    """line's op's backward applied to ct: its forward run again for what backward reads, with the traced
    operands as zeros (a linear op's transpose never reads them), the constants as they are."""
    ctx = line.op()
    operands = [as_tensor(np.zeros(o.shape, o.dtype)) if isinstance(o, Var) else o for o in line.operands]
    arrays = [o.data for o in operands]
    ctx.saved_tensors, ctx.needs_input_grad = (), tuple(isinstance(o, Var) for o in line.operands)
    out = line.op.forward(ctx, *arrays, **line.params)
    if ctx.saved_tensors:
        tags = tag_saved(ctx, arrays, out)
        ctx.saved_tensors = tuple(operands[t] if t >= 0 else as_tensor(out) for t in tags)
    with enable_grad():
        return per_input(ctx, line.op.backward(ctx, ct))


# Tracing ----------------------------------------------------------------------------------------


class _Recorder(Watcher):
    """Records each op applied to a value that depends on the traced inputs, checking that it is linear."""

    name = "a linear trace"

    def __init__(self) -> None:
        self.vars: dict[int, tuple[Tensor, Var]] = {}  # id(traced tensor): (it, its Var)
        self.lines: list[Line] = []

    def var(self, t: Tensor) -> Var:
        v = Var(t.shape, t.dtype)
        self.vars[id(t)] = (t, v)
        return v

    def traced(self, x: Any) -> Var | None:
        entry = self.vars.get(id(x)) if isinstance(x, Tensor) else None
        return entry[1] if entry is not None and entry[0] is x else None

    def op(self, ctx: Function, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        traced = [self.traced(x) for x in inputs]
        if all(v is None for v in traced):
            return  # a constant of the program, computed now
        cls = type(ctx)
        rule = LINEAR.get(cls)
        constants = [x.data if isinstance(x, Tensor) else x for x, v in zip(inputs, traced) if v is None]
        why = _not_linear(cls) if rule is None else rule(cls, [v is not None for v in traced], constants)
        if why is not None:
            raise TypeError(f"linear_transpose: {why}")
        operands = [v if v is not None else as_tensor(x) for x, v in zip(inputs, traced)]
        self.lines.append(Line(cls, operands, dict(params), self.var(out)))

    def value(self, t: Tensor, how: str) -> None:
        if self.traced(t) is not None and t.dtype.kind == "f":
            raise TypeError(f"linear_transpose: the function reads a value that depends on its inputs ({how}): "
                            "a linear program cannot branch on it")


def _not_linear(cls: type[Function]) -> str:
    return (f"{cls.__name__} of a value that depends on the inputs is not linear (its slope depends on where it "
            f"is taken); such a value may pass only through the linear primitives: "
            f"{', '.join(sorted(op.__name__ for op in LINEAR))}")


def trace(fn: Callable[..., Any], avals: Sequence[tuple[tuple[int, ...], Any]], single: bool,
          nested: bool = False) -> Program:
    """fn, a function of tensors of these shapes and dtypes that is linear in them, as a Program."""
    recorder = _Recorder()
    with watching((*watchers(), recorder)):
        xs = [as_tensor(np.ones(shape, dtype)) for shape, dtype in avals]  # ones: a value, not a special case
        inputs = [recorder.var(x) for x in xs]
        out = fn(*xs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    outputs = [recorder.traced(o) or as_tensor(o) for o in outs]
    return Program(inputs, recorder.lines, outputs, single and not isinstance(out, (tuple, list)), nested)


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Program]:
    """(f(*primals), f_jvp): f runs once, in forward mode with traced tangents; f_jvp(*tangents) evaluates the
    recorded linear program, J · tangents, without running f again (jax.linearize)."""
    nested = any(isinstance(p, Tensor) and (p.requires_grad or has_tangent(p)) for p in primals)
    xs = [as_tensor(p) for p in primals]
    for i, x in enumerate(xs):
        if x.dtype.kind != "f":
            raise TypeError(f"linearize: primal {i} must be floating point, got dtype {x.dtype}")
    found: list[Any] = []

    def jvp_of_f(*tangents: Tensor) -> Any:
        with dual_level():
            out = f(*(make_dual(x, t) for x, t in zip(xs, tangents)))
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            found.append(out)
            pairs = [unpack_dual(_output(o)) for o in outs]
        tangents_out = [t if t is not None else as_tensor(np.zeros(p.shape, p.dtype)) for p, t in pairs]
        return tangents_out if isinstance(out, (tuple, list)) else tangents_out[0]

    program = trace(jvp_of_f, [(x.shape, x.dtype) for x in xs], single=True, nested=nested)
    out = found[0]
    values = [_result(o, nested) for o in (out if isinstance(out, (tuple, list)) else [out])]
    return (tuple(values) if isinstance(out, (tuple, list)) else values[0]), program


def linear_transpose(f_lin: Callable[..., Any], *primals: Any) -> Program:
    """The transpose of a function linear in its inputs, for inputs like primals (their shapes and dtypes):
    f_t(cotangent) is a tuple, one cotangent per input (jax.linear_transpose). f_lin is linearize's f_jvp or
    any Python function of Tensors that is linear in them; a step that is not linear raises, naming the op."""
    if isinstance(f_lin, Program):
        program = f_lin
    else:
        avals = [(np.shape(p), np.asarray(getattr(p, "data", p)).dtype) for p in primals]
        program = trace(f_lin, avals, single=True,
                        nested=any(isinstance(p, Tensor) and p.requires_grad for p in primals))
    if len(primals) != len(program.inputs):
        raise TypeError(f"linear_transpose: the function takes {len(program.inputs)} inputs, got {len(primals)} primals")
    return program.transpose()


def _output(o: Any) -> Tensor:
    if not isinstance(o, Tensor):
        raise TypeError(f"linearize: f returned a {type(o).__name__}; it must return a Tensor (or a tuple of them)")
    return o


# Printing -----------------------------------------------------------------------------------------


_NAMES = {"Mul": "mul", "Div": "div", "Add": "add", "Sub": "sub", "Neg": "neg", "MatMul": "matmul", "Sum": "sum",
          "Mean": "mean", "Reshape": "reshape", "Transpose": "transpose", "BroadcastTo": "broadcast_to",
          "GetItem": "getitem", "ScatterAdd": "scatter_add", "Concatenate": "concatenate", "Stack": "stack",
          "Where": "where", "Cast": "astype", "Alias": "alias"}


class _Printer:
    """A program as text: variables a, b, c ...; 0-d constants by value, others c0, c1 ... listed after."""

    def __init__(self, program: Program) -> None:
        self.program, self.names, self.constants = program, {}, []

    def name(self, v: Var | Tensor) -> str:
        if isinstance(v, Var):
            if id(v) not in self.names:
                self.names[id(v)] = _letters(len(self.names))
            return self.names[id(v)]
        if v.ndim == 0:
            return f"{v.item():.4g}"
        if not any(v is c for c in self.constants):
            self.constants.append(v)
        return f"k{next(i for i, c in enumerate(self.constants) if c is v)}"

    def text(self) -> str:
        p = self.program
        head = " ".join(f"{self.name(v)}:{aval(v)}" for v in p.inputs)
        lines = [f"{{ lambda {head} ."]
        for line in p.lines:
            params = ", ".join(f"{k}={_param(v)}" for k, v in line.params.items() if v is not None and v is not False)
            op = _NAMES.get(line.op.__name__, line.op.__name__) + (f"[{params}]" if params else "")
            operands = " ".join(self.name(o) for o in line.operands)
            lines.append(f"    {self.name(line.out)}:{aval(line.out)} = {op} {operands}")
        outs = ", ".join(self.name(o) for o in p.outputs)
        lines.append(f"  in ({outs}{',' if len(p.outputs) == 1 else ''}) }}")
        lines += [f"  where k{i}:{aval(c)}" for i, c in enumerate(self.constants)]
        return "\n".join(lines)


def _letters(i: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else f"v{i}"


def aval(v: Var | Tensor) -> str:
    """A value's dtype and shape as a program prints them: f64[4,3]."""
    kind = {"float64": "f64", "float32": "f32", "float16": "f16"}.get(np.dtype(v.dtype).name, np.dtype(v.dtype).name)
    return f"{kind}[{','.join(map(str, v.shape))}]"


def _param(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array{list(v.shape)}"
    if isinstance(v, np.dtype):
        return v.name
    return repr(v)
