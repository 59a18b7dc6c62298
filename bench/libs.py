"""The libraries under test, one adapter each: a Lib builds a workload's step() (forward + backward) from the data of
bench/workloads.py and turns the gradients it returns into NumPy arrays; LIB_CLASSES names them, LIBS orders them for
the table, PACKAGE says which module each imports. A peer is imported only when its adapter is made, so NumPy's BLAS
is recorded before any peer loads its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from workloads import (Grads, _affine, _chain, _chain_scalars, _layers, _tanh_chain, numpy_chain, numpy_chain_scalars,
                       numpy_mlp, numpy_tanh_chain)

THREADS = os.environ.get("OMP_NUM_THREADS", "1")  # bench.py sets it from --threads before NumPy loads
LIBS = ["numpy", "autodiff", "autodiff x@W+b", "autodiff.compile", "autodiff.compile x@W+b", "floor", "torch", "mygrad",
        "autograd", "jax", "jax.jit", "micrograd"]
PACKAGE = {"jax.jit": "jax", "autodiff x@W+b": "autodiff", "autodiff.compile": "autodiff",
           "autodiff.compile x@W+b": "autodiff"}  # the module to import, where it is not the library's name


class Lib:
    name = "?"
    workloads = {"A", "B", "C", "D"}  # the workloads it runs (A for A f64 and A f32)

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        raise NotImplementedError

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    def chain_scalars(self, d: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    def tanh_chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        raise NotImplementedError

    def to_numpy(self, grads: Any) -> Grads:
        return [np.asarray(g) for g in grads]


class NumpyByHand(Lib):
    name = "numpy"
    workloads = {"A", "B", "B scalars", "C", "D", "S"}
    mlp = staticmethod(numpy_mlp)
    chain = staticmethod(numpy_chain)
    chain_scalars = staticmethod(numpy_chain_scalars)
    tanh_chain = staticmethod(numpy_tanh_chain)



class Autodiff(Lib):
    """autodiff speaks PyTorch's words (Tensor, requires_grad, backward, .grad, F.*): one text serves both."""

    name = "autodiff"
    workloads = {"A", "B", "B scalars", "C", "D", "S"}

    def __init__(self) -> None:
        import autodiff
        import autodiff.functional as F

        self.tensor, self.F, self.linear = autodiff.Tensor, F, F.linear

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        F = self.F
        params = [self.tensor(p, requires_grad=True) for p in d["params"]]
        X, y = self.tensor(d["X"]), self.tensor(d["y"])
        activation = F.tanh if act == "tanh" else F.relu

        def loss_of(X: Any, y: Any) -> Any:
            out = _layers(X, params, activation, self.linear)
            return F.cross_entropy(out, y) if loss == "ce" else F.mse_loss(out, y)

        run = self.run(loss_of)

        def step() -> list[Any]:
            for p in params:
                p.grad = None
            run(X, y)
            return [p.grad for p in params]

        return step

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        x, w, b = self.tensor(d["x"], requires_grad=True), self.tensor(d["w"]), self.tensor(d["b"])
        run = self.run(lambda x, w, b: _chain(x, w, b, d["cycles"], self.F.relu))

        def step() -> list[Any]:
            x.grad = None
            run(x, w, b)
            return [x.grad]

        return step

    def chain_scalars(self, d: dict[str, Any]) -> Callable[[], Any]:
        return self._of_x(d, lambda x: _chain_scalars(x, d["cycles"], self.F.relu))

    def tanh_chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        return self._of_x(d, lambda x: _tanh_chain(x, d["tanh_cycles"]))

    def _of_x(self, d: dict[str, Any], loss: Callable[[Any], Any]) -> Callable[[], Any]:
        x, run = self.tensor(d["x"], requires_grad=True), self.run(loss)

        def step() -> list[Any]:
            x.grad = None
            run(x)
            return [x.grad]

        return step

    def run(self, loss: Callable[..., Any]) -> Callable[..., Any]:
        """How a step runs its loss: eagerly, forward then backward (Compiled: autodiff.compile)."""
        return lambda *args: loss(*args).backward()


class AutodiffMatmul(Autodiff):
    """The layer as a user may write it, h @ W + b: two nodes (MatMul, Add) instead of F.linear's Affine."""

    name = "autodiff x@W+b"
    workloads = {"A", "D"}

    def __init__(self) -> None:
        super().__init__()
        self.linear = _affine


class Compiled(Autodiff):
    """autodiff.compile(loss): the first call traces, every later one replays straight-line NumPy."""

    name = "autodiff.compile"
    workloads = {"A", "B", "B scalars", "D", "S"}

    def run(self, loss: Callable[..., Any]) -> Callable[..., Any]:
        import autodiff

        return autodiff.compile(loss)


class CompiledMatmul(Compiled, AutodiffMatmul):
    """autodiff.compile over the layer written h @ W + b."""

    name = "autodiff.compile x@W+b"
    workloads = {"A", "D"}


class Torch(Autodiff):
    name = "torch"

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(int(THREADS))
        self.tensor, self.F = torch.tensor, torch.nn.functional
        self.linear = lambda h, W, b: torch.addmm(b, h, W)  # torch.nn.Linear's one node (its weight is Wᵀ)

    def to_numpy(self, grads: Any) -> Grads:
        return [g.numpy() for g in grads]


class Floor(Autodiff):
    """bench/floor.py: PyTorch's Function interface in Python and nothing else, on the chain (B, C)."""

    name = "floor"
    workloads = {"B", "C"}

    def __init__(self) -> None:
        import floor

        self.tensor, self.F = floor.Tensor, floor


class MyGrad(Lib):
    name = "mygrad"

    def __init__(self) -> None:
        import mygrad

        self.mg = mygrad

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        mg = self.mg
        params = [mg.tensor(p) for p in d["params"]]
        X, y = mg.tensor(d["X"], constant=True), d["y"]
        activation = mg.tanh if act == "tanh" else mg.nnet.relu

        def step() -> list[Any]:
            out = _layers(X, params, activation)
            if loss == "ce":
                L = -mg.nnet.logsoftmax(out)[np.arange(len(y)), y].mean()
            else:
                L = ((out - y) ** 2).mean()
            L.backward()
            return [p.grad for p in params]

        return step

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        mg = self.mg
        x, w, b = mg.tensor(d["x"]), mg.tensor(d["w"], constant=True), mg.tensor(d["b"], constant=True)

        def step() -> list[Any]:
            _chain(x, w, b, d["cycles"], mg.nnet.relu).backward()
            return [x.grad]

        return step


class HipsAutograd(Lib):
    """HIPS autograd and JAX: a loss is a function of the parameters, differentiated by grad()."""

    name = "autograd"

    def __init__(self) -> None:
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        self.np, self.value_and_grad, self.logsumexp = anp, autograd.value_and_grad, logsumexp

    def relu(self, h: Any) -> Any:
        return self.np.maximum(h, 0)

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.value_and_grad(f)

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        xp = self.np
        activation = xp.tanh if act == "tanh" else self.relu

        def loss_fn(params: list[Any], X: Any, y: Any) -> Any:
            out = _layers(X, params, activation)
            if loss == "ce":
                logp = out - self.logsumexp(out, axis=1, keepdims=True)
                return -xp.mean(logp[xp.arange(len(y)), y])
            return xp.mean((out - y) ** 2)

        f, params, X, y = self.compile(loss_fn), [self.array(p) for p in d["params"]], self.array(d["X"]), self.array(d["y"])
        return lambda: self.sync(f(params, X, y)[1])

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        def f(x: Any, w: Any, b: Any) -> Any:
            return _chain(x, w, b, d["cycles"], self.relu)

        g, x, w, b = self.compile(f), self.array(d["x"]), self.array(d["w"]), self.array(d["b"])
        return lambda: [self.sync(g(x, w, b)[1])]

    def array(self, a: np.ndarray) -> Any:
        return a

    def sync(self, out: Any) -> Any:
        return out


class Jax(HipsAutograd):
    name = "jax"

    def __init__(self) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)
        self.jax, self.np, self.logsumexp = jax, jax.numpy, jax.scipy.special.logsumexp

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.jax.value_and_grad(f)

    def relu(self, h: Any) -> Any:
        return self.jax.nn.relu(h)

    def array(self, a: np.ndarray) -> Any:
        return self.jax.device_put(a)

    def sync(self, out: Any) -> Any:
        return self.jax.block_until_ready(out)


class JaxJit(Jax):
    name = "jax.jit"

    def compile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        return self.jax.jit(self.jax.value_and_grad(f))


class Micrograd(Lib):
    """Scalars only: an op on a vector is one Value op per element. No tanh: the chain and D use relu."""

    name = "micrograd"

    def __init__(self) -> None:
        from micrograd.engine import Value

        self.Value = Value

    def mlp(self, d: dict[str, Any], act: str, loss: str) -> Callable[[], Any]:
        if act != "relu" or loss != "mse":
            raise NotImplementedError("micrograd has no tanh and no softmax (and ~50M scalar ops would take hours)")
        Value = self.Value
        params = [np.vectorize(Value, otypes=[object])(p) for p in d["params"]]
        X, y = d["X"].tolist(), d["y"][:, 0].tolist()

        def step() -> list[Any]:
            for p in params:
                for v in p.flat:
                    v.grad = 0
            total = Value(0.0)
            for xi, yi in zip(X, y):
                h = xi
                for i in range(0, len(params), 2):
                    W, b = params[i], params[i + 1]
                    h = [sum((h[j] * W[j, k] for j in range(W.shape[0])), b[k]) for k in range(W.shape[1])]
                    if i + 2 < len(params):
                        h = [v.relu() for v in h]
                total = total + (h[0] - yi) ** 2
            (total * (1 / len(X))).backward()
            return params

        return step

    def chain(self, d: dict[str, Any]) -> Callable[[], Any]:
        x = [self.Value(v) for v in d["x"].tolist()]
        w, b = d["w"].tolist(), d["b"].tolist()

        def step() -> list[Any]:
            y = x
            for v in x:
                v.grad = 0
            for _ in range(d["cycles"]):
                y = [(yi * wi + bi).relu() for yi, wi, bi in zip(y, w, b)]
            sum(y, self.Value(0.0)).backward()
            return [x]

        return step

    def to_numpy(self, grads: Any) -> Grads:
        return [np.vectorize(lambda v: v.grad, otypes=[float])(np.asarray(g, dtype=object)) for g in grads]


LIB_CLASSES: dict[str, type[Lib]] = {
    c.name: c for c in (NumpyByHand, Autodiff, AutodiffMatmul, Compiled, CompiledMatmul, Floor, Torch, MyGrad, HipsAutograd,
                        Jax, JaxJit, Micrograd)
}
