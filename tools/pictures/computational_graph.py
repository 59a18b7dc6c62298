"""The evaluation trace of y = log(x1) + x1·x2 − tanh(x2) at (2, 5), drawn by autodiff.viz after backward.

Run: python tools/pictures/computational_graph.py <outdir>  ->  computational_graph.svg and .dot
"""

import sys
from pathlib import Path

from autodiff import Tensor, viz


def trace() -> tuple[Tensor, dict[str, Tensor]]:
    """y and its named values; every intermediate keeps its adjoint, so the picture shows them all."""
    x1, x2 = Tensor(2.0, requires_grad=True), Tensor(5.0, requires_grad=True)
    v1, v2, v3 = x1.log(), x1 * x2, x2.tanh()
    v4 = v1 + v2
    y = v4 - v3
    for v in (v1, v2, v3, v4, y):
        v.retain_grad()
    y.backward()
    return y, {"x1": x1, "x2": x2, "v1 = log x1": v1, "v2 = x1·x2": v2, "v3 = tanh x2": v3, "v4 = v1 + v2": v4, "y = v4 − v3": y}


def main(outdir: Path) -> None:
    y, names = trace()
    (outdir / "computational_graph.dot").write_text(viz.to_dot(y, names))
    viz.save_graph(y, outdir / "computational_graph.svg", names)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
