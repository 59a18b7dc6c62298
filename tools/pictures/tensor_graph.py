"""What the forward pass of y = (x * x).sum() records: two Tensors and two nodes, each field as the package has it.

A Tensor holds data, requires_grad, grad_fn (the node that made it; None for a leaf, a tensor the user made)
and grad. A node is the ctx that Function.apply records for one op: it links to the node or leaf behind
each input (its `parents`), never to the input tensor itself, so the intermediate x * x is not kept. Every
value shown is read from the package after y.backward(), through the public attributes only.

Run: python tools/pictures/tensor_graph.py <outdir>  ->  tensor_graph.svg and tensor_graph.dot
"""

import html
import sys
from pathlib import Path

import graphviz
import numpy as np

from autodiff import Tensor, viz

FONT = {"fontname": "Helvetica", "fontcolor": viz.TEXT, "fontsize": "20"}


def show(value) -> str:
    """A field's value as the repr would print it: arrays as NumPy prints them, None as None."""
    if value is None or isinstance(value, bool):
        return str(value)
    return np.array2string(np.asarray(value), separator=" ")


def table(title: str, rows: list[tuple[str, list[tuple[str, str]]]], fill: str) -> str:
    """An HTML-like label: a title row, then one row per field: its name and its values, each a (text, port)
    cell; an edge leaves a cell with a port."""
    cells = [f'<TR><TD COLSPAN="3" BGCOLOR="{fill}"><B>{html.escape(title)}</B></TD></TR>']
    for name, values in rows:
        span = ' COLSPAN="2"' if len(values) == 1 else ""
        row = "".join(f'<TD ALIGN="LEFT"{span}{f" PORT={chr(34)}{port}{chr(34)}" if port else ""}>{html.escape(text)}</TD>'
                      for text, port in values)
        cells.append(f'<TR><TD ALIGN="LEFT">{name}</TD>{row}</TR>')
    return ('<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="7" COLOR="' + viz.EDGE + '">'
            + "".join(cells) + "</TABLE>>")


def main(outdir: Path) -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    total, square = y.grad_fn, y.grad_fn.parents[0]
    assert total.parents == (square,) and square.parents == (x, x) and x.grad_fn is None

    g = graphviz.Digraph("tensor_graph", graph_attr={"rankdir": "LR", "bgcolor": viz.BACKGROUND, "pad": "0.3",
                                                     "nodesep": "0.5", "ranksep": "0.9"},
                         node_attr={"shape": "plain", **FONT}, edge_attr={"color": viz.EDGE, "penwidth": "1.6", **FONT})
    # From the output to the leaf, as backward follows the links: each arrow goes from a field to what it refers to.
    g.node("y", table("y = (x * x).sum()", [
        ("data", [(show(y.data), "")]), ("requires_grad", [(show(y.requires_grad), "")]),
        ("grad_fn", [("●", "grad_fn")]), ("grad", [(show(y.grad), "")])], viz.FILL["intermediate"]))
    g.node("sum", table(f"{type(total).__name__} · a node", [("parents", [("●", "p0")])], viz.FILL["op"]))
    g.node("mul", table(f"{type(square).__name__} · a node", [("parents", [("●", "p0")]), ("", [("●", "p1")])], viz.FILL["op"]))
    g.node("x", table("x · a leaf: you made it", [
        ("data", [(show(x.data), "")]), ("requires_grad", [(show(x.requires_grad), "")]),
        ("grad_fn", [(show(x.grad_fn), "")]), ("grad", [(show(x.grad), "")])], viz.FILL["leaf"]))
    g.edge("y:grad_fn:e", "sum:w")
    g.edge("sum:p0:e", "mul:w")
    g.edge("mul:p0:e", "x:w")
    g.edge("mul:p1:e", "x:w")
    (outdir / "tensor_graph.dot").write_text(g.source)
    (outdir / "tensor_graph.svg").write_bytes(g.pipe(format="svg"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
