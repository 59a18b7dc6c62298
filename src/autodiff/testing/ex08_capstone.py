"""Exercise 08's checker: train(X, y) trains a small network on two moons with the learner's own pieces."""

from __future__ import annotations

import types
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from autodiff import Function, Tensor, datasets, optim

from .harness import Wrong, _package_ops, exercise, learner, learner_file, these

ACCURACY = 0.97
MINUTES = 3


@cache
def _ready_made() -> Any:
    """The package's ops (forward and backward), its backward and its optimizers."""
    return these(*_package_ops(), optim, Tensor.backward, private=False)


@exercise("capstone", forbid=lambda code: _ready_made()(code), anywhere=True,
          write="train with your own pieces: every op in the graph yours (Linear, an activation, CrossEntropy), "
                "your backward loop and your optimizer")
def check(train: Callable[..., Any]) -> str:
    X, y = datasets.make_moons(n=200, noise=0.1, seed=0)
    X_new, y_new = datasets.make_moons(n=400, noise=0.1, seed=1)
    runs = [0]

    def count(frame: types.FrameType) -> None:  # the learner's ops' backward, run by the learner's loop
        code = frame.f_code
        if code.co_name == "backward" and learner_file(code.co_filename) and isinstance(
                frame.f_locals.get(code.co_varnames[0] if code.co_argcount else ""), Function):
            runs[0] += 1

    predict = learner("train", train, X.copy(), y.copy(), returns=True, count=count, limit=60.0 * MINUTES,
                      slow=f"train for fewer steps, or with a larger learning rate: {ACCURACY:.0%} takes a few "
                           "hundred full-batch steps of SGD with momentum")
    if runs[0] < 10:
        raise Wrong(f"train ran your ops' backward {runs[0]} times: train by gradient descent, with your backward "
                    "loop calling each node's backward, step after step")
    if not callable(predict):
        raise Wrong(f"train returned {predict!r}: return a function, predict(X) -> one label (0 or 1) per row of X")
    labels = learner("predict", predict, X_new, returns=True)
    labels = np.asarray(getattr(labels, "data", labels))
    if labels.shape != y_new.shape:
        raise Wrong(f"predict(X) for X of shape {X_new.shape} returned shape {labels.shape}: one label per row "
                    "(the argmax of each row of logits: logits.argmax(axis=1))")
    accuracy = float((labels == y_new).mean())
    if accuracy < ACCURACY:
        raise Wrong(f"your network classifies {accuracy:.1%} of 400 new points right; it should reach {ACCURACY:.0%}. "
                    "More steps, a larger learning rate, or wider layers (a scale of 1/√fan-in for the initial "
                    "weights)? If the loss does not fall at all, test your pieces one by one in their exercises")
    return (f"Trained with your own ops, backward loop and optimizer, your network classifies {accuracy:.1%} of 400 "
            f"new points right (at least {ACCURACY:.0%} was asked).")
