"""PyTorch's dtype promotion: the dtype of an op's result when its inputs' dtypes differ.

The widest kind wins (bool < integer < floating). Within it, inputs with dimensions outrank 0-d ones, which
outrank Python and NumPy scalars (and lists): a float32 model stays float32 next to a float64 constant of 0-d or a Python
number. Where no input of the winning kind has dimensions or is 0-d, the kind's default dtype is taken.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_KIND = {"b": 0, "u": 1, "i": 1, "f": 2}
_DEFAULT = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float64)}


def result_dtype(op: str, values: list[Any]) -> np.dtype:
    """The result's dtype for these inputs (arrays, or numbers), or a TypeError naming op and the input."""
    ranked = []
    for i, v in enumerate(values):
        a = v if isinstance(v, np.ndarray) else np.asarray(v)
        if a.dtype.kind not in _KIND:
            raise TypeError(f"{op}: input {i} is {v!r} of dtype {a.dtype}; expected numbers, an array or a Tensor")
        tier = 0 if not isinstance(v, np.ndarray) else 2 if a.ndim else 1  # numbers and lists: 0
        ranked.append((_KIND[a.dtype.kind], tier, a.dtype))
    kind = max(k for k, _, _ in ranked)
    top = max(t for k, t, _ in ranked if k == kind)
    if not top:
        return _DEFAULT[kind]
    return np.result_type(*[d for k, t, d in ranked if k == kind and t == top])
