"""Exercise 04's checker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import Function, Tensor

from .harness import Wrong, _call, exercise, parent_nodes


@exercise("toposort")
def _toposort(toposort: Callable[[Tensor], Any]) -> str:
    """04: toposort(root): every node once, each after all of its consumers, without recursion."""
    rng = np.random.default_rng(8)
    graphs = []
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    graphs.append(("the fan-out graph (b = a + a, c = b + b)", b + b))
    x1, x2 = Tensor(2.0, requires_grad=True), Tensor(5.0, requires_grad=True)
    graphs.append(("deck 02's trace (y = log x1 + x1 x2 − tanh x2)", x1.log() + x1 * x2 - x2.tanh()))
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    h = w.exp()
    graphs.append(("a diamond with constants ((2h + tanh h) · h · 3)", (h * 2.0 + h.tanh()) * h * 3.0))
    values = [Tensor(rng.standard_normal(2), requires_grad=True) for _ in range(3)]
    for _ in range(40):
        p, q = (values[int(k)] for k in rng.integers(0, len(values), 2))
        values.append([p + q, p * q, p.tanh()][int(rng.integers(0, 3))])
    graphs.append(("a random graph of 40 ops", sum(values[-5:], values[-6]).sum()))
    for what, root in graphs:
        _check_order(_call("toposort", toposort, root), root, what)
    chain = Tensor(1.0, requires_grad=True)
    for _ in range(20_000):
        chain = chain * 0.99999
    _check_order(_call("toposort on a chain 20,000 ops deep", toposort, chain), chain, "a chain 20,000 ops deep")
    return "Every node once, each after all of its consumers, on 4 graphs and a chain 20,000 ops deep."


def _check_order(order: Any, root: Tensor, what: str) -> None:
    nodes, edges, todo = {id(root.grad_fn): root.grad_fn}, [], [root.grad_fn]  # edges: (consumer, producer)
    while todo:
        node = todo.pop()
        for p in parent_nodes(node):
            edges.append((node, p))
            if id(p) not in nodes:
                nodes[id(p)] = p
                todo.append(p)
    if not isinstance(order, (list, tuple)):
        raise Wrong(f"toposort returned {type(order).__name__} on {what}: return a list of nodes")
    strays = [n for n in order if not isinstance(n, Function)]
    if strays:
        kind = "Tensors" if isinstance(strays[0], Tensor) else type(strays[0]).__name__
        raise Wrong(f"on {what}, your list holds {kind}: list the nodes, the Function objects (root.grad_fn, "
                    "then parent_nodes(node) of each node)")
    count = Counter(id(n) for n in order)
    twice = next((n for n in order if count[id(n)] > 1), None)
    if twice is not None:
        raise Wrong(f"on {what}, one node ({type(twice).__name__}) appears {count[id(twice)]} times: a node with two "
                    "consumers is reached twice. Remember the nodes you have seen (a set of id(node)) and list each once")
    missing = [n for k, n in nodes.items() if k not in count]
    if missing:
        names = ", ".join(type(n).__name__ for n in missing[:4])
        raise Wrong(f"on {what}, {len(missing)} of {len(nodes)} nodes are missing ({names}): follow "
                    "parent_nodes(node) of every node you visit")
    if len(order) > len(nodes):
        raise Wrong(f"on {what}, your list holds nodes that root does not depend on")
    pos = {id(n): k for k, n in enumerate(order)}
    late = [(c, p) for c, p in edges if pos[id(c)] > pos[id(p)]]
    if late and len(late) == len(edges):
        raise Wrong(f"on {what}, your list runs the wrong way: producers first, as a DFS post-order lists them. "
                    "backward visits a node after all of its consumers: reverse the list")
    if late:
        c, p = late[0]
        raise Wrong(f"on {what}, {type(p).__name__} (at {pos[id(p)]}) comes before {type(c).__name__} (at "
                    f"{pos[id(c)]}), which uses its output: backward would run it before all of its gradient has "
                    "arrived. Every node must come after all of its consumers")

