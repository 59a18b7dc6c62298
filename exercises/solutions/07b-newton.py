"""Exercise 07b, a solution: Newton's step by conjugate gradients, with H v from autodiff.hvp, H never built."""

import numpy as np

import autodiff


def newton_step(f, x, iters):
    """x + d, d from `iters` steps of conjugate gradients on H d = −g, starting at d = 0."""
    g = autodiff.grad(f)(x)
    d = np.zeros_like(x)
    r = -g  # the residual −g − H d, at d = 0
    p = r.copy()
    rr = r @ r
    for _ in range(iters):
        if rr == 0:
            break
        Hp = autodiff.hvp(f, x, p)[1]
        alpha = rr / (p @ Hp)
        d = d + alpha * p
        r = r - alpha * Hp
        rr, rr_old = r @ r, rr
        p = r + (rr / rr_old) * p
    return x + d
