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
    """z = x ** y;  dz/dx = y x^(y-1), dz/dy = z log x  (0 where z is flat: y = 0, or x = 0)"""

    def forward(ctx, x: Array, y: Array) -> Array:
        z = x**y
        ctx.save_for_backward(x, y, z)
        return z

    def backward(ctx, grad: Array) -> Grads:
        x, y, z = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return grad * _dpow_dx(x, y) if dx else None, grad * _dpow_dy(x, y, z) if dy else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        x, y, z = ctx.saved_tensors
        # a constant exponent has tangent 0: skip its term, whose log x is nan for a negative base
        return tx * _dpow_dx(x, y) + (ty * _dpow_dy(x, y, z) if ty.any() else 0)


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
        (share,) = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return grad * share if dx else None, grad * (1 - share) if dy else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
        (share,) = ctx.saved_tensors
        return tx * share + ty * (1 - share)


class Minimum(Maximum):
    """z = minimum(x, y);  dz/dx = [x < y] + ½[x = y], dz/dy = 1 - dz/dx  (a nan input takes it all)"""

    def forward(ctx, x: Array, y: Array) -> Array:
        return _share(ctx, x, y, np.minimum(x, y))


def _share(ctx: Function, x: Array, y: Array, z: Array) -> Array:
    """Save x's share of z's gradient: 1 where x was picked, ½ at a tie (as PyTorch does); where x is
    nan, z is that nan, and x takes the whole gradient."""
    ctx.save_for_backward(np.where(x == y, 0.5, (x == z) | np.isnan(x)).astype(z.dtype, copy=False))
    return z


class Where(Function):
    """z = where(c, x, y);  dz/dx = [c], dz/dy = [not c]"""

    def forward(ctx, x: Array, y: Array, condition: Array) -> Array:
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    def backward(ctx, grad: Array) -> Grads:
        (c,) = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return np.where(c, grad, 0) if dx else None, np.where(c, 0, grad) if dy else None

    def jvp(ctx, tx: Array, ty: Array) -> Array:
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
        z = np.exp(-np.logaddexp(0, -x))  # = 1 / (1 + e^-x), but e^-x is never formed
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad: Array) -> Array:
        (z,) = ctx.saved_tensors
        return grad * z * (1 - z)

    def jvp(ctx, tx: Array) -> Array:
        (z,) = ctx.saved_tensors
        return tx * z * (1 - z)


class Relu(Function):
    """z = max(x, 0);  dz/dx = [z ≠ 0]  (0 at the kink; 1 at nan, where z is nan, as in PyTorch)"""

    def forward(ctx, x: Array) -> Array:
        z = np.maximum(x, 0)
        ctx.save_for_backward(z != 0)
        return z

    def backward(ctx, grad: Array) -> Array:
        (on,) = ctx.saved_tensors
        return grad * on

    def jvp(ctx, tx: Array) -> Array:
        (on,) = ctx.saved_tensors
        return tx * on


class Clip(Function):
    """z = clip(x, lo, hi);  dz/dx = [lo <= x <= hi]  (0 everywhere when lo > hi: z is constant)"""

    def forward(ctx, x: Array, min: float | None = None, max: float | None = None) -> Array:
        inside = (x >= (-np.inf if min is None else min)) & (x <= (np.inf if max is None else max))
        ctx.save_for_backward(inside)
        return np.clip(x, min, max)

    def backward(ctx, grad: Array) -> Array:
        (inside,) = ctx.saved_tensors
        return grad * inside

    def jvp(ctx, tx: Array) -> Array:
        (inside,) = ctx.saved_tensors
        return tx * inside


class Cast(Function):
    """z = x as dtype;  dz/dx = 1 (the engine casts the gradient back to x's dtype)"""

    def forward(ctx, x: Array, dtype: np.dtype) -> Array:
        ctx.dtype = dtype
        return x.astype(dtype)

    def backward(ctx, grad: Array) -> Array:
        return grad

    def jvp(ctx, tx: Array) -> Array:
        return tx.astype(ctx.dtype)
