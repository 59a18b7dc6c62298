"""Exercise 02, a solution: elementwise ops have diagonal Jacobians, so x̄ = z̄ ⊙ f'(x)."""

import numpy as np

from autodiff import Function


class Exp(Function):
    """z = exp(x);  x̄ = z̄ ⊙ exp(x) = z̄ ⊙ z"""

    def forward(ctx, x):
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z


class Log(Function):
    """z = log(x);  x̄ = z̄ / x"""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x
