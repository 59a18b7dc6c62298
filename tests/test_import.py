"""`import autodiff` is light (no graphviz, no matplotlib) and exposes the public API."""

from __future__ import annotations

import subprocess
import sys

import autodiff


def test_import_loads_neither_graphviz_nor_matplotlib() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import autodiff, autodiff.viz"],
        capture_output=True, text=True, check=True,
    )
    modules = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()[1:]}
    assert "autodiff" in modules and "numpy" in modules
    assert not modules & {"graphviz", "matplotlib"}, "autodiff must import graphviz and matplotlib lazily"
    total_us = sum(int(line.split("|")[1]) for line in result.stderr.splitlines()[1:] if "autodiff" in line)
    print(f"autodiff's own modules import in {total_us / 1000:.1f} ms (numpy aside)")


def test_public_api() -> None:
    from autodiff import (  # noqa: F401
        Function, Tensor, as_tensor, concatenate, grad, jacobian, jvp, matmul, maximum, minimum, no_grad, stack, vjp,
        where,
    )
    from autodiff import datasets, nn, optim, viz  # noqa: F401
    from autodiff.forward import dual_level, make_dual, unpack_dual  # noqa: F401
    import autodiff.functional as F

    assert {"softmax", "log_softmax", "logsumexp", "cross_entropy", "mse_loss", "relu", "tanh", "sigmoid"} <= set(vars(F))
    assert {"Module", "Parameter", "Linear", "Sequential", "ReLU", "Tanh", "MLP"} <= set(vars(nn))
    assert {"SGD", "Adam"} <= set(vars(optim))
    assert {"make_moons", "make_spirals"} <= set(vars(datasets))
    assert {"to_dot", "draw_graph", "save_graph"} <= set(vars(viz))
    assert set(autodiff.__all__) <= set(vars(autodiff))
