"""JAX-style transforms: functions in, functions (or values) out, composable to any order.

vjp runs f once, then pulls cotangents back (reverse mode, Jᵀ u); jvp pushes one tangent forward with f
(forward mode, J v). f returns a Tensor or a tuple of Tensors. Called with arrays, the transforms return
arrays. Called with a Tensor that is being differentiated itself (it requires grad, or carries a tangent of
an open forward-mode level), they return Tensors in its graph, so that they compose: grad(grad(f)),
jacobian(jacobian(f, mode="fwd")), grad of jvp, jvp of jvp, grad of hvp.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .core import Tensor, as_tensor
from .forward import dual_level, has_tangent, make_dual, unpack_dual
from .ops import Alias

Fn = Callable[..., Any]


def vjp(f: Fn, *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """out = f(*primals), and vjp_fn(u) = (Jᵀu for each primal); u has out's structure (a tuple for a tuple)."""
    nested = any(map(_differentiated, primals))
    xs = [_primal(p) for p in primals]
    out = f(*xs)
    outs = _outputs("vjp", out)

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        us = _cotangents(out, cotangent)
        live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]  # outputs that depend on the inputs
        grads = autograd.grad([o for o, _ in live], xs, [u for _, u in live], retain_graph=True, create_graph=nested,
                              allow_unused=True) if live else [None] * len(xs)
        return tuple(_result(np.zeros_like(x.data) if g is None else g, nested) for g, x in zip(grads, xs))

    return _structured(out, [_result(o, nested) for o in outs]), vjp_fn


def jvp(f: Fn, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), J · tangents): one forward pass with dual numbers; tuples for a tuple-valued f."""
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    nested = any(map(_differentiated, (*primals, *tangents)))
    with dual_level():
        out = f(*(make_dual(p, t) for p, t in zip(primals, tangents)))
        pairs = [unpack_dual(o) for o in _outputs("jvp", out)]
    values = [_result(p, nested) for p, _ in pairs]
    tangents_out = [_result(np.zeros_like(p.data) if t is None else t, nested) for p, t in pairs]
    return _structured(out, values), _structured(out, tangents_out)


def grad(f: Fn, argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The function computing ∂f/∂args[argnums] for a scalar-valued f."""

    def grad_f(*args: Any) -> Any:
        for i in (argnums,) if isinstance(argnums, int) else argnums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"grad: argnums {argnums} out of range for a function called with {len(args)} "
                                 "positional arguments")
        out, vjp_fn = vjp(f, *args)
        if isinstance(out, tuple) or np.size(out) != 1:
            raise ValueError(f"grad: f must return a scalar, got {_describe(out)}; use jacobian or vjp")
        grads = vjp_fn(np.ones(np.shape(out)))
        return grads[argnums] if isinstance(argnums, int) else tuple(grads[i] for i in argnums)

    return grad_f


def jacobian(f: Fn, x: Any, mode: str = "rev") -> Any:
    """∂f/∂x of shape out.shape + x.shape (a tuple of them for a tuple-valued f): one VJP per output element
    ("rev", rows) or one JVP per input element ("fwd", columns)."""
    nested = _differentiated(x)
    x = x if nested else np.asarray(getattr(x, "data", x))
    if mode == "rev":
        out, vjp_fn = vjp(f, x)
        outs = list(out) if isinstance(out, tuple) else [out]
        zeros = [np.zeros(np.shape(o)) for o in outs]
        jacs = [_assemble([vjp_fn(_structured(out, _one_hot(zeros, k, e)))[0] for e in _basis(np.shape(o))],
                          np.shape(o), x.shape, axis=0) for k, o in enumerate(outs)]
    elif mode == "fwd":
        columns = [jvp(f, (x,), (e,))[1] for e in _basis(x.shape)]
        out = columns[0] if columns else _structured_like(f, x)
        per_out = list(zip(*columns)) if isinstance(out, tuple) else [columns]
        outs = list(out) if isinstance(out, tuple) else [out]
        jacs = [_assemble(list(cols), np.shape(o), x.shape, axis=-1) for cols, o in zip(per_out or [[]] * len(outs), outs)]
    else:
        raise ValueError(f'jacobian: mode must be "rev" or "fwd", got {mode!r}')
    jacs = [_result(j, nested) for j in jacs]
    return tuple(jacs) if isinstance(out, tuple) else jacs[0]


def hessian(f: Fn) -> Callable[[Any], Any]:
    """The function computing ∂²f/∂x² of a scalar f, of shape x.shape + x.shape: the Jacobian of grad f."""
    return lambda x: jacobian(grad(f), x)


def hvp(f: Fn, x: Any, v: Any) -> tuple[Any, Any]:
    """(f(x), H v) without building H: the JVP of the gradient, forward over reverse (Pearlmutter 1994)."""
    (value, _), (_, hv) = jvp(lambda y: _value_and_grad(f, y), (x,), (v,))
    return value, hv


def _value_and_grad(f: Fn, x: Any) -> tuple[Any, Any]:
    out, vjp_fn = vjp(f, x)
    return out, vjp_fn(np.ones(np.shape(out)))[0]


def _differentiated(p: Any) -> bool:
    return isinstance(p, Tensor) and (p.requires_grad or has_tangent(p))


def _primal(p: Any) -> Tensor:
    """The Tensor to differentiate f at: p itself if it requires grad; else a leaf with p's value (and with p's
    tangents, through Alias's jvp)."""
    if isinstance(p, Tensor):
        if p.requires_grad:
            return p
        x = Alias.apply(p)
    else:
        x = as_tensor(np.array(p))
    x.requires_grad = True
    return x


def _outputs(name: str, out: Any) -> list[Tensor]:
    """f's outputs: one Tensor, or a tuple or list of them; anything else is an error naming the transform."""
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}: f returned {_describe(out)}; it must return a Tensor computed from its inputs "
                            "(or a tuple of them)")
    return outs


def _describe(out: Any) -> str:
    if isinstance(out, (tuple, list)):
        return f"a {type(out).__name__} of {len(out)}"
    return f"shape {np.shape(out)}" if isinstance(out, (Tensor, np.ndarray)) else f"a {type(out).__name__}"


def _structured(out: Any, parts: list[Any]) -> Any:
    """parts in out's structure: a tuple for a tuple or list, else the one part."""
    return tuple(parts) if isinstance(out, (tuple, list)) else parts[0]


def _cotangents(out: Any, cotangent: Any) -> list[Any]:
    if not isinstance(out, (tuple, list)):
        return [cotangent]
    if not isinstance(cotangent, (tuple, list)) or len(cotangent) != len(out):
        raise ValueError(f"vjp: f returned a {type(out).__name__} of {len(out)} outputs, so vjp_fn takes a tuple of "
                         f"{len(out)} cotangents, one per output; got {_describe(cotangent)}")
    return list(cotangent)


def _result(t: Any, nested: bool) -> Any:
    """A Tensor in the graph when the caller differentiates further, else its array."""
    if nested:
        return as_tensor(t)
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def _one_hot(zeros: list[np.ndarray], k: int, e: np.ndarray) -> list[np.ndarray]:
    return [e if i == k else z for i, z in enumerate(zeros)]


def _assemble(parts: list[Any], out_shape: tuple[int, ...], x_shape: tuple[int, ...], axis: int) -> Any:
    """The Jacobian from its rows (axis 0) or columns (axis -1), of shape out_shape + x_shape."""
    if not parts or not all(out_shape) or not all(x_shape):  # an empty output or input: nothing to stack
        return np.zeros(out_shape + x_shape)
    return np.stack(parts, axis=axis).reshape(out_shape + x_shape)


def _structured_like(f: Fn, x: Any) -> Any:
    """f(x)'s values, for the shapes of an empty input's Jacobian."""
    out = f(as_tensor(x))
    return tuple(o.data for o in _outputs("jacobian", out)) if isinstance(out, (tuple, list)) else _outputs("jacobian", out)[0].data


def _basis(shape: tuple[int, ...]) -> np.ndarray:
    """The unit arrays of this shape, one per element."""
    size = int(np.prod(shape))
    return np.eye(size).reshape((size,) + shape)
