"""NumPy's functions given a Tensor run as the package's ops (NumPy's __array_ufunc__ and
__array_function__ protocols), so one backward rule, written in NumPy, serves arrays and Tensors:
`np.exp(z) * grad` is NumPy on arrays, and two recorded ops when z and grad are Tensors.

Functions with no derivative rule here raise on a Tensor that requires grad (a silently constant
result would be a wrong gradient); piecewise-constant ones (sign, comparisons) give constants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import ops
from .core import OPS, Tensor, as_tensor, leaves_graph

UFUNCS: dict[np.ufunc, Callable[..., Tensor]] = {
    np.add: ops.Add.apply, np.subtract: ops.Sub.apply, np.multiply: ops.Mul.apply, np.true_divide: ops.Div.apply,
    np.power: ops.Pow.apply, np.negative: ops.Neg.apply, np.exp: ops.Exp.apply, np.log: ops.Log.apply,
    np.sqrt: ops.Sqrt.apply, np.absolute: ops.Abs.apply, np.tanh: ops.Tanh.apply, np.maximum: ops.maximum,
    np.minimum: ops.minimum, np.matmul: ops.matmul,
}
# Ufuncs whose derivative is zero wherever it exists: on Tensors they give constants.
CONSTANT = {
    np.sign, np.floor, np.ceil, np.rint, np.trunc, np.isfinite, np.isnan, np.isinf, np.equal, np.not_equal,
    np.less, np.less_equal, np.greater, np.greater_equal, np.logical_and, np.logical_or, np.logical_not,
    np.logical_xor, np.signbit,
}


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.where: ops.where,
    np.sum: lambda a, axis=None, keepdims=False: as_tensor(a).sum(axis=axis, keepdims=keepdims),
    np.mean: lambda a, axis=None, keepdims=False: as_tensor(a).mean(axis=axis, keepdims=keepdims),
    np.max: lambda a, axis=None, keepdims=False: as_tensor(a).max(axis=axis, keepdims=keepdims),
    np.min: lambda a, axis=None, keepdims=False: as_tensor(a).min(axis=axis, keepdims=keepdims),
    np.reshape: lambda a, shape: as_tensor(a).reshape(shape),
    np.transpose: lambda a, axes=None: as_tensor(a).transpose(axes),
    np.swapaxes: lambda a, b, c: as_tensor(a).swapaxes(b, c),
    np.expand_dims: lambda a, axis: a.reshape(np.expand_dims(np.broadcast_to(0, a.shape), axis).shape),
    np.squeeze: lambda a, axis=None: a.reshape(np.squeeze(np.broadcast_to(0, a.shape), axis).shape),
    np.broadcast_to: lambda a, shape: as_tensor(a).broadcast_to(shape),
    np.concatenate: lambda arrays, axis=0: ops.concatenate(list(arrays), axis=axis),
    np.stack: lambda arrays, axis=0: ops.stack(list(arrays), axis=axis),
    np.clip: lambda a, a_min=None, a_max=None: ops.clip(a, a_min, a_max),
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a: a.size,
}


def ufunc(f: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """np.<ufunc>(... Tensor ...): the matching op, or a constant for a piecewise-constant ufunc."""
    if method == "__call__" and not kwargs and f in UFUNCS:
        return UFUNCS[f](*inputs)
    if f is np.add and method == "reduce" and set(kwargs) <= {"axis", "keepdims"}:  # the engine's unbroadcast
        return as_tensor(inputs[0]).sum(**kwargs)
    if method == "__call__" and not kwargs and f in CONSTANT:
        return ops.Step.apply(*inputs, fn=f)
    if method == "__call__" and "out" not in kwargs and not _differentiable(inputs):
        return as_tensor(np.asarray(_constant(f"numpy.{f.__name__}", inputs, f(*_arrays(inputs), **kwargs))))
    raise TypeError(f"autodiff: numpy.{f.__name__}{'' if method == '__call__' else '.' + method} has no derivative "
                    "rule for Tensors (nor in-place forms); use the Tensor's methods or autodiff's ops")


def function(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """np.<function>(... Tensor ...): the matching op, or NumPy itself when nothing needs a gradient."""
    if f in FUNCTIONS:
        return FUNCTIONS[f](*args, **kwargs)
    if not _differentiable(args) and not _differentiable(tuple(kwargs.values())):
        return _constant(f"numpy.{f.__name__}", args, f(*_arrays(args), **{k: _arrays((v,))[0] for k, v in kwargs.items()}))
    raise TypeError(f"autodiff: numpy.{f.__name__} has no derivative rule for Tensors; "
                    "use the Tensor's methods or autodiff's ops")


def _constant(how: str, inputs: tuple[Any, ...], result: Any) -> Any:
    """NumPy's result on the tensors' values, which leave the graph (watchers are told: a trace cannot replay it)."""
    for t in _tensors(inputs):
        leaves_graph(t, how)
    return result


def _tensors(xs: Any) -> list[Tensor]:
    if isinstance(xs, Tensor):
        return [xs]
    return [t for x in xs for t in _tensors(x)] if isinstance(xs, (list, tuple)) else []


def _arrays(xs: tuple[Any, ...]) -> list[Any]:
    """xs with every Tensor (also inside lists and tuples) replaced by its array."""
    return [x.data if isinstance(x, Tensor) else type(x)(_arrays(tuple(x))) if isinstance(x, (list, tuple)) else x
            for x in xs]


def _differentiable(xs: tuple[Any, ...]) -> bool:
    return any(x.requires_grad if isinstance(x, Tensor) else isinstance(x, (list, tuple)) and _differentiable(tuple(x))
               for x in xs)


vars(OPS).update(numpy_ufunc=ufunc, numpy_function=function)  # Tensor's NumPy protocols call these
