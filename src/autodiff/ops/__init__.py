"""Every op of the package: one Function subclass each, grouped by the kind of its Jacobian.

REGISTRY maps each op's name to its class, so tests and docs can iterate over all of them; it is also
registered in autodiff.core.OPS, where Tensor's methods find the ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import OPS, Function, Tensor, as_tensor
from ..promote import result_dtype
from . import elementwise, linalg, nn, reduce, shape
from .elementwise import (
    Abs, Add, Alias, Cast, Clip, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, Relu, Sigmoid, Sqrt, Step, Sub, Tanh,
    Where,
)
from .linalg import Affine, MatMul, matmul
from .nn import LogSoftmax, LogSumExp, MSELoss, NLLLoss, Softmax
from .reduce import Max, Mean, Min, Sum
from .shape import BroadcastTo, Concatenate, GetItem, Reshape, ScatterAdd, Stack, Transpose

REGISTRY: dict[str, type[Function]] = {
    cls.__name__: cls
    for module in (elementwise, reduce, shape, linalg, nn)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Function) and cls.__module__ == module.__name__
}


def concatenate(tensors: list[Any], axis: int = 0) -> Tensor:
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: list[Any], axis: int = 0) -> Tensor:
    return Stack.apply(*tensors, axis=axis)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition holds, else y (the condition is a constant: it has no gradient)."""
    c = np.asarray(condition.data if isinstance(condition, Tensor) else condition)  # the array itself, not a copy
    if c.dtype != np.bool_:
        raise TypeError(f"where: the condition must be boolean, got dtype {c.dtype}")
    return Where.apply(x, y, condition=c)


def maximum(x: Any, y: Any) -> Tensor:
    return Maximum.apply(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    return Minimum.apply(x, y)


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """x limited to [min, max], as np.clip; bounds that require grad get the gradient where they bind, as in
    torch.clamp (where min > max, max wins)."""
    if any(isinstance(b, Tensor) and b.requires_grad for b in (min, max)):
        x = as_tensor(x)
        x = x if min is None else where(x < min, min, x)
        return x if max is None else where(x > max, max, x)
    x = as_tensor(x)
    dtype = result_dtype("clip", [x.data, *(_array(b) for b in (min, max) if b is not None)])  # PyTorch's rule
    x = x if x.dtype == dtype else Cast.apply(x, dtype=dtype)
    return Clip.apply(x, min=_bound(min, dtype), max=_bound(max, dtype))


def _array(bound: Any) -> Any:
    return bound.data if isinstance(bound, Tensor) else bound


def _bound(bound: Any, dtype: np.dtype) -> Any:
    return None if bound is None else np.asarray(_array(bound), dtype)


vars(OPS).update(REGISTRY, matmul=matmul, where=where, maximum=maximum, minimum=minimum, concatenate=concatenate,
                 stack=stack, clip=clip)
