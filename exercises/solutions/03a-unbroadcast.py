"""Exercise 03a, a solution: a broadcast copies entries, so its gradient sums the copies back."""

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """grad summed over the axes broadcasting added (leading) and stretched (size 1 in shape)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad
