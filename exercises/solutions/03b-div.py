"""Exercise 03b, a solution: x̄ = z̄ / y, ȳ = −z̄ x / y², each only when its input needs it."""

import numpy as np

from autodiff import Function


class Div(Function):
    """z = x / y"""

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        gx = grad / y if dx else None
        gy = -grad * x / (y * y) if dy else None
        return gx, gy
