"""The code a trace becomes: names, constants and lines, compiled into one Python function.

A line is `target = expression` with a comment where the engine decided something. The function's globals
hold what the lines name: op classes, their ctx objects, the tensors f closes over, constants (by reference,
never copied), and the few helpers of the engine a replay calls, the same functions eager calls.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import math
import re
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Function, accumulate_grads, add_grads, as_output, free_released_grads

RESERVED = re.compile(r"(?:x|g|gw|w|c|k|t)\d+")  # the generated code's own names
def release(*ctxs: Function) -> None:
    """What each ctx's forward saved and noted, freed after backward (as Backward.release frees a node's)."""
    for ctx in ctxs:
        ctx.saved_tensors = ()
        ctx.__dict__.clear()


HELPERS = {
    "asarray": np.asarray, "add_reduce": np.add.reduce, "ones_like": np.ones_like, "as_output": as_output,
    "add_grads": add_grads, "accumulate_grads": accumulate_grads, "free_released_grads": free_released_grads,
    "release": release,
}
_files = itertools.count(1)


class Code:
    """A function being written: its globals, by name, and its lines."""

    def __init__(self, arg_names: list[str]) -> None:
        self.arg_names = arg_names
        self.ns: dict[str, Any] = dict(HELPERS)
        self.taken = {*arg_names, *("g" + n for n in arg_names)}
        self.lines: list[tuple[str, str]] = []  # (line, comment)
        self.constants: dict[int, str] = {}

    def line(self, text: str, comment: str = "") -> None:
        self.lines.append((text, comment))

    def bind(self, name: str, obj: Any) -> str:
        """A global bound to obj: name itself, or name_2, name_3 ... where name is taken by something else."""
        base, n = name, 1
        while name in self.taken or (name in self.ns and self.ns[name] is not obj):
            n += 1
            name = f"{base}_{n}"
        self.ns[name] = obj
        return name

    def constant(self, obj: Any) -> str:
        """A constant of the trace, by reference (an in-place change shows in every replay): k0, k1, ..."""
        if id(obj) not in self.constants:
            self.constants[id(obj)] = self.bind(f"k{len(self.constants)}", obj)
        return self.constants[id(obj)]

    def literal(self, v: Any, expr: Callable[[Any], str]) -> str:
        """A parameter as source: a literal where Python has one, else expr(v) (an array's name)."""
        if v is None or v is Ellipsis or type(v) in (bool, int, str) or (type(v) is float and math.isfinite(v)):
            return repr(v)
        if type(v) in (tuple, list):
            body = ", ".join(self.literal(e, expr) for e in v) + ("," if type(v) is tuple and len(v) == 1 else "")
            return ("({})" if type(v) is tuple else "[{}]").format(body)
        if type(v) is slice:
            return f"slice({', '.join(self.literal(p, expr) for p in (v.start, v.stop, v.step))})"
        if isinstance(v, np.dtype):
            return self.bind("bool_" if v.name == "bool" else v.name, v)
        return expr(v)

    def build(self, name: str) -> tuple[Callable[..., Any], str]:
        """The function and its source. Tracebacks show its lines (linecache), until the function is dropped."""
        name = self.bind(name if name.isidentifier() and not keyword.iskeyword(name) else "f", None)
        said: set[str] = set()
        lines = [f"def {name}({', '.join(self.arg_names)}):"]
        for text, comment in self.lines:
            if comment in ONCE:
                comment, _ = ("" if comment in said else comment), said.add(comment)
            lines.append(f"    {text}  # {comment}" if comment else f"    {text}")
        source = "\n".join(lines)
        filename = f"<autodiff.compile: {name} #{next(_files)}>"
        exec(builtins.compile(source, filename, "exec"), self.ns)
        run = self.ns.pop(name)  # not kept in its own globals: dropped, it is freed by reference counting
        linecache.cache[filename] = (len(source), None, [line + "\n" for line in lines], filename)
        weakref.finalize(run, linecache.cache.pop, filename, None)
        return run, source


SCALAR = "a NumPy scalar, as a 0-d array"
ONCE = {SCALAR, "zero_grad's old arrays, freed here as eager frees them"}  # worth reading once a function
