"""The backward sweep, step by step, on the trace of y = log x₁ + x₁x₂ − tanh x₂ at (2, 5).

autodiff.viz draws the trace once per step: before backward; then each time the engine pops a node
(highlighted), with the adjoints known so far; then the leaves, written last. The order and every
adjoint come from the engine itself: a hook on each node records its complete gradient as it pops.
The frames are one SVG that plays them in turn (SMIL, as browsers play it), starting from the last,
so a still copy (the PDF) shows the finished sweep.

Run: python tools/pictures/backward_sweep.py <outdir>  ->  backward_sweep.svg and .json
"""

import json
import re
import sys
from pathlib import Path

from _trace import X1, X2, number, trace
from autodiff import Tensor, viz

SECONDS_PER_FRAME = 2.5
PENDING = "?"


def sweep() -> tuple[dict[str, Tensor], list[tuple[str, float]], dict[str, float]]:
    """The trace's named values, the nodes in the order backward pops them with their adjoints, and the leaves'."""
    values = trace(Tensor(X1, requires_grad=True), Tensor(X2, requires_grad=True))
    popped: list[tuple[str, float]] = []
    for name, v in values.items():
        if not v.is_leaf:
            v.grad_fn.hooks = (lambda node, grad, name=name: popped.append((name, float(grad))),)
    values["y"].backward()
    leaves = {name: float(v.grad) for name, v in values.items() if v.is_leaf}
    return values, popped, leaves


def frames(values: dict[str, Tensor], popped: list[tuple[str, float]], leaves: dict[str, float]) -> list[viz.Show]:
    """What each frame shows: nothing yet; each pop in turn; then the leaves' sums."""
    pending = {name: PENDING for name in values}
    shown = [viz.Show(pending, shapes=False)]
    known: dict[str, str] = {}
    for name, grad in popped:
        known[name] = number(grad)
        shown.append(viz.Show({**pending, **known}, highlight=name, shapes=False))
    shown.append(viz.Show({**pending, **known, **{name: number(g) for name, g in leaves.items()}}, shapes=False))
    return shown


def svg(values: dict[str, Tensor], show: viz.Show) -> str:
    g = viz.draw_graph(values["y"], values, show)
    g.node_attr.update(fontsize="14", width="1.3")  # legible at slide size; every box as wide as the widest
    return g.pipe(format="svg").decode()  # label, so the layout stays put from frame to frame


def animate(svgs: list[str]) -> str:
    """One SVG showing frame k during step k of a loop that starts with the last frame (a still copy shows it)."""
    head = svgs[0][: svgs[0].index("<g id=\"graph0\"")]
    groups = [re.search(r"<g id=\"graph0\".*</g>", s, re.S).group(0) for s in svgs]
    order = [len(groups) - 1, *range(len(groups) - 1)]  # the finished sweep first, then from the start
    total = len(order) * SECONDS_PER_FRAME
    parts = []
    for slot, k in enumerate(order):
        start, end = slot / len(order), (slot + 1) / len(order)
        values, times = ("1;0", f"0;{end:.4f}") if slot == 0 else ("0;1;0", f"0;{start:.4f};{end:.4f}")
        body = groups[k].replace('id="graph0"', f'id="frame{k}"', 1)
        body = body.replace(">", f'><animate attributeName="opacity" values="{values}" keyTimes="{times}" '
                                  f'dur="{total}s" calcMode="discrete" repeatCount="indefinite"/>', 1)
        parts.append(body.replace("<g ", f'<g opacity="{1 if slot == 0 else 0}" ', 1))
    return head + "\n".join(parts) + "\n</svg>\n"


def main(outdir: Path) -> None:
    values, popped, leaves = sweep()
    shows = frames(values, popped, leaves)
    (outdir / "backward_sweep.svg").write_text(animate([svg(values, s) for s in shows]))
    data = {
        "f": "y = log(x1) + x1*x2 - tanh(x2)", "at": [X1, X2], "seconds_per_frame": SECONDS_PER_FRAME,
        "pops": [[name, number(grad)] for name, grad in popped],
        "leaves": {name: number(grad) for name, grad in leaves.items()},
    }
    (outdir / "backward_sweep.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
