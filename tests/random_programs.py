"""Random programs for the differential test against PyTorch (tests/test_differential.py).

A program is straight-line code over leaves x0, x1, ... (float64 inputs that require grad): each
step applies one op of `autodiff.ops.REGISTRY`, as its row in tests/op_table.py calls it (one of its
public entry points, in autodiff and in torch), to earlier values (reused freely: fan-out) or to fresh
leaves and constants, and a last step folds every value that nothing else used into a scalar, `loss`.
`Program.source()` is that code twice, as `ours` (autodiff) and `theirs` (torch), with its inputs: the
test runs exactly this text, and prints it when the two disagree.

While hypothesis draws a program, each step is evaluated (in torch), so an op takes an earlier value
only where that value lies in the op's domain (positive for log; away from a kink, a pole or a tie
where the derivative jumps), and otherwise a fresh leaf drawn inside it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from hypothesis import event
from hypothesis import strategies as st

from op_table import ANY, ROWS, Arg, Domain, Form, Shape, Source, array_source, row

SIDES = (1, 2, 3, 2, 3, 1, 2, 3, 2, 0)  # a side shrinks to 1; an empty axis one time in ten
SMALL_SIDES = (1, 2)


# A program and its source ----------------------------------------------------------------------


@dataclass
class Block:
    """Steps start to stop of a program, which ours runs inside ad.checkpoint: a function of `args` (earlier
    values and constants, passed one by one or as one tuple) that closes over the rest and returns its values."""

    start: int
    stop: int
    args: list[str]
    packed: bool  # the args as one tuple argument
    single: bool  # one step, returned as itself rather than as a tuple of one

    def source(self, steps: list[tuple[str, str, str]]) -> list[str]:
        names = [name for name, _, _ in steps[self.start:self.stop]]
        params = "args" if self.packed else ", ".join(self.args)
        body = [f"{', '.join(self.args)}, = args"] if self.packed and self.args else []
        body += [f"{name} = {ad}" for name, ad, _ in steps[self.start:self.stop]]
        body.append(f"return {names[0]}" if self.single else f"return ({', '.join(names)},)")
        given = f"({', '.join(self.args)}{',' if len(self.args) == 1 else ''})" if self.packed else ", ".join(self.args)
        call = f"ad.checkpoint(block{', ' + given if given else ''})"
        outs = names[0] if self.single else f"{', '.join(names)},"
        return [f"def block({params}):", textwrap.indent("\n".join(body), "    "), f"{outs} = {call}"]


@dataclass(repr=False)
class Program:
    """A drawn program: its leaves, constants, steps and the directions the checks differentiate along."""

    inputs: list[np.ndarray]
    constants: list[tuple[str, str, str]]  # name, autodiff source, torch source
    steps: list[tuple[str, str, str]]  # name, autodiff expression, torch expression
    tangents: list[np.ndarray]  # forward mode: where each input moves
    directions: list[np.ndarray]  # second order: the v of H v
    block: Block | None = None  # in ours, steps run inside ad.checkpoint

    def source(self) -> str:
        """The program as a Python script defining ours(x0, ...), theirs(x0, ...) and their inputs."""
        args = ", ".join(f"x{i}" for i in range(len(self.inputs)))
        out = ", ".join(f'"{name}": {name}' for name, _, _ in self.steps)

        def body(lib: int) -> str:
            lines = [f"{name} = {c[lib]}" for name, *c in self.constants]
            steps = [f"{name} = {s[lib]}" for name, *s in self.steps]
            if lib == 0 and self.block:
                steps[self.block.start:self.block.stop] = self.block.source(self.steps)
            return textwrap.indent("\n".join(lines + steps + [f"return {{{out}}}"]), "    ")

        return "\n".join([
            HEADER, "", "", f"def ours({args}):", body(0), "", "", f"def theirs({args}):", body(1), "", "",
            f"inputs = {_arrays(self.inputs)}",
            f"tangents = {_arrays(self.tangents)}  # forward mode: the direction each input moves in",
            f"directions = {_arrays(self.directions)}  # second order: the v of H v",
        ])

    __repr__ = source

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.source())  # hypothesis prints the (shrunk) program as its source


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


def _arrays(arrays: list[np.ndarray]) -> str:
    return "[" + ", ".join(array_source(a) for a in arrays) + "]"


# Drawing a program ------------------------------------------------------------------------------


class Builder(Source):
    """The program being drawn: hypothesis' draw, the values so far (in torch) and their sources."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], sides: Sequence[int]) -> None:
        super().__init__(draw, sides)
        self.inputs: list[np.ndarray] = []
        self.constants: list[tuple[str, str, str]] = []
        self.steps: list[tuple[str, str, str]] = []
        self.env: dict[str, Any] = {"torch": torch, "TF": torch.nn.functional}
        self.live: list[str] = []  # leaves and steps: what an op may take as an operand
        self.used: set[str] = set()
        self.made: list[set[str]] = []  # per step, the constants its call defined

    def value(self, name: str) -> np.ndarray:
        return self.env[name].numpy()

    def operand(self, domain: Domain = ANY, fits: Callable[[Shape], bool] = lambda s: True,
                shape: Callable[[], Shape] | None = None, constant: str = "") -> Arg:
        """An earlier float64 value that fits and lies in the domain, or a fresh leaf (or, when `constant`
        names the kinds allowed, a constant) drawn inside it. Fresh ones are what it shrinks to."""
        names = [n for n in reversed(self.live)
                 if fits(self.env[n].shape) and self.env[n].dtype == torch.float64 and domain.holds(self.value(n))]
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

    def earlier(self, fits: Callable[[Shape], bool], domain: Domain) -> list[Arg]:
        return [Arg(n, n, self.value(n)) for n in self.live if fits(self.env[n].shape) and domain.holds(self.value(n))]

    def named(self, ad: str, th: str, value: np.ndarray) -> Arg:
        """A constant defined by a line of its own (cN = ...) at the top of the program."""
        name = f"c{len(self.constants)}"
        self.constants.append((name, ad, th))
        self.env[name] = eval(th, self.env)  # noqa: S307 (source this module wrote)
        return Arg(name, name, value)

    def emit(self, op: str, ad: str, th: str, made: set[str]) -> None:
        name = f"v{len(self.steps)}"
        with torch.no_grad():
            self.env[name] = eval(th, self.env)  # noqa: S307
        self.steps.append((name, ad, th))
        self.made.append(made)
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

    def block(self, program: Program, around: int | None = None) -> Block:
        """Some of the program's steps (step `around` among them), to checkpoint: their arguments drawn from
        what comes before them (leaves, constants, earlier steps; the constants step `around` made, always),
        the rest closed over."""
        n = len(program.steps) - 1  # not the loss
        start = self.draw(st.integers(0, n - 1 if around is None else around))
        stop = self.draw(st.integers(max(start, -1 if around is None else around) + 1, n))
        passable = [name for name, _, _ in self.constants]
        made = self.made[around] if around is not None else set()
        before = [f"x{i}" for i in range(len(self.inputs))] + [name for name, _, _ in program.steps[:start]]
        args = [name for name in before + passable if name in made or self.pick([False, True])]
        return Block(start, stop, args, self.pick([False, True]), stop - start == 1 and self.pick([False, True]))


@st.composite
def programs(draw: Callable[[st.SearchStrategy[Any]], Any], min_ops: int = 3, max_ops: int = 12,
             sides: Sequence[int] = SIDES, require: str | None = None, checkpoint: bool = False,
             calls: dict[str, Callable[[Source], Form]] | None = None) -> Program:
    """A random program of min_ops to max_ops ops, each called as its row in tests/op_table.py draws it
    (or as `calls` says, for the ops it names), with `require` among them, ending in a scalar; with
    `checkpoint`, ours runs some of its steps inside ad.checkpoint."""
    ops = draw(st.lists(st.sampled_from(sorted(ROWS)), min_size=min_ops, max_size=max_ops))
    if require is not None and require not in ops:
        ops.insert(draw(st.integers(0, len(ops))), require)
    b = Builder(draw, sides)
    for op in ops:
        before = len(b.constants)
        ad, th = (calls or {}).get(op, row(op).call)(b)
        b.emit(op, ad, th, {name for name, _, _ in b.constants[before:]})
    program = b.finish()
    if checkpoint:
        program.block = b.block(program, ops.index(require) if require is not None else None)
    return program
