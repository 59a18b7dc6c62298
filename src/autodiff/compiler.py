"""autodiff.compile: trace a training step once, then replay it as straight-line NumPy.

    fast = autodiff.compile(loss_fn)   # loss_fn(*args) returns a scalar loss Tensor
    loss = fast(X, y)                  # loss_fn(X, y).backward(), bit for bit: every leaf's .grad
    print(fast.source)                 # the code the calls after the first one run

The first call with given shapes and dtypes runs f and its backward eagerly, with the engine's functions
wrapped so that they report what they do: each op with the inputs that feed it, the order backward runs
the nodes in, and every decision on the way (which gradients are needed, the axes a broadcast gradient is
summed over, dtype casts, the order of the sums at fan-out, the released .grad arrays freed before a node).
Later calls run one generated Python function: each op's own forward(ctx, ...) and backward(ctx, grad),
in that order, on arrays. No Tensor (but what an op's backward makes: GetItem's applies ScatterAdd), no graph,
no heap, no check that the trace decided already: the same NumPy calls on the same arrays, so the same
results, bit for bit. A compiled function reuses one ctx per op: one call at a time (not reentrant, not
thread-safe).

Like jax.jit, a trace sees only what goes through the ops. Python control flow on values, NumPy work on
`.data`, random numbers drawn inside f, and constants computed from traced values are baked in as they
were at the trace; what can be detected (a comparison, bool() or float() of a traced tensor, a NumPy
function with no derivative rule) raises an error during the trace.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import itertools
import keyword
import linecache
import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import dispatch, engine
from .engine import Function
from .tensor import Tensor

_RESERVED = re.compile(r"(?:x|g|gw|w|c|k|t|a)\d+")  # the generated code's own names
_HELPERS = ("asarray", "array", "one", "output", "accumulate_grads", "free_released_grads", "t", "_")
_FORWARD, _BACKWARD, _RUNNING, _DONE = "forward", "backward", "running", "done"
_FREED = "zero_grad's old arrays, freed here as eager does"
_SCALAR = "a NumPy scalar, as a 0-d array"
_SAY_ONCE = {_FREED, _SCALAR}  # comments worth reading once per function


def compile(f: Callable[..., Tensor]) -> Compiled:  # noqa: A001 (torch.compile's name)
    """f(*args) -> a scalar loss Tensor, as a function that computes the loss and its backward: traced on
    the first call with given shapes and dtypes, replayed as generated code after (see the module docstring)."""
    return Compiled(f)


class Compiled:
    """What compile(f) returns: call it as f; `.source` is the code of the last call's trace."""

    def __init__(self, f: Callable[..., Tensor]) -> None:
        functools.update_wrapper(self, f, updated=())
        self.f = f
        self.traces: dict[tuple[Any, ...], _Replay] = {}  # by the arguments' shapes, dtypes, requires_grad
        self.last: _Replay | None = None

    def __call__(self, *args: Any) -> Tensor:
        """f(*args).backward(), returning the loss (a Tensor without graph: backward has run)."""
        if engine._forward_ad_level or not engine._grad_mode.enabled:
            raise RuntimeError("autodiff.compile: a compiled function runs backward, so it needs grad mode on and no "
                               "forward-mode level open (no_grad, dual_level): call f itself there")
        key = _key(args)
        replay = self.last = self.traces.get(key)
        # traced again for new shapes or dtypes: of the arguments (the key), or of the leaves f closes over
        if replay is None or replay.signature() != replay.made_for:
            loss, self.last = _trace(self.f, args)
            self.traces[key] = self.last
            return loss
        return Tensor._make(replay.run(*args))

    @property
    def source(self) -> str:
        if self.last is None:
            raise RuntimeError("autodiff.compile: no source yet; the first call traces f and generates it")
        return self.last.source

    def __repr__(self) -> str:
        return f"<autodiff.compile of {getattr(self.f, '__qualname__', self.f)!r}: {len(self.traces)} trace(s)>"


def _key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a trace is made for: each argument's shape, dtype and requires_grad, and which share an array."""
    key = [(a.shape, a.dtype) if type(a) is np.ndarray else _signature(i, a) for i, a in enumerate(args)]
    if len(args) > 1:
        ids = [id(a.data) if isinstance(a, Tensor) else id(a) for a in args]
        if len(set(ids)) < len(ids):  # the same array twice: the trace ties their uses together
            key.append(tuple(map(ids.index, ids)))
    return tuple(key)


def _signature(i: int, a: Any) -> tuple[Any, ...]:
    """A Tensor's (or an ndarray subclass's) part of the key; anything else is an error naming argument i."""
    if isinstance(a, Tensor):
        if a.grad_fn is not None:
            raise ValueError(f"autodiff.compile: argument {i} was computed by {type(a.grad_fn).__name__} (it has a "
                             "grad_fn), so backward would run past f into the graph that made it; pass a leaf, "
                             "or .detach() it")
        return a.data.shape, a.data.dtype, a._requires_grad
    if isinstance(a, np.ndarray):
        return a.shape, a.dtype
    raise TypeError(f"autodiff.compile: argument {i} is a {type(a).__name__}; pass a NumPy array or a Tensor "
                    "(a number that changes: np.asarray(it); one that does not: let f close over it)")


def _trace(f: Callable[..., Tensor], args: tuple[Any, ...]) -> tuple[Tensor, _Replay]:
    """Run f(*args).backward() eagerly, recording it; the loss and the replay made from the record."""
    tracer = _Tracer(_arg_names(f, len(args)), args)
    with tracer.recording():
        loss = f(*args)
        tracer.check_loss(loss)
        tracer.phase = _BACKWARD
        loss.backward()
    return Tensor._make(loss.data), tracer.replay(getattr(f, "__name__", "f"), loss)


class _Replay:
    """One trace: the generated function, its source, and the leaves f closes over (their shapes and dtypes)."""

    def __init__(self, run: Callable[..., np.ndarray], source: str, leaves: list[Tensor]) -> None:
        self.run, self.source, self.leaves = run, source, leaves
        self.made_for = self.signature()

    def signature(self) -> list[tuple[Any, ...]]:
        return [(w.data.shape, w.data.dtype, w._requires_grad) for w in self.leaves]


def output(ctx: Function, result: Any) -> np.ndarray:
    """A forward's NumPy scalar as the 0-d array an op's output is, in ctx.saved_tensors too (as engine._record)."""
    data = np.asarray(result)
    ctx.saved_tensors = tuple(data if a is result else a for a in ctx.saved_tensors)
    return data


def free_released_grads(*leaves: Tensor) -> None:
    """Free the old arrays of these leaves' .grad set to None (zero_grad), as backward does just before the node
    that computes their successors (engine._free_released_grads)."""
    for leaf in leaves:
        leaf.free_released_grad()


def _arg_names(f: Callable[..., Any], n: int) -> list[str]:
    """f's parameter names for the generated function, if they are n plain ones that clash with nothing; else a0, a1..."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params]
    usable = len(params) == n and all(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and not keyword.iskeyword(p.name)
        and not _RESERVED.fullmatch(p.name) and p.name not in _HELPERS and "g" + p.name not in {*names, *_HELPERS}
        for p in params
    )
    return names if usable else [f"a{i}" for i in range(n)]


def _method(wrapper: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    """A method that calls wrapper(original, self, ...)."""

    def method(t: Any, *args: Any, **kwargs: Any) -> Any:
        return wrapper(original, t, *args, **kwargs)

    return method


@contextmanager
def _patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """owner.name = value inside the block; the attribute as it was (or none of its own) after."""
    had, old = name in vars(owner), vars(owner).get(name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if had:
            setattr(owner, name, old)
        else:
            delattr(owner, name)


class _Recording:
    """A gradient that notes the calls engine._unbroadcast makes on it: which axes it sums, the reshape."""

    __slots__ = ("array", "calls")

    def __init__(self, array: np.ndarray, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        self.array, self.calls = array, calls

    ndim = property(lambda self: self.array.ndim)
    shape = property(lambda self: self.array.shape)

    def sum(self, *args: Any, **kwargs: Any) -> _Recording:
        return self._call("sum", args, kwargs)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if ufunc is np.add and method == "reduce" and inputs == (self,):  # is ndarray.sum, to the bit
            return self._call("sum", (), kwargs)
        return NotImplemented

    def reshape(self, *args: Any, **kwargs: Any) -> _Recording:
        return self._call("reshape", args, kwargs)

    def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Recording:
        self.calls.append((method, args, kwargs))
        return _Recording(getattr(self.array, method)(*args, **kwargs), self.calls)


@dataclass
class _Slot:
    """One gradient a node's backward returned, on its way to an input: how it was fitted, whether it was the first."""

    vertex: Any  # the node or leaf it goes to
    fit: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
    first: bool = True
    zero_d: bool = False  # the sum is 0-d: engine._add made it an array again


@dataclass
class _Node:
    """One node's turn in backward."""

    ctx: Function
    frees: list[Tensor] = field(default_factory=list)
    slots: dict[int, _Slot] = field(default_factory=dict)
    grads: tuple[Any, ...] = ()
    returned_tuple: bool = True
    next_slot: int = 0
    current: int = 0


# The sharp edges a trace can see: a traced value leaving the graph.
_COMPARES = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__eq__": "==", "__ne__": "!=",
             "__and__": "&", "__rand__": "&", "__or__": "|", "__ror__": "|", "__invert__": "~", "any": ".any()",
             "all": ".all()"}
_VALUES = {"__bool__": "bool()", "__contains__": "in", "__float__": "float()", "__int__": "int()", "item": ".item()",
           "numpy": ".numpy()", "__array__": "np.asarray()"}


def _sharp_edge(name: str) -> TypeError:
    if name in _COMPARES:
        return TypeError(
            f"autodiff.compile: f compares a traced tensor ({_COMPARES[name]}): the mask it makes is a constant "
            "outside the graph, and every replay would reuse this call's mask. Keep the graph (relu, maximum, "
            "clip, abs), or make the mask outside f and pass it as an argument")
    how = _VALUES[name]
    if name in ("__bool__", "__contains__"):
        what = f"branches on a traced tensor's value ({how}): a replay would take this call's branch"
    elif name in ("numpy", "__array__"):
        what = f"turns a traced tensor into a NumPy array ({how}): NumPy's work on it would be baked in"
    else:
        what = f"takes a traced tensor's value out as a Python number ({how}): every replay would reuse this call's"
    return TypeError(f"autodiff.compile: f {what}. Keep computing with the Tensor's methods and autodiff's ops, "
                     "or do this outside f")


class _Tracer:
    """The record of one eager run of f and its backward, and the code generated from it."""

    def __init__(self, arg_names: list[str], args: tuple[Any, ...]) -> None:
        self.thread = threading.get_ident()
        self.phase = _FORWARD
        self.arg_names, self.args = arg_names, args
        self.ns: dict[str, Any] = {"asarray": np.asarray, "array": np.array,
                                   "output": output, "accumulate_grads": engine.accumulate_grads,
                                   "free_released_grads": free_released_grads}
        self.taken = {*arg_names, *("g" + n for n in arg_names)}
        self.values: dict[int, tuple[Any, str, bool]] = {}  # id(array): (array, its expression, depends on an input)
        self.constants: dict[int, tuple[Any, str]] = {}
        self.grad_names: dict[int, str] = {}  # id(node or leaf): the name of its gradient
        self.leaf_names: dict[int, str] = {}  # id(leaf): its name (an argument's, or w0, w1, ...)
        self.index: dict[int, int] = {}  # id(ctx): its output's number
        self.leaves: list[Tensor] = []  # the ones f closes over
        self.created: dict[int, Tensor] = {}  # Tensors made inside f
        self.ctxs: list[Function] = []
        self.saving: list[str] = []  # the ctxs whose forward saved something
        self.spied: Function | None = None  # the ctx whose forward is about to run
        self.unspy: Callable[[], None] = lambda: None
        self.scalar: tuple[Any, str, bool] | None = None  # a forward's NumPy scalar, before Tensor._make wraps it
        self.forward_lines: list[tuple[str, str]] = []  # (line, comment)
        self.backward_lines: list[tuple[str, str]] = []
        self.pending: _Node | None = None
        self.root: Any = None
        self.sums: list[Tensor] = []
        self.fit_calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.fit_out: Any = None
        self.count = 0
        for name, a in zip(arg_names, args):
            if isinstance(a, Tensor):
                self.values[id(a.data)] = (a.data, f"{name}.data", True)
                self.grad_names[id(a)], self.leaf_names[id(a)] = "g" + name, name
            else:
                self.values[id(a)] = (a, name, True)

    # Recording: the engine's functions, wrapped while f and its backward run -------------------------

    @contextmanager
    def recording(self) -> Iterator[None]:
        originals = {name: getattr(engine, name) for name in (
            "_unwrap", "_cast", "backward", "_vjp", "_fit", "_unbroadcast", "_accumulate", "accumulate_grads")}
        with ExitStack() as stack:
            stack.callback(lambda: self.unspy())
            for name, original in originals.items():
                stack.enter_context(_patched(engine, name, functools.partial(getattr(self, name), original)))
            stack.enter_context(_patched(Tensor, "_make", staticmethod(functools.partial(self.make, Tensor._make))))
            stack.enter_context(_patched(Tensor, "__init__", _method(self.init, Tensor.__init__)))
            stack.enter_context(_patched(Tensor, "free_released_grad",
                                         _method(self.free_released_grad, Tensor.free_released_grad)))
            for name in (*_COMPARES, *_VALUES):
                stack.enter_context(_patched(Tensor, name, _method(functools.partial(self.guard, name), getattr(Tensor, name))))
            for name in ("ufunc", "function"):
                stack.enter_context(_patched(dispatch, name, functools.partial(self.dispatched, getattr(dispatch, name))))
            yield
        for ctx in self.ctxs:  # the replay reuses them: each as a fresh one starts, holding no arrays nor graph
            ctx.saved_tensors = ()
            del ctx.parents

    def here(self, phase: str) -> bool:
        return self.phase == phase and threading.get_ident() == self.thread

    def _unwrap(self, original: Callable[..., Any], ctx: Function, inputs: tuple[Any, ...]) -> list[Any]:
        """Function.apply's first step: the op's inputs. Its forward, called next, is then watched."""
        if not self.here(_FORWARD):
            return original(ctx, inputs)  # an op that a backward applies (GetItem's ScatterAdd)
        if engine._forward_ad_level:
            raise RuntimeError("autodiff.compile: f uses forward mode (dual numbers): a replay carries no tangents; "
                               "call f itself inside dual_level")
        for x in inputs:
            if isinstance(x, Tensor):
                self.see(x)
        arrays = original(ctx, inputs)
        if self.spied is not ctx:  # (promotion calls _unwrap twice)
            self.spy(ctx)
        return arrays

    def spy(self, ctx: Function) -> None:
        """Record ctx's op when apply calls its forward: the arrays, the parameters, the result."""
        cls = type(ctx)
        forward, own = cls.forward, vars(cls).get("forward")

        def watched(c: Function, *arrays: Any, **params: Any) -> Any:
            if c is not ctx:
                return forward(c, *arrays, **params)
            self.unspy()
            result = forward(c, *arrays, **params)
            self.op(cls, ctx, list(arrays), params, result)
            return result

        def unspy() -> None:
            self.spied, self.unspy = None, lambda: None
            if own is None:
                del cls.forward
            else:
                cls.forward = own

        cls.forward, self.spied, self.unspy = watched, ctx, unspy

    def make(self, original: Callable[[Any], Tensor], data: Any) -> Tensor:
        """Tensor._make: where a forward's NumPy scalar becomes the op's 0-d array."""
        t = original(data)
        if self.scalar is not None and data is self.scalar[0]:
            _, name, depends = self.scalar
            self.scalar = None
            self.values[id(t.data)] = (t.data, name, depends)
        return t

    def _cast(self, original: Callable[..., Tensor], x: Any, a: np.ndarray, dtype: np.dtype) -> Tensor:
        t = original(x, a, dtype)
        if self.here(_FORWARD) and t.data is not a and not self.known(t.data) and self.known(a):
            expr, depends = self.expr(a)  # a traced array that is a constant here, promoted: a.astype(dtype)
            self.derived(t.data, f"{expr}.astype({self.dtype(dtype)})", depends, "promoted to the op's dtype")
        return t

    def init(self, original: Callable[..., None], t: Tensor, data: Any, requires_grad: bool = False,
             dtype: Any = None) -> None:
        original(t, data, requires_grad, dtype)
        if self.here(_FORWARD):
            self.created[id(t)] = t
            src = data.data if isinstance(data, Tensor) else data
            if isinstance(src, np.ndarray) and self.known(src):
                expr, depends = self.expr(src)
                typed = "" if dtype is None else f", dtype={self.dtype(np.dtype(dtype))}"
                self.derived(t.data, f"array({expr}{typed})", depends, "Tensor(...) copies")

    def guard(self, name: str, original: Callable[..., Any], t: Tensor, *args: Any, **kwargs: Any) -> Any:
        if self.here(_FORWARD) and any(map(self.depends, (t, *args))):
            raise _sharp_edge(name)
        return original(t, *args, **kwargs)

    def dispatched(self, original: Callable[..., Any], f: Any, *args: Any) -> Any:
        """dispatch.ufunc or dispatch.function: an error if NumPy computed a constant from a traced tensor."""
        out = original(f, *args)
        if self.here(_FORWARD) and isinstance(out, (Tensor, np.ndarray, np.generic)):
            data = out.data if isinstance(out, Tensor) else out
            if not self.known(data) and self.depends(args):
                raise TypeError(f"autodiff.compile: f applies numpy.{f.__name__}, which has no derivative rule, to a "
                                "traced tensor: its result is a constant that every replay would reuse")
        return out

    def backward(self, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.here(_FORWARD) or self.here(_RUNNING):
            raise self.nested_backward()
        if self.here(_BACKWARD):
            self.phase = _RUNNING
        return original(*args, **kwargs)

    def nested_backward(self) -> RuntimeError:
        who = ("f runs backward itself (backward(), autograd.grad, or a compiled function)" if self.phase == _FORWARD
               else "an op's backward runs the engine again (checkpoint)")
        return RuntimeError(f"autodiff.compile: {who}; a trace records one backward, of the loss f returns "
                            "(create_graph and higher order are not compiled): call f uncompiled")

    def _vjp(self, original: Callable[..., Any], node: Function, grad: Any, create_graph: bool) -> tuple[Any, ...]:
        if not self.here(_RUNNING):
            return original(node, grad, create_graph)
        self.flush()
        if any(hook is not engine._free_released_grads for hook in node.hooks):  # the engine's own is replayed
            raise RuntimeError("autodiff.compile: f calls retain_grad(); a replay runs no hooks")
        rec = self.pending = _Node(node)
        backward, raw = type(node).backward, []

        def spy(ctx: Function, g: Any) -> Any:  # to see whether it returned a tuple
            raw.append(backward(ctx, g))
            return raw[-1]

        with _patched(type(node), "backward", spy):
            rec.grads = original(node, grad, create_graph)
        rec.returned_tuple = type(raw[-1]) is tuple
        return rec.grads

    def free_released_grad(self, original: Callable[[Tensor], None], t: Tensor) -> None:
        if self.here(_RUNNING) and self.pending is not None:
            self.pending.frees.append(t)
        original(t)

    def _fit(self, original: Callable[..., Any], grad: Any, x: Any, node: Function) -> Any:
        if not self.here(_RUNNING):
            return original(grad, x, node)
        self.fit_calls, self.fit_out = [], None
        out = original(grad, x, node)
        rec = self.pending
        j = rec.current = next(j for j in range(rec.next_slot, len(node.parents))
                               if node.parents[j] is x and rec.grads[j] is grad)
        rec.next_slot = j + 1
        steps: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        if out is not grad:
            if isinstance(grad, Tensor):
                steps.append((".data", (), {}))  # a backward that called an op on arrays: its array
                grad = grad.data
            elif type(grad) is not np.ndarray:
                steps.append(("asarray", (), {}))
                grad = np.asarray(grad)
            steps += self.fit_calls
            if self.fit_out is not None:
                grad = self.fit_out
            if out.dtype != grad.dtype:
                steps.append(("astype", (out.dtype,), {}))
        rec.slots[j] = _Slot(x, steps)
        return out

    def _unbroadcast(self, original: Callable[..., Any], grad: Any, shape: tuple[int, ...], node: Function,
                     x: Any) -> Any:
        if not self.here(_RUNNING):
            return original(grad, shape, node, x)
        out = original(_Recording(grad, self.fit_calls), shape, node, x)
        self.fit_out = out.array
        return out.array

    def _accumulate(self, original: Callable[..., None], sums: dict[Any, Any], todo: list[Any], x: Any,
                    grad: Any) -> None:
        first = x not in sums
        original(sums, todo, x, grad)
        if self.here(_RUNNING):
            if self.pending is None:
                self.root = x  # the seed
            else:
                slot = self.pending.slots[self.pending.current]
                slot.first, slot.zero_d = first, np.ndim(sums[x]) == 0

    def accumulate_grads(self, original: Callable[[dict[Any, Any]], None], sums: dict[Any, Any]) -> None:
        if self.here(_FORWARD):
            raise self.nested_backward()  # a compiled function's replay inside f
        if self.here(_RUNNING):
            self.flush()
            self.sums = list(sums)
            self.phase = _DONE
        original(sums)

    # What the record says -----------------------------------------------------------------------------

    def known(self, a: Any) -> bool:
        v = self.values.get(id(a))
        return v is not None and v[0] is a

    def depends(self, v: Any) -> bool:
        """Whether v (a Tensor, an array, or a list or tuple of them) is computed from f's inputs or leaves."""
        if isinstance(v, (tuple, list)):
            return any(map(self.depends, v))
        if isinstance(v, dict):
            return self.depends(list(v.values()))
        a = v.data if isinstance(v, Tensor) else v
        return isinstance(a, np.ndarray) and self.known(a) and self.values[id(a)][2]

    def see(self, x: Tensor) -> None:
        """An input of an op: a leaf f closes over joins the record; a tensor from another graph is an error."""
        if self.known(x.data):
            return
        if x.grad_fn is not None:
            raise RuntimeError(f"autodiff.compile: f uses a tensor that {type(x.grad_fn).__name__} computed outside f; "
                               "a replay runs only f's own ops: compute it inside f, or pass it (detached) as an argument")
        if x._requires_grad:
            if id(x) in self.created:
                raise RuntimeError("autodiff.compile: f creates a tensor that requires grad: each eager call makes a new "
                                   "one, a replay would reuse this one; create it outside f")
            name = f"w{len(self.leaves)}"
            self.leaves.append(x)
            self.ns[name] = x
            self.values[id(x.data)] = (x.data, f"{name}.data", True)
            self.grad_names[id(x)], self.leaf_names[id(x)] = "g" + name, name

    def expr(self, a: Any) -> tuple[str, bool]:
        """An array's expression in the generated code, and whether it depends on f's inputs."""
        if self.known(a):
            _, expr, depends = self.values[id(a)]
            return expr, depends
        return self.constant(a), False

    def constant(self, obj: Any) -> str:
        """A constant of the trace, by reference: k0, k1, ..."""
        if id(obj) not in self.constants:
            self.constants[id(obj)] = (obj, self.name(f"k{len(self.constants)}", obj))
        return self.constants[id(obj)][1]

    def name(self, name: str, obj: Any) -> str:
        """A global of the generated code bound to obj: name itself, or name_2, ... where that is taken."""
        base, n = name, 1
        while name in self.taken or (name in self.ns and self.ns[name] is not obj):
            n += 1
            name = f"{base}_{n}"
        self.ns[name] = obj
        return name

    def dtype(self, dtype: np.dtype) -> str:
        return self.name("bool_" if dtype.name == "bool" else dtype.name, dtype)

    def param(self, v: Any) -> tuple[str, bool]:
        """A keyword of an op, as source: a literal, an argument or traced array, or a constant."""
        if v is None or v is Ellipsis or type(v) in (bool, int, str) or (type(v) is float and math.isfinite(v)):
            return repr(v), False
        if type(v) in (tuple, list):
            items = [self.param(e) for e in v]
            body = ", ".join(e for e, _ in items) + ("," if type(v) is tuple and len(v) == 1 else "")
            return ("({})" if type(v) is tuple else "[{}]").format(body), any(d for _, d in items)
        if type(v) is slice:
            parts = [self.param(p) for p in (v.start, v.stop, v.step)]
            return f"slice({', '.join(e for e, _ in parts)})", any(d for _, d in parts)
        if isinstance(v, np.dtype):
            return self.dtype(v), False
        if isinstance(v, Tensor):
            for name, a in zip(self.arg_names, self.args):
                if a is v:
                    return name, True  # the argument itself
            v = v.data
        return self.expr(v) if isinstance(v, np.ndarray) else (self.constant(v), False)

    def grad_name(self, vertex: Any) -> str:
        return self.grad_names[id(vertex)]

    def derived(self, a: np.ndarray, expr: str, depends: bool, why: str) -> None:
        """A value computed outside the ops, from a traced one (a cast, a copy): a line of its own."""
        name = self.next_value()
        self.values[id(a)] = (a, name, depends)
        self.forward_lines.append((f"{name} = {expr}", why))

    def next_value(self) -> str:
        self.count += 1
        return f"x{self.count - 1}"

    # Code: one line per op forward, per node backward, per fitted or summed gradient -------------------

    def op(self, cls: type[Function], ctx: Function, arrays: list[Any], params: dict[str, Any], result: Any) -> None:
        name = self.next_value()
        k = name[1:]
        cname = f"c{k}"
        self.ns[cname] = ctx
        self.index[id(ctx)] = int(k)
        self.grad_names[id(ctx)] = f"g{k}"
        self.ctxs.append(ctx)
        new = len(self.constants)
        inputs = [self.expr(a) for a in arrays]
        keywords = [(key, *self.param(v)) for key, v in params.items()]
        call = "{}.forward({})".format(self.name(cls.__name__, cls), ", ".join(
            [cname, *(e for e, _ in inputs), *(f"{key}={e}" for key, e, _ in keywords)]))
        notes = [f"{c} = {np.asarray(obj).item()!r}" for obj, c in list(self.constants.values())[new:]
                 if isinstance(obj, np.ndarray) and obj.size == 1]
        scalar = type(result) is not np.ndarray  # Tensor._make makes it an array, and engine._record puts that in
        saved = scalar and True in ctx.needs_input_grad and any(a is result for a in ctx.saved_tensors)  # saved_tensors
        if saved:
            call = f"output({cname}, {call})"
            notes.append(_SCALAR + " (also where forward saved it)")
        elif scalar:
            call = f"asarray({call})"
            notes.append(_SCALAR)
        if ctx.saved_tensors:
            self.saving.append(cname)
        depends = any(d for _, d in inputs) or any(d for _, _, d in keywords)
        if scalar:
            self.scalar = (result, name, depends)
        else:
            self.values[id(result)] = (result, name, depends)
        self.forward_lines.append((f"{name} = {call}", "; ".join(notes)))

    def flush(self) -> None:
        """The lines of the node whose backward ran last: free, backward, then each gradient fitted and summed."""
        rec, self.pending = self.pending, None
        if rec is None:
            return
        ctx, k = rec.ctx, self.index[id(rec.ctx)]
        if rec.frees:
            leaves = dict.fromkeys(self.leaf_names[id(t)] for t in rec.frees)
            self.backward_lines.append((f"free_released_grads({', '.join(leaves)})", _FREED))
        temps = [j for j, s in rec.slots.items() if s.fit or not s.first]
        targets, after = [], []
        for j in range(len(rec.grads)):
            slot = rec.slots.get(j)
            if slot is None:
                targets.append("_")
                continue
            target = self.grad_name(slot.vertex)
            if j not in temps:
                targets.append(target)
                continue
            temp = "t" if len(temps) == 1 else f"t{temps.index(j)}"
            targets.append(temp)
            expr, notes = self.fitted(temp, slot.fit)
            if not slot.first:
                expr = f"asarray({target} + {expr})" if slot.zero_d else f"{target} + {expr}"
                notes.append("fan-out: summed in backward's order")
            after.append((f"{target} = {expr}", "; ".join(notes)))
        call = f"{self.name(type(ctx).__name__, type(ctx))}.backward(c{k}, g{k})"
        if all(t == "_" for t in targets):
            line = call
        elif rec.returned_tuple:
            line = f"{', '.join(targets)}{',' if len(targets) == 1 else ''} = {call}"
        else:
            line = f"{targets[0]} = {call}"
        self.backward_lines += [(line, ""), *after]

    def fitted(self, expr: str, steps: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> tuple[str, list[str]]:
        """The expression of engine._fit's steps on a gradient, and what each one is for."""
        notes = []
        for method, args, kwargs in steps:
            if method == ".data":
                expr, note = f"{expr}.data", "its backward returned a Tensor: its array"
            elif method == "asarray":
                expr, note = f"asarray({expr})", _SCALAR
            elif method == "astype":
                expr, note = f"{expr}.astype({self.dtype(args[0])})", f"cast to the input's {args[0].name}"
            else:
                parts = [self.param(a)[0] for a in args] + [f"{key}={self.param(v)[0]}" for key, v in kwargs.items()]
                expr, note = f"{expr}.{method}({', '.join(parts)})", ""
                if method == "sum":
                    axes = np.atleast_1d(kwargs["axis"] if "axis" in kwargs else args[0]).tolist()
                    note = f"sum over the broadcast {'axis' if len(axes) == 1 else 'axes'} {', '.join(map(str, axes))}"
            if note:
                notes.append(note)
        return expr, notes

    def check_loss(self, loss: Any) -> None:
        if not isinstance(loss, Tensor):
            raise TypeError(f"autodiff.compile: f must return a scalar loss Tensor; it returned a {type(loss).__name__}")
        if loss.data.size != 1:
            raise ValueError(f"autodiff.compile: f must return a scalar loss; it returned a Tensor of shape {loss.shape} "
                             "(reduce it: .sum(), .mean())")
        self.see(loss)
        if not loss.requires_grad:
            raise RuntimeError("autodiff.compile: f's loss does not require grad: it depends on no tensor that requires grad")

    def replay(self, name: str, loss: Tensor) -> _Replay:
        """The generated function, compiled: forward lines, the seed, backward lines, .grad, the ctxs emptied."""
        name = self.name(name if name.isidentifier() and not keyword.iskeyword(name) else "f", None)
        one = self.name("one", np.ones_like(loss.data))  # engine._seed's np.ones_like, made once: copied per call
        body = [*self.forward_lines, (f"{self.grad_name(self.root)} = {one}.copy()", "dL/dL = 1"), *self.backward_lines]
        if self.sums:
            pairs = ", ".join(f"{self.leaf_names[id(t)]}: {self.grad_name(t)}" for t in self.sums)
            body.append((f"accumulate_grads({{{pairs}}})", "into .grad, as backward() does"))
        if self.saving:
            body.append((" = ".join(f"{c}.saved_tensors" for c in self.saving) + " = ()", "free what forward saved"))
        body.append((f"return {self.expr(loss.data)[0]}", ""))
        lines, said = [f"def {name}({', '.join(self.arg_names)}):"], set()
        for line, note in body:
            if note in _SAY_ONCE:
                note, _ = ("" if note in said else note), said.add(note)
            lines.append(f"    {line}  # {note}" if note else f"    {line}")
        source = "\n".join(lines)
        filename = f"<autodiff.compile: {name} #{_traces()}>"
        linecache.cache[filename] = (len(source), None, [line + "\n" for line in lines], filename)  # for tracebacks
        exec(builtins.compile(source, filename, "exec"), self.ns)
        return _Replay(self.ns[name], source, self.leaves)


_traces = itertools.count(1).__next__
