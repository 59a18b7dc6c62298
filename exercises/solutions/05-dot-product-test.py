"""Exercise 05, a solution: <Jᵀu, v> by one backward, <u, Jv> by two forwards."""

import numpy as np

from autodiff import Tensor


def dot_product_test(f, x, u, v, h=1e-6):
    """(<Jᵀu, v> by backward, <u, Jv> by a central difference along v), J the Jacobian of f at x."""
    x = Tensor(x.data, requires_grad=True)  # a fresh leaf: its .grad starts empty
    f(x).backward(u)  # x.grad = Jᵀu
    by_backward = float(np.vdot(x.grad, v))
    up, down = f(Tensor(x.data + h * v)), f(Tensor(x.data - h * v))
    by_differences = float(np.vdot(u, (up.data - down.data) / (2 * h)))
    return by_backward, by_differences
