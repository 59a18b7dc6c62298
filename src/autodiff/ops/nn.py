"""Softmax and friends, written to be stable (exp never sees a large positive number), and the losses.

Each subtracts the row's maximum m before exp: a constant shift that cancels exactly in the math.
Softmax divides by the shifted sum and log-softmax subtracts its log from x - m, so neither rounds
m + log Σ first (which would cost a float32 softmax three digits at logits near 10⁴).
"""

from __future__ import annotations

import numpy as np

from ..core import Array, Axis, Function


def _shift(x: Array, axis: Axis) -> Array:
    """The max along axis (kept as size 1), as a constant; 0 where it is infinite or the axis is empty."""
    m = np.max(np.asarray(x), axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


def _log_sum(shifted: Array, axis: Axis) -> Array:
    """log Σ exp(shifted) along axis (kept): the shifted max is 0, so the sum is at least 1, except on an
    empty axis or a row of -inf, whose log is -inf, as in PyTorch."""
    with np.errstate(divide="ignore"):
        return np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _nan(x: Array) -> Array:
    """The mean of nothing (an empty batch or input), as in PyTorch."""
    return np.full((), np.nan, x.dtype)


def _log_softmax(x: Array, axis: Axis) -> Array:
    """x - logsumexp(x), computed as (x - m) - log Σ exp(x - m)."""
    shifted = x - _shift(x, axis)
    return shifted - _log_sum(shifted, axis)


class LogSumExp(Function):
    """z = log Σᵢ exp(xᵢ);  dz/dx = softmax(x) = exp(x - z)"""

    def forward(ctx, x: Array, axis: Axis = -1, keepdims: bool = False) -> Array:
        m = _shift(x, axis)
        z = m + _log_sum(x - m, axis)
        ctx.axis, ctx.keepdims, ctx.kept_shape = axis, keepdims, z.shape
        z = z if keepdims else z.squeeze(axis)
        ctx.save_for_backward(x, z)
        return z

    def backward(ctx, grad: Array) -> Array:
        x, z = ctx.saved_tensors
        return np.exp(x - z.reshape(ctx.kept_shape)) * grad.reshape(ctx.kept_shape)

    def jvp(ctx, tx: Array) -> Array:
        x, z = ctx.saved_tensors
        t = (np.exp(x - z.reshape(ctx.kept_shape)) * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)
        return t * np.nan if x.size == 0 else t  # over an empty axis, Σ eˣẋ / Σ eˣ = 0/0: nan, as torch


class Softmax(Function):
    """p = exp(x) / Σ exp(x);  x̄ = p ⊙ (z̄ - ⟨z̄, p⟩)"""

    def forward(ctx, x: Array, axis: Axis = -1) -> Array:
        e = np.exp(x - _shift(x, axis))
        p = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(p)
        ctx.axis = axis
        return p

    def backward(ctx, grad: Array) -> Array:
        (p,) = ctx.saved_tensors
        return p * (grad - (grad * p).sum(axis=ctx.axis, keepdims=True))

    jvp = backward  # the Jacobian diag(p) - p pᵀ is symmetric


class LogSoftmax(Function):
    """z = x - logsumexp(x);  x̄ = z̄ - softmax(x) Σ z̄"""

    def forward(ctx, x: Array, axis: Axis = -1) -> Array:
        z = _log_softmax(x, axis)
        ctx.save_for_backward(z)
        ctx.axis = axis
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad - np.exp(z) * grad.sum(axis=ctx.axis, keepdims=True)

    def jvp(ctx, tx: Array) -> Array:
        (z,) = ctx.saved_tensors
        return tx - (np.exp(z) * tx).sum(axis=ctx.axis, keepdims=True)


class NLLLoss(Function):
    """L = -mean over the batch of z[i, yᵢ];  dL/dz = -onehot(y) / n  (with z = log_softmax(x): cross-entropy)"""

    def forward(ctx, z: Array, targets: Array) -> Array:
        rows, ctx.onehot = np.arange(len(targets)), np.zeros_like(z)
        ctx.onehot[rows, targets] = 1
        ctx.n = len(targets)
        return -z[rows, targets].sum() / ctx.n if ctx.n else _nan(z)

    def backward(ctx, grad: Array) -> Array:
        return ctx.onehot * (-grad / max(ctx.n, 1))

    def jvp(ctx, tz: Array) -> Array:
        return -(ctx.onehot * tz).sum() / ctx.n if ctx.n else _nan(tz)


class MSELoss(Function):
    """L = mean((p - t)²);  dL/dp = 2 (p - t) / n, dL/dt = -dL/dp"""

    def forward(ctx, p: Array, t: Array) -> Array:
        diff = p - t
        ctx.save_for_backward(p, t)
        ctx.n = diff.size
        return np.vdot(diff, diff) / ctx.n if ctx.n else _nan(diff)

    def backward(ctx, grad: Array) -> tuple[Array, Array | None]:
        p, t = ctx.saved_tensors
        dp = (p - t) * (grad * (2 / max(ctx.n, 1)))
        return dp, -dp if ctx.needs_input_grad[1] else None

    def jvp(ctx, tp: Array, tt: Array) -> Array:
        p, t = ctx.saved_tensors
        return ((p - t) * (tp - tt)).sum() * (2 / ctx.n) if ctx.n else _nan(tp)
