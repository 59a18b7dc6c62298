"""The engine's promises: order without recursion, linear time on reused nodes, no reference cycles,
PyTorch's accumulation and retain semantics, dtypes kept, and no work for inputs that need no gradient."""

from __future__ import annotations

import weakref

import numpy as np
import pytest

import autodiff.functional as F
from autodiff import Function, Tensor, matmul, no_grad
from autodiff.ops import REGISTRY, Add, Div, MatMul, Maximum, Minimum, Mul, Pow, Where



def count_backward_calls(monkeypatch: pytest.MonkeyPatch, op: type[Function]) -> list[int]:
    calls: list[int] = []
    original = op.backward

    def spy(ctx: Function, grad: np.ndarray):
        calls.append(1)
        return original(ctx, grad)

    monkeypatch.setattr(op, "backward", spy)
    return calls


def test_fan_out_graph_60_deep_visits_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """b = a + a; c = b + b; ... has 2^60 paths from the output to a: a per-path sweep never ends."""
    calls = count_backward_calls(monkeypatch, Add)
    a = Tensor(1.0, requires_grad=True)
    out = a
    for _ in range(60):
        out = out + out
    out.backward()
    assert len(calls) == 60
    assert a.grad == 2.0**60


def test_a_million_op_chain_backpropagates_and_is_freed_without_recursion(no_gc: None) -> None:
    x = Tensor(np.array(1.0), requires_grad=True)
    out = -x
    middle = weakref.ref(out)
    for _ in range(10**6 - 1):
        out = -out
    out.backward()
    assert x.grad == 1.0  # (-1)^(10^6)
    del out  # freeing a million nested nodes must not overflow the C stack either
    assert middle() is None


def test_graph_and_saved_arrays_are_freed_without_the_garbage_collector(no_gc: None) -> None:
    w = Tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    x = np.ones((4, 3))
    hidden = (Tensor(x) @ w).tanh()
    saved = hidden.grad_fn.saved_tensors[0]  # tanh's output, saved for backward
    refs = [weakref.ref(hidden), weakref.ref(hidden.grad_fn), weakref.ref(saved)]
    loss = F.cross_entropy(hidden, np.array([0, 1, 1, 0]))
    del saved, hidden
    loss.backward()
    del loss
    assert [r() for r in refs] == [None, None, None]
    assert w.grad is not None


def test_backward_twice_needs_retain_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * (2 * x.data))
    with pytest.raises(RuntimeError, match="already backpropagated.*retain_graph=True"):
        y.backward()


def test_a_backward_that_fails_midway_changes_no_leaf_grad() -> None:
    """Leaves are written last: reaching a node freed by an earlier backward leaves every .grad as it was."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * w
    h.sum().backward()  # frees h's node
    before = w.grad.copy()
    with pytest.raises(RuntimeError, match="already backpropagated"):
        (h * w).sum().backward()  # this Mul sends w its gradient before the sweep reaches the freed h
    np.testing.assert_array_equal(w.grad, before)


def test_leaves_accumulate_and_intermediates_keep_no_grad_unless_asked() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    kept = x * 2
    kept.retain_grad()
    (h.sum() + (kept * kept).sum()).backward()
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad, 3 + 4 * x.data * 2 + 5)
    assert h.grad is None
    np.testing.assert_array_equal(kept.grad, 2 * kept.data)


def test_a_leaf_grad_is_its_own_writable_array() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 0  # an in-place zero_grad must not touch b
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_a_0d_leaf_broadcast_against_a_matrix_gets_a_0d_array_grad() -> None:
    s = Tensor(2.0, requires_grad=True)
    m = Tensor(np.ones((3, 4)), requires_grad=True)
    (s * m + s).sum().backward()
    assert type(s.grad) is np.ndarray and s.grad.shape == () and s.grad == 12 + 12
    s.grad = None
    (s + m).sum().backward()  # one gradient, summed over every axis: still an array, not a NumPy scalar
    assert type(s.grad) is np.ndarray and s.grad.shape == () and s.grad == 12


def test_the_grad_passed_to_backward_is_not_aliased_into_a_leaf() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    u = np.array([1.0, 1.0])
    (x + 0).backward(u)
    x.grad *= 10
    np.testing.assert_array_equal(u, [1.0, 1.0])


def test_pow_with_a_python_exponent_computes_its_gradient_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[np.dtype] = []
    original = Pow.backward

    def spy(ctx: Function, grad: np.ndarray):
        dx, _ = original(ctx, grad)
        seen.append(dx.dtype)
        return dx, None

    monkeypatch.setattr(Pow, "backward", spy)
    x = Tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
    (x**2).sum().backward()
    assert seen == [np.float32] and x.grad.dtype == np.float32


def test_reused_nodes_sum_their_gradients() -> None:
    a = Tensor(3.0, requires_grad=True)
    b = a * a
    c = b * a + b  # a^3 + a^2
    c.backward()
    assert a.grad == 3 * 9 + 2 * 3


def test_float32_stays_float32_through_0d_results() -> None:
    x = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32), requires_grad=True)
    w = Tensor(np.array([0.25, -1.0], dtype=np.float32), requires_grad=True)
    s = (x @ w).sum()  # NumPy gives a np.float32 scalar here, not an array
    loss = (s * 2.0 + 1).exp().log() / 3 + x.mean() ** 2
    for t in (s, loss):
        assert type(t.data) is np.ndarray and t.dtype == np.float32 and t.shape == ()
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_float64_stays_float64_and_python_scalars_do_not_promote() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert (2 * x + 1.5).dtype == np.float64
    y = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert (2 * y + 1.5).dtype == np.float32 and (1 - y / 3).dtype == np.float32


def test_no_graph_under_no_grad_or_without_inputs_that_require_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    z = Tensor([1.0, 2.0]) * 2 + np.ones(2)
    assert z.grad_fn is None and not z.requires_grad

    @no_grad()
    def update() -> Tensor:
        return x - 1

    assert update().grad_fn is None
    assert (x * 2).grad_fn is not None  # recording is back on after the block


class Spy(Function):
    """z = x * y, remembering which gradients the engine asked for."""

    asked: list[tuple[bool, ...]] = []

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, grad: np.ndarray):
        Spy.asked.append(ctx.needs_input_grad)
        x, y = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return grad * y if dx else None, grad * x if dy else None


def test_no_gradient_is_computed_for_inputs_that_do_not_need_one() -> None:
    Spy.asked.clear()
    x, c = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
    constant_branch = Spy.apply(c, c)  # records no node: nothing in it needs a gradient
    Spy.apply(Spy.apply(x, c), constant_branch).sum().backward()
    assert Spy.asked == [(True, False), (True, False)]
    np.testing.assert_array_equal(x.grad, c.data**3)


@pytest.mark.parametrize("op", [Mul, Div, Pow, MatMul, Maximum, Minimum, Where])  # (Add, Sub pass grad through)
def test_builtin_ops_skip_the_gradient_of_a_constant(op: type[Function]) -> None:
    x, c = Tensor(np.full((2, 2), 2.0), requires_grad=True), np.full((2, 2), 3.0)
    params = {"condition": np.eye(2, dtype=bool)} if op is Where else {}
    for inputs in ((x, c), (c, x)):
        out = op.apply(*inputs, **params)
        grads = op.backward(out.grad_fn, np.ones((2, 2)))
        assert [g is None for g in grads] == [not isinstance(i, Tensor) for i in inputs]


def test_every_op_is_a_function_with_a_docstring_stating_its_math() -> None:
    for name, op in REGISTRY.items():
        assert issubclass(op, Function) and op.__name__ == name
        assert op.__doc__ and "=" in op.__doc__.splitlines()[0], name


def test_a_user_function_gets_broadcasting_and_dtype_from_the_engine() -> None:
    """Spy's backward returns float64 gradients of the broadcast shape (3, 4): the engine fits them."""
    x = Tensor(np.ones((3, 4), np.float32), requires_grad=True)
    y = Tensor(np.full((1, 4), 2.0), requires_grad=True)
    Spy.apply(x, y).sum().backward()
    assert x.grad.shape == (3, 4) and x.grad.dtype == np.float32
    assert y.grad.shape == (1, 4) and y.grad.dtype == np.float64
    np.testing.assert_array_equal(y.grad, [[3.0, 3.0, 3.0, 3.0]])


def test_matmul_of_vectors_is_a_0d_result_with_gradients() -> None:
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    out = matmul(x, y)
    assert out.shape == () and out.item() == 11.0
    out.backward()
    np.testing.assert_array_equal(x.grad, y.data)
    np.testing.assert_array_equal(y.grad, x.data)
