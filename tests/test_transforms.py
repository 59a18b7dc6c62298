"""vjp, jvp, grad and jacobian against Jacobians worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor

A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
X = np.array([0.5, -1.0, 2.0])


def linear(x: Tensor) -> Tensor:
    return Tensor(A) @ x


def square(x: Tensor) -> Tensor:
    return x * x


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_a_linear_map_is_its_matrix(mode: str) -> None:
    np.testing.assert_array_equal(ad.jacobian(linear, X, mode=mode), A)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_an_elementwise_map_is_diagonal(mode: str) -> None:
    np.testing.assert_array_equal(ad.jacobian(square, X, mode=mode), np.diag(2 * X))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_shape_is_out_shape_plus_x_shape(mode: str) -> None:
    x = np.arange(6.0).reshape(2, 3)
    J = ad.jacobian(lambda x: x.sum(axis=0) * 2.0, x, mode=mode)
    assert J.shape == (3, 2, 3)
    np.testing.assert_array_equal(J, 2.0 * np.stack([np.eye(3), np.eye(3)], axis=1))
    assert ad.jacobian(lambda x: (x * x).sum(), x, mode=mode).shape == (2, 3)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_a_function_not_using_x_is_zero(mode: str) -> None:
    J = ad.jacobian(lambda x: Tensor(np.ones(2)), X, mode=mode)
    np.testing.assert_array_equal(J, np.zeros((2, 3)))


def test_jacobian_rejects_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match='mode must be "rev" or "fwd", got \'forward\''):
        ad.jacobian(square, X, mode="forward")


def test_vjp_pulls_back_a_cotangent() -> None:
    out, vjp_fn = ad.vjp(linear, X)
    np.testing.assert_array_equal(out, A @ X)
    u = np.array([1.0, -1.0])
    (dx,) = vjp_fn(u)
    np.testing.assert_array_equal(dx, u @ A)
    (again,) = vjp_fn(u)  # calling twice must not accumulate
    np.testing.assert_array_equal(again, u @ A)
    assert isinstance(out, np.ndarray) and isinstance(dx, np.ndarray)


def test_vjp_of_several_primals_and_an_unused_one() -> None:
    out, vjp_fn = ad.vjp(lambda x, y, z: x * y, X, 2 * X, np.ones(4))
    dx, dy, dz = vjp_fn(np.ones(3))
    np.testing.assert_array_equal(dx, 2 * X)
    np.testing.assert_array_equal(dy, X)
    np.testing.assert_array_equal(dz, np.zeros(4))


def test_vjp_does_not_touch_its_inputs() -> None:
    x = Tensor(X.copy(), requires_grad=True)
    _, vjp_fn = ad.vjp(square, x)
    vjp_fn(np.ones(3))
    assert x.grad is None
    np.testing.assert_array_equal(x.data, X)


def test_vjp_checks_the_cotangent_shape() -> None:
    _, vjp_fn = ad.vjp(linear, X)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), output has \(2,\)"):
        vjp_fn(np.ones(3))


def test_jvp_pushes_a_tangent_forward() -> None:
    v = np.array([1.0, 0.0, -1.0])
    out, tangent = ad.jvp(linear, (X,), (v,))
    np.testing.assert_array_equal(out, A @ X)
    np.testing.assert_array_equal(tangent, A @ v)


def test_jvp_of_two_inputs_adds_their_contributions() -> None:
    out, tangent = ad.jvp(lambda x, y: x * y, (X, 3 * X), (np.ones(3), np.ones(3)))
    np.testing.assert_array_equal(out, 3 * X**2)
    np.testing.assert_array_equal(tangent, 3 * X + X)


def test_jvp_checks_it_has_a_tangent_per_primal() -> None:
    with pytest.raises(ValueError, match="jvp: 2 primals but 1 tangents"):
        ad.jvp(lambda x, y: x * y, (X, X), (X,))


def test_jvp_and_vjp_are_transposes() -> None:
    """<u, J v> is the same number whether J v comes forward or uᵀ J comes back."""
    f = lambda x: (x.reshape(3, 1) * x).tanh().sum(axis=0)
    rng = np.random.default_rng(1)
    u, v = rng.standard_normal(3), rng.standard_normal(3)
    _, jv = ad.jvp(f, (X,), (v,))
    _, vjp_fn = ad.vjp(f, X)
    assert np.vdot(u, jv) == pytest.approx(np.vdot(vjp_fn(u)[0], v), rel=1e-14)


def test_grad_of_a_scalar_function() -> None:
    g = ad.grad(lambda x: (x * x).sum())
    np.testing.assert_array_equal(g(X), 2 * X)


def test_grad_argnums() -> None:
    f = lambda x, y: (x * y).sum()
    np.testing.assert_array_equal(ad.grad(f, argnums=1)(X, 2 * X), X)
    dx, dy = ad.grad(f, argnums=(0, 1))(X, 2 * X)
    np.testing.assert_array_equal(dx, 2 * X)
    np.testing.assert_array_equal(dy, X)


def test_grad_keeps_float32() -> None:
    assert ad.grad(lambda x: (x * x).sum())(X.astype(np.float32)).dtype == np.float32


def test_grad_of_a_vector_function_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"grad: f must return a scalar, got shape \(3,\)"):
        ad.grad(square)(X)


def test_integer_primals_are_rejected() -> None:
    with pytest.raises(TypeError, match="only floating-point tensors can require grad, got dtype int64"):
        ad.grad(lambda x: x.sum())(np.arange(3))
