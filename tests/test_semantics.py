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


# Issue 20: the second differential campaign against torch 2.13 (shared/reviews/redteam2-report.md) ------
# One test per defect, compared with torch where torch has an answer (skipped without torch).


def as_torch(*arrays: np.ndarray, requires_grad: bool = True) -> list:
    torch = pytest.importorskip("torch")
    return [torch.tensor(a, requires_grad=requires_grad) for a in arrays]


def test_d3_a_cast_to_int_or_bool_cuts_the_graph_in_both_modes_and_at_second_order() -> None:
    """astype(int64) carried a gradient, truncated to int on the way back ([2, 4] for torch's [1, 2]), and an
    int tangent in forward mode."""
    torch = pytest.importorskip("torch")
    xs = np.array([1.5, 2.7])
    x, (tx,) = leaf(xs), as_torch(xs)
    for dtype, torch_dtype in ((np.int64, torch.int64), (np.bool_, torch.bool)):
        assert not x.astype(dtype).requires_grad and x.astype(dtype).grad_fn is None
        assert not tx.to(torch_dtype).requires_grad
    (x.astype(np.int64) * x).sum().backward()
    (tx.to(torch.int64) * tx).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())  # [1, 2]: the int factor is a constant
    with autodiff.forward.dual_level():
        dual = autodiff.forward.make_dual(xs, np.ones(2))
        assert autodiff.forward.unpack_dual(dual.astype(np.int64)).tangent is None
        assert autodiff.forward.unpack_dual(dual.astype(bool)).tangent is None
    f = lambda x: x.astype(np.int64) * x * x + x.astype(bool) * x  # noqa: E731
    torch_f = lambda x: x.to(torch.int64) * x * x + x.to(torch.bool) * x  # noqa: E731
    _, tangent = jvp(f, (xs,), (np.ones(2),))
    _, torch_tangent = torch.func.jvp(torch_f, (torch.tensor(xs),), (torch.ones(2, dtype=torch.float64),))
    np.testing.assert_array_equal(tangent, torch_tangent.numpy())
    hessian = autodiff.hessian(lambda x: f(x).sum())(xs)
    np.testing.assert_array_equal(hessian, torch.func.hessian(lambda x: torch_f(x).sum())(torch.tensor(xs)).numpy())


def test_d8_tuple_valued_functions_in_every_transform_and_in_checkpoint() -> None:
    """jvp, vjp and jacobian of a function returning a tuple gave zeros; checkpoint stacked the tuple."""
    torch = pytest.importorskip("torch")
    xs, ts = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    f = lambda x: (x * 2, x**2)  # noqa: E731
    (tx,), (tt,) = as_torch(xs, requires_grad=False), as_torch(ts, requires_grad=False)
    outs, tangents = jvp(f, (xs,), (ts,))
    torch_outs, torch_tangents = torch.func.jvp(f, (tx,), (tt,))
    for a, b in zip((*outs, *tangents), (*torch_outs, *torch_tangents), strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    cotangents = (np.array([1.0, 3.0]), np.array([-2.0, 0.5]))
    (grad,) = vjp(f, xs)[1](cotangents)
    (torch_grad,) = torch.func.vjp(f, tx)[1](tuple(torch.tensor(c) for c in cotangents))
    np.testing.assert_array_equal(grad, torch_grad.numpy())
    for mode, torch_jac in (("rev", torch.func.jacrev), ("fwd", torch.func.jacfwd)):
        for a, b in zip(jacobian(f, xs, mode=mode), torch_jac(f)(tx), strict=True):
            np.testing.assert_array_equal(a, b.numpy())
    x, (cx,) = leaf(xs), as_torch(xs)
    a, b = autodiff.checkpoint(f, x)
    ta, tb = torch.utils.checkpoint.checkpoint(f, cx, use_reentrant=False)
    (a * Tensor(cotangents[0]) + b * Tensor(cotangents[1])).sum().backward()
    (ta * torch.tensor(cotangents[0]) + tb * torch.tensor(cotangents[1])).sum().backward()
    np.testing.assert_array_equal(x.grad, cx.grad.numpy())


def test_d9_checkpoint_passes_index_and_mask_arguments_unchanged() -> None:
    """checkpoint cast an integer index and a boolean mask to float, so backward failed."""
    torch = pytest.importorskip("torch")
    xs, index, mask = np.array([1.0, 2.0, 3.0]), np.array([0, 2, 2]), np.array([True, False, True])
    x, (tx,) = leaf(xs), as_torch(xs)
    (autodiff.checkpoint(lambda x, i: x[i] ** 2, x, index).sum()
     + autodiff.checkpoint(lambda x, m: where(m, x * x, x), x, mask).sum()).backward()
    check = torch.utils.checkpoint.checkpoint
    (check(lambda x, i: x[i] ** 2, tx, torch.tensor(index), use_reentrant=False).sum()
     + check(lambda x, m: torch.where(m, x * x, x), tx, torch.tensor(mask), use_reentrant=False).sum()).backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())  # [4, 1, 12]: the repeated index adds up


def test_d10_checkpoint_of_a_block_closing_over_an_intermediate_used_outside() -> None:
    """Backward through the block freed the outer graph's node of h, so the outer backward failed."""
    torch = pytest.importorskip("torch")
    ws, xs = np.array([0.5, -0.3]), np.array([1.0, 2.0])
    (w, x), (tw, tx) = (leaf(ws), leaf(xs)), as_torch(ws, xs)
    h, th = w * w, tw * tw
    (autodiff.checkpoint(lambda x: (x * h).sum(), x) + (h * h).sum()).backward()
    (torch.utils.checkpoint.checkpoint(lambda x: (x * th).sum(), tx, use_reentrant=False) + (th * th).sum()).backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-15)
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_d13_two_threads_backpropagating_into_one_leaf_lose_no_update() -> None:
    """The lost update made certain: the leaf's .grad is an array whose + waits, inside the first thread's
    accumulation, until the second thread also reads .grad to add to it (up to a second). Read, add, write
    without a lock, both add to the same old value and one gradient is lost, every time; under the lock (as
    torch's AccumulateGrad), the second thread cannot read until the first has written, and the wait
    times out."""
    inside, second = [], threading.Event()

    class Rendezvous(np.ndarray):
        def __add__(self, other: object) -> np.ndarray:
            inside.append(threading.current_thread().name)
            if len(inside) == 1:
                second.wait(timeout=1.0)  # the first adder waits for a second one
            else:
                second.set()
            return np.add(np.asarray(self), other)

    w = leaf(np.zeros(3))
    w.grad = np.zeros(3).view(Rendezvous)
    threads = [threading.Thread(target=lambda: (w * 1.0).sum().backward(), name=f"t{k}") for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(inside) == 1, f"both threads read .grad before either wrote it: {inside}"
    np.testing.assert_array_equal(w.grad, [2.0, 2.0, 2.0])  # a lost update leaves [1, 1, 1]


def test_d15_autograd_grad_of_an_output_that_is_not_a_tensor_says_so() -> None:
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    with pytest.raises(TypeError, match="^autograd.grad: output 0 is a ndarray, not a Tensor$"):
        autodiff.autograd.grad(loss.data, x)
    with pytest.raises(TypeError, match="^autograd.grad: output 1 is a float, not a Tensor$"):
        autodiff.autograd.grad([loss, 3.0], x)


def test_d16_backward_with_a_cotangent_that_requires_grad_uses_it_as_a_constant() -> None:
    x, (tx,) = leaf([1.0, 2.0]), as_torch(np.array([1.0, 2.0]))
    v, (tv,) = leaf([1.0, -1.0]), as_torch(np.array([1.0, -1.0]))
    (x * x).backward(v)
    (tx * tx).backward(tv)
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())  # [2, -4]
    assert v.grad is None and tv.grad is None


def test_d17_clip_with_tensor_bounds_differentiates_the_bounds_as_torch_clamp() -> None:
    """A Tensor bound recursed until RecursionError. Ties and min > max included."""
    torch = pytest.importorskip("torch")
    xs, weights = np.array([0.5, 0.7, 0.8, 0.9, 1.0]), np.arange(1.0, 6.0)
    for low, high in ((0.7, 0.9), (0.9, 0.7)):
        arrays = (xs, np.full(5, low), np.full(5, high))
        ours, theirs = [leaf(a) for a in arrays], as_torch(*arrays)
        out = ours[0].clip(ours[1], ours[2])
        torch_out = torch.clamp(*theirs)
        np.testing.assert_array_equal(out.data, torch_out.detach().numpy())
        (out * weights).sum().backward()
        (torch_out * torch.tensor(weights)).sum().backward()
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.grad, b.grad.numpy())


def test_d18_grad_with_argnums_out_of_range_names_argnums_and_the_arguments() -> None:
    with pytest.raises(ValueError, match=r"^grad: argnums 2 out of range for a function called with 2 positional "
                                         r"arguments$"):
        autodiff.grad(lambda a, b: (a * b).sum(), argnums=2)(np.ones(2), np.ones(2))


def test_vjp_and_jvp_of_a_function_returning_an_array_are_errors() -> None:
    """An ndarray from f is a value computed outside the graph: its derivative would be a silent zero (torch.func
    refuses it too). A Tensor that does not depend on the inputs is fine: its derivative is zero."""
    with pytest.raises(TypeError, match=r"vjp: f returned shape \(2,\); it must return a Tensor computed from its inputs"):
        vjp(lambda x: np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match=r"jvp: f returned a float"):
        jvp(lambda x: 1.0, (np.ones(3),), (np.ones(3),))
    out, vjp_fn = vjp(lambda x: Tensor(np.ones(2)), np.ones(3))
    assert type(out) is np.ndarray and np.array_equal(vjp_fn(np.ones(2))[0], np.zeros(3))


def test_jvp_of_logsumexp_and_mse_loss_over_an_empty_axis_is_nan_as_torch() -> None:
    """Σ eˣẋ / Σ eˣ is 0/0 over an empty axis: torch's tangent is nan, like the value of the mean (the tangent
    came out 0)."""
    torch = pytest.importorskip("torch")
    for shape, axis in (((2, 0), -1), ((2, 0), None), ((0, 3), -1)):
        x = np.zeros(shape)
        value, tangent = jvp(lambda t: F.logsumexp(t, axis=axis), (x,), (x,))
        dim = tuple(range(len(shape))) if axis is None else axis
        torch_value, torch_tangent = torch.func.jvp(lambda t: torch.logsumexp(t, dim), (torch.tensor(x),),
                                                    (torch.tensor(x),))
        np.testing.assert_array_equal(value, torch_value.numpy())
        np.testing.assert_array_equal(tangent, torch_tangent.numpy())  # nan, nan; -; empty
    value, tangent = jvp(lambda p: F.mse_loss(p, np.zeros(0)), (np.zeros(0),), (np.zeros(0),))
    assert np.isnan(value) and np.isnan(tangent)  # torch.func.jvp of F.mse_loss fails in torch 2.13 (ZeroTensor)
