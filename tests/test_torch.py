"""The same programs in autodiff and in PyTorch (float64): values and gradients agree to 1e-10.

Optional: skipped when torch is not installed (`pip install torch==2.13.0`, the test extra CI installs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autodiff.functional as F
from autodiff import Tensor, concatenate, matmul, maximum, minimum, stack, where

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)
normal = rng.standard_normal
positive = lambda *s: rng.uniform(0.5, 2.0, s)  # noqa: E731
TARGETS = np.array([2, 0, 1, 1, 4])
MASK = normal((3, 4)) > 0


def reuse(x: Any) -> Any:
    b = x + x
    c = b + b
    return c * b - x / c


def fan_out(x: Any) -> Any:
    for _ in range(60):
        x = x + x
    return x


def mlp(lib: str) -> Callable[..., Any]:
    def f(x: Any, w1: Any, b1: Any, w2: Any) -> Any:
        logits = (x @ w1 + b1).tanh() @ w2
        return F.cross_entropy(logits, TARGETS) if lib == "ad" else TF.cross_entropy(logits, torch.as_tensor(TARGETS))

    return f


# name: (autodiff program, torch program, input arrays); every input is differentiated.
PROGRAMS: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[np.ndarray]]] = {
    "reuse b=a+a, c=b+b": (reuse, reuse, [normal((3, 4))]),
    "fan-out 60 deep": (fan_out, fan_out, [np.array([0.5, -1.0])]),
    "broadcasting arithmetic": (
        lambda x, y, z: (x * y - z / (y * y + 1)) ** 2 + x.abs() ** y - 2**z,
        lambda x, y, z: (x * y - z / (y * y + 1)) ** 2 + x.abs() ** y - 2**z,
        [normal((3, 4)), normal(4), normal((2, 1, 4))],
    ),
    "unary functions": (
        lambda x, p: (-x).exp() + p.log() + p.sqrt() + x.abs() + x.tanh() + x.sigmoid() + x.relu(),
        lambda x, p: (-x).exp() + p.log() + p.sqrt() + x.abs() + x.tanh() + x.sigmoid() + x.relu(),
        [normal((3, 4)), positive(3, 4)],
    ),
    "clip, bounds included": (
        lambda x: x.clip(-0.5, 0.5) * x.clip(None, 0.0) + x.clip(0.0, None),
        lambda x: x.clip(-0.5, 0.5) * x.clip(None, 0.0) + x.clip(0.0, None),
        [np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 2.0])],
    ),
    "pow at negative and zero bases": (
        lambda x, y: x**3 + x**-2 + (x * x) ** y + x**0.0 + (x - x) ** (y * y + 1),
        lambda x, y: x**3 + x**-2 + (x * x) ** y + x**0.0 + (x - x) ** (y * y + 1),
        [np.array([-2.0, -0.5, 1.5, 3.0]), np.array([2.0, 0.5, -1.0, 0.0])],
    ),
    "maximum, minimum, where (with ties)": (
        lambda x, y: maximum(x, y) * minimum(x, 0.5) + where(MASK, x, y),
        lambda x, y: torch.maximum(x, y) * torch.minimum(x, torch.tensor(0.5, dtype=x.dtype)) + torch.where(torch.as_tensor(MASK), x, y),
        [np.round(normal((3, 4))), np.round(normal(4))],
    ),
    "reductions over axes": (
        lambda x: x.sum(axis=0) * x.mean(axis=(0, 2)).reshape(3, 1) + x.max(axis=-1)[0].reshape(3, 1) - x.min(axis=1, keepdims=True).sum() + x.max(),
        lambda x: x.sum(dim=0) * x.mean(dim=(0, 2)).reshape(3, 1) + x.amax(dim=-1)[0].reshape(3, 1) - x.amin(dim=1, keepdim=True).sum() + x.max(),
        [np.round(normal((2, 3, 4)) * 2) / 2],  # rounded: ties, which both split evenly
    ),
    "shape ops": (
        lambda x, y: concatenate([x.reshape(4, 3).T, y[np.array([0, 0, 2])]], axis=0)
        + stack([x[0], x[-1], x[1, ::-1]], axis=1).transpose(1, 0).broadcast_to((2, 3, 4))[1, :, :3].sum(),
        lambda x, y: torch.cat([x.reshape(4, 3).T, y[torch.tensor([0, 0, 2])]], dim=0)
        + torch.stack([x[0], x[-1], x[1].flip(0)], dim=1).permute(1, 0).expand(2, 3, 4)[1, :, :3].sum(),
        [normal((3, 4)), normal((3, 4))],
    ),
    "matmul 1-D, 2-D, batched": (
        lambda v, m, b, c: matmul(v, m) @ m.T @ v + (b @ m.T @ v).sum() + matmul(v, b).sum() + (b @ c).sum(),
        lambda v, m, b, c: torch.matmul(v, m) @ m.T @ v + (b @ m.T @ v).sum() + torch.matmul(v, b).sum() + (b @ c).sum(),
        [normal(4), normal((4, 3)), normal((2, 1, 4, 3)), normal((5, 3, 2))],
    ),
    "softmax family": (
        lambda x: F.softmax(x) * F.log_softmax(x, axis=0) + F.logsumexp(x, axis=-1, keepdims=True),
        lambda x: TF.softmax(x, dim=-1) * TF.log_softmax(x, dim=0) + torch.logsumexp(x, dim=-1, keepdim=True),
        [normal((3, 4)) * 5],
    ),
    "mlp with cross entropy": (mlp("ad"), mlp("torch"), [normal((5, 3)), normal((3, 8)), normal(8), normal((8, 5))]),
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_values_and_gradients_agree_with_torch(name: str) -> None:
    ours, theirs, arrays = PROGRAMS[name]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, expected = ours(*xs), theirs(*ts)
    u = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(u)
    expected.backward(torch.as_tensor(u))
    close = dict(rtol=1e-10, atol=1e-10, equal_nan=False)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **close)
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), err_msg=f"input {i}", **close)


# Random programs: each step applies an op to two earlier results (reusing nodes freely) in both libraries.
