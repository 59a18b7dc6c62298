"""Forward mode: every op's jvp agrees with its backward (J v both ways), on calls drawn from its row in
tests/op_table.py; and dual numbers behave."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import Function, Tensor
from autodiff.forward import dual_level, make_dual, unpack_dual
from autodiff.ops import REGISTRY
from op_table import cases


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def away_from(kinks: list[float], *shape: int) -> np.ndarray:
    """Normal samples pushed at least 0.1 away from each kink, where the derivative jumps."""
    x = RNG.standard_normal(shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.1, x + np.where(x >= k, 0.2, -0.2), x)
    return x


RNG = np.random.default_rng(0)


def forward_jv(f: Callable[..., Tensor], inputs: list[np.ndarray], tangents: list[np.ndarray]) -> np.ndarray:
    """J v in one forward pass: each input a dual number carrying its tangent."""
    with dual_level():
        out = f(*(make_dual(x, v) for x, v in zip(inputs, tangents)))
        tangent = unpack_dual(out).tangent
    return np.zeros(out.shape, out.dtype) if tangent is None else tangent


def reverse_jv(f: Callable[..., Tensor], inputs: list[np.ndarray], tangents: list[np.ndarray]) -> np.ndarray:
    """J v assembled row by row: (J v)_k = Σ_i <∂out_k/∂x_i, v_i>, one backward per output element."""
    leaves = [Tensor(x, requires_grad=True) for x in inputs]
    out = f(*leaves)
    jv = np.zeros(out.size)
    if not out.requires_grad:  # nothing reaches the output: J is 0
        return jv.reshape(out.shape)
    for k, u in enumerate(np.eye(out.size).reshape((out.size,) + out.shape)):
        for x in leaves:
            x.grad = None
        out.backward(u, retain_graph=True)
        jv[k] = sum(np.vdot(x.grad, v) for x, v in zip(leaves, tangents) if x.grad is not None)
    return jv.reshape(out.shape)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=25)
@given(data=st.data())
def test_jvp_agrees_with_reverse_mode(name: str, data: st.DataObject) -> None:
    """The inputs are dual numbers; constants (scalars, arrays, Tensors, indices) stay constants."""
    case = data.draw(cases(name), label="case")
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    tangents = [rng.standard_normal(x.shape) for x in case.inputs]
    fwd = forward_jv(case.f, case.inputs, tangents)
    rev = reverse_jv(case.f, case.inputs, tangents)
    assert fwd.shape == rev.shape and fwd.dtype == np.float64
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-12)


def test_the_comparison_catches_a_wrong_jvp() -> None:
    class WrongExp(Function):
        def forward(ctx, x: np.ndarray) -> np.ndarray:
            z = np.exp(x)
            ctx.save_for_backward(z)
            return z

        def backward(ctx, grad: np.ndarray) -> np.ndarray:
            return grad * ctx.saved_tensors[0]

        def jvp(ctx, tx: np.ndarray) -> np.ndarray:
            return tx  # forgot the factor exp(x)

    x, v = [normal(3)], [np.ones(3)]
    assert not np.allclose(forward_jv(WrongExp.apply, x, v), reverse_jv(WrongExp.apply, x, v))


# Compositions: the whole Jacobian, one JVP per input element vs one VJP per output element.

W, B = normal(3, 4), normal(3)
COMPOSITIONS = {
    "layer": lambda x: (W @ x + B).tanh(),
    "softmax by hand": lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum(),
    "fan-out": lambda x: (x * x + x).sigmoid() * x.sum() - x.abs().sqrt(),
    "shapes": lambda x: ad.concatenate([x[1:], x.reshape(2, 2).T.reshape(-1)]) ** 2,
    "branches": lambda x: ad.where(x > 0, x.exp(), ad.maximum(x, -x * 0.5)).mean(keepdims=True),
    "matrix": lambda x: x.reshape(2, 2) @ x.reshape(2, 2).clip(-1, 1) + ad.stack([x[:2], x[2:]]),
}


@pytest.mark.parametrize("name", COMPOSITIONS)
def test_jacobian_forward_equals_reverse(name: str) -> None:
    x = away_from([0.0, -1.0, 1.0], 4)
    fwd = ad.jacobian(COMPOSITIONS[name], x, mode="fwd")
    rev = ad.jacobian(COMPOSITIONS[name], x, mode="rev")
    assert fwd.shape == rev.shape
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-12)


# Dual numbers themselves.


def test_tangent_of_a_product_rule() -> None:
    x = np.array([1.0, 2.0, 3.0])
    with dual_level():
        y = make_dual(x, [1.0, 0.0, 0.0]) ** 2 * 3.0
        primal, tangent = unpack_dual(y)
    np.testing.assert_array_equal(primal, 3 * x**2)
    np.testing.assert_array_equal(tangent, [6.0, 0.0, 0.0])


def test_constants_have_no_tangent_and_cost_nothing() -> None:
    class NoJvp(Function):
        def forward(ctx, x: np.ndarray) -> np.ndarray:
            return 2 * x

    with dual_level():
        c = NoJvp.apply(Tensor([1.0, 2.0]))  # no dual input: jvp is never needed
        assert unpack_dual(c).tangent is None
        y = make_dual(np.zeros(2), np.ones(2)) + c  # c's tangent enters as zeros
        np.testing.assert_array_equal(unpack_dual(y).tangent, [1.0, 1.0])


def test_a_function_without_jvp_is_named() -> None:
    class Cube(Function):
        def forward(ctx, x: np.ndarray) -> np.ndarray:
            return x**3

    with dual_level(), pytest.raises(NotImplementedError, match="Cube has no jvp"):
        Cube.apply(make_dual(np.ones(2), np.ones(2)))


def test_a_wrongly_shaped_jvp_is_caught() -> None:
    class Bad(Function):
        def forward(ctx, x: np.ndarray) -> np.ndarray:
            return x * 2

        def jvp(ctx, tx: np.ndarray) -> np.ndarray:
            return tx.sum()

    with dual_level(), pytest.raises(ValueError, match=r"Bad.jvp returned a tangent of shape \(\) for an output of shape \(3,\)"):
        Bad.apply(make_dual(np.ones(3), np.ones(3)))


def test_float32_stays_float32() -> None:
    with dual_level():
        x = make_dual(np.ones(3, np.float32), np.ones(3))  # a float64 tangent is cast to the primal's dtype
        y = (x * 2.0).exp().sum()
        assert unpack_dual(x).tangent.dtype == np.float32
        assert unpack_dual(y).tangent.dtype == np.float32 and y.dtype == np.float32


def test_levels_nest_each_with_its_own_tangents_and_tangents_end_with_their_level() -> None:
    from autodiff.forward import levels

    with dual_level():
        x = make_dual(np.ones(2), np.ones(2))
        with dual_level():
            assert len(levels()) == 2
            assert unpack_dual(x * 3.0).tangent is None  # x's tangent belongs to the outer level
            y = make_dual(x, [0.0, 1.0]) * 3.0
            np.testing.assert_array_equal(unpack_dual(y).tangent, [0.0, 3.0])
        assert len(levels()) == 1
        np.testing.assert_array_equal(unpack_dual(y).tangent, [3.0, 3.0])  # the outer level followed y too
    assert not levels() and unpack_dual(x).tangent is None


def test_level_closes_on_error() -> None:
    from autodiff.forward import levels

    with pytest.raises(ZeroDivisionError), dual_level():
        1 / 0
    assert not levels()


def test_make_dual_checks_its_arguments() -> None:
    with pytest.raises(RuntimeError, match="dual_level"):
        make_dual(np.ones(2), np.ones(2))
    with dual_level():
        with pytest.raises(ValueError, match=r"tangent of shape \(3,\) does not match primal of shape \(2,\)"):
            make_dual(np.ones(2), np.ones(3))
        with pytest.raises(TypeError, match="primal must be floating point, got dtype int64"):
            make_dual(np.arange(2), np.ones(2))
        with pytest.raises(TypeError, match="tangent must be real numbers, got dtype bool"):
            make_dual(np.ones(2), np.array([True, False]))


def test_make_dual_shares_the_primal_data() -> None:
    x = Tensor([1.0, 2.0])
    with dual_level():
        d = make_dual(x, [0.0, 1.0])
        assert d.data is x.data and unpack_dual(x).tangent is None


def test_reverse_mode_still_works_inside_a_level() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    with dual_level():
        y = (make_dual(np.array([3.0, 4.0]), np.ones(2)) * w).sum()
        y.backward()
        np.testing.assert_array_equal(unpack_dual(y).tangent, 3.0)
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


def test_a_level_keeps_no_tensor_alive() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        with dual_level():
            y = make_dual(np.ones(2), np.ones(2)) * 2.0
            ref = weakref.ref(y)
            del y
            assert ref() is None
    finally:
        gc.enable()
