"""autodiff: reverse-mode automatic differentiation over NumPy, small enough to read in one sitting.

    from autodiff import Tensor
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # array([2., 4.])
"""

from .engine import Function, is_grad_enabled, no_grad
from .tensor import Tensor, as_tensor
from .ops import concatenate, matmul, maximum, minimum, stack, where

__all__ = [
    "Function", "Tensor", "as_tensor", "concatenate", "is_grad_enabled", "matmul", "maximum",
    "minimum", "no_grad", "stack", "where",
]
__version__ = "0.1.0"
