"""Elementwise ops: the Jacobian is diagonal, so a VJP (and a JVP) is an elementwise product.

Broadcasting, dtype and accumulation are the engine's job: a backward may return a
gradient of the broadcast output's shape, and the engine sums it back to the input's.
"""

from __future__ import annotations

import numpy as np

from ..core import Array, Function, Grads


# Binary arithmetic ---------------------------------------------------------------------------


class Add(Function):
    """z = x + y;  dz/dx = 1, dz/dy = 1"""

    def forward(ctx, x: Array, y: Array) -> Array:
        return x + y

    def backward(ctx, grad: Array) -> Grads:
        return grad, grad

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        return tx + ty


class Sub(Function):
    """z = x - y;  dz/dx = 1, dz/dy = -1"""

    def forward(ctx, x: Array, y: Array) -> Array:
        return x - y

    def backward(ctx, grad: Array) -> Grads:
        return grad, -grad if ctx.needs_input_grad[1] else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        return tx - ty


class Mul(Function):
    """z = x * y;  dz/dx = y, dz/dy = x"""

    def forward(ctx, x: Array, y: Array) -> Array:
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, grad: Array) -> Grads:
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return grad * y if need_x else None, grad * x if need_y else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        x, y = ctx.saved_tensors
        return tx * y + x * ty


class Div(Function):
    """z = x / y;  dz/dx = 1 / y, dz/dy = -z / y"""

    def forward(ctx, x: Array, y: Array) -> Array:
        z = x / y
        ctx.save_for_backward(y, z)
        return z

    def backward(ctx, grad: Array) -> Grads:
        y, z = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return grad / y if need_x else None, -grad * z / y if need_y else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        y, z = ctx.saved_tensors
        return (tx - z * ty) / y


class Pow(Function):
    """z = x ** y;  dz/dx = y x^(y-1), dz/dy = z log x  (0 where z is flat: y = 0, or x = 0)"""

    def forward(ctx, x: Array, y: Array) -> Array:
        z = x**y
        ctx.save_for_backward(x, y, z)
        return z

    def backward(ctx, grad: Array) -> Grads:
        x, y, z = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return grad * _dpow_dx(x, y) if need_x else None, grad * _dpow_dy(x, y, z) if need_y else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        x, y, z = ctx.saved_tensors
        has_x, has_y = ctx.has_tangent  # a constant's term is left out: its factor may be nan (log x at x < 0)
        if not has_y:
            return tx * _dpow_dx(x, y)
        if not has_x:
            return ty * _dpow_dy(x, y, z)
        return tx * _dpow_dx(x, y) + ty * _dpow_dy(x, y, z)


def _dpow_dx(x: Array, y: Array) -> Array:
    """y x^(y-1), taking x^0 = 1 as flat even at x = 0 (y x^0 there, not 0 * inf); only there, so
    that its own derivative in y stays x^(y-1) (1 + y log x), also at y = 0 (a Hessian's entry)."""
    return y * x ** (y - 1 + ((y == 0) & (x == 0)))


def _dpow_dy(x: Array, y: Array, z: Array) -> Array:
    """z log x, taking 0^y as flat in y for y >= 0 (instead of 0 * -inf); for y < 0 it is inf * -inf = -inf."""
    with np.errstate(divide="ignore"):
        return z * np.log(np.where((x == 0) & (y >= 0), 1, x))


class Maximum(Function):
    """z = maximum(x, y);  dz/dx = [x > y] + ½[x = y], dz/dy = 1 - dz/dx  (a nan input takes it all)"""

    def forward(ctx, x: Array, y: Array) -> Array:
        return _share(ctx, x, y, np.maximum(x, y))

    def backward(ctx, grad: Array) -> Grads:
        need_x, need_y = ctx.needs_input_grad
        return grad * ctx.share if need_x else None, grad * (1 - ctx.share) if need_y else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        return tx * ctx.share + ty * (1 - ctx.share)


class Minimum(Maximum):
    """z = minimum(x, y);  dz/dx = [x < y] + ½[x = y], dz/dy = 1 - dz/dx  (a nan input takes it all)"""

    def forward(ctx, x: Array, y: Array) -> Array:
        return _share(ctx, x, y, np.minimum(x, y))


def _share(ctx: Function, x: Array, y: Array, z: Array) -> Array:
    """Note x's share of z's gradient: 1 where x was picked, ½ at a tie (as PyTorch does); where x is
    nan, z is that nan, and x takes the whole gradient."""
    ctx.share = np.where(x == y, 0.5, (x == z) | np.isnan(x)).astype(z.dtype, copy=False)
    return z


class Where(Function):
    """z = where(c, x, y);  dz/dx = [c], dz/dy = [not c]"""

    def forward(ctx, x: Array, y: Array, condition: Array) -> Array:
        ctx.c = condition
        return np.where(condition, x, y)

    def backward(ctx, grad: Array) -> Grads:
        need_x, need_y = ctx.needs_input_grad
        return np.where(ctx.c, grad, 0) if need_x else None, np.where(ctx.c, 0, grad) if need_y else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        return np.where(ctx.c, tx, ty)


class Step(Function):
    """z = fn(x, ...) for a piecewise-constant fn (a comparison, logic, sign, floor);  dz/dx = 0 where it exists"""

    def forward(ctx, *xs: Array, fn: np.ufunc) -> Array:
        return fn(*xs)

    def backward(ctx, grad: Array) -> Grads:
        zero = np.zeros(np.shape(grad), grad.dtype)  # a float output: its inputs get zeros, as in PyTorch
        return tuple(zero if need else None for need in ctx.needs_input_grad)

    def jvp(ctx, *txs: Array) -> Array:
        return np.zeros(np.broadcast_shapes(*map(np.shape, txs)))


# Unary functions: J is diagonal, so it is its own transpose, and jvp = backward. -----------------


class Neg(Function):
    """z = -x;  dz/dx = -1"""

    def forward(ctx, x: Array) -> Array:
        return -x

    def backward(ctx, grad: Array) -> Array:
        return -grad

    jvp = backward


class Exp(Function):
    """z = exp(x);  dz/dx = z"""

    def forward(ctx, x: Array) -> Array:
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * z

    jvp = backward


class Log(Function):
    """z = log(x);  dz/dx = 1 / x"""

    def forward(ctx, x: Array) -> Array:
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, grad: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad / x

    jvp = backward


class Sqrt(Function):
    """z = sqrt(x);  dz/dx = 1 / (2 z)"""

    def forward(ctx, x: Array) -> Array:
        z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad / (2 * z)

    jvp = backward


class Abs(Function):
    """z = |x|;  dz/dx = sign(x)"""

    def forward(ctx, x: Array) -> Array:
        ctx.save_for_backward(x)
        return np.abs(x)

    def backward(ctx, grad: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)

    jvp = backward


class Tanh(Function):
    """z = tanh(x);  dz/dx = 1 - z²"""

    def forward(ctx, x: Array) -> Array:
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * (1 - z * z)

    jvp = backward


class Sigmoid(Function):
    """z = 1 / (1 + exp(-x));  dz/dx = z (1 - z)"""

    def forward(ctx, x: Array) -> Array:
        z = np.exp(-np.logaddexp(0, -x))  # = 1 / (1 + e^-x), but e^-x is never formed
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * z * (1 - z)

    jvp = backward


class Relu(Function):
    """z = max(x, 0);  dz/dx = [z ≠ 0]  (0 at the kink; 1 at nan, where z is nan, as in PyTorch)"""

    def forward(ctx, x: Array) -> Array:
        z = np.maximum(x, 0)
        ctx.on = z != 0
        return z

    def backward(ctx, grad: Array) -> Array:
        return grad * ctx.on

    jvp = backward


class Clip(Function):
    """z = clip(x, lo, hi);  dz/dx = [lo <= x <= hi]  (0 everywhere when lo > hi: z is constant)"""

    def forward(ctx, x: Array, min: Array | float | None = None, max: Array | float | None = None) -> Array:
        ctx.inside = (x >= (-np.inf if min is None else min)) & (x <= (np.inf if max is None else max))
        return np.clip(x, min, max)

    def backward(ctx, grad: Array) -> Array:
        return grad * ctx.inside

    jvp = backward


class Cast(Function):
    """z = x as dtype;  dz/dx = 1  (the engine casts gradients and tangents; an integer z has no derivative)"""

    def forward(ctx, x: Array, dtype: np.dtype) -> Array:
        return x.astype(dtype)

    def backward(ctx, grad: Array) -> Array:
        return grad

    jvp = backward


class Alias(Function):
    """z = x, a new tensor for the same array;  dz/dx = 1"""

    def forward(ctx, x: Array) -> Array:
        return x

    def backward(ctx, grad: Array) -> Array:
        return grad

    jvp = backward
