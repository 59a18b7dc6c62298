"""The engine: how an op records itself (Function.apply) and how gradients flow back (backward).

Everything every op needs lives here, once: shape checks with the op's name, reducing a
broadcast gradient to its input's shape, casting it to the input's dtype, accumulating at
fan-out, and freeing saved arrays. The ops in `autodiff.ops` only hold the math.
"""

from __future__ import annotations

import contextlib
import itertools
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True
_forward_ad_level = 0
_next_number = itertools.count(0, -1).__next__  # nodes count down: the newest has the smallest number


class no_grad(contextlib.ContextDecorator):
    """Record no graph inside this block (or decorated function): for inference and updates."""

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev, _grad_enabled = _grad_enabled, False

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.prev


def is_grad_enabled() -> bool:
    return _grad_enabled


class Function:
    """An op: subclasses define forward(ctx, *arrays) -> array and backward(ctx, grad) -> grads.

    `ctx` is the Function instance itself; it is also the node that the output's
    `grad_fn` points to. Call an op with `MyOp.apply(*inputs, **params)`.
    An op may also define jvp(ctx, *tangents) -> tangent for forward mode.
    """

    __slots__ = ("parents", "needs_input_grad", "saved_tensors", "number", "__dict__")

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
        ctx.saved_tensors = ()
        arrays, needs, parents = [], [], []  # one loop: this runs for every op, the engine's hot path
        for x in inputs:
            is_tensor = isinstance(x, Tensor)
            arrays.append(x.data if is_tensor else x)
            needs.append(need := is_tensor and x._requires_grad and _grad_enabled)
            parents.append(x if need else None)
        ctx.needs_input_grad = needs = tuple(needs)
        try:
            result = Tensor._make(cls.forward(ctx, *arrays, **params))
        except (IndexError, ValueError, TypeError) as err:  # NumPy's message, with the op and the shapes
            raise _op_error(err, cls, arrays) from err
        if True in needs:
            ctx.parents = tuple(parents)
            ctx.number = _next_number()  # creation order: backward runs the newest node first
            result._requires_grad = True
            result.grad_fn = ctx
        if _forward_ad_level:
            _push_tangent(cls, ctx, inputs, result)
        return result


def _op_error(err: Exception, cls: type[Function], arrays: list[Any]) -> Exception:
    """An error of err's kind whose message starts with the op's name and its inputs' shapes."""
    kind = next(k for k in (IndexError, ValueError, TypeError) if isinstance(err, k))
    shapes = ", ".join(str(np.shape(a)) for a in arrays)
    return kind(f"{cls.__name__}: inputs of shapes {shapes}: {err}")


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Reverse-mode sweep from `root`, newest node first: a node's consumers are all newer than it."""
    grads = {id(root): _seed(root, grad)}
    todo: list[tuple[int, int, Tensor]] = []  # a heap: the newest node (the smallest number) pops first
    leaves: list[Tensor] = []
    _schedule(root, todo, leaves)
    kept: set[int] = set()  # arrays that became some tensor's .grad
    while todo:
        _, k, t = heappop(todo)
        fn = t.grad_fn
        if t.retains_grad:
            t.grad = _keep(t.grad, grads[k], kept)
        input_grads = _run_backward(fn, grads.pop(k))
        for i, x in enumerate(fn.parents):
            if x is not None:
                gx, k = _conform(input_grads[i], x, fn, i), id(x)
                if k in grads:
                    grads[k] = _add(grads[k], gx)
                else:
                    grads[k] = gx
                    _schedule(x, todo, leaves)
        if not retain_graph:
            fn.saved_tensors = None
    for x in leaves:  # last, so that an error above leaves every .grad as it was
        x.grad = _keep(x.grad, grads[id(x)], kept)


def _schedule(x: Tensor, todo: list[tuple[int, int, Tensor]], leaves: list[Tensor]) -> None:
    """x has its first gradient: a leaf waits for the end, a node goes on the heap by its number."""
    if x.grad_fn is None:
        leaves.append(x)
    else:
        heappush(todo, (x.grad_fn.number, id(x), x))


def _seed(root: Tensor, grad: Any) -> np.ndarray:
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
    grad = np.array(getattr(grad, "data", grad), dtype=root.dtype)  # a copy: it may become a .grad
    if grad.shape != root.shape:
        raise ValueError(f"backward(): grad has shape {grad.shape}, output has {root.shape}")
    return grad


def _run_backward(fn: Function, grad: np.ndarray) -> tuple[Any, ...]:
    """fn's backward, as a tuple with one entry per input."""
    if fn.saved_tensors is None:
        raise RuntimeError(
            f"backward(): {type(fn).__name__} was already backpropagated through and its "
            "saved arrays were freed; call backward(retain_graph=True) the first time"
        )
    input_grads = type(fn).backward(fn, grad)  # type(): backward may be a staticmethod
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if len(input_grads) != len(fn.parents):
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned {len(input_grads)} gradients for {len(fn.parents)} inputs"
        )
    return input_grads


def _keep(old: np.ndarray | None, g: np.ndarray, kept: set[int]) -> np.ndarray:
    """The new .grad: accumulated, or g itself unless it is a view or already some other .grad."""
    if old is not None:
        return _add(old, g)
    if g.base is not None or id(g) in kept:
        g = g.copy()
    kept.add(id(g))
    return g


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b, kept an ndarray (NumPy returns a scalar for two 0-d arrays)."""
    s = a + b
    return s if type(s) is np.ndarray else np.asarray(s)


def _conform(grad: Any, x: Tensor, fn: Function, i: int) -> np.ndarray:
    """Fit an op's gradient to its input: an ndarray, summed over broadcast axes, in x's dtype."""
    data = x.data
    if type(grad) is np.ndarray and grad.shape == data.shape and grad.dtype == data.dtype:
        return grad  # the common case: nothing to do
    if grad is None:  # the op says "no gradient": zero
        return np.zeros_like(data)
    grad = np.asarray(grad)
    if grad.shape != data.shape:
        grad = _unbroadcast(grad, data.shape, fn, i)
    return grad.astype(data.dtype, copy=False)


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...], fn: Function, i: int) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added to or stretched in `shape`."""
    lead = grad.ndim - len(shape)
    if shape and lead > 0 and grad.shape[lead:] == shape:  # the common case, a bias: leading axes were added
        return np.add.reduce(grad, axis=tuple(range(lead)))
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, grad.shape[lead:])):
        raise ValueError(
            f"{type(fn).__name__}.backward returned a gradient of shape {grad.shape} "
            f"for input {i} of shape {shape}"
        )
    stretched = tuple(lead + a for a, n in enumerate(shape) if n == 1 and grad.shape[lead + a] != 1)
    return grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


from .tensor import Tensor  # noqa: E402  (Tensor's methods call ops, which need Function)
from .forward import _push_tangent  # noqa: E402
