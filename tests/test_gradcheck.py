"""The checker itself: it passes right gradients, and catches wrong ones, naming the op and the input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autodiff import Function, Tensor
from autodiff.gradcheck import GradcheckError, check_vjp, gradcheck, gradgradcheck, numerical_grad


class Sin(Function):
    """z = sin(x);  dz/dx = cos(x), times a factor that tests set to get it wrong"""

    factor = 1.0

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sin(x)

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return grad * np.cos(x) * ctx.factor


class SwappedMul(Function):
    """z = x * y;  with the two gradients swapped (right only where x = y)"""

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, grad: np.ndarray):
        x, y = ctx.saved_tensors
        return grad * x, grad * y


class SummedGrad(Function):
    """z = 2x;  its backward ignores where the gradient came from (right only for grad = ones)"""

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        return 2 * x

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        return np.full_like(grad, 2 * grad.mean())


rng = np.random.default_rng(0)


def leaf(*shape: int) -> Tensor:
    return Tensor(rng.standard_normal(shape), requires_grad=True)


def test_right_gradients_pass_with_a_small_error() -> None:
    x, y = leaf(3, 4), leaf(4)
    result = gradcheck(lambda a, b: (a * b).exp() / (1 + a**2) - b.tanh(), x, y)
    assert result.ok and bool(result) and result.error < 1e-8 and result.op == "Sub"
    assert check_vjp(lambda a, b: (a * b).exp() / (1 + a**2) - b.tanh(), x, y).ok


def test_a_deliberately_wrong_backward_is_caught_with_op_input_and_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Sin, "factor", 1.001)  # off by 0.1 %
    x = leaf(3, 2)
    with pytest.raises(GradcheckError, match=r"Sin: the gradient of input 1 is wrong; worst error [0-9.e-]+ at index \(\d+, \d+\)"):
        gradcheck(lambda c, a: Sin.apply(a * c), np.ones(2), x)
    with pytest.raises(GradcheckError, match=r"check_vjp: Sin: <u, J v> is"):
        check_vjp(Sin.apply, x)
    result = gradcheck(Sin.apply, x, raise_exception=False)
    assert not result.ok and result.input == 0 and result.op == "Sin" and 1e-4 < result.error < 1e-2


def test_the_message_names_the_worst_entry_and_its_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index reported is the entry with the largest error, not the first that fails."""
    monkeypatch.setattr(Sin, "factor", 0.5)
    x = Tensor([[0.3, -1.2, 2.0], [0.7, 1.5, -0.4]], requires_grad=True)
    u = np.random.default_rng(0).standard_normal(x.shape)  # gradcheck's cotangent for seed=0
    analytic = 0.5 * u * np.cos(x.data)
    (numerical,) = numerical_grad(Sin.apply, x, cotangent=u)
    error = np.abs(analytic - numerical) / np.maximum(np.abs(numerical), 1)
    worst = tuple(int(k) for k in np.unravel_index(error.argmax(), error.shape))
    assert worst != (0, 0)  # every entry fails, so the first one is (0, 0): the test tells them apart
    with pytest.raises(GradcheckError) as caught:
        gradcheck(Sin.apply, x)
    m = re.search(r"worst error (\S+) at index \((\d+), (\d+)\); backward gave (\S+), central differences (\S+)$",
                  str(caught.value))
    assert m, str(caught.value)
    assert (int(m[2]), int(m[3])) == worst
    assert float(m[1]) == pytest.approx(error[worst], rel=1e-2)
    assert float(m[4].rstrip(",")) == pytest.approx(analytic[worst]) and float(m[5]) == pytest.approx(numerical[worst])


@pytest.mark.parametrize("fn", [SwappedMul, SummedGrad])
def test_wrong_backwards_that_agree_for_some_cotangents_are_caught(fn: type[Function]) -> None:
    """A random cotangent u catches what u = ones would miss (SummedGrad), in both checks."""
    op = fn.apply
    inputs = [leaf(3, 3), leaf(3, 3)][: 2 if fn is SwappedMul else 1]
    assert not gradcheck(op, *inputs, raise_exception=False).ok
    assert not check_vjp(op, *inputs, raise_exception=False).ok


def test_the_checks_run_in_float64_and_leave_the_callers_tensors_alone() -> None:
    x = Tensor(np.array([0.3, -1.2], dtype=np.float32), requires_grad=True)
    seen: list[np.dtype] = []

    def f(t: Tensor) -> Tensor:
        seen.append(t.dtype)
        return (t * t).sum()

    assert gradcheck(f, x).ok and check_vjp(f, x).ok
    assert set(seen) == {np.dtype(np.float64)}
    assert x.grad is None and x.dtype == np.float32


def test_numerical_grad_is_the_gradient_of_a_scalar_function() -> None:
    x, y = leaf(2, 3), leaf(3)
    gx, gy = numerical_grad(lambda a, b: (a * b).sum(), x, y)
    np.testing.assert_allclose(gx, np.broadcast_to(y.data, (2, 3)), atol=1e-8)
    np.testing.assert_allclose(gy, x.data.sum(axis=0), atol=1e-8)
    (g,) = numerical_grad(lambda a: a * 3, x, cotangent=np.full((2, 3), 2.0))
    np.testing.assert_allclose(g, np.full((2, 3), 6.0), atol=1e-8)


def test_inputs_that_do_not_require_grad_are_constants() -> None:
    x, c = leaf(3), Tensor(rng.standard_normal(3))
    assert len(numerical_grad(lambda a, b: (a * b).sum(), x, c)) == 1
    assert gradcheck(lambda a, b: a * b, x, c).input == 0


def test_an_output_that_depends_on_no_checked_input_is_an_error() -> None:
    with pytest.raises(GradcheckError, match="does not depend on any input that requires grad"):
        gradcheck(lambda a: Tensor(np.ones(2)) * 2, leaf(2))


class TanhSavingItsDerivative(Function):
    """z = tanh(x);  dz/dx = 1 - z², saved in forward: the classic trap of double backward."""

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        z = np.tanh(x)
        ctx.save_for_backward(1 - z * z)  # a value computed from x, not x or z itself
        return z

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        (slope,) = ctx.saved_tensors
        return grad * slope


class TanhKeepingItsDerivative(TanhSavingItsDerivative):
    """The same trap past the save rule: the derivative kept as an attribute, a constant to higher order."""

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        z = np.tanh(x)
        ctx.slope = 1 - z * z
        return z

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        return grad * ctx.slope


def test_saving_a_value_computed_in_forward_is_refused_at_first_order() -> None:
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TanhSavingItsDerivative.forward saved an array of shape \(5,\) that is "
                                           r"neither one of its inputs nor its output"):
        TanhSavingItsDerivative.apply(x)


def test_gradgradcheck_rejects_a_backward_whose_saved_values_cannot_be_differentiated() -> None:
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    assert gradcheck(TanhKeepingItsDerivative.apply, x).ok
    with pytest.raises(GradcheckError, match=r"gradgradcheck: TanhKeepingItsDerivative: the second derivative of input 0"):
        gradgradcheck(TanhKeepingItsDerivative.apply, x)
    assert gradgradcheck(lambda t: t.tanh(), x).ok  # the package's Tanh saves its output: right to any order


def test_gradgradcheck_passes_a_linear_function_whose_second_derivative_is_zero() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    result = gradgradcheck(lambda t: 3 * t - 1, x)
    assert result.ok and result.error == 0.0
