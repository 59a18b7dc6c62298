"""The graphs that the toposort and backward-loop exercises run on, built afresh on each call (a backward
frees what forward saved), and the checker's own topological order."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autodiff import Function, Tensor

from .harness import answer, parent_nodes

Graph = tuple[Tensor, list[Tensor]]  # (the root, the leaves that require grad)


def fan_out() -> Graph:
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    return b * b, [a]


def trace() -> Graph:
    x1, x2 = Tensor(2.0, requires_grad=True), Tensor(5.0, requires_grad=True)
    return x1.log() + x1 * x2 - x2.tanh(), [x1, x2]


def diamond(seed: int = 8) -> Graph:
    w = Tensor(np.random.default_rng(seed).standard_normal(3), requires_grad=True)
    h = w.exp()
    return ((h * 2.0 + h.tanh()) * h * 3.0).sum(), [w]


def random_graph(seed: int = 8, ops: int = 40) -> Graph:
    rng = np.random.default_rng(seed)
    leaves = [Tensor(rng.standard_normal(2), requires_grad=True) for _ in range(3)]
    values = list(leaves)
    for _ in range(ops):
        p, q = (values[int(k)] for k in rng.integers(0, len(values), 2))
        values.append([p + q, p * q, p.tanh()][int(rng.integers(0, 3))])
    return sum(values[-5:], values[-6]).sum(), leaves


def broadcasting(seed: int = 9) -> Graph:
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    b = Tensor(rng.standard_normal((4, 1)), requires_grad=True)
    s = Tensor(rng.standard_normal(()), requires_grad=True)
    return ((x * w + b).tanh() * s).sum(), [x, w, b, s]


def constants(seed: int = 10) -> Graph:
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    frozen = Tensor(rng.standard_normal(3))  # a Tensor that does not require grad: a constant too
    return ((x * rng.standard_normal(3) + frozen) * x - frozen).sum(), [x]


def chain(depth: int) -> Graph:
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 0.99999
    return y, [x]


def doubling(depth: int = 40) -> Graph:
    """y = y + y, depth times: each node is used twice, so a walk that does not remember makes 2^depth visits."""
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y + y
    return y, [x]


@answer
def order(root: Tensor) -> list[Function]:
    """The nodes behind root, each after all of its consumers (Kahn's algorithm on consumer counts)."""
    consumers: dict[int, int] = {}
    todo, seen = [root.grad_fn], {id(root.grad_fn)}
    while todo:
        for p in parent_nodes(todo.pop()):
            consumers[id(p)] = consumers.get(id(p), 0) + 1
            if id(p) not in seen:
                seen.add(id(p))
                todo.append(p)
    found, ready = [], [root.grad_fn]
    while ready:
        node = ready.pop()
        found.append(node)
        for p in parent_nodes(node):
            consumers[id(p)] -= 1
            if not consumers[id(p)]:
                ready.append(p)
    return found


GRAPHS: list[tuple[str, Callable[[], Graph]]] = [
    ("the fan-out graph (b = a + a, c = b · b)", fan_out),
    ("deck 02's trace (y = log x1 + x1 x2 − tanh x2)", trace),
    ("a diamond with constants (h = exp(w), Σ (2h + tanh h) · h · 3)", diamond),
    ("a random graph of 40 ops", random_graph),
]
