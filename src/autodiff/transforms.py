"""JAX-style transforms: functions in, functions (or values) out, composable to any order.

vjp runs f once, then pulls cotangents back (reverse mode, uᵀ J); jvp pushes one tangent forward
with f (forward mode, J v). Called with arrays they return arrays. Called with a Tensor that is
being differentiated itself (inside another transform, or one that requires grad), they return
Tensors recorded in its graph, so grad(grad(f)), jacobian(grad(f), x) and jvp(grad(f), ...) work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd, forward
from .forward import dual_level, make_dual, unpack_dual
from .tensor import Tensor, as_tensor

Fn = Callable[..., Tensor]


def vjp(f: Fn, *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """out = f(*primals), and vjp_fn(u) = (uᵀ ∂f/∂x for each primal x)."""
    xs = [_primal(p) for p in primals]
    nested = any(isinstance(p, Tensor) and _differentiated(p) for p in primals)
    out = as_tensor(f(*xs))

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        if not out.requires_grad:  # f does not depend on its inputs
            return tuple(_zeros(x, nested) for x in xs)
        grads = autograd.grad(out, xs, cotangent, retain_graph=True, create_graph=nested, allow_unused=True)
        return tuple(_zeros(x, nested) if g is None else g if nested else g.data for g, x in zip(grads, xs))

    return (out if nested else out.data), vjp_fn


def jvp(f: Fn, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(f(*primals), ∂f/∂x · tangents): one forward pass with dual numbers."""
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    with dual_level():
        out, tangent = unpack_dual(as_tensor(f(*(make_dual(p, t) for p, t in zip(primals, tangents)))))
    return out, np.zeros_like(out) if tangent is None else tangent


def grad(f: Fn, argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The function computing ∂f/∂args[argnums] for a scalar-valued f."""

    def grad_f(*args: Any) -> Any:
        out, vjp_fn = vjp(f, *args)
        if np.size(out) != 1:
            raise ValueError(f"grad: f must return a scalar, got shape {np.shape(out)}; use jacobian or vjp")
        grads = vjp_fn(np.ones(np.shape(out)))
        return grads[argnums] if isinstance(argnums, int) else tuple(grads[i] for i in argnums)

    return grad_f


def jacobian(f: Fn, x: Any, mode: str = "rev") -> Any:
    """∂f/∂x of shape out.shape + x.shape: one VJP per output element ("rev") or one JVP per input element ("fwd")."""
    if not (isinstance(x, Tensor) and _differentiated(x)):
        x = np.asarray(getattr(x, "data", x))
    if mode == "rev":
        out, vjp_fn = vjp(f, x)
        out_shape = np.shape(out)
        parts = [vjp_fn(u)[0] for u in _basis(out_shape, x.dtype)]  # rows
    elif mode == "fwd":
        parts = [jvp(f, (x,), (v,))[1] for v in _basis(x.shape, x.dtype)]  # columns
        out_shape = parts[0].shape if parts else np.shape(as_tensor(f(x)).data)
    else:
        raise ValueError(f'jacobian: mode must be "rev" or "fwd", got {mode!r}')
    if not parts or not all(out_shape) or not x.size:  # an empty output or input: nothing to stack
        return np.zeros(out_shape + x.shape, x.dtype)
    return np.stack(parts, axis=0 if mode == "rev" else -1).reshape(out_shape + x.shape)


def hessian(f: Fn) -> Callable[[Any], Any]:
    """The function computing ∂²f/∂x² of a scalar f, of shape x.shape + x.shape (the Jacobian of grad f)."""
    return lambda x: jacobian(grad(f), x)


def hvp(f: Fn, x: Any, v: Any) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), H v), without building H: forward mode over reverse (Pearlmutter 1994)."""
    with dual_level():
        xv = _primal(make_dual(x, v))
        out = f(xv)
        (g,) = autograd.grad(out, xv, create_graph=True)
        return np.asarray(out.data), np.zeros_like(xv.data) if g.tangent is None else g.tangent


def _differentiated(t: Tensor) -> bool:
    return t.requires_grad or t.tangent is not None


def _primal(p: Any) -> Tensor:
    """The Tensor to differentiate f at: p itself when it requires grad, else a leaf with p's value
    (and p's tangent, when p is a dual number)."""
    if isinstance(p, Tensor) and p.requires_grad:
        return p
    x = Tensor(np.asarray(getattr(p, "data", p)), requires_grad=True)
    if isinstance(p, Tensor) and p.tangent is not None:
        forward._set_tangent(x, p.tangent)
    return x


def _zeros(x: Tensor, nested: bool) -> Any:
    zeros = np.zeros_like(x.data)
    return Tensor._make(zeros) if nested else zeros


def _basis(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """The unit arrays of this shape, one per element."""
    size = int(np.prod(shape))
    return np.eye(size, dtype=dtype).reshape((size,) + shape)
