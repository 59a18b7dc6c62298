"""The graph drawer: deterministic DOT text, what each node shows, and files written by Graphviz."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import autodiff.functional as F
from autodiff import Tensor, nn, viz

graphviz = pytest.importorskip("graphviz")


def small_model_loss() -> tuple[Tensor, Tensor, nn.Linear]:
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    layer = nn.Linear(3, 2, seed=0)
    return F.cross_entropy(layer(x).tanh(), np.array([0, 1, 1, 0])), x, layer


def nodes(dot: str) -> dict[str, str]:
    """node id -> its attribute text."""
    return dict(re.findall(r"^\s*([tf]\d+) \[(.*)\]$", dot, flags=re.M))


def edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", dot, flags=re.M)


def test_dot_is_deterministic() -> None:
    assert viz.to_dot(small_model_loss()[0]) == viz.to_dot(small_model_loss()[0])


def test_ops_are_named_by_their_function_and_wired_in_order() -> None:
    loss, _, _ = small_model_loss()
    dot = viz.to_dot(loss)
    ops = {k: v for k, v in nodes(dot).items() if k.startswith("f")}
    assert [re.search(r"label=(\w+)", v)[1] for v in ops.values()] == ["NLLLoss", "LogSoftmax", "Tanh", "Affine"]
    # loss t0 <- NLLLoss f0 <- t1 (the targets are a parameter of the op, not an input) <- LogSoftmax f1 <- t2;
    # t2 <- Tanh f2 <- t3 <- Affine f3 <- (x t4, weight t5, bias t6)
    assert edges(dot) == [
        ("f0", "t0"), ("t1", "f0"), ("f1", "t1"), ("t2", "f1"), ("f2", "t2"), ("t3", "f2"), ("f3", "t3"), ("t4", "f3"),
        ("t5", "f3"), ("t6", "f3"),
    ]


def test_tensors_show_shape_dtype_and_kind() -> None:
    loss, x, layer = small_model_loss()
    n = nodes(viz.to_dot(loss))
    assert 'label="() float64"' in n["t0"] and "peripheries=2" in n["t0"]  # the output
    assert 'label="(4, 2) float64"' in n["t1"] and viz.FILL["intermediate"] in n["t1"]
    assert viz.FILL["parameter"] in n["t5"] and viz.FILL["parameter"] in n["t6"]  # weight, bias
    assert viz.FILL["leaf"] in n["t4"] and 'label="(4, 3) float64"' in n["t4"]  # x
    assert len({viz.FILL[k] for k in ("parameter", "leaf", "intermediate", "op")}) == 4


def test_grads_appear_after_backward() -> None:
    loss, _, layer = small_model_loss()
    assert "grad" not in viz.to_dot(loss)
    loss.backward()
    n = nodes(viz.to_dot(loss))
    shown = ", ".join(f"{g:.3g}" for g in layer.bias.grad)
    assert f"grad [{shown}]" in n["t6"]  # a small grad is shown in full, to 3 digits
    assert re.search(r"grad ‖·‖ = [\d.]+", n["t5"])  # a larger one by its norm
    assert "grad" not in n["t1"]  # intermediates keep no grad


def test_a_scalar_grad_reads_like_a_number() -> None:
    x = Tensor(2.0, requires_grad=True)
    (x * 2.5).backward()
    assert 'label="() float64\\ngrad 2.5"' in viz.to_dot(x)


def test_names_label_tensors() -> None:
    loss, x, layer = small_model_loss()
    n = nodes(viz.to_dot(loss, names={"x": x, **dict(layer.named_parameters())}))
    assert n["t4"].startswith('label="x\\n(4, 3) float64"')
    assert n["t5"].startswith('label="weight\\n(3, 2) float64"')


def test_fan_out_draws_one_node_with_two_edges() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    dot = viz.to_dot((a + a) * a)
    assert len(nodes(dot)) == 5  # out, Mul, a + a, Add, a
    assert edges(dot).count(("t2", "f1")) == 2 and ("t2", "f0") in edges(dot)


def test_inputs_without_grad_show_as_constants() -> None:
    dot = viz.to_dot(Tensor([1.0, 2.0], requires_grad=True) * 2.0 + np.ones(2))
    assert re.findall(r"^\s*(c\d+) \[label=constant", dot, flags=re.M) == ["c0", "c1"]
    assert {("c0", "f0"), ("c1", "f1")} <= set(edges(dot))
    assert dot.count("style=dashed") == 2


def test_a_leaf_alone() -> None:
    assert list(nodes(viz.to_dot(Tensor(np.zeros(3, np.float32)))).values()) == [
        f'label="(3,) float32" fillcolor="{viz.FILL["leaf"]}" peripheries=2 shape=box'
    ]


def test_a_deep_chain_does_not_recurse() -> None:
    x = y = Tensor(1.0, requires_grad=True)
    for _ in range(3000):
        y = y * y
    assert len(edges(viz.to_dot(y))) == 9000  # per op: its output, and its input twice


def test_draw_graph_is_a_digraph_that_shows_as_svg() -> None:
    g = viz.draw_graph(small_model_loss()[0])
    assert isinstance(g, graphviz.Digraph)
    assert "<svg" in g._repr_mimebundle_(include=["image/svg+xml"])["image/svg+xml"]


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_save_graph(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = tmp_path / f"graph{suffix}"
    viz.save_graph(small_model_loss()[0], path)
    assert path.read_bytes().startswith(magic)


def test_save_graph_wants_svg_or_png(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"graph.pdf must end in .svg or .png"):
        viz.save_graph(Tensor(1.0), tmp_path / "graph.pdf")


def test_missing_dot_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.draw_graph(Tensor(1.0))
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.save_graph(Tensor(1.0), tmp_path / "graph.svg")
    assert "digraph" in viz.to_dot(Tensor(1.0))  # the text needs no dot


def test_missing_graphviz_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match=r"pip install 'autodiff\[viz\]'"):
        viz.to_dot(Tensor(1.0))


def test_show_draws_given_adjoints_by_name_and_highlights_one_box_and_its_op() -> None:
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    dot = viz.to_dot(y, {"x": x, "y": y}, viz.Show({"x": "?", "y": 1.0}, highlight="y", shapes=False))
    n = nodes(dot)
    assert n["t0"].startswith('label="y\\ngrad 1"') and viz.HIGHLIGHT in n["t0"]
    assert n["t1"].startswith('label="x\\ngrad ?"') and viz.HIGHLIGHT not in n["t1"]
    assert viz.HIGHLIGHT in n["f0"]  # y's op, Mul
    assert "float64" not in dot
