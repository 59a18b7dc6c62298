"""Optimizers, in `torch.optim`'s words and with its update rules: SGD, Adam and AdamW. step() moves each
parameter against its .grad.

Updates run in place, in buffers made once per parameter (at its first step): a step allocates nothing, so a
training loop's memory keeps one shape from step to step (no heap for glibc to hand back and fault in again).
The rest is torch's bookkeeping: the hyperparameters live in `param_groups[0]` (one group; `opt.lr` is
`opt.param_groups[0]["lr"]`, so a schedule may write either), each parameter's state in `state[i]` under
torch's names, and `state_dict()` has torch's structure, with parameters by index.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .core import Tensor, no_grad


class Hyperparameter:
    """An optimizer's setting, kept where torch keeps it: opt.lr reads and writes opt.param_groups[0]["lr"]."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, opt: Optimizer | None, owner: type | None = None) -> Any:
        return self if opt is None else opt.param_groups[0][self.name]

    def __set__(self, opt: Optimizer, value: Any) -> None:
        opt.param_groups[0][self.name] = value


class Optimizer:
    """Moves each parameter against its gradient: step() subtracts update(i, grad), which a subclass defines.

    state[i] is parameter i's state, made at its first step (torch's names: `state_names`, of which
    `optional_state` may be missing); scratch[i] holds the arrays its updates are computed in."""

    lr = Hyperparameter()
    weight_decay = Hyperparameter()
    state_names: tuple[str, ...] = ()
    optional_state: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor], **hyperparameters: Any) -> None:
        self.params = checked_params(type(self).__name__, params)
        self.param_groups = [{**self.checked(hyperparameters), "params": self.params}]
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.scratch: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: every .grad set to None (torch's default), or its array filled with zeros
        (set_to_none=False; the optimizer then steps with a zero gradient where backward gives none)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    @no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is not None:
                p.sub_(self.update(i, p.grad))

    def update(self, i: int, grad: np.ndarray) -> np.ndarray:
        """How far parameter i moves (downhill) given its gradient."""
        raise NotImplementedError

    def checked(self, hyperparameters: dict[str, Any]) -> dict[str, Any]:
        """The hyperparameters, checked as torch's constructor checks them; an error names the argument."""
        return dict(hyperparameters)

    # Bookkeeping: the arrays an update is computed in --------------------------------------------

    def buffer(self, i: int, name: str) -> np.ndarray:
        """Parameter i's scratch array `name`: made at its first use, reused by every later step."""
        scratch = self.scratch[i]
        if name not in scratch:
            scratch[name] = np.empty_like(self.params[i].data)
        return scratch[name]

    def gradient(self, i: int, grad: np.ndarray) -> np.ndarray:
        """The gradient the rule uses: grad, plus weight_decay·p with L2 decay (torch's SGD and Adam), in a
        buffer of its own (p.grad stays as backward left it)."""
        wd = self.param_groups[0].get("weight_decay", 0)
        if not wd or self.param_groups[0].get("decoupled_weight_decay"):
            return grad
        g = np.multiply(self.params[i].data, wd, out=self.buffer(i, "decay"))
        g += grad
        return g

    # state_dict: torch's structure, parameters by index -------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """{"state": {i: {name: value}} for each parameter that has taken a step, "param_groups":
        [{hyperparameter: value, ..., "params": [0, 1, ...]}]}: torch's structure, with no parameter objects
        in it. The arrays are copies (torch gives references, which torch.save then copies)."""
        return {
            "state": {i: {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in s.items()}
                      for i, s in enumerate(self.state) if s},
            "param_groups": [{**self.hyperparameters(), "params": list(range(len(self.params)))}],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Take the hyperparameters and state that state_dict() gave, by parameter index (the same parameters,
        in the same order). Everything is checked first: a load that fails changes nothing."""
        hyperparameters, state = self.loadable(state_dict)
        self.param_groups[0].update(hyperparameters)
        self.state = state

    def hyperparameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.param_groups[0].items() if k != "params"}

    def loadable(self, sd: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """sd's hyperparameters and per-parameter state, checked and copied; an error names what is wrong."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(sd, Mapping):
            raise TypeError(f"{who}: expected the dict that state_dict() gives, got a {type(sd).__name__}")
        _same_keys(who, "the state dict", sd, ["state", "param_groups"])
        hyperparameters, ids = self.loadable_group(who, sd["param_groups"])
        saved = sd["state"]
        if not isinstance(saved, Mapping):
            raise TypeError(f"{who}: state must be a dict {{parameter index: {{name: value}}}}, "
                            f"got a {type(saved).__name__}")
        position = {int(k): j for j, k in enumerate(ids)}
        state: list[dict[str, Any]] = [{} for _ in self.params]
        for key, entry in saved.items():
            if not _is_index(key) or int(key) not in position:
                raise ValueError(f"{who}: state has an entry for parameter {key!r}, which param_groups[0]['params'] "
                                 f"does not list ({list(ids)})")
            j = position[int(key)]
            state[j] = self.loadable_entry(who, f"state[{key!r}]", entry, self.params[j])
        return hyperparameters, state

    def loadable_group(self, who: str, groups: Any) -> tuple[dict[str, Any], list[int]]:
        """The one parameter group's hyperparameters, checked as the constructor checks them, and its
        parameter indices (one per parameter, in order)."""
        if not isinstance(groups, (list, tuple)) or len(groups) != 1 or not isinstance(groups[0], Mapping):
            n = f"{len(groups)} parameter groups" if isinstance(groups, (list, tuple)) else f"a {type(groups).__name__}"
            raise ValueError(f"{who}: param_groups must be a list of one group (this optimizer has one), got {n}")
        group = groups[0]
        _same_keys(who, "param_groups[0]", group, [*self.hyperparameters(), "params"],
                   f": it is another optimizer's state, not {type(self).__name__}'s")
        ids = group["params"]
        if (not isinstance(ids, (list, tuple)) or not all(_is_index(k) for k in ids) or len(set(ids)) != len(ids)
                or len(ids) != len(self.params)):
            raise ValueError(f"{who}: param_groups[0]['params'] must list {len(self.params)} distinct parameter "
                             f"indices, one per parameter of this optimizer, got {ids!r}")
        try:
            return self.checked({k: v for k, v in group.items() if k != "params"}), list(ids)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{who}: param_groups[0]: {err}") from err

    def loadable_entry(self, who: str, where: str, entry: Any, p: Tensor) -> dict[str, Any]:
        """One parameter's saved state, checked against p and copied in p's dtype ("step" an integer); an
        empty one is no state (the parameter has not stepped)."""
        if not isinstance(entry, Mapping):
            raise TypeError(f"{who}: {where} must be a dict {{name: value}}, got a {type(entry).__name__}")
        if not entry:
            return {}
        required = [k for k in self.state_names if k not in self.optional_state]
        _same_keys(who, where, entry, required, optional=self.optional_state)
        return {k: _step_count(f"{who}: {where}", k, v) if k == "step" else _array_like(f"{who}: {where}[{k!r}]", v, p)
                for k, v in entry.items()}


def lerp(a: np.ndarray, b: np.ndarray, w: float, out: np.ndarray) -> np.ndarray:
    """a ← a + w·(b − a), in place (out: scratch), rounded as torch's lerp: from b's end when w ≥ 0.5, so
    that w = 1 gives b exactly."""
    np.subtract(b, a, out=out)
    if w < 0.5:
        a += np.multiply(out, w, out=out)
    else:
        np.subtract(b, np.multiply(out, 1 - w, out=out), out=a)
    return a


def _is_index(k: Any) -> bool:
    return isinstance(k, numbers.Integral) and not isinstance(k, (bool, np.bool_))


def checked_params(who: str, params: Any) -> list[Tensor]:
    """params as a list of distinct leaf Tensors; an error says what is wrong with which."""
    if isinstance(params, (Tensor, np.ndarray)):
        raise TypeError(f"{who}: params must be an iterable of Tensors (model.parameters(), or [w, b]), "
                        f"got one {type(params).__name__}")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{who}: params must be an iterable of Tensors, got a {type(params).__name__}") from None
    if not params:
        raise ValueError(f"{who}: got an empty parameter list")
    seen: dict[int, int] = {}
    for k, p in enumerate(params):
        if isinstance(p, Mapping):
            raise TypeError(f"{who}: parameter groups (dicts) are not supported: pass one iterable of Tensors")
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: parameter {k} is a {type(p).__name__}, not a Tensor")
        if not p.is_leaf:
            raise ValueError(f"{who}: parameter {k} is not a leaf (an op computed it): an optimizer moves the "
                             "leaves that it was computed from")
        if id(p) in seen:
            raise ValueError(f"{who}: parameter {k} is parameter {seen[id(p)]} again: one tensor given twice would "
                             "be updated twice per step. Pass each once (model.parameters() lists a tied weight once); "
                             "torch warns here and will make it an error (pytorch/pytorch#40967)")
        seen[id(p)] = k
    return params


def _same_keys(who: str, what: str, given: Mapping[str, Any], keys: list[str], why: str = "",
               optional: tuple[str, ...] = ()) -> None:
    missing = [k for k in keys if k not in given]
    unexpected = [k for k in given if k not in keys and k not in optional]
    if missing or unexpected:
        parts = ([f"lacks {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"has unexpected {', '.join(map(repr, unexpected))}"] if unexpected else [])
        raise ValueError(f"{who}: {what} {' and '.join(parts)}{why}")


def _step_count(where: str, key: str, value: Any) -> int:
    try:
        step = np.asarray(value).item()
    except (TypeError, ValueError, RuntimeError):
        step = value
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or step != int(step) or step < 0:
        raise ValueError(f"{where}[{key!r}] must be a count of steps (an integer >= 0), got {value!r}")
    return int(step)


def _array_like(where: str, value: Any, p: Tensor) -> np.ndarray:
    """value as a new array in p's dtype (as torch casts a loaded state to its parameter's dtype), if its
    shape is p's and its dtype a real number's."""
    try:
        a = np.asarray(value.data if isinstance(value, Tensor) else value)
    except Exception as err:  # noqa: BLE001 (a ragged list, a tensor that requires grad, ...)
        raise TypeError(f"{where} is not an array: {err}") from err
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{where} has dtype {a.dtype}; parameter of dtype {p.dtype} needs real numbers")
    if a.shape != p.shape:
        raise ValueError(f"{where} has shape {a.shape}; its parameter has shape {p.shape}")
    return np.array(a, dtype=p.dtype, order="C")


def _number(who: str, key: str, value: Any, low: float = 0.0, high: float | None = None) -> Any:
    """value if it is a real number in [low, high) ([low, ∞) without high); else an error naming key."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {key} must be a number, got {value!r}")
    if not (value >= low and (high is None or value < high)):
        raise ValueError(f"{who}: {key} must be {f'in [{low:g}, {high:g})' if high is not None else f'>= {low:g}'}, "
                         f"got {value!r}")
    return value


def _flag(who: str, key: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {key} must be True or False, got {value!r}")
    return bool(value)


class SGD(Optimizer):
    """torch.optim.SGD: gradient descent, with momentum (heavy ball or Nesterov's), dampening and weight decay."""

    momentum = Hyperparameter()
    dampening = Hyperparameter()
    nesterov = Hyperparameter()
    state_names = ("momentum_buffer",)

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov)

    def update(self, i: int, grad: np.ndarray) -> np.ndarray:
        """g = grad + weight_decay·p;  b ← momentum·b + (1 − dampening)·g (b = g at the first step);
        p moves by lr·g without momentum, lr·b with it, lr·(g + momentum·b) with nesterov."""
        g, s = self.gradient(i, grad), self.buffer(i, "update")
        if self.momentum:
            b = self.velocity(i, g)
            g = np.add(np.multiply(b, self.momentum, out=s), g, out=s) if self.nesterov else b
        return np.multiply(g, self.lr, out=s)

    def velocity(self, i: int, g: np.ndarray) -> np.ndarray:
        """Parameter i's momentum buffer b, advanced by g: b ← momentum·b + (1 − dampening)·g, or b = g at
        its first step (undamped, as torch)."""
        state = self.state[i]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = np.array(g, dtype=self.params[i].dtype)
            return state["momentum_buffer"]
        b = state["momentum_buffer"]
        b *= self.momentum
        b += np.multiply(g, 1 - self.dampening, out=self.buffer(i, "update")) if self.dampening else g
        return b

    def checked(self, h: dict[str, Any]) -> dict[str, Any]:
        who = type(self).__name__
        for key in ("lr", "momentum", "weight_decay"):
            _number(who, key, h[key])
        _number(who, "dampening", h["dampening"], low=-np.inf)
        if _flag(who, "nesterov", h["nesterov"]) and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError(f"{who}: nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                             f"{h['momentum']!r} and dampening={h['dampening']!r}")
        return dict(h)


class Adam(Optimizer):
    """torch.optim.Adam: running means of g and g², unbiased, give each parameter its own step size."""

    betas = Hyperparameter()
    eps = Hyperparameter()
    amsgrad = Hyperparameter()
    decoupled_weight_decay = Hyperparameter()
    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    optional_state = ("max_exp_avg_sq",)  # made, zero, at the first step with amsgrad

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         decoupled_weight_decay=decoupled_weight_decay)

    def update(self, i: int, grad: np.ndarray) -> np.ndarray:
        """m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g² at step t; p moves by lr·m̂ / (√v̂ + eps), where
        m̂ = m / (1 − β₁ᵗ) and v̂ = v / (1 − β₂ᵗ). g = grad + weight_decay·p (Adam's L2 decay); amsgrad takes
        the largest v so far; AdamW's decoupled decay adds lr·weight_decay·p to the move instead."""
        (b1, b2), s = self.betas, self.buffer(i, "update")
        g, (t, m, v) = self.gradient(i, grad), self.moments(i)
        lerp(m, g, 1 - b1, out=s)  # m ← m + (1 - b1)(g - m)
        v *= b2
        v += np.multiply(np.multiply(g, g, out=s), 1 - b2, out=s)  # v ← b2 v + (1 - b2) g²
        np.sqrt(self.largest(i, v), out=s)  # √v, or √(largest v) with amsgrad
        s /= (1 - b2**t) ** 0.5
        s += self.eps  # √v̂ + eps
        np.divide(m, s, out=s)
        s *= self.lr / (1 - b1**t)  # lr m̂ / (√v̂ + eps)
        return self.decoupled(i, s)

    def moments(self, i: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Count parameter i's step; its count t and moments m, v (zero before its first step)."""
        state = self.state[i]
        if not state:
            p = self.params[i].data
            state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
        state["step"] += 1
        return state["step"], state["exp_avg"], state["exp_avg_sq"]

    def largest(self, i: int, v: np.ndarray) -> np.ndarray:
        """v, or with amsgrad the largest v of each entry so far (state "max_exp_avg_sq")."""
        if not self.amsgrad:
            return v
        state = self.state[i]
        if "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(v)
        return np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])

    def decoupled(self, i: int, s: np.ndarray) -> np.ndarray:
        """s, plus lr·weight_decay·p with decoupled weight decay (AdamW's: p shrinks apart from the step)."""
        if not (self.decoupled_weight_decay and self.weight_decay):
            return s
        s += np.multiply(self.params[i].data, self.lr * self.weight_decay, out=self.buffer(i, "decay"))
        return s

    def checked(self, h: dict[str, Any]) -> dict[str, Any]:
        who = type(self).__name__
        for key in ("lr", "eps", "weight_decay"):
            _number(who, key, h[key])
        betas = h["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{who}: betas must be a pair of numbers (beta1, beta2), got {betas!r}")
        for k, beta in enumerate(betas):
            _number(who, f"betas[{k}]", beta, 0.0, 1.0)
        _flag(who, "amsgrad", h["amsgrad"])
        _flag(who, "decoupled_weight_decay", h["decoupled_weight_decay"])
        return {**h, "betas": tuple(betas)}


class AdamW(Adam):
    """torch.optim.AdamW: Adam whose weight decay is decoupled from the gradient, p ← p − lr·weight_decay·p."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)

    def checked(self, h: dict[str, Any]) -> dict[str, Any]:
        if not h["decoupled_weight_decay"]:
            raise ValueError(f"{type(self).__name__}: decoupled_weight_decay is {h['decoupled_weight_decay']!r}: "
                             "this is Adam's state (AdamW's decay is decoupled)")
        return super().checked(h)
