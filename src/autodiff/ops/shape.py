"""Shape ops: they move entries around, so the VJP moves the gradient back."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Array, Function, Tensor


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
        z = x.transpose(axes)
        ctx.axes = axes
        ctx.inverse = None if axes is None else tuple(int(a) for a in np.argsort(np.asarray(axes, int) % max(x.ndim, 1)))
        return z

    def backward(ctx, grad: Array) -> Array:
        return grad.transpose(ctx.inverse)

    def jvp(ctx, tx: Array) -> Array:
        return tx.transpose(ctx.axes)


class BroadcastTo(Function):
    """z = broadcast_to(x, shape);  dL/dx = dL/dz summed over the new axes (by the engine): Sum's transpose"""

    def forward(ctx, x: Array, shape: tuple[int, ...]) -> Array:
        ctx.shape = shape
        return np.broadcast_to(x, shape)

    def backward(ctx, grad: Array) -> Array:
        return grad

    def jvp(ctx, tx: Array) -> Array:
        return np.broadcast_to(tx, ctx.shape)


class GetItem(Function):
    """z = x[index];  dL/dx = zeros with dL/dz added at index (repeated indices add up): ScatterAdd"""

    def forward(ctx, x: Array, index: Any) -> Array:
        ctx.shape, ctx.index = x.shape, _index(index)
        return x[ctx.index]

    def backward(ctx, grad: Array) -> Array:
        return scatter_add(grad, ctx.index, ctx.shape)

    def jvp(ctx, tx: Array) -> Array:
        return tx[ctx.index]


class ScatterAdd(Function):
    """z = zeros(shape) with x added at index (repeats add up);  dL/dx = dL/dz[index]: GetItem's transpose"""

    def forward(ctx, x: Array, index: Any, shape: tuple[int, ...]) -> Array:
        ctx.index, ctx.shape = index, shape
        return _scatter_add(x, index, shape)

    def backward(ctx, grad: Array) -> Array:
        return grad[ctx.index]

    def jvp(ctx, tx: Array) -> Array:
        return scatter_add(tx, ctx.index, ctx.shape)


def scatter_add(grad: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """zeros(shape) with grad added at index: NumPy's add.at on arrays, the ScatterAdd op on Tensors (recorded,
    for higher order: np.add.at works in place, which NumPy's protocols cannot hand to an op)."""
    if isinstance(grad, Tensor):
        return ScatterAdd.apply(grad, index=index, shape=shape)
    return _scatter_add(grad, index, shape)


def _scatter_add(x: Array, index: Any, shape: tuple[int, ...]) -> Array:
    z = np.zeros(shape, x.dtype)
    np.add.at(z, index, x)  # unbuffered: z[index] += x would keep only one of a repeated index's values
    return z


def _index(index: Any) -> Any:
    """The index with each Tensor in it replaced by its array (np.add.at takes no Tensor)."""
    if isinstance(index, tuple):
        return tuple(map(_index, index))
    return index.data if isinstance(index, Tensor) else index


class Concatenate(Function):
    """z = concatenate(xs, axis);  dL/dxᵢ = the slice of dL/dz where xᵢ went"""

    def forward(ctx, *xs: Array, axis: int = 0) -> Array:
        z = np.concatenate(xs, axis=axis)
        ends = np.cumsum([x.shape[axis] for x in xs])
        lead = (slice(None),) * (axis % z.ndim)
        ctx.axis, ctx.pieces = axis, [lead + (slice(a, b),) for a, b in zip([0, *ends[:-1]], ends)]
        return z

    def backward(ctx, grad: Array) -> tuple[Array, ...]:
        return tuple(grad[piece] for piece in ctx.pieces)

    def jvp(ctx, *txs: Array) -> Array:
        return np.concatenate(txs, axis=ctx.axis)


class Stack(Function):
    """z = stack(xs, axis);  dL/dxᵢ = dL/dz taken at position i along axis"""

    def forward(ctx, *xs: Array, axis: int = 0) -> Array:
        z = np.stack(xs, axis=axis)
        lead = (slice(None),) * (axis % z.ndim)
        ctx.axis, ctx.slots = axis, [lead + (i,) for i in range(len(xs))]
        return z

    def backward(ctx, grad: Array) -> tuple[Array, ...]:
        return tuple(grad[slot] for slot in ctx.slots)

    def jvp(ctx, *txs: Array) -> Array:
        return np.stack(txs, axis=ctx.axis)
