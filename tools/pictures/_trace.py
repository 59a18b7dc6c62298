"""The evaluation trace of y = log x₁ + x₁x₂ − tanh x₂ at (2, 5), its tangent and adjoint columns, all from the package.

The layout is Baydin et al. 2018's Tables 2 and 3: one row per elementary operation, the primal column on the
left, the derivative column beside it. trace_primal.py, trace_tangent.py and trace_adjoint.py draw it with
one, then two columns; the numbers come from running autodiff (forward mode with make_dual for the tangents,
backward with retain_grad for the adjoints), never typed.
"""

import json
from pathlib import Path

import numpy as np

from autodiff import Tensor
from autodiff.forward import dual_level, make_dual, unpack_dual
from _style import figure, save

X1, X2 = 2.0, 5.0
SEED_TANGENT = (1.0, 0.0)  # ẋ₁ = 1, ẋ₂ = 0: the tangent column is ∂/∂x₁
COLOUR = {"primal": "white", "tangent": "#f0a030", "adjoint": "#08a684"}
HEADER = {
    "primal": "primal  (forward)  $\\downarrow$",
    "tangent": "tangent $J \\dot x$,  $\\dot x = (1, 0)$  $\\downarrow$",
    "adjoint": "adjoint $\\bar v$,  seeded $\\bar y = 1$  $\\uparrow$",
}
# One row per value: its name, then the formula of each column (mathtext).
ROWS = [
    ("x1", r"$x_1$", r"$\dot x_1$", r"$\bar x_1 = \bar v_1 / x_1 + \bar v_2\, x_2$"),
    ("x2", r"$x_2$", r"$\dot x_2$", r"$\bar x_2 = \bar v_2\, x_1 + \bar v_3\,(1 - v_3^2)$"),
    ("v1", r"$v_1 = \log x_1$", r"$\dot v_1 = \dot x_1 / x_1$", r"$\bar v_1 = \bar v_4$"),
    ("v2", r"$v_2 = x_1 x_2$", r"$\dot v_2 = \dot x_1 x_2 + x_1 \dot x_2$", r"$\bar v_2 = \bar v_4$"),
    ("v3", r"$v_3 = \tanh x_2$", r"$\dot v_3 = (1 - v_3^2)\,\dot x_2$", r"$\bar v_3 = -\bar y$"),
    ("v4", r"$v_4 = v_1 + v_2$", r"$\dot v_4 = \dot v_1 + \dot v_2$", r"$\bar v_4 = \bar y$"),
    ("y", r"$y = v_4 - v_3$", r"$\dot y = \dot v_4 - \dot v_3$", r"$\bar y$"),
]


def trace(x1: Tensor, x2: Tensor) -> dict[str, Tensor]:
    """The trace as the package runs it: every value by its name."""
    v1, v2, v3 = x1.log(), x1 * x2, x2.tanh()
    v4 = v1 + v2
    return {"x1": x1, "x2": x2, "v1": v1, "v2": v2, "v3": v3, "v4": v4, "y": v4 - v3}


def columns() -> dict[str, dict[str, float]]:
    """Each value's primal, tangent (forward mode, dual numbers) and adjoint (one backward pass)."""
    with dual_level():
        duals = trace(make_dual(np.array(X1), np.array(SEED_TANGENT[0])), make_dual(np.array(X2), np.array(SEED_TANGENT[1])))
        tangents = {name: float(unpack_dual(v).tangent) for name, v in duals.items()}
    values = trace(Tensor(X1, requires_grad=True), Tensor(X2, requires_grad=True))
    for v in values.values():
        if not v.is_leaf:
            v.retain_grad()
    values["y"].backward()
    return {
        "primal": {name: float(v.data) for name, v in values.items()},
        "tangent": tangents,
        "adjoint": {name: float(v.grad) for name, v in values.items()},
    }


def number(value: float) -> str:
    """Six significant digits, as a slide shows them (and −0 as 0)."""
    return f"{value + 0.0:.6g}".replace("-", "−")


def draw(outdir: Path, name: str, kinds: tuple[str, ...]) -> None:
    """Write outdir/name.svg (the table with the primal column and the columns in kinds) and name.json."""
    cols = columns()
    data = {
        "f": "y = log(x1) + x1*x2 - tanh(x2)",
        "at": [X1, X2],
        "columns": {k: {row: number(cols[k][row]) for row, *_ in ROWS} for k in ("primal", *kinds)},
    }
    (outdir / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    widths = {"primal": 4.5, "tangent": 6.3, "adjoint": 6.5}  # inches: formula, then "=" and the value
    shown = ("primal", *kinds)
    fig, ax = figure(name, (sum(widths[k] for k in shown) + 0.2, 4.3))
    ax.set_xlim(0, sum(widths[k] for k in shown) + 0.2)
    ax.set_ylim(len(ROWS) + 0.9, -0.4)  # row 0 on top
    ax.axis("off")
    x = 0.1
    for kind in shown:
        w, colour = widths[kind], COLOUR[kind]
        ax.text(x + 0.1, 0, HEADER[kind], fontsize=19, color=colour, weight="bold", va="center")
        ax.plot([x + 0.1, x + w - 0.2], [0.55, 0.55], color=colour, linewidth=1.5)
        formula = {"primal": 1, "tangent": 2, "adjoint": 3}[kind]
        for i, row in enumerate(ROWS, start=1):
            seed = kind != "primal" and (row[0] in ("x1", "x2") if kind == "tangent" else row[0] == "y")
            ax.text(x + 0.1, i + 0.2, row[formula], fontsize=22, color=colour, va="center")
            ax.text(x + w - 0.3, i + 0.2, f"= {data['columns'][kind][row[0]]}", fontsize=22, color=colour,
                    va="center", ha="right", weight="bold" if seed else "normal")
        x += w
    save(fig, outdir, name)
