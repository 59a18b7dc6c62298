"""JAX-style transforms: functions of Tensors in, ndarrays out.

vjp runs f once, then pulls cotangents back (reverse mode, uᵀ J);
jvp pushes one tangent forward with f (forward mode, J v).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .forward import dual_level, make_dual, unpack_dual
from .tensor import Tensor

Fn = Callable[..., Tensor]


def vjp(f: Fn, *primals: Any) -> tuple[np.ndarray, Callable[[Any], tuple[np.ndarray, ...]]]:
    """out = f(*primals), and vjp_fn(u) = (uᵀ ∂f/∂x for each primal x)."""
    xs = [Tensor(getattr(p, "data", p), requires_grad=True) for p in primals]
    out = f(*xs)

    def vjp_fn(cotangent: Any) -> tuple[np.ndarray, ...]:
        for x in xs:
            x.grad = None
        if out.requires_grad:
            out.backward(cotangent, retain_graph=True)
        return tuple(np.zeros_like(x.data) if x.grad is None else x.grad for x in xs)

    return out.data, vjp_fn


def jvp(f: Fn, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(f(*primals), ∂f/∂x · tangents): one forward pass with dual numbers."""
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    with dual_level():
        out, tangent = unpack_dual(f(*(make_dual(p, t) for p, t in zip(primals, tangents))))
    return out, np.zeros_like(out) if tangent is None else tangent


def grad(f: Fn, argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The function computing ∂f/∂args[argnums] for a scalar-valued f."""

    def grad_f(*args: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        out, vjp_fn = vjp(f, *args)
        if out.size != 1:
            raise ValueError(f"grad: f must return a scalar, got shape {out.shape}; use jacobian or vjp")
        grads = vjp_fn(np.ones_like(out))
        return grads[argnums] if isinstance(argnums, int) else tuple(grads[i] for i in argnums)

    return grad_f


def jacobian(f: Fn, x: Any, mode: str = "rev") -> np.ndarray:
    """∂f/∂x of shape out.shape + x.shape: one VJP per output element ("rev") or one JVP per input element ("fwd")."""
    x = np.asarray(getattr(x, "data", x))
    if mode == "rev":
        out, vjp_fn = vjp(f, x)
        rows = [vjp_fn(u)[0] for u in _basis(out)]
        return np.stack(rows).reshape(out.shape + x.shape)
    if mode == "fwd":
        cols = [jvp(f, (x,), (v,))[1] for v in _basis(x)]
        return np.stack(cols, axis=-1).reshape(cols[0].shape + x.shape)
    raise ValueError(f'jacobian: mode must be "rev" or "fwd", got {mode!r}')


def _basis(a: np.ndarray) -> np.ndarray:
    """The unit arrays shaped like `a`, one per element."""
    return np.eye(a.size, dtype=a.dtype).reshape((a.size,) + a.shape)
