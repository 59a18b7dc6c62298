"""Check a backward pass against finite differences, in float64.

    gradcheck(f, x, y)       every entry of uᵀJ (one backward) against central differences, for a random u
    gradgradcheck(f, x, y)   second derivatives: double backward against differences of first derivatives
    check_vjp(f, x, y)       one number: <u, J v> by backward, and by a two-point difference along v

Only Tensor inputs with requires_grad are checked; other inputs are passed to f as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import autograd
from .core import Tensor, enable_grad, no_grad


class GradcheckError(RuntimeError):
    """A backward pass disagrees with finite differences."""


@dataclass
class GradcheckResult:
    ok: bool
    error: float  # the worst |backward - numerical| / max(|numerical|, 1): relative, absolute below 1
    input: int | None  # the index of the input where it occurred
    op: str  # the Function that produced f's output

    def __bool__(self) -> bool:
        return self.ok


def numerical_grad(f: Callable[..., Tensor], *inputs: Any, eps: float = 1e-6, cotangent: Any = None) -> list[np.ndarray]:
    """uᵀJ by central differences, one array per input that requires grad (u = ones by default)."""
    xs = _float64(inputs)
    with no_grad():
        u = np.ones(f(*xs).shape) if cotangent is None else np.asarray(cotangent, dtype=np.float64)
        return [_central_differences(f, xs, i, u, eps) for i, x in enumerate(xs) if _checked(x)]


def gradcheck(
    f: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    seed: int = 0,
    raise_exception: bool = True,
) -> GradcheckResult:
    """Compare uᵀJ from backward with central differences, entry by entry, for a random cotangent u.

    It passes when every entry is np.isclose(backward, numerical, rtol, atol); on failure it names the
    failing entry with the worst error |Δ| / max(|numerical|, 1) (relative, or absolute where the
    gradient is below 1). `error` is that worst error over all entries.
    """
    xs = _float64(inputs)
    out = f(*xs)
    u = np.random.default_rng(seed).standard_normal(out.shape)
    op = _op_name(out)
    out.backward(u)
    analytic = [np.zeros_like(x.data) if x.grad is None else x.grad for x in xs if _checked(x)]
    return _compare(f"gradcheck: {op}: the gradient", op, xs, analytic, lambda i: _central_differences(f, xs, i, u, eps),
                    rtol, atol, raise_exception)


def gradgradcheck(
    f: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    seed: int = 0,
    raise_exception: bool = True,
) -> GradcheckResult:
    """Second derivatives, as torch.autograd.gradgradcheck: double backward against central differences
    of first derivatives, in float64. For random u and w, g(x) = ⟨w, uᵀJ(x)⟩ is a first-order backward;
    its gradient (a second backward, through the recorded first one) must match g's central differences."""
    xs = _float64(inputs)
    rng = np.random.default_rng(seed)
    out = f(*xs)
    op, u = _op_name(out), rng.standard_normal(out.shape)
    ws = [rng.standard_normal(x.shape) for x in xs if _checked(x)]

    def g(*xs: Any) -> Tensor:
        with enable_grad():
            grads = autograd.grad(f(*xs), [x for x in xs if _checked(x)], u, create_graph=True, allow_unused=True)
            return sum(((d * w).sum() for d, w in zip(grads, ws) if d is not None), Tensor(0.0))

    second = g(*xs)
    checked = [x for x in xs if _checked(x)]
    if second.requires_grad:  # else the first derivatives are constant: every second derivative is 0
        found = autograd.grad(second, checked, allow_unused=True)
    else:
        found = [None] * len(checked)
    analytic = [np.zeros_like(x.data) if d is None else d.data for d, x in zip(found, checked)]
    return _compare(f"gradgradcheck: {op}: the second derivative", op, xs, analytic,
                    lambda i: _central_differences(g, xs, i, np.ones(()), eps), rtol, atol, raise_exception)


def _compare(what: str, op: str, xs: list[Any], analytic: list[np.ndarray], numerical_of: Callable[[int], np.ndarray],
             rtol: float, atol: float, raise_exception: bool) -> GradcheckResult:
    """Each checked input's analytic array against its central differences; raise at the worst failing entry."""
    result = GradcheckResult(True, 0.0, None, op)
    with no_grad():
        for i, a in zip([i for i, x in enumerate(xs) if _checked(x)], analytic):
            numerical = numerical_of(i)
            error = np.nan_to_num(np.abs(a - numerical) / np.maximum(np.abs(numerical), 1), nan=np.inf)
            if error.max(initial=0) > result.error:
                result.error, result.input = float(error.max()), i
            bad = ~np.isclose(a, numerical, rtol=rtol, atol=atol)  # the criterion; error only ranks entries
            if bad.any():
                result.ok = False
                if raise_exception:
                    at = tuple(int(k) for k in np.unravel_index(np.where(bad, error, -1).argmax(), error.shape))
                    raise GradcheckError(
                        f"{what} of input {i} is wrong; worst error {error[at]:.3g} at index {at}; "
                        f"backward gave {a[at]:.10g}, central differences {numerical[at]:.10g}"
                    )
    return result


def check_vjp(
    f: Callable[..., Tensor],
    *inputs: Any,
    seed: int = 0,
    eps: float = 1e-6,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    raise_exception: bool = True,
) -> GradcheckResult:
    """The random-direction test: <u, J v> by one backward (<Jᵀu, v>) and by (f(x + hv) - f(x - hv)) / 2h, h = eps."""
    rng = np.random.default_rng(seed)
    xs = _float64(inputs)
    out = f(*xs)
    op = _op_name(out)
    u = rng.standard_normal(out.shape)
    out.backward(u)
    checked = [x for x in xs if _checked(x)]
    vs = [rng.standard_normal(x.shape) for x in checked]
    by_backward = sum(float(np.vdot(x.grad, v)) for x, v in zip(checked, vs) if x.grad is not None)
    with no_grad():
        ups, downs = _moved(xs, vs, eps), _moved(xs, vs, -eps)
        by_differences = float(np.vdot(u, (f(*ups).data - f(*downs).data) / (2 * eps)))
    error = abs(by_backward - by_differences) / max(abs(by_differences), 1)
    ok = bool(np.isclose(by_backward, by_differences, rtol=rtol, atol=atol))
    result = GradcheckResult(ok, error, None, op)
    if not ok and raise_exception:
        raise GradcheckError(
            f"check_vjp: {result.op}: <u, J v> is {by_backward:.10g} by backward but {by_differences:.10g} "
            f"by finite differences (relative error {error:.3g})"
        )
    return result


def _checked(x: Any) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def _float64(inputs: tuple[Any, ...]) -> list[Any]:
    """Fresh float64 leaves for the inputs that require grad (f then never touches the caller's tensors)."""
    return [Tensor(x.data, requires_grad=True, dtype=np.float64) if _checked(x) else x for x in inputs]


def _op_name(out: Tensor) -> str:
    if not isinstance(out, Tensor) or not out.requires_grad:
        raise GradcheckError("gradcheck: f's output does not depend on any input that requires grad")
    return type(out.grad_fn).__name__ if out.grad_fn is not None else "identity"


def _central_differences(f: Callable[..., Tensor], xs: list[Any], i: int, u: np.ndarray, eps: float) -> np.ndarray:
    """Entry k of uᵀJ is <u, (f(x + h e_k) - f(x - h e_k)) / 2h>, h = eps (the difference taken before the dot)."""
    data = xs[i].data
    grad = np.zeros_like(data)
    for k in np.ndindex(data.shape):
        saved = data[k]
        data[k] = saved + eps
        up = f(*xs).data.copy()  # copies: f's output may be a view of data, which changes next
        data[k] = saved - eps
        down = f(*xs).data.copy()
        data[k] = saved
        grad[k] = np.vdot(u, (up - down) / (2 * eps))
    return grad


def _moved(xs: list[Any], vs: list[np.ndarray], step: float) -> list[Any]:
    """xs with every checked input moved by step * its direction."""
    moves = iter(vs)
    return [Tensor(x.data + step * next(moves)) if _checked(x) else x for x in xs]
