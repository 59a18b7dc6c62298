"""Exercise 01, a solution: the gradient by central differences, one entry of x at a time."""

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x_k ≈ (f(x + h e_k) − f(x − h e_k)) / 2h for every index k of x; x is left as it was."""
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = h  # h e_k
        grad[k] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
