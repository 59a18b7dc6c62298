"""Higher order: a backward pass that records itself (create_graph), so that its gradients can be differentiated.

Every backward rule is written once, in NumPy. Backward runs it on arrays and gets a gradient. RecordedBackward
runs the same rule on Tensors: the incoming gradient becomes a Tensor, and what the node's forward saved goes
back into the graph as the input or output it was (apply tagged each saved array when it recorded the node).
NumPy's functions given Tensors run as the package's ops (autodiff.dispatch), so the rule records a graph of
its own, which can be differentiated again, to any order.
"""

from __future__ import annotations

from typing import Any


from .core import OUTPUT, Backward, Function, Tensor, Vertex, as_tensor, enable_grad, output_of


class RecordedBackward(Backward):
    """A backward pass whose VJPs run on Tensors, under grad mode: its gradients are Tensors in the graph."""

    def seed(self, root: Tensor, grad: Any) -> Any:
        if isinstance(grad, Tensor) and grad.requires_grad:  # a cotangent that is itself differentiated
            super().seed(root, grad.data)  # the same checks
            return grad
        return super().seed(root, grad)

    def vjp(self, node: Function, grad: Any) -> tuple[Any, ...]:
        saved = node.saved_tensors
        if saved is None:
            return super().vjp(node, grad)  # the error
        if saved:
            node.saved_tensors = tuple(rejoined(node, tag, a) for tag, a in zip(node.saved_tags, saved))
        try:
            with enable_grad():
                return super().vjp(node, as_tensor(grad))
        finally:
            node.saved_tensors = saved


def rejoined(node: Function, tag: int, a: Any) -> Any:
    """A saved array as the graph knows it: node's output, or its input number `tag`, as a Tensor in the graph
    (a leaf, or another node's output); an input that needed no gradient stays a constant (x.detach())."""
    maker: Vertex = node if tag == OUTPUT else node.parents[tag]
    if maker is None:
        return a
    if isinstance(maker, Tensor):  # a leaf
        return maker
    return output_of(maker, a)
