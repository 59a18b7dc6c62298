"""Optimizers, in `torch.optim`'s words: step() moves each parameter against its .grad."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import engine
from .tensor import Tensor


class Optimizer:
    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is not None:
                p.data -= self.update(i, p.grad)
                p._version = engine._next_number()  # in place: a graph that saved p.data is now stale

    def update(self, i: int, grad: np.ndarray) -> np.ndarray:
        """How far parameter i moves (downhill) given its gradient."""
        raise NotImplementedError


class SGD(Optimizer):
    """v ← momentum·v + g;  p ← p − lr·v"""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def update(self, i: int, grad: np.ndarray) -> np.ndarray:
        v = self.velocity[i] = self.momentum * self.velocity[i] + grad
        return self.lr * v


class Adam(Optimizer):
    """m, v ← running means of g and g²;  p ← p − lr·m̂ / (√v̂ + eps), m̂ and v̂ unbiased"""

    def __init__(
        self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        super().__init__(params, lr)
        self.betas, self.eps = betas, eps
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.t = [0] * len(self.params)  # per parameter: one that had no grad yet has taken no step

    def update(self, i: int, grad: np.ndarray) -> np.ndarray:
        b1, b2 = self.betas
        self.t[i] += 1
        self.m[i] = b1 * self.m[i] + (1 - b1) * grad
        self.v[i] = b2 * self.v[i] + (1 - b2) * grad * grad
        m_hat, v_hat = self.m[i] / (1 - b1 ** self.t[i]), self.v[i] / (1 - b2 ** self.t[i])
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
