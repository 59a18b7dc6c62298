"""Exercise 03d's checker."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np

from autodiff import Tensor, ops

from .harness import Array, Mistakes, Wrong, _call, exercise
from .opcheck import _Case, _check_dtype_and_trust, _check_values


@exercise("softmax")
def _softmax(op: Any) -> str:
    """03: Softmax.backward without building the Jacobian."""
    rng = np.random.default_rng(7)
    cases = [_Case([rng.standard_normal(s)], (True,), {"axis": a}) for s, a in [((5,), -1), ((3, 4), -1), ((2, 3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1)]]

    def mistakes(x: Array, u: Array, z: Array, axis: int) -> list[Mistakes]:
        p, s = z, (u * z).sum(axis=axis, keepdims=True)
        return [[(p * u, "that is diag(p) z̄ alone; the Jacobian is diag(p) − p pᵀ: subtract p ⟨z̄, p⟩ too"),
                 (u - s, "the factor p in front is missing: x̄ = p ⊙ (z̄ − ⟨z̄, p⟩)"),
                 (p * (u - u.sum(axis=axis, keepdims=True)), "you subtracted Σ z̄; it is Σ z̄ p, the sum weighted by p "
                  "(Σ z̄ alone belongs to log_softmax)"),
                 (p * (u - (u * p).sum()) if u.ndim > 1 else None, "you summed over every axis: sum over the "
                  "softmax's axis only, ctx.axis, with keepdims=True"),
                 (p * (u - (u * p).sum(axis=-1, keepdims=True)) if axis % u.ndim != u.ndim - 1 else None,
                  f"you summed over the last axis, but this softmax is over axis {axis}: use ctx.axis")]]

    _check_values(op, ops.Softmax.apply, cases, mistakes)
    x = rng.standard_normal((2, 2000))
    out = op.apply(Tensor(x, requires_grad=True))
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        _call(f"{op.__name__}.backward", op.backward, out.grad_fn, np.ones_like(x))
        extra = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()
    if extra > 50 * x.nbytes:
        raise Wrong(f"{op.__name__}.backward is right, but for an input of {x.nbytes // 1000} kB it allocated "
                    f"{extra / 1e6:.0f} MB: it builds the Jacobian (2000 × 2000 per row). Apply it instead: "
                    "x̄ = p ⊙ (z̄ − ⟨z̄, p⟩), where ⟨z̄, p⟩ is one number per row")
    return _check_dtype_and_trust(op, cases, "shapes and axes", ()) + " Its memory stays O(n): no Jacobian."

