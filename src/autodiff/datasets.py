"""Toy 2-D classification data, generated in a few lines of NumPy and seeded."""

from __future__ import annotations

import numpy as np


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X of shape (n, 2), labels y in {0, 1}, alternating."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return X + noise * rng.standard_normal((n, 2)), y.astype(np.int64)


def make_spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`classes` spiral arms around the origin: X of shape (n_per_class * classes, 2), labels y in {0, …, classes-1}."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per_class)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    t = np.tile(np.linspace(0.0, 4.0, n_per_class), classes) + y * 2 * np.pi / classes
    t = t + noise * rng.standard_normal(t.shape)
    return np.c_[r * np.sin(t), r * np.cos(t)], y.astype(np.int64)
