"""Draw the computational graph behind a tensor with Graphviz, styled for the deck's dark slides.

Tensors are boxes labelled with shape and dtype (and grad, once backward has run); ops are ovals
named by their Function. Parameters are green, other leaves blue, intermediates grey, the output
has a double border; inputs that need no gradient (data, targets, 2.0) show as a dashed "constant". Graphviz is imported only when a graph is drawn: `pip install autodiff[viz]`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .nn import Parameter
from .tensor import Tensor

if TYPE_CHECKING:
    import graphviz

BACKGROUND, TEXT, EDGE = "#1e1f24", "#e8e8e8", "#9a9aa0"
FILL = {"parameter": "#08a684", "leaf": "#2f6ea8", "intermediate": "#3a3c44", "op": "#5b4a8a"}


def to_dot(t: Tensor, names: Mapping[str, Tensor] | None = None) -> str:
    """The graph that computed `t` as DOT text; node ids follow traversal order, so the text is deterministic."""
    return _build(t, names).source


def draw_graph(t: Tensor, names: Mapping[str, Tensor] | None = None) -> graphviz.Digraph:
    """The graph as a graphviz.Digraph: a notebook shows it inline as SVG. `names` labels tensors, e.g. {"w": w}."""
    import shutil  # here, not at the top: `import autodiff` stays light

    if shutil.which("dot") is None:
        raise RuntimeError(
            "autodiff.viz: Graphviz's `dot` program is not on PATH; install it with "
            "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS)"
        )
    return _build(t, names)


def save_graph(t: Tensor, path: str | os.PathLike[str], names: Mapping[str, Tensor] | None = None) -> None:
    """Write the graph to an .svg or .png file, chosen by the extension."""
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise ValueError(f"save_graph: {os.fspath(path)} must end in .svg or .png")
    with open(path, "wb") as f:
        f.write(draw_graph(t, names).pipe(format=fmt))


def _build(root: Tensor, names: Mapping[str, Tensor] | None) -> graphviz.Digraph:
    try:
        import graphviz
    except ImportError as err:
        raise ImportError("autodiff.viz needs the graphviz package: pip install 'autodiff[viz]'") from err
    label_of = {id(x): name for name, x in (names or {}).items()}
    font = {"fontname": "Helvetica", "fontcolor": TEXT, "fontsize": "11"}
    g = graphviz.Digraph(
        graph_attr={"rankdir": "LR", "bgcolor": BACKGROUND, "pad": "0.2", "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"style": "filled,rounded", "color": EDGE, "penwidth": "1.2", **font},
        edge_attr={"color": EDGE, "arrowsize": "0.7"},
    )
    ids: dict[int, str] = {}

    def node(x: Tensor) -> str:
        """The node id of x, adding the node (and queueing x) the first time x is seen."""
        if id(x) not in ids:
            ids[id(x)] = f"t{len(ids)}"
            g.node(ids[id(x)], _label(x, label_of.get(id(x))), shape="box", fillcolor=FILL[_kind(x)],
                   peripheries="2" if x is root else "1")
            queue.append(x)
        return ids[id(x)]

    queue: deque[Tensor] = deque()
    node(root)
    n_ops = n_constants = 0
    while queue:
        x = queue.popleft()
        if x.grad_fn is None:
            continue
        op = f"f{n_ops}"
        n_ops += 1
        g.node(op, type(x.grad_fn).__name__, shape="oval", fillcolor=FILL["op"])
        g.edge(op, ids[id(x)])
        for parent in x.grad_fn.parents:
            if parent is not None:
                g.edge(node(parent), op)
            else:  # an input that needs no gradient: the graph does not keep it, only that it was there
                const = f"c{n_constants}"
                n_constants += 1
                g.node(const, "constant", shape="plaintext", style="", fontcolor=EDGE)
                g.edge(const, op, style="dashed")
    return g


def _kind(x: Tensor) -> str:
    if x.grad_fn is not None:
        return "intermediate"
    return "parameter" if isinstance(x, Parameter) else "leaf"


def _label(x: Tensor, name: str | None) -> str:
    lines = [name] if name else []
    lines.append(f"{x.shape} {x.dtype}")
    if x.grad is not None:
        if x.grad.size <= 4:  # few enough numbers to read on a slide
            lines.append("grad " + np.array2string(x.grad, separator=", ", formatter={"float_kind": "{:.3g}".format}))
        else:
            lines.append(f"grad ‖·‖ = {np.linalg.norm(x.grad):.3g}")
    return r"\n".join(lines)
