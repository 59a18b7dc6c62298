"""Layers, in `torch.nn`'s words: a Module holds Parameters and says how to compute its output from its input."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from . import functional as F
from .core import Tensor, no_grad


Seed = int | np.random.Generator | None


class Parameter(Tensor):
    """A Tensor that a Module learns: it always requires grad."""

    __slots__ = ()

    def __init__(self, data: Any) -> None:
        super().__init__(data, requires_grad=True)


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(strict=False) skipped: names the model has and the state dict lacks, and the reverse."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """A model or a piece of one. Parameters and sub-Modules assigned as attributes (or in a list or tuple
    attribute) are found by parameters(), as torch registers them."""

    def forward(self, *args: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def __call__(self, *args: Any) -> Tensor:
        return self.forward(*args)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, sub-module) for each Module attribute, and each Module in a list or tuple attribute ("name.0")."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, m in enumerate(value):
                    if isinstance(m, Module):
                        yield f"{name}.{i}", m

    def named_parameters(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter): this module's own, in assignment order, then each sub-module's, as torch
        orders them. A Parameter used in two places (tied weights) comes once, under the first name found,
        unless remove_duplicate=False."""
        seen: set[int] = set()
        for name, p in self._every_parameter(prefix):
            if not remove_duplicate or id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _every_parameter(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._every_parameter(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every Parameter once: what an optimizer takes (a tied weight is updated once per step)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Every parameter's .grad set to None, or its array filled with zeros (set_to_none=False), as torch."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: a copy of the parameter's array}, a tied parameter under each of its names (as torch,
        whose values share the parameters' memory: torch.save copies them)."""
        return {name: p.data.copy() for name, p in self.named_parameters(remove_duplicate=False)}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy each named array into its parameter, in place (an optimizer keeps its hold on them). strict:
        the names must be exactly the model's. Everything is checked first: a load that fails changes nothing;
        the error lists every problem, naming the key, the shapes, the dtypes (torch's words)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = dict(self.named_parameters(remove_duplicate=False))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append(f"Missing key(s) in state_dict: {', '.join(map(repr, missing))}.")
        if strict and unexpected:
            errors.append(f"Unexpected key(s) in state_dict: {', '.join(map(repr, unexpected))}.")
        values: dict[int, tuple[str, Parameter, np.ndarray]] = {}
        for name, p in own.items():
            if name in state_dict:
                value, problem = _loadable(name, state_dict[name], p)
                first = values.get(id(p))
                if problem is None and first is not None and not np.array_equal(first[2], value, equal_nan=True):
                    problem = (f"{first[0]} and {name} are one parameter (tied), but the state dict gives them "
                               "different values.")
                if problem is not None:
                    errors.append(problem)
                elif first is None:
                    values[id(p)] = name, p, value
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        with no_grad():
            for _, p, value in values.values():
                p.copy_(value)  # in place: a graph that saved p's array refuses to backpropagate, as after a step
        return IncompatibleKeys(missing, unexpected)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _loadable(name: str, value: Any, p: Parameter) -> tuple[Any, str | None]:
    """value as an array to copy into p, or why it cannot be."""
    try:
        a = np.asarray(value.data if isinstance(value, Tensor) else value)
    except Exception as err:  # noqa: BLE001 (a ragged list, a tensor that requires grad, ...)
        return None, f"{name} is not an array: {err}"
    if not np.can_cast(a.dtype, p.dtype, "same_kind"):
        return None, f"dtype mismatch for {name}: cannot copy {a.dtype} from checkpoint into the {p.dtype} parameter."
    if a.shape != p.shape:
        return None, (f"size mismatch for {name}: copying a param with shape {a.shape} from checkpoint, the shape in "
                      f"current model is {p.shape}.")
    return a, None


class Linear(Module):
    """out = x @ weight + bias;  weight is (in, out): PyTorch stores its transpose."""

    def __init__(self, in_features: int, out_features: int, seed: Seed = None) -> None:
        bound = 1 / np.sqrt(in_features)  # PyTorch's default: uniform in ±1/√fan_in
        rng = np.random.default_rng(seed)
        self.weight = Parameter(rng.uniform(-bound, bound, (in_features, out_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features))

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        in_features, out_features = self.weight.shape
        return f"Linear({in_features}, {out_features})"


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sequential(Module):
    """Apply the modules one after the other."""

    def __init__(self, *modules: Module) -> None:
        self.layers = list(modules)

    def forward(self, x: Any) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((str(i), layer) for i, layer in enumerate(self.layers))  # torch's names: "0.weight", "2.weight", ...

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.layers))})"


class MLP(Sequential):
    """Linear layers of the given sizes, with an activation between them (none after the last)."""

    def __init__(self, sizes: list[int], activation: str = "relu", seed: int | None = 0) -> None:
        activations = {"relu": ReLU, "tanh": Tanh}
        if activation not in activations:
            raise ValueError(f"MLP: activation must be one of {sorted(activations)}, got {activation!r}")
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        rng = np.random.default_rng(seed)
        layers: list[Module] = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [Linear(n_in, n_out, seed=rng), activations[activation]()]
        super().__init__(*layers[:-1])
