"""Functions of tensors that a model calls, in `torch.nn.functional`'s names: `import autodiff.functional as F`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import Affine, CrossEntropy, LogSoftmax, LogSumExp, MSELoss, Relu, Sigmoid, Softmax, Tanh, matmul
from .tensor import Tensor, as_tensor


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
    """Mean over the batch of -log softmax(logits)[target]; targets are class indices."""
    logits = as_tensor(logits)
    y = np.asarray(targets.data if isinstance(targets, Tensor) else targets)  # the array itself, not a copy
    if logits.ndim != 2 or y.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy: logits must be (batch, classes) and targets (batch,), got {logits.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= logits.shape[1]):
        raise ValueError(f"cross_entropy: targets must lie in [0, {logits.shape[1]}), got values from {y.min()} to {y.max()}")
    return CrossEntropy.apply(logits, targets=y)


def mse_loss(pred: Any, target: Any) -> Tensor:
    """Mean of the squared differences; pred and target must have one shape."""
    pred, target = as_tensor(pred), as_tensor(target)
    if pred.shape != target.shape:  # (n, 1) against (n,) would broadcast to (n, n) and train on nonsense
        raise ValueError(f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}")
    return MSELoss.apply(pred, target)
