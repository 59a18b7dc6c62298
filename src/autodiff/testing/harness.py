"""The harness of the exercises' checker.

- `exercise(name, ...)` registers a checker; `run` and `check` run it on an answer. A checker raises
  `Wrong(message)` or returns what it checked.
- `learner(what, fn, ...)` runs the learner's code: an error becomes a message with the learner's line
  and a hint; a None where a value is due asks about `return`; a call from the learner's code into the
  package's own op, backward or optimizer (seen with sys.setprofile) is refused: write it yourself.
  NumPy's warnings from the learner's lines (an overflow on the way to a right answer) are reported.
- `compare(got, want, what, mistakes)` says how an answer differs from the right one: a typical
  mistake, a sign, a constant factor, a transpose, or a relative error at an index.
"""

from __future__ import annotations

import linecache
import sys
import time
import traceback
import types
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import autodiff
from autodiff import Function, Tensor
from autodiff.gradcheck import GradcheckError

Array = np.ndarray
Mistakes = list[tuple[Any, str]]  # (what a typical mistake computes, what to say when it matches)
RTOL, ATOL = 1e-7, 1e-10  # float64 answers that only round differently from the reference

PACKAGE = str(Path(autodiff.__file__).resolve().parent)  # the package's code: what the learner must not call
CHECKER = str(Path(__file__).resolve().parent)  # this checker, part of the package but not an answer
_LIBRARY = tuple({PACKAGE, sys.prefix, sys.base_prefix, sys.exec_prefix, "<frozen "})


class Wrong(Exception):
    """The answer is wrong; the message says how, and what to try."""


class Unfinished(Wrong):
    """The learner's stub still raises NotImplementedError."""


class Refused(Wrong):
    """The answer calls the package's own answer: the learner is to write it."""


class NoReturn(Wrong):
    """The learner's function returned None where a value is due."""


@dataclass
class Result:
    exercise: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message


Policy = Callable[[types.CodeType], "str | None"]  # a package function -> why the learner may not call it, or None


@dataclass
class _Checker:
    check: Callable[..., str]
    forbid: Policy  # which package functions the learner's code may not call
    anywhere: bool  # refuse them even when the package calls them for the learner (an inherited method)
    write: str  # what to write instead, for the refusal


EXERCISES: dict[str, _Checker] = {}  # name -> its checker


def exercise(name: str, forbid: Policy | None = None, anywhere: bool = False,
             write: str = "write it yourself") -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register a checker. `forbid` (default: every package function but Function's own) says which of the
    package's functions the learner's code may not call; `anywhere`: not even through the package."""
    def register(checker: Callable[..., str]) -> Callable[..., str]:
        EXERCISES[name] = _Checker(checker, forbid or all_but_function, anywhere, write)
        return checker

    return register


@dataclass
class _Run:
    """What one check has seen so far: the policy, and the learner's first warning."""

    checker: _Checker
    caught: list[warnings.WarningMessage] = field(default_factory=list)
    warned: tuple[str, warnings.WarningMessage] | None = None  # (what was running, the warning)


_RUNS: list[_Run] = []


def run(name: str, *answer: Any) -> Result:
    """Check an answer to exercise `name`: "correct", or what is wrong and a hint."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    state = _Run(EXERCISES[name])
    _RUNS.append(state)
    try:
        with warnings.catch_warnings(record=True) as caught, np.errstate(
                over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            state.caught = caught
            try:
                detail = state.checker.check(*answer)
            except Wrong as err:
                return Result(name, False, f"{name}: {err}")
    finally:
        _RUNS.pop()
    if state.warned:
        what, w = state.warned
        return Result(name, False, f"{name}: the values are right, but {what} warned: {w.category.__name__}: "
                      f"{w.message}\n  in your code, line {w.lineno}: {_line(w.filename, w.lineno)}\n  hint: "
                      "a step on the way overflowed or divided by zero, and the inf or nan it made happened not to "
                      "reach the result here (np.where computes both branches; 1 / (1 + inf) is 0): at other "
                      "inputs, or in float32, it will. Compute it so that no step overflows")
    return Result(name, True, f"{name}: correct. {detail}")


def check(name: str, *answer: Any) -> None:
    """Print what `run` says: the last cell of an exercise."""
    print(run(name, *answer))


def parent_nodes(node: Function) -> list[Function]:
    """The nodes that made `node`'s inputs, in input order: `node.parents` has one entry per input, the
    node that made it, or the leaf itself, or None for a constant; leaves and constants have no node."""
    return [p for p in node.parents if isinstance(p, Function)]


# Which package functions an answer may call --------------------------------------------------


def learner_file(filename: str) -> bool:
    """Is this the learner's code (a notebook cell, a file of theirs), not a library's or the package's?"""
    return not filename.startswith(_LIBRARY)


def _package_code(code: types.CodeType) -> bool:
    return code.co_filename.startswith(PACKAGE) and not code.co_filename.startswith(CHECKER)


def _codes(*objects: Any) -> set[types.CodeType]:
    """The code objects of these functions, methods, properties and classes (every function in a class)."""
    found: set[types.CodeType] = set()
    for obj in objects:
        if isinstance(obj, types.ModuleType):
            found |= _codes(*[v for v in vars(obj).values()
                              if getattr(v, "__module__", None) == obj.__name__ and not isinstance(v, types.ModuleType)])
        elif isinstance(obj, type):
            found |= _codes(*vars(obj).values())
        elif isinstance(obj, property):
            found |= _codes(obj.fget, obj.fset, obj.fdel)
        elif isinstance(obj, (classmethod, staticmethod)):
            found |= _codes(obj.__func__)
        elif hasattr(obj, "__code__"):
            found.add(obj.__code__)
    return found


@cache
def _package_ops() -> tuple[type, ...]:
    """Every op of the package: the Function subclasses it defines (the checker's own excepted)."""
    todo, found = list(Function.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("autodiff.") and not cls.__module__.startswith(__package__):
            found.append(cls)
    return tuple(found)


def _name(code: types.CodeType) -> str:
    return getattr(code, "co_qualname", code.co_name)


def _private(code: types.CodeType) -> bool:
    return code.co_name.startswith("_") and not code.co_name.startswith("__")


@cache
def _function_codes() -> frozenset[types.CodeType]:
    """Function's own methods and properties, but apply (which runs an op)."""
    return frozenset(_codes(Function) - _codes(vars(Function).get("apply")))


def all_but_function(code: types.CodeType) -> str | None:
    """For an op: nothing of the package but Function's own methods (save_for_backward, ...), not even apply."""
    return None if code in _function_codes() else f"the package's {_name(code)}"


def everything(code: types.CodeType) -> str | None:
    """For plain NumPy answers: nothing of the package at all."""
    return f"the package's {_name(code)}"


all_but_function.lenient = everything.lenient = True  # type: ignore[attr-defined]  # only a ready answer stops the code


@cache
def _apply_codes() -> frozenset[types.CodeType]:
    return frozenset(_codes(vars(Function).get("apply")))


@cache
def _tensor_codes() -> frozenset[types.CodeType]:
    return frozenset(_codes(Tensor))


@cache
def _major() -> frozenset[types.CodeType]:
    """What an answer must never call: the package's ready answers, its gradcheck, the checker's answers."""
    return _ready_answers() | frozenset(_codes(autodiff.gradcheck, getattr(autodiff, "functional", None)))


@cache
def _ready_answers() -> frozenset[types.CodeType]:
    """The package's ops (their rules), its backward, its transforms and its optimizers."""
    optimizers = [v for v in vars(autodiff.optim).values() if isinstance(v, type) and v.__module__ == "autodiff.optim"]
    return frozenset(_codes(*_package_ops(), *optimizers, Tensor.backward, autodiff.grad, autodiff.vjp,
                            autodiff.jvp, autodiff.hessian, autodiff.hvp, getattr(autodiff, "jacobian", None)))


def delegates(*extra: Any) -> Policy:
    """The package's ready answers (its ops' rules, its backward, transforms and optimizers), its private
    functions, and `extra`; attribute access (properties) and Tensor's arithmetic stay allowed."""
    more = frozenset(_codes(*extra))

    def policy(code: types.CodeType) -> str | None:
        if code in _ready_answers() or code in more or _private(code):
            return f"the package's {_name(code)}"
        return None

    return policy


ANSWERS: set[types.CodeType] = set()  # the checker's own answers (its unbroadcast, its toposort, ...)

F = TypeVar("F", bound=Callable[..., Any])


def answer(fn: F) -> F:
    """Mark one of the checker's functions as an exercise's answer: the learner's code may not call it."""
    ANSWERS.add(fn.__code__)
    return fn


class _Stop(BaseException):
    """Raised inside the learner's code to stop it (a BaseException: their `except Exception` lets it pass)."""


class _TimeUp(_Stop):
    pass


def these(*objects: Any, private: bool = True) -> Policy:
    """Forbid these functions (the methods of these classes, the functions of these modules), and the
    package's private functions (unless `private` is False: the package calls its own)."""
    def policy(code: types.CodeType) -> str | None:
        if code in forbidden or private and _private(code):
            return f"the package's {_name(code)}"
        return None

    forbidden = frozenset(_codes(*objects))
    return policy


@dataclass
class _Watch:
    """sys.setprofile while the learner's code runs: the first call from it into a function of the package
    that the policy forbids (with `anywhere`, also such a call the package makes on the learner's behalf)
    stops it, and so does the deadline; `count` sees every call."""

    policy: Policy
    anywhere: bool
    deadline: float | None = None  # time.monotonic() past which the learner's code is stopped
    count: Callable[[types.FrameType], None] | None = None
    offence: tuple[str, str, int] | None = None  # (what was called, the learner's file and line)
    major: bool = False  # the offence is a ready answer (else a lenient policy lets the code run on)
    events: int = 0

    def __enter__(self) -> _Watch:
        self.previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(self.previous)

    def _profile(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if self.deadline is not None:
            self.events += 1
            if not self.events & 1023 and time.monotonic() > self.deadline:
                raise _TimeUp
        if event != "call":
            return
        if self.count is not None:
            self.count(frame)
        caller = frame.f_back
        if frame.f_code in ANSWERS:
            if caller is not None and learner_file(caller.f_code.co_filename):
                self.offence = (f"the checker's {_name(frame.f_code)}", caller.f_code.co_filename, caller.f_lineno)
                self.major = True
                raise _Stop
            return
        if self.major or not _package_code(frame.f_code):
            return
        if not self.anywhere and (caller is None or not learner_file(caller.f_code.co_filename)):
            return
        what = self.policy(frame.f_code)
        if what is None:
            return
        major = not getattr(self.policy, "lenient", False) or frame.f_code in _major()
        if frame.f_code in _apply_codes():  # an op run: the package's own op is a ready answer
            cls = frame.f_locals.get("cls")
            what = f"the package's {getattr(cls, '__name__', 'Function')}.apply"
            major = major or cls in _package_ops()
        if not major and frame.f_code in _tensor_codes():
            return  # a Tensor made or read: later checks say what is wrong with it
        if self.offence is not None and not major:
            return  # keep the first; a ready answer may still come
        while caller is not None and not learner_file(caller.f_code.co_filename):
            caller = caller.f_back
        self.offence = (what, caller.f_code.co_filename, caller.f_lineno) if caller else (what, "", 0)
        self.major = major
        if major:
            raise _Stop


def _line(filename: str, lineno: int) -> str:
    return linecache.getline(filename, lineno).strip()


# Running the learner's code ------------------------------------------------------------------

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
    ("defines no backward", "super().backward is Function's, which has no rule: write it in your class"),
    ("not enough values to unpack (expected 1, got 0)", "ctx.saved_tensors is empty: did forward save what "
     "backward needs? ctx.save_for_backward(x) in forward"),
)


def learner(what: str, fn: Callable[..., Any], *args: Any, hints: Sequence[tuple[str, str]] = (),
            errors: Sequence[tuple[str, str]] = (), returns: bool = False, limit: float | None = None,
            slow: str = "", count: Callable[[types.FrameType], None] | None = None, **kwargs: Any) -> Any:
    """fn(*args, **kwargs), where fn is (or calls) the learner's code: an error in it becomes a Wrong that
    names `what`, the learner's line and a hint: `hints` are (a phrase in the failing line, a hint),
    `errors` (a phrase in the error, a hint). returns: a value is due, so None means a forgotten `return`.
    limit: seconds it may take (`slow` says why it would not); a call into the package that the exercise
    forbids is refused; the learner's first warning is kept for the verdict."""
    state = _RUNS[-1] if _RUNS else None
    seen = len(state.caught) if state else 0
    checker = state.checker if state else _Checker(lambda: "", lambda code: None, False, "")
    start = time.monotonic()
    watch = _Watch(checker.forbid, checker.anywhere, None if limit is None else start + limit, count)
    try:
        with watch:
            result = fn(*args, **kwargs)
    except (Wrong, GradcheckError):
        raise
    except _TimeUp:
        raise Wrong(f"{what} did not finish in {limit:g} s" + (f": {slow}" if slow else "")) from None
    except _Stop:
        _refuse(what, watch, checker)
        raise
    except Exception as err:
        if watch.offence:
            _refuse(what, watch, checker)
        message = _error_message(what, err, hints, errors)
        raise (Unfinished if message.startswith("not yet implemented") else Wrong)(message) from None
    if watch.offence:
        _refuse(what, watch, checker)
    if state and state.warned is None:
        mine = [w for w in state.caught[seen:] if issubclass(w.category, RuntimeWarning) and learner_file(w.filename)]
        if mine:
            state.warned = (what, mine[0])
    if returns and result is None:
        raise NoReturn(f"{what} returned None: did you forget `return`?")
    return result


def _refuse(what: str, watch: _Watch, checker: _Checker) -> None:
    called, filename, lineno = watch.offence
    where = f"\n  in your code, line {lineno}: {_line(filename, lineno)}" if filename else ""
    why = "that is the answer, already written" if watch.major else "this exercise does without the package"
    raise Refused(f"{what} calls {called}: {why}. The exercise is to {checker.write}{where}") from None


def _error_message(what: str, err: Exception, hints: Sequence[tuple[str, str]], errors: Sequence[tuple[str, str]]) -> str:
    stack = traceback.extract_tb(err.__traceback__)
    frames = [f for f in stack if learner_file(f.filename)]
    if isinstance(err, NotImplementedError) and stack and learner_file(stack[-1].filename):  # a stub's raise
        name = err.args[0] if err.args and isinstance(err.args[0], str) and err.args[0] else what
        return (f"not yet implemented: {name} still raises NotImplementedError. Write it in the cell above, "
                "run that cell, then run this check again.")
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
    error = f"{type(err).__name__}: {err}"
    hint = next((h for phrase, h in hints if line and phrase in line), None) or next(
        (h for phrase, h in (*errors, *_HINTS) if phrase in error), None)
    return message + (f"\n  hint: {hint}" if hint else "")


def own_class(cls: Any, kind: str, methods: Sequence[str], base: type | None = Function) -> None:
    """cls is the learner's class: a subclass of `base` (when given) whose `methods` are the learner's own,
    inheriting nothing from the package but `base` itself."""
    if not isinstance(cls, type) or (base is not None and not issubclass(cls, base)):
        raise Wrong(f"expected your {kind} class{'' if base is None else f' (a subclass of {base.__name__})'}, "
                    f"got {cls!r}")
    for parent in cls.__mro__[1:]:
        if parent is not base and parent is not object and parent.__module__.split(".")[0] == "autodiff":
            raise Wrong(f"your {cls.__name__} inherits the package's {parent.__module__}.{parent.__qualname__}, "
                        f"so its {' and '.join(methods)} may be the package's, already written: inherit "
                        f"{'object' if base is None else base.__name__} only, and write them yourself")
    for method in methods:
        if base is not None and getattr(cls, method, None) is getattr(base, method, None):
            raise Wrong(f"your {cls.__name__} has no {method} of its own: define {method} in the class")
        code = getattr(getattr(cls, method, None), "__code__", None)
        if code is not None and not learner_file(code.co_filename):
            raise Wrong(f"{cls.__name__}.{method} is the package's {_name(code)}, already written: write your own")


# Comparing an answer with the right one ------------------------------------------------------


def index(mask: Array) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def num(c: float) -> str:
    return f"{c:.4g}"


def pair(got: float, want: float) -> str:
    """'a instead of b (relative error r)', in full when the two print the same to 6 digits."""
    a, b = f"{got:.6g}", f"{want:.6g}"
    if a == b:
        return f"{float(got)!r} instead of {float(want)!r} (they differ by {abs(float(got) - float(want)):.2g})"
    if want and np.isfinite(got):
        return f"{a} instead of {b} (relative error {abs((float(got) - float(want)) / float(want)):.2g})"
    return f"{a} instead of {b}"


def ratio(got: Array, want: Array) -> float | None:
    """c when got = c · want everywhere, for a c other than 1; else None."""
    scale = np.abs(want).max(initial=0)
    big = np.abs(want) > 1e-6 * scale
    if not big.any() or not np.allclose(got[~big], 0, atol=1e-6 * scale):
        return None
    r = got[big] / want[big]
    c = float(np.median(r))
    return c if np.allclose(r, c, rtol=1e-5, atol=1e-12) and not np.isclose(c, 1) else None


def as_array(got: Any, what: str, lists: bool = True) -> Array:
    """got as an array: a Tensor or (unless `lists`) a list is refused with a message; None asks about return."""
    if got is None:
        raise Wrong(f"{what} is None: did you forget `return`?")
    if isinstance(got, Tensor):
        raise Wrong(f"{what} is a Tensor: return a NumPy array (grad and ctx.saved_tensors are arrays)")
    if isinstance(got, (list, tuple)) and not lists:
        numbers = all(np.ndim(g) == 0 and not isinstance(g, np.ndarray) for g in got)
        raise Wrong(f"{what} is a {type(got).__name__}" + (" of numbers" if numbers else "")
                    + (" (did you call .tolist()?)" if isinstance(got, list) else "") + ": return a NumPy array")
    try:
        return np.asarray(got)
    except ValueError:
        raise Wrong(f"{what} is a {type(got).__name__} of pieces of different shapes: return one array") from None


def compare(
    got: Any,
    want: Array,
    what: str,
    mistakes: Mistakes = (),
    raw: Array | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    factor: Callable[[float], str | None] = lambda c: None,
    overflow: str = "an overflow (exp of a large number?) or a division by zero",
    lists: bool = True,
) -> None:
    """Raise a Wrong saying how `got` differs from `want`. `mistakes` are compared with `raw` (the value
    before the engine summed it) or `got`; `factor` turns a constant ratio into a hint."""
    got = as_array(got, what, lists)
    want = np.asarray(want)
    if got.shape != want.shape:
        raise Wrong(f"{what} has shape {got.shape}, but it should have shape {want.shape}")
    if not np.issubdtype(got.dtype, np.number):
        raise Wrong(f"{what} has dtype {got.dtype}: it should hold numbers")
    with np.errstate(all="ignore"):
        close = np.isclose(got, want, rtol=rtol, atol=atol)
    if close.all():
        return
    broken = ~np.isfinite(got) & np.isfinite(want)
    if broken.any():
        at = index(broken)
        place = f" at index {at}" if want.ndim else ""
        raise Wrong(f"{what} is {got[at]}{place}, where it should be {want[at] + 0.0:.6g}: {overflow}")
    for mistake, message in mistakes:
        for g in (raw, got):
            if mistake is not None and g is not None and np.shape(mistake) == g.shape and np.allclose(g, mistake):
                raise Wrong(f"{what} is wrong: {message}")
    if not got.any():
        raise Wrong(f"{what} is {'all zeros' if got.size > 1 else 'zero'}, but the right answer is not")
    c = ratio(got, want)
    if c is not None and np.isclose(c, -1):
        raise Wrong(f"{what} has the wrong sign: it is minus the right answer")
    if c is not None and (want.size > 1 or factor(c)):
        raise Wrong(f"{what} is {num(c)} times the right answer{' everywhere' if want.size > 1 else ''}: "
                    + (factor(c) or "a constant factor is missing, or one too many"))
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and np.allclose(got, np.swapaxes(want, -1, -2), rtol, atol):
        raise Wrong(f"{what} is the transpose of the right answer: did you forget the transpose, "
                    "or transpose the wrong factor?")
    at = index(~close)
    if want.ndim == 0:
        raise Wrong(f"{what} is {pair(got[at], want[at])}")
    raise Wrong(f"{what} is off at index {at}: {pair(got[at], want[at])}")


def attempt(f: Callable[[], Any]) -> Any:
    """What a mistake computes, or None where its shapes do not even fit (or it overflows)."""
    try:
        with np.errstate(all="ignore"):
            return f()
    except (ValueError, IndexError):
        return None
