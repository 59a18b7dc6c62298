"""Softmax and friends, written to be stable (exp never sees a large positive number), and the fused losses."""

from __future__ import annotations

import numpy as np

from ..engine import Function

Array = np.ndarray
Axis = int | tuple[int, ...] | None


def _logsumexp(x: Array, axis: Axis) -> Array:
    """log Σ exp(x) along axis (kept as size 1), shifted by the max so exp cannot overflow."""
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # a row of -inf (or with +inf): no shift, so the log gives -inf (+inf)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


class LogSumExp(Function):
    """z = log Σᵢ exp(xᵢ);  dz/dx = softmax(x)"""

    def forward(ctx, x: Array, axis: Axis = -1, keepdims: bool = False) -> Array:
        z = _logsumexp(x, axis)
        ctx.save_for_backward(np.exp(x - z))
        ctx.axis, ctx.keepdims, ctx.kept_shape = axis, keepdims, z.shape
        return z if keepdims else z.squeeze(axis)

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return p * grad.reshape(ctx.kept_shape)

    def jvp(ctx, tx: Array) -> Array:
        (p,) = ctx.saved_tensors
        return (p * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)


class Softmax(Function):
    """p = exp(x) / Σ exp(x);  dL/dx = p * (g - Σ g p)"""

    def forward(ctx, x: Array, axis: Axis = -1) -> Array:
        p = np.exp(x - _logsumexp(x, axis))
        ctx.save_for_backward(p)
        ctx.axis = axis
        return p

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return p * (grad - (grad * p).sum(axis=ctx.axis, keepdims=True))

    jvp = backward  # the Jacobian diag(p) - p pᵀ is symmetric


class LogSoftmax(Function):
    """z = x - logsumexp(x);  dL/dx = g - softmax(x) Σ g"""

    def forward(ctx, x: Array, axis: Axis = -1) -> Array:
        z = x - _logsumexp(x, axis)
        ctx.save_for_backward(np.exp(z))
        ctx.axis = axis
        return z

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return grad - p * grad.sum(axis=ctx.axis, keepdims=True)

    def jvp(ctx, tx: Array) -> Array:
        (p,) = ctx.saved_tensors
        return tx - (p * tx).sum(axis=ctx.axis, keepdims=True)


class CrossEntropy(Function):
    """L = mean over the batch of -log softmax(x)[y];  dL/dx = (softmax(x) - onehot(y)) / n"""

    def forward(ctx, x: Array, y: Array) -> Array:
        logp = x - _logsumexp(x, -1)
        rows = np.arange(len(y))
        dx = np.exp(logp)  # softmax(x) ...
        dx[rows, y] -= 1  # ... - onehot(y)
        ctx.save_for_backward(dx / len(y))
        return -logp[rows, y].sum() / len(y)

    def backward(ctx, grad: Array) -> tuple[Array, None]:
        (dx,) = ctx.saved_tensors
        return dx * grad, None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        (dx,) = ctx.saved_tensors
        return (dx * tx).sum()


class MSELoss(Function):
    """L = mean((p - t)²);  dL/dp = 2 (p - t) / n, dL/dt = -dL/dp"""

    def forward(ctx, p: Array, t: Array) -> Array:
        diff = p - t
        ctx.save_for_backward(diff)
        return np.vdot(diff, diff) / diff.size  # vdot: Σ diff², one call

    def backward(ctx, grad: Array) -> tuple[Array, Array | None]:
        (diff,) = ctx.saved_tensors
        dp = diff * (grad * (2 / diff.size))
        return dp, -dp if ctx.needs_input_grad[1] else None

    def jvp(ctx, tp: Array, tt: Array) -> Array:
        (diff,) = ctx.saved_tensors
        return (diff * (tp - tt)).sum() * 2 / diff.size
