"""The core: Tensor, grad mode, Function (how an op records itself) and Backward (how gradients flow back).

An op's output Tensor points to its node (`grad_fn`), the op's ctx, which links to the node or leaf behind
each input, never to intermediate Tensors: activations are freed as soon as nothing else needs them.
Everything every op needs lives here, once: one dtype for the inputs, recording the node, reducing a
broadcast gradient to its input's shape, casting it to the input's dtype, accumulating at fan-out, freeing
what forward saved. The ops in `autodiff.ops` hold only the math.

Two seams let the rest of the package build on this without changing it:
- watchers, which `Function.apply` tells about every op (forward mode, checkpoint, autodiff.compile);
- the steps of `Backward` (seed, vjp, fit, accumulate, release), which a subclass may override (higher
  order in autodiff.higher, autodiff.compile).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from heapq import heappop, heappush
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, TypeVar

import numpy as np

from .promote import result_dtype

Array = np.ndarray  # what forward gets and returns; backward gets it too, but Tensors under create_graph
Axis = int | tuple[int, ...] | None
Grads = tuple[Array | None, ...]  # a backward's result: one gradient per input, None where none is needed
Decorated = TypeVar("Decorated", bound=Callable[..., Any])
OUTPUT = -1  # the tag of a saved array that is the op's output (an input's tag is its index)

# Tensor's methods make ops and the ops make Tensors: autodiff.ops imports this module, so this module cannot
# import it. autodiff.ops registers every op here instead, by name, when it is imported, and autodiff.dispatch
# its NumPy protocols (autodiff/__init__.py imports both right after this module).
OPS = SimpleNamespace()

# The arrays of .grad set to None (zero_grad), by leaf, each freed in the next backward just before the node that
# computes its successor runs, rather than at once: freed before the forward pass, they left the top of the heap
# free, glibc gave it back to the OS, and every training step faulted it in again. Freed just in time, a block is
# taken again by the gradient that replaces it; freed earlier (at backward's start), the backward's temporaries
# split it and a layer written as x @ W + b faulted ~3 MB a step in again. Only large arrays wait: glibc serves
# small ones from its bins, which it never hands back, and a pending array costs every node of a backward a check.
_released: dict[int, np.ndarray] = {}
_RELEASED_NBYTES = 64 * 1024  # half glibc's smallest threshold for mmap and trimming (128 KiB)
_tick = itertools.count(0, -1).__next__  # the clock: nodes and in-place updates count down, the newest smallest


def now() -> int:
    """A tick of the clock: every node recorded and every leaf made or changed in place after it has a smaller number."""
    return _tick()


class Watcher:
    """Told, in its thread, about each op apply runs, each value that leaves the graph and each backward pass:
    forward mode, checkpoint and autodiff.compile are watchers. `name` says what it is, for errors."""

    name = "a watcher"

    def op(self, ctx: Function, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        """ctx ran forward on inputs (those of one dtype that forward got) with params, giving out."""

    def value(self, t: Tensor, how: str) -> None:
        """t's value leaves the graph as a number or an array (how: "float()", "np.asarray()", ...)."""

    def backward(self, sweep: Backward) -> None:
        """A backward pass starts."""


class _ThreadState(threading.local):
    grad_enabled = True  # each thread starts recording, as in PyTorch
    watchers: tuple[Watcher, ...] = ()  # told about every op, in this order


_state = _ThreadState()


# The Tensor --------------------------------------------------------------------------------------


class Tensor:
    """A NumPy array that remembers how it was computed, so that it can be differentiated."""

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "_version", "__weakref__")
    __hash__ = object.__hash__  # by identity: == compares elementwise, as in PyTorch

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype)
        self._grad: np.ndarray | None = None
        self.grad_fn: Function | None = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @staticmethod
    def _make(data: np.ndarray) -> Tensor:
        """Wrap an array without copying (the fast path for an op's output)."""
        t = object.__new__(Tensor)
        t.data, t._grad, t.grad_fn, t._requires_grad = data, None, None, False
        return t

    @property
    def grad(self) -> np.ndarray | None:
        """d(root)/d(self), summed over every backward since it was last set to None."""
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray | None) -> None:
        if value is None and self._grad is not None and self._grad.nbytes >= _RELEASED_NBYTES:
            _released[id(self)] = self._grad  # freed in the next backward, just in time (see _released)
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, got dtype {self.data.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf; use .detach()")
        self._requires_grad = bool(value)
        self._version = _tick()  # when it became a leaf, or was last changed in place (sub_)

    def requires_grad_(self, value: bool = True) -> Tensor:
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def version(self) -> int:
        """The clock's tick (see now()) when this tensor became a leaf that requires grad, or was last changed in place."""
        return self._version

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (seeded with 1 for a scalar)."""
        accumulate_grads(Backward(retain_graph).run([self], [grad]))

    def retain_grad(self) -> None:
        """Keep .grad on this intermediate result too (a leaf keeps it anyway)."""
        if self.grad_fn is not None and not self.retains_grad:
            self.grad_fn.hooks = (*self.grad_fn.hooks, _Retain(self))

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and any(isinstance(h, _Retain) and h.tensor() is self for h in self.grad_fn.hooks)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._make(self.data)

    def sub_(self, other: Any) -> Tensor:
        """self.data -= other, in place: an optimizer's update, under no_grad. A node that saved this
        tensor's array before the update then refuses to backpropagate (its array is no longer the one
        it saw)."""
        self._in_place("sub_")
        np.subtract(self.data, getattr(other, "data", other), out=self.data)
        return self

    def copy_(self, src: Any) -> Tensor:
        """self.data[...] = src, in place (a loaded state), under no_grad, with sub_'s check."""
        self._in_place("copy_")
        np.copyto(self.data, getattr(src, "data", src), casting="same_kind")
        return self

    def _in_place(self, name: str) -> None:
        if _state.grad_enabled and self._requires_grad:
            raise RuntimeError(f"{name}: a tensor that requires grad is changed in place only under no_grad()")
        self._version = _tick()

    def item(self) -> float:
        leaves_graph(self, ".item()")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        leaves_graph(self, ".numpy()")
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's view of the data: np.array(t) copies, np.asarray(t) does not (NumPy 2's protocol)."""
        leaves_graph(self, "np.asarray()")
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"np.asarray(copy=False): the tensor is {self.data.dtype}, a cast to {dtype} must copy")
        return self.data.astype(self.data.dtype if dtype is None else dtype, copy=bool(copy))

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """A NumPy ufunc given a Tensor runs as the matching op (autodiff.dispatch), so backward rules work
        on Tensors too."""
        return OPS.numpy_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return OPS.numpy_function(func, args, kwargs)

    def __float__(self) -> float:
        return float(self._scalar("float()"))

    def __int__(self) -> int:
        return int(self._scalar("int()"))

    def _scalar(self, how: str) -> np.ndarray:
        leaves_graph(self, how)
        if self.data.size != 1:
            raise TypeError(f"only a tensor with one element converts to a Python number; this one has shape {self.shape}")
        return self.data

    def __bool__(self) -> bool:
        leaves_graph(self, "bool()")
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __contains__(self, value: Any) -> bool:
        leaves_graph(self, "in")
        return bool((self.data == np.asarray(getattr(value, "data", value))).any())

    shape = property(attrgetter("data.shape"))
    ndim = property(attrgetter("data.ndim"))
    dtype = property(attrgetter("data.dtype"))
    size = property(attrgetter("data.size"))
    T = property(lambda self: self.transpose())
    mT = property(lambda self: self.swapaxes(-1, -2))  # the matrices' transpose, as ndarray.mT

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = "" if self.dtype in (np.float64, np.int64, np.bool_) else f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{type(self.grad_fn).__name__}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # Arithmetic: Python's operators, with a Tensor or a constant on either side.
    def __add__(self, other: Any) -> Tensor:
        return OPS.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return OPS.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return OPS.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return OPS.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return OPS.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return OPS.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return OPS.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return OPS.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return OPS.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return OPS.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return OPS.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return OPS.matmul(other, self)

    def __neg__(self) -> Tensor:
        return OPS.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return OPS.GetItem.apply(self, index=index)

    # Comparisons and logic give boolean tensors: ops with no derivative (Step), outside the graph.
    def __lt__(self, other: Any) -> Tensor:
        return OPS.Step.apply(self, other, fn=np.less)

    def __le__(self, other: Any) -> Tensor:
        return OPS.Step.apply(self, other, fn=np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return OPS.Step.apply(self, other, fn=np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return OPS.Step.apply(self, other, fn=np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return OPS.Step.apply(self, other, fn=np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return OPS.Step.apply(self, other, fn=np.not_equal)

    def __and__(self, other: Any) -> Tensor:
        return OPS.Step.apply(self, other, fn=np.bitwise_and)

    def __rand__(self, other: Any) -> Tensor:
        return OPS.Step.apply(other, self, fn=np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return OPS.Step.apply(self, other, fn=np.bitwise_or)

    def __ror__(self, other: Any) -> Tensor:
        return OPS.Step.apply(other, self, fn=np.bitwise_or)

    def __invert__(self) -> Tensor:
        return OPS.Step.apply(self, fn=np.invert)

    def any(self) -> Tensor:
        return OPS.Step.apply(self, fn=np.any)

    def all(self) -> Tensor:
        return OPS.Step.apply(self, fn=np.all)

    # Reductions, NumPy's names and keywords.
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return OPS.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return OPS.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return OPS.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return OPS.Min.apply(self, axis=axis, keepdims=keepdims)

    # Shapes.
    def reshape(self, *shape: Any) -> Tensor:
        return OPS.Reshape.apply(self, shape=shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        return OPS.Transpose.apply(self, axes=(axes[0] if len(axes) == 1 else axes) or None)

    def swapaxes(self, a: int, b: int) -> Tensor:
        axes = list(range(self.ndim))
        if not (-self.ndim <= a < self.ndim and -self.ndim <= b < self.ndim):
            raise ValueError(f"swapaxes: axes {a} and {b} out of range for a tensor of shape {self.shape}")
        axes[a], axes[b] = axes[b], axes[a]
        return OPS.Transpose.apply(self, axes=tuple(axes))

    def astype(self, dtype: Any) -> Tensor:
        return OPS.Cast.apply(self, dtype=np.dtype(dtype))

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        return OPS.BroadcastTo.apply(self, shape=shape)

    expand = broadcast_to

    # Elementwise functions.
    def exp(self) -> Tensor:
        return OPS.Exp.apply(self)

    def log(self) -> Tensor:
        return OPS.Log.apply(self)

    def sqrt(self) -> Tensor:
        return OPS.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return OPS.Abs.apply(self)

    def tanh(self) -> Tensor:
        return OPS.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return OPS.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return OPS.Relu.apply(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return OPS.clip(self, min, max)


def as_tensor(x: Any) -> Tensor:
    """x itself if it is a Tensor, else a constant Tensor wrapping it."""
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


def output_of(node: Function, data: Any) -> Tensor:
    """A Tensor for node's output, made again from its array: how higher order puts it back into the graph."""
    t = Tensor._make(np.asarray(data))
    t._requires_grad, t.grad_fn = True, node
    return t


def leaves_graph(t: Tensor, how: str) -> None:
    """Tell the watchers that t's value leaves the graph (as a number, an array)."""
    for watcher in _state.watchers:
        watcher.value(t, how)


class _Retain:
    """retain_grad's hook: the node's complete gradient, copied into the tensor's .grad."""

    def __init__(self, t: Tensor) -> None:
        self.tensor = weakref.ref(t)  # weak: the node must not keep its output alive

    def __call__(self, node: Function, grad: Any) -> None:
        t = self.tensor()
        if t is not None:
            grad = np.array(getattr(grad, "data", grad))
            t.grad = grad if t.grad is None else t.grad + grad


# Grad mode and watchers: per thread ------------------------------------------------------------


class set_grad_enabled:
    """Record a graph (True) or not (False) inside this block or decorated function, in this thread."""

    def __init__(self, mode: bool) -> None:
        self.mode, self.prev = bool(mode), []

    def __enter__(self) -> None:
        self.prev.append(_state.grad_enabled)
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self.prev.pop()

    def __call__(self, fn: Decorated) -> Decorated:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):  # a fresh context per call: recursion restores each level
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """Record no graph inside this block (or decorated function): for inference and updates."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record a graph inside this block (or decorated function), even within no_grad."""

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    return _state.grad_enabled


def watchers() -> tuple[Watcher, ...]:
    """The watchers apply tells about each op in this thread, in order."""
    return _state.watchers


@contextmanager
def watching(ws: tuple[Watcher, ...]) -> Iterator[None]:
    """apply tells exactly these watchers about each op, in this thread, inside the block."""
    old, _state.watchers = _state.watchers, tuple(ws)
    try:
        yield
    finally:
        _state.watchers = old


# Function: one op, and how apply records it ------------------------------------------------------

Hook = Callable[["Function", Any], None]


class Function:
    """An op: subclasses define forward(ctx, *arrays, **params) -> array and backward(ctx, grad) -> grads.

    ctx is the Function instance: the node that the output's grad_fn points to. Call an op with
    MyOp.apply(*inputs, **params). forward gets the inputs' arrays (a Python number stays a number) and
    saves what backward needs with ctx.save_for_backward: its inputs or its output, nothing else (higher
    order puts exactly those back into the graph); a constant such as a mask goes on ctx as an attribute.
    backward returns one gradient per input, None where ctx.needs_input_grad is False. It may call NumPy
    and the package's ops: with create_graph, it runs on Tensors and records a graph of its own. An op may
    define jvp(ctx, *tangents) -> tangent for forward mode, a tangent zeros where its input has none (which,
    ctx.has_tangent says); where J is symmetric, jvp = backward.
    """

    __slots__ = ("parents", "needs_input_grad", "saved_tensors", "saved_tags", "number", "out_shape",
                 "out_dtype", "__dict__", "__weakref__")
    hooks: tuple[Hook, ...] = ()  # retain_grad's: hook(node, its complete gradient), before its VJP

    def forward(ctx, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(ctx).__name__} defines no forward")

    def backward(ctx, grad: np.ndarray) -> np.ndarray | tuple[np.ndarray | None, ...] | None:
        raise NotImplementedError(f"{type(ctx).__name__} defines no backward")

    def save_for_backward(ctx, *arrays: Any) -> None:
        ctx.saved_tensors = arrays

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run forward; record a node if an input requires grad; tell the watchers."""
        ctx = cls()
        inputs, arrays = _take(ctx, inputs)  # one dtype; needs_input_grad, parents
        out = Tensor._make(_forward(ctx, arrays, params))  # an error names the op
        if any(ctx.needs_input_grad):
            _record(ctx, out)  # out.grad_fn = ctx, numbered in creation order
        for watcher in _state.watchers:  # forward mode, checkpoint, compile
            watcher.op(ctx, inputs, params, out)
        return out


_NUMBERS = {float: 2, int: 1, bool: 0}  # Python's numbers, by kind: bool < integer < floating
_KINDS = {"b": 0, "u": 1, "i": 1, "f": 2}


def _take(ctx: Function, inputs: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[Any]]:
    """The inputs, of one dtype, and their arrays; notes on ctx which need a gradient and the node or leaf
    behind each (the graph's edges). Python numbers become 0-d arrays of the tensors' dtype; inputs of
    different dtypes, arrays and NumPy scalars are promoted first, by PyTorch's rule."""
    ctx.saved_tensors = ()
    n = len(inputs)
    if n == 1 and isinstance(inputs[0], Tensor):  # the fast paths: one tensor, or two of one dtype
        x = inputs[0]
        need = _state.grad_enabled and x._requires_grad
        ctx.needs_input_grad, ctx.parents = (need,), ((x.grad_fn or x) if need else None,)
        return inputs, [x.data]
    if n == 2:
        x, y = inputs
        if not (isinstance(x, Tensor) and isinstance(y, Tensor) and x.data.dtype is y.data.dtype):
            x, y = _pair(x, y)
        if x is not None:
            return (x, y), _take_pair(ctx, x, y)
    recording = _state.grad_enabled
    arrays, needs, parents, dtype = [], [], [], None
    for x in inputs:
        if not isinstance(x, Tensor) or (x.data.dtype is not dtype and dtype is not None and x.data.dtype != dtype):
            return _take(ctx, _one_dtype(type(ctx), inputs))
        dtype = x.data.dtype
        need = recording and x._requires_grad
        arrays.append(x.data)
        needs.append(need)
        parents.append((x.grad_fn or x) if need else None)
    ctx.needs_input_grad, ctx.parents = tuple(needs), tuple(parents)
    if len(arrays) > 1 and (True in needs or _state.watchers):
        _untangle(arrays, parents)
    return inputs, arrays


def _pair(x: Any, y: Any) -> tuple[Tensor, Tensor] | tuple[None, None]:
    """A tensor and a Python number of its kind as two tensors of one dtype, the number a 0-d array; (None,
    None) for anything else (promotion's work)."""
    if isinstance(x, Tensor) and type(y) in _NUMBERS and _NUMBERS[type(y)] <= _KINDS[x.data.dtype.kind]:
        return x, Tensor._make(np.asarray(y, x.data.dtype))
    if isinstance(y, Tensor) and type(x) in _NUMBERS and _NUMBERS[type(x)] <= _KINDS[y.data.dtype.kind]:
        return Tensor._make(np.asarray(x, y.data.dtype)), y
    return None, None


def _take_pair(ctx: Function, x: Tensor, y: Tensor) -> list[Any]:
    """_take for two tensors of one dtype, unrolled."""
    recording = _state.grad_enabled
    need_x, need_y = recording and x._requires_grad, recording and y._requires_grad
    ctx.needs_input_grad = (need_x, need_y)
    ctx.parents = px, py = (x.grad_fn or x) if need_x else None, (y.grad_fn or y) if need_y else None
    a, b = x.data, y.data
    if a is b and px is not py:
        b = b.view()  # as _untangle
    return [a, b]


def _one_dtype(cls: type[Function], inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """The inputs as Tensors of one dtype: Python numbers as 0-d arrays of the tensors' dtype (of their own kind's
    default when that is wider); else PyTorch's promotion (autodiff.promote), cast by the Cast op, so that a
    tensor that requires grad stays in the graph and watchers see the cast."""
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    dtype = tensors[0].data.dtype if tensors else None
    if (all(isinstance(x, Tensor) or type(x) in _NUMBERS for x in inputs) and dtype is not None
            and all(t.data.dtype == dtype for t in tensors)
            and all(_NUMBERS[type(x)] <= _KINDS[dtype.kind] for x in inputs if type(x) in _NUMBERS)):
        return tuple(x if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype)) for x in inputs)
    dtype = result_dtype(cls.__name__, [x.data if isinstance(x, Tensor) else x for x in inputs])
    return tuple(_cast(x, dtype) for x in inputs)


def _cast(x: Any, dtype: np.dtype) -> Tensor:
    x = as_tensor(x if isinstance(x, Tensor) or type(x) not in _NUMBERS else np.asarray(x, dtype))
    return x if x.data.dtype == dtype else OPS.Cast.apply(x, dtype=dtype)


def _untangle(arrays: list[Any], parents: list[Any]) -> None:
    """One array behind two inputs that differ for the graph (x and x.detach()): the later gets a view of it,
    so that a saved array tells which input it was."""
    for j in range(1, len(arrays)):
        for i in range(j):
            if arrays[j] is arrays[i] and parents[j] is not parents[i]:
                arrays[j] = arrays[j].view()


def _forward(ctx: Function, arrays: list[Any], params: dict[str, Any]) -> np.ndarray:
    """forward's result as an array (NumPy gives scalars for 0-d results), with what it saved tagged where the
    node lives on (recorded, or watched); an error names the op and the shapes."""
    try:
        result = ctx.forward(*arrays, **params)
    except (IndexError, ValueError, TypeError) as err:
        raise _op_error(err, type(ctx), arrays, params) from err
    if type(result) is not np.ndarray:
        result = as_output(ctx, result)
    if ctx.saved_tensors and (True in ctx.needs_input_grad or _state.watchers):  # the node lives on
        ctx.saved_tags = tag_saved(ctx, arrays, result)
    return result


def as_output(ctx: Function, result: Any) -> np.ndarray:
    """A forward's result that is not an ndarray (a NumPy scalar), as one: where forward saved it, too."""
    if type(result) is np.ndarray:
        return result
    if isinstance(result, (tuple, list, Tensor)):
        raise TypeError(f"{type(ctx).__name__}.forward returned a {type(result).__name__}; a Function returns one array")
    data = np.asarray(result)
    ctx.saved_tensors = tuple(data if a is result else a for a in ctx.saved_tensors)
    return data


def _record(ctx: Function, out: Tensor) -> None:
    """Make ctx the node behind out: numbered in creation order, knowing its output's shape and dtype. An
    integer or boolean output has no derivative (as in PyTorch): it is not recorded."""
    data = out.data
    if data.dtype.kind != "f":
        return
    ctx.number = _tick()  # backward runs the newest node first
    ctx.out_shape, ctx.out_dtype = data.shape, data.dtype
    out._requires_grad = True
    out.grad_fn = ctx


def tag_saved(ctx: Function, arrays: list[Any], out: np.ndarray) -> tuple[int, ...]:
    """Which input (its index) or the output (OUTPUT) each array forward saved is; anything else raises."""
    tags = []
    for k, a in enumerate(ctx.saved_tensors):  # most ops save the output, or inputs in their order
        tags.append(OUTPUT if a is out else k if k < len(arrays) and a is arrays[k] else _input_index(ctx, arrays, a))
    return tuple(tags)


def _input_index(ctx: Function, arrays: list[Any], a: Any) -> int:
    for i, x in enumerate(arrays):
        if x is a:
            return i
    raise _save_error(type(ctx), a)


def _save_error(cls: type[Function], a: Any) -> RuntimeError:
    what = f"an array of shape {np.shape(a)}" if isinstance(a, np.ndarray) else f"a {type(a).__name__}"
    return RuntimeError(
        f"{cls.__name__}.forward saved {what} that is neither one of its inputs nor its output. save_for_backward "
        "takes only those (higher order puts them back into the graph); keep a constant such as a mask as an "
        f"attribute (ctx.mask = ...), and recompute a value derived from the inputs in backward")


def _op_error(err: Exception, cls: type[Function], arrays: list[Any], params: dict[str, Any]) -> Exception:
    """An error of err's kind whose message starts with the op's name and its inputs' shapes."""
    kind = next(k for k in (IndexError, ValueError, TypeError) if isinstance(err, k))
    shapes = ", ".join(str(np.shape(a)) for a in arrays)
    shapes += "".join(f"; {k} of shape {v.shape}" for k, v in params.items() if isinstance(v, np.ndarray))
    return kind(f"{cls.__name__}: inputs of shapes {shapes}: {err}")


# Backward: the sweep ------------------------------------------------------------------------------

Vertex = Function | Tensor  # a node or a leaf: what a gradient is summed for


class Backward:
    """One backward pass: seed the roots, then pop the newest node, apply its VJP, fit each gradient to its
    input and accumulate it there. A subclass may override a step; higher order does (autodiff.higher)."""

    def __init__(self, retain_graph: bool = False) -> None:
        self.retain_graph = retain_graph
        self.sums: dict[Vertex, Any] = {}  # each vertex's gradient so far
        self.todo: list[tuple[int, Function]] = []  # a heap of nodes: the newest (smallest number) on top

    def run(self, roots: list[Tensor], grads: list[Any]) -> dict[Vertex, Any]:
        """Seed the roots; then pop the newest node, apply its VJP, give each input its share."""
        _tell_watchers(self)
        for root, grad in zip(roots, grads):
            self.accumulate(root.grad_fn or root, self.seed(root, grad))
        while self.todo:
            _, node = heappop(self.todo)  # all its consumers are newer: its gradient is complete
            grads = self.vjp(node, self.sums.pop(node))
            for parent, grad in zip(node.parents, grads):
                if parent is not None and grad is not None:
                    self.accumulate(parent, self.fit(grad, parent, node))
            self.release(node)
        return self.sums  # what is left: the leaves' gradients

    def seed(self, root: Tensor, grad: Any) -> Any:
        """The gradient backward starts from: 1 for a scalar root, else the caller's grad (copied)."""
        _check_root(root, grad)
        if grad is None:
            return np.ones_like(root.data)
        return np.array(getattr(grad, "data", grad), dtype=root.dtype)  # a copy: it may become a .grad

    def vjp(self, node: Function, grad: Any) -> tuple[Any, ...]:
        """node's backward applied to its complete gradient: one gradient per input."""
        if node.saved_tensors is None:
            raise _freed(node)
        if _released:  # zero_grad's arrays, freed just before the gradients that replace them are computed
            free_released_grads(*node.parents)
        for hook in node.hooks:
            hook(node, grad)
        grads = type(node).backward(node, grad)
        return grads if type(grads) is tuple and len(grads) == len(node.needs_input_grad) else per_input(node, grads)

    def fit(self, grad: Any, x: Vertex, node: Function) -> Any:
        """node's gradient for its input x, fitted to x: summed over broadcast axes, in x's dtype."""
        if isinstance(x, Tensor):
            if x._version < node.number:  # x changed in place after node was recorded
                _check_unchanged(node, x)
            shape, dtype = x.data.shape, x.data.dtype
        else:
            shape, dtype = x.out_shape, x.out_dtype
        if type(grad) is np.ndarray and grad.shape == shape and grad.dtype == dtype:
            return grad  # the common case: nothing to do
        return _refit(grad, shape, dtype, node, x)

    def accumulate(self, x: Vertex, grad: Any) -> None:
        """Add grad to x's sum; a node joins the heap with its first gradient (a leaf just waits)."""
        if x in self.sums:
            self.sums[x] = add_grads(self.sums[x], grad)
        else:
            self.sums[x] = grad
            if isinstance(x, Function):
                heappush(self.todo, (x.number, x))

    def release(self, node: Function) -> None:
        """Free what node's forward saved and noted (a mask), unless the graph is to be used again."""
        if not self.retain_graph:
            node.saved_tensors = None
            node.__dict__.clear()


def _tell_watchers(sweep: Backward) -> None:
    for watcher in _state.watchers:
        watcher.backward(sweep)


def _check_root(root: Tensor, grad: Any) -> None:
    if not isinstance(root, Tensor):
        raise TypeError(f"backward(): the output is a {type(root).__name__}, not a Tensor")
    if not root._requires_grad:
        raise RuntimeError("backward(): this tensor does not require grad and has no grad_fn")
    if grad is None and root.data.size != 1:
        raise RuntimeError(f"backward(): grad can be created implicitly only for a scalar output; this output has "
                           f"shape {root.shape}: pass grad= an array of that shape")
    if grad is not None and np.shape(grad) != root.shape:
        raise ValueError(f"backward(): grad has shape {np.shape(grad)}, output has {root.shape}")


def _freed(node: Function) -> RuntimeError:
    return RuntimeError(f"backward(): {type(node).__name__} was already backpropagated through and its saved arrays "
                        "were freed; call backward(retain_graph=True) the first time")


def per_input(node: Function, grads: Any) -> tuple[Any, ...]:
    """What a backward returned, as one gradient per input."""
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.needs_input_grad):
        raise RuntimeError(f"{type(node).__name__}.backward returned {len(grads)} gradients for {len(node.needs_input_grad)} inputs")
    return grads


def add_grads(a: Any, b: Any) -> Any:
    """a + b, two gradients of one vertex summed (fan-out), kept an ndarray (NumPy gives a scalar for 0-d ones)."""
    s = a + b
    return np.asarray(s) if isinstance(s, np.generic) else s


def _refit(grad: Any, shape: tuple[int, ...], dtype: np.dtype, node: Function, x: Vertex) -> Any:
    """grad summed over the axes broadcasting added or stretched, and cast to dtype."""
    if isinstance(grad, Tensor) and not grad._requires_grad:
        grad = grad.data  # a constant Tensor (a backward called an op on arrays) is its array
    elif not isinstance(grad, Tensor):
        grad = np.asarray(grad)
    if grad.shape != shape:
        grad = _unbroadcast(grad, shape, node, x)
    return grad if grad.dtype == dtype else grad.astype(dtype)


def _unbroadcast(grad: Any, shape: tuple[int, ...], node: Function, x: Vertex) -> Any:
    """grad summed over the axes broadcasting added to shape or stretched in it (an array, even for ())."""
    axes = broadcast_axes(grad.shape, shape)
    if axes is None:
        raise _shape_error(node, x, grad.shape, shape)
    return sum_to(grad, shape, axes)


def sum_to(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None = None) -> Any:
    """grad summed down to shape over the axes broadcasting added or stretched: broadcasting's transpose."""
    summed = np.add.reduce(grad, axis=broadcast_axes(grad.shape, shape) if axes is None else axes)
    if summed.shape != shape:
        return summed.reshape(shape)
    return np.asarray(summed) if isinstance(summed, np.generic) else summed  # not a view, which a .grad would copy


def _shape_error(node: Function, x: Vertex, got: tuple[int, ...], shape: tuple[int, ...]) -> ValueError:
    i = next(i for i, p in enumerate(node.parents) if p is x)
    return ValueError(f"{type(node).__name__}.backward returned a gradient of shape {got} for input {i} of shape {shape}")


def broadcast_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The axes of grad_shape that broadcasting shape added or stretched; None if shape does not broadcast to it."""
    lead = len(grad_shape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, grad_shape[lead:])):
        return None
    return tuple(range(lead)) + tuple(lead + a for a, n in enumerate(shape) if n == 1 and grad_shape[lead + a] != 1)


def _check_unchanged(node: Function, leaf: Tensor) -> None:
    """leaf was changed in place (an optimizer step) after node was recorded: fail if node saved it."""
    if any(a is leaf.data for a in node.saved_tensors or ()):
        raise RuntimeError(f"backward(): {type(node).__name__} saved a tensor of shape {leaf.shape} that an optimizer "
                           "step changed in place after the forward pass; call backward() before step(), or compute "
                           "the loss again")


def free_released_grads(*leaves: Any) -> None:
    """Free the arrays of these leaves' .grad set to None (see _released); of every leaf's, given none."""
    if not leaves:
        _released.clear()
    for leaf in leaves:
        _released.pop(id(leaf), None)


_grad_lock = threading.Lock()  # two threads adding into one .grad, as PyTorch's AccumulateGrad


def accumulate_grads(sums: dict[Vertex, Any]) -> None:
    """Add each leaf's gradient to its .grad, as an array that no other .grad or tensor shares. Backward is over,
    so the arrays zero_grad released from leaves it did not reach are freed first."""
    free_released_grads()
    kept: set[int] = set()
    with _grad_lock:
        for leaf, grad in sums.items():
            if leaf._grad is not None:
                leaf._grad = add_grads(leaf._grad, grad)
                continue
            if grad.base is not None or id(grad) in kept:
                grad = grad.copy()
            kept.add(id(grad))
            leaf._grad = grad
