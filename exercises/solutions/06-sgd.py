"""Exercise 06, a solution: SGD with momentum, v ← μ v + g, p ← p − lr v."""

import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0):
        self.params = list(params)
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None  # backward adds into .grad: start each step from nothing

    def step(self):
        for p, v in zip(self.params, self.velocity):
            if p.grad is not None:  # a parameter the loss does not use has no gradient
                v *= self.momentum
                v += p.grad
                p.data -= self.lr * v  # NumPy on the array: no graph
