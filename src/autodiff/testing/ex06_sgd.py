"""Exercise 06's checker: SGD with momentum, zero_grad() and step()."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor, optim  # optim: what the answer may not use

from .harness import Wrong, compare, exercise, learner, own_class, these

NAMES = ["w", "b", "z", "unused"]  # z: used by the loss in the first two steps only; unused: never


@exercise("sgd", forbid=these(optim, private=False), anywhere=True, write="write the optimizer yourself, with NumPy")
def check(sgd: Any) -> str:
    own_class(sgd, "optimizer", ("zero_grad", "step"), base=None)
    rng = np.random.default_rng(10)
    start = [rng.standard_normal(3), rng.standard_normal((2, 2)), rng.standard_normal(2), rng.standard_normal(2)]
    target, c = rng.standard_normal(3), rng.uniform(0.5, 2.0, (2, 2))

    def loss(ps: list[Tensor], step: int) -> Tensor:
        w, b, z, _ = ps
        total = ((w - target) * (w - target)).sum() + (b * b * b * b * c).sum()
        return total + (z * z).sum() if step <= 2 else total

    ps = [Tensor(a, requires_grad=True) for a in start]
    opt = learner("SGD(params, lr=0.05, momentum=0.9)", sgd, ps, lr=0.05, momentum=0.9)
    velocity = [np.zeros_like(a) for a in start]  # the reference's, as autodiff.optim.SGD keeps it
    for step in range(1, 5):
        learner("SGD.zero_grad", opt.zero_grad, hints=[(".grad", "p.grad is None before the first backward, and "
                "for a parameter the loss does not use: p.grad = None clears it either way")])
        for name, p in zip(NAMES, ps):
            if p.grad is not None and np.any(p.grad):
                raise Wrong(f"after zero_grad(), {name}.grad still holds the last step's gradient: set p.grad = None "
                            "for every parameter. backward adds into .grad, so each step's gradient would pile onto "
                            "the last")
        loss(ps, step).backward()
        grads = [None if p.grad is None else np.array(p.grad) for p in ps]
        before = [p.data.copy() for p in ps]
        learner("SGD.step", opt.step, hints=[("grad", "a parameter the loss does not use keeps p.grad None: skip it")])
        for k, (name, p, g) in enumerate(zip(NAMES, ps, grads)):
            if type(p.data) is not np.ndarray:
                raise Wrong(f"after step {step}, {name}.data is a {type(p.data).__name__}: update the array itself "
                            "with NumPy (p.data -= lr * v), outside the graph")
            if g is not None:
                velocity[k] = 0.9 * velocity[k] + g
            moved, should = p.data - before[k], (0 if g is None else -0.05 * velocity[k]) + np.zeros_like(before[k])
            what = f"step {step}'s move of {name}"
            if moved.any() and not should.any():
                raise Wrong(f"{what} is not zero, but {name}.grad is None (the loss did not use {name} in this step)"
                            + (": its velocity from the earlier steps kept pushing it" if velocity[k].any() else "")
                            + ". A parameter without a gradient stays where it is: skip it, velocity and all")
            if not moved.any() and should.any():
                raise Wrong(f"{what} is zero: the parameters did not change. p = p - ... only rebinds the name p; "
                            "change the array in place: p.data -= lr * v")
            if step > 1 and g is not None and np.allclose(moved, -0.05 * g) and not np.allclose(should, -0.05 * g):
                raise Wrong(f"{what} is plain SGD's, without momentum: keep each parameter's velocity in "
                            "self.velocity[i] across steps, v = momentum * v + p.grad, then p.data -= lr * v")
            compare(moved, should, what, [(-should, "it goes uphill: step against the gradient, p.data -= lr * v")],
                    factor=lambda c: "did you multiply by lr twice?" if np.isclose(c, 0.05) else
                    "did you damp the gradient, v = μv + (1 − μ)g? This SGD (PyTorch's) adds it whole: v = μv + g"
                    if np.isclose(c, 0.1) else None)
    return ("zero_grad() clears every .grad, 4 steps with momentum follow autodiff.optim.SGD's, and a parameter "
            "without a gradient stays put, even with velocity.")
