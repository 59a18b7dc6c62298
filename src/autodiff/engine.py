"""The engine: how an op records itself (Function.apply) and how gradients flow back (backward).

Everything every op needs lives here, once: promoting inputs to one dtype, recording the node,
reducing a broadcast gradient to its input's shape, casting it to the input's dtype, accumulating
at fan-out, and freeing what forward saved. The ops in `autodiff.ops` only hold the math.

The graph is made of nodes: each op's node (its Function instance, the output's grad_fn) links to
the node or leaf behind each input, never to intermediate Tensors, so activations are freed as
soon as nothing else needs them. A backward rule is written once, in NumPy: on arrays it computes
a gradient; on Tensors (create_graph) the same calls dispatch to the ops and record a graph of the
backward itself, which can be differentiated again.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from functools import wraps
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_forward_ad_level = 0
_next_number = itertools.count(0, -1).__next__  # nodes count down: the newest has the smallest number
Fn = TypeVar("Fn", bound=Callable[..., Any])


class _GradMode(threading.local):
    enabled = True  # each thread starts recording, as in PyTorch


_grad_mode = _GradMode()


class set_grad_enabled:
    """Record a graph (True) or not (False) inside this block or decorated function, in this thread."""

    def __init__(self, mode: bool) -> None:
        self.mode, self.prev = bool(mode), []

    def __enter__(self) -> None:
        self.prev.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self.prev.pop()

    def __call__(self, fn: Fn) -> Fn:
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
    return _grad_mode.enabled


class Function:
    """An op: subclasses define forward(ctx, *arrays) -> array and backward(ctx, grad) -> grads.

    `ctx` is the Function instance itself; it is also the node that the output's `grad_fn` points
    to. Call an op with `MyOp.apply(*inputs, **params)`. forward saves what backward needs with
    ctx.save_for_backward: inputs, the output, or constants such as masks (not other values
    computed from the inputs: higher order could not differentiate them). An op may also define
    jvp(ctx, *tangents) -> tangent for forward mode.
    """

    __slots__ = ("parents", "needs_input_grad", "saved_tensors", "hooks", "number", "out_shape", "out_dtype",
                 "out_id", "__dict__")
    hooks: tuple[Callable[[Function, Any], None], ...]  # hook(node, its complete gradient), before its VJP

    def forward(ctx, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(ctx).__name__} defines no forward")

    def backward(ctx, grad: np.ndarray) -> np.ndarray | tuple[np.ndarray | None, ...] | None:
        raise NotImplementedError(f"{type(ctx).__name__} defines no backward")

    def save_for_backward(ctx, *arrays: Any) -> None:
        ctx.saved_tensors = arrays

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run forward on the inputs' arrays; record the node if any input requires grad."""
        ctx = cls.__new__(cls)
        arrays = _unwrap(ctx, inputs)  # also notes needs_input_grad and parents
        try:
            out = Tensor._make(result := cls.forward(ctx, *arrays, **params))
        except (IndexError, ValueError, TypeError) as err:  # name the op, the shapes
            raise _op_error(err, cls, arrays, params) from err
        if True in ctx.needs_input_grad:
            _record(ctx, result, out)  # out.grad_fn = ctx, numbered in creation order
        if _forward_ad_level:
            _push_tangent(cls, ctx, inputs, out)
        return out


def _unwrap(ctx: Function, inputs: tuple[Any, ...]) -> list[np.ndarray]:
    """The inputs' arrays, all of one dtype; which need a gradient, and the node or leaf behind each."""
    enabled = _grad_mode.enabled
    arrays, needs, parents = [], [], []
    ctx.hooks = ()
    dtype = None
    for x in inputs:
        if not isinstance(x, Tensor) or (d := (a := x.data).dtype) is not dtype and dtype is not None and d != dtype:
            return _unwrap(ctx, _promote(type(ctx), inputs))  # constants, mixed dtypes: one dtype first
        arrays.append(a)
        dtype = d
        needs.append(need := enabled and x._requires_grad)
        parents.append((x.grad_fn or _leaf(ctx, x)) if need else None)
    ctx.saved_tensors = ()
    ctx.needs_input_grad = tuple(needs)
    ctx.parents = tuple(parents)
    return arrays


def _leaf(ctx: Function, x: Tensor) -> Tensor:
    """x, a leaf: ctx's backward computes its gradient, and first frees its released .grad (a hook)."""
    ctx.hooks = _LEAF_HOOKS  # hooks of other kinds are added after forward
    return x


def _record(ctx: Function, result: Any, out: Tensor) -> None:
    """Make ctx the node behind out: numbered in creation order, knowing its output's shape and dtype."""
    data = out.data
    ctx.number = _next_number()  # backward runs the newest node first
    ctx.out_shape, ctx.out_dtype, ctx.out_id = data.shape, data.dtype, id(data)
    if result is not data and ctx.saved_tensors:  # forward returned a NumPy scalar and saved it
        ctx.saved_tensors = tuple(data if a is result else a for a in ctx.saved_tensors)
    out._requires_grad = True
    out.grad_fn = ctx


# Promotion: PyTorch's rule, so that a float32 model stays float32 with Python, NumPy or 0-d constants.

_KIND = {"b": 0, "u": 1, "i": 1, "f": 2}
_DEFAULT = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float64)}


def _promote(cls: type[Function], inputs: tuple[Any, ...]) -> list[Tensor]:
    """Every input as a Tensor of the result's dtype: the widest kind wins (bool < int < float), and
    within it, tensors with dimensions outrank 0-d ones, which outrank Python and NumPy scalars."""
    arrays = [_operand(cls, i, x) for i, x in enumerate(inputs)]
    tiers = [0 if not isinstance(x, (Tensor, np.ndarray)) else 2 if a.ndim else 1 for x, a in zip(inputs, arrays)]
    kind = max(_KIND[a.dtype.kind] for a in arrays)
    ranked = [(t, a.dtype) for t, a in zip(tiers, arrays) if _KIND[a.dtype.kind] == kind]
    top = max(t for t, _ in ranked)
    dtype = np.result_type(*[d for t, d in ranked if t == top]) if top else _DEFAULT[kind]
    return [_cast(x, a, dtype) for x, a in zip(inputs, arrays)]


def _operand(cls: type[Function], i: int, x: Any) -> np.ndarray:
    """An input's array (a constant converted), or a TypeError naming the op and the input."""
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in _KIND:
        raise TypeError(f"{cls.__name__}: input {i} is {x!r} of dtype {a.dtype}; expected numbers, an array or a Tensor")
    return a


def _cast(x: Any, a: np.ndarray, dtype: np.dtype) -> Tensor:
    """x as a Tensor of dtype: a cast that is recorded when x requires grad, a plain copy otherwise."""
    if a.dtype == dtype:
        return x if isinstance(x, Tensor) else Tensor._make(a)
    if isinstance(x, Tensor) and x._requires_grad:
        return x.astype(dtype)
    return Tensor._make(a.astype(dtype))


def _op_error(err: Exception, cls: type[Function], arrays: list[Any], params: dict[str, Any]) -> Exception:
    """An error of err's kind whose message starts with the op's name and its inputs' shapes."""
    kind = next(k for k in (IndexError, ValueError, TypeError) if isinstance(err, k))
    shapes = ", ".join(str(np.shape(a)) for a in arrays)
    shapes += "".join(f"; {k} of shape {v.shape}" for k, v in params.items() if isinstance(v, np.ndarray))
    return kind(f"{cls.__name__}: inputs of shapes {shapes}: {err}")


# Backward --------------------------------------------------------------------------------------

Vertex = Any  # a node (Function) or a leaf Tensor: what a gradient is summed for


def backward(roots: list[Tensor], grads: list[Any],
             retain_graph: bool = False, create_graph: bool = False) -> dict[Vertex, Any]:
    """Seed the roots; then pop the newest node, apply its VJP, give each input its share."""
    sums, todo = {}, []  # todo: a heap of nodes, the newest (smallest number) on top
    for root, grad in zip(roots, grads):
        _accumulate(sums, todo, root.grad_fn or root, _seed(root, grad))
    while todo:
        _, node = heappop(todo)  # all its consumers are newer: its gradient is complete
        for parent, grad in zip(node.parents, _vjp(node, sums.pop(node), create_graph)):
            if parent is not None and grad is not None:
                _accumulate(sums, todo, parent, _fit(grad, parent, node))
        if not retain_graph:
            node.saved_tensors = None  # free what forward saved
    return sums  # what is left: the leaves' gradients


def _accumulate(sums: dict[Vertex, Any], todo: list[tuple[int, Function]], x: Vertex, grad: Any) -> None:
    """Add grad to x's sum; a node joins the heap with its first gradient (a leaf just waits)."""
    if x in sums:
        sums[x] = _add(sums[x], grad)
    else:
        sums[x] = grad
        if isinstance(x, Function):
            heappush(todo, (x.number, x))


def _add(a: Any, b: Any) -> Any:
    """a + b, kept an ndarray (NumPy returns a scalar for two 0-d arrays)."""
    s = a + b
    return np.asarray(s) if isinstance(s, np.generic) else s


def _vjp(node: Function, grad: Any, create_graph: bool) -> tuple[Any, ...]:
    """node's backward applied to grad: one gradient per input (recorded Tensors when create_graph)."""
    if node.saved_tensors is None:
        raise RuntimeError(
            f"backward(): {type(node).__name__} was already backpropagated through and its "
            "saved arrays were freed; call backward(retain_graph=True) the first time"
        )
    for hook in node.hooks:
        hook(node, grad)
    grads = _recorded_backward(node, grad) if create_graph else type(node).backward(node, grad)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.parents):
        raise RuntimeError(
            f"{type(node).__name__}.backward returned {len(grads)} gradients for {len(node.parents)} inputs"
        )
    return grads


def _free_released_grads(node: Function, grad: Any) -> None:
    """Free the arrays of its leaves' .grad set to None (zero_grad), just before node computes the next
    ones: NumPy then takes the same blocks again. Freed at zero_grad, at the start of a step, they left
    a hole that let glibc hand the heap back to the OS and fault ~4 MB in again on every step."""
    for p in node.parents:
        if isinstance(p, Tensor):
            p.free_released_grad()


_LEAF_HOOKS = (_free_released_grads,)


def _recorded_backward(node: Function, grad: Any) -> Any:
    """Run node's backward on Tensors, recording it: its saved inputs and output rejoin the graph."""
    saved = node.saved_tensors
    node.saved_tensors = tuple(_rejoin(node, a) for a in saved)
    try:
        with set_grad_enabled(True):
            return type(node).backward(node, grad if isinstance(grad, Tensor) else Tensor._make(np.asarray(grad)))
    finally:
        node.saved_tensors = saved


def _rejoin(node: Function, a: Any) -> Any:
    """A saved array as the graph knows it: node's output or an input (a leaf, or another node's
    output), as a Tensor in the graph; anything else is a constant (a mask, a share)."""
    for maker in (node, *node.parents):
        if isinstance(maker, Tensor):
            if a is maker.data:
                return maker
        elif maker is not None and id(a) == maker.out_id:  # sound: both were alive at node's forward
            t = Tensor._make(a)
            t._requires_grad, t.grad_fn = True, maker
            if _forward_ad_level:
                _rejoin_tangent(t, maker)
            return t
    return a


def _fit(grad: Any, x: Vertex, node: Function) -> Any:
    """Fit an op's gradient to its input: summed over broadcast axes, in the input's dtype."""
    if isinstance(x, Tensor):
        if x._version < node.number:
            _check_unchanged(node, x)
        shape, dtype = x.data.shape, x.data.dtype
    else:
        shape, dtype = x.out_shape, x.out_dtype
    if type(grad) is np.ndarray and grad.shape == shape and grad.dtype == dtype:
        return grad  # the common case: nothing to do
    if isinstance(grad, Tensor) and not grad._requires_grad:
        grad = grad.data  # a constant Tensor (an op's backward called an op on arrays) is its array
    elif not isinstance(grad, Tensor):
        grad = np.asarray(grad)
    if grad.shape != shape:
        grad = _unbroadcast(grad, shape, node, x)
    return grad if grad.dtype == dtype else grad.astype(dtype)


def _unbroadcast(grad: Any, shape: tuple[int, ...], node: Function, x: Vertex) -> Any:
    """Sum `grad` over the axes that broadcasting added to or stretched in `shape` (an array, even for shape ())."""
    lead = grad.ndim - len(shape)
    if shape and lead > 0 and grad.shape[lead:] == shape:  # the common case, a bias: only leading axes were added
        return np.add.reduce(grad, axis=tuple(range(lead)))  # ndarray.sum's Python wrapper costs a microsecond
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, grad.shape[lead:])):
        i = next(i for i, p in enumerate(node.parents) if p is x)
        raise ValueError(
            f"{type(node).__name__}.backward returned a gradient of shape {grad.shape} for input {i} of shape {shape}"
        )
    stretched = tuple(lead + a for a, n in enumerate(shape) if n == 1 and grad.shape[lead + a] != 1)
    return np.add.reduce(grad, axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


def _check_unchanged(node: Function, leaf: Tensor) -> None:
    """leaf was changed in place (an optimizer step) after node was recorded: fail if node saved it."""
    if any(a is leaf.data for a in node.saved_tensors or ()):
        raise RuntimeError(
            f"backward(): {type(node).__name__} saved a tensor of shape {leaf.shape} that an optimizer step "
            "changed in place after the forward pass; call backward() before step(), or compute the loss again"
        )


def _seed(root: Tensor, grad: Any) -> Any:
    """The gradient backward starts from: 1 for a scalar root, else the caller's `grad` (copied)."""
    if not root._requires_grad:
        raise RuntimeError("backward(): this tensor does not require grad and has no grad_fn")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be created implicitly only for a scalar output; this "
                f"output has shape {root.shape}: pass grad= an array of that shape"
            )
        return np.ones_like(root.data)
    if isinstance(grad, Tensor) and grad._requires_grad:
        if grad.shape != root.shape:
            raise ValueError(f"backward(): grad has shape {grad.shape}, output has {root.shape}")
        return grad  # a cotangent that is itself differentiated (autograd.grad with create_graph)
    grad = np.array(getattr(grad, "data", grad), dtype=root.dtype)  # a copy: it may become a .grad
    if grad.shape != root.shape:
        raise ValueError(f"backward(): grad has shape {grad.shape}, output has {root.shape}")
    return grad


def accumulate_grads(sums: dict[Vertex, Any]) -> None:
    """Add each leaf's gradient to its .grad, as an array that no other .grad or tensor shares."""
    kept: set[int] = set()
    for leaf, grad in sums.items():
        old = leaf._grad  # an ndarray, None, or a .grad set to None whose array is kept (Tensor.grad)
        if type(old) is np.ndarray:
            leaf._grad = _add(old, grad)
            continue
        if grad.base is not None or id(grad) in kept:
            grad = grad.copy()
        kept.add(id(grad))
        leaf._grad = grad


from .tensor import Tensor  # noqa: E402  (Tensor's methods call ops, which need Function)
from .forward import _push_tangent, _rejoin_tangent  # noqa: E402
