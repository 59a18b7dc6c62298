"""Elementwise ops: the Jacobian is diagonal, so a VJP (and a JVP) is an elementwise product.

Broadcasting, dtype and accumulation are the engine's job: a backward may return a
gradient of the broadcast output's shape, and the engine sums it back to the input's.
"""

from __future__ import annotations

import numpy as np

from ..engine import Function

Array = np.ndarray
Grads = tuple[Array | None, ...]


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
        dx, dy = ctx.needs_input_grad
        return grad * y if dx else None, grad * x if dy else None

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
        dx, dy = ctx.needs_input_grad
        return grad / y if dx else None, -grad * z / y if dy else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        y, z = ctx.saved_tensors
        return (tx - z * ty) / y


class Pow(Function):
    """z = x ** y;  dz/dx = y * x ** (y - 1), dz/dy = z * log(x)"""

    def forward(ctx, x: Array, y: Array) -> Array:
        z = x**y
        ctx.save_for_backward(x, y, z)
        return z

    def backward(ctx, grad: Array) -> Grads:
        x, y, z = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return grad * y * x ** (y - 1) if dx else None, grad * z * np.log(x) if dy else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        x, y, z = ctx.saved_tensors
        return tx * y * x ** (y - 1) + ty * z * np.log(x)


class Maximum(Function):
    """z = maximum(x, y);  dz/dx = [x >= y], dz/dy = [x < y]"""

    def forward(ctx, x: Array, y: Array) -> Array:
        ctx.save_for_backward(x >= y)
        return np.maximum(x, y)

    def backward(ctx, grad: Array) -> Grads:
        (x_wins,) = ctx.saved_tensors
        return grad * x_wins, grad * ~x_wins

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        (x_wins,) = ctx.saved_tensors
        return np.where(x_wins, tx, ty)


class Minimum(Function):
    """z = minimum(x, y);  dz/dx = [x <= y], dz/dy = [x > y]"""

    def forward(ctx, x: Array, y: Array) -> Array:
        ctx.save_for_backward(x <= y)
        return np.minimum(x, y)

    def backward(ctx, grad: Array) -> Grads:
        (x_wins,) = ctx.saved_tensors
        return grad * x_wins, grad * ~x_wins

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        (x_wins,) = ctx.saved_tensors
        return np.where(x_wins, tx, ty)


class Where(Function):
    """z = where(c, x, y);  dz/dx = [c], dz/dy = [not c]"""

    def forward(ctx, c: Array, x: Array, y: Array) -> Array:
        ctx.save_for_backward(c)
        return np.where(c, x, y)

    def backward(ctx, grad: Array) -> Grads:
        (c,) = ctx.saved_tensors
        return None, np.where(c, grad, 0), np.where(c, 0, grad)

    def jvp(ctx, tc: Array, tx: Array, ty: Array) -> Array:
        (c,) = ctx.saved_tensors
        return np.where(c, tx, ty)


# Unary functions ----------------------------------------------------------------------------


class Neg(Function):
    """z = -x;  dz/dx = -1"""

    def forward(ctx, x: Array) -> Array:
        return -x

    def backward(ctx, grad: Array) -> Array:
        return -grad

    def jvp(ctx, tx: Array) -> Array:
        return -tx


class Exp(Function):
    """z = exp(x);  dz/dx = z"""

    def forward(ctx, x: Array) -> Array:
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * z

    def jvp(ctx, tx: Array) -> Array:
        (z,) = ctx.saved_tensors
        return tx * z


class Log(Function):
    """z = log(x);  dz/dx = 1 / x"""

    def forward(ctx, x: Array) -> Array:
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, grad: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad / x

    def jvp(ctx, tx: Array) -> Array:
        (x,) = ctx.saved_tensors
        return tx / x


class Sqrt(Function):
    """z = sqrt(x);  dz/dx = 1 / (2 z)"""

    def forward(ctx, x: Array) -> Array:
        z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad / (2 * z)

    def jvp(ctx, tx: Array) -> Array:
        (z,) = ctx.saved_tensors
        return tx / (2 * z)


class Abs(Function):
    """z = |x|;  dz/dx = sign(x)"""

    def forward(ctx, x: Array) -> Array:
        ctx.save_for_backward(x)
        return np.abs(x)

    def backward(ctx, grad: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)

    def jvp(ctx, tx: Array) -> Array:
        (x,) = ctx.saved_tensors
        return tx * np.sign(x)


class Tanh(Function):
    """z = tanh(x);  dz/dx = 1 - z²"""

    def forward(ctx, x: Array) -> Array:
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * (1 - z * z)

    def jvp(ctx, tx: Array) -> Array:
        (z,) = ctx.saved_tensors
        return tx * (1 - z * z)


class Sigmoid(Function):
    """z = 1 / (1 + exp(-x));  dz/dx = z (1 - z)"""

    def forward(ctx, x: Array) -> Array:
        z = 0.5 * np.tanh(0.5 * x) + 0.5  # the same function, but exp(-x) cannot overflow
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * z * (1 - z)

    def jvp(ctx, tx: Array) -> Array:
        (z,) = ctx.saved_tensors
        return tx * z * (1 - z)


class Relu(Function):
    """z = max(x, 0);  dz/dx = [x > 0]"""

    def forward(ctx, x: Array) -> Array:
        ctx.save_for_backward(x > 0)
        return np.maximum(x, 0)

    def backward(ctx, grad: Array) -> Array:
        (positive,) = ctx.saved_tensors
        return grad * positive

    def jvp(ctx, tx: Array) -> Array:
        (positive,) = ctx.saved_tensors
        return tx * positive


class Clip(Function):
    """z = clip(x, lo, hi);  dz/dx = [lo <= x <= hi]"""

    def forward(ctx, x: Array, min: float | None = None, max: float | None = None) -> Array:
        z = np.clip(x, min, max)
        ctx.save_for_backward(z == x)
        return z

    def backward(ctx, grad: Array) -> Array:
        (inside,) = ctx.saved_tensors
        return grad * inside

    def jvp(ctx, tx: Array) -> Array:
        (inside,) = ctx.saved_tensors
        return tx * inside
