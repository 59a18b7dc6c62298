"""Exercise 04b's checker: backward(root, order, grad), the reverse sweep itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff
from autodiff import Function, Tensor

from .graphs import GRAPHS, Graph, broadcasting, chain, constants, doubling, order
from .harness import Wrong, compare, exercise, learner, these
from .opcheck import sum_to

ERRORS = [
    ("read-only", "an op's backward may return a read-only view (np.broadcast_to), or one array for two inputs: "
                  "add out of place, total = total + g, never +="),
    ("not iterable", "a node with one input returns its gradient itself, not a tuple: wrap it first, "
                     "out if isinstance(out, tuple) else (out,)"),
    ("RecursionError", "walk the order you are given, one node after the other, in a loop: a recursive walk nests "
                       "one Python call per node"),
    ("'NoneType'", "a node's backward returns None for an input that needs no gradient, and node.parents holds None "
                   "for a constant: skip both"),
    ("has no attribute 'shape'", "a node's output shape is node.out_shape; a leaf Tensor's is leaf.shape"),
    ("KeyError", "every node in the order needs its gradient before its turn: seed root.grad_fn with grad (ones "
                 "for a scalar root), and give each parent its share as you go"),
]


class _FirstOnly(Function):
    """z = x + y, whose backward sends nothing to y (None): a gradient the loop must skip."""

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    def backward(ctx, grad: np.ndarray) -> tuple[np.ndarray, None]:
        return grad, None


def _skips() -> Graph:
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = Tensor(np.ones(3), requires_grad=True)
    return (_FirstOnly.apply(x * 2.0, y) * y).sum(), [x, y]


class _Both(Function):
    """z = x + y, whose backward hands one and the same array to both inputs, as Add's may."""

    def forward(ctx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    def backward(ctx, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


def _shared() -> tuple[Tensor, list[Tensor], list[Function]]:
    """s = x + y, then x used again: s's node hands one array to both x and y, and the order reaches x's second
    use after it, so adding into x's array in place would change y's too."""
    x = Tensor(np.arange(1.0, 4.0), requires_grad=True)
    y = Tensor(np.ones(3), requires_grad=True)
    s = _Both.apply(x, y)
    first, second = (s * 2.0).sum(), (x * 3.0).sum()
    root = first + second
    nodes = [root.grad_fn, first.grad_fn, first.grad_fn.parents[0], s.grad_fn, second.grad_fn,
             second.grad_fn.parents[0]]
    return root, [x, y], nodes


READY = (Tensor.backward, autodiff.grad, autodiff.vjp, autodiff.jvp, autodiff.hessian, autodiff.hvp,
         getattr(autodiff, "jacobian", None), getattr(autodiff, "autograd", None))


@exercise("backward", forbid=these(*READY),
          write="write the loop yourself: call each node's backward, in the order given")
def check(backward: Callable[..., Any]) -> str:
    cases: list[tuple[str, Callable[[], Graph]]] = [
        *GRAPHS, ("a broadcasting graph (x (4, 3) · w (3,) + b (4, 1), times s ())", broadcasting),
        ("a graph with constants (NumPy arrays and a Tensor without requires_grad)", constants),
        ("a graph where a backward returns None for an input", _skips)]
    for what, build in cases:
        _run(backward, build, what)
    _run(backward, _unsummed, "a graph whose root is not a scalar (4, 3), seeded with a random grad",
         seed=np.random.default_rng(11).standard_normal((4, 3)))
    _run(backward, lambda: chain(20_000), "a chain 20,000 ops deep", limit=20.0)
    _run(backward, lambda: doubling(40), "a chain of 40 doublings (y = y + y)", limit=2.0)
    _run(backward, broadcasting, "a broadcasting graph whose leaves already hold a .grad", preset=True)
    root, leaves, nodes = _shared()
    learner("backward", backward, root, nodes, None, errors=ERRORS)
    x, y = leaves
    if y.grad is not None and np.allclose(y.grad, 5.0):
        raise Wrong("on s = x + y, then x used again: y.grad is 5, not 2: it got x's second share too. Add's "
                    "backward hands one array to both x and y, and adding x's next share into it in place "
                    "(+=) changed y's as well: add out of place, total = total + g")
    compare(y.grad, np.full(3, 2.0), "on s = x + y, then x used again: y.grad")
    compare(x.grad, np.full(3, 5.0), "on s = x + y, then x used again: x.grad")
    return (f"Every leaf's .grad is right on {len(cases) + 4} graphs: fan-out, constants, None, broadcasting, deep "
            "chains, leaves that already had a .grad, and one array shared by two inputs.")


def _unsummed() -> Graph:
    rng = np.random.default_rng(12)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    b = Tensor(rng.standard_normal((4, 1)), requires_grad=True)
    return (x * w + b).tanh(), [x, w, b]


def _run(backward: Callable[..., Any], build: Callable[[], Graph], what: str, limit: float | None = None,
         preset: bool = False, seed: np.ndarray | None = None) -> None:
    root, leaves = build()
    ref_root, ref_leaves = build()
    before = [np.full(x.shape, 0.5) if preset else None for x in leaves]
    for x, r, b in zip(leaves, ref_leaves, before):
        x.grad = r.grad = None if b is None else b.copy()
    nodes = order(root)
    learner("backward", backward, root, nodes, seed, errors=ERRORS, limit=limit,
            slow="is every node run once? Walk the order once, and keep the gradients in a dict keyed by node")
    ref_root.backward(seed)
    got_first = _overwritten(build, seed)
    ones = _overwritten(build, None if seed is None else np.ones_like(seed), add=True)
    for k, (x, r, b) in enumerate(zip(leaves, ref_leaves, before)):
        name = f"on {what}, the .grad of leaf {k} (shape {x.shape})"
        if x.grad is None:
            raise Wrong(f"{name} is None: after the loop, give each leaf (a Tensor in node.parents, not a "
                        "Function) the gradient summed for it: leaf.grad = ... (added to what it holds)")
        got = np.asarray(x.grad)
        if got.shape != x.shape:
            raise Wrong(f"{name} has shape {got.shape}: sum each gradient back to its input's shape with "
                        "unbroadcast (exercise 03a) before adding it up: parent.out_shape for a node, parent.shape "
                        "for a leaf")
        overwritten = None if got_first[k] is None else got_first[k] + (0 if b is None else b)
        mistakes = [(overwritten, "a value used twice kept only one of its gradients: at fan-out, add them up "
                                   "(total = total + g when the node or leaf already has one)")]
        if seed is not None:
            mistakes.append((ones[k], "that is the gradient for a seed of ones: start from the grad you are given "
                                      "(ones only when it is None)"))
        if b is not None:
            mistakes.append((r.grad - b, f"it held {b.flat[0]} everywhere before, and your backward replaced it: "
                                         "backward adds into .grad (leaf.grad = leaf.grad + g when it is not None)"))
        compare(got, r.grad, name, mistakes, rtol=1e-9, atol=1e-12)


def _overwritten(build: Callable[[], Graph], seed: np.ndarray | None, add: bool = False) -> list[Any]:
    """The leaves' gradients when a node's or leaf's later gradient replaces the earlier one (no fan-out sum);
    with `add`, the right ones."""
    root, leaves = build()
    grads: dict[int, Any] = {id(root.grad_fn): np.ones(root.shape) if seed is None else seed}
    for node in order(root):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        out = type(node).backward(node, g)
        out = out if isinstance(out, tuple) else (out,)
        for p, gp in zip(node.parents, out):
            if p is None or gp is None:
                continue
            shape = p.out_shape if isinstance(p, Function) else p.shape
            gp = sum_to(np.asarray(gp), shape)
            grads[id(p)] = grads[id(p)] + gp if add and id(p) in grads else gp  # replaced, not added: the mistake
    return [grads.get(id(x)) for x in leaves]
