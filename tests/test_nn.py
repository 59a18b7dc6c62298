"""Modules, optimizers and toy data; and the demo: an MLP learns two moons in well under a second."""

from __future__ import annotations

import time

import numpy as np
import pytest

import autodiff.functional as F
from autodiff import Tensor, datasets, nn, optim


# Modules


def test_linear_is_x_at_w_plus_b() -> None:
    layer = nn.Linear(3, 2, seed=0)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data + layer.bias.data)
    assert repr(layer) == "Linear(3, 2)"


def test_linear_init_is_seeded_and_bounded_by_one_over_sqrt_fan_in() -> None:
    a, b = nn.Linear(100, 50, seed=1), nn.Linear(100, 50, seed=1)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, nn.Linear(100, 50, seed=2).weight.data)
    assert np.abs(a.weight.data).max() <= 0.1 and np.abs(a.weight.data).max() > 0.09


def test_parameters_require_grad() -> None:
    p = nn.Parameter(np.zeros(2))
    assert p.requires_grad and p.is_leaf
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        nn.Parameter(np.arange(2))


def test_mlp_layers_and_parameter_names() -> None:
    model = nn.MLP([2, 8, 8, 3], activation="tanh", seed=0)
    assert repr(model) == "MLP(Linear(2, 8), Tanh(), Linear(8, 8), Tanh(), Linear(8, 3))"
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [p.shape for p in model.parameters()] == [(2, 8), (8,), (8, 8), (8,), (8, 3), (3,)]
    assert model(Tensor(np.zeros((5, 2)))).shape == (5, 3)
    assert len(model) == 5 and isinstance(model[1], nn.Tanh)


def test_mlp_is_seeded() -> None:
    a, b = nn.MLP([2, 4, 1], seed=3), nn.MLP([2, 4, 1], seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a[0].weight.data, a[2].weight.data[:2])  # layers draw different numbers


def test_mlp_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="activation must be one of \\['relu', 'tanh'\\], got 'gelu'"):
        nn.MLP([2, 3], activation="gelu")
    with pytest.raises(ValueError, match="at least an input and an output size"):
        nn.MLP([2])


def test_a_custom_module_finds_parameters_in_attributes_and_lists() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            self.scale = nn.Parameter(np.ones(1))
            self.blocks = [nn.Linear(2, 2, seed=0), nn.ReLU(), nn.Linear(2, 1, seed=1)]
            self.not_learned = Tensor(np.ones(1))

        def forward(self, x: Tensor) -> Tensor:
            for block in self.blocks:
                x = block(x)
            return x * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias",
    ]
    net(Tensor(np.ones((3, 2)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_a_module_without_forward_says_so() -> None:
    with pytest.raises(NotImplementedError, match="Empty defines no forward"):
        type("Empty", (nn.Module,), {})()(Tensor(1.0))


# Optimizers


def test_sgd_step_and_momentum() -> None:
    p = nn.Parameter([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([2.0])
    opt.step()  # v = 2, p = 1 - 0.2
    np.testing.assert_allclose(p.data, [0.8])
    opt.step()  # v = 0.9 * 2 + 2 = 3.8, p = 0.8 - 0.38
    np.testing.assert_allclose(p.data, [0.42])
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no grad: no move
    np.testing.assert_allclose(p.data, [0.42])


def test_adam_first_step_moves_by_lr_times_sign() -> None:
    p = nn.Parameter([1.0, 1.0, 1.0])
    p.grad = np.array([1e-3, -5.0, 300.0])
    optim.Adam([p], lr=0.01).step()  # bias correction makes m̂ = g, v̂ = g²
    np.testing.assert_allclose(p.data, [0.99, 1.01, 0.99], rtol=1e-6)


def test_optimizers_keep_float32() -> None:
    for opt_class in (optim.SGD, optim.Adam):
        p = nn.Parameter(np.ones(2, np.float32))
        p.grad = np.ones(2, np.float32)
        opt_class([p], lr=0.1).step()
        assert p.dtype == np.float32


def test_an_empty_parameter_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        optim.Adam([])


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_optimizers_follow_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal(4), rng.standard_normal((5, 4))
    ours, theirs = nn.Parameter(start), torch.tensor(start, requires_grad=True)
    kwargs = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6)
    opt, torch_opt = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
    for g in grads:
        ours.grad, theirs.grad = g, torch.tensor(g)
        opt.step()
        torch_opt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


# Data


def test_moons() -> None:
    X, y = datasets.make_moons(201, noise=0.0, seed=0)
    assert X.shape == (201, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [101, 100]
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)  # the upper moon: unit half circle
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)  # the lower one, shifted
    assert (X[y == 0, 1] >= 0).all() and (X[y == 1, 1] <= 0.5).all()


def test_spirals() -> None:
    X, y = datasets.make_spirals(n_per_class=50, classes=4, noise=0.0)
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    np.testing.assert_allclose(np.hypot(*X[y == 2].T), np.linspace(0, 1, 50))  # radius grows along an arm


@pytest.mark.parametrize("make", [datasets.make_moons, datasets.make_spirals])
def test_data_is_seeded(make) -> None:
    (X1, y1), (X2, y2), (X3, _) = make(seed=1), make(seed=1), make(seed=2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


# The demo


def test_mlp_learns_two_moons() -> None:
    X, y = datasets.make_moons(200, noise=0.1, seed=0)
    model = nn.MLP([2, 16, 16, 2], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    start = time.perf_counter()
    for step in range(200):
        loss = F.cross_entropy(model(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    elapsed = time.perf_counter() - start
    accuracy = (model(Tensor(X)).data.argmax(axis=1) == y).mean()
    print(f"two moons: {step + 1} Adam steps in {elapsed:.2f} s, loss {loss.item():.4f}, train accuracy {accuracy:.1%}")
    assert accuracy > 0.95
