"""The optimizers against torch.optim (float64): every option of SGD, Adam and AdamW, alone and in the
combinations hypothesis draws, over 20 steps to 1e-12 (normwise, relative), with a tied weight and with
parameters that get no gradient at some steps; zero_grad both ways; state_dict round trips that continue
bit for bit as an uninterrupted run; and every bad input, with its message, changing nothing.

Skipped without torch (`pip install -e ".[torch]"`).
"""

from __future__ import annotations

import pickle
import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff.functional as F
from autodiff import Tensor, nn, optim

torch = pytest.importorskip("torch")
TOL = 1e-12  # max |ours − torch's| ≤ TOL · max |torch's|, after every step

# Each option alone (and a few together), named for the test ids.
CONFIGS = {
    "SGD": ("SGD", dict(lr=0.1)),
    "SGD momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "SGD dampening": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    "SGD nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "SGD weight_decay": ("SGD", dict(lr=0.1, weight_decay=0.05)),
    "SGD all": ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)),
    "Adam": ("Adam", dict(lr=0.05)),
    "Adam betas eps": ("Adam", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3)),
    "Adam weight_decay": ("Adam", dict(lr=0.05, weight_decay=0.1)),
    "Adam amsgrad": ("Adam", dict(lr=0.05, amsgrad=True)),
    "AdamW": ("AdamW", dict(lr=0.05)),
    "AdamW weight_decay amsgrad": ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True, betas=(0.8, 0.99))),
}


def pair(name: str, params: list[Tensor], torch_params: list[Any], **kwargs: Any) -> tuple[Any, Any]:
    return getattr(optim, name)(params, **kwargs), getattr(torch.optim, name)(torch_params, **kwargs)


def gap(ours: np.ndarray, theirs: Any) -> float:
    """max |ours − theirs| / max |theirs|: the normwise relative error (0 when both are exactly zero)."""
    want = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == want.shape and ours.dtype == want.dtype
    scale = np.abs(want).max(initial=0.0)
    diff = np.abs(ours - want).max(initial=0.0)
    return diff / scale if scale else diff


# The update rules, on gradients given directly --------------------------------------------------


@st.composite
def configs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(["SGD", "Adam", "AdamW"]))
    lr = draw(st.sampled_from([0.0, 0.01, 0.3]))
    wd = draw(st.sampled_from([0.0, 0.05, 0.5]))
    if name == "SGD":
        momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
        dampening = draw(st.sampled_from([0.0, 0.25]))
        nesterov = momentum > 0 and dampening == 0 and draw(st.booleans())
        return name, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov)
    betas = draw(st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.0), (0.99, 0.3)]))
    eps = draw(st.sampled_from([1e-8, 1e-3]))
    return name, dict(lr=lr, betas=betas, eps=eps, weight_decay=wd, amsgrad=draw(st.booleans()))


@settings(max_examples=60)
@given(config=configs(), has_grad=st.lists(st.booleans(), min_size=40, max_size=40), seed=st.integers(0, 2**16))
def test_every_combination_of_options_follows_torch_for_20_steps(config, has_grad: list[bool], seed: int) -> None:
    """Two parameters, each with a gradient or None at each step (None: torch skips it, state and all); the
    parameters after every step, and the state and hyperparameters after the last, as torch's."""
    name, kwargs = config
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ours = [Tensor(a, requires_grad=True) for a in starts]
    theirs = [torch.tensor(a, requires_grad=True) for a in starts]
    opt, torch_opt = pair(name, ours, theirs, **kwargs)
    for step in range(20):
        for k, (p, q) in enumerate(zip(ours, theirs)):
            g = rng.standard_normal(p.shape) * 10.0 ** rng.integers(-3, 3)
            p.grad, q.grad = (g, torch.tensor(g)) if has_grad[2 * step + k] else (None, None)
        opt.step()
        torch_opt.step()
        for p, q in zip(ours, theirs):
            assert gap(p.data, q) <= TOL, f"step {step + 1}: {gap(p.data, q):.3g}"
    assert_same_state(opt.state_dict(), torch_opt.state_dict())


def assert_same_state(ours: dict[str, Any], theirs: dict[str, Any], model: bool = False) -> None:
    """torch's structure: the same parameter indices with state, the same names, the same values (a model's
    weights, and so their state, transposed in torch); every hyperparameter of ours in torch's group, with
    torch's value."""
    assert set(ours) == {"state", "param_groups"} and set(ours["state"]) == set(theirs["state"])
    for i, entry in ours["state"].items():
        assert set(entry) == set(theirs["state"][i])
        for k, v in entry.items():
            if k == "step":
                assert v == theirs["state"][i][k].item()
            else:
                want = theirs["state"][i][k].numpy()
                assert gap(v, want.T if model and want.ndim == 2 else want) <= TOL, k
    (group,), (torch_group,) = ours["param_groups"], theirs["param_groups"]
    assert group["params"] == torch_group["params"]
    assert {k: v for k, v in group.items()} == {k: torch_group[k] for k in group}


def test_an_lr_written_into_param_groups_is_used_as_torchs_is() -> None:
    """opt.lr is opt.param_groups[0]["lr"]: a schedule may write either."""
    start = np.arange(3.0)
    p, q = Tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    opt, torch_opt = pair("Adam", [p], [q], lr=0.1)
    for step in range(20):
        p.grad, q.grad = np.cos(start + step), torch.cos(torch.tensor(start + step))
        opt.step()
        torch_opt.step()
        for group in (opt.param_groups[0], torch_opt.param_groups[0]):
            group["lr"] *= 0.9
        assert gap(p.data, q) <= TOL
    assert opt.lr == opt.param_groups[0]["lr"] == torch_opt.param_groups[0]["lr"]
    opt.lr = 0.5
    assert opt.param_groups[0]["lr"] == 0.5


# A model with a tied weight, trained through nn and optim --------------------------------------

X = np.random.default_rng(1).standard_normal((16, 3))
Y = np.random.default_rng(2).integers(0, 2, 16)


class Tied(nn.Module):
    """One Linear used twice (a tied weight), a head, and a scale that only even steps use."""

    def __init__(self, seed: int = 0) -> None:
        self.scale = nn.Parameter(np.full(2, 1.5))
        lin = nn.Linear(3, 3, seed=seed)
        self.body = nn.Sequential(lin, nn.Tanh(), lin, nn.Tanh(), nn.Linear(3, 2, seed=seed + 1))

    def forward(self, x: Any, step: int) -> Tensor:
        out = self.body(x)
        return out * self.scale if step % 2 == 0 else out


class TorchTied(torch.nn.Module):
    def __init__(self, model: Tied) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(model.scale.data))
        lin, head = torch.nn.Linear(3, 3).double(), torch.nn.Linear(3, 2).double()
        self.body = torch.nn.Sequential(lin, torch.nn.Tanh(), lin, torch.nn.Tanh(), head)
        with torch.no_grad():
            for (name, p), (_, q) in zip(model.named_parameters(), self.named_parameters()):
                q.copy_(torch.tensor(weight_as_torch(name, p.data)))

    def forward(self, x: Any, step: int) -> Any:
        out = self.body(x)
        return out * self.scale if step % 2 == 0 else out


def weight_as_torch(name: str, a: np.ndarray) -> np.ndarray:
    return a.T if name.endswith("weight") else a  # Linear's weight is (in, out) here, (out, in) in torch


def train(model: Any, opt: Any, steps: range, set_to_none: bool = True) -> None:
    is_torch = isinstance(model, torch.nn.Module)
    x, y = (torch.tensor(X), torch.tensor(Y)) if is_torch else (X, Y)
    loss_fn = torch.nn.functional.cross_entropy if is_torch else F.cross_entropy
    for step in steps:
        loss = loss_fn(model(x, step), y)
        opt.zero_grad(set_to_none=set_to_none)
        loss.backward()
        opt.step()


@pytest.mark.parametrize("set_to_none", [True, False], ids=["zero_grad()", "zero_grad(set_to_none=False)"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_a_model_with_a_tied_weight_trains_as_in_torch(config: str, set_to_none: bool) -> None:
    """The tied weight is listed once and updated once per step; `scale` has no gradient at odd steps: None
    (skipped) or zeros (stepped: momentum, decay and Adam's moments still move it), as in torch. Compared
    after every one of 20 steps."""
    name, kwargs = CONFIGS[config]
    model = Tied()
    twin = TorchTied(model)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in twin.named_parameters()]
    assert len(model.parameters()) == len(list(twin.parameters())) == 5
    opt, torch_opt = pair(name, model.parameters(), list(twin.parameters()), **kwargs)
    for step in range(20):
        train(model, opt, range(step, step + 1), set_to_none)
        train(twin, torch_opt, range(step, step + 1), set_to_none)
        for (n, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
            want = weight_as_torch(n, q.detach().numpy())
            assert gap(p.data, want) <= TOL, f"{n} after step {step + 1}: {gap(p.data, want):.3g}"
    assert_same_state(opt.state_dict(), torch_opt.state_dict(), model=True)


# zero_grad --------------------------------------------------------------------------------------


def test_zero_grad_sets_none_or_writes_zeros_into_the_same_array() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and not grad.any()  # torch: p.grad.zero_()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0, 3.0])  # adds onto the zeros
    opt.zero_grad()
    assert w.grad is None
    opt.zero_grad(set_to_none=False)  # no grad: nothing to zero
    assert w.grad is None


# state_dict -------------------------------------------------------------------------------------


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_a_saved_and_reloaded_run_continues_bit_for_bit(config: str) -> None:
    """Save after 8 steps (through pickle, as to a file), train on: a fresh model and optimizer, built with
    other weights and another lr, loaded from the save, take the same 12 steps to the same bits."""
    name, kwargs = CONFIGS[config]
    model = Tied(seed=0)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    train(model, opt, range(8))
    saved = pickle.dumps({"model": model.state_dict(), "opt": opt.state_dict()})
    train(model, opt, range(8, 20))

    fresh = Tied(seed=5)
    fresh_opt = getattr(optim, name)(fresh.parameters(), **{**kwargs, "lr": 0.7})
    loaded = pickle.loads(saved)
    assert fresh.load_state_dict(loaded["model"]) == ([], [])
    fresh_opt.load_state_dict(loaded["opt"])
    train(fresh, fresh_opt, range(8, 20))
    for (n, p), (_, q) in zip(model.named_parameters(), fresh.named_parameters()):
        assert same_bits(p.data, q.data), n
    a, b = opt.state_dict(), fresh_opt.state_dict()
    assert a["param_groups"] == b["param_groups"] and a["state"].keys() == b["state"].keys()
    for i, entry in a["state"].items():
        for k, v in entry.items():
            assert same_bits(v, b["state"][i][k]) if isinstance(v, np.ndarray) else v == b["state"][i][k]


def test_state_dict_has_torchs_structure_and_holds_copies() -> None:
    model = Tied()
    twin = TorchTied(model)
    opt, torch_opt = pair("Adam", model.parameters(), list(twin.parameters()), lr=0.01, amsgrad=True)
    train(model, opt, range(1))  # step 0 uses scale: every parameter has state
    train(twin, torch_opt, range(1))
    sd = opt.state_dict()
    assert_same_state(sd, torch_opt.state_dict(), model=True)
    assert not any(isinstance(v, Tensor) for entry in sd["state"].values() for v in entry.values())
    sd["state"][0]["exp_avg"][...] = 7.0  # a copy: the optimizer's own buffer is untouched
    assert not (opt.state[0]["exp_avg"] == 7.0).any()


# Bad input: torch's constructor checks, each naming the argument ---------------------------------

BAD_ARGUMENTS = [  # (optimizer, keywords, error, message, whether torch refuses it too)
    ("SGD", dict(lr=-0.1), ValueError, "SGD: lr must be >= 0, got -0.1", True),
    ("SGD", dict(lr=0.1, momentum=-0.5), ValueError, "SGD: momentum must be >= 0, got -0.5", True),
    ("SGD", dict(lr=0.1, weight_decay=-1.0), ValueError, "SGD: weight_decay must be >= 0, got -1.0", True),
    ("SGD", dict(lr=0.1, nesterov=True), ValueError,
     "SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0 and dampening=0.0", True),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.9 and dampening=0.1", True),
    ("SGD", dict(lr="0.1"), TypeError, "SGD: lr must be a number, got '0.1'", True),
    ("SGD", dict(lr=float("nan")), ValueError, "SGD: lr must be >= 0, got nan", False),
    ("SGD", dict(lr=0.1, nesterov="yes"), TypeError, "SGD: nesterov must be True or False, got 'yes'", False),
    ("Adam", dict(lr=-1.0), ValueError, "Adam: lr must be >= 0, got -1.0", True),
    ("Adam", dict(eps=-1e-8), ValueError, "Adam: eps must be >= 0, got -1e-08", True),
    ("Adam", dict(betas=(1.0, 0.999)), ValueError, r"Adam: betas\[0\] must be in \[0, 1\), got 1.0", True),
    ("Adam", dict(betas=(0.9, -0.1)), ValueError, r"Adam: betas\[1\] must be in \[0, 1\), got -0.1", True),
    ("Adam", dict(betas=0.9), TypeError, r"Adam: betas must be a pair of numbers \(beta1, beta2\), got 0.9", True),
    ("Adam", dict(weight_decay=-0.1), ValueError, "Adam: weight_decay must be >= 0, got -0.1", True),
    ("Adam", dict(amsgrad=None), TypeError, "Adam: amsgrad must be True or False, got None", False),
    ("AdamW", dict(weight_decay=-0.01), ValueError, "AdamW: weight_decay must be >= 0, got -0.01", True),
    ("AdamW", dict(betas=(0.9, 1.0)), ValueError, r"AdamW: betas\[1\] must be in \[0, 1\), got 1.0", True),
]


@pytest.mark.parametrize("name, kwargs, error, message, torch_refuses", BAD_ARGUMENTS,
                         ids=[f"{b[0]} {b[1]}" for b in BAD_ARGUMENTS])
def test_a_bad_argument_is_refused_naming_it(name: str, kwargs: dict, error: type, message: str,
                                             torch_refuses: bool) -> None:
    with pytest.raises(error, match=f"^{message}$"):
        getattr(optim, name)([Tensor(np.ones(2), requires_grad=True)], **kwargs)
    if torch_refuses:
        with pytest.raises((ValueError, TypeError)):
            getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kwargs)


def test_bad_parameter_lists_are_refused_naming_the_parameter() -> None:
    w = Tensor(np.ones(2), requires_grad=True)
    for params, error, message in [
        ([], ValueError, "SGD: got an empty parameter list"),
        (w, TypeError, r"SGD: params must be an iterable of Tensors \(model.parameters\(\), or \[w, b\]\), got one Tensor"),
        (3, TypeError, "SGD: params must be an iterable of Tensors, got a int"),
        ([w, 2.0], TypeError, "SGD: parameter 1 is a float, not a Tensor"),
        ([w * 2], ValueError, r"SGD: parameter 0 is not a leaf \(an op computed it\)"),
        ([{"params": [w]}], TypeError, r"SGD: parameter groups \(dicts\) are not supported"),
    ]:
        with pytest.raises(error, match=message):
            optim.SGD(params, lr=0.1)


def test_a_tensor_given_twice_is_an_error_where_torch_warns_and_updates_it_twice() -> None:
    """torch warns ("in future, this will cause an error", pytorch/pytorch#40967) and then steps the tensor
    twice per step: D5's double update. Here it is the error torch announces."""
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: parameter 2 is parameter 0 again: one tensor given twice would be "
                                         r"updated twice per step"):
        optim.SGD([w, Tensor(np.ones(1), requires_grad=True), w], lr=0.1)
    q = torch.ones(2, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch_opt = torch.optim.SGD([q, q], lr=0.1)
    assert any("duplicate parameters" in str(w.message) for w in caught)
    q.grad = torch.ones(2, dtype=torch.float64)
    torch_opt.step()
    assert q.tolist() == [1 - 0.1 - 0.1] * 2  # 1 - 0.1 - 0.1


# Bad input to load_state_dict: an error naming what is wrong, and nothing changed ----------------


def trained(name: str = "Adam", **kwargs: Any) -> tuple[Tied, optim.Optimizer]:
    model = Tied()
    opt = getattr(optim, name)(model.parameters(), **(kwargs or dict(lr=0.05, amsgrad=True)))
    train(model, opt, range(3))
    return model, opt


def edited(sd: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of sd with the entry at path set to value (or deleted, for DELETE)."""
    sd = pickle.loads(pickle.dumps(sd))
    *head, last = path
    where = sd
    for k in head:
        where = where[k]
    if value is DELETE:
        del where[last]
    else:
        where[last] = value
    return sd


DELETE = object()
BAD_STATES = [  # (path into Adam's state dict, new value, error, message)
    (("state",), DELETE, ValueError, "Adam.load_state_dict: the state dict lacks 'state'"),
    (("extra",), 1, ValueError, "Adam.load_state_dict: the state dict has unexpected 'extra'"),
    (("param_groups",), [], ValueError, r"param_groups must be a list of one group \(this optimizer has one\), got 0 "),
    (("param_groups", 0, "params"), [0, 1, 2, 3], ValueError,
     r"param_groups\[0\]\['params'\] must list 5 distinct parameter indices, one per parameter of this optimizer, "
     r"got \[0, 1, 2, 3\]"),
    (("param_groups", 0, "params"), [0, 1, 2, 3, 3], ValueError, "must list 5 distinct parameter indices"),
    (("param_groups", 0, "lr"), -0.5, ValueError,
     r"Adam.load_state_dict: param_groups\[0\]: Adam: lr must be >= 0, got -0.5"),
    (("param_groups", 0, "betas"), (0.9, 1.5), ValueError, r"param_groups\[0\]: Adam: betas\[1\] must be in \[0, 1\)"),
    (("param_groups", 0, "eps"), DELETE, ValueError, r"Adam.load_state_dict: param_groups\[0\] lacks 'eps': it is "
                                                    r"another optimizer's state, not Adam's"),
    (("param_groups", 0, "momentum"), 0.9, ValueError, r"param_groups\[0\] has unexpected 'momentum'"),
    (("state", 1, "exp_avg"), np.zeros((3, 3, 1)), ValueError,
     r"Adam.load_state_dict: state\[1\]\['exp_avg'\] has shape \(3, 3, 1\); its parameter has shape \(3, 3\)"),
    (("state", 1, "exp_avg_sq"), DELETE, ValueError, r"Adam.load_state_dict: state\[1\] lacks 'exp_avg_sq'"),
    (("state", 1, "momentum_buffer"), np.zeros((3, 3)), ValueError, r"state\[1\] has unexpected 'momentum_buffer'"),
    (("state", 1, "exp_avg"), np.full((3, 3), "x"), TypeError,
     r"state\[1\]\['exp_avg'\] has dtype <U1; parameter of dtype float64 needs real numbers"),
    (("state", 1, "step"), -2, ValueError, r"state\[1\]\['step'\] must be a count of steps \(an integer >= 0\), got -2"),
    (("state", 1, "step"), 2.5, ValueError, r"state\[1\]\['step'\] must be a count of steps"),
    (("state", 9), {}, ValueError, r"state has an entry for parameter 9, which param_groups\[0\]\['params'\] does not "
                                   r"list \(\[0, 1, 2, 3, 4\]\)"),
    (("state", 1), [1, 2], TypeError, r"state\[1\] must be a dict \{name: value\}, got a list"),
]


@pytest.mark.parametrize("path, value, error, message", BAD_STATES, ids=[f"{b[0]}={b[1]!r:.20}" for b in BAD_STATES])
def test_a_bad_optimizer_state_is_refused_naming_it_and_changes_nothing(path: tuple, value: Any, error: type,
                                                                       message: str) -> None:
    model, opt = trained()
    bad = edited(opt.state_dict(), path, value)
    before = opt.state_dict()
    with pytest.raises(error, match=message):
        opt.load_state_dict(bad)
    assert_unchanged(opt, before)


def assert_unchanged(opt: optim.Optimizer, before: dict[str, Any]) -> None:
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"] and after["state"].keys() == before["state"].keys()
    for i, entry in before["state"].items():
        assert entry.keys() == after["state"][i].keys()
        for k, v in entry.items():
            assert same_bits(v, after["state"][i][k]) if isinstance(v, np.ndarray) else v == after["state"][i][k]


@pytest.mark.parametrize("source, target, message", [
    ("SGD", "Adam", r"Adam.load_state_dict: param_groups\[0\] lacks 'betas', 'eps', 'amsgrad', 'decoupled_weight_decay' "
                    r"and has unexpected 'momentum', 'dampening', 'nesterov': it is another optimizer's state, not Adam's"),
    ("Adam", "SGD", r"SGD.load_state_dict: param_groups\[0\] lacks 'momentum', 'dampening', 'nesterov' and has "
                    r"unexpected 'betas', 'eps', 'amsgrad', 'decoupled_weight_decay'"),
    ("Adam", "AdamW", r"AdamW.load_state_dict: param_groups\[0\]: AdamW: decoupled_weight_decay is False: this is "
                      r"Adam's state \(AdamW's decay is decoupled\)"),
])
def test_another_optimizers_state_is_refused_and_changes_nothing(source: str, target: str, message: str) -> None:
    _, other = trained(source, lr=0.1, momentum=0.9) if source == "SGD" else trained(source, lr=0.1)
    _, opt = trained(target, lr=0.1, momentum=0.9) if target == "SGD" else trained(target, lr=0.1)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(other.state_dict())
    assert_unchanged(opt, before)


def test_a_state_dict_that_is_not_a_dict_is_refused() -> None:
    _, opt = trained()
    with pytest.raises(TypeError, match=re.escape("Adam.load_state_dict: expected the dict that state_dict() gives, "
                                                  "got a list")):
        opt.load_state_dict([1, 2])


def test_a_loaded_state_may_come_from_torch_tensors_and_takes_the_parameters_dtype() -> None:
    """torch casts a loaded state to its parameter's dtype; so does this (a float32 save into a float64 run)."""
    _, opt = trained("SGD", lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = torch.tensor(sd["state"][0]["momentum_buffer"], dtype=torch.float32)
    opt.load_state_dict(sd)
    assert opt.state[0]["momentum_buffer"].dtype == np.float64
