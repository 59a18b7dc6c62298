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


# Tied weights, state_dict and load_state_dict, as torch.nn


def torch_twin(model: nn.Module):
    """model rebuilt in torch.nn (float64), weights copied (Linear's transposed: torch keeps (out, in))."""
    torch = pytest.importorskip("torch")
    layers = {id(m): torch.nn.Linear(*m.weight.shape).double() for m in model.layers if isinstance(m, nn.Linear)}
    twin = torch.nn.Sequential(*(layers.get(id(m)) or torch.nn.Tanh() for m in model.layers))
    with torch.no_grad():
        for m in model.layers:
            if isinstance(m, nn.Linear):
                layers[id(m)].weight.copy_(torch.tensor(m.weight.data.T))
                layers[id(m)].bias.copy_(torch.tensor(m.bias.data))
    return twin


def as_torch(sd: dict) -> dict:
    """A state dict of ours as torch's: tensors, weights transposed."""
    torch = pytest.importorskip("torch")
    return {k: torch.tensor(np.asarray(v).T if k.endswith("weight") else np.asarray(v)) for k, v in sd.items()}


def tied_model() -> nn.Sequential:
    lin = nn.Linear(2, 2, seed=0)
    return nn.Sequential(lin, nn.Tanh(), lin, nn.Tanh(), nn.Linear(2, 3, seed=1))


def test_a_tied_weight_is_listed_once_under_the_first_name_found_as_in_torch() -> None:
    model = tied_model()
    twin = torch_twin(model)
    names = [n for n, _ in model.named_parameters()]
    assert names == [n for n, _ in twin.named_parameters()] == ["0.weight", "0.bias", "4.weight", "4.bias"]
    assert len(model.parameters()) == len(list(twin.parameters())) == 4
    every = [n for n, _ in model.named_parameters(remove_duplicate=False)]
    assert every == [n for n, _ in twin.named_parameters(remove_duplicate=False)]
    assert list(model.state_dict()) == list(twin.state_dict()) == every  # state_dict: every name, as torch
    (model(Tensor(np.ones((1, 2)))).sum()).backward()
    assert model[0].weight.grad is model[2].weight.grad  # one parameter, one gradient: both uses add into it


def test_a_parameter_shared_by_two_modules_and_own_parameters_first_as_in_torch() -> None:
    torch = pytest.importorskip("torch")

    class Net(nn.Module):
        def __init__(self) -> None:
            self.first = nn.Linear(2, 2, seed=0)
            self.second = nn.Linear(2, 2, seed=1)
            self.second.weight = self.first.weight  # tied across modules
            self.scale = nn.Parameter(np.ones(2))  # assigned last, listed first: the module's own come first

    class TorchNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first, self.second = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
            self.second.weight = self.first.weight
            self.scale = torch.nn.Parameter(torch.ones(2))

    names = [n for n, _ in Net().named_parameters()]
    assert names == [n for n, _ in TorchNet().named_parameters()] == ["scale", "first.weight", "first.bias", "second.bias"]
    assert list(Net().state_dict()) == list(TorchNet().state_dict())


def test_state_dict_round_trip_copies_in_place_and_keeps_the_parameters() -> None:
    model, other = tied_model(), nn.MLP([2, 2, 2, 3], activation="tanh", seed=7)
    other.layers[2] = other.layers[0]  # the same shape of model, another tied weight
    saved = model.state_dict()
    assert all(a is not p.data for a, (_, p) in zip(saved.values(), model.named_parameters(remove_duplicate=False)))
    held = other.parameters()  # an optimizer's hold on them
    assert other.load_state_dict(saved) == ([], [])
    assert other.parameters() == held and all(p.data is not saved[n] for n, p in other.named_parameters())
    for (n, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    saved["0.weight"][...] = 0.0  # a copy: the model is untouched
    assert model[0].weight.data.any()


def test_load_state_dict_not_strict_reports_what_it_skipped_as_torch() -> None:
    model = tied_model()
    twin = torch_twin(model)
    sd = {k: v for k, v in model.state_dict().items() if k != "4.bias"} | {"extra": np.zeros(1)}
    ours = model.load_state_dict(sd, strict=False)
    theirs = twin.load_state_dict(as_torch(sd), strict=False)
    assert ours == (["4.bias"], ["extra"]) and ours == (theirs.missing_keys, theirs.unexpected_keys)


def test_load_state_dict_casts_floats_as_torch_copies_them() -> None:
    model = tied_model()
    sd = {k: v.astype(np.float32) for k, v in model.state_dict().items()}
    model.load_state_dict(sd)
    assert model[0].weight.dtype == np.float64
    np.testing.assert_array_equal(model[0].weight.data, sd["0.weight"].astype(np.float64))


BAD_MODULE_STATES = [  # (change to the state dict, the error's lines; torch refuses the first four too)
    (lambda sd: sd.pop("4.bias"), ["Missing key(s) in state_dict: '4.bias'."]),
    (lambda sd: sd.update(extra=np.ones(1)), ["Unexpected key(s) in state_dict: 'extra'."]),
    (lambda sd: sd.update({"4.weight": np.ones((3, 2))}),
     ["size mismatch for 4.weight: copying a param with shape (3, 2) from checkpoint, the shape in current model "
      "is (2, 3)."]),
    (lambda sd: (sd.pop("0.bias"), sd.update({"4.bias": np.ones((1, 3)), "x": 1})),
     ["Missing key(s) in state_dict: '0.bias'.", "Unexpected key(s) in state_dict: 'x'.",
      "size mismatch for 4.bias: copying a param with shape (1, 3) from checkpoint, the shape in current model is (3,)."]),
    (lambda sd: sd.update({"0.bias": np.array(["a", "b"])}),
     ["dtype mismatch for 0.bias: cannot copy <U1 from checkpoint into the float64 parameter."]),
    (lambda sd: sd.update({"0.bias": np.ones(2, complex)}),
     ["dtype mismatch for 0.bias: cannot copy complex128 from checkpoint into the float64 parameter."]),
    (lambda sd: sd.update({"2.weight": sd["2.weight"] + 1}),
     ["0.weight and 2.weight are one parameter (tied), but the state dict gives them different values."]),
]


@pytest.mark.parametrize("change, lines", BAD_MODULE_STATES, ids=range(len(BAD_MODULE_STATES)))
def test_a_bad_module_state_is_refused_naming_every_problem_and_changes_nothing(change, lines: list[str]) -> None:
    model = tied_model()
    sd = {k: v + 0.5 for k, v in model.state_dict().items()}  # all good but the change: a partial load would show
    change(sd)
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    with pytest.raises(RuntimeError) as caught:
        model.load_state_dict(sd)
    assert str(caught.value) == "Error(s) in loading state_dict for Sequential:\n\t" + "\n\t".join(lines)
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[n])


def test_torch_refuses_the_same_module_states() -> None:
    torch = pytest.importorskip("torch")
    for change, lines in BAD_MODULE_STATES[:4]:
        model = tied_model()
        sd = model.state_dict()
        change(sd)
        with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for Sequential"):
            torch_twin(model).load_state_dict(as_torch(sd))


def test_a_state_dict_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got list."):
        tied_model().load_state_dict([np.ones(2)])


def test_a_load_between_forward_and_backward_is_an_error_as_an_optimizer_step() -> None:
    """load_state_dict changes the parameters in place, as torch's copy_: a graph that saved one refuses."""
    model = tied_model()
    loss = model(Tensor(np.ones((1, 2)))).sum()
    model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        loss.backward()


def test_module_zero_grad_sets_none_or_writes_zeros() -> None:
    model = tied_model()
    model(Tensor(np.ones((1, 2)))).sum().backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), grads))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


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
