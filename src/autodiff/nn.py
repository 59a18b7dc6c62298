"""Layers, in `torch.nn`'s words: a Module holds Parameters and says how to compute its output from its input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import functional as F
from .core import Tensor


Seed = int | np.random.Generator | None


class Parameter(Tensor):
    """A Tensor that a Module learns: it always requires grad."""

    __slots__ = ()

    def __init__(self, data: Any) -> None:
        super().__init__(data, requires_grad=True)


class Module:
    """A model or a piece of one. Parameters and sub-Modules assigned as attributes are found by parameters()."""

    def forward(self, *args: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def __call__(self, *args: Any) -> Tensor:
        return self.forward(*args)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for this module's parameters, then its sub-modules', in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(f"{prefix}{name}.")
            elif isinstance(value, (list, tuple)):
                for i, m in enumerate(value):
                    if isinstance(m, Module):
                        yield from m.named_parameters(f"{prefix}{name}.{i}.")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


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

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):  # PyTorch's names: "0.weight", "0.bias", "2.weight", ...
            yield from layer.named_parameters(f"{prefix}{i}.")

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
