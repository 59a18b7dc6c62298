"""Softmax and friends, written to be stable: exp never sees a large positive number."""

from __future__ import annotations

import numpy as np

from ..engine import Function

Array = np.ndarray


def _logsumexp(x: Array, axis: int | None) -> Array:
    """log Σ exp(x) along axis (kept as size 1), shifted by the max so exp cannot overflow."""
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


class LogSumExp(Function):
    """z = log Σᵢ exp(xᵢ);  dz/dx = softmax(x)"""

    def forward(ctx, x: Array, axis: int | None = -1, keepdims: bool = False) -> Array:
        z = _logsumexp(x, axis)
        ctx.save_for_backward(np.exp(x - z))
        ctx.shape = z.shape
        return z if keepdims else z.reshape(np.delete(x.shape, axis) if axis is not None else ())

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return p * grad.reshape(ctx.shape)


class Softmax(Function):
    """p = exp(x) / Σ exp(x);  dL/dx = p * (g - Σ g p)"""

    def forward(ctx, x: Array, axis: int = -1) -> Array:
        p = np.exp(x - _logsumexp(x, axis))
        ctx.save_for_backward(p)
        ctx.axis = axis
        return p

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return p * (grad - (grad * p).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """z = x - logsumexp(x);  dL/dx = g - softmax(x) Σ g"""

    def forward(ctx, x: Array, axis: int = -1) -> Array:
        z = x - _logsumexp(x, axis)
        ctx.save_for_backward(np.exp(z))
        ctx.axis = axis
        return z

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return grad - p * grad.sum(axis=ctx.axis, keepdims=True)


class CrossEntropy(Function):
    """L = mean over the batch of -log softmax(x)[y];  dL/dx = (p - onehot(y)) / n"""

    def forward(ctx, x: Array, y: Array) -> Array:
        logp = x - _logsumexp(x, -1)
        ctx.save_for_backward(np.exp(logp), y)
        return -logp[np.arange(len(y)), y].mean()

    def backward(ctx, grad: Array) -> tuple[Array, None]:
        p, y = ctx.saved_tensors
        return (p - np.eye(p.shape[-1], dtype=p.dtype)[y]) * (grad / len(y)), None
