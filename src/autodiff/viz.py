"""Draw the computational graph behind a tensor with Graphviz, styled for the deck's dark slides.

Tensors are boxes labelled with shape and dtype (and grad, once backward has run, for leaves and for
the tensors passed in `names`); ops are ovals named by their Function. Parameters are green, other
leaves blue, intermediates grey, the output has a double border; inputs that need no gradient
(data, 2.0) show as a dashed "constant". The graph is what the nodes keep (op, shapes, dtypes), so it
can be drawn after backward, when the activations are gone. Graphviz is imported only when a graph
is drawn: `pip install autodiff[viz]`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .nn import Parameter
from .core import Tensor

if TYPE_CHECKING:
    import graphviz

BACKGROUND, TEXT, EDGE = "#1e1f24", "#e8e8e8", "#9a9aa0"
FILL = {"parameter": "#08a684", "leaf": "#2f6ea8", "intermediate": "#3a3c44", "op": "#5b4a8a"}
HIGHLIGHT = "#f0a030"
Names = Mapping[str, Tensor] | None


@dataclass(frozen=True)
class Show:
    """What to show: `grads` by name instead of each tensor's .grad (say, the adjoints known at one step
    of a sweep), the name of a tensor whose box and op to `highlight`, and `shapes` (shape and dtype)."""

    grads: Mapping[str, Any] | None = None
    highlight: str | None = None
    shapes: bool = True


def to_dot(t: Tensor, names: Names = None, show: Show = Show()) -> str:
    """The graph that computed `t` as DOT text; node ids follow traversal order, so the text is deterministic."""
    return _build(t, names, show).source


def draw_graph(t: Tensor, names: Names = None, show: Show = Show()) -> graphviz.Digraph:
    """The graph as a graphviz.Digraph: a notebook shows it inline as SVG. `names` labels tensors, e.g. {"w": w}."""
    import shutil  # here, not at the top: `import autodiff` stays light

    if shutil.which("dot") is None:
        raise RuntimeError(
            "autodiff.viz: Graphviz's `dot` program is not on PATH; install it with "
            "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS)"
        )
    return _build(t, names, show)


def save_graph(t: Tensor, path: str | os.PathLike[str], names: Names = None, show: Show = Show()) -> None:
    """Write the graph to an .svg or .png file, chosen by the extension."""
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise ValueError(f"save_graph: {os.fspath(path)} must end in .svg or .png")
    with open(path, "wb") as f:
        f.write(draw_graph(t, names, show).pipe(format=fmt))


def _build(root: Tensor, names: Names, show: Show) -> graphviz.Digraph:
    try:
        import graphviz
    except ImportError as err:
        raise ImportError("autodiff.viz needs the graphviz package: pip install 'autodiff[viz]'") from err
    named = {id(t.grad_fn or t): (name, t) for name, t in reversed(list((names or {}).items()))}
    named.setdefault(id(root.grad_fn or root), ("", root))
    font = {"fontname": "Helvetica", "fontcolor": TEXT, "fontsize": "11"}
    g = graphviz.Digraph(
        graph_attr={"rankdir": "LR", "bgcolor": BACKGROUND, "pad": "0.2", "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"style": "filled,rounded", "color": EDGE, "penwidth": "1.2", **font},
        edge_attr={"color": EDGE, "arrowsize": "0.7"},
    )
    ids: dict[int, str] = {}

    def box(v: Any) -> str:
        """The id of the box for v (a leaf, or a node's output), adding it and queueing v the first time."""
        if id(v) not in ids:
            ids[id(v)] = f"t{len(ids)}"
            name, t = named.get(id(v), ("", None))
            g.node(ids[id(v)], _label(v, name, _grad(v, name, t, show), show.shapes), shape="box", fillcolor=FILL[_kind(v)],
                   peripheries="2" if v is (root.grad_fn or root) else "1", **_marked(name, show))
            queue.append(v)
        return ids[id(v)]

    queue: deque[Any] = deque()
    box(root.grad_fn or root)
    n_ops = n_constants = 0
    while queue:
        v = queue.popleft()
        if isinstance(v, Tensor):
            continue
        op = f"f{n_ops}"
        n_ops += 1
        g.node(op, type(v).__name__, shape="oval", fillcolor=FILL["op"], **_marked(named.get(id(v), ("",))[0], show))
        g.edge(op, ids[id(v)])
        for parent in v.parents:
            if parent is not None:
                g.edge(box(parent), op)
            else:  # an input that needs no gradient: the graph does not keep it, only that it was there
                const = f"c{n_constants}"
                n_constants += 1
                g.node(const, "constant", shape="plaintext", style="", fontcolor=EDGE)
                g.edge(const, op, style="dashed")
    return g


def _kind(v: Any) -> str:
    if not isinstance(v, Tensor):
        return "intermediate"
    return "parameter" if isinstance(v, Parameter) else "leaf"


def _grad(v: Any, name: str, t: Tensor | None, show: Show) -> Any:
    """The gradient a box shows: the one given by name, or else a leaf's (or a named tensor's) .grad."""
    if show.grads is not None:
        return show.grads.get(name)
    return v.grad if isinstance(v, Tensor) else None if t is None else t.grad


def _marked(name: str, show: Show) -> dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "3"} if name and name == show.highlight else {}


def _label(v: Any, name: str, grad: Any, shapes: bool) -> str:
    """Name, shape and dtype (a node keeps its output's, even when the tensor is gone), and the grad if any."""
    shape, dtype = (v.shape, v.dtype) if isinstance(v, Tensor) else (v.out_shape, v.out_dtype)
    lines = [name] if name else []
    if shapes or not name:
        lines.append(f"{shape} {dtype}")
    if isinstance(grad, str):  # a placeholder, say "?" for an adjoint not known yet
        lines.append(f"grad {grad}")
    elif grad is not None:
        grad = np.asarray(grad)
        if grad.size <= 4:  # few enough numbers to read on a slide
            lines.append("grad " + np.array2string(grad, separator=", ", formatter={"float_kind": "{:.3g}".format}))
        else:
            lines.append(f"grad ‖·‖ = {np.linalg.norm(grad):.3g}")
    return r"\n".join(lines)
