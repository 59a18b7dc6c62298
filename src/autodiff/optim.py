"""Optimizers, in `torch.optim`'s words: step() moves each parameter against its .grad.

Updates run in place, in buffers made once per parameter: a step allocates nothing, so a training
loop's memory keeps one shape from step to step (no heap for glibc to hand back and fault in again).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .core import Tensor, no_grad


class Optimizer:
    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.lr = lr
        self.scratch = [np.zeros_like(p.data) for p in self.params]  # where each update is computed

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is not None:
                p.sub_(self.update(i, p.grad))

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
        v = self.velocity[i]
        v *= self.momentum
        v += grad
        return np.multiply(v, self.lr, out=self.scratch[i])


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
        t = self.t[i] = self.t[i] + 1
        m, v, s = self.m[i], self.v[i], self.scratch[i]
        np.subtract(grad, m, out=s)
        m += np.multiply(s, 1 - b1, out=s)  # m ← b1 m + (1 - b1) g
        np.multiply(grad, grad, out=s)
        s -= v
        v += np.multiply(s, 1 - b2, out=s)  # v ← b2 v + (1 - b2) g²
        np.sqrt(np.divide(v, 1 - b2**t, out=s), out=s)  # √v̂
        s += self.eps
        np.divide(m, s, out=s)
        s *= self.lr / (1 - b1**t)  # lr m̂ / (√v̂ + eps)
        return s
