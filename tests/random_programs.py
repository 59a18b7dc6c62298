"""Random programs for the differential test against PyTorch (tests/test_differential.py).

A program is straight-line code over leaves x0, x1, ... (float64 inputs that require grad): each
step applies one op of `autodiff.ops.REGISTRY`, through one of its public entry points, to earlier
values (reused freely: fan-out) or to fresh leaves and constants, and a last step folds every value
that nothing else used into a scalar, `loss`. `Program.source()` is that code twice, as `ours`
(autodiff) and `theirs` (torch), with its inputs: the test runs exactly this text, and prints it
when the two disagree.

TABLE has one entry per registered op: how to call it in autodiff, how in torch, and its domain.
While hypothesis draws a program, each step is evaluated (in torch), so an op takes an earlier
value only where that value lies in its domain (positive for log; away from a kink, a pole or a
tie where the derivative jumps), and otherwise a fresh leaf drawn inside it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from hypothesis import event, reject
from hypothesis import strategies as st

MARGIN = 1e-3  # how far an op's input stays from a kink or a tie: far above the two libraries' rounding
BOUND = 100.0  # how large an op's input may be: values stay finite, derivatives tame
SIDES = (1, 2, 3, 2, 3, 1, 2, 3, 2, 0)  # a side shrinks to 1; an empty axis one time in ten
SMALL_SIDES = (1, 2)

Shape = tuple[int, ...]
Form = tuple[str, str]  # (autodiff template, torch template): {0}, {1}... the operands; {0:t} in torch wraps a scalar


# Domains -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Where an op's argument may lie: within [lo, hi], at least `gap` from each point of `away`
    (a kink or a pole), and passing `test` (no near-ties, for max and maximum)."""

    lo: float = -BOUND
    hi: float = BOUND
    away: tuple[float, ...] = ()
    gap: float = MARGIN
    test: Callable[[np.ndarray], bool] | None = None

    def holds(self, v: np.ndarray) -> bool:
        return bool(
            v.dtype == np.float64 and np.isfinite(v).all() and (v >= self.lo).all() and (v <= self.hi).all()
            and all((np.abs(v - p) >= self.gap).all() for p in self.away)
            and (self.test is None or self.test(v))
        )

    def sample(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        """Values in the domain, rounded to two decimals (short in a printed program)."""
        lo, hi = max(self.lo, -2.0), min(self.hi, 2.0)
        step = np.ceil(self.gap * 100 + 1) / 100  # a push off a kink that survives rounding
        for _ in range(20):
            v = np.round(rng.uniform(lo, hi, shape), 2)
            for p in self.away:
                v = np.where(np.abs(v - p) < self.gap, np.round(p + np.where(v >= p, step, -step), 2), v)
            if self.holds(v):
                return np.asarray(v)
        reject()  # a rare draw: the next example is drawn instead


ANY = Domain()
POSITIVE = Domain(lo=0.2)  # log, sqrt: their derivatives stay below 5
NONZERO = Domain(away=(0.0,), gap=0.25)  # a denominator: 1/y stays below 4


def apart_from(other: np.ndarray) -> Callable[[np.ndarray], bool]:
    """maximum(x, y)'s second argument: no entry within MARGIN of the entry of x it meets."""
    return lambda v: bool((np.abs(v - other) >= MARGIN).all())


def unique_extreme(axis: Any, sign: float) -> Callable[[np.ndarray], bool]:
    """max (sign 1) or min (-1) along axis: the winner leads the runner-up by MARGIN."""

    def test(v: np.ndarray) -> bool:
        if not v.ndim:
            return True
        axes = tuple(range(v.ndim)) if axis is None else np.atleast_1d(axis) % max(v.ndim, 1)
        groups = np.moveaxis(sign * v, tuple(axes), tuple(range(-len(axes), 0))).reshape(-1, _count(v.shape, axis))
        top = np.sort(groups, axis=1)[:, -2:]
        return bool(top.shape[1] < 2 or (top[:, 1] - top[:, 0] >= MARGIN).all())

    return test


def _count(shape: Shape, axis: Any) -> int:
    """How many entries a reduction over axis takes into each result."""
    if not shape:
        return 1
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    return int(np.prod([shape[a] for a in axes]))


# Values in a program ---------------------------------------------------------------------------


@dataclass
class Arg:
    """An operand as each library's source spells it: a name, or a constant written inline."""

    ad: str
    torch: str
    value: np.ndarray  # its value (for shapes and domains)
    tensor: str = ""  # torch's spelling where a Tensor is required (torch.maximum(x, 0.5) is an error)

    def __format__(self, spec: str) -> str:
        return (self.tensor or self.torch) if spec == "t" else self.torch

    @property
    def shape(self) -> Shape:
        return self.value.shape


@dataclass(repr=False)
class Program:
    """A drawn program: its leaves, constants, steps and the directions the checks differentiate along."""

    inputs: list[np.ndarray]
    constants: list[tuple[str, str, str]]  # name, autodiff source, torch source
    steps: list[tuple[str, str, str]]  # name, autodiff expression, torch expression
    tangents: list[np.ndarray]  # forward mode: where each input moves
    directions: list[np.ndarray]  # second order: the v of H v

    def source(self) -> str:
        """The program as a Python script defining ours(x0, ...), theirs(x0, ...) and their inputs."""
        args = ", ".join(f"x{i}" for i in range(len(self.inputs)))
        out = ", ".join(f'"{name}": {name}' for name, _, _ in self.steps)

        def body(lib: int) -> str:
            lines = [f"{name} = {c[lib]}" for name, *c in self.constants] + [f"{name} = {s[lib]}" for name, *s in self.steps]
            return textwrap.indent("\n".join(lines + [f"return {{{out}}}"]), "    ")

        return "\n".join([
            HEADER, "", "", f"def ours({args}):", body(0), "", "", f"def theirs({args}):", body(1), "", "",
            f"inputs = {_arrays(self.inputs)}",
            f"tangents = {_arrays(self.tangents)}  # forward mode: the direction each input moves in",
            f"directions = {_arrays(self.directions)}  # second order: the v of H v",
        ])

    __repr__ = source

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.source())  # hypothesis prints the (shrunk) program as its source


# A scalar constant's spellings: in autodiff; in torch next to an operator; in torch as a Tensor.
SCALARS = {
    "float": ("{0!r}", "{0!r}", "torch.tensor({0!r}, dtype=torch.float64)"),
    "np.float64": ("np.float64({0!r})", "{0!r}", "torch.tensor({0!r}, dtype=torch.float64)"),
    "np.float32": ("np.float32({0!r})", "{0!r}", "torch.tensor({0!r})"),  # a Python float in torch: the same tier
    "0-d": ("np.array({0!r})", "torch.tensor({0!r}, dtype=torch.float64)", ""),
    "0-d float32": ("np.array({0!r}, dtype=np.float32)", "torch.tensor({0!r}, dtype=torch.float32)", ""),
    "0-d Tensor": ("Tensor({0!r})", "torch.tensor({0!r}, dtype=torch.float64)", ""),
    "int": ("{0!r}", "{0!r}", "torch.tensor({0!r})"),
    "np.int64": ("np.int64({0!r})", "{0!r}", "torch.tensor({0!r})"),
    "0-d int": ("np.array({0!r})", "torch.tensor({0!r})", ""),
}
ARRAYS = ("array", "Tensor", "int array")

HEADER = """\
import numpy as np
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as TF

import autodiff as ad
import autodiff.forward as adf
import autodiff.functional as F
from autodiff import Tensor
from autodiff.ops import Alias, ScatterAdd"""


def _array(a: np.ndarray, lib: str = "np") -> str:
    """An array as source: np.array([...]) (or torch.tensor), exact, since values have few digits."""
    if lib == "np":
        return f"np.array({a.tolist()!r})" if a.size else f"np.zeros({a.shape}, dtype=np.{a.dtype})"
    if a.size:
        return f"torch.tensor({a.tolist()!r}{_torch_dtype(a)})"
    return f"torch.zeros({a.shape}, dtype=torch.{a.dtype})"


def _torch_dtype(a: np.ndarray) -> str:
    """The dtype argument torch.tensor needs to give a's dtype (it makes float32 of Python floats)."""
    return f", dtype=torch.{a.dtype}" if a.dtype.kind == "f" else ""


def _arrays(arrays: list[np.ndarray]) -> str:
    return "[" + ", ".join(_array(a) for a in arrays) + "]"


# Drawing a program ------------------------------------------------------------------------------


class Builder:
    """The program being drawn: hypothesis' draw, the values so far (in torch) and their sources."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], sides: Sequence[int]) -> None:
        self.draw, self.sides = draw, st.sampled_from(sides)
        self.inputs: list[np.ndarray] = []
        self.constants: list[tuple[str, str, str]] = []
        self.steps: list[tuple[str, str, str]] = []
        self.env: dict[str, Any] = {"torch": torch, "TF": torch.nn.functional}
        self.live: list[str] = []  # leaves and steps: what an op may take as an operand
        self.used: set[str] = set()

    def value(self, name: str) -> np.ndarray:
        return self.env[name].numpy()

    def shape(self, min_dims: int = 0, max_dims: int = 3) -> Shape:
        return tuple(self.draw(st.lists(self.sides, min_size=min_dims, max_size=max_dims)))

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.draw(st.integers(0, 2**32 - 1)))

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def operand(self, domain: Domain = ANY, fits: Callable[[Shape], bool] = lambda s: True,
                shape: Callable[[], Shape] | None = None, constant: str = "") -> Arg:
        """An earlier value that fits and lies in the domain, or a fresh leaf (or, when `constant`
        names the kinds allowed, a constant) drawn inside it. Fresh ones are what it shrinks to."""
        names = [n for n in reversed(self.live) if fits(self.env[n].shape) and domain.holds(self.value(n))]
        fresh = not names or not self.draw(st.integers(0, 3))  # reuse three times in four: fan-out
        choice = self.pick(["leaf", *(["constant"] if constant else [])]) if fresh else self.pick(names)
        if choice == "constant":
            return self.constant(domain, (shape or self.shape)(), constant)
        if choice == "leaf":
            choice = f"x{len(self.inputs)}"
            self.inputs.append(domain.sample(self.rng(), (shape or self.shape)()))
            self.env[choice] = torch.tensor(self.inputs[-1])
            self.live.append(choice)
        self.used.add(choice)
        return Arg(choice, choice, self.value(choice))

    def constant(self, domain: Domain, shape: Shape, kinds: str) -> Arg:
        """A constant in one of autodiff's forms: a Python or NumPy scalar, a 0-d or n-d array, a
        constant Tensor, integers too where `kinds` has "i". Floats are float64, except 0-d ones in
        float32, which PyTorch's promotion lets a float64 operand outrank: every value stays float64."""
        forms = list(SCALARS if not shape else ARRAYS)
        form = self.pick([f for f in forms if "int" not in f or "i" in kinds])
        v = domain.sample(self.rng(), shape)
        if "int" in form or "32" in form:
            exact = np.round(v) if "int" in form else np.round(v * 8) / 8  # float32 holds eighths exactly
            form, v = (form, exact) if domain.holds(exact) else ("float" if not shape else "array", v)
        if form in ("array", "Tensor", "int array"):
            value = v.astype(np.int64) if form == "int array" else v
            ad = f"Tensor({value.tolist()!r})" if form == "Tensor" and value.size else _array(value)
            return self.named(ad, _array(value, "torch"), value)
        x = int(v) if "int" in form else float(v)
        ad, th, tensor = SCALARS[form]
        value = np.asarray(x, np.float32 if "32" in form else None)
        return Arg(ad.format(x), th.format(x), value, tensor.format(x))

    def named(self, ad: str, th: str, value: np.ndarray) -> Arg:
        """A constant defined by a line of its own (cN = ...) at the top of the program."""
        name = f"c{len(self.constants)}"
        self.constants.append((name, ad, th))
        self.env[name] = eval(th, self.env)  # noqa: S307 (source this module wrote)
        return Arg(name, name, value)

    def emit(self, op: str, ad: str, th: str) -> None:
        name = f"v{len(self.steps)}"
        with torch.no_grad():
            self.env[name] = eval(th, self.env)  # noqa: S307
        self.steps.append((name, ad, th))
        self.live.append(name)
        event(op)  # hypothesis' statistics count the programs each op is in

    def finish(self) -> Program:
        """Fold every value nothing used into `loss`, mostly as ⟨v, c⟩ with a random c: a random cotangent."""
        terms = []
        for name, _, _ in self.steps:
            if name in self.used:
                continue
            v = self.value(name)
            forms = ["dot", "sum"] + (["mean", "mse"] if v.size else [])
            form = self.pick(forms)
            if form in ("dot", "mse"):
                c = self.constant(ANY, v.shape, "")
                terms.append((f"({name} * {c.ad}).sum()", f"({name} * {c.torch}).sum()") if form == "dot"
                             else (f"F.mse_loss({name}, {c.ad})", f"TF.mse_loss({name}, {c:t})"))
            else:
                terms.append((f"{name}.{form}()", f"{name}.{form}()"))
        self.steps.append(("loss", " + ".join(t[0] for t in terms), " + ".join(t[1] for t in terms)))
        rng = self.rng()
        directions = [[np.asarray(np.round(rng.uniform(-1, 1, x.shape), 2)) for x in self.inputs] for _ in "tv"]
        return Program(self.inputs, self.constants, self.steps, *directions)


@st.composite
def programs(draw: Callable[[st.SearchStrategy[Any]], Any], min_ops: int = 3, max_ops: int = 12,
             sides: Sequence[int] = SIDES, require: str | None = None) -> Program:
    """A random program of min_ops to max_ops ops from TABLE (with `require` among them), ending in a scalar."""
    ops = draw(st.lists(st.sampled_from(sorted(TABLE)), min_size=min_ops, max_size=max_ops))
    if require is not None and require not in ops:
        ops.insert(draw(st.integers(0, len(ops))), require)
    b = Builder(draw, sides)
    for op in ops:
        b.emit(op, *TABLE[op](b))
    return b.finish()


# Shapes -------------------------------------------------------------------------------------------


def broadcasts(a: Shape, b: Shape) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def partner(b: Builder, s: Shape) -> Shape:
    """A shape that broadcasts with s: some trailing axes of s, each kept or 1 (or stretched from 1),
    maybe one more leading axis. Shrinks to () (a scalar)."""
    keep = b.draw(st.integers(0, len(s)))
    tail = [b.pick([n, 1]) if n != 1 else b.draw(b.sides) for n in s[len(s) - keep:]]
    lead = b.shape(0, 1) if keep == len(s) and len(s) < 3 else ()
    return (*lead, *tail)


# The table: how each registered op is called in both libraries, and its domain ----------------------


def unary(forms: list[Form], domain: Domain = ANY) -> Callable[[Builder], Form]:
    """f(x) for any shape of x in the domain."""

    def build(b: Builder) -> Form:
        x = b.operand(domain)
        ad, th = b.pick(forms)
        return ad.format(x.ad), th.format(x)

    return build


def pair(b: Builder, domains: tuple[Domain, Domain] = (ANY, ANY), apart: bool = False) -> tuple[Arg, Arg]:
    """x and y of broadcastable shapes: one an earlier value or a leaf, the other also a constant of
    any kind, on either side (2 - x runs Tensor.__rsub__); `apart`: no ties between x and y."""
    first = b.pick([0, 1])
    x = b.operand(domains[first])
    domain = replace(domains[1 - first], test=apart_from(x.value)) if apart else domains[1 - first]
    y = b.operand(domain, lambda s: broadcasts(s, x.shape), lambda: partner(b, x.shape), constant="fi")
    return (x, y) if first == 0 else (y, x)


def binary(forms: list[Form], domains: tuple[Domain, Domain] = (ANY, ANY), apart: bool = False) -> Callable[[Builder], Form]:
    """f(x, y), as pair() draws them."""

    def build(b: Builder) -> Form:
        args = pair(b, domains, apart)
        ad, th = b.pick(forms)
        return ad.format(*(a.ad for a in args)), th.format(*args)

    return build


def integer_power(b: Builder) -> Form:
    """x ** k for a constant integer k: any base for k > 0, one away from 0 for k < 0."""
    k = b.pick([2, 3, -1, -2])
    x = b.operand(ANY if k > 0 else NONZERO)
    ad, th = b.pick([(repr(k), repr(k)), (f"np.int64({k})", repr(k)), (f"np.array({k})", f"torch.tensor({k})")])
    return f"{x.ad} ** {ad}", f"{x.torch} ** {th}"


def power(b: Builder) -> Form:
    """x ** y: a positive base and a bounded exponent (either may be the constant), or an integer power.
    The exponent stays away from 0: there torch masks dz/dx to 0, so its d²z/dx dy is 0 where the true
    one, which autodiff gives, is 1/x (tests/test_semantics.py)."""
    if b.pick([False, True]):
        return integer_power(b)
    return binary([("{0} ** {1}", "{0} ** {1}"), ("np.power({0}, {1})", "torch.pow({0:t}, {1:t})")],
                  (Domain(0.25, 4.0), Domain(-2.0, 2.0, away=(0.0,))))(b)


def where(b: Builder) -> Form:
    """where(c, x, y), np.where: x and y as pair() draws them; c a constant mask (an array, a Tensor,
    or a comparison of an earlier value that stays away from 0) broadcast with both; torch.where."""
    x, y = pair(b)
    shape = np.broadcast_shapes(x.shape, y.shape)
    comparable = [n for n in b.live if broadcasts(b.env[n].shape, shape) and Domain(away=(0.0,)).holds(b.value(n))]
    if comparable and b.pick([False, True]):
        ad = th = f"{b.pick(comparable)} > 0"  # not a use: a mask has no gradient, so the value still joins the loss
    else:
        mask = b.rng().random(partner(b, shape)) > 0.5
        form = b.pick(["array", "Tensor"])
        ad = f"Tensor({mask.tolist()!r})" if form == "Tensor" and mask.size else _array(mask)
        ad = th = b.named(ad, _array(mask, "torch"), mask).ad
    lib = b.pick(["ad", "np"])
    return f"{lib}.where({ad}, {x.ad}, {y.ad})", f"torch.where({th}, {x:t}, {y:t})"


def reduce_axes(b: Builder, ndim: int) -> tuple[Any, bool]:
    """axis None, an int (maybe negative; 0 or -1 of a 0-d x, as NumPy and torch allow) or a tuple of
    distinct axes in any order; keepdims or not. No tuple for a 0-d x: NumPy rejects (0,), torch not."""
    kind = b.pick(["none", "int"] + (["tuple"] if ndim else []))
    if kind == "int":
        axis: Any = b.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    elif kind == "tuple":
        axes = b.draw(st.permutations(range(ndim)))[: b.draw(st.integers(1, ndim))]
        axis = tuple(a - ndim if b.pick([False, True]) else a for a in axes)
    else:
        axis = None
    return axis, b.pick([False, True])


def reduction(method: str, torch_method: str, sign: float = 0.0) -> Callable[[Builder], Form]:
    """x.sum/mean/max/min(axis, keepdims) and np.sum/... ; torch's sum/mean/amax/amin(dim, keepdim).
    Mean, max and min need at least one entry per result; max and min a unique winner."""

    def build(b: Builder) -> Form:
        ndim = b.draw(st.integers(0, 3))
        axis, keepdims = reduce_axes(b, ndim)
        empty_ok = method == "sum"
        test = unique_extreme(axis, sign) if sign else None
        x = b.operand(Domain(test=test), lambda s: len(s) == ndim and (empty_ok or _count(s, axis) > 0),
                      lambda: tuple(max(n, 0 if empty_ok else 1) for n in b.shape(ndim, ndim)))
        kw = ([f"axis={axis!r}"] if axis is not None else []) + (["keepdims=True"] if keepdims else [])
        all_dims = "()" if torch_method in ("amax", "amin") else "None"
        dim = [f"dim={axis!r}"] if axis is not None else [f"dim={all_dims}"] if keepdims else []
        tkw = dim + (["keepdim=True"] if keepdims else [])
        ad, th = b.pick([("{x}.{m}({kw})", "{x}.{tm}({tkw})"), ("np.{m}({x}{skw})", "torch.{tm}({x}{stkw})")])
        fill = dict(m=method, tm=torch_method, kw=", ".join(kw), tkw=", ".join(tkw),
                    skw="".join(", " + k for k in kw), stkw="".join(", " + k for k in tkw))
        return ad.format(x=x.ad, **fill), th.format(x=x.torch, **fill)

    return build


def reshape(b: Builder) -> Form:
    """x.reshape(shape) (a tuple, or unpacked), np.reshape, np.expand_dims, np.squeeze; torch: reshape,
    unsqueeze, squeeze; -1 too, of an empty x as well."""
    x = b.operand()
    s, n = x.shape, x.value.size
    targets = [(n,), (-1,), (1, -1), s[::-1], (*s, 1), (1, *s)] + ([()] if n == 1 else [])
    if len(s) >= 2:
        targets.append((s[0] * s[1], *s[2:]))
    kind = b.pick(["reshape", "unpacked", "np.reshape", "expand_dims"] + (["squeeze"] if 1 in s else []))
    if kind == "expand_dims":
        axis = b.draw(st.integers(-len(s) - 1, len(s)))
        return f"np.expand_dims({x.ad}, {axis})", f"{x.torch}.unsqueeze({axis})"
    if kind == "squeeze":
        axis = b.pick([None] + [i for i, k in enumerate(s) if k == 1])
        return (f"np.squeeze({x.ad})", f"{x.torch}.squeeze()") if axis is None else \
            (f"np.squeeze({x.ad}, {axis})", f"{x.torch}.squeeze({axis})")
    shape = b.pick(targets)
    if kind == "unpacked" and shape:
        return f"{x.ad}.reshape({', '.join(map(str, shape))})", f"{x.torch}.reshape({', '.join(map(str, shape))})"
    if kind == "np.reshape":
        return f"np.reshape({x.ad}, {shape})", f"{x.torch}.reshape({shape})"
    return f"{x.ad}.reshape({shape})", f"{x.torch}.reshape({shape})"


def transpose(b: Builder) -> Form:
    """x.T, x.transpose(*axes) (negative axes too), x.swapaxes, x.mT, np.transpose, np.swapaxes;
    torch: permute, swapaxes, mT (torch's .T is deprecated beyond 2-D)."""
    x = b.operand()
    nd = len(x.shape)
    reverse = tuple(range(nd))[::-1]
    kinds = ["T", "np.transpose"] + (["axes", "np.transpose axes", "swapaxes", "np.swapaxes"] if nd else [])
    kinds += ["mT"] if nd >= 2 else []
    kind = b.pick(kinds)
    if kind in ("T", "np.transpose"):
        return (f"{x.ad}.T" if kind == "T" else f"np.transpose({x.ad})"), f"{x.torch}.permute({reverse})"
    if kind == "mT":
        return f"{x.ad}.mT", f"{x.torch}.mT"
    if kind in ("swapaxes", "np.swapaxes"):
        i, j = (b.draw(st.integers(-nd, nd - 1)) for _ in range(2))
        return ((f"{x.ad}.swapaxes({i}, {j})", f"{x.torch}.swapaxes({i}, {j})") if kind == "swapaxes"
                else (f"np.swapaxes({x.ad}, {i}, {j})", f"torch.swapaxes({x.torch}, {i}, {j})"))
    perm = tuple(p - nd if b.pick([False, True]) else p for p in b.draw(st.permutations(range(nd))))
    if kind == "axes":
        return f"{x.ad}.transpose({', '.join(map(str, perm))})", f"{x.torch}.permute({perm})"
    return f"np.transpose({x.ad}, {perm})", f"{x.torch}.permute({perm})"


def broadcast_to(b: Builder) -> Form:
    """x.broadcast_to(shape), x.expand(shape), np.broadcast_to: new leading axes, and axes of size 1
    stretched (to 0 too); torch's broadcast_to and expand."""
    x = b.operand()
    lead = b.shape(0, max(0, 3 - len(x.shape)))
    shape = (*lead, *(b.draw(b.sides) if n == 1 else n for n in x.shape))
    ad, th = b.pick([("{x}.broadcast_to({s})", "{x}.broadcast_to({s})"), ("{x}.expand({s})", "{x}.expand({s})"),
                     ("np.broadcast_to({x}, {s})", "torch.broadcast_to({x}, {s})")])
    return ad.format(x=x.ad, s=shape), th.format(x=x.torch, s=shape)


def getitem(b: Builder) -> Form:
    """x[index], basic and advanced: ints, slices (a reversed one is torch's flip), None, a leading
    Ellipsis, integer arrays of one length (arrays, lists, Tensors; repeats allowed) or one boolean
    mask. Never an int with an array: NumPy counts it as an array index, torch does not, and they
    place the result's axes differently (x[0, :, [0, 1]] is (2, 3) in NumPy, (3, 2) in torch)."""
    x = b.operand()
    s = x.shape
    if not s:
        index = b.pick(["None", "...", "()"])
        return f"{x.ad}[{index}]", f"{x.torch}[{index}]"
    rng = b.rng()
    count = b.draw(st.integers(1, len(s)))
    ellipsis = count < len(s) and b.pick([False, True])  # then the components index the last axes
    advanced = b.pick(["none", "arrays", "mask"])
    length = b.draw(st.integers(1, 3))
    parts: list[tuple[str, str]] = []  # per indexed axis: autodiff's component, torch's
    flips = []
    for axis, n in enumerate(s[len(s) - count:] if ellipsis else s[:count]):
        kinds = ["slice", "reverse"] + (["int"] if n and advanced == "none" else [])
        kinds += ["array"] if advanced == "arrays" and n else ["mask"] if advanced == "mask" else []
        kind = b.pick(kinds)
        if kind == "int":
            i = b.draw(st.integers(-n, n - 1))
            parts.append((str(i), str(i)))
        elif kind == "slice":
            start, stop, step = b.pick(["", "1", "-1", "0"]), b.pick(["", "2", "-1"]), b.pick(["", "2"])
            text = f"{start}:{stop}" + (f":{step}" if step else "")
            parts.append((text, text))
        elif kind == "reverse":
            flips.append(axis - count if ellipsis else axis)
            parts.append(("::-1", ":"))
        elif kind == "array" and b.pick([False, True]):
            i = rng.integers(-n, n, length).tolist()
            parts.append((repr(i), repr(i)))
        else:
            arr = rng.integers(-n, n, length) if kind == "array" else rng.random(n) > 0.5
            tensor = b.pick([False, True]) and arr.size
            c = b.named(f"Tensor({arr.tolist()!r})" if tensor else _array(arr), _array(arr, "torch"), arr)
            parts.append((c.ad, c.torch))
            advanced = "none" if kind == "mask" else advanced  # one mask at most
    if b.pick([False, True]):  # a new axis somewhere
        parts.insert(b.draw(st.integers(0, len(parts))), ("None", "None"))
    if ellipsis:
        parts.insert(0, ("...", "..."))
    base = f"{x.torch}.flip({', '.join(map(str, flips))})" if flips else x.torch
    return f"{x.ad}[{', '.join(p[0] for p in parts)}]", f"{base}[{', '.join(p[1] for p in parts)}]"


def scatter_add(b: Builder) -> Form:
    """ScatterAdd.apply(x, index, shape): zeros(shape) with x's rows added at index (repeats add up),
    GetItem's transpose; torch: zeros(shape).index_add(0, index, x)."""
    x = b.operand(fits=lambda s: len(s) >= 1, shape=lambda: b.shape(1, 3))
    n = b.draw(st.integers(1, 3))
    index = b.rng().integers(0, n, x.shape[0])
    c = b.named(_array(index), _array(index, "torch"), index)
    shape = (n, *x.shape[1:])
    return (f"ScatterAdd.apply({x.ad}, index={c.ad}, shape={shape})",
            f"torch.zeros({shape}, dtype=torch.float64).index_add(0, {c.torch}, {x.torch})")


def join(stack: bool) -> Callable[[Builder], Form]:
    """concatenate / stack of 1-3 pieces (earlier values, leaves, constant arrays or Tensors; the same
    value twice is fan-out) along a drawn axis, negative too; torch.cat / torch.stack."""

    def build(b: Builder) -> Form:
        x = b.operand(fits=lambda s: stack or len(s) >= 1, shape=lambda: b.shape(0 if stack else 1, 3))
        nd = len(x.shape)
        axis = b.draw(st.integers(-nd - 1, nd) if stack else st.integers(-nd, nd - 1))
        k = axis % nd if nd and not stack else 0

        def fits(s: Shape) -> bool:
            return s == x.shape if stack else len(s) == nd and s[:k] + s[k + 1:] == x.shape[:k] + x.shape[k + 1:]

        def shape() -> Shape:
            return x.shape if stack else (*x.shape[:k], b.draw(b.sides), *x.shape[k + 1:])

        pieces = [x] + [b.operand(fits=fits, shape=shape, constant="fi") for _ in range(b.draw(st.integers(0, 2)))]
        at = b.draw(st.integers(0, len(pieces) - 1))
        pieces.insert(at, pieces.pop(0))
        fn, tfn = ("stack", "stack") if stack else ("concatenate", "cat")
        lib = b.pick(["ad", "np"])
        ad = f"{lib}.{fn}([{', '.join(p.ad for p in pieces)}], axis={axis})"
        return ad, f"torch.{tfn}([{', '.join(f'{p:t}' for p in pieces)}], dim={axis})"

    return build


def matmul(b: Builder) -> Form:
    """x @ y, ad.matmul, np.matmul (a constant left operand runs through NumPy's dispatch), F.linear
    without a bias: 1-D, 2-D and stacks with broadcast batch axes. Float constants only: torch's
    matmul does not promote int."""
    first = b.pick([0, 1])
    x = b.operand(fits=lambda s: len(s) >= 1, shape=lambda: b.shape(1, 3))
    s = x.shape
    if first == 0:
        k = s[-1]
        fits = lambda t: t == (k,) or len(t) >= 2 and t[-2] == k and broadcasts(t[:-2], s[:-2]) and len(t) + len(s) <= 6
        shape = lambda: b.pick([(k,), (k, b.draw(b.sides)), (*partner(b, s[:-2]), k, b.draw(b.sides))])
    else:
        k = s[0] if len(s) == 1 else s[-2]
        fits = lambda t: t == (k,) or len(t) >= 2 and t[-1] == k and broadcasts(t[:-2], s[:-2]) and len(t) + len(s) <= 6
        shape = lambda: b.pick([(k,), (b.draw(b.sides), k), (*partner(b, s[:-2]), b.draw(b.sides), k)])
    y = b.operand(fits=fits, shape=shape, constant="f")
    args = (x, y) if first == 0 else (y, x)
    forms = [("{0} @ {1}", "{0:t} @ {1:t}"), ("ad.matmul({0}, {1})", "torch.matmul({0:t}, {1:t})"),
             ("np.matmul({0}, {1})", "torch.matmul({0:t}, {1:t})")]
    if len(args[1].shape) == 2:  # a weight (in, out): F.linear without a bias is matmul
        forms.append(("F.linear({0}, {1})", "TF.linear({0:t}, {1:t}.mT)"))
    ad, th = b.pick(forms)
    return ad.format(*(a.ad for a in args)), th.format(*args)


def affine(b: Builder) -> Form:
    """F.linear(x, w, b) = x @ w + b for x (..., n, k), w (k, m), b (m,) or (n, m): one Affine node;
    any two may be constants. torch: TF.linear(x, w.mT, b) for a 1-D bias (torch's weight is
    (out, in)), else x @ w + b."""
    live = b.pick([0, 1, 2])
    x = b.operand(fits=lambda s: len(s) >= 2, shape=lambda: b.shape(2, 3), constant="f" * (live != 0))
    n, k = x.shape[-2:]
    w = b.operand(fits=lambda s: len(s) == 2 and s[0] == k, shape=lambda: (k, b.draw(b.sides)), constant="f" * (live != 1))
    m = w.shape[1]
    bias = b.operand(fits=lambda s: s in ((m,), (n, m)), shape=lambda: b.pick([(m,), (n, m)]), constant="f" * (live != 2))
    ad = f"F.linear({x.ad}, {w.ad}, {bias.ad})"
    if bias.value.ndim == 1:
        return ad, f"TF.linear({x:t}, {w:t}.mT, {bias:t})"
    return ad, f"{x:t} @ {w:t} + {bias:t}"


def along_axis(fn: str, torch_fn: str) -> Callable[[Builder], Form]:
    """F.softmax / F.log_softmax(x, axis): default -1, an int, or None (over every axis: torch
    flattens); torch's TF.softmax / TF.log_softmax(x, dim)."""

    def build(b: Builder) -> Form:
        x = b.operand()
        nd = max(len(x.shape), 1)  # a 0-d x has an axis 0 (or -1) here, in both libraries
        axis = b.pick(["default", None, *range(-nd, nd)])
        if axis == "default":
            return f"F.{fn}({x.ad})", f"{torch_fn}({x.torch}, dim=-1)"
        if axis is None:
            return f"F.{fn}({x.ad}, axis=None)", f"{torch_fn}({x.torch}.flatten(), dim=0).reshape({x.shape})"
        return f"F.{fn}({x.ad}, axis={axis})", f"{torch_fn}({x.torch}, dim={axis})"

    return build


def logsumexp(b: Builder) -> Form:
    """F.logsumexp(x, axis, keepdims): an int (0 or -1 of a 0-d x too) or None (every axis), over at least one entry;
    torch.logsumexp(x, dim) with every dim listed for None."""
    ndim = b.draw(st.integers(0, 3))
    axis = b.pick([None, *range(-max(ndim, 1), max(ndim, 1))])
    keepdims = b.pick([False, True])
    x = b.operand(fits=lambda s: len(s) == ndim and _count(s, axis) > 0,
                  shape=lambda: tuple(max(n, 1) for n in b.shape(ndim, ndim)))
    dims = tuple(range(ndim)) if axis is None else axis
    kw = f", keepdims={keepdims}" if keepdims else ""
    tkw = f", keepdim={keepdims}" if keepdims else ""
    return f"F.logsumexp({x.ad}, axis={axis}{kw})", f"torch.logsumexp({x.torch}, dim={dims}{tkw})"


def nll_loss(b: Builder) -> Form:
    """F.nll_loss(scores, targets), and F.cross_entropy (log_softmax, then nll_loss): scores (n, c)
    with n, c >= 1, integer targets (an array, a list or a Tensor); TF.nll_loss, TF.cross_entropy."""
    x = b.operand(fits=lambda s: len(s) == 2 and min(s) >= 1, shape=lambda: tuple(max(n, 1) for n in b.shape(2, 2)))
    n, c = x.shape
    targets = b.rng().integers(0, c, n)
    fn = b.pick(["cross_entropy", "nll_loss"])
    form = b.pick(["array", "list", "Tensor"])
    if form == "list":
        listed = targets.tolist()
        return f"F.{fn}({x.ad}, {listed})", f"TF.{fn}({x.torch}, torch.tensor({listed}))"
    t = b.named(f"Tensor({targets.tolist()})" if form == "Tensor" else _array(targets), _array(targets, "torch"), targets)
    return f"F.{fn}({x.ad}, {t.ad})", f"TF.{fn}({x.torch}, {t.torch})"


def mse_loss(b: Builder) -> Form:
    """F.mse_loss(pred, target) of one shape, at least one entry (either may be the constant);
    TF.mse_loss."""
    first = b.pick([0, 1])
    x = b.operand(fits=lambda s: int(np.prod(s)) > 0, shape=lambda: tuple(max(n, 1) for n in b.shape()))
    y = b.operand(fits=lambda s: s == x.shape, shape=lambda: x.shape, constant="f")
    p, t = (x, y) if first == 0 else (y, x)
    return f"F.mse_loss({p.ad}, {t.ad})", f"TF.mse_loss({p:t}, {t:t})"


def clip(b: Builder) -> Form:
    """x.clip(lo, hi), np.clip; either bound may be None, lo > hi too (then the result is constant);
    torch's clip. x stays away from the bounds, where the derivative jumps."""
    rng = b.rng()
    lo, hi = (float(v) for v in np.round(rng.uniform(-1.5, 1.5, 2), 2))
    lo, hi = b.pick([(lo, hi), (lo, None), (None, hi)])
    x = b.operand(Domain(away=tuple(v for v in (lo, hi) if v is not None)))
    ad, th = b.pick([("{x}.clip({lo}, {hi})", "{x}.clip({lo}, {hi})"),
                     ("np.clip({x}, {lo}, {hi})", "torch.clip({x}, {lo}, {hi})"),
                     ("{x}.clip(min={lo}, max={hi})", "{x}.clip(min={lo}, max={hi})")])
    return ad.format(x=x.ad, lo=lo, hi=hi), th.format(x=x.torch, lo=lo, hi=hi)


TABLE: dict[str, Callable[[Builder], Form]] = {
    "Add": binary([("{0} + {1}", "{0} + {1}"), ("np.add({0}, {1})", "torch.add({0:t}, {1:t})")]),
    "Sub": binary([("{0} - {1}", "{0} - {1}"), ("np.subtract({0}, {1})", "torch.sub({0:t}, {1:t})")]),
    "Mul": binary([("{0} * {1}", "{0} * {1}"), ("np.multiply({0}, {1})", "torch.mul({0:t}, {1:t})")]),
    "Div": binary([("{0} / {1}", "{0} / {1}"), ("np.divide({0}, {1})", "torch.div({0:t}, {1:t})")], (ANY, NONZERO)),
    "Pow": power,
    "Maximum": binary([("ad.maximum({0}, {1})", "torch.maximum({0:t}, {1:t})"),
                       ("np.maximum({0}, {1})", "torch.maximum({0:t}, {1:t})")], apart=True),
    "Minimum": binary([("ad.minimum({0}, {1})", "torch.minimum({0:t}, {1:t})"),
                       ("np.minimum({0}, {1})", "torch.minimum({0:t}, {1:t})")], apart=True),
    "Where": where,
    "Neg": unary([("-{0}", "-{0}"), ("np.negative({0})", "torch.negative({0})")]),
    "Exp": unary([("{0}.exp()", "{0}.exp()"), ("np.exp({0})", "torch.exp({0})")], Domain(hi=4.0)),
    "Log": unary([("{0}.log()", "{0}.log()"), ("np.log({0})", "torch.log({0})")], POSITIVE),
    "Sqrt": unary([("{0}.sqrt()", "{0}.sqrt()"), ("np.sqrt({0})", "torch.sqrt({0})")], POSITIVE),
    "Abs": unary([("{0}.abs()", "{0}.abs()"), ("np.abs({0})", "torch.abs({0})")], Domain(away=(0.0,))),
    "Tanh": unary([("{0}.tanh()", "{0}.tanh()"), ("np.tanh({0})", "torch.tanh({0})"),
                   ("F.tanh({0})", "torch.tanh({0})")]),
    "Sigmoid": unary([("{0}.sigmoid()", "{0}.sigmoid()"), ("F.sigmoid({0})", "torch.sigmoid({0})")]),
    "Relu": unary([("{0}.relu()", "{0}.relu()"), ("F.relu({0})", "TF.relu({0})")], Domain(away=(0.0,))),
    "Clip": clip,
    "Cast": unary([("{0}.astype(np.float64)", "{0}.to(torch.float64)"), ("{0}.astype('float64')", "{0}.double()"),
                   ("{0}.astype(np.float32).astype(np.float64)", "{0}.to(torch.float32).to(torch.float64)")]),
    "Alias": unary([("Alias.apply({0})", "{0}.view_as({0})")]),
    "Step": unary([("np.sign({0})", "torch.sign({0})"), ("{0} * ({0} > 0)", "{0} * ({0} > 0)")], Domain(away=(0.0,))),
    "Sum": reduction("sum", "sum"),
    "Mean": reduction("mean", "mean"),
    "Max": reduction("max", "amax", 1.0),
    "Min": reduction("min", "amin", -1.0),
    "Reshape": reshape,
    "Transpose": transpose,
    "BroadcastTo": broadcast_to,
    "GetItem": getitem,
    "ScatterAdd": scatter_add,
    "Concatenate": join(stack=False),
    "Stack": join(stack=True),
    "MatMul": matmul,
    "Affine": affine,
    "LogSumExp": logsumexp,
    "Softmax": along_axis("softmax", "TF.softmax"),
    "LogSoftmax": along_axis("log_softmax", "TF.log_softmax"),
    "NLLLoss": nll_loss,
    "MSELoss": mse_loss,
}
