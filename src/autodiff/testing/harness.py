"""The harness of the exercises' checker: register a checker, run it on an answer, run the learner's code
and report its errors with the learner's line, compare an answer with the right one."""

from __future__ import annotations

import sys
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autodiff import Function, Tensor
from autodiff.gradcheck import GradcheckError

Array = np.ndarray
Mistakes = list[tuple[Any, str]]  # (what a typical mistake computes, what to say when it matches)
RTOL, ATOL = 1e-7, 1e-10  # float64 answers that only round differently from the reference

class Wrong(Exception):
    """The answer is wrong; the message says how, and what to try."""


@dataclass
class Result:
    exercise: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message


EXERCISES: dict[str, Callable[..., str]] = {}  # name -> checker: returns what was checked, or raises Wrong


def exercise(name: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    def register(checker: Callable[..., str]) -> Callable[..., str]:
        EXERCISES[name] = checker
        return checker

    return register


def run(name: str, *answer: Any) -> Result:
    """Check an answer to exercise `name`: "correct", or what is wrong and a hint."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():  # the message says what overflowed
            warnings.simplefilter("ignore")
            detail = EXERCISES[name](*answer)
    except Wrong as err:
        return Result(name, False, f"{name}: {err}")
    return Result(name, True, f"{name}: correct. {detail}")


def check(name: str, *answer: Any) -> None:
    """Print what `run` says: the last cell of an exercise."""
    print(run(name, *answer))


def parent_nodes(node: Function) -> list[Function]:
    """The nodes that made `node`'s inputs, in input order: `node.parents` has one entry per input, the
    node that made it, or the leaf itself, or None for a constant; leaves and constants have no node."""
    return [p for p in node.parents if isinstance(p, Function)]


# Running the learner's code ------------------------------------------------------------------

_LIBRARY = tuple({str(Path(__file__).resolve().parent.parent), sys.prefix, sys.base_prefix, sys.exec_prefix})
# A phrase in an error message, and what it usually means.
_HINTS = (
    ("implicitly only for a scalar", "backward() of an output that is not a scalar needs its cotangent: "
     "out.backward(u) computes uᵀJ"),
    ("already backpropagated", "the first backward frees the graph: run the forward again"),
    ("NoneType", "a .grad is None until a backward reaches it, and stays None for a tensor the loss does not use"),
    ("could not be broadcast", "the shapes do not broadcast: sum(..., keepdims=True) keeps the summed axis "
     "with size 1, so the result broadcasts back"),
    ("core dimension", "NumPy cannot multiply these shapes. A gradient has its input's shape: which product "
     "of grad and the other factor gives it? Did you forget a transpose?"),
    ("unsized object", "x may be 0-d (one number): np.ndindex(x.shape) visits every entry, whatever the shape"),
    ("RecursionError", "a recursive walk nests one Python call per node: keep your own stack (a list of nodes "
     "to visit) instead"),
)


def _call(what: str, fn: Callable[..., Any], *args: Any, hints: Sequence[tuple[str, str]] = (), **kwargs: Any) -> Any:
    """fn(*args, **kwargs), where fn is (or calls) the learner's code: an error in it becomes a Wrong that
    names `what`, the learner's line and a hint. `hints`: (a phrase in the failing line, a hint)."""
    try:
        return fn(*args, **kwargs)
    except (Wrong, GradcheckError):
        raise
    except NotImplementedError:
        raise Wrong(f"not yet implemented: {what} still raises NotImplementedError. Write it in the cell above, "
                    "run that cell, then run this check again.") from None
    except Exception as err:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(_LIBRARY)]
        if isinstance(err, RecursionError):  # where it trips varies; the line that recurses does not
            calls = Counter((f.filename, f.lineno) for f in frames)
            frames = [max(frames, key=lambda f: calls[f.filename, f.lineno])] if frames else []
            message = f"{what} hit Python's recursion limit ({sys.getrecursionlimit()} nested calls)"
        else:
            first_line = str(err).split("\n")[0][:300]
            message = f"{what} raised {type(err).__name__}: {first_line}"
        line = (frames[-1].line or "").strip() if frames else ""
        if frames:
            message += f"\n  in your code, line {frames[-1].lineno}: {line}"
        hint = next((h for phrase, h in hints if line and phrase in line), None) or next(
            (h for phrase, h in _HINTS if phrase in f"{type(err).__name__}: {err}"), None)
        raise Wrong(message + (f"\n  hint: {hint}" if hint else "")) from None


# Comparing an answer with the right one ------------------------------------------------------


def _index(mask: Array) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _num(c: float) -> str:
    return f"{c:.4g}"


def _ratio(got: Array, want: Array) -> float | None:
    """c when got = c · want everywhere, for a c other than 1; else None."""
    scale = np.abs(want).max(initial=0)
    big = np.abs(want) > 1e-6 * scale
    if not big.any() or not np.allclose(got[~big], 0, atol=1e-6 * scale):
        return None
    r = got[big] / want[big]
    c = float(np.median(r))
    return c if np.allclose(r, c, rtol=1e-5, atol=1e-12) and not np.isclose(c, 1) else None


def _compare(
    got: Any,
    want: Array,
    what: str,
    mistakes: Mistakes = (),
    raw: Array | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    factor: Callable[[float], str | None] = lambda c: None,
    overflow: str = "an overflow (exp of a large number?) or a division by zero",
) -> None:
    """Raise a Wrong saying how `got` differs from `want`. `mistakes` are compared with `raw` (the value
    before the engine summed it) or `got`; `factor` turns a constant ratio into a hint."""
    if isinstance(got, Tensor):
        raise Wrong(f"{what} is a Tensor: return a NumPy array (grad and ctx.saved_tensors are arrays)")
    got = np.asarray(got)
    if got.shape != want.shape:
        raise Wrong(f"{what} has shape {got.shape}, but it should have shape {want.shape}")
    if not np.issubdtype(got.dtype, np.number):
        raise Wrong(f"{what} has dtype {got.dtype}: it should hold numbers")
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if close.all():
        return
    broken = ~np.isfinite(got) & np.isfinite(want)
    if broken.any():
        at = _index(broken)
        raise Wrong(f"{what} is {got[at]} at index {at}, where it should be {want[at]:.6g}: {overflow}")
    for mistake, message in mistakes:
        for g in (raw, got):
            if mistake is not None and g is not None and np.shape(mistake) == g.shape and np.allclose(g, mistake):
                raise Wrong(f"{what} is wrong: {message}")
    if not got.any():
        raise Wrong(f"{what} is all zeros, but the right answer is not")
    c = _ratio(got, want)
    if c is not None and np.isclose(c, -1):
        raise Wrong(f"{what} has the wrong sign: it is minus the right answer")
    if c is not None:
        raise Wrong(f"{what} is {_num(c)} times the right answer everywhere: "
                    + (factor(c) or "a constant factor is missing, or one too many"))
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and np.allclose(got, np.swapaxes(want, -1, -2), rtol, atol):
        raise Wrong(f"{what} is the transpose of the right answer: did you forget the transpose, "
                    "or transpose the wrong factor?")
    at = _index(~close)
    by = f" by a factor of {_num(got[at] / want[at])}" if want[at] and np.isfinite(got[at]) else ""
    raise Wrong(f"{what} is off at index {at}{by}: {got[at]:.6g} instead of {want[at]:.6g}")


def _try(f: Callable[[], Any]) -> Any:
    """What a mistake computes, or None where its shapes do not even fit."""
    try:
        return f()
    except ValueError:
        return None

