"""Functions of tensors that a model calls, in `torch.nn.functional`'s names: `import autodiff.functional as F`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import Affine, LogSoftmax, LogSumExp, MSELoss, NLLLoss, Relu, Sigmoid, Softmax, Tanh, matmul
from .core import Tensor, as_tensor


def softmax(x: Any, axis: int | None = -1) -> Tensor:
    return Softmax.apply(x, axis=axis)


def log_softmax(x: Any, axis: int | None = -1) -> Tensor:
    return LogSoftmax.apply(x, axis=axis)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight + bias, for weight of shape (in, out): one Affine node for a batch of rows."""
    x, weight = as_tensor(x), as_tensor(weight)
    if bias is None or x.ndim < 2 or weight.ndim != 2:  # matmul's rules for vectors
        y = matmul(x, weight)
        return y if bias is None else y + bias
    return Affine.apply(x, weight, bias)


def logsumexp(x: Any, axis: int | None = -1, keepdims: bool = False) -> Tensor:
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def relu(x: Any) -> Tensor:
    return Relu.apply(x)


def tanh(x: Any) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x: Any) -> Tensor:
    return Sigmoid.apply(x)


def cross_entropy(logits: Any, targets: Any) -> Tensor:
    """Mean over the batch of -log softmax(logits)[target]; targets are class indices. Two nodes, as in
    PyTorch: log_softmax, then nll_loss; their backwards chained give (softmax(logits) - onehot) / n."""
    logits = as_tensor(logits)
    y = _class_indices(logits, targets, "cross_entropy")
    return NLLLoss.apply(LogSoftmax.apply(logits, axis=-1), targets=y)


def nll_loss(log_probs: Any, targets: Any) -> Tensor:
    """Mean over the batch of -log_probs[target]: the negative log-likelihood of class indices."""
    log_probs = as_tensor(log_probs)
    return NLLLoss.apply(log_probs, targets=_class_indices(log_probs, targets, "nll_loss"))


def _class_indices(scores: Tensor, targets: Any, name: str) -> np.ndarray:
    """targets as integer class indices, one per row of scores (batch, classes), or an error naming `name`."""
    y = np.asarray(targets.data if isinstance(targets, Tensor) else targets)  # the array itself, not a copy
    if scores.ndim != 2 or y.shape != scores.shape[:1]:
        raise ValueError(f"{name}: logits must be (batch, classes) and targets (batch,), got {scores.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name}: targets must be integer class indices, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= scores.shape[1]):
        raise ValueError(f"{name}: targets must lie in [0, {scores.shape[1]}), got values from {y.min()} to {y.max()}")
    return y


def mse_loss(pred: Any, target: Any) -> Tensor:
    """Mean of the squared differences; pred and target must have one shape."""
    pred, target = as_tensor(pred), as_tensor(target)
    if pred.shape != target.shape:  # (n, 1) against (n,) would broadcast to (n, n) and train on nonsense
        raise ValueError(f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}")
    return MSELoss.apply(pred, target)
