"""The seeded training run of the live demo (slides/06-demo.md), shared by demo_training.py and demo_graph.py.

It is the demo's training cell, step for step: same data, model, optimizer and seeds.
"""

import numpy as np

import autodiff.functional as F
from autodiff import Tensor, datasets, nn, no_grad, optim

SIZES, STEPS, NOISE = [2, 16, 16, 2], 300, 0.2
OPTIMIZERS = {  # the demo's optimizer first; the other is drawn for comparison
    "Adam, lr 0.01": lambda params: optim.Adam(params, lr=0.01),
    "SGD, lr 0.1, momentum 0.9": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
}


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and test sets: two moons, 200 points each, different seeds."""
    X, y = datasets.make_moons(n=200, noise=NOISE, seed=0)
    X_test, y_test = datasets.make_moons(n=200, noise=NOISE, seed=1)
    return X, y, X_test, y_test


def train(optimizer: str = "Adam, lr 0.01") -> tuple[nn.MLP, list[float]]:
    """The trained model and its loss at every step."""
    X, y, _, _ = data()
    model = nn.MLP(SIZES, seed=0)
    opt = OPTIMIZERS[optimizer](model.parameters())
    losses = []
    for _ in range(STEPS):
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return float((model(Tensor(X)).data.argmax(axis=1) == y).mean())
