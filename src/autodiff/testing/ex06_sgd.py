"""Exercise 06's checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Tensor, optim

from .harness import Array, Wrong, _call, _compare, exercise


@exercise("sgd")
def _sgd(sgd: Any) -> str:
    """06: SGD with momentum: zero_grad() and step()."""
    rng = np.random.default_rng(10)
    start = [rng.standard_normal(3), rng.standard_normal((2, 2)), rng.standard_normal(2)]
    target, c = rng.standard_normal(3), rng.uniform(0.5, 2.0, (2, 2))
    names = ["w", "b", "unused"]

    def loss(ps: list[Tensor]) -> Tensor:
        w, b, _ = ps
        return ((w - target) * (w - target)).sum() + (b * b * b * b * c).sum()

    def trajectory(make: Callable[[list[Tensor]], Any], zero: bool = True, steps: int = 4) -> list[list[Array]]:
        ps = [Tensor(a, requires_grad=True) for a in start]
        opt = make(ps)
        seen = []
        for _ in range(steps):
            if zero:
                opt.zero_grad()
            loss(ps).backward()
            opt.step()
            seen.append([p.data.copy() for p in ps])
        return seen

    want = trajectory(lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9))
    plain = trajectory(lambda ps: optim.SGD(ps, lr=0.05))
    ps = [Tensor(a, requires_grad=True) for a in start]
    opt = _call("SGD(params, lr=0.05, momentum=0.9)", sgd, ps, lr=0.05, momentum=0.9)
    for step, right in enumerate(want, start=1):
        _call("SGD.zero_grad", opt.zero_grad, hints=[(".grad", "p.grad is None before the first backward, and "
              "for a parameter the loss does not use: p.grad = None clears it either way")])
        for name, p in zip(names, ps):
            if p.grad is not None and np.any(p.grad):
                raise Wrong(f"after zero_grad(), {name}.grad still holds the last step's gradient: set p.grad = None "
                            "for every parameter. backward adds into .grad, so each step's gradient would pile onto "
                            "the last")
        loss(ps).backward()
        before = [p.data.copy() for p in ps]
        _call("SGD.step", opt.step, hints=[("grad", "a parameter the loss does not use keeps p.grad None: skip it")])
        for k, (name, p) in enumerate(zip(names, ps)):
            if type(p.data) is not np.ndarray:
                raise Wrong(f"after step {step}, {name}.data is a {type(p.data).__name__}: update the array itself "
                            "with NumPy (p.data -= lr * v), outside the graph")
            moved, should = p.data - before[k], right[k] - (want[step - 2][k] if step > 1 else start[k])
            what = f"step {step}'s move of {name}"
            if not moved.any() and should.any():
                raise Wrong(f"{what} is zero: the parameters did not change. p = p - ... only rebinds the name p; "
                            "change the array in place: p.data -= lr * v")
            if np.allclose(p.data, plain[step - 1][k]) and step > 1 and not np.allclose(plain[step - 1][k], right[k]):
                raise Wrong(f"{what} is plain SGD's, without momentum: keep each parameter's velocity in "
                            "self.velocity[i] across steps, v = momentum * v + p.grad, then p.data -= lr * v")
            _compare(moved, should, what, [(-should, "it goes uphill: step against the gradient, p.data -= lr * v")],
                     factor=lambda c: "did you multiply by lr twice?" if np.isclose(c, 0.05) else None)
    return "zero_grad() clears every .grad, and 4 steps with momentum follow autodiff.optim.SGD exactly."

