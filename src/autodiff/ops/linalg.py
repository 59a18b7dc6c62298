"""Matrix products, whose Jacobians are not diagonal: MatMul, and Affine (a layer, X @ W + b, as one node)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Array, Function, Grads, Tensor, as_tensor


class MatMul(Function):
    """Z = X @ Y (matrices, or stacks of them);  X̄ = Z̄ Yᵀ, Ȳ = Xᵀ Z̄"""

    def forward(ctx, x: Array, y: Array) -> Array:
        ctx.save_for_backward(x, y)
        return x @ y

    def backward(ctx, grad: Array) -> Grads:
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return grad @ y.mT if need_x else None, x.mT @ grad if need_y else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        x, y = ctx.saved_tensors
        return tx @ y + x @ ty


class Affine(Function):
    """Z = X @ W + b (a layer, one node);  X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄, b̄ = Σ_rows Z̄"""

    def forward(ctx, x: Array, w: Array, b: Array) -> Array:
        ctx.save_for_backward(x, w)
        z = x @ w
        z += b  # in place: no second array of Z's size
        return z

    def backward(ctx, grad: Array) -> Grads:
        x, w = ctx.saved_tensors
        need_x, need_w, _ = ctx.needs_input_grad
        return grad @ w.T if need_x else None, x.mT @ grad if need_w else None, grad

    def jvp(ctx, tx: Array, tw: Array, tb: Array) -> Array:
        x, w = ctx.saved_tensors
        return tx @ w + x @ tw + tb


def matmul(x: Any, y: Any) -> Tensor:
    """NumPy's matmul: a 1-D x is a row, a 1-D y a column; the added axis is removed after."""
    x, y = as_tensor(x), as_tensor(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"MatMul: cannot multiply {x.shape} by {y.shape}: use * for scalars")
    inner = y.shape[-2] if y.ndim > 1 else y.shape[0]
    if x.shape[-1] != inner:
        raise ValueError(
            f"MatMul: cannot multiply {x.shape} by {y.shape}: inner dimensions {x.shape[-1]} and {inner} differ"
        )
    if x.ndim > 1 and y.ndim > 1:
        return MatMul.apply(x, y)
    z = MatMul.apply(x.reshape(1, -1) if x.ndim == 1 else x, y.reshape(-1, 1) if y.ndim == 1 else y)
    return z.reshape(z.shape[:-2] + z.shape[-2:-1] * (x.ndim > 1) + z.shape[-1:] * (y.ndim > 1))
