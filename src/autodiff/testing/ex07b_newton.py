"""Exercise 07b's checker: newton_step(f, x, iters), Newton's step by conjugate gradients on autodiff.hvp."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff
from autodiff import Tensor

from .harness import Array, Wrong, answer, compare, exercise, learner, these

HVP = "autodiff.hvp(f, x, v) returns two things, (f(x), H v): take H v = autodiff.hvp(f, x, v)[1]"
ERRORS = [("tuple", HVP), ("inhomogeneous", HVP)]


@answer
def cg(g: Array, hv: Callable[[Array], Array], iters: int, conjugate: bool = True) -> Array:
    """d with H d = −g by `iters` steps of conjugate gradients from d = 0 (steepest descent if not `conjugate`)."""
    d, r = np.zeros_like(g), -g
    p, rr = r.copy(), float(r @ r)
    for _ in range(iters):
        if rr < 1e-30:
            break
        hp = hv(p)
        alpha = rr / float(p @ hp)
        d, r = d + alpha * p, r - alpha * hp
        new = float(r @ r)
        p, rr = (r + (new / rr) * p if conjugate else r.copy()), new
    return d


@exercise("newton", forbid=these(autodiff.hessian, getattr(autodiff, "jacobian", None)),
          write="solve H d = −g with H v products only (autodiff.hvp): build no H")
def check(newton_step: Callable[..., Any]) -> str:
    rng = np.random.default_rng(11)
    m = rng.standard_normal((4, 4))
    a, b = m @ m.T + 3 * np.eye(4), rng.standard_normal(4)  # a positive definite quadratic: ½ xᵀAx - bᵀx
    quadratic = lambda x: 0.5 * (x * (x @ a)).sum() - (x * b).sum()  # noqa: E731
    X, y = rng.standard_normal((50, 5)), rng.integers(0, 2, 50).astype(float)
    A = np.c_[X, np.ones(50)]

    def logistic(w: Tensor) -> Tensor:  # the mean cross-entropy of a logistic regression, and a ridge
        p = (A @ w).sigmoid()
        return -(p.log() * y + (1 - p).log() * (1 - y)).mean() + (w * w).sum() * 0.05

    steps = [("a quadratic in 4 variables", quadratic, rng.standard_normal(4), 4, 1),
             ("a logistic regression in 6 variables", logistic, np.zeros(6), 6, 3),
             ("a logistic regression in 6 variables, 2 CG iterations a step", logistic, np.zeros(6), 2, 2)]
    for text, f, x, iters, count in steps:
        for step in range(1, count + 1):
            kept, g = x.copy(), autodiff.grad(f)(x)
            H = autodiff.hessian(f)(x)
            calls = [0]

            def counted(frame: Any, code: Any = getattr(f, "__code__", None)) -> None:
                if frame.f_code is code:
                    calls[0] += 1

            got = learner("newton_step", newton_step, f, x, iters, returns=True, errors=ERRORS, count=counted)
            if not np.array_equal(x, kept):
                raise Wrong("newton_step changed x in place: return a new array, x + d")
            if calls[0] > iters + 2:
                raise Wrong(f"newton_step evaluated f {calls[0]} times for iters = {iters} on {text}: CG needs one "
                            "autodiff.grad and one autodiff.hvp per iteration, nothing more. Did you run more than "
                            "iters iterations, or build H column by column?")
            want = x + cg(g, lambda v: H @ v, iters)
            full = np.linalg.solve(H, -g)
            what = f"newton_step on {text}, step {step}"
            compare(np.asarray(got, dtype=float), want, what, [
                (x - full, "it moves to x + H⁻¹g, away from the minimum: the step d solves H d = −g, and x moves to "
                           "x + d (in CG, start from the residual r = −g)"),
                (x - cg(g, lambda v: H @ v, iters), "it moves away from the minimum: CG solves H d = −g (its first "
                                                    "residual is r = −g), and x moves to x + d"),
                (x + cg(g, lambda v: H @ v, iters, conjugate=False) if iters > 1 else None,
                 "that is steepest descent on the quadratic model, each direction the residual itself: CG makes "
                 "each new direction conjugate to the last, p = r + (r·r / old r·r) p"),
                (x - g, "that is a gradient step, x − g: Newton's step uses the curvature, d with H d = −g"),
                (x + full if iters < len(x) else None, f"that is the exact Newton step, H⁻¹ solved fully: with "
                 f"iters = {iters}, stop after {iters} CG iterations (it is what makes CG cheap)"),
            ], rtol=1e-6, atol=1e-9)
            x = want
    return ("One step lands on the quadratic's minimum, and Newton-CG steps on a logistic regression match conjugate "
            "gradients exactly, with full and with 2 iterations, one hvp per iteration and no Hessian built.")
