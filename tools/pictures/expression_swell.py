"""Expression swell: the size of a symbolic derivative vs the ops autodiff runs (forward + backward), for the logistic map.

l₀ = x, lₙ₊₁ = 4 lₙ (1 - lₙ): point n is lₙ, after n iterations, as on the slide. Run: python tools/pictures/expression_swell.py <outdir>  ->  expression_swell.svg and .json
"""

import json
import sys
from pathlib import Path

import sympy

from autodiff import Function, Tensor
from _style import figure, save

N = 7


def sweep_ops(out: Tensor) -> int:
    """Ops of the reverse-mode program for out: its forward sweep and its backward sweep.

    Forward: one op per recorded node. Backward: one VJP term per edge into an input that needs a gradient,
    plus one addition per extra use of a value (a value used k times sums k contributions).
    """
    seen, stack, uses, edges = set(), [out.grad_fn], {}, 0
    while stack:
        node = stack.pop()
        if not isinstance(node, Function) or id(node) in seen:
            continue
        seen.add(id(node))
        for p in node.parents:  # the node (or leaf) behind each input; None for a constant
            if p is not None:
                edges += 1
                uses[id(p)] = uses.get(id(p), 0) + 1
                stack.append(p)
    return len(seen) + edges + sum(k - 1 for k in uses.values())


def sizes() -> dict[str, list[int]]:
    x = sympy.Symbol("x")
    t = Tensor(0.3, requires_grad=True)
    lx, lt = x, t
    rows: dict[str, list[int]] = {"n": [], "symbolic_derivative_ops": [], "autodiff_forward_backward_ops": []}
    for n in range(1, N + 1):
        lx, lt = 4 * lx * (1 - lx), 4 * lt * (1 - lt)
        rows["n"].append(n)
        rows["symbolic_derivative_ops"].append(int(sympy.count_ops(sympy.diff(lx, x))))
        rows["autodiff_forward_backward_ops"].append(sweep_ops(lt))
    return rows


def main(outdir: Path) -> None:
    data = {"map": "l(0) = x, l(n+1) = 4 l(n) (1 - l(n))", **sizes()}
    (outdir / "expression_swell.json").write_text(json.dumps(data, indent=1) + "\n")

    fig, ax = figure("expression_swell", (6.4, 4.8))
    ax.semilogy(data["n"], data["symbolic_derivative_ops"], "o-", color="#a83232", label="symbolic: ops in d/dx")
    ax.semilogy(data["n"], data["autodiff_forward_backward_ops"], "s-", color="#08a684",
                label="autodiff: ops in forward\n+ backward sweep")
    ax.set_xlabel("$l_n$: $n$ iterations of the logistic map", fontsize=17)
    ax.set_ylabel("operations", fontsize=17)
    ax.tick_params(labelsize=18)  # 10³'s exponent is set smaller: 18 keeps it above 16 px
    ax.legend(fontsize=16, framealpha=0.3, loc="upper left")
    save(fig, outdir, "expression_swell")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
