"""Bad input gets an error that names what was wrong; extreme input gets finite values, not warnings."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import autodiff.functional as F
from autodiff import Function, Tensor, concatenate, matmul, stack, where


def raises(kind: type[Exception], *fragments: str):
    """pytest.raises whose message must contain every fragment, literally."""
    return pytest.raises(kind, match="(?s)" + ".*".join(map(re.escape, fragments)))


x34 = Tensor(np.ones((3, 4)), requires_grad=True)


@pytest.mark.parametrize(
    "bad, kind, fragments",
    [
        (lambda: x34 + Tensor(np.ones(3)), ValueError, ("Add", "(3, 4)", "(3,)")),
        (lambda: x34 * np.ones((2, 4)), ValueError, ("Mul", "(3, 4)", "(2, 4)")),
        (lambda: np.ones(5) - x34, ValueError, ("Sub", "(5,)", "(3, 4)")),
        (lambda: where(np.ones(3, bool), x34, 0.0), ValueError, ("Where", "(3, 4)", "condition of shape (3,)")),
        (lambda: concatenate([x34, np.ones((2, 3))]), ValueError, ("Concatenate", "(3, 4)", "(2, 3)")),
        (lambda: stack([x34, np.ones((2, 3))]), ValueError, ("Stack", "(3, 4)", "(2, 3)")),
        (lambda: x34.reshape(5, 2), ValueError, ("Reshape", "(3, 4)", "(5,2)")),
        (lambda: x34.broadcast_to((2, 3)), ValueError, ("BroadcastTo", "(3, 4)", "(2,3)")),
        (lambda: x34.transpose(0, 0), ValueError, ("Transpose", "(3, 4)", "repeated axis")),
        (lambda: x34.sum(axis=2), IndexError, ("Sum", "(3, 4)", "axis 2")),
        (lambda: F.softmax(x34, axis=2), IndexError, ("Softmax", "(3, 4)", "axis 2")),
        (lambda: x34[3], IndexError, ("GetItem", "(3, 4)", "index 3")),
    ],
)
def test_a_shape_mismatch_names_the_op_and_the_shapes(bad, kind: type[Exception], fragments: tuple[str, ...]) -> None:
    with raises(kind, *fragments):
        bad()


def test_matmul_names_both_shapes_and_the_inner_dimensions() -> None:
    with raises(ValueError, "MatMul: cannot multiply (3, 4) by (5, 2): inner dimensions 4 and 5 differ"):
        x34 @ Tensor(np.ones((5, 2)))
    with raises(ValueError, "MatMul", "(4,)", "(3,)"):
        matmul(np.ones(4), Tensor(np.ones(3)))
    with raises(ValueError, "MatMul", "(2, 3, 4)", "(5, 4, 2)"):  # batch dimensions 2 and 5
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))
    with raises(ValueError, "MatMul", "(3, 4)", "()", "use *"):
        matmul(x34, 2.0)


def test_backward_on_a_non_scalar_without_grad_says_so() -> None:
    with raises(RuntimeError, "only for a scalar output", "(3, 4)", "grad="):
        (x34 * 2).backward()


def test_backward_with_a_grad_of_the_wrong_shape() -> None:
    with raises(ValueError, "backward(): grad has shape (3,), output has (3, 4)"):
        (x34 * 2).backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad() -> None:
    with raises(RuntimeError, "does not require grad"):
        (Tensor([1.0, 2.0]) * 2).sum().backward()


@pytest.mark.parametrize("data", [[1, 2], np.array([True]), np.array(["a"], dtype=object), np.array([1 + 2j])])
def test_only_floating_point_tensors_can_require_grad(data: object) -> None:
    dtype = str(np.asarray(data).dtype)
    with raises(TypeError, "floating-point", dtype):
        Tensor(data, requires_grad=True)
    t = Tensor(data)
    with raises(TypeError, dtype):
        t.requires_grad = True


class TwoGrads(Function):
    """z = 2x;  returns one gradient too many"""

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        return 2 * x

    def backward(ctx, grad: np.ndarray):
        return 2 * grad, 2 * grad


class WrongShape(Function):
    """z = x * y;  returns dz/dy summed to the wrong shape"""

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * y

    def backward(ctx, grad: np.ndarray):
        return grad, grad.sum(axis=0)[:2]


def test_a_user_function_returning_the_wrong_number_of_gradients() -> None:
    with raises(RuntimeError, "TwoGrads.backward returned 2 gradients for 1 inputs"):
        TwoGrads.apply(x34).sum().backward()


def test_a_user_function_returning_a_wrongly_shaped_gradient() -> None:
    y = Tensor(np.ones((3, 4)), requires_grad=True)
    with raises(ValueError, "WrongShape.backward", "shape (2,)", "input 1", "shape (3, 4)"):
        WrongShape.apply(x34, y).sum().backward()


def test_a_second_backward_through_a_freed_graph() -> None:
    loss = (x34 * x34).sum()
    loss.backward()
    with raises(RuntimeError, "already backpropagated", "retain_graph=True"):
        loss.backward()


def test_log_and_sqrt_of_negative_input_warn_and_give_the_mathematical_gradient() -> None:
    x = Tensor([-1.0, 4.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        y = x.log()
    assert np.isnan(y.data[0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.25])  # d log x / dx = 1 / x, also where log x is nan
    x.grad = None
    with pytest.warns(RuntimeWarning, match="invalid value"):
        x.sqrt().sum().backward()
    assert np.isnan(x.grad[0]) and x.grad[1] == 0.25  # 1 / (2 sqrt x) has no real value at -1


@pytest.mark.parametrize(
    "targets, kind, fragments",
    [
        (np.array([0, 1, 4]), ValueError, ("cross_entropy", "[0, 4)", "to 4")),
        (np.array([0, -1, 1]), ValueError, ("cross_entropy", "[0, 4)", "from -1")),
        (np.array([0.0, 1.0, 1.0]), TypeError, ("cross_entropy", "integer", "float64")),
        (np.array([0, 1]), ValueError, ("cross_entropy", "(3, 4)", "(2,)")),
    ],
)
def test_cross_entropy_rejects_bad_targets(targets: np.ndarray, kind: type[Exception], fragments: tuple[str, ...]) -> None:
    with raises(kind, *fragments):
        F.cross_entropy(x34, targets)


EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]])


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x.sigmoid(),
        lambda x: x.tanh(),
        lambda x: F.softmax(x),
        lambda x: F.softmax(x, axis=0),
        lambda x: F.log_softmax(x),
        lambda x: F.logsumexp(x),
        lambda x: F.logsumexp(x, axis=None),
        lambda x: F.cross_entropy(x, np.array([1, 0, 2])),
    ],
    ids=["sigmoid", "tanh", "softmax", "softmax0", "log_softmax", "logsumexp", "logsumexp_all", "cross_entropy"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_give_finite_values_and_gradients_without_warnings(f, dtype: type) -> None:
    x = Tensor(EXTREME.astype(dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = f(x)
        out.backward(np.ones(out.shape, dtype))
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
    assert out.dtype == dtype and x.grad.dtype == dtype
