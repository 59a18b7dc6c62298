"""The backward sweep on the trace of y = log x₁ + x₁x₂ − tanh x₂ at (2, 5), one frame per step, for the
speaker to step through (the slide shows the frames as builds: each click shows the next).

Frame 0 is the seed, ȳ = 1. Then one frame per node, in the order the engine pops them: newest first,
which for a graph that is all ancestors of y is the reverse of the order the trace ran its ops; each
node pops only after every consumer, which the script checks through the nodes' `parents`. A popped
node applies its op's transposed Jacobian to its complete adjoint and sends a share to the node or
leaf behind each input: `autodiff.autograd.grad(v, inputs, grad_outputs=v̄)` computes that share, and
one `backward()` with `retain_grad` gives each complete adjoint, which the shares must add up to. The
last frame writes the leaves. Only the package's public API: no engine internals, no hooks.

Run: python tools/pictures/backward_sweep.py <outdir>
  ->  backward_sweep.svg (the seed), backward_sweep_1.svg ... _6.svg, and backward_sweep.json
"""

import json
import re
import sys
from pathlib import Path

import numpy as np

import autodiff
from _trace import X1, X2, number, trace
from autodiff import Tensor, viz

PENDING = "?"


def display(value: float) -> str:
    """Six significant digits, as the trace tables (1.99982), but three below 0.01: the boxes stay narrow."""
    return number(value) if abs(value) >= 0.01 or value == 0 else f"{value:.3g}".replace("-", "−")


def sweep() -> tuple[dict[str, Tensor], dict[str, float], list[dict]]:
    """The trace's named values, their complete adjoints, and each pop: the node, its adjoint, what it sends to whom."""
    values = trace(Tensor(X1, requires_grad=True), Tensor(X2, requires_grad=True))
    for v in values.values():
        if not v.is_leaf:
            v.retain_grad()
    values["y"].backward(retain_graph=True)  # every complete adjoint, in one sweep; the graph kept for the shares
    adjoints = {name: float(v.grad) for name, v in values.items()}  # read now: retained grads accumulate
    name_of = {id(v.grad_fn or v): name for name, v in values.items()}
    nodes = [name for name, v in values.items() if not v.is_leaf]  # in the order the trace ran them
    pops, done = [], set()
    for name in reversed(nodes):  # newest first
        node = values[name].grad_fn
        inputs = [name_of[id(p)] for p in node.parents]  # the node or leaf behind each input
        consumers = [c for c in nodes if name in [name_of[id(p)] for p in values[c].grad_fn.parents]]
        assert set(consumers) <= done, f"{name} would pop before its consumers {consumers}"
        sends = autodiff.autograd.grad(values[name], [values[i] for i in inputs],
                                       grad_outputs=np.array(adjoints[name]), retain_graph=True)
        pops.append({"node": name, "adjoint": adjoints[name], "sends": [[i, float(s.data)] for i, s in zip(inputs, sends)]})
        done.add(name)
    for name in values:  # the shares add up to each value's adjoint
        received = sum(s for pop in pops for i, s in pop["sends"] if i == name)
        assert name == "y" or np.isclose(received, adjoints[name]), (name, received, adjoints[name])
    return values, adjoints, pops


def frames(values: dict[str, Tensor], adjoints: dict[str, float], pops: list[dict]) -> list[viz.Show]:
    """What each frame shows: the seed; after each pop, the shares received so far; then the leaves' sums."""
    shares: dict[str, list[float]] = {"y": [1.0]}
    shown = [viz.Show({name: PENDING for name in values} | {"y": "1"}, highlight="y", shapes=False)]

    def labels() -> dict[str, str]:  # what each value has received so far, summed
        return {name: display(sum(shares[name])) if name in shares else PENDING for name in values}

    for pop in pops:
        for to, share in pop["sends"]:
            shares.setdefault(to, []).append(share)
        shown.append(viz.Show(labels(), highlight=pop["node"], shapes=False))
    shown.append(viz.Show({name: number(adjoints[name]) for name in values}, shapes=False))  # as the trace tables
    return shown


def svg(values: dict[str, Tensor], show: viz.Show) -> str:
    g = viz.draw_graph(values["y"], values, show)
    g.graph_attr.update(pad="0.3")  # room for the highlighted border at the edges
    # Legible at slide size. Every box as wide as the widest label its column shows in any frame (the
    # leaves' sums are the widest), so the layout stays put from frame to frame.
    g.node_attr.update(fontsize="16", width="1.5")
    leaf = f'fillcolor="{viz.FILL["leaf"]}"'
    g.body = [line.replace("shape=box", "shape=box width=2.15") if leaf in line else line for line in g.body]
    return g.pipe(format="svg").decode()


def main(outdir: Path) -> None:
    values, adjoints, pops = sweep()
    shows = frames(values, adjoints, pops)
    svgs = [svg(values, show) for show in shows]
    layout = {tuple(re.findall(r'(?:points|cx|cy|rx|ry|d)="[^"]*"', s)) for s in svgs}
    assert len(layout) == 1, "the frames' layouts differ: a build would jump from click to click"
    for k, text in enumerate(svgs):
        (outdir / f"backward_sweep{'' if k == 0 else f'_{k}'}.svg").write_text(text)
    data = {
        "f": "y = log(x1) + x1*x2 - tanh(x2)", "at": [X1, X2],
        "pops": [{**pop, "adjoint": number(pop["adjoint"]), "sends": [[i, number(s)] for i, s in pop["sends"]]}
                 for pop in pops],
        "frames": [{"highlight": s.highlight, "grads": dict(s.grads)} for s in shows],
    }
    (outdir / "backward_sweep.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
