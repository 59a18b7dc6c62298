"""Exercise 03b, a solution: x̄ = z̄ ⊙ y, ȳ = z̄ ⊙ x, each only when its input needs it."""

from autodiff import ops


class Mul(ops.Mul):
    """z = x ⊙ y"""

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return grad * y if dx else None, grad * x if dy else None
