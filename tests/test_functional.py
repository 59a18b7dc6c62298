"""autodiff.functional against NumPy written out longhand, and the identities that tie the functions together."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff.functional as F
from autodiff import Tensor
from autodiff.gradcheck import gradcheck

rng = np.random.default_rng(0)


def naive_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family_matches_the_textbook_formulas(axis: int) -> None:
    x = rng.standard_normal((3, 4, 5))
    p = naive_softmax(x, axis)
    np.testing.assert_allclose(F.softmax(Tensor(x), axis=axis).data, p, rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(Tensor(x), axis=axis).data, np.log(p), rtol=1e-12)
    np.testing.assert_allclose(F.logsumexp(Tensor(x), axis=axis).data, np.log(np.exp(x).sum(axis=axis)), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(Tensor(x), axis=axis).data.sum(axis=axis), 1.0, rtol=1e-12)


def test_softmax_is_shift_invariant_where_the_naive_formula_overflows() -> None:
    x = rng.standard_normal((2, 5))
    np.testing.assert_allclose(F.softmax(Tensor(x + 1000.0)).data, naive_softmax(x, -1), rtol=1e-12)
    np.testing.assert_allclose(F.logsumexp(Tensor(x + 1000.0)).data, 1000.0 + np.log(np.exp(x).sum(axis=-1)), rtol=1e-12)


def test_logsumexp_of_infinite_rows_is_infinite_as_in_torch() -> None:
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [0.0, -np.inf]])
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0), and -inf - -inf in the saved softmax
        np.testing.assert_array_equal(F.logsumexp(x, axis=1).data, [-np.inf, np.inf, 0.0])


def test_cross_entropy_is_the_batch_mean_with_gradient_p_minus_onehot() -> None:
    logits, targets = rng.standard_normal((6, 4)), np.array([0, 3, 1, 1, 2, 0])
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, targets)
    p = naive_softmax(logits, -1)
    np.testing.assert_allclose(loss.data, -np.log(p[np.arange(6), targets]).mean(), rtol=1e-12)
    assert type(loss.grad_fn).__name__ == "NLLLoss" and type(loss.grad_fn.parents[0]).__name__ == "LogSoftmax"
    loss.backward()
    np.testing.assert_allclose(x.grad, (p - np.eye(4)[targets]) / 6, rtol=1e-12, atol=1e-15)


def test_cross_entropy_equals_its_composition_from_log_softmax() -> None:
    logits, targets = rng.standard_normal((5, 3)), np.array([2, 0, 1, 1, 0])
    composed = lambda x: -F.log_softmax(x)[np.arange(5), targets].mean()  # noqa: E731
    fused = lambda x: F.cross_entropy(x, targets)  # noqa: E731  (log_softmax, nll_loss: two nodes, not four)
    a, b = Tensor(logits, requires_grad=True), Tensor(logits, requires_grad=True)
    composed(a).backward()
    fused(b).backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)
    assert gradcheck(fused, Tensor(logits, requires_grad=True)).ok


def test_cross_entropy_takes_targets_as_a_tensor_or_a_list() -> None:
    logits = rng.standard_normal((3, 4))
    expected = F.cross_entropy(logits, np.array([1, 2, 3])).item()
    assert F.cross_entropy(Tensor(logits), Tensor(np.array([1, 2, 3]))).item() == expected
    assert F.cross_entropy(logits, [1, 2, 3]).item() == expected


def test_mse_loss_is_the_mean_squared_difference() -> None:
    pred, target = Tensor(rng.standard_normal((4, 1)), requires_grad=True), rng.standard_normal((4, 1))
    loss = F.mse_loss(pred, target)
    np.testing.assert_allclose(loss.data, ((pred.data - target) ** 2).mean(), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(pred.grad, 2 * (pred.data - target) / 4, rtol=1e-12)


def test_a_layer_and_the_squared_error_are_one_node_each() -> None:
    """What deck 07's "Fewer, bigger nodes" slide says: F.linear is one Affine, F.mse_loss one MSELoss."""
    x, w, b = Tensor(rng.standard_normal((5, 3))), Tensor(rng.standard_normal((3, 2)), requires_grad=True), Tensor(
        np.zeros(2), requires_grad=True)
    out = F.linear(x, w, b)
    loss = F.mse_loss(out, np.ones((5, 2)))
    assert type(loss.grad_fn).__name__ == "MSELoss" and loss.grad_fn.parents == (out.grad_fn, None)
    assert type(out.grad_fn).__name__ == "Affine" and out.grad_fn.parents == (None, w, b)
    np.testing.assert_allclose(out.data, x.data @ w.data + b.data, rtol=1e-15)
    vector = F.linear(x.data[0], w, b)  # a 1-D input takes matmul's rules: a row in, a row out
    np.testing.assert_allclose(vector.data, x.data[0] @ w.data + b.data, rtol=1e-15)


def test_mse_loss_refuses_shapes_that_would_broadcast() -> None:
    with pytest.raises(ValueError, match=r"mse_loss: pred has shape \(4, 1\) but target has shape \(4,\)"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))


def test_activations_are_the_tensor_methods() -> None:
    x = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    for f, method, reference in [
        (F.relu, Tensor.relu, lambda a: np.maximum(a, 0)),
        (F.tanh, Tensor.tanh, np.tanh),
        (F.sigmoid, Tensor.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    ]:
        np.testing.assert_allclose(f(x).data, reference(x.data), rtol=1e-12)
        assert type(f(x).grad_fn) is type(method(x).grad_fn)


def test_functions_accept_plain_arrays_and_record_no_graph_for_them() -> None:
    out = F.softmax(rng.standard_normal((2, 3)))
    assert isinstance(out, Tensor) and out.grad_fn is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_keeps_relative_accuracy_far_into_the_tails(dtype: type) -> None:
    x = np.array([-80.0, -40.0, -20.0, 0.0, 20.0, 40.0], dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    z = F.sigmoid(Tensor(x)).data
    assert z.dtype == dtype
    np.testing.assert_allclose(z, exact, rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert np.isfinite(np.log(z)).all()  # a log-likelihood built on it stays finite
