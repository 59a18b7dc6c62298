"""Expression swell: the size of a symbolic derivative vs the size of autodiff's graph, for the logistic map.

l₁ = x, lₙ₊₁ = 4 lₙ (1 - lₙ). Run: python tools/pictures/expression_swell.py <outdir>  ->  expression_swell.svg and .json
"""

import json
import sys
from pathlib import Path

import sympy

from autodiff import Function, Tensor
from _style import figure, save

N = 7


def graph_size(out: Tensor) -> int:
    """How many op nodes autodiff recorded for out (each node once, however often it is used)."""
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if isinstance(node, Function) and id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.parents)  # the nodes behind its inputs (leaves and constants end the walk)
    return len(seen)


def sizes() -> dict[str, list[int]]:
    x = sympy.Symbol("x")
    t = Tensor(0.3, requires_grad=True)
    lx, lt = x, t
    rows: dict[str, list[int]] = {"n": [], "symbolic_derivative_ops": [], "autodiff_graph_ops": []}
    for n in range(1, N + 1):
        lx, lt = 4 * lx * (1 - lx), 4 * lt * (1 - lt)
        rows["n"].append(n)
        rows["symbolic_derivative_ops"].append(int(sympy.count_ops(sympy.diff(lx, x))))
        rows["autodiff_graph_ops"].append(graph_size(lt))
    return rows


def main(outdir: Path) -> None:
    data = {"map": "l(n+1) = 4 l(n) (1 - l(n))", **sizes()}
    (outdir / "expression_swell.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, ax = figure("expression_swell", (8, 4.5))
    ax.semilogy(data["n"], data["symbolic_derivative_ops"], "o-", color="#a83232", label="symbolic: ops in d/dx (sympy.diff)")
    ax.semilogy(data["n"], data["autodiff_graph_ops"], "s-", color="#08a684", label="autodiff: ops in the graph")
    ax.set_xlabel("iterations $n$ of the logistic map", fontsize=14)
    ax.set_ylabel("operations", fontsize=14)
    ax.legend(fontsize=12, framealpha=0.3)
    save(fig, outdir, "expression_swell")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
