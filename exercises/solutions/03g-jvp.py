"""Exercise 03g, a solution: forward mode's rules, J applied to the tangents."""

import numpy as np

from autodiff import Function


class Div(Function):
    """z = x / y"""

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    def jvp(ctx, tx, ty):
        x, y = ctx.saved_tensors
        return tx / y - x * ty / (y * y)  # the quotient rule


class LogSumExp(Function):
    """z = log Σ exp(x) along axis"""

    def forward(ctx, x, axis=-1, keepdims=False):
        m = x.max(axis=axis, keepdims=True)
        z = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(x)
        ctx.z, ctx.axis, ctx.keepdims = z, axis, keepdims  # z with the axis kept: not the output, so an attribute
        return z if keepdims else z.squeeze(axis)

    def jvp(ctx, tx):
        (x,), z = ctx.saved_tensors, ctx.z
        return (np.exp(x - z) * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)  # Σ softmax(x) ẋ
