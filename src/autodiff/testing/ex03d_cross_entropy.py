"""Exercise 03d's checker: CrossEntropy, log-softmax and the negative log-likelihood in one op."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Array, Mistakes, exercise
from .opcheck import Case, Op, check_op

OVERFLOW = ("an overflow: exp of a large logit is inf (past 709 in float64, 88 in float32). Subtract each row's "
            "largest logit m first, which cancels: log Σ exp(x) = m + log Σ exp(x − m), and softmax(x) = "
            "softmax(x − m)")


def _log_softmax(x: Array) -> Array:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@exercise("cross_entropy", write="write it yourself, with NumPy")
def check(op: Any) -> str:
    rng = np.random.default_rng(7)

    def case(n: int, c: int, scale: float = 3.0, big: bool = False) -> Case:
        x = scale * rng.standard_normal((n, c))
        if big:  # logits far beyond exp's range, of both signs, at random places
            x = rng.choice([-1.0, 1.0], (n, c)) * rng.uniform(100, 1000, (n, c))
        return Case([x], (True,), {"targets": rng.integers(0, c, n)}, label="(large logits)" if big else "")

    cases = [case(4, 3), case(1, 5), case(6, 2), case(5, 4, scale=0.1), case(8, 10), case(3, 4, big=True)]

    def reference(x: Array, targets: Array, u: Array | None) -> tuple[Array, list[Array]]:
        n, logp = len(targets), _log_softmax(x)
        loss = -logp[np.arange(n), targets].mean()
        if u is None:
            return loss, None
        onehot = np.eye(x.shape[-1])[targets]
        return loss, [u * (np.exp(logp) - onehot) / n]

    def forward_mistakes(x: Array, targets: Array) -> Mistakes:
        n, logp = len(targets), _log_softmax(x)
        rows = np.arange(n)
        return [(np.asarray(-logp[rows, targets].sum()), "that is the sum over the batch: the loss is the mean, "
                                                         "divide by n"),
                (np.asarray(-logp[:, targets].mean()), "x[:, targets] picks every row at every label (an n × n "
                                                       "array): pick row i at its label, x[np.arange(n), targets]"),
                (np.asarray(-(x[rows, targets] - np.log(np.exp(x - x.max()).sum()) - x.max()).mean()),
                 "the log Σ exp runs over the whole batch: each row has its own, along axis -1 (keepdims=True)"),
                (np.asarray(logp[rows, targets].mean()), "the sign: the loss is minus the mean log-probability")]

    def mistakes(x: Array, u: Array, z: Array, targets: Array) -> list[Mistakes]:
        n, p = len(targets), np.exp(_log_softmax(x))
        onehot = np.eye(x.shape[-1])[targets]
        every = p.copy()
        every[:, targets] -= 1
        return [[(u * (p - onehot), "you did not divide by n: the loss is a mean over the n rows of the batch"),
                 (u * every / n, "p[:, targets] -= 1 subtracts 1 in every row at every label: subtract it at row i, "
                                 "label yᵢ only: p[np.arange(n), targets] -= 1"),
                 (u * p / n, "the one-hot part is missing: x̄ = (softmax(x) − onehot(y)) z̄ / n"),
                 (u * -onehot / n, "that is NLL's gradient alone: log-softmax's part, softmax(x), is missing: "
                                   "x̄ = (softmax(x) − onehot(y)) z̄ / n")]]

    big = [case(4, 3, big=True), case(6, 5)]
    return check_op(op, Op(reference, cases, "batches of logits, large ones included", mistakes, exact_shape=True,
                           overflow=OVERFLOW, methods=("forward", "backward"), float32=big,
                           forward_mistakes=forward_mistakes))
