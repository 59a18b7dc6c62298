"""Fan-out: b = a + a; c = b + b, drawn by autodiff.viz after backward (a.grad == 4)."""

import sys
from pathlib import Path

from autodiff import Tensor, viz


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    b.retain_grad()
    c = b + b
    c.retain_grad()
    c.backward()
    names = {"a": a, "b": b, "c": c}
    (outdir / "fanout_graph.dot").write_text(viz.to_dot(c, names))
    viz.save_graph(c, outdir / "fanout_graph.svg", names)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
