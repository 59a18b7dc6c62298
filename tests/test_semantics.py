"""PyTorch's semantics where a NumPy engine easily drifts from them: each case here once gave a wrong
answer, a crash or an unhelpful error in an independent comparison with PyTorch (float64)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autodiff
import autodiff.functional as F
from autodiff import Function, Tensor, jacobian, jvp, no_grad, optim, vjp, where


def leaf(x: object, dtype: object = None) -> Tensor:
    return Tensor(x, requires_grad=True, dtype=dtype)


# Wrong answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("axes", [(-1, 0, 1), (2, 0, 1), (0, -1, -2)])
def test_transpose_with_negative_axes_sends_each_gradient_home(axes: tuple[int, ...]) -> None:
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    weights = np.arange(24.0).reshape(x.data.transpose(axes).shape)
    (x.transpose(*axes) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.transpose(np.argsort(np.array(axes) % 3)))


def test_softmax_and_cross_entropy_keep_their_digits_at_large_logits() -> None:
    """exp(x - (m + log Σ)) rounds m + log Σ first: float32 softmax([1e4, 9999]) came out 0.7309015."""
    x = np.array([1e4, 9999.0], np.float32)
    exact = 1 / (1 + np.exp(-1.0))  # softmax of [1, 0]
    assert abs(F.softmax(Tensor(x)).data[0] - exact) < 1e-7
    assert abs(F.cross_entropy(Tensor(x[None]), np.array([1])).item() - np.log1p(np.exp(1.0))) < 1e-6
    big = np.array([1e8, 1e8 - 1])
    np.testing.assert_allclose(F.log_softmax(Tensor(big)).data, np.log([exact, 1 - exact]), rtol=1e-15)


def test_adam_counts_steps_per_parameter() -> None:
    """A parameter without a grad for two steps takes its first step with step 1's bias correction."""
    p1, p2 = leaf([1.0]), leaf([1.0])
    opt = optim.Adam([p1, p2], lr=0.1)
    for step in range(3):
        opt.zero_grad()
        (p1 + (p2 if step == 2 else 0)).sum().backward()
        opt.step()
    np.testing.assert_allclose([p1.item(), p2.item()], [0.7, 0.9])  # torch: 0.70000, 0.90000


def test_an_optimizer_step_between_forward_and_backward_is_an_error() -> None:
    w = leaf([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    w.grad = np.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="Mul saved a tensor of shape .2,. that an optimizer step changed in place"):
        loss.backward()
    (w + 1).sum().backward()  # Add saved nothing of w: its gradient does not depend on w's value


def test_writing_to_data_by_hand_is_silent_as_in_pytorch() -> None:
    """The pitfall the talk teaches: .data is NumPy's array, outside the engine's bookkeeping."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = (a * b).sum()
    a.data *= 10
    c.backward()
    np.testing.assert_array_equal(b.grad, [10.0, 20.0])


def test_comparisons_are_elementwise_and_identity_is_kept_for_bookkeeping() -> None:
    x = Tensor([1.0, 2.0])
    np.testing.assert_array_equal((x == 1.0).data, [True, False])
    np.testing.assert_array_equal((x != 1.0).data, [False, True])
    np.testing.assert_array_equal(where(x == 1, Tensor([5.0, 5.0]), Tensor([7.0, 7.0])).data, [5.0, 7.0])
    assert 2.0 in x and 3.0 not in x
    assert len({x, Tensor([1.0, 2.0])}) == 2  # hashed by identity


def test_bool_of_a_tensor_is_its_value_or_an_error() -> None:
    assert not Tensor([0.0]) and Tensor(3.0)
    loss = Tensor(0.5)
    assert bool(loss < 1)
    with pytest.raises(RuntimeError, match=r"truth value of a tensor of shape \(2,\) is ambiguous"):
        bool(Tensor([0.0, 0.0]))
    with pytest.raises(TypeError, match="len.. of a 0-d tensor"):
        len(Tensor(1.0))


def test_np_array_of_a_tensor_copies_and_np_asarray_does_not() -> None:
    w = leaf([1.0, 2.0])
    snapshot, view = np.array(w), np.asarray(w)
    w.data -= 1
    np.testing.assert_array_equal(snapshot, [1.0, 2.0])
    assert view is w.data
    np.testing.assert_array_equal(np.array([Tensor(1.0), Tensor(2.0)]), [1.0, 2.0])


def test_clip_with_min_above_max_is_constant_so_its_gradient_is_zero() -> None:
    x = leaf([0.0, 1.0, 2.0, 3.0])
    y = x.clip(2.0, 1.0)  # NumPy and torch: every entry becomes max
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 0.0])


def test_cross_entropy_of_an_empty_batch_is_nan_and_so_is_its_tangent() -> None:
    x = np.zeros((0, 3))
    assert np.isnan(F.cross_entropy(Tensor(x), np.array([], int)).item())
    value, tangent = jvp(lambda t: F.cross_entropy(t, np.array([], int)), (x,), (x,))
    assert np.isnan(value) and np.isnan(tangent)


def test_pow_mixed_second_derivative_at_a_zero_exponent() -> None:
    """d²(x^y)/dx dy = x^(y-1) (1 + y log x), 1/x at y = 0; it came out 1, as x^0, from the mask that keeps
    0^0 flat (found by tests/test_differential.py). torch masks dz/dx to 0 at y = 0 and so gives 0."""
    x, y = leaf([2.0, 0.5, 3.0]), leaf([0.0, 1.5, -1.0])
    (gx,) = autodiff.autograd.grad((x**y).sum(), x, create_graph=True)
    (hxy,) = autodiff.autograd.grad(gx.sum(), y)
    np.testing.assert_allclose(hxy.data, x.data ** (y.data - 1) * (1 + y.data * np.log(x.data)), rtol=1e-15)
    assert hxy.data[0] == 0.5


# Crashes and unhelpful errors --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("kwargs", [dict(axis=0), dict(axis=-1, keepdims=True)])
def test_a_0d_tensor_reduces_over_axis_0_as_numpy_and_torch_allow(method: str, kwargs: dict) -> None:
    """x.sum(axis=0) of a 0-d x is x (NumPy and torch): its backward (max: its forward) and mean's jvp raised."""
    x = leaf(3.0)
    out = getattr(x, method)(**kwargs)
    out.backward()
    assert out.shape == () and out.item() == 3.0 and x.grad == 1.0
    value, tangent = jvp(lambda t: getattr(t, method)(**kwargs), (np.array(3.0),), (np.array(2.0),))
    assert value == 3.0 and tangent == 2.0


def test_masks_combine_so_backward_rules_run_on_tensors() -> None:
    """Pow's backward combines masks with &: on Tensors (double backward) it raised TypeError."""
    t = Tensor([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(((t > 0) & (t < 1)).data, [False, True, False])
    np.testing.assert_array_equal(((t < 0) | (t > 1)).data, [True, False, True])
    np.testing.assert_array_equal((~(t > 0)).data, [True, False, False])
    x, y = leaf([0.0, 2.0]), leaf([0.0, 1.5])
    (gy,) = autodiff.autograd.grad((x**y).sum(), y, create_graph=True)
    (hyy,) = autodiff.autograd.grad(gy.sum(), y)
    np.testing.assert_allclose(hyy.data, [0.0, 2.0**1.5 * np.log(2.0) ** 2])


def test_empty_axes_give_empty_results_and_logsumexp_minus_infinity() -> None:
    x = leaf(np.zeros((2, 0)))
    assert F.softmax(x).shape == (2, 0) and F.log_softmax(x).shape == (2, 0)
    out = F.logsumexp(x)
    np.testing.assert_array_equal(out.data, [-np.inf, -np.inf])
    out.sum().backward()
    assert x.grad.shape == (2, 0)


def test_mse_loss_of_an_empty_input_is_nan_with_an_empty_gradient() -> None:
    p = leaf(np.zeros(0))
    loss = F.mse_loss(p, np.zeros(0))
    assert np.isnan(loss.item())
    loss.backward()
    assert p.grad.shape == (0,)


def test_a_list_exponent_works_forward_and_backward() -> None:
    x = leaf([2.0, 3.0])
    (x ** [2.0, 3.0]).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 27.0])


def test_jacobian_of_an_empty_output_or_input_is_an_empty_array() -> None:
    assert jacobian(lambda x: x[:0], np.ones(3)).shape == (0, 3)
    assert jacobian(lambda x: x.sum() * np.ones(2), np.ones(0)).shape == (2, 0)
    assert jacobian(lambda x: x[:0], np.ones(3), mode="fwd").shape == (0, 3)


def test_vjp_and_jvp_of_a_function_returning_an_array_are_errors() -> None:
    """An ndarray from f is a value computed outside the graph: its derivative would be a silent zero (torch.func
    refuses it too). A Tensor that does not depend on the inputs is fine: its derivative is zero."""
    with pytest.raises(TypeError, match=r"vjp: f returned shape \(2,\); it must return a Tensor computed from its inputs"):
        vjp(lambda x: np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match=r"jvp: f returned a float"):
        jvp(lambda x: 1.0, (np.ones(3),), (np.ones(3),))
    out, vjp_fn = vjp(lambda x: Tensor(np.ones(2)), np.ones(3))
    assert type(out) is np.ndarray and np.array_equal(vjp_fn(np.ones(2))[0], np.zeros(3))


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax, F.logsumexp])
@pytest.mark.parametrize("bad", [None, "abc"])
def test_softmax_and_friends_name_themselves_for_bad_input(f, bad: object) -> None:
    with pytest.raises(TypeError, match=r"(Softmax|LogSoftmax|LogSumExp): input 0 is"):
        f(bad)
    np.testing.assert_allclose(F.softmax([0.0, 0.0]).data, [0.5, 0.5])  # a list is numbers: fine


def test_where_with_none_is_an_error_not_an_object_tensor() -> None:
    with pytest.raises(TypeError, match="Where: input 1 is None"):
        where(np.array([True]), leaf([1.0]), None)


def test_a_function_returning_a_tuple_is_an_error() -> None:
    class Two(Function):
        def forward(ctx, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return x, x

    with pytest.raises(TypeError, match="Two.forward returned a tuple; a Function returns one array"):
        Two.apply(leaf([1.0, 2.0]))


# Engine, memory and dtypes -------------------------------------------------------------------------


def test_no_grad_as_a_decorator_of_a_recursive_function_restores_grad_mode() -> None:
    @no_grad()
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    depth(3)
    assert autodiff.is_grad_enabled() and (leaf([1.0]) * 2).grad_fn is not None


def test_grad_mode_is_per_thread() -> None:
    x, seen, entered, release = leaf([1.0]), [], threading.Event(), threading.Event()

    def other() -> None:
        entered.wait()
        seen.append((x * 2).grad_fn is not None)  # the main thread is inside no_grad meanwhile
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with no_grad():
        entered.set()
        release.wait(10)
    t.join()
    assert seen == [True]


@pytest.mark.parametrize("constant", [2.0, np.float64(2.0), np.array(2.0), Tensor(2.0), 2, np.int64(2)],
                         ids=["python float", "numpy scalar", "0-d array", "0-d Tensor", "python int", "numpy int"])
def test_a_float32_model_stays_float32_with_any_kind_of_constant(constant: object) -> None:
    w = leaf(np.ones((3, 2)), dtype=np.float32)
    x = Tensor(np.ones((4, 3)), dtype=np.float32)
    out = ((x @ w) * constant + constant - constant / 2).tanh()
    loss = F.cross_entropy(out * constant, np.array([0, 1, 0, 1]))
    assert out.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32


def test_promotion_follows_pytorch_int_arrays_join_the_float_and_dimensions_outrank_0d() -> None:
    f32 = Tensor(np.ones(3, np.float32))
    assert (f32 * np.arange(3)).dtype == np.float32  # NumPy would give float64
    assert (f32 + Tensor(np.ones(3))).dtype == np.float64  # two dimensioned tensors: the wider
    assert (Tensor(np.arange(3)) * 2.5).dtype == np.float64  # int tensor, float scalar: the default float
    assert (Tensor(np.arange(3)) + 1).dtype == np.int64
    g = leaf(2.0)  # a float64 0-d leaf in a float32 computation: cast, and its grad comes back float64
    (f32 * g).sum().backward()
    assert g.grad.dtype == np.float64 and g.grad == 3.0


# Conventions at points with no derivative (documented in the README) -------------------------------


def test_conventions_at_special_points() -> None:
    x = leaf([np.nan, 0.0, -1.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0])  # as torch: 1 at nan, 0 at the kink
    a, b = leaf(np.nan), leaf(1.0)
    autodiff.maximum(a, b).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)  # the nan input made the output and takes its gradient
    base, exponent = leaf(0.0), leaf(-2.0)
    with np.errstate(divide="ignore"):
        (base**exponent).backward()
    assert exponent.grad == -np.inf  # d(0^y)/dy = 0^y log 0 = inf * -inf, as torch



def test_swapaxes_out_of_range_names_the_op_and_the_shape() -> None:
    with pytest.raises(ValueError, match=r"swapaxes: axes 0 and -1 out of range for a tensor of shape \(\)"):
        Tensor(1.0).swapaxes(0, -1)
    assert Tensor(np.ones((2, 3))).swapaxes(0, -1).shape == (3, 2)
