"""autodiff.compile: a replay equals eager bit for bit (the loss and every .grad), on random programs over
every registered op; new shapes or dtypes trace again; the sharp edges a trace can see raise."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
import autodiff.functional as F
from autodiff import Tensor, autograd, checkpoint, concatenate, forward, maximum, minimum, nn, no_grad, optim, stack, where
from autodiff.ops import REGISTRY, Alias


def same(a: Any, b: Any) -> bool:
    """Bit for bit: the same dtype, shape and bytes (so nan equals the same nan)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def leaf(x: Any, dtype: Any = None) -> Tensor:
    return Tensor(x, requires_grad=True, dtype=dtype)


# Random programs: each step an op from REGISTRY through its public entry point ---------------------
# An entry is (arity, make): make(draw, new_leaf, *operands) draws the op's parameters for these operands
# and returns the step, a function of the operands. new_leaf(shape) adds a leaf the program closes over.

Make = Callable[..., Callable[..., Tensor]]


def _axis(draw: Any, x: Tensor) -> int | None:
    return draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None


def _index(draw: Any, x: Tensor) -> Any:
    return draw(st.sampled_from([0, -1, slice(None, None, -1), (Ellipsis, 0), np.array([0, 0, 1]), [1, 0]]))


def _power(draw: Any) -> Callable[[Tensor], Tensor]:
    if draw(st.booleans()):
        return lambda x: x**2  # a Python int exponent
    return lambda x: (x * x + 0.5) ** np.float32(1.5)  # a NumPy scalar one


def _mask(draw: Any, x: Tensor) -> Callable[[Tensor], Tensor]:
    mask = np.random.default_rng(draw(st.integers(0, 99))).random(x.shape) > 0.5  # closed over: a constant
    return lambda x: where(mask, x, -x)


def _linear(draw: Any, new_leaf: Callable[[tuple[int, ...]], int], x: Tensor) -> Callable[..., Tensor]:
    w, b = new_leaf((x.shape[-1], 3)), new_leaf(draw(st.sampled_from([(3,), (1, 3)])))
    if draw(st.booleans()):
        return lambda x, leaves: F.linear(x, leaves[w], leaves[b].reshape(-1))
    return lambda x, leaves: x @ leaves[w] + leaves[b]  # the bias broadcast: summed over the rows in backward


def _targets(draw: Any, x: Tensor) -> Callable[[Tensor], Tensor]:
    """cross_entropy (log_softmax, then nll_loss) or nll_loss alone, of drawn class indices."""
    y = np.random.default_rng(draw(st.integers(0, 99))).integers(0, x.shape[1], x.shape[0])
    loss = draw(st.sampled_from([F.cross_entropy, F.nll_loss]))
    return lambda x: loss(x, y)


def _mse(draw: Any, x: Tensor) -> Callable[[Tensor], Tensor]:
    target = np.random.default_rng(draw(st.integers(0, 99))).standard_normal(x.shape)
    return lambda x: F.mse_loss(x, target)


ENTRIES: dict[str, tuple[int, Make]] = {
    "Abs": (1, lambda draw, new, x: lambda x: x.abs()),
    "Add": (2, lambda draw, new, x, y: lambda x, y: x + y),
    "Sub": (2, lambda draw, new, x, y: lambda x, y: x - y),
    "Mul": (2, lambda draw, new, x, y: lambda x, y: x * y),
    "Div": (2, lambda draw, new, x, y: lambda x, y: x / (y * y + 1)),
    "Pow": (1, lambda draw, new, x: _power(draw)),
    "Maximum": (2, lambda draw, new, x, y: lambda x, y: maximum(x, y)),
    "Minimum": (1, lambda draw, new, x: lambda x: minimum(x, 0.25)),
    "Where": (1, lambda draw, new, x: _mask(draw, x)),
    "Neg": (1, lambda draw, new, x: lambda x: -x),
    "Exp": (1, lambda draw, new, x: lambda x: x.exp()),
    "Log": (1, lambda draw, new, x: lambda x: (x * x + 1).log()),
    "Sqrt": (1, lambda draw, new, x: lambda x: (x * x + 0.5).sqrt()),
    "Tanh": (1, lambda draw, new, x: lambda x: x.tanh()),
    "Sigmoid": (1, lambda draw, new, x: lambda x: F.sigmoid(x)),
    "Relu": (1, lambda draw, new, x: lambda x: F.relu(x)),
    "Clip": (1, lambda draw, new, x: lambda x: x.clip(-0.5, np.float32(0.75))),
    "Cast": (1, lambda draw, new, x: lambda x: x.astype(np.float64 if x.dtype == np.float32 else np.float32)),
    "Alias": (1, lambda draw, new, x: lambda x: Alias.apply(x)),
    "Step": (1, lambda draw, new, x: lambda x: x * (x > 0) + np.sign(x)),
    "MatMul": (1, lambda draw, new, x: lambda x: x @ x.mT if x.ndim > 1 else x @ x),
    "Affine": (1, _linear),
    "NLLLoss": (1, lambda draw, new, x: _targets(draw, x)),
    "MSELoss": (1, lambda draw, new, x: _mse(draw, x)),
    "LogSoftmax": (1, lambda draw, new, x: (lambda a: lambda x: F.log_softmax(x, a))(_axis(draw, x))),
    "Softmax": (1, lambda draw, new, x: (lambda a: lambda x: F.softmax(x, a))(_axis(draw, x))),
    "LogSumExp": (1, lambda draw, new, x: (lambda a, k: lambda x: F.logsumexp(x, a, k))(_axis(draw, x), draw(st.booleans()))),
    "Max": (1, lambda draw, new, x: (lambda a, k: lambda x: x.max(a, k))(_axis(draw, x), draw(st.booleans()))),
    "Min": (1, lambda draw, new, x: (lambda a, k: lambda x: x.min(a, k))(_axis(draw, x), draw(st.booleans()))),
    "Mean": (1, lambda draw, new, x: (lambda a, k: lambda x: x.mean(a, k))(_axis(draw, x), draw(st.booleans()))),
    "Sum": (1, lambda draw, new, x: (lambda a, k: lambda x: x.sum(a, k))(_axis(draw, x), draw(st.booleans()))),
    "BroadcastTo": (1, lambda draw, new, x: lambda x: x.broadcast_to((2, *x.shape))),
    "Concatenate": (2, lambda draw, new, x, y: lambda x, y: concatenate([x, y, x])),  # x twice: fan-out
    "Stack": (2, lambda draw, new, x, y: lambda x, y: stack([x, y], axis=-1)),
    "GetItem": (1, lambda draw, new, x: (lambda i: lambda x: x[i])(_index(draw, x))),
    "Reshape": (1, lambda draw, new, x: lambda x: x.reshape(-1)),
    "Transpose": (1, lambda draw, new, x: lambda x: x.T),
}
BINARY = [name for name, (arity, _) in ENTRIES.items() if arity == 2]
UNREACHABLE = {"ScatterAdd": "no entry point of its own: GetItem's backward applies it"}

ARG_KINDS = ["leaf", "tensor", "array", "other dtype", "ints", "mask"]


def test_the_programs_reach_every_registered_op() -> None:
    assert set(ENTRIES) | set(UNREACHABLE) == set(REGISTRY)


@dataclass
class Program:
    """Leaves (closed over), argument kinds and shapes, and steps over a pool: leaves, then arguments, then results."""

    dtype: type
    leaf_shapes: list[tuple[int, ...]] = field(default_factory=list)  # the first `base` in the pool, the rest only for layers
    constants: list[tuple[type, tuple[int, ...]]] = field(default_factory=list)  # closed over, of other dtypes
    base: int = 0
    args: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    steps: list[tuple[Callable[..., Tensor], list[int], bool]] = field(default_factory=list)  # (fn, operands, takes leaves)
    terms: list[int] = field(default_factory=list)  # the pool entries whose sums make the loss

    def leaves(self, seed: int) -> list[Tensor]:
        rng = np.random.default_rng(seed)
        return [leaf(rng.standard_normal(s), self.dtype) for s in self.leaf_shapes]

    def closed_constants(self, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [(rng.standard_normal(s) * 3).astype(t) for t, s in self.constants]

    def arguments(self, seed: int) -> list[Any]:
        rng = np.random.default_rng(seed)
        made = []
        for kind, shape in self.args:
            x = rng.standard_normal(shape)
            made.append({"leaf": lambda: leaf(x, self.dtype), "tensor": lambda: Tensor(x, dtype=self.dtype),
                         "array": lambda: x.astype(self.dtype), "ints": lambda: rng.integers(-3, 4, shape),
                         "other dtype": lambda: x.astype(np.float64 if self.dtype == np.float32 else np.float32),
                         "mask": lambda: np.array(np.asarray(x) > 0)}[kind]())
        return made

    def f(self, leaves: list[Tensor], constants: list[np.ndarray]) -> Callable[..., Tensor]:
        """The program as a loss function closing over these leaves and constants."""

        def loss(*args: Any) -> Tensor:
            pool = [*leaves[: self.base], *map(autodiff.as_tensor, args)]
            for fn, operands, takes_leaves in self.steps:
                xs = [pool[i] for i in operands]
                pool.append(fn(*xs, leaves) if takes_leaves else fn(*xs, constants) if takes_leaves is None else fn(*xs))
            total = pool[self.terms[0]].sum()
            for i in self.terms[1:]:
                total = total + pool[i].mean()
            return total

        return loss


@st.composite
def programs(draw: Any) -> Program:
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n, m = draw(st.integers(2, 3)), draw(st.integers(2, 3))
    shapes = st.sampled_from([(n, m), (n, m), (m,), (1, m), (n, 1), ()])  # bias-like shapes broadcast
    p = Program(dtype, [draw(shapes) for _ in range(draw(st.integers(0, 2)))])
    p.base = len(p.leaf_shapes)
    p.args = [(draw(st.sampled_from(ARG_KINDS)), draw(shapes)) for _ in range(draw(st.integers(1, 3)))]
    p.args = [(kind, shape[:1] if kind == "mask" else shape) for kind, shape in p.args]  # a mask picks rows
    if not p.leaf_shapes and all(kind != "leaf" for kind, _ in p.args):
        p.args[0] = ("leaf", p.args[0][1])  # something requires grad
    leaves, args = p.leaves(0), p.arguments(1)
    pool = [*leaves, *map(autodiff.as_tensor, args)]
    leafy = [i for i, x in enumerate(pool) if x.requires_grad]

    def new_leaf(shape: tuple[int, ...]) -> int:
        p.leaf_shapes.append(shape)
        leaves.append(p.leaves(0)[-1])
        return len(leaves) - 1

    masks = [i for i, (kind, shape) in enumerate(p.args) if kind == "mask" and shape and shape[0] > 0]
    constants: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        if draw(st.booleans()):  # a constant of another dtype, closed over: promoted by a Cast op
            k = len(p.constants)
            p.constants.append((draw(st.sampled_from([np.float32, np.float64, np.int64])), (m,)))
            constants = p.closed_constants(2)
            j = draw(st.sampled_from([j for j, x in enumerate(pool) if x.dtype.kind == "f" and x.ndim and x.shape[-1] == m]
                                     or [None]))
            if j is not None:
                p.steps.append(((lambda x, cs, k=k: x * cs[k]), [j], None))
                pool.append(pool[j] * constants[k])
        for _ in range(draw(st.integers(1, 6))):
            name = draw(st.sampled_from(sorted(BINARY) if draw(st.booleans()) else sorted(ENTRIES)))  # broadcasting
            arity, make = ENTRIES[name]
            operands = [draw(st.sampled_from(leafy if k == 0 and draw(st.booleans()) else range(len(pool))))
                        for k in range(arity)]
            xs = [pool[i] for i in operands]
            takes_leaves = make is _linear
            try:
                fn = make(draw, new_leaf, *xs)
                out = fn(*xs, leaves) if takes_leaves else fn(*xs)
            except Exception:  # eager refuses these shapes or dtypes (an op on ints, say): scale the first instead
                fn, operands, takes_leaves = (lambda x: x * 1.5), operands[:1], False
                out = fn(pool[operands[0]])
            p.steps.append((fn, operands, takes_leaves))
            pool.append(out)
    grad_terms = [i for i, x in enumerate(pool) if x.requires_grad]
    p.terms = [grad_terms[-1], *draw(st.lists(st.sampled_from(range(len(pool))), max_size=3))]
    fixed = len(pool)  # the values before the masks: their shapes do not change from call to call
    for i in masks:  # x[mask], a count of rows that changes with the argument, straight into the loss
        m = p.base + i
        users = [j for j, x in enumerate(pool[:fixed]) if j != m and x.ndim and x.shape[0] == pool[m].shape[0]
                 and x.dtype.kind == "f" and x.requires_grad]
        if users:
            p.steps.append(((lambda x, mask: x[mask]), [draw(st.sampled_from(users)), m], False))
            p.terms.append(len(pool))
            pool.append(p.steps[-1][0](*(pool[j] for j in p.steps[-1][1])))
    return p


def grads(tensors: list[Any]) -> list[Any]:
    return [t.grad for t in tensors if isinstance(t, Tensor)]


BETWEEN = ["zero_grad", "accumulate", "new args", "toggle", "constants"]


@settings(max_examples=200)
@given(programs(), st.lists(st.sampled_from(BETWEEN), min_size=2, max_size=4))
def test_a_replay_equals_eager_bit_for_bit(p: Program, between: list[str]) -> None:
    """The tracing call and the replays after it, with changing data (masks selecting other counts among it),
    parameters moved in place between calls (an SGD step), .grad kept (accumulated into) or zeroed, a leaf's
    requires_grad switched off or back on, and closed-over constants of other dtypes changed in place."""
    mine, theirs = p.leaves(0), p.leaves(0)
    ks_a, ks_b = p.closed_constants(2), p.closed_constants(2)
    fast, eager = autodiff.compile(p.f(mine, ks_a)), p.f(theirs, ks_b)
    args_a, args_b = p.arguments(1), p.arguments(1)
    with np.errstate(all="ignore"):
        for call, what in enumerate(["first", *between]):
            if what == "new args":
                args_a, args_b = p.arguments(call + 2), p.arguments(call + 2)
            if what == "constants":
                for k in (*ks_a, *ks_b):
                    k[...] = k * 2 - 1
            if what == "toggle" and mine:
                for w in (mine[0], theirs[0]):
                    w.requires_grad, w.grad = not w.requires_grad, None
            want = eager(*args_b)
            if not want.requires_grad:  # nothing left to differentiate: eager cannot run backward either
                with pytest.raises(RuntimeError, match="loss does not require grad"):
                    fast(*args_a)
                continue
            loss = fast(*args_a)
            want.backward()
            assert same(loss.data, want.data)
            for got, expected in zip(grads(mine + args_a), grads(theirs + args_b)):
                assert (got is None and expected is None) or same(got, expected)
            found = [g for g in grads(mine + args_a) if g is not None]
            assert all(type(g) is np.ndarray and g.base is None for g in found)  # owned, not views ...
            assert len({id(g) for g in found}) == len(found)  # ... nor shared
            for world in (mine, theirs):
                for w in world:
                    if w.grad is not None:
                        w.data -= (0.1 * w.grad).astype(w.dtype)  # the same step in both worlds
                        if what == "zero_grad":
                            w.grad = None
    traces = sum(map(len, fast.traces.values()))
    assert traces == 1 or "toggle" in between or any(kind == "mask" for kind, _ in p.args)


# Workloads and the live demo ------------------------------------------------------------------


def mlp_a(dtype: type, seed: int = 0) -> tuple[list[Tensor], np.ndarray, np.ndarray]:
    """Workload A's shapes: 256 x 784 -> 256 (tanh) -> 10, cross-entropy."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, 1 / 28, (784, 256)), rng.normal(0, 0.1, 256), rng.normal(0, 1 / 16, (256, 10)),
              rng.normal(0, 0.1, 10)]
    return [leaf(p, dtype) for p in params], rng.normal(size=(256, 784)).astype(dtype), rng.integers(0, 10, 256)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", ["F.linear", "x @ W + b"])
def test_workload_a_compiled_equals_eager(dtype: type, layer: str) -> None:
    linear = F.linear if layer == "F.linear" else (lambda h, W, b: h @ W + b)

    def make(params: list[Tensor]) -> Callable[[np.ndarray, np.ndarray], Tensor]:
        return lambda X, y: F.cross_entropy(linear(linear(X, *params[:2]).tanh(), *params[2:]), y)

    (mine, X, y), (theirs, _, _) = mlp_a(dtype), mlp_a(dtype)
    fast, eager = autodiff.compile(make(mine)), make(theirs)
    for step in range(3):
        for p, q in zip(mine, theirs):
            p.grad = q.grad = None
        batch = slice(None) if step < 2 else slice(2, None)
        loss, want = fast(X[batch], y[batch]), eager(X[batch], y[batch])
        want.backward()
        assert same(loss.data, want.data) and all(same(p.grad, q.grad) for p, q in zip(mine, theirs))
    assert len(fast.traces) == 2  # the third call's batch is shorter: traced again


def test_the_live_demo_loop_compiled_gives_the_same_losses_step_by_step() -> None:
    X, y = autodiff.datasets.make_moons(n=200, noise=0.1, seed=0)
    models = [nn.MLP([2, 16, 16, 2], seed=0), nn.MLP([2, 16, 16, 2], seed=0)]
    opts = [optim.Adam(m.parameters(), lr=0.01) for m in models]
    fast = autodiff.compile(lambda X, y: F.cross_entropy(models[0](X), y))
    for _ in range(60):
        for opt in opts:
            opt.zero_grad()
        loss = fast(X, y)
        want = F.cross_entropy(models[1](X), y)
        want.backward()
        assert same(loss.data, want.data)
        for opt in opts:
            opt.step()
    assert all(same(p.data, q.data) for p, q in zip(*(m.parameters() for m in models)))


# Traces: when, what they bind, what they show -----------------------------------------------------


def test_new_shapes_or_dtypes_trace_again_and_old_ones_replay() -> None:
    w = leaf(np.ones(3))
    fast = autodiff.compile(lambda x: (x * w).sum())
    fast(np.ones((2, 3)))
    first = fast.last
    fast(np.ones((2, 3)))
    assert fast.last is first and len(fast.traces) == 1
    fast(np.ones((4, 3)))
    fast(np.ones((2, 3), np.float32))
    assert len(fast.traces) == 3
    fast(np.ones((2, 3)))
    assert fast.last is first  # each trace kept, by the arguments' shapes and dtypes
    w.data = np.ones((2, 3))  # a leaf f closes over has a new shape: traced again
    fast(np.ones((2, 3)))
    assert fast.last is not first and w.grad.shape == (2, 3)


def test_a_tensor_argument_that_requires_grad_gets_its_grad_and_keys_the_trace() -> None:
    fast = autodiff.compile(lambda x, y: (x * y).sum())
    x, y = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
    fast(x, y)
    x2 = leaf([5.0, 6.0])
    fast(x2, y)
    assert same(x2.grad, [3.0, 4.0]) and same(x.grad, [3.0, 4.0])
    fast(Tensor([1.0, 1.0]), leaf([1.0, 1.0]))  # now y requires grad and x does not: another trace
    assert len(fast.traces) == 2


def test_an_argument_given_twice_traces_apart_from_two_arguments() -> None:
    fast = autodiff.compile(lambda a, b: (a * b).sum())
    x = leaf([1.0, 2.0])
    fast(x, x)
    assert same(x.grad, [2.0, 4.0])
    y = leaf([1.0, 2.0])
    x.grad = None
    fast(x, y)
    assert same(x.grad, [1.0, 2.0]) and same(y.grad, [1.0, 2.0]) and len(fast.traces) == 2


def test_arrays_given_to_ops_as_parameters_are_bound_to_the_arguments() -> None:
    """cross_entropy's targets, an index array and a where mask, each an argument: a replay uses the call's."""
    w = leaf(np.arange(12.0).reshape(4, 3) / 10)

    def f(y: np.ndarray, index: np.ndarray, mask: Tensor) -> Tensor:
        return F.cross_entropy(w, y) + w[index].sum() + where(mask, w, 0.0).sum()

    fast = autodiff.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(3):
        args = rng.integers(0, 3, 4), rng.integers(0, 4, 2), Tensor(rng.random((4, 3)) > 0.5)
        w.grad = None
        loss = fast(*args)
        grad = w.grad
        w.grad = None
        want = f(*args)
        want.backward()
        assert same(loss.data, want.data) and same(grad, w.grad)
    assert "targets=y" in fast.source and "index=index" in fast.source and "condition=mask.data" in fast.source


def test_accumulation_into_an_existing_grad_matches_eager() -> None:
    w = leaf([1.0, 2.0])
    fast = autodiff.compile(lambda x: (w * x).sum())
    w.grad = np.array([10.0, 20.0])
    fast(np.array([3.0, 4.0]))
    fast(np.array([3.0, 4.0]))
    assert same(w.grad, [16.0, 28.0])


def test_zero_grad_arrays_are_freed_where_eager_frees_them() -> None:
    w = leaf(np.ones(3))
    fast = autodiff.compile(lambda x: (w * x).sum())
    fast(np.ones(3))
    old = weakref.ref(w.grad)
    w.grad = None
    assert old() is not None
    fast(np.ones(3))
    assert old() is None and same(w.grad, np.ones(3))


def test_grads_are_owned_arrays_when_backward_gives_a_view_or_one_array_twice() -> None:
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    fast = autodiff.compile(lambda x: (a + b).sum() + x.sum())  # Sum's backward: a broadcast view; Add's: the same one twice
    for _ in range(2):
        a.grad = b.grad = None
        fast(np.ones(2))
        assert a.grad.base is None and b.grad.base is None and a.grad is not b.grad
        a.grad[0] = 5.0
        assert b.grad[0] == 1.0


def test_the_source_compiles_and_names_each_op_and_decision() -> None:
    w, b = leaf(np.ones((3, 2))), leaf(np.zeros(2), np.float32)
    fast = autodiff.compile(lambda x, y: F.mse_loss((x @ w + b).tanh(), y))
    fast(np.ones((4, 3)), np.zeros((4, 2)))
    source = fast.source
    compile(source, "<source>", "exec")
    for op in ("MatMul", "Add", "Tanh", "MSELoss"):
        assert f"{op}.forward(" in source and f"{op}.backward(" in source
    assert "sum over the broadcast axis 0" in source and ".astype(float32)" in source
    assert source.splitlines()[0] == "def f(x, y):"  # a lambda's code is named f


def test_a_failing_replay_points_at_its_generated_line() -> None:
    fast = autodiff.compile(lambda x: (x @ x.T).sum())
    fast(leaf(np.ones((2, 2))))
    fast.last.run.__globals__["MatMul"] = None  # break the replay on purpose
    with pytest.raises(AttributeError) as info:
        fast(leaf(np.ones((2, 2))))
    assert "MatMul.forward" in str(info.traceback[-1].statement)


# Sharp edges: what a trace can see raises, naming the problem ---------------------------------------


w = leaf([1.0, -2.0])


@pytest.mark.parametrize("f, message", [
    (lambda x: x.sum() if x.sum() else x.mean(), r"branches on a traced tensor's value \(bool\(\)\)"),
    (lambda x: x * float(x.sum()), r"takes a traced tensor's value out as a Python number \(float\(\)\)"),
    (lambda x: x.sum() * x.sum().item(), r"as a Python number \(.item\(\)\)"),
    (lambda x: Tensor(np.asarray(x) * 2).sum(), r"turns a traced tensor into a NumPy array \(np.asarray\(\)\)"),
    (lambda x: (x * np.cumsum(x.detach())).sum(), "applies numpy.cumsum, which has no derivative rule, to a traced tensor"),
    (lambda x: x * 2, r"must return a scalar loss; it returned a Tensor of shape \(2,\)"),
    (lambda x: 3.0, "must return a scalar loss Tensor; it returned a float"),
    (lambda x: (x.detach() * 2).sum(), "f's loss does not require grad"),
    (lambda x: Tensor([1.0], requires_grad=True).sum() + x.sum(), "f creates a tensor that requires grad"),
    (lambda x: autograd.grad((x * x).sum(), x, create_graph=True)[0].sum(), "f runs backward itself"),
    (lambda x: checkpoint(lambda h: (h * h).sum(), x), r"f uses checkpoint: a replay carries none of it"),
    (lambda x: (lambda h: (h.retain_grad(), h)[1])(x * 2).sum(), r"f calls retain_grad\(\)"),
    (lambda x: (x * w.exp()).sum(), None),  # a closed-over leaf's graph inside f: fine
])
def test_what_a_trace_can_see_raises(f: Callable[[Tensor], Any], message: str | None) -> None:
    fast = autodiff.compile(f)
    if message is None:
        fast(leaf([1.0, 2.0]))
        return
    with pytest.raises((TypeError, ValueError, RuntimeError), match=message):
        fast(leaf([1.0, 2.0]))


def test_a_tensor_computed_outside_f_or_as_an_argument_is_an_error() -> None:
    h = w * 2
    with pytest.raises(RuntimeError, match="f uses a tensor that Mul computed outside f"):
        autodiff.compile(lambda x: (h * x).sum())(np.ones(2))
    with pytest.raises(ValueError, match=r"argument 0 was computed by Mul \(it has a grad_fn\)"):
        autodiff.compile(lambda x: x.sum())(h)


def test_arguments_must_be_arrays_or_tensors() -> None:
    with pytest.raises(TypeError, match="argument 1 is a float; pass a NumPy array or a Tensor"):
        autodiff.compile(lambda x, c: (x * c).sum())(leaf([1.0]), 2.0)


def test_forward_mode_and_no_grad_are_refused() -> None:
    fast = autodiff.compile(lambda x: (x * x).sum())
    with forward.dual_level(), pytest.raises(RuntimeError, match="no forward-mode level open"):
        fast(leaf([1.0]))
    with no_grad(), pytest.raises(RuntimeError, match="needs grad mode on"):
        fast(leaf([1.0]))

    def dual(x: Tensor) -> Tensor:
        with forward.dual_level():
            return (forward.make_dual(x, np.ones(1)) * x).sum()

    with pytest.raises(RuntimeError, match=r"f uses forward mode \(dual numbers\)"):
        autodiff.compile(dual)(leaf([1.0]))


def test_a_failed_trace_leaves_the_engine_as_it_was() -> None:
    with pytest.raises(TypeError):
        autodiff.compile(lambda x: x * float(x.sum()))(leaf([1.0]))
    x = leaf([1.0, -1.0])
    assert same((x > 0).data, [True, False])
    (x * x).sum().backward()
    assert same(x.grad, [2.0, -2.0])


def test_constants_in_f_are_baked_in_as_the_trace_saw_them() -> None:
    """The sharp edge a trace cannot see: a number f reads from Python state at the trace is kept."""
    scale = [2.0]
    fast = autodiff.compile(lambda x: (x * scale[0]).sum())
    x = leaf([1.0])
    fast(x)
    scale[0] = 3.0
    x.grad = None
    assert fast(x).item() == 2.0 and same(x.grad, [2.0])


# What a replay relies on: guarded, each change traced again (issue 19) ---------------------------


def test_freezing_and_unfreezing_a_parameter_trace_again_both_ways() -> None:
    """D4: a parameter unfrozen after the trace is trained again, as eager does; a constant switched on too."""
    W, V, b = leaf(np.ones((3, 2))), leaf(np.ones((2, 2))), Tensor(np.zeros(2))
    fast = autodiff.compile(lambda X: ((autodiff.as_tensor(X) @ W + b).tanh() @ V).sum())
    X = np.ones((4, 3))
    fast(X)
    W.requires_grad, W.grad = False, None
    fast(X)
    assert W.grad is None and len(fast.traces[next(iter(fast.traces))]) == 2
    W.requires_grad = True
    fast(X)
    assert W.grad is not None
    b.requires_grad = True  # a closed-over constant at the trace, a leaf now
    fast(X)
    assert same(b.grad, np.full(2, 8 * (1 - np.tanh(3.0) ** 2)))


@pytest.mark.parametrize("constant", [np.ones(2, np.float32), np.ones(2, np.int64), Tensor(np.ones(2, np.float32))])
def test_a_closed_over_constant_of_another_dtype_is_read_by_reference(constant: Any) -> None:
    """D6: promoted by the Cast op, which the trace sees: an in-place change shows in the replay."""
    W = leaf(np.ones((3, 2)))
    f = lambda X: ((autodiff.as_tensor(X) @ W) * constant).sum()
    fast, X = autodiff.compile(f), np.ones((4, 3))
    fast(X)
    (constant.data if isinstance(constant, Tensor) else constant)[:] = 2
    assert fast(X).item() == f(X).item() == 48.0


def test_a_boolean_mask_argument_that_selects_another_count_traces_again() -> None:
    """D7: the count of True entries in a boolean index is part of what a trace is made for."""
    W, s = leaf(np.ones((3, 2))), leaf([0.5])
    f = lambda X, m: ((autodiff.as_tensor(X) @ W).sum(axis=1)[m] * s).sum()
    fast, X = autodiff.compile(f), np.ones((4, 3))
    for mask in ([True, False, False, False], [True, True, False, True], [True, False, False, False]):
        s.grad = None
        fast(X, np.array(mask))
        assert same(s.grad, [6.0 * sum(mask)])
    assert len(fast.traces[next(iter(fast.traces))]) == 2  # the third call replays the first trace


def test_a_boolean_mask_computed_inside_f_is_refused() -> None:
    with pytest.raises(TypeError, match="indexes with a boolean mask computed from traced values"):
        autodiff.compile(lambda x: x[x > 0].sum())(leaf([1.0, -1.0]))


def test_comparisons_are_ops_and_replay_with_each_call_s_values() -> None:
    fast = autodiff.compile(lambda x: (x * (x > 0)).sum() + (x == x.max()).astype(np.float64).sum())
    for values in ([1.0, -2.0, 3.0], [-1.0, 2.0, 2.0]):
        x, y = leaf(values), leaf(values)
        assert same(fast(x).data, ((y * (y > 0)).sum() + (y == y.max()).astype(np.float64).sum()).data)


def test_a_tensor_that_requires_grad_made_inside_f_from_an_argument_is_the_documented_error() -> None:
    """D14: not an internal KeyError."""
    with pytest.raises(RuntimeError, match="f creates a tensor that requires grad"):
        autodiff.compile(lambda X: (Tensor(X, requires_grad=True) * 2).sum())(np.ones(3))


def test_two_threads_trace_two_functions_at_once_and_an_eager_thread_is_unaffected() -> None:
    """D12: tracing replaces nothing, and watchers are per thread."""
    import threading

    started, go = threading.Barrier(3), threading.Event()
    results: dict[str, Any] = {}

    def traced(name: str, scale: float) -> None:
        w = leaf([1.0, 2.0])

        def f(x: Any) -> Tensor:
            started.wait()  # both traces are under way at once ...
            go.wait()  # ... while a third thread runs eagerly
            return (w * x * scale).sum()

        try:
            fast = autodiff.compile(f)
            results[name] = (fast(np.ones(2)).item(), w.grad.tolist(), fast(np.ones(2)).item())
        except Exception as err:  # noqa: BLE001 (reported below)
            results[name] = err

    def eager() -> None:
        started.wait()
        x = leaf([3.0])
        (x * x).sum().backward()
        results["eager"] = (x.grad.tolist(), (x > 0).data.tolist())
        go.set()

    threads = [threading.Thread(target=traced, args=("a", 1.0)), threading.Thread(target=traced, args=("b", 2.0)),
               threading.Thread(target=eager)]
    threads[1].start()
    threads[0].start()
    threads[2].start()
    for t in threads:
        t.join()
    assert results == {"a": (3.0, [1.0, 1.0], 3.0), "b": (6.0, [2.0, 2.0], 6.0), "eager": ([6.0], [True])}


def test_a_dropped_compiled_function_is_freed_without_the_cycle_collector(no_gc: None) -> None:
    import linecache

    w = leaf(np.ones(3))
    before = len(linecache.cache)
    for _ in range(50):
        fast = autodiff.compile(lambda x: (w * x).sum())
        fast(np.ones(3))
        fast(np.ones(3))
        ref = weakref.ref(fast.last.run)
        del fast
        assert ref() is None
    assert len(linecache.cache) == before
