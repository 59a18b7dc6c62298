"""Every registered op, gradchecked in float64 (central differences) on calls drawn from its row in
tests/op_table.py: its entry points, on hypothesis-drawn inputs inside its domain (broadcast shapes, 0-d,
size-1 and empty axes, constants of every kind); then its float32 results and gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff.functional as F
from autodiff import Tensor, matmul, maximum, minimum
from autodiff.core import Watcher, watchers, watching
from autodiff.gradcheck import check_vjp, gradcheck, gradgradcheck
from autodiff.ops import REGISTRY
from op_table import ROWS, Case, cases, missing


def leaf(x: np.ndarray) -> Tensor:
    return Tensor(x, requires_grad=True)


def normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


class Applied(Watcher):
    """The names of the ops apply runs while it watches."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def op(self, ctx: Any, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        self.names.add(type(ctx).__name__)


def applied(f: Callable[..., Any], *inputs: Any) -> set[str]:
    """The ops f runs on these inputs."""
    seen = Applied()
    with watching((*watchers(), seen)):
        f(*inputs)
    return seen.names


def test_every_registered_op_has_a_row() -> None:
    assert not missing(), f"ops registered without a row in tests/op_table.py: {missing()}"
    assert set(ROWS) <= set(REGISTRY), f"rows for ops that are not registered: {sorted(set(ROWS) - set(REGISTRY))}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=25)
@given(data=st.data())
def test_op_gradient_matches_central_differences(name: str, data: st.DataObject) -> None:
    case = data.draw(cases(name), label="case")
    assert name in applied(case.f, *case.leaves()), f"the call does not apply {name}"
    assert gradcheck(case.f, *case.leaves()).ok


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=10)
@given(data=st.data())
def test_op_second_derivatives_match_central_differences(name: str, data: st.DataObject) -> None:
    """Every op is differentiable twice: its backward, recorded on Tensors, has the right gradient."""
    case = data.draw(cases(name), label="case")
    assert gradgradcheck(case.f, *case.leaves()).ok


# The shapes the issue names, every pair, for every elementwise op that broadcasts (hypothesis may not draw each one).
NAMED_SHAPES = [(), (4,), (3, 4), (1, 4), (2, 1, 4), (3, 1)]
BROADCASTING = sorted(r.op for r in ROWS.values() if r.broadcasts and REGISTRY[r.op].__module__.endswith("elementwise"))


@pytest.mark.parametrize("name", BROADCASTING)
@settings(max_examples=2)
@given(data=st.data())
def test_binary_ops_over_the_named_broadcasting_pairs(name: str, data: st.DataObject) -> None:
    for sx in NAMED_SHAPES:
        for sy in NAMED_SHAPES:
            try:
                np.broadcast_shapes(sx, sy)
            except ValueError:
                continue
            case = data.draw(cases(name, shapes=[sx, sy], constants=False))
            while len(case.inputs) < 2:  # x ** 2: Pow's row drew an integer power
                case = data.draw(cases(name, shapes=[sx, sy], constants=False))
            out = case.f(*case.leaves())
            assert out.shape == np.broadcast_shapes(sx, sy, *map(np.shape, case.values.values())), (sx, sy)  # where's mask too
            assert gradcheck(case.f, *case.leaves()).ok, (sx, sy)


def test_pow_with_a_negative_base_and_integer_exponent() -> None:
    x = leaf(np.array([-2.0, -0.5, 1.5]))
    assert gradcheck(lambda t: t**3, x).ok
    assert gradcheck(lambda t: t**-2, x).ok
    (x**3).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * x.data**2)


def test_pow_is_flat_where_the_power_is_constant() -> None:
    """x**0 is 1 for every x (also 0) and 0**y is 0 for every y > 0: both gradients 0, as PyTorch gives."""
    x, y = leaf(np.array([0.0, 2.0, 0.0])), leaf(np.array([0.0, 0.0, 2.0]))
    (x**y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(y.grad, [0.0, np.log(2.0), 0.0])


def test_maximum_and_minimum_share_the_gradient_at_a_tie() -> None:
    x, y = leaf(np.array([1.0, 2.0, 3.0])), leaf(np.array([1.0, 1.0, 4.0]))
    maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(y.grad, [0.5, 0.0, 1.0])
    x.grad = y.grad = None
    minimum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])


def test_max_shares_the_gradient_between_tied_entries() -> None:
    x = leaf(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]))
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_clip_passes_the_gradient_at_its_bounds() -> None:
    """d clip/dx is [lo <= x <= hi], bounds included (PyTorch's clamp too); None means no bound."""
    x = leaf(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    x.grad = None
    x.clip(None, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_promotes_by_pytorchs_rule() -> None:
    """A bound takes part in promotion as a binary op's operand does (torch.clamp): a NumPy scalar or 0-d
    bound keeps a float32 x float32, a float64 bound with dimensions makes it float64, an integer x is cast."""
    x = leaf(np.array([0.25, 1.0], np.float32))
    assert x.clip(np.float64(0.5), None).dtype == np.float32
    assert x.clip(Tensor(np.float64(0.5)), 2.0).dtype == np.float32
    wide = x.clip(np.array([0.5, 0.5]), None)
    assert wide.dtype == np.float64
    wide.sum().backward()
    assert x.grad.dtype == np.float32 and list(x.grad) == [0.0, 1.0]
    assert Tensor(np.array([0, 3])).clip(0.5, 2.5).numpy().tolist() == [0.5, 2.5]


def test_getitem_scatter_adds_repeated_indices() -> None:
    x = leaf(np.arange(4.0))
    x[np.array([0, 2, 0, 0])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [8.0, 0.0, 2.0, 0.0])


def test_cast_sends_the_gradient_back_in_the_input_dtype() -> None:
    x = leaf(np.array([1.0, 2.0], np.float32))
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.grad_fn.out_dtype == np.float64
    (y * np.array([3.0, 4.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_getitem_with_tensor_indices_equals_ndarray_indices() -> None:
    x = leaf(np.arange(12.0).reshape(3, 4))
    rows, cols = np.array([2, 0, 2]), np.array([1, 1, 3])
    out = x[Tensor(rows), Tensor(cols)]
    np.testing.assert_array_equal(out.data, x.data[rows, cols])
    out.backward(np.ones(3))
    expected = np.zeros((3, 4))
    np.add.at(expected, (rows, cols), 1.0)
    np.testing.assert_array_equal(x.grad, expected)


def test_matmul_matches_numpy_on_every_case() -> None:
    rng = np.random.default_rng(0)
    for sx, sy in [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                   ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((2, 1, 2, 3), (5, 3, 4))]:
        x, y = normal(rng, sx), normal(rng, sy)
        out = matmul(Tensor(x), Tensor(y))
        assert out.shape == np.matmul(x, y).shape
        np.testing.assert_allclose(out.data, x @ y)


def test_matmul_vjp_at_a_size_where_full_gradchecks_are_slow() -> None:
    rng = np.random.default_rng(1)
    x, y = leaf(normal(rng, (4, 1, 20, 30))), leaf(normal(rng, (3, 30, 10)))
    assert check_vjp(matmul, x, y).ok
    assert check_vjp(lambda a, b: F.cross_entropy((a @ b).reshape(-1, 10), np.arange(240) % 10), x, y).ok


def test_logsumexp_reduces_over_every_axis_with_axis_none() -> None:
    x = leaf(np.arange(6.0).reshape(2, 3))
    out = F.logsumexp(x, axis=None)
    assert out.shape == ()
    np.testing.assert_allclose(out.data, np.log(np.exp(np.arange(6.0)).sum()))
    assert F.logsumexp(x, axis=None, keepdims=True).shape == (1, 1)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=10)
@given(data=st.data())
def test_ops_keep_float32(name: str, data: st.DataObject) -> None:
    """The op's result, and every gradient, stays float32 (0-d results included)."""
    case: Case = data.draw(cases(name, np.float32, precise=False), label="case")
    xs = case.leaves()
    out = case.f(*xs)
    assert out.dtype == np.float32 and type(out.data) is np.ndarray
    out.backward(np.random.default_rng(0).standard_normal(out.shape).astype(np.float32))
    for x in xs:
        assert x.grad is not None and x.grad.dtype == np.float32 and x.grad.shape == x.shape


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=10)
@given(data=st.data())
def test_ops_compute_float32_gradients_in_float32(name: str, data: st.DataObject) -> None:
    """No op's backward silently works in float64 for a float32 output (the engine would cast the
    result back, so the gradient is right, but the work and memory would double). A cast to float64
    has a float64 output: its backward gets float64."""
    from autodiff.core import Backward

    seen: list[tuple[str, np.dtype]] = []

    class Spy(Backward):  # the raw gradients each op's backward returns, before the engine fits them
        def vjp(self, node: Any, grad: Any) -> Any:
            grads = super().vjp(node, grad)
            if node.out_dtype == np.float32:
                seen.extend((type(node).__name__, np.asarray(g).dtype) for g in grads if g is not None)
            return grads

    case: Case = data.draw(cases(name, np.float32, precise=False), label="case")
    out = case.f(*case.leaves())
    Spy().run([out], [np.ones(out.shape, np.float32)])
    wide = sorted({op for op, dtype in seen if dtype != np.float32})
    assert not wide, f"backward works in another dtype than float32 in: {wide}"
