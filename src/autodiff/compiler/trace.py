"""Tracing: one eager run of f and its backward, seen through the core's seams, written down as code.

The tracer is a watcher (autodiff.core.Watcher): apply tells it each op, with the inputs forward got and the
output it made. The backward runs as RecordingBackward, a Backward whose steps note what the engine decides:
the order of the nodes, the gradients each returns, the axes a broadcast gradient is summed over, the dtype
it is cast to, the order of the sums at fan-out. Nothing of the engine is replaced: a trace is the engine's
own run, and each line of the replay calls an op's own forward or backward, or a helper eager calls too.
"""

from __future__ import annotations

import inspect
import keyword
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core import (
    Backward, Function, Tensor, Watcher, accumulate_grads, broadcast_axes, free_released_grads, now, per_input, watchers,
)
from .codegen import HELPERS, RESERVED, SCALAR, Code
from .guards import Signature, left_the_graph, refused


class Tracer(Watcher):
    """The record of one eager run of f: each op as a line of code, each array by the name it has there."""

    name = "autodiff.compile"

    def __init__(self, arg_names: list[str], args: tuple[Any, ...]) -> None:
        self.code, self.args = Code(arg_names), args
        self.start = now()  # a node or leaf with a smaller number was made inside f
        self.phase = "forward"
        self.values: dict[int, tuple[Any, str, bool]] = {}  # id(array): (array, its name, depends on f's inputs)
        self.grads: dict[int, str] = {}  # id(node or leaf): the name of its gradient
        self.signature = Signature()
        self.ctxs: list[str] = []  # the replay's ctx objects, by name: c0 is the first op's
        self.index: dict[int, int] = {}  # id(a node of the trace): its op's number
        self.sweep: RecordingBackward | None = None
        for name, a in zip(arg_names, args):
            if isinstance(a, Tensor):
                self.values[id(a.data)] = (a.data, f"{name}.data", True)
                self.grads[id(a)] = "g" + name
            else:
                self.values[id(a)] = (a, name, True)

    # The watcher: what the core tells it ------------------------------------------------------------

    def op(self, ctx: Function, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        self.alone()
        if self.phase != "forward":
            raise refused("an op's backward applies ops (checkpoint recomputes its block)")
        operands = [self.operand(x) for x in inputs]
        keywords = [f"{k}={self.param(v)}" for k, v in params.items()]
        self.masks(params.get("index"))
        k = len(self.ctxs)
        c = self.code.bind(f"c{k}", _fresh(ctx))
        self.ctxs.append(c)
        self.index[id(ctx)] = k
        call = f"{self.code.bind(type(ctx).__name__, type(ctx))}.forward({', '.join([c, *operands, *keywords])})"
        if out.data.ndim == 0:
            call, comment = f"as_output({c}, {call})", SCALAR
        else:
            comment = ""
        self.code.line(f"x{k} = {call}", comment)
        depends = any(self.depends(x) for x in inputs) or any(self.depends(v) for v in params.values())
        self.values[id(out.data)] = (out.data, f"x{k}", depends)
        self.grads[id(ctx)] = f"g{k}"

    def value(self, t: Tensor, how: str) -> None:
        if self.phase == "forward" and self.depends(t):
            raise left_the_graph(how)

    def backward(self, sweep: Backward) -> None:
        if self.phase == "forward":
            raise refused("f runs backward itself (backward(), autograd.grad, or a compiled function)")
        if self.phase == "backward" and sweep is not self.sweep:
            raise refused("an op's backward runs the engine again (checkpoint)")

    def alone(self) -> None:
        """Only this tracer watches: a replay carries no tangents and runs no other watcher."""
        for w in watchers():
            if w is not self:
                raise RuntimeError(f"autodiff.compile: f uses {w.name}: a replay carries none of it; call f itself")

    # What the trace knows ------------------------------------------------------------------------------

    def known(self, a: Any) -> bool:
        v = self.values.get(id(a))
        return v is not None and v[0] is a

    def depends(self, v: Any) -> bool:
        """Whether v (a Tensor, an array, or a tuple or list of them) is computed from f's inputs or leaves."""
        if isinstance(v, (tuple, list)):
            return any(map(self.depends, v))
        a = v.data if isinstance(v, Tensor) else v
        return isinstance(a, np.ndarray) and self.known(a) and self.values[id(a)][2]

    def operand(self, x: Any) -> str:
        """An op's input in the code: a value the trace named, a tensor f closes over, or a constant."""
        a = x.data if isinstance(x, Tensor) else x
        if self.known(a):
            return self.values[id(a)][1]
        if not isinstance(x, Tensor):
            return self.code.constant(a)  # a Python number, made an array by apply
        return self.closed_over(x)

    def closed_over(self, x: Tensor) -> str:
        """A tensor f reads that no op of f made: named w0, w1, ..., read by reference at each replay."""
        if x.grad_fn is not None:
            raise RuntimeError(f"autodiff.compile: f uses a tensor that {type(x.grad_fn).__name__} computed outside f; "
                               "a replay runs only f's own ops: compute it inside f, or pass it (detached) as an argument")
        if x.requires_grad and x.version < self.start:
            raise RuntimeError("autodiff.compile: f creates a tensor that requires grad (or changes one in place): each "
                               "eager call makes a new one, a replay would reuse this one; create it outside f")
        name = self.code.bind(f"w{len(self.signature.tensors)}", x)
        self.signature.tensors.append(x)
        self.values[id(x.data)] = (x.data, f"{name}.data", x.requires_grad)
        if x.requires_grad:
            self.grads[id(x)] = "g" + name
        return f"{name}.data"

    def param(self, v: Any) -> str:
        return self.code.literal(v, self.array)

    def array(self, v: Any) -> str:
        """An array or tensor among an op's parameters (an index, targets, a mask): an argument, a traced value,
        or a constant."""
        for name, a in zip(self.code.arg_names, self.args):
            if a is v:
                return name  # the argument itself
        a = v.data if isinstance(v, Tensor) else v
        return self.values[id(a)][1] if self.known(a) else self.code.constant(a)

    def masks(self, index: Any) -> None:
        """The boolean arrays in an index: a replay relies on their counts of True entries."""
        for m in _arrays(index):
            if m.dtype != np.bool_:
                continue
            if self.depends(m) and not any(m is _data(a) for a in self.args):
                raise TypeError("autodiff.compile: f indexes with a boolean mask computed from traced values: the "
                                "number of entries it selects can change from call to call. Use where(), or pass "
                                "the mask as an argument")
            i = next((i for i, a in enumerate(self.args) if m is _data(a)), None)
            self.signature.masks.append((i, None if i is not None else m))

    # After f ----------------------------------------------------------------------------------------

    def check_loss(self, loss: Any) -> None:
        if not isinstance(loss, Tensor):
            raise TypeError(f"autodiff.compile: f must return a scalar loss Tensor; it returned a {type(loss).__name__}")
        if loss.data.size != 1:
            raise ValueError(f"autodiff.compile: f must return a scalar loss; it returned a Tensor of shape {loss.shape} "
                             "(reduce it: .sum(), .mean())")
        if not loss.requires_grad:
            raise RuntimeError("autodiff.compile: f's loss does not require grad: it depends on no tensor that "
                               "requires grad")
        if not self.known(loss.data):
            self.operand(loss)  # the error for a loss computed outside f

    def backward_of(self, loss: Tensor) -> None:
        """loss.backward(), as eager runs it, recorded."""
        self.phase = "backward"
        self.sweep = RecordingBackward(self)
        sums = self.sweep.run([loss], [None])
        self.sweep.flush()
        self.sweep = None  # no cycle (tracer, sweep) left behind: the trace's arrays go with the call
        if sums:
            pairs = ", ".join(f"{self.leaf(t)}: {self.grads[id(t)]}" for t in sums)
            self.code.line(f"accumulate_grads({{{pairs}}})", "into .grad, as backward() does")
        accumulate_grads(sums)
        if self.ctxs:
            self.code.line(f"release({', '.join(self.ctxs)})", "free what forward saved and noted")
        self.code.line(f"return {self.values[id(loss.data)][1]}")
        self.signature.made_for = self.signature.now(self.args)

    def leaf(self, t: Tensor) -> str:
        """A leaf's name in the code: an argument's, or the w it was bound to."""
        return self.grads[id(t)][1:]


@dataclass
class _Turn:
    """One node's turn in backward: what its backward returned, and for each input how it was fitted and summed."""

    node: Function
    grads: tuple[Any, ...]
    returned_tuple: bool
    slots: dict[int, tuple[Any, list[tuple[str, str]], bool]] = field(default_factory=dict)  # j: (vertex, steps, first)
    next: int = 0


class RecordingBackward(Backward):
    """The backward of a trace: the engine's sweep, each step noted as lines of code."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer, self.code = tracer, tracer.code
        self.turn: _Turn | None = None
        self.current = 0

    def seed(self, root: Tensor, grad: Any) -> Any:
        seed = super().seed(root, grad)
        t = self.tracer
        self.code.line(f"{t.grads[id(root.grad_fn or root)]} = ones_like({t.values[id(root.data)][1]})", "dL/dL = 1")
        return seed

    def vjp(self, node: Function, grad: Any) -> tuple[Any, ...]:
        self.flush()
        if node.hooks:
            raise RuntimeError("autodiff.compile: f calls retain_grad(); a replay runs no hooks")
        leaves = [p for p in node.parents if isinstance(p, Tensor)]
        if leaves:
            self.code.line(f"free_released_grads({', '.join(map(self.tracer.leaf, leaves))})",
                           "zero_grad's old arrays, freed just before their successors")
            free_released_grads(*leaves)
        raw = type(node).backward(node, grad)  # as Backward.vjp does; a trace's nodes are never freed twice
        grads = per_input(node, raw)
        self.turn = _Turn(node, grads, type(raw) is tuple)
        return grads

    def fit(self, grad: Any, x: Any, node: Function) -> Any:
        fitted = super().fit(grad, x, node)
        turn = self.turn
        j = self.current = next(j for j in range(turn.next, len(node.parents))
                                if node.parents[j] is x and turn.grads[j] is grad)
        turn.next = j + 1
        turn.slots[j] = (x, self.steps(grad, fitted), True)
        return fitted

    def steps(self, grad: Any, fitted: Any) -> list[tuple[str, str]]:
        """How the engine fitted grad: (a method call, what it is for), in order."""
        if fitted is grad:
            return []
        steps = [] if type(grad) is np.ndarray else [("asarray", SCALAR)]
        shape, dtype = np.shape(grad), np.asarray(grad).dtype
        if shape != fitted.shape:
            axes = broadcast_axes(shape, fitted.shape)
            where = f"axis {axes[0]}" if len(axes) == 1 else f"axes {', '.join(map(str, axes))}"
            kept = tuple(n for a, n in enumerate(shape) if a not in axes)
            summed = (f"asarray(add_reduce({{}}, axis={axes}))" if kept == fitted.shape  # as sum_to: no view
                      else f"add_reduce({{}}, axis={axes}).reshape({fitted.shape})")
            steps.append((summed, f"sum over the broadcast {where}"))
        if dtype != fitted.dtype:
            steps.append((f"{{}}.astype({self.code.literal(fitted.dtype, str)})", f"cast to the input's {fitted.dtype}"))
        return steps

    def accumulate(self, x: Any, grad: Any) -> None:
        first = x not in self.sums
        super().accumulate(x, grad)
        if self.turn is not None:
            vertex, steps, _ = self.turn.slots[self.current]
            self.turn.slots[self.current] = (vertex, steps, first)

    def flush(self) -> None:
        """The lines of the node whose backward ran last: its backward, then each gradient fitted and summed."""
        turn, self.turn = self.turn, None
        if turn is None:
            return
        t, targets, after = self.tracer, [], []
        temps = [j for j, (_, steps, first) in turn.slots.items() if steps or not first]
        for j in range(len(turn.grads)):
            if j not in turn.slots:
                targets.append("_")
                continue
            vertex, steps, first = turn.slots[j]
            target = t.grads[id(vertex)]
            if j not in temps:
                targets.append(target)
                continue
            temp = "t" if len(temps) == 1 else f"t{temps.index(j)}"
            targets.append(temp)
            expr, notes = temp, []
            for step, note in steps:
                expr = step.format(expr) if step != "asarray" else f"asarray({expr})"
                notes.append(note)
            if not first:
                expr = f"add_grads({target}, {expr})"
                notes.append("fan-out: summed in backward's order")
            after.append((f"{target} = {expr}", "; ".join(notes)))
        k = t.index[id(turn.node)]
        call = f"{type(turn.node).__name__}.backward({t.ctxs[k]}, g{k})"
        if all(target == "_" for target in targets):
            self.code.line(call)
        elif turn.returned_tuple:
            self.code.line(f"{', '.join(targets)}{',' if len(targets) == 1 else ''} = {call}")
        else:
            self.code.line(f"{targets[0]} = {call}")
        for line, note in after:
            self.code.line(line, note)


def _fresh(ctx: Function) -> Function:
    """The ctx a replay's forward and backward get: a new one of ctx's op, knowing only which inputs need a
    gradient (forward notes all else anew at each call)."""
    c = type(ctx)()
    c.needs_input_grad, c.saved_tensors, c.saved_tags = ctx.needs_input_grad, (), ()
    return c


def _data(a: Any) -> Any:
    return a.data if isinstance(a, Tensor) else a


def _arrays(index: Any) -> list[np.ndarray]:
    """The arrays (of tensors too) in an index."""
    if isinstance(index, (tuple, list)):
        return [a for part in index for a in _arrays(part)]
    a = _data(index)
    return [a] if isinstance(a, np.ndarray) else []


def arg_names(f: Callable[..., Any], n: int) -> list[str]:
    """f's parameter names for the generated function, if they are n plain ones that clash with nothing; else a0, a1..."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params]
    usable = len(params) == n and all(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and not keyword.iskeyword(p.name)
        and not RESERVED.fullmatch(p.name) and p.name not in HELPERS
        and "g" + p.name not in {*names, *HELPERS}
        for p in params
    )
    return names if usable else [f"a{i}" for i in range(n)]
