"""Forward mode: every op's jvp agrees with its backward (J v both ways), and dual numbers behave."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad
from autodiff import Function, Tensor
from autodiff.forward import dual_level, make_dual, unpack_dual
from autodiff.ops import REGISTRY

Case = tuple[list[Any], dict[str, Any]]


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def positive(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape)


def away_from(kinks: list[float], *shape: int) -> np.ndarray:
    """Normal samples pushed at least 0.1 away from each kink, where the derivative jumps."""
    x = RNG.standard_normal(shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.1, x + np.where(x >= k, 0.2, -0.2), x)
    return x


RNG = np.random.default_rng(0)
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 4)), ((), (3,))]
AXES = [dict(axis=None), dict(axis=0), dict(axis=-1, keepdims=True), dict(axis=(0, 2))]


def cases() -> dict[str, list[Case]]:
    """Inputs in each op's domain. Float ndarrays become dual inputs; anything else stays a constant."""
    binary = lambda make_y=normal: [([normal(*a), make_y(*b)], {}) for a, b in BROADCAST_PAIRS]
    unary = lambda make=normal: [([make(3, 4)], {}), ([make()], {})]
    return {
        "Add": binary(),
        "Sub": binary(),
        "Mul": binary(),
        "Div": binary(lambda *s: positive(*s) * RNG.choice([-1, 1], s)),
        "Pow": [([positive(3, 4), normal(4)], {}), ([positive(3), 3.0], {}), ([2.0, normal(3)], {})],
        "Maximum": binary(),
        "Minimum": binary(),
        "Where": [([normal(3, 4), normal(4)], dict(condition=normal(3, 4) > 0))],
        "Cast": [([normal(3, 4)], dict(dtype=np.dtype(np.float64)))],
        "Alias": [([normal(3, 4)], {})],
        "Step": [([normal(3, 4)], dict(fn=np.sign))],
        "Neg": unary(),
        "Exp": unary(),
        "Log": unary(positive),
        "Sqrt": unary(positive),
        "Abs": unary(lambda *s: away_from([0.0], *s)),
        "Tanh": unary(),
        "Sigmoid": unary(),
        "Relu": unary(lambda *s: away_from([0.0], *s)),
        "Clip": [([away_from([-0.5, 0.5], 3, 4)], dict(min=-0.5, max=0.5)), ([away_from([0.0], 5)], dict(min=0.0))],
        "Sum": [([normal(2, 3, 4)], kw) for kw in AXES],
        "Mean": [([normal(2, 3, 4)], kw) for kw in AXES],
        "Max": [([normal(2, 3, 4)], kw) for kw in AXES],
        "Min": [([normal(2, 3, 4)], kw) for kw in AXES],
        "Reshape": [([normal(3, 4)], dict(shape=(2, 6))), ([normal(2, 3)], dict(shape=(-1,)))],
        "Transpose": [([normal(3, 4)], dict(axes=None)), ([normal(2, 3, 4)], dict(axes=(1, 0, 2)))],
        "BroadcastTo": [([normal(3, 1)], dict(shape=(2, 3, 4))), ([normal()], dict(shape=(3,)))],
        "GetItem": [([normal(4, 3)], dict(index=(slice(1, None), 0))), ([normal(4, 3)], dict(index=np.array([0, 2, 0])))],
        "ScatterAdd": [([normal(3, 3)], dict(index=np.array([0, 2, 0]), shape=(4, 3)))],
        "Concatenate": [([normal(2, 3), normal(2, 1), normal(2, 2)], dict(axis=1))],
        "Stack": [([normal(3), normal(3)], dict(axis=0)), ([normal(2, 3), normal(2, 3)], dict(axis=-1))],
        "MatMul": [([normal(3, 4), normal(4, 2)], {}), ([normal(2, 3, 4), normal(4, 5)], {}), ([normal(2, 1, 3, 4), normal(5, 4, 2)], {})],
        "Softmax": [([normal(3, 5)], dict(axis=-1)), ([normal(3, 5)], dict(axis=0))],
        "LogSoftmax": [([normal(3, 5)], dict(axis=-1)), ([normal(3, 5)], dict(axis=0))],
        "LogSumExp": [([normal(3, 5)], dict(axis=-1)), ([normal(3, 5)], dict(axis=None, keepdims=True))],
        "NLLLoss": [([normal(4, 3)], dict(targets=np.array([0, 2, 1, 2])))],
        "Affine": [([normal(3, 4), normal(4, 2), normal(2)], {}), ([normal(2, 3, 4), normal(4, 5), normal(3, 5)], {})],
        "MSELoss": [([normal(3, 4), normal(3, 4)], {}), ([normal(5), normal(5)], {})],
    }


CASES = cases()
WITH_JVP = sorted(name for name, cls in REGISTRY.items() if hasattr(cls, "jvp"))


def is_dual(a: Any) -> bool:
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def forward_jv(cls: type[Function], inputs: list[Any], params: dict[str, Any], tangents: list[np.ndarray]) -> np.ndarray:
    with dual_level():
        duals = iter(make_dual(x, v) for x, v in zip(filter(is_dual, inputs), tangents))
        out = cls.apply(*(next(duals) if is_dual(x) else x for x in inputs), **params)
        return unpack_dual(out).tangent


def reverse_jv(cls: type[Function], inputs: list[Any], params: dict[str, Any], tangents: list[np.ndarray]) -> np.ndarray:
    """J v assembled row by row: (J v)_k = Σ_i <∂out_k/∂x_i, v_i>, one backward per output element."""
    xs = [Tensor(x, requires_grad=True) if is_dual(x) else x for x in inputs]
    leaves = [x for x in xs if isinstance(x, Tensor)]
    out = cls.apply(*xs, **params)
    jv = np.zeros(out.size)
    for k, u in enumerate(np.eye(out.size).reshape((out.size,) + out.shape)):
        for x in leaves:
            x.grad = None
        out.backward(u, retain_graph=True)
        jv[k] = sum(np.vdot(x.grad, v) for x, v in zip(leaves, tangents))
    return jv.reshape(out.shape)


def case_ids() -> list[tuple[str, int]]:
    return [(name, i) for name in WITH_JVP for i in range(len(CASES.get(name, [None])))]


def test_every_registered_op_has_cases() -> None:
    assert set(REGISTRY) <= set(CASES), f"add forward-mode cases for {sorted(set(REGISTRY) - set(CASES))}"


@pytest.mark.parametrize("name, i", case_ids(), ids=[f"{n}-{i}" for n, i in case_ids()])
def test_jvp_agrees_with_reverse_mode(name: str, i: int) -> None:
    inputs, params = CASES[name][i]
    rng = np.random.default_rng(zlib.crc32(f"{name}{i}".encode()))
    tangents = [rng.standard_normal(np.shape(x)) for x in inputs if is_dual(x)]
    fwd = forward_jv(REGISTRY[name], inputs, params, tangents)
    rev = reverse_jv(REGISTRY[name], inputs, params, tangents)
    assert fwd.shape == rev.shape and fwd.dtype == np.float64
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum"])
@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_binary_jvp_over_broadcast_shapes(name: str, shapes) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{name}{shapes}".encode()))
    x, y = (np.asarray(rng.uniform(0.5, 2.0, s) * rng.choice([-1, 1], s)) for s in shapes.input_shapes)
    inputs = [np.asarray(np.abs(x)), y] if name == "Pow" else [x, y]  # Pow's base stays positive
    tangents = [rng.standard_normal(s) for s in shapes.input_shapes]
    fwd = forward_jv(REGISTRY[name], inputs, {}, tangents)
    assert fwd.shape == shapes.result_shape
    np.testing.assert_allclose(fwd, reverse_jv(REGISTRY[name], inputs, {}, tangents), rtol=1e-12, atol=1e-12)


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
    assert not np.allclose(forward_jv(WrongExp, x, {}, v), reverse_jv(WrongExp, x, {}, v))


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
