"""One row per registered op: how to call it in autodiff and in torch, on what, with what.

Every per-op test draws from ROWS:

- tests/test_ops.py: gradcheck and gradgradcheck of each op, and its float32 results and gradients;
- tests/test_forward.py: each op's forward mode against its reverse mode;
- tests/test_compile.py: random programs, compiled and eager;
- tests/test_differential.py (through tests/random_programs.py): random programs against PyTorch.

A Row is the op's name and `call`, a function that draws one call of the op and spells it as source
text in both libraries, Form = (autodiff's, torch's), e.g. ("np.multiply(x0, c1)", "torch.mul(x0, c1)").
`call` takes a Source, which each consumer subclasses: the Source decides what an operand is (an
earlier value, a new input, a constant) and the row says which shapes fit and where the values may lie
(its Domain: positive for log, away from kinks, poles and ties). The row draws its parameters (axes,
indices, shapes) and which of the op's public entry points it calls (`x * y`, `np.multiply(x, y)`).

Adding an op: the op, its entry point, and its row here (README, "Adding an op").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

import autodiff
import autodiff.functional as F
from autodiff import Tensor
from autodiff.ops import REGISTRY, Alias, ScatterAdd

MARGIN = 1e-3  # how far an op's input stays from a kink or a tie: far above rounding, and finite differences' step
BOUND = 100.0  # how large an op's input may be: values stay finite, derivatives tame

Shape = tuple[int, ...]
Form = tuple[str, str]  # (autodiff source, torch source): {0}, {1}... the operands; {0:t} in torch wraps a scalar
Draw = Callable[[st.SearchStrategy[Any]], Any]

# The names autodiff's source uses (random_programs.HEADER imports the same, and torch's).
NAMESPACE: dict[str, Any] = {"np": np, "ad": autodiff, "F": F, "Tensor": Tensor, "Alias": Alias, "ScatterAdd": ScatterAdd}


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
            v.dtype.kind == "f" and np.isfinite(v).all() and (v >= self.lo).all() and (v <= self.hi).all()
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


def off_integers(v: np.ndarray) -> bool:
    """Truncation to an integer jumps at the integers: no entry within MARGIN of one."""
    return bool((np.abs(v - np.round(v)) >= MARGIN).all())


def apart_from(other: np.ndarray) -> Callable[[np.ndarray], bool]:
    """maximum(x, y)'s second argument: no entry within MARGIN of the entry of x it meets."""
    return lambda v: bool((np.abs(v - other) >= MARGIN).all())


def unique_extreme(axis: Any, sign: float) -> Callable[[np.ndarray], bool]:
    """max (sign 1) or min (-1) along axis: the winner leads the runner-up by MARGIN."""

    def test(v: np.ndarray) -> bool:
        if not v.ndim:
            return True
        axes = tuple(range(v.ndim)) if axis is None else np.atleast_1d(axis) % max(v.ndim, 1)
        groups = np.moveaxis(sign * v, tuple(axes), tuple(range(-len(axes), 0))).reshape(-1, count(v.shape, axis))
        top = np.sort(groups, axis=1)[:, -2:]
        return bool(top.shape[1] < 2 or (top[:, 1] - top[:, 0] >= MARGIN).all())

    return test


def count(shape: Shape, axis: Any) -> int:
    """How many entries a reduction over axis takes into each result."""
    if not shape:
        return 1
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    return int(np.prod([shape[a] for a in axes]))


# Operands and constants ------------------------------------------------------------------------


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
WIDER_THAN_FLOAT32 = ("0-d", "0-d Tensor")  # float64 0-d constants: beside a 0-d float32 input they win


def array_source(a: np.ndarray, lib: str = "np") -> str:
    """An array as source: np.array([...]) (or torch.tensor), exact, since values have few digits."""
    if lib == "np":
        dtype = ", dtype=np.float32" if a.dtype == np.float32 else ""
        return f"np.array({a.tolist()!r}{dtype})" if a.size else f"np.zeros({a.shape}, dtype=np.{a.dtype})"
    if a.size:
        return f"torch.tensor({a.tolist()!r}{_torch_dtype(a)})"
    return f"torch.zeros({a.shape}, dtype=torch.{a.dtype})"


def _torch_dtype(a: np.ndarray) -> str:
    """The dtype argument torch.tensor needs to give a's dtype (it makes float32 of Python floats)."""
    return f", dtype=torch.{a.dtype}" if a.dtype.kind == "f" else ""


# Sources: what a row draws its operands, constants and choices from --------------------------------


class Source:
    """What a row's call draws from. Each consumer subclasses it and says what an operand is (operand),
    how a constant array is defined (named) and which earlier values an op may compare (earlier).

    dtype is the float dtype of the values; precise says the consumer's checks need float64 precision
    throughout (central differences, forward mode against reverse mode), so no call rounds through float32."""

    def __init__(self, draw: Draw, sides: Sequence[int], dtype: Any = np.float64, precise: bool = False) -> None:
        self.draw, self.sides = draw, st.sampled_from(sides)
        self.dtype, self.precise = np.dtype(dtype), precise

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def shape(self, min_dims: int = 0, max_dims: int = 3) -> Shape:
        return tuple(self.draw(st.lists(self.sides, min_size=min_dims, max_size=max_dims)))

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.draw(st.integers(0, 2**32 - 1)))

    def operand(self, domain: Domain = ANY, fits: Callable[[Shape], bool] = lambda s: True,
                shape: Callable[[], Shape] | None = None, constant: str = "") -> Arg:
        """A value for the op: its shape fits, it lies in the domain. shape() draws a shape for a new one
        (self.shape() when None); `constant` names the kinds of constant it may also be ("f" floats, "i" ints)."""
        raise NotImplementedError

    def named(self, ad: str, th: str, value: np.ndarray) -> Arg:
        """A constant array (an index, a mask, targets) defined once, by name."""
        raise NotImplementedError

    def earlier(self, fits: Callable[[Shape], bool], domain: Domain) -> list[Arg]:
        """Values already drawn that an op may compare (a mask `v > 0`) without using them as operands."""
        return []

    def constant(self, domain: Domain, shape: Shape, kinds: str) -> Arg:
        """A constant in one of autodiff's forms: a Python or NumPy scalar, a 0-d or n-d array, a
        constant Tensor, integers too where `kinds` has "i". Float arrays are of the Source's dtype;
        0-d ones in float32 as well, which PyTorch's promotion lets a float64 operand outrank. Where
        `kinds` has "t", the op makes the constant a Tensor itself (F.mse_loss's target, as torch
        requires one): a float scalar is then a 0-d float64 Tensor, which a float32 Source avoids."""
        wider = WIDER_THAN_FLOAT32 + (("float", "np.float64") if "t" in kinds else ())
        forms = [f for f in (SCALARS if not shape else ARRAYS) if ("int" not in f or "i" in kinds)
                 and not (self.dtype == np.float32 and f in wider)]
        form = self.pick(forms)
        v = domain.sample(self.rng(), shape)
        if "int" in form or "32" in form:
            exact = np.round(v) if "int" in form else np.round(v * 8) / 8  # float32 holds eighths exactly
            form, v = (form, exact) if domain.holds(exact) else ("float" if not shape else "array", v)
        if form in ARRAYS:
            value = v.astype(np.int64 if form == "int array" else self.dtype)
            ad = f"Tensor({array_source(value)})" if form == "Tensor" and value.size else array_source(value)
            return self.named(ad, array_source(value, "torch"), value)
        x = int(v) if "int" in form else float(v)
        ad, th, tensor = SCALARS[form]
        value = np.asarray(x, np.float32 if "32" in form else None)
        return Arg(ad.format(x), th.format(x), value, tensor.format(x))


# Shapes -------------------------------------------------------------------------------------------


def broadcasts(a: Shape, b: Shape) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def partner(b: Source, s: Shape) -> Shape:
    """A shape that broadcasts with s: some trailing axes of s, each kept or 1 (or stretched from 1),
    maybe one more leading axis. Shrinks to () (a scalar)."""
    keep = b.draw(st.integers(0, len(s)))
    tail = [b.pick([n, 1]) if n != 1 else b.draw(b.sides) for n in s[len(s) - keep:]]
    lead = b.shape(0, 1) if keep == len(s) and len(s) < 3 else ()
    return (*lead, *tail)


def nonempty(b: Source, min_dims: int = 0, max_dims: int = 3) -> Shape:
    """A shape with at least one entry."""
    return tuple(max(n, 1) for n in b.shape(min_dims, max_dims))


# The calls: how each op is called in both libraries, on what -----------------------------------------


def unary(forms: list[Form], domain: Domain = ANY) -> Callable[[Source], Form]:
    """f(x) for any shape of x in the domain."""

    def call(b: Source) -> Form:
        x = b.operand(domain)
        ad, th = b.pick(forms)
        return ad.format(x.ad), th.format(x)

    return call


def pair(b: Source, domains: tuple[Domain, Domain] = (ANY, ANY), apart: bool = False) -> tuple[Arg, Arg]:
    """x and y of broadcastable shapes: one an earlier value or an input, the other also a constant of
    any kind, on either side (2 - x runs Tensor.__rsub__); `apart`: no ties between x and y."""
    first = b.pick([0, 1])
    x = b.operand(domains[first])
    domain = replace(domains[1 - first], test=apart_from(x.value)) if apart else domains[1 - first]
    y = b.operand(domain, lambda s: broadcasts(s, x.shape), lambda: partner(b, x.shape), constant="fi")
    return (x, y) if first == 0 else (y, x)


def binary(forms: list[Form], domains: tuple[Domain, Domain] = (ANY, ANY), apart: bool = False) -> Callable[[Source], Form]:
    """f(x, y), as pair() draws them."""

    def call(b: Source) -> Form:
        args = pair(b, domains, apart)
        ad, th = b.pick(forms)
        return ad.format(*(a.ad for a in args)), th.format(*args)

    return call


def integer_power(b: Source) -> Form:
    """x ** k for a constant integer k: any base for k > 0, one away from 0 for k < 0."""
    k = b.pick([2, 3, -1, -2])
    x = b.operand(ANY if k > 0 else NONZERO)
    ad, th = b.pick([(repr(k), repr(k)), (f"np.int64({k})", repr(k)), (f"np.array({k})", f"torch.tensor({k})")])
    return f"{x.ad} ** {ad}", f"{x.torch} ** {th}"


def power(b: Source) -> Form:
    """x ** y: a positive base and a bounded exponent (either may be the constant), or an integer power.
    The exponent stays away from 0: there torch masks dz/dx to 0, so its d²z/dx dy is 0 where the true
    one, which autodiff gives, is 1/x (tests/test_semantics.py)."""
    if b.pick([False, True]):
        return integer_power(b)
    return binary([("{0} ** {1}", "{0} ** {1}"), ("np.power({0}, {1})", "torch.pow({0:t}, {1:t})")],
                  (Domain(0.25, 4.0), Domain(-2.0, 2.0, away=(0.0,))))(b)


def where(b: Source) -> Form:
    """where(c, x, y), np.where: x and y as pair() draws them; c a constant mask (an array, a Tensor,
    or a comparison of an earlier value that stays away from 0) broadcast with both; torch.where."""
    x, y = pair(b)
    shape = np.broadcast_shapes(x.shape, y.shape)
    comparable = b.earlier(lambda s: broadcasts(s, shape), Domain(away=(0.0,)))
    if comparable and b.pick([False, True]):
        v = b.pick(comparable)  # not a use: a mask has no gradient, so the value still joins the loss
        ad, th = f"{v.ad} > 0", f"{v.torch} > 0"
    else:
        mask = b.rng().random(partner(b, shape)) > 0.5
        form = b.pick(["array", "Tensor"])
        c = b.named(f"Tensor({mask.tolist()!r})" if form == "Tensor" and mask.size else array_source(mask),
                    array_source(mask, "torch"), mask)
        ad, th = c.ad, c.torch
    lib = b.pick(["ad", "np"])
    return f"{lib}.where({ad}, {x.ad}, {y.ad})", f"torch.where({th}, {x:t}, {y:t})"


def reduce_axes(b: Source, ndim: int) -> tuple[Any, bool]:
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


def reduction(method: str, torch_method: str, sign: float = 0.0) -> Callable[[Source], Form]:
    """x.sum/mean/max/min(axis, keepdims) and np.sum/... ; torch's sum/mean/amax/amin(dim, keepdim).
    Mean, max and min need at least one entry per result; max and min a unique winner."""

    def call(b: Source) -> Form:
        ndim = b.draw(st.integers(0, 3))
        axis, keepdims = reduce_axes(b, ndim)
        empty_ok = method == "sum"
        test = unique_extreme(axis, sign) if sign else None
        x = b.operand(Domain(test=test), lambda s: len(s) == ndim and (empty_ok or count(s, axis) > 0),
                      lambda: tuple(max(n, 0 if empty_ok else 1) for n in b.shape(ndim, ndim)))
        kw = ([f"axis={axis!r}"] if axis is not None else []) + (["keepdims=True"] if keepdims else [])
        all_dims = "()" if torch_method in ("amax", "amin") else "None"
        dim = [f"dim={axis!r}"] if axis is not None else [f"dim={all_dims}"] if keepdims else []
        tkw = dim + (["keepdim=True"] if keepdims else [])
        ad, th = b.pick([("{x}.{m}({kw})", "{x}.{tm}({tkw})"), ("np.{m}({x}{skw})", "torch.{tm}({x}{stkw})")])
        fill = dict(m=method, tm=torch_method, kw=", ".join(kw), tkw=", ".join(tkw),
                    skw="".join(", " + k for k in kw), stkw="".join(", " + k for k in tkw))
        return ad.format(x=x.ad, **fill), th.format(x=x.torch, **fill)

    return call


def reshape(b: Source) -> Form:
    """x.reshape(shape) (a tuple, or unpacked), np.reshape, np.expand_dims, np.squeeze; torch: reshape,
    unsqueeze, squeeze; -1 too, of an empty x as well."""
    x = b.operand()
    s, n = x.shape, x.value.size
    targets = [(n,), (-1,), (n, 1), (1, -1), s[::-1], (*s, 1), (1, *s)] + ([()] if n == 1 else [])
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


def transpose(b: Source) -> Form:
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


def broadcast_to(b: Source) -> Form:
    """x.broadcast_to(shape), x.expand(shape), np.broadcast_to: new leading axes, and axes of size 1
    stretched (to 0 too); torch's broadcast_to and expand."""
    x = b.operand()
    lead = b.shape(0, max(0, 3 - len(x.shape)))
    shape = (*lead, *(b.draw(b.sides) if n == 1 else n for n in x.shape))
    ad, th = b.pick([("{x}.broadcast_to({s})", "{x}.broadcast_to({s})"), ("{x}.expand({s})", "{x}.expand({s})"),
                     ("np.broadcast_to({x}, {s})", "torch.broadcast_to({x}, {s})")])
    return ad.format(x=x.ad, s=shape), th.format(x=x.torch, s=shape)


def getitem(b: Source) -> Form:
    """x[index], basic and advanced: ints (0-d integer arrays and Tensors too), slices (a reversed one is
    torch's flip), None, a leading Ellipsis, integer arrays of one length (arrays, lists, Tensors; repeats
    allowed), one boolean mask along an axis, or one over the leading axes. Never an int with an array:
    NumPy counts it as an array index, torch does not, and they place the result's axes differently
    (x[0, :, [0, 1]] is (2, 3) in NumPy, (3, 2) in torch)."""
    x = b.operand()
    s = x.shape
    if not s:
        index = b.pick(["None", "...", "()"])
        return f"{x.ad}[{index}]", f"{x.torch}[{index}]"
    rng = b.rng()
    if b.draw(st.integers(0, 4)) == 0:  # a mask over the leading axes (x > 0 of a constant x, say)
        mask = rng.random(s[: b.draw(st.integers(1, len(s)))]) > 0.5
        tensor = b.pick([False, True]) and mask.size
        c = b.named(f"Tensor({mask.tolist()!r})" if tensor else array_source(mask), array_source(mask, "torch"), mask)
        return f"{x.ad}[{c.ad}]", f"{x.torch}[{c.torch}]"
    count_ = b.draw(st.integers(1, len(s)))
    ellipsis = count_ < len(s) and b.pick([False, True])  # then the components index the last axes
    advanced = b.pick(["none", "arrays", "mask"])
    length = b.draw(st.integers(1, 3))
    parts: list[tuple[str, str]] = []  # per indexed axis: autodiff's component, torch's
    flips = []
    for axis, n in enumerate(s[len(s) - count_:] if ellipsis else s[:count_]):
        kinds = ["slice", "reverse"] + (["int", "0-d"] if n and advanced == "none" else [])
        kinds += ["array"] if advanced == "arrays" and n else ["mask"] if advanced == "mask" else []
        kind = b.pick(kinds)
        if kind == "int":
            i = b.draw(st.integers(-n, n - 1))
            parts.append((str(i), str(i)))
        elif kind == "0-d":
            i = b.draw(st.integers(-n, n - 1))
            ad = b.pick([f"np.array({i})", f"Tensor(np.array({i}))"])
            parts.append((ad, f"torch.tensor({i})"))
        elif kind == "slice":
            start, stop, step = b.pick(["", "1", "-1", "0"]), b.pick(["", "2", "-1"]), b.pick(["", "2"])
            text = f"{start}:{stop}" + (f":{step}" if step else "")
            parts.append((text, text))
        elif kind == "reverse":
            flips.append(axis - count_ if ellipsis else axis)
            parts.append(("::-1", ":"))
        elif kind == "array" and b.pick([False, True]):
            i = rng.integers(-n, n, length).tolist()
            parts.append((repr(i), repr(i)))
        else:
            arr = rng.integers(-n, n, length) if kind == "array" else rng.random(n) > 0.5
            tensor = b.pick([False, True]) and arr.size
            c = b.named(f"Tensor({arr.tolist()!r})" if tensor else array_source(arr), array_source(arr, "torch"), arr)
            parts.append((c.ad, c.torch))
            advanced = "none" if kind == "mask" else advanced  # one mask at most
    if b.pick([False, True]):  # a new axis somewhere
        parts.insert(b.draw(st.integers(0, len(parts))), ("None", "None"))
    if ellipsis:
        parts.insert(0, ("...", "..."))
    base = f"{x.torch}.flip({', '.join(map(str, flips))})" if flips else x.torch
    return f"{x.ad}[{', '.join(p[0] for p in parts)}]", f"{base}[{', '.join(p[1] for p in parts)}]"


def scatter_add(b: Source) -> Form:
    """ScatterAdd.apply(x, index, shape): zeros(shape) with x's rows added at index (repeats add up),
    GetItem's transpose; torch: zeros(shape).index_add(0, index, x)."""
    x = b.operand(fits=lambda s: len(s) >= 1, shape=lambda: b.shape(1, 3))
    n = b.draw(st.integers(1, 4))
    index = b.rng().integers(0, n, x.shape[0])
    c = b.named(array_source(index), array_source(index, "torch"), index)
    shape = (n, *x.shape[1:])
    return (f"ScatterAdd.apply({x.ad}, index={c.ad}, shape={shape})",
            f"torch.zeros({shape}, dtype=torch.{b.dtype}).index_add(0, {c.torch}, {x.torch})")


def join(stack: bool) -> Callable[[Source], Form]:
    """concatenate / stack of 1-3 pieces (earlier values, inputs, constant arrays or Tensors; the same
    value twice is fan-out) along a drawn axis, negative too; torch.cat / torch.stack."""

    def call(b: Source) -> Form:
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

    return call


def matmul(b: Source) -> Form:
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


def affine(b: Source) -> Form:
    """F.linear(x, w, b) = x @ w + b for x (..., n, k) with up to two batch axes, w (k, m), b (m,) or
    (n, m): one Affine node; any two may be constants. torch: TF.linear(x, w.mT, b) for a 1-D bias
    (torch's weight is (out, in)), else x @ w + b."""
    live = b.pick([0, 1, 2])
    x = b.operand(fits=lambda s: len(s) >= 2, shape=lambda: b.shape(2, 4), constant="f" * (live != 0))
    n, k = x.shape[-2:]
    w = b.operand(fits=lambda s: len(s) == 2 and s[0] == k, shape=lambda: (k, b.draw(b.sides)), constant="f" * (live != 1))
    m = w.shape[1]
    bias = b.operand(fits=lambda s: s in ((m,), (n, m)), shape=lambda: b.pick([(m,), (n, m)]), constant="f" * (live != 2))
    ad = f"F.linear({x.ad}, {w.ad}, {bias.ad})"
    if bias.value.ndim == 1:
        return ad, f"TF.linear({x:t}, {w:t}.mT, {bias:t})"
    return ad, f"{x:t} @ {w:t} + {bias:t}"


def along_axis(fn: str, torch_fn: str) -> Callable[[Source], Form]:
    """F.softmax / F.log_softmax(x, axis): default -1, an int, or None (over every axis: torch
    flattens); torch's TF.softmax / TF.log_softmax(x, dim)."""

    def call(b: Source) -> Form:
        x = b.operand()
        nd = max(len(x.shape), 1)  # a 0-d x has an axis 0 (or -1) here, in both libraries
        axis = b.pick(["default", None, *range(-nd, nd)])
        if axis == "default":
            return f"F.{fn}({x.ad})", f"{torch_fn}({x.torch}, dim=-1)"
        if axis is None:
            return f"F.{fn}({x.ad}, axis=None)", f"{torch_fn}({x.torch}.flatten(), dim=0).reshape({x.shape})"
        return f"F.{fn}({x.ad}, axis={axis})", f"{torch_fn}({x.torch}, dim={axis})"

    return call


def logsumexp(b: Source) -> Form:
    """F.logsumexp(x, axis, keepdims): an int (0 or -1 of a 0-d x too), a tuple of distinct axes or None
    (every axis), over at least one entry; torch.logsumexp(x, dim) with every dim listed for None."""
    ndim = b.draw(st.integers(0, 3))
    axis, keepdims = reduce_axes(b, ndim)
    x = b.operand(fits=lambda s: len(s) == ndim and count(s, axis) > 0, shape=lambda: nonempty(b, ndim, ndim))
    dims = tuple(range(ndim)) if axis is None else axis
    kw = f", keepdims={keepdims}" if keepdims else ""
    tkw = f", keepdim={keepdims}" if keepdims else ""
    return f"F.logsumexp({x.ad}, axis={axis}{kw})", f"torch.logsumexp({x.torch}, dim={dims}{tkw})"


def nll_loss(b: Source) -> Form:
    """F.nll_loss(scores, targets), and F.cross_entropy (log_softmax, then nll_loss): scores (n, c)
    with n, c >= 1, integer targets (an array, a list or a Tensor); TF.nll_loss, TF.cross_entropy."""
    x = b.operand(fits=lambda s: len(s) == 2 and min(s) >= 1, shape=lambda: nonempty(b, 2, 2))
    n, c = x.shape
    targets = b.rng().integers(0, c, n)
    fn = b.pick(["cross_entropy", "nll_loss"])
    form = b.pick(["array", "list", "Tensor"])
    if form == "list":
        listed = targets.tolist()
        return f"F.{fn}({x.ad}, {listed})", f"TF.{fn}({x.torch}, torch.tensor({listed}))"
    t = b.named(f"Tensor({targets.tolist()})" if form == "Tensor" else array_source(targets),
                array_source(targets, "torch"), targets)
    return f"F.{fn}({x.ad}, {t.ad})", f"TF.{fn}({x.torch}, {t.torch})"


def mse_loss(b: Source) -> Form:
    """F.mse_loss(pred, target) of one shape, at least one entry (either may be the constant);
    TF.mse_loss."""
    first = b.pick([0, 1])
    x = b.operand(fits=lambda s: int(np.prod(s)) > 0, shape=lambda: nonempty(b))
    y = b.operand(fits=lambda s: s == x.shape, shape=lambda: x.shape, constant="ft")
    p, t = (x, y) if first == 0 else (y, x)
    return f"F.mse_loss({p.ad}, {t.ad})", f"TF.mse_loss({p:t}, {t:t})"


def clip(b: Source) -> Form:
    """x.clip(lo, hi), np.clip, ad.clip; either bound may be None, lo > hi too (then the result is constant);
    a bound is a Python float or a NumPy scalar (eighths: exact in float32); torch's clip. x stays away
    from the bounds, where the derivative jumps."""
    lo, hi = (float(v) for v in np.round(b.rng().uniform(-1.5, 1.5, 2) * 8) / 8)
    lo, hi = b.pick([(lo, hi), (lo, None), (None, hi)])
    x = b.operand(Domain(away=tuple(v for v in (lo, hi) if v is not None)))
    scalars = ["{!r}", "np.float32({!r})", "np.float64({!r})"]  # a float32 x stays float32, as in torch
    lo_, hi_ = (v if v is None else b.pick(scalars).format(v) for v in (lo, hi))
    ad, th = b.pick([("{x}.clip({lo}, {hi})", "{x}.clip({tlo}, {thi})"),
                     ("np.clip({x}, {lo}, {hi})", "torch.clip({x}, {tlo}, {thi})"),
                     ("ad.clip({x}, {lo}, {hi})", "torch.clip({x}, {tlo}, {thi})"),
                     ("{x}.clip(min={lo}, max={hi})", "{x}.clip(min={tlo}, max={thi})")])
    return ad.format(x=x.ad, lo=lo_, hi=hi_), th.format(x=x.torch, tlo=lo, thi=hi)


def cast(b: Source) -> Form:
    """x.astype(dtype) to the Source's float dtype (named, or as a string; torch: .to, .double, .float),
    a round trip through the other float dtype (not for a precise Source: float32 rounds a step or a
    tangent), or a cast that cuts the graph (cut)."""
    dt = b.dtype.name
    other = "float32" if dt == "float64" else "float64"
    method = "double" if dt == "float64" else "float"
    forms = [(f"{{0}}.astype(np.{dt})", f"{{0}}.to(torch.{dt})"), (f"{{0}}.astype('{dt}')", f"{{0}}.{method}()"), "cut"]
    if not b.precise:
        forms.append((f"{{0}}.astype(np.{other}).astype(np.{dt})", f"{{0}}.to(torch.{other}).to(torch.{dt})"))
    form = b.pick(forms)
    if form == "cut":
        return cut(b)
    x = b.operand()
    return form[0].format(x.ad), form[1].format(x)


def cut(b: Source) -> Form:
    """A cast to an integer dtype (truncation; x away from the integers) or to bool (x != 0; x away from 0):
    it has no derivative and cuts the graph, as in torch. In x * cast(x), so that the result still depends
    on x: its derivative is cast(x) alone, its second derivative 0."""
    ad, th = b.pick([("{0} * {0}.astype(np.int64)", "{0} * {0}.to(torch.int64)"),
                     ("{0} * {0}.astype(np.int32)", "{0} * {0}.to(torch.int32)"),
                     ("{0} * {0}.astype(bool)", "{0} * {0}.to(torch.bool)")])
    x = b.operand(Domain(away=(0.0,)) if "bool" in ad else Domain(test=off_integers))
    return ad.format(x.ad), th.format(x)


def step(b: Source) -> Form:
    """A piecewise-constant function (derivative 0 where it exists), away from its jumps: np.sign, np.floor,
    and a comparison, x * (x > 0); torch's sign, floor and comparison."""
    ad, th = b.pick([("np.sign({0})", "torch.sign({0})"), ("np.floor({0})", "torch.floor({0})"),
                     ("{0} * ({0} > 0)", "{0} * ({0} > 0)")])
    x = b.operand(Domain(test=off_integers) if "floor" in ad else Domain(away=(0.0,)))
    return ad.format(x.ad), th.format(x)


@dataclass(frozen=True)
class Row:
    """One registered op. `call` draws its operands from a Source, in the shapes it takes and inside its
    domain, and its parameters (axes, indices, shapes), and spells one of its public entry points in
    autodiff and in torch. `broadcasts`: its operands broadcast against each other."""

    op: str  # its name in autodiff.ops.REGISTRY
    call: Callable[[Source], Form] = field(repr=False)
    broadcasts: bool = False


ROWS: dict[str, Row] = {row.op: row for row in [
    Row("Add", binary([("{0} + {1}", "{0} + {1}"), ("np.add({0}, {1})", "torch.add({0:t}, {1:t})")]), True),
    Row("Sub", binary([("{0} - {1}", "{0} - {1}"), ("np.subtract({0}, {1})", "torch.sub({0:t}, {1:t})")]), True),
    Row("Mul", binary([("{0} * {1}", "{0} * {1}"), ("np.multiply({0}, {1})", "torch.mul({0:t}, {1:t})")]), True),
    Row("Div", binary([("{0} / {1}", "{0} / {1}"), ("np.divide({0}, {1})", "torch.div({0:t}, {1:t})")],
                      (ANY, NONZERO)), True),
    Row("Pow", power, True),
    Row("Maximum", binary([("ad.maximum({0}, {1})", "torch.maximum({0:t}, {1:t})"),
                           ("np.maximum({0}, {1})", "torch.maximum({0:t}, {1:t})")], apart=True), True),
    Row("Minimum", binary([("ad.minimum({0}, {1})", "torch.minimum({0:t}, {1:t})"),
                           ("np.minimum({0}, {1})", "torch.minimum({0:t}, {1:t})")], apart=True), True),
    Row("Where", where, True),
    Row("Neg", unary([("-{0}", "-{0}"), ("np.negative({0})", "torch.negative({0})")])),
    Row("Exp", unary([("{0}.exp()", "{0}.exp()"), ("np.exp({0})", "torch.exp({0})")], Domain(hi=4.0))),
    Row("Log", unary([("{0}.log()", "{0}.log()"), ("np.log({0})", "torch.log({0})")], POSITIVE)),
    Row("Sqrt", unary([("{0}.sqrt()", "{0}.sqrt()"), ("np.sqrt({0})", "torch.sqrt({0})")], POSITIVE)),
    Row("Abs", unary([("{0}.abs()", "{0}.abs()"), ("np.abs({0})", "torch.abs({0})")], Domain(away=(0.0,)))),
    Row("Tanh", unary([("{0}.tanh()", "{0}.tanh()"), ("np.tanh({0})", "torch.tanh({0})"), ("F.tanh({0})", "torch.tanh({0})")])),
    Row("Sigmoid", unary([("{0}.sigmoid()", "{0}.sigmoid()"), ("F.sigmoid({0})", "torch.sigmoid({0})")])),
    Row("Relu", unary([("{0}.relu()", "{0}.relu()"), ("F.relu({0})", "TF.relu({0})")], Domain(away=(0.0,)))),
    Row("Clip", clip),
    Row("Cast", cast),
    Row("Alias", unary([("Alias.apply({0})", "{0}.view_as({0})")])),
    Row("Step", step),
    Row("Sum", reduction("sum", "sum")),
    Row("Mean", reduction("mean", "mean")),
    Row("Max", reduction("max", "amax", 1.0)),
    Row("Min", reduction("min", "amin", -1.0)),
    Row("Reshape", reshape),
    Row("Transpose", transpose),
    Row("BroadcastTo", broadcast_to),
    Row("GetItem", getitem),
    Row("ScatterAdd", scatter_add),
    Row("Concatenate", join(stack=False)),
    Row("Stack", join(stack=True)),
    Row("MatMul", matmul, True),
    Row("Affine", affine, True),
    Row("LogSumExp", logsumexp),
    Row("Softmax", along_axis("softmax", "TF.softmax")),
    Row("LogSoftmax", along_axis("log_softmax", "TF.log_softmax")),
    Row("NLLLoss", nll_loss),
    Row("MSELoss", mse_loss),
]}


def row(op: str) -> Row:
    """The op's row; an op registered without one fails every test that asks for it, naming it."""
    if op not in ROWS:
        raise LookupError(f"{op} is registered in autodiff.ops but has no row in tests/op_table.py: add one "
                          "(README, Adding an op)")
    return ROWS[op]


def missing() -> list[str]:
    """Registered ops without a row."""
    return sorted(set(REGISTRY) - set(ROWS))


# One call alone: the cases that test_ops.py and test_forward.py check -------------------------------


FRESH_SIDES = (1, 2, 3, 4, 2, 3, 1, 2, 3, 0)  # sides 1-4, size 1 often, an empty axis one time in ten


class Fresh(Source):
    """Every operand a new input (x0, x1, ...: the Tensors a check differentiates) or a constant. With
    `shapes`, the inputs take these shapes in turn (a draw that does not fit is rejected); with
    constants=False, no operand is a constant."""

    def __init__(self, draw: Draw, dtype: Any = np.float64, precise: bool = True,
                 shapes: Sequence[Shape] = (), constants: bool = True) -> None:
        super().__init__(draw, FRESH_SIDES, dtype, precise)
        self.shapes, self.constants = list(shapes), constants
        self.inputs: list[np.ndarray] = []
        self.lines: list[str] = []
        self.values: dict[str, np.ndarray] = {}
        self.namespace = dict(NAMESPACE)

    def operand(self, domain: Domain = ANY, fits: Callable[[Shape], bool] = lambda s: True,
                shape: Callable[[], Shape] | None = None, constant: str = "") -> Arg:
        s = self.shapes.pop(0) if self.shapes else None
        if s is None and constant and self.constants and self.pick([False, True]):
            return self.constant(domain, (shape or self.shape)(), constant)
        if s is None:
            s = (shape or self.shape)()
        elif not fits(s):
            reject()
        name = f"x{len(self.inputs)}"
        self.inputs.append(domain.sample(self.rng(), s).astype(self.dtype))
        return Arg(name, name, self.inputs[-1])

    def named(self, ad: str, th: str, value: np.ndarray) -> Arg:
        name = f"c{len(self.lines)}"
        self.lines.append(f"{name} = {ad}")
        self.namespace[name] = eval(ad, self.namespace)  # noqa: S307 (source this module wrote)
        self.values[name] = value
        return Arg(name, name, value)

    def earlier(self, fits: Callable[[Shape], bool], domain: Domain) -> list[Arg]:
        return [Arg(f"x{i}", f"x{i}", v) for i, v in enumerate(self.inputs) if fits(v.shape) and domain.holds(v)]


@dataclass
class Case:
    """One call of an op on new inputs: f(x0, x1, ...) is the call, its constants defined beside it."""

    op: str
    source: str  # the call in autodiff, over x0, x1, ... and the constants c0, c1, ...
    constants: list[str]  # their definitions, c0 = ...
    inputs: list[np.ndarray]
    f: Callable[..., Tensor] = field(repr=False)
    values: dict[str, np.ndarray] = field(repr=False, default_factory=dict)  # the constants' values

    def leaves(self) -> list[Tensor]:
        return [Tensor(x.copy(), requires_grad=True) for x in self.inputs]

    def __repr__(self) -> str:
        """The call as a script (without imports: NAMESPACE's names)."""
        lines = [*self.constants, *(f"x{i} = Tensor({array_source(x)}, requires_grad=True)" for i, x in enumerate(self.inputs))]
        return "\n".join([*lines, f"out = {self.source}  # {self.op}"])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints a failing case as its script


@st.composite
def cases(draw: Draw, op: str, dtype: Any = np.float64, precise: bool = True,
          shapes: Sequence[Shape] = (), constants: bool = True) -> Case:
    """A call of op, by its row, on new inputs of dtype (or constants); see Fresh."""
    b = Fresh(draw, dtype, precise, shapes, constants)
    ad, _ = row(op).call(b)
    names = ", ".join(f"x{i}" for i in range(len(b.inputs)))
    f = eval(f"lambda {names}: {ad}", b.namespace)  # noqa: S307
    return Case(op, ad, b.lines, b.inputs, f, b.values)
