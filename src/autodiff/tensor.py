"""The Tensor: an ndarray, its gradient, and the Function that made it."""

from __future__ import annotations

import weakref
from operator import attrgetter
from typing import Any

import numpy as np

from . import engine

Axis = int | tuple[int, ...] | None


class Tensor:
    """A NumPy array that remembers how it was computed, so that it can be differentiated."""

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "retains_grad", "tangent", "_version", "__weakref__")
    __hash__ = object.__hash__  # by identity: == compares elementwise, as in PyTorch

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype)
        self._grad: Any = None
        self.grad_fn: engine.Function | None = None
        self.retains_grad = False
        self.tangent: np.ndarray | None = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @staticmethod
    def _make(data: Any) -> Tensor:
        """Wrap an op's result without copying (the engine's fast path)."""
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else _array(data)
        t._grad = t.grad_fn = t.tangent = None
        t._requires_grad = t.retains_grad = False
        return t

    @property
    def grad(self) -> np.ndarray | None:
        """d(root)/d(self), summed over every backward since it was last set to None."""
        g = self._grad
        return None if type(g) is _Released else g

    @grad.setter
    def grad(self, value: np.ndarray | None) -> None:
        # None (zero_grad) keeps the old array until the next backward is about to compute its successor
        # (engine._free_released_grads): the block is freed only when NumPy can take it again.
        old = self._grad
        self._grad = _Released(old) if value is None and type(old) is np.ndarray else value

    def free_released_grad(self) -> None:
        """Free the array of a .grad set to None: backward calls it just before computing the next one."""
        if type(self._grad) is _Released:
            self._grad = None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require grad, got dtype {self.data.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf; use .detach()")
        self._requires_grad = bool(value)
        self._version = 1  # a leaf's node count at its last in-place update (by an optimizer step); nodes count down from 0

    def requires_grad_(self, value: bool = True) -> Tensor:
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (seeded with 1 for a scalar)."""
        engine.accumulate_grads(engine.backward([self], [grad], retain_graph))

    def retain_grad(self) -> None:
        """Keep .grad on this intermediate result too (a leaf keeps it anyway)."""
        if self.grad_fn is not None and not self.retains_grad:
            self.retains_grad = True
            self.grad_fn.hooks = (*self.grad_fn.hooks, _Retain(self))

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._make(self.data)

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's view of the data: np.array(t) copies, np.asarray(t) does not (NumPy 2's protocol)."""
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"np.asarray(copy=False): the tensor is {self.data.dtype}, a cast to {dtype} must copy")
        return self.data.astype(self.data.dtype if dtype is None else dtype, copy=bool(copy))

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """A NumPy ufunc given a Tensor runs as the matching op, so backward rules work on Tensors too."""
        return dispatch.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return dispatch.function(func, args, kwargs)

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> np.ndarray:
        if self.data.size != 1:
            raise TypeError(f"only a tensor with one element converts to a Python number; this one has shape {self.shape}")
        return self.data

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __contains__(self, value: Any) -> bool:
        return bool((self.data == np.asarray(getattr(value, "data", value))).any())

    shape = property(attrgetter("data.shape"))  # attrgetter, not a lambda: no Python frame per access
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
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=index)

    # Comparisons give boolean tensors, outside the graph (they have no gradient).
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._make(self.data < _value(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._make(self.data <= _value(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._make(self.data > _value(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._make(self.data >= _value(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(self.data == _value(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(self.data != _value(other))

    # Logic on boolean tensors (masks), also outside the graph.
    def __and__(self, other: Any) -> Tensor:
        return Tensor._make(self.data & _value(other))

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return Tensor._make(self.data | _value(other))

    __ror__ = __or__

    def __invert__(self) -> Tensor:
        return Tensor._make(~self.data)

    def any(self) -> Tensor:
        return Tensor._make(self.data.any())

    def all(self) -> Tensor:
        return Tensor._make(self.data.all())

    # Reductions, NumPy's names and keywords.
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.Min.apply(self, axis=axis, keepdims=keepdims)

    # Shapes.
    def reshape(self, *shape: Any) -> Tensor:
        return ops.Reshape.apply(self, shape=shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        return ops.Transpose.apply(self, axes=(axes[0] if len(axes) == 1 else axes) or None)

    def swapaxes(self, a: int, b: int) -> Tensor:
        axes = list(range(self.ndim))
        if not (-self.ndim <= a < self.ndim and -self.ndim <= b < self.ndim):
            raise ValueError(f"swapaxes: axes {a} and {b} out of range for a tensor of shape {self.shape}")
        axes[a], axes[b] = axes[b], axes[a]
        return ops.Transpose.apply(self, axes=tuple(axes))

    def astype(self, dtype: Any) -> Tensor:
        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=shape)

    expand = broadcast_to

    # Elementwise functions.
    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.Clip.apply(self, min=min, max=max)


def as_tensor(x: Any) -> Tensor:
    """x itself if it is a Tensor, else a constant Tensor wrapping it."""
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


def _array(data: Any) -> np.ndarray:
    """An op's result as an ndarray (NumPy returns scalars for 0-d results); a Function has one output."""
    if isinstance(data, (tuple, list)):
        raise TypeError(f"forward returned a {type(data).__name__}; a Function returns one array")
    return np.asarray(data)


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


class _Released:
    """A .grad set to None: its array, kept until backward is about to compute the next gradient."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class _Retain:
    """retain_grad's hook: the node's complete gradient, copied into the tensor's .grad."""

    def __init__(self, t: Tensor) -> None:
        self.tensor = weakref.ref(t)  # weak: the node must not keep its output alive

    def __call__(self, node: Any, grad: Any) -> None:
        t = self.tensor()
        if t is not None:
            grad = np.array(grad)
            t.grad = grad if t.grad is None else t.grad + grad


from . import dispatch, ops  # noqa: E402  (the ops need Function, which needs Tensor)
