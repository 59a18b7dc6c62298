"""Exercise 04b, a solution: the reverse sweep. Each node's gradient is complete when its turn comes."""

import numpy as np

from autodiff import Function


def unbroadcast(grad, shape):
    """Your answer to 03a: grad summed back to shape."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def backward(root, order, grad=None):
    """Add d(root)/d(leaf) into every leaf's .grad; order: the nodes behind root, each after its consumers."""
    grads = {root.grad_fn: np.ones_like(root.data) if grad is None else grad}  # node or leaf -> its gradient
    for node in order:
        out = type(node).backward(node, grads.pop(node))  # all of its consumers have sent theirs
        out = out if isinstance(out, tuple) else (out,)
        for parent, g in zip(node.parents, out):
            if parent is None or g is None:  # a constant, or no gradient for it
                continue
            shape = parent.out_shape if isinstance(parent, Function) else parent.shape
            g = unbroadcast(g, shape)
            grads[parent] = grads[parent] + g if parent in grads else g  # fan-out: add, out of place
    for leaf, g in grads.items():  # what is left: the leaves
        leaf.grad = g if leaf.grad is None else leaf.grad + g
