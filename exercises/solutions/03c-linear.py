"""Exercise 03c, a solution: z = x Wᵀ + b; x̄ = z̄ W, W̄ = z̄ᵀ x and b̄ = Σ z̄ over every row of the stack."""

import numpy as np

from autodiff import Function


class Linear(Function):
    """z = x @ W.T + b, as torch.nn.functional.linear: x (..., n), W (m, n), b (m,)"""

    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    def backward(ctx, grad):
        x, W = ctx.saved_tensors
        dx, dW, db = ctx.needs_input_grad
        rows = grad.reshape(-1, grad.shape[-1])  # every row of the stack, one under the other: (N, m)
        gx = grad @ W if dx else None
        gW = rows.T @ x.reshape(-1, x.shape[-1]) if dW else None  # (m, N) @ (N, n): the rows' shares, added
        gb = rows.sum(axis=0) if db else None
        return gx, gW, gb
