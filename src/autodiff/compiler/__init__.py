"""autodiff.compile: trace a training step once, then replay it as straight-line NumPy.

    fast = autodiff.compile(loss_fn)   # loss_fn(*args) returns a scalar loss Tensor
    loss = fast(X, y)                  # loss_fn(X, y).backward(), bit for bit: every leaf's .grad
    print(fast.source)                 # the code the calls after the first one run

The first call with given shapes and dtypes runs f and its backward eagerly, watched through the core's seams
(trace.py): each op with the inputs that feed it, and every decision backward makes on the way. Later calls run
one generated Python function (codegen.py): each op's own forward(ctx, ...) and backward(ctx, grad), in the
order eager runs them, on arrays. No Tensor, no graph, no heap, no check the trace made already: the same NumPy
calls on the same arrays, so the same results, bit for bit. Guards (guards.py) trace again when what a replay
relies on changes. Calls of one compiled function take turns (a lock); two compiled functions trace and run
in two threads at once.

Like jax.jit, a trace sees only what goes through the ops. Python control flow on values, NumPy work on
`.data`, random numbers drawn inside f, and Python numbers read inside f are baked in as they were at the
trace; what can be seen (a traced value taken out as a number or an array, a NumPy function with no derivative
rule, a boolean index computed in f) raises an error during the trace.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from ..core import Tensor, as_tensor, is_grad_enabled, watchers, watching
from .guards import Signature, key, refused
from .trace import Tracer, arg_names

TRACES_PER_KEY = 8  # kept for one key of arguments, for closed-over tensors or mask counts that change back


def compile(f: Callable[..., Tensor]) -> Compiled:  # noqa: A001 (torch.compile's name)
    """f(*args) -> a scalar loss Tensor, as a function that computes the loss and its backward: traced on the
    first call with given shapes and dtypes, replayed as generated code after (see the module docstring)."""
    return Compiled(f)


class Replay:
    """One trace: the generated function, its source, and what it relies on."""

    def __init__(self, run: Callable[..., Any], source: str, signature: Signature) -> None:
        self.run, self.source, self.signature = run, source, signature


class Compiled:
    """What compile(f) returns: call it as f; `.source` is the code of the last call's trace."""

    def __init__(self, f: Callable[..., Tensor]) -> None:
        functools.update_wrapper(self, f, updated=())
        self.f = f
        self.traces: dict[tuple[Any, ...], list[Replay]] = {}
        self.last: Replay | None = None
        self.lock = threading.Lock()

    def __call__(self, *args: Any) -> Tensor:
        """f(*args).backward(), returning the loss (a Tensor without graph: backward has run)."""
        if watchers() or not is_grad_enabled():
            _refuse_modes()
        with self.lock:
            made = self.traces.setdefault(key(args), [])
            replay = _holding(made, args)
            if replay is None:
                loss, replay = _trace(self.f, args)
                made[:] = [*made[1 - TRACES_PER_KEY:], replay]
            else:
                loss = as_tensor(replay.run(*args))
            self.last = replay
            return loss

    @property
    def source(self) -> str:
        if self.last is None:
            raise RuntimeError("autodiff.compile: no source yet; the first call traces f and generates it")
        return self.last.source

    def __repr__(self) -> str:
        n = sum(map(len, self.traces.values()))
        return f"<autodiff.compile of {getattr(self.f, '__qualname__', self.f)!r}: {n} trace(s)>"


def _holding(made: list[Replay], args: tuple[Any, ...]) -> Replay | None:
    """The trace whose signature these arguments and f's closed-over tensors still match, if any."""
    for replay in made:
        if replay.signature.holds(args):
            return replay
    return None


def _refuse_modes() -> None:
    if any(isinstance(w, Tracer) for w in watchers()):
        raise refused("f calls a compiled function")
    if not is_grad_enabled() or watchers():
        raise RuntimeError("autodiff.compile: a compiled function runs backward, so it needs grad mode on and no "
                           "forward-mode level open (no_grad, dual_level, checkpoint): call f itself there")


def _trace(f: Callable[..., Tensor], args: tuple[Any, ...]) -> tuple[Tensor, Replay]:
    """Run f(*args).backward() eagerly, recorded: the loss, and the replay made from the record."""
    tracer = Tracer(arg_names(f, len(args)), args)
    with watching((*watchers(), tracer)):
        loss = f(*args)
        tracer.check_loss(loss)
        tracer.backward_of(loss)
    run, source = tracer.code.build(getattr(f, "__name__", "f"))
    return as_tensor(loss.data), Replay(run, source, tracer.signature)
