"""Reverse mode is forward mode, transposed (issue 21): linearize records J as a program of linear primitives,
linear_transpose transposes it line by line, and the result is the VJP, without a backward of a non-linear op."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autodiff as ad
import autodiff.functional as F
from autodiff import Function, Tensor, linear_transpose, linearize
from autodiff.linear import LINEAR, Program
from autodiff.ops import REGISTRY

RNG = np.random.default_rng(0)


def trace_example(x1: Tensor, x2: Tensor) -> Tensor:
    return x1.log() + x1 * x2 - x2.tanh()


def test_the_trace_example_s_program_and_its_transpose() -> None:
    y, f_jvp = linearize(trace_example, np.array(2.0), np.array(5.0))
    assert y == pytest.approx(np.log(2) + 10 - np.tanh(5))
    assert str(f_jvp).splitlines() == [
        "{ lambda a:f64[] b:f64[] .",
        "    c:f64[] = div a 2",
        "    d:f64[] = mul a 5",
        "    e:f64[] = mul 2 b",
        "    f:f64[] = add d e",
        "    g:f64[] = add c f",
        "    h:f64[] = mul b 0.0001816",
        "    i:f64[] = sub g h",
        "  in (i,) }",
    ]
    assert f_jvp(1.0, 0.0) == 5.5 and f_jvp(0.0, 1.0) == pytest.approx(2 - (1 - np.tanh(5) ** 2))
    f_vjp = linear_transpose(f_jvp, np.array(2.0), np.array(5.0))
    assert isinstance(f_vjp, Program) and "neg" in str(f_vjp)
    got, want = f_vjp(1.0), ad.vjp(trace_example, np.array(2.0), np.array(5.0))[1](1.0)
    assert type(got) is tuple and all(type(g) is np.ndarray for g in got)
    np.testing.assert_allclose(got, want, rtol=1e-15)


def test_f_runs_once_and_f_jvp_does_not_run_it() -> None:
    calls = []

    def f(x: Tensor) -> Tensor:
        calls.append(1)
        return (x * x).tanh().sum()

    _, f_jvp = linearize(f, np.ones(3))
    for v in np.eye(3):
        f_jvp(v)
    assert len(calls) == 1


COMPOSITIONS: dict[str, Callable[..., Tensor]] = {
    "layer": lambda x, w: F.softmax((x @ w).tanh(), axis=-1),
    "loss": lambda x, w: F.cross_entropy(F.linear(x, w, w[0]), np.array([0, 2, 1, 1])),
    "shapes": lambda x, w: ad.concatenate([x[1:].T.reshape(-1), (w ** 2).sum(axis=0)]).max(),
    "branches": lambda x, w: ad.where(x > 0, x.exp(), ad.maximum(x, x * 0.5)).mean(axis=0) @ w.sigmoid(),
    "powers": lambda x, w: F.logsumexp(((x * x + 1) ** w[:1, :1] / x.abs().clip(0.1, 2)).reshape(-1), axis=0),
}


@pytest.mark.parametrize("name", COMPOSITIONS)
def test_the_transpose_of_the_linearization_is_the_vjp(name: str) -> None:
    f = COMPOSITIONS[name]
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))
    out, f_jvp = linearize(f, x, w)
    value, vjp_fn = ad.vjp(f, x, w)
    np.testing.assert_allclose(out, value, rtol=1e-14)
    ct = RNG.standard_normal(np.shape(out))
    for got, want in zip(linear_transpose(f_jvp, x, w)(ct), vjp_fn(ct)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    tx, tw = RNG.standard_normal(x.shape), RNG.standard_normal(w.shape)
    np.testing.assert_allclose(f_jvp(tx, tw), ad.jvp(f, (x, w), (tx, tw))[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", COMPOSITIONS)
def test_f_jvp_is_linear_and_the_adjoint_identity_holds(name: str) -> None:
    f = COMPOSITIONS[name]
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))
    out, f_jvp = linearize(f, x, w)
    t1, t2 = [(RNG.standard_normal(x.shape), RNG.standard_normal(w.shape)) for _ in range(2)]
    a, b = 0.7, -1.3
    np.testing.assert_allclose(f_jvp(*(a * p + b * q for p, q in zip(t1, t2))), a * f_jvp(*t1) + b * f_jvp(*t2),
                               rtol=1e-12, atol=1e-12)
    ct = RNG.standard_normal(np.shape(out))
    left = np.vdot(ct, f_jvp(*t1))
    right = sum(np.vdot(c, t) for c, t in zip(linear_transpose(f_jvp, x, w)(ct), t1))
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_a_tangent_that_is_zero_at_the_trace_keeps_its_term() -> None:
    """The trace runs on ones: here the exponent's tangent, y - y.mean(), is 0 there; f_jvp must still hold
    the exponent's term for every other tangent (a rule branching on the tangent's value dropped it)."""
    f = lambda x, y: x ** (y - y.mean())  # noqa: E731
    x, y = np.array([1.5, 2.0, 0.7]), np.array([0.5, 3.0, -1.0])
    tx, ty = RNG.standard_normal(3), RNG.standard_normal(3)
    out, f_jvp = linearize(f, x, y)
    np.testing.assert_allclose(f_jvp(tx, ty), ad.jvp(f, (x, y), (tx, ty))[1], rtol=1e-13)


def test_no_backward_of_a_non_linear_op_runs_on_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    f = COMPOSITIONS["layer"]
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))
    for name, cls in REGISTRY.items():
        if cls not in LINEAR:
            monkeypatch.setattr(cls, "backward", _refuse(name))
    out, f_jvp = linearize(f, x, w)
    cts = linear_transpose(f_jvp, x, w)(np.ones(np.shape(out)))
    monkeypatch.undo()
    for got, want in zip(cts, ad.vjp(f, x, w)[1](np.ones(np.shape(out)))):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _refuse(name: str) -> Callable[..., Any]:
    def backward(ctx: Function, grad: Any) -> Any:
        raise AssertionError(f"{name}.backward ran on the linearize-transpose path")

    return backward


A = RNG.standard_normal((2, 3))
USER_MAPS: dict[str, tuple[Callable[..., Tensor], list[np.ndarray]]] = {
    "A @ v * 2.0 + v.sum()": (lambda v: A @ v * 2.0 + v.sum(), [np.ones(3)]),
    "two inputs, one used twice": (lambda u, v: ad.stack([u - v, (u + v) / 4.0, -u]), [np.ones(2), np.ones(2)]),
    "moves": (lambda v: v.T.reshape(-1)[::-1][ad.where(np.arange(6) % 2 == 0, 1, 0).data.astype(bool)]
              .broadcast_to((2, 3)).mean(axis=0), [np.ones((2, 3))]),
    "gather and scatter": (lambda v: v[[0, 0, 2]] + ad.concatenate([v[1:], v[:1]]), [np.ones(3)]),
    "float32": (lambda v: (v * np.float32(3)).astype(np.float64)[:2], [np.ones(3, np.float32)]),
}


@pytest.mark.parametrize("name", USER_MAPS)
def test_a_user_written_linear_map_transposes_to_its_matrix_s_transpose(name: str) -> None:
    f, primals = USER_MAPS[name]
    n = [p.size for p in primals]
    columns = []
    for k in range(sum(n)):
        e = np.eye(sum(n))[k]
        parts = np.split(e, np.cumsum(n)[:-1])
        columns.append(np.ravel(np.asarray(f(*(Tensor(p.reshape(q.shape).astype(q.dtype)) for p, q in zip(parts, primals))).data)))
    J = np.stack(columns, axis=1)  # the explicit matrix of f
    f_t = linear_transpose(f, *primals)
    for r in range(J.shape[0]):
        u = np.eye(J.shape[0])[r].reshape(np.shape(f(*(Tensor(p) for p in primals)).data))
        got = np.concatenate([np.ravel(g) for g in f_t(u)])
        np.testing.assert_allclose(got, J.T[:, r], rtol=1e-6 if name == "float32" else 1e-15, atol=1e-6)


@pytest.mark.parametrize("f, message", [
    (lambda v: v.tanh(), "Tanh of a value that depends on the inputs is not linear"),
    (lambda v: v * v, "Mul of two values that depend on the inputs .* is quadratic, not linear"),
    (lambda v: v + 1.0, r"Add adds a constant .*: x \+ c is affine, not linear"),
    (lambda v: 1.0 / v, "Div by a value that depends on the inputs is not linear"),
    (lambda v: v * float(v.sum()), r"the function reads a value that depends on its inputs \(float\(\)\)"),
    (lambda v: ad.maximum(v, 0.0), "Maximum of a value that depends on the inputs is not linear"),
])
def test_a_step_that_is_not_linear_is_refused_naming_the_op(f: Callable[[Tensor], Tensor], message: str) -> None:
    with pytest.raises(TypeError, match="linear_transpose: " + message):
        linear_transpose(f, np.ones(3))


def test_tensors_in_the_graph_compose_with_grad_and_jvp() -> None:
    f = lambda x: (x ** 3 * x.tanh()).sum()  # noqa: E731
    x, v = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(ad.grad(lambda x: linearize(f, x)[1](v))(x), ad.hvp(f, x, v)[1], rtol=1e-12)
    np.testing.assert_allclose(ad.jvp(lambda x: linearize(f, x)[1](v), (x,), (v,))[1],
                               v @ ad.hessian(f)(x) @ v, rtol=1e-12)
    grad_of_transpose = ad.grad(lambda x: linear_transpose(linearize(f, x)[1], x)(1.0)[0] @ v)(x)
    np.testing.assert_allclose(grad_of_transpose, ad.hvp(f, x, v)[1], rtol=1e-12)


def test_the_program_checks_its_arguments() -> None:
    _, f_jvp = linearize(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(TypeError, match="takes 1 arguments, got 2"):
        f_jvp(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"input 0 has shape \(3,\), got \(2,\)"):
        f_jvp(np.ones(2))
