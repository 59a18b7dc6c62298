"""Shape ops: they move entries around, so the VJP moves the gradient back."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function
from ..tensor import Tensor

Array = np.ndarray


class Reshape(Function):
    """z = reshape(x, shape);  dL/dx = reshape(dL/dz, x.shape)"""

    def forward(ctx, x: Array, shape: tuple[int, ...]) -> Array:
        ctx.shape, ctx.new_shape = x.shape, shape
        return x.reshape(shape)

    def backward(ctx, grad: Array) -> Array:
        return grad.reshape(ctx.shape)

    def jvp(ctx, tx: Array) -> Array:
        return tx.reshape(ctx.new_shape)


class Transpose(Function):
    """z = transpose(x, axes);  dL/dx = transpose(dL/dz, inverse of axes)"""

    def forward(ctx, x: Array, axes: tuple[int, ...] | None = None) -> Array:
        ctx.axes = axes
        return x.transpose(axes)

    def backward(ctx, grad: Array) -> Array:
        return grad.transpose(None if ctx.axes is None else np.argsort(ctx.axes))

    def jvp(ctx, tx: Array) -> Array:
        return tx.transpose(ctx.axes)


class BroadcastTo(Function):
    """z = broadcast_to(x, shape);  dL/dx = dL/dz summed over the new axes (by the engine)"""

    def forward(ctx, x: Array, shape: tuple[int, ...]) -> Array:
        ctx.out_shape = shape
        return np.broadcast_to(x, shape)

    def backward(ctx, grad: Array) -> Array:
        return grad

    def jvp(ctx, tx: Array) -> Array:
        return np.broadcast_to(tx, ctx.out_shape)


class GetItem(Function):
    """z = x[index];  dL/dx = zeros with dL/dz added at index (repeated indices accumulate)"""

    def forward(ctx, x: Array, index: Any) -> Array:
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, _index(index)
        return x[ctx.index]

    def backward(ctx, grad: Array) -> Array:
        dx = np.zeros(ctx.shape, ctx.dtype)
        np.add.at(dx, ctx.index, grad)
        return dx

    def jvp(ctx, tx: Array) -> Array:
        return tx[ctx.index]


def _index(index: Any) -> Any:
    """The index with each Tensor in it replaced by its array (np.add.at takes no Tensor)."""
    if isinstance(index, tuple):
        return tuple(map(_index, index))
    return index.data if isinstance(index, Tensor) else index


class Concatenate(Function):
    """z = concatenate(xs, axis);  dL/dxᵢ = the slice of dL/dz where xᵢ went"""

    def forward(ctx, *xs: Array, axis: int = 0) -> Array:
        ctx.axis, ctx.ends = axis, np.cumsum([np.shape(x)[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    def backward(ctx, grad: Array) -> tuple[Array, ...]:
        return tuple(np.split(grad, ctx.ends, axis=ctx.axis))

    def jvp(ctx, *txs: Array) -> Array:
        return np.concatenate(txs, axis=ctx.axis)


class Stack(Function):
    """z = stack(xs, axis);  dL/dxᵢ = dL/dz taken at position i along axis"""

    def forward(ctx, *xs: Array, axis: int = 0) -> Array:
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    def backward(ctx, grad: Array) -> tuple[Array, ...]:
        return tuple(np.moveaxis(grad, ctx.axis, 0))

    def jvp(ctx, *txs: Array) -> Array:
        return np.stack(txs, axis=ctx.axis)
