"""The floor under workload B: PyTorch's Function interface in Python, and nothing else.

Not a library: a yardstick. Per op it does only what any engine with this interface must do in
Python (a ctx object, forward(ctx, ...) and backward(ctx, grad) calls, save_for_backward,
needs_input_grad, an output object, a record of the op) and leaves out everything autodiff adds:
error checks, constants, broadcasting, dtype casting, a walk of the graph from the root (it replays
one global tape), freeing and retain_graph. It has only the chain's ops, one or two inputs each.
What autodiff costs per op above this floor is its engine; what the floor costs above NumPy by hand
is the interface itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TAPE: list[tuple[Tensor, Function]] = []  # every recorded op, oldest first


class Tensor:
    __slots__ = ("data", "grad", "requires_grad")

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        self.data, self.grad, self.requires_grad = data, None, requires_grad

    def __mul__(self, other: Tensor) -> Tensor:
        return Mul.apply(self, other)

    def __add__(self, other: Tensor) -> Tensor:
        return Add.apply(self, other)

    def sum(self) -> Tensor:
        return Sum.apply(self)

    def backward(self) -> None:
        self.grad = np.ones_like(self.data)
        for out, ctx in reversed(TAPE):
            if out.grad is None:  # recorded, but the root does not depend on it
                continue
            for x, gx in zip(ctx.parents, type(ctx).backward(ctx, out.grad)):
                if x.requires_grad:
                    x.grad = gx if x.grad is None else x.grad + gx
        TAPE.clear()


class Function:
    __slots__ = ("parents", "needs_input_grad", "saved_tensors")

    def save_for_backward(ctx, *arrays: Any) -> None:
        ctx.saved_tensors = arrays

    @classmethod
    def apply(cls, *inputs: Tensor) -> Tensor:
        ctx = cls.__new__(cls)
        ctx.parents = inputs
        if len(inputs) == 2:  # unpacked by hand: a loop or a comprehension costs more than the rest
            x, y = inputs
            ctx.needs_input_grad = (x.requires_grad, y.requires_grad)
            out = Tensor(cls.forward(ctx, x.data, y.data), x.requires_grad or y.requires_grad)
        else:
            (x,) = inputs
            ctx.needs_input_grad = (x.requires_grad,)
            out = Tensor(cls.forward(ctx, x.data), x.requires_grad)
        if out.requires_grad:
            TAPE.append((out, ctx))
        return out


class Mul(Function):
    __slots__ = ()

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, y = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return grad * y if dx else None, grad * x if dy else None


class Add(Function):
    __slots__ = ()

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    def backward(ctx, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


class Relu(Function):
    __slots__ = ()

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x > 0)
        return np.maximum(x, 0)

    def backward(ctx, grad: np.ndarray) -> tuple[np.ndarray]:
        (positive,) = ctx.saved_tensors
        return (grad * positive,)


class Sum(Function):
    __slots__ = ()

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x.shape)
        return x.sum()

    def backward(ctx, grad: np.ndarray) -> tuple[np.ndarray]:
        (shape,) = ctx.saved_tensors
        return (np.broadcast_to(grad, shape),)


relu = Relu.apply
