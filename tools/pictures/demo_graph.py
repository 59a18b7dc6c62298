"""The live demo's model as autodiff.viz draws it: the graph of its loss after training and one backward.

The drawer lays a graph out left to right; this one is a long chain, so each layer gets a row
of its own (a new row starts at every Relu) and the picture fits a 16:9 slide.

Run: python tools/pictures/demo_graph.py <outdir>  ->  demo_graph.svg and .dot
"""

import re
import sys
from pathlib import Path

import graphviz

from _demo_run import data, train
import autodiff.functional as F
from autodiff import viz

EDGE = re.compile(r"^\s*(\w+) -> (\w+)")


def one_row_per_layer(g: graphviz.Digraph) -> None:
    """Give every layer a row of its own (a new row starts at each Relu), rows stacked top to bottom."""
    edges = [m.groups() for m in map(EDGE.match, g.body) if m]
    relus = [m.group(1) for m in re.finditer(r"^\s*(\w+) \[label=Relu\b", "".join(g.body), re.M)]
    row = {edges[0][1]: 0}  # the root; the drawer lists every edge after the edge that reached its target
    for src, dst in edges:
        row.setdefault(src, row[dst] + (dst in relus))
    g.body = [
        line.replace("\n", " [constraint=false]\n") if (m := EDGE.match(line)) and row[m[1]] != row[m[2]] else line
        for line in g.body
    ]
    heads = relus + [next(n for n in reversed(row) if row[n] == len(relus))]  # each row's leftmost node
    for r in range(len(relus) + 1):
        g.body.append("\t{rank=same; " + " ".join(n for n in row if row[n] == r) + "}\n")
    for lower, upper in zip(heads, heads[1:]):
        g.edge(upper, lower, style="invis")
    g.graph_attr.update(rankdir="TB", ranksep="0.6")


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    X, y, _, _ = data()
    model, _ = train()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    g = viz.draw_graph(loss, dict(model.named_parameters()))
    one_row_per_layer(g)
    (outdir / "demo_graph.dot").write_text(g.source)
    g.render(outfile=outdir / "demo_graph.svg", cleanup=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
