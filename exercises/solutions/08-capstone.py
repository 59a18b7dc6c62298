"""Exercise 08, a solution: a network trained on two moons with nothing of the package's but Tensor and
Function.apply: the ops, the backward loop and the optimizer are the earlier exercises' answers."""

import numpy as np

from autodiff import Function, Tensor
from autodiff.testing import parent_nodes


# The ops: 03c's Linear, 03d's CrossEntropy, and an activation


class Linear(Function):
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    def backward(ctx, grad):
        x, W = ctx.saved_tensors
        dx, dW, db = ctx.needs_input_grad
        rows = grad.reshape(-1, grad.shape[-1])
        gx = grad @ W if dx else None
        gW = rows.T @ x.reshape(-1, x.shape[-1]) if dW else None
        gb = rows.sum(axis=0) if db else None
        return gx, gW, gb


class Tanh(Function):
    def forward(ctx, x):
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (1 - z * z)


class CrossEntropy(Function):
    def forward(ctx, x, targets):
        shifted = x - x.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        ctx.log_p = log_p  # computed in forward: an attribute (save_for_backward takes inputs and the output)
        ctx.targets = targets
        return -log_p[np.arange(len(targets)), targets].mean()

    def backward(ctx, grad):
        log_p = ctx.log_p
        n = len(ctx.targets)
        g = np.exp(log_p)
        g[np.arange(n), ctx.targets] -= 1
        return g * (grad / n)


# The backward loop: 03a's unbroadcast, 04's toposort, 04b's backward


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def toposort(root):
    order, seen = [], set()
    stack = [(root.grad_fn, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in parent_nodes(node))
    return order[::-1]


def backward(root, order, grad=None):
    grads = {root.grad_fn: np.ones_like(root.data) if grad is None else grad}
    for node in order:
        out = type(node).backward(node, grads.pop(node))
        out = out if isinstance(out, tuple) else (out,)
        for parent, g in zip(node.parents, out):
            if parent is None or g is None:
                continue
            shape = parent.out_shape if isinstance(parent, Function) else parent.shape
            g = unbroadcast(g, shape)
            grads[parent] = grads[parent] + g if parent in grads else g
    for leaf, g in grads.items():
        leaf.grad = g if leaf.grad is None else leaf.grad + g


# The optimizer: 06's SGD


class SGD:
    def __init__(self, params, lr, momentum=0.0):
        self.params = list(params)
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, v in zip(self.params, self.velocity):
            if p.grad is not None:
                v *= self.momentum
                v += p.grad
                p.data -= self.lr * v


# The training


def train(X, y, sizes=(2, 16, 16, 2), steps=500, seed=0):
    """A tanh network trained on (X, y) by full-batch SGD with momentum; returns predict(X) -> labels."""
    rng = np.random.default_rng(seed)
    layers = [(Tensor(rng.standard_normal((m, n)) / np.sqrt(n), requires_grad=True),
               Tensor(np.zeros(m), requires_grad=True)) for n, m in zip(sizes, sizes[1:])]
    opt = SGD([p for layer in layers for p in layer], lr=0.1, momentum=0.9)

    def logits(X):
        h = Tensor(X)
        for k, (W, b) in enumerate(layers):
            h = Linear.apply(h, W, b)
            if k < len(layers) - 1:
                h = Tanh.apply(h)
        return h

    for _ in range(steps):
        opt.zero_grad()
        loss = CrossEntropy.apply(logits(X), targets=y)
        backward(loss, toposort(loss))
        opt.step()
    return lambda X: logits(X).data.argmax(axis=1)
