"""Check a backward pass against finite differences, in float64.

    gradcheck(f, x, y)   every entry of uᵀJ (one backward) against central differences, for a random u
    check_vjp(f, x, y)   one number: <u, J v> by backward, and by a two-point difference along v

Only Tensor inputs with requires_grad are checked; other inputs are passed to f as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .engine import no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """A backward pass disagrees with finite differences."""


@dataclass
class GradcheckResult:
    ok: bool
    error: float  # the worst relative error |backward - numerical| / max(|numerical|, 1)
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
    failing entry with the worst relative error. `error` is the worst relative error over all entries.
    """
    xs = _float64(inputs)
    out = f(*xs)
    result = GradcheckResult(True, 0.0, None, _op_name(out))
    u = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(u)
    with no_grad():
        for i, x in enumerate(xs):
            if not _checked(x):
                continue
            analytic = np.zeros_like(x.data) if x.grad is None else x.grad
            numerical = _central_differences(f, xs, i, u, eps)
            error = np.nan_to_num(np.abs(analytic - numerical) / np.maximum(np.abs(numerical), 1), nan=np.inf)
            if error.max(initial=0) > result.error:
                result.error, result.input = float(error.max()), i
            bad = ~np.isclose(analytic, numerical, rtol=rtol, atol=atol)  # the criterion; error only ranks entries
            if bad.any():
                result.ok = False
                if raise_exception:
                    at = tuple(int(k) for k in np.unravel_index(np.where(bad, error, -1).argmax(), error.shape))
                    raise GradcheckError(
                        f"gradcheck: {result.op}: the gradient of input {i} is wrong; worst relative error "
                        f"{error[at]:.3g} at index {at}; backward gave {analytic[at]:.10g}, "
                        f"central differences {numerical[at]:.10g}"
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
