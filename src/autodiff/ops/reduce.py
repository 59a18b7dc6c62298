"""Reductions: the VJP copies the gradient back along the reduced axes."""

from __future__ import annotations

import numpy as np

from ..core import Array, Axis, Function


def _expand(grad: Array, ctx: Function) -> Array:
    """Undo the reduction's shape: put back the reduced axes, then broadcast grad along them (Sum's transpose)."""
    if not ctx.keepdims and ctx.axis is not None and ctx.shape:  # (for axis=None, broadcasting puts every axis
        grad = np.expand_dims(grad, ctx.axis)  # back itself; a 0-d x, which NumPy lets axis 0 reduce, lost none)
    return np.broadcast_to(grad, ctx.shape)


class Sum(Function):
    """z = sum(x, axis);  dz/dx = 1 along the summed axes"""

    def forward(ctx, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(ctx, grad: Array) -> Array:
        return _expand(grad, ctx)

    def jvp(ctx, tx: Array) -> Array:
        return tx.sum(axis=ctx.axis, keepdims=ctx.keepdims)


class Mean(Function):
    """z = mean(x, axis);  dz/dx = 1 / n along the averaged axes"""

    def forward(ctx, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        z = x.sum(axis=axis, keepdims=keepdims)
        ctx.n = x.size // max(z.size, 1)
        return z / ctx.n

    def backward(ctx, grad: Array) -> Array:
        return _expand(grad / ctx.n, ctx)

    def jvp(ctx, tx: Array) -> Array:
        return tx.sum(axis=ctx.axis, keepdims=ctx.keepdims) / ctx.n


class Max(Function):
    """z = max(x, axis);  dz/dx = [x == z], shared equally between ties"""

    def forward(ctx, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        return _pick(ctx, x, x.max(axis=axis, keepdims=keepdims), axis, keepdims)

    def backward(ctx, grad: Array) -> Array:
        return ctx.share * _expand(grad, ctx)

    def jvp(ctx, tx: Array) -> Array:
        return (ctx.share * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)


class Min(Max):
    """z = min(x, axis);  dz/dx = [x == z], shared equally between ties"""

    def forward(ctx, x: Array, axis: Axis = None, keepdims: bool = False) -> Array:
        return _pick(ctx, x, x.min(axis=axis, keepdims=keepdims), axis, keepdims)


def _pick(ctx: Function, x: Array, z: Array, axis: Axis, keepdims: bool) -> Array:
    """Note, for max/min, which entries of x were picked (ties share the gradient)."""
    ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
    hit = x == _expand(z, ctx)
    ctx.share = (hit / hit.sum(axis=axis, keepdims=True)).astype(x.dtype, copy=False)
    return z
