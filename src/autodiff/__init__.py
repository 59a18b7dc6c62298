"""autodiff: reverse-mode automatic differentiation over NumPy, small enough to read in one sitting.

    from autodiff import Tensor
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # array([2., 4.])
"""

from .core import Function, Tensor, as_tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .ops import clip, concatenate, matmul, maximum, minimum, stack, where
from . import dispatch  # NumPy's functions on Tensors, as ops
from .transforms import grad, hessian, hvp, jacobian, jvp, vjp
from . import autograd, datasets, forward, functional, nn, optim, viz  # viz imports graphviz only when it draws
from .gradcheck import gradgradcheck
from .checkpoint import checkpoint, checkpoint_sequential
from .compiler import compile
from .linear import linear_transpose, linearize

__all__ = [
    "Function", "Tensor", "as_tensor", "autograd", "checkpoint", "clip", "checkpoint_sequential", "compile", "concatenate", "datasets", "enable_grad", "forward",
    "functional", "grad", "gradgradcheck", "hessian", "hvp", "is_grad_enabled", "jacobian", "jvp", "linear_transpose", "linearize", "matmul", "maximum", "minimum",
    "nn", "no_grad", "optim", "set_grad_enabled", "stack", "vjp", "viz", "where",
]
__version__ = "0.1.0"
