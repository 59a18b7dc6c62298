"""Exercise 04's checker: toposort(root), every node once, each after all of its consumers, without recursion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from autodiff import Function, Tensor

from .graphs import GRAPHS, chain, doubling
from .harness import Wrong, delegates, exercise, learner, parent_nodes

SLOW = ("a node used twice is reached twice, and each time your walk goes on through everything behind it: on this "
        "chain that is 2^40 walks. Remember the nodes you have seen (a set of id(node)) and do not walk past a "
        "seen node again")


@exercise("toposort", forbid=delegates(), write="write it yourself: a walk over parent_nodes, with your own stack")
def check(toposort: Callable[[Tensor], Any]) -> str:
    for what, build in GRAPHS:
        root, _ = build()
        _check_order(learner("toposort", toposort, root, returns=True), root, what)
    root, _ = chain(20_000)
    _check_order(learner("toposort on a chain 20,000 ops deep", toposort, root, returns=True), root,
                 "a chain 20,000 ops deep")
    root, _ = doubling(40)
    what = "a chain of 40 doublings (y = y + y, each node used twice)"
    _check_order(learner(f"toposort on {what}", toposort, root, returns=True, limit=2.0, slow=SLOW), root, what)
    return (f"Every node once, each after all of its consumers, on {len(GRAPHS)} graphs, a chain 20,000 ops deep "
            "and a chain of 40 doublings (in well under 2 s).")


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
