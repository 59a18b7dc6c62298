"""The Tensor: an ndarray, its gradient, and the Function that made it."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np

from . import engine

Axis = int | tuple[int, ...] | None


class Tensor:
    """A NumPy array that remembers how it was computed, so that it can be differentiated."""

    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "retains_grad", "tangent", "__weakref__")
    __array_ufunc__ = None  # `ndarray op Tensor` calls Tensor's reflected op instead of NumPy's

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype)
        self.grad: np.ndarray | None = None
        self.grad_fn: engine.Function | None = None
        self.retains_grad = False
        self.tangent: np.ndarray | None = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @staticmethod
    def _make(data: Any) -> Tensor:
        """Wrap an op's result without copying (the engine's fast path)."""
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad = t.grad_fn = t.tangent = None
        t._requires_grad = t.retains_grad = False
        return t

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

    def requires_grad_(self, value: bool = True) -> Tensor:
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (seeded with 1 for a scalar)."""
        engine.backward(self, grad, retain_graph)

    def retain_grad(self) -> None:
        """Keep .grad on this intermediate result too."""
        self.retains_grad = True

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._make(self.data)

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    shape = property(attrgetter("data.shape"))  # attrgetter, not a lambda: no Python frame per access
    ndim = property(attrgetter("data.ndim"))
    dtype = property(attrgetter("data.dtype"))
    size = property(attrgetter("data.size"))
    T = property(lambda self: self.transpose())

    def __len__(self) -> int:
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
        return Tensor._make(self.data < np.asarray(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._make(self.data <= np.asarray(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._make(self.data > np.asarray(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._make(self.data >= np.asarray(other))

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


from . import ops  # noqa: E402  (the ops need Function, which needs Tensor)
