"""The transforms compose, and constants stay constants at every order: against torch.func (issue 18's D1, D2,
D11), and the save rule that makes higher order sound."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autodiff as ad
import autodiff.functional as F
from autodiff import Function, Tensor, autograd, forward

torch = pytest.importorskip("torch")
tf = pytest.importorskip("torch.func")

X = np.array([0.3, -1.2, 2.0])
V = np.array([1.0, 0.5, -2.0])
W = np.array([-0.7, 0.4, 1.1])


def ours_f(x):  # noqa: ANN001, ANN202 (called with Tensors of either library)
    return (x ** 3 * x.tanh()).sum() + (x * x.detach()).sum()


def theirs_f(x):  # noqa: ANN001, ANN202
    return (x ** 3 * x.tanh()).sum() + (x * x.detach()).sum()


def close(ours: object, theirs: object) -> None:
    np.testing.assert_allclose(np.asarray(getattr(ours, "data", ours)), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# D1: a detached constant is a constant at every order ------------------------------------------


@pytest.mark.parametrize("ours, theirs", [
    (lambda x: (x * x.detach()).sum(), lambda x: (x * x.detach()).sum()),
    (lambda x: (x * Tensor(x.data)).sum(), lambda x: (x * x.detach()).sum()),
    (lambda x: (x * x.numpy()).sum(), lambda x: (x * x.detach()).sum()),
    (lambda x: F.mse_loss(x.tanh(), x.detach()), lambda x: torch.nn.functional.mse_loss(x.tanh(), x.detach())),
], ids=["detach", "data", "numpy", "mse"])
def test_a_detached_constant_stays_a_constant_at_second_order(ours, theirs) -> None:
    close(ad.hessian(ours)(X), torch.func.hessian(theirs)(torch.tensor(X)))


def test_the_gradient_of_x_times_its_detached_self_does_not_require_grad_again() -> None:
    x = Tensor(X, requires_grad=True)
    (g,) = autograd.grad((x * x.detach()).sum(), x, create_graph=True)
    assert not g.requires_grad and np.array_equal(g.data, X)
    assert not ad.hvp(lambda x: (x * x.data).sum(), X, V)[1].any()


def test_an_intermediate_times_its_detached_self() -> None:
    ours = ad.hessian(lambda x: (lambda h: (h * h.detach()).sum())(x.tanh()))(X)
    theirs = torch.func.hessian(lambda x: (lambda h: (h * h.detach()).sum())(x.tanh()))(torch.tensor(X))
    close(ours, theirs)


# D2: forward mode composes with itself and with reverse mode ------------------------------------


def test_grad_of_jvp() -> None:
    ours = ad.grad(lambda x: ad.jvp(ours_f, (x,), (V,))[1])(X)
    theirs = tf.grad(lambda x: tf.jvp(theirs_f, (x,), (torch.tensor(V),))[1])(torch.tensor(X))
    close(ours, theirs)


def test_jvp_of_jvp() -> None:
    ours = ad.jvp(lambda x: ad.jvp(ours_f, (x,), (V,))[1], (X,), (W,))[1]
    theirs = tf.jvp(lambda x: tf.jvp(theirs_f, (x,), (torch.tensor(V),))[1], (torch.tensor(X),), (torch.tensor(W),))[1]
    close(ours, theirs)


def test_a_tangent_that_is_zero_where_it_is_taken_still_has_its_derivative() -> None:
    """The derivative of x ** y's tangent in the exponent's tangent, at an exponent tangent of 0: a rule that
    skipped the term by the tangent's value (rather than by whether the exponent has one) gave 0."""
    x, y = np.array([1.5, 2.0]), np.array([0.5, 3.0])

    def ours(ty: Tensor) -> Tensor:
        return ad.jvp(lambda a, b: a ** b, (x, y), (np.ones(2), ty))[1].sum()

    def theirs(ty: torch.Tensor) -> torch.Tensor:
        return tf.jvp(lambda a, b: a ** b, (torch.tensor(x), torch.tensor(y)), (torch.ones(2, dtype=ty.dtype), ty))[1].sum()

    close(ad.grad(ours)(np.zeros(2)), tf.grad(theirs)(torch.zeros(2, dtype=torch.float64)))


def test_grad_of_hvp() -> None:
    ours = ad.grad(lambda x: ad.hvp(ours_f, x, V)[1].sum())(X)

    def hvp(x):  # noqa: ANN001, ANN202
        return tf.jvp(tf.grad(theirs_f), (x,), (torch.tensor(V),))[1]

    theirs = tf.grad(lambda x: hvp(x).sum())(torch.tensor(X))
    close(ours, theirs)


def test_reverse_jacobian_of_a_forward_jacobian() -> None:
    f = lambda x: (x.exp() * x.sum()).tanh()  # noqa: E731
    ours = ad.jacobian(lambda x: ad.jacobian(f, x, mode="fwd"), X)
    theirs = tf.jacrev(tf.jacfwd(lambda x: (x.exp() * x.sum()).tanh()))(torch.tensor(X))
    close(ours, theirs)


def test_forward_jacobian_of_a_gradient() -> None:
    ours = ad.jacobian(ad.grad(ours_f), X, mode="fwd")
    theirs = tf.jacfwd(tf.grad(theirs_f))(torch.tensor(X))
    close(ours, theirs)


def test_nested_dual_levels_keep_their_tangents_apart() -> None:
    with forward.dual_level():
        x = forward.make_dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
        with forward.dual_level():
            y = forward.make_dual(np.array([3.0, 6.0]), np.array([0.0, 1.0]))
            inner = forward.unpack_dual(x * y).tangent  # x's tangent belongs to the outer level
        outer = forward.unpack_dual(x * y).tangent
    assert np.array_equal(inner.data, [0.0, 2.0]) and np.array_equal(outer.data, [3.0, 0.0])


def test_tuple_valued_functions_in_every_transform() -> None:
    f = lambda x: (x * 2, x ** 2)  # noqa: E731
    (a, b), (ta, tb) = ad.jvp(f, (X,), (V,))
    close(ta, torch.tensor(2 * V))
    close(tb, torch.tensor(2 * X * V))
    out, vjp_fn = ad.vjp(f, X)
    close(vjp_fn((V, W))[0], torch.tensor(2 * V + 2 * X * W))
    ja, jb = ad.jacobian(f, X)
    assert np.array_equal(ja, 2 * np.eye(3)) and np.allclose(jb, np.diag(2 * X))


# D11: forward-mode levels are per thread -------------------------------------------------------


def test_two_threads_in_jvp_at_once_keep_their_own_levels() -> None:
    barrier, results = threading.Barrier(2), {}

    def run(name: str, scale: float) -> None:
        def f(x: Tensor) -> Tensor:
            barrier.wait()  # both inside their own dual level
            return (x * x * scale).sum()

        results[name] = (ad.jvp(f, (X,), (V,))[1].item(), ad.hvp(lambda x: (x ** 3).sum(), X, V)[1].tolist())

    threads = [threading.Thread(target=run, args=(n, s)) for n, s in (("a", 1.0), ("b", 3.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, scale in (("a", 1.0), ("b", 3.0)):
        assert results[name][0] == pytest.approx(2 * scale * X @ V)
        assert results[name][1] == pytest.approx((6 * X * V).tolist())


# The save rule: inputs and the output, tagged; anything else refused at first order -----------


class ExpTimesX(Function):
    """z = x eˣ, saving eˣ: the review's trap, refused"""

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        e = np.exp(x)
        ctx.save_for_backward(x, e)
        return x * e

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        x, e = ctx.saved_tensors
        return grad * e * (1 + x)


class ExpTimesXSavingItsOutput(Function):
    """z = x eˣ, saving x and z: right to every order, z' = z + eˣ = z + z / x"""

    def forward(ctx, x: np.ndarray) -> np.ndarray:
        z = x * np.exp(x)
        ctx.save_for_backward(x, z)
        return z

    def backward(ctx, grad: np.ndarray) -> np.ndarray:
        x, z = ctx.saved_tensors
        return grad * (z + np.exp(x))


def test_saving_a_value_computed_from_the_input_is_refused_naming_the_op() -> None:
    with pytest.raises(RuntimeError, match=r"ExpTimesX.forward saved an array of shape \(1,\) that is neither one of "
                                           r"its inputs nor its output"):
        ExpTimesX.apply(Tensor([0.3], requires_grad=True))


def test_inputs_and_output_rejoin_the_graph_to_any_order() -> None:
    x = Tensor([0.3], requires_grad=True)
    (g,) = autograd.grad(ExpTimesXSavingItsOutput.apply(x).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    assert h.item() == pytest.approx(np.exp(0.3) * (2 + 0.3), rel=1e-12)  # 3.1047..., the review's truth


def test_a_cast_to_an_integer_cuts_the_graph_at_first_and_second_order() -> None:
    x = Tensor([1.5, 2.7], requires_grad=True)
    y = x.astype(np.int64)
    assert not y.requires_grad
    (g,) = autograd.grad((y * x).sum(), x, create_graph=True)
    assert np.array_equal(g.data, [1.0, 2.0]) and not g.requires_grad
    t = torch.tensor([1.5, 2.7], requires_grad=True)
    close(g, torch.autograd.grad((t.to(torch.int64) * t).sum(), t)[0])
    with forward.dual_level():
        assert forward.unpack_dual(forward.make_dual(x.data, np.ones(2)).astype(np.int64)).tangent is None
