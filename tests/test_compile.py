"""autodiff.compile: a replay equals eager bit for bit (the loss and every .grad), on random programs over
every registered op, each called as its row in tests/op_table.py draws it; new shapes or dtypes trace again;
the sharp edges a trace can see raise."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import autodiff
import autodiff.functional as F
from autodiff import Tensor, autograd, checkpoint, forward, nn, no_grad, optim, where
from autodiff.ops import REGISTRY
from op_table import ANY, NAMESPACE, ROWS, Arg, Domain, Source, array_source, row


def same(a: Any, b: Any) -> bool:
    """Bit for bit: the same dtype, shape and bytes (so nan equals the same nan)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def leaf(x: Any, dtype: Any = None) -> Tensor:
    return Tensor(x, requires_grad=True, dtype=dtype)


# Random programs: each step an op of REGISTRY, called as its row in tests/op_table.py draws it -----------


class Program:
    """A loss function's source, f(a0, a1, ...), over arguments of drawn kinds, closing over leaves w0, w1, ...,
    the table's constants c0, ... (indices, masks, targets) and constants k0, ... of other dtypes."""

    def __init__(self, dtype: type, args: list[tuple[str, tuple[int, ...]]]) -> None:
        self.dtype, self.args = dtype, args
        self.leaves: list[np.ndarray] = []  # the leaves' values at the start
        self.constants: list[tuple[str, str]] = []  # c0 = autodiff source
        self.others: list[tuple[type, tuple[int, ...]]] = []  # k0, ...: changed in place between calls
        self.steps: list[tuple[str, str]] = []  # v0 = autodiff source
        self.loss = ""

    def source(self) -> str:
        names = [f"a{i}" for i in range(len(self.args))]
        lines = [f"{a} = ad.as_tensor({a})" for a in names] + [f"{v} = {ad}" for v, ad in self.steps]
        return "\n".join([f"def f({', '.join(names)}):", *("    " + line for line in lines), f"    return {self.loss}"])

    def __repr__(self) -> str:
        closed = [f"w{i} = leaf({array_source(v)}, {self.dtype.__name__})" for i, v in enumerate(self.leaves)]
        closed += [f"{name} = {ad}" for name, ad in self.constants]
        closed += [f"k{i}: {t.__name__} of shape {s}" for i, (t, s) in enumerate(self.others)]
        return "\n".join([*closed, f"arguments: {self.args}", self.source()])

    def closed_constants(self, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [(rng.standard_normal(s) * 3).astype(t) for t, s in self.others]

    def world(self) -> tuple[Callable[..., Tensor], list[Tensor], list[np.ndarray]]:
        """f, with leaves and constants of its own: each world is changed on its own between calls."""
        leaves, others = [leaf(v.copy(), self.dtype) for v in self.leaves], self.closed_constants(2)
        namespace = dict(NAMESPACE, **{f"w{i}": w for i, w in enumerate(leaves)}, **{f"k{i}": k for i, k in enumerate(others)})
        for name, ad in self.constants:
            namespace[name] = eval(ad, namespace)  # noqa: S307 (source the table wrote)
        exec(self.source(), namespace)  # noqa: S102
        return namespace["f"], leaves, others

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


class Pool(Source):
    """Operands for the table's rows: the program's values so far (its leaves, arguments, earlier steps: each op
    evaluated eagerly as it is drawn), or a new leaf it closes over, or a constant. The first operand of a step is,
    one time in two, a value that requires grad."""

    def __init__(self, draw: Any, p: Program, sides: tuple[int, ...]) -> None:
        super().__init__(draw, sides, p.dtype)
        self.p, self.first, self.lead = p, True, ""  # lead: the step's first operand
        self.namespace: dict[str, Any] = dict(NAMESPACE)
        self.names: list[str] = []  # what an op may take

    def add(self, name: str, value: Any) -> None:
        self.namespace[name] = value
        self.names.append(name)

    def new_leaf(self, value: np.ndarray) -> Arg:
        name = f"w{len(self.p.leaves)}"
        self.p.leaves.append(value)
        self.add(name, leaf(value.copy(), self.dtype))
        return Arg(name, name, value)

    def value(self, name: str) -> np.ndarray:
        return self.namespace[name].data

    def operand(self, domain: Domain = ANY, fits: Callable[[tuple[int, ...]], bool] = lambda s: True,
                shape: Callable[[], tuple[int, ...]] | None = None, constant: str = "") -> Arg:
        names = [n for n in self.names if fits(self.value(n).shape) and (domain is ANY or domain.holds(self.value(n)))]
        first, self.first = self.first, False
        if first and self.pick([False, True]):
            names = [n for n in names if self.namespace[n].requires_grad]
        if names and self.draw(st.integers(0, 3)):
            name = self.pick(names)
            arg = Arg(name, name, self.value(name))
        elif constant and self.pick([False, True]):
            return self.constant(domain, (shape or self.shape)(), constant)
        else:
            arg = self.new_leaf(domain.sample(self.rng(), (shape or self.shape)()).astype(self.dtype))
        self.lead = self.lead or arg.ad
        return arg

    def named(self, ad: str, th: str, value: np.ndarray) -> Arg:
        name = f"c{len(self.p.constants)}"
        self.p.constants.append((name, ad))
        self.namespace[name] = eval(ad, self.namespace)  # noqa: S307
        return Arg(name, name, value)

    def earlier(self, fits: Callable[[tuple[int, ...]], bool], domain: Domain) -> list[Arg]:
        return [Arg(n, n, self.value(n)) for n in self.names if fits(self.value(n).shape) and domain.holds(self.value(n))]

    def step(self, ad: str) -> str:
        """A step evaluated eagerly: when that raises, the program does not take it."""
        name, value = f"v{len(self.p.steps)}", eval(ad, self.namespace)  # noqa: S307
        self.p.steps.append((name, ad))
        self.add(name, value)
        return name


ARG_KINDS = ["leaf", "tensor", "array", "other dtype", "ints", "mask"]
BROADCASTING = sorted(r.op for r in ROWS.values() if r.broadcasts)


@st.composite
def programs(draw: Any, require: str | None = None) -> Program:
    """A loss over 1-3 arguments and 0-2 closed-over leaves, in 1-6 steps (with `require` among them): each an op,
    one time in two one whose operands broadcast, on the program's values or new leaves and constants."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n, m = draw(st.integers(2, 3)), draw(st.integers(2, 3))
    shapes = st.sampled_from([(n, m), (n, m), (m,), (1, m), (n, 1), ()])  # bias-like shapes broadcast
    args = [(draw(st.sampled_from(ARG_KINDS)), draw(shapes)) for _ in range(draw(st.integers(1, 3)))]
    args = [(kind, shape[:1] if kind == "mask" else shape) for kind, shape in args]  # a mask picks rows
    p = Program(dtype, args)
    b = Pool(draw, p, (n, m, 1, n, m, 1, 0))  # the sides of new leaves and constants: an empty axis now and then
    for _ in range(draw(st.integers(0, 2))):
        b.new_leaf(np.random.default_rng(len(p.leaves)).standard_normal(draw(shapes)).astype(dtype))
    if not p.leaves and all(kind != "leaf" for kind, _ in p.args):
        p.args[0] = ("leaf", p.args[0][1])  # something requires grad
    for i, a in enumerate(p.arguments(1)):
        b.add(f"a{i}", autodiff.as_tensor(a))
    with np.errstate(all="ignore"):
        if draw(st.booleans()):  # a constant of another dtype, closed over: promoted by a Cast op
            p.others.append((draw(st.sampled_from([np.float32, np.float64, np.int64])), (m,)))
            fits = [v for v in b.names if b.value(v).dtype.kind == "f" and b.value(v).ndim and b.value(v).shape[-1] == m]
            if fits:
                b.namespace["k0"] = p.closed_constants(2)[0]
                b.step(f"{draw(st.sampled_from(fits))} * k0")
        ops = [draw(st.sampled_from(BROADCASTING if draw(st.booleans()) else sorted(ROWS))) for _ in range(draw(st.integers(1, 6)))]
        if require is not None and require not in ops:
            ops.insert(draw(st.integers(0, len(ops))), require)
        for op in ops:
            b.first, b.lead = True, ""
            ad, _ = row(op).call(b)
            try:
                b.step(ad)
                event(op)  # hypothesis' statistics count the programs each op is in
            except Exception:  # eager refuses these dtypes (an op on ints, say): scale the first operand instead
                b.step(f"{b.lead} * 1.5")
                event(f"{op} refused")
    grad_terms = [v for v in b.names if b.namespace[v].requires_grad]
    terms = [grad_terms[-1], *draw(st.lists(st.sampled_from(b.names), max_size=3))]
    masks = [(f"a{i}", shape[0]) for i, (kind, shape) in enumerate(p.args) if kind == "mask" and shape and shape[0] > 0]
    values = list(b.names)  # not the rows a mask picks: their count changes with the argument
    for mask, rows in masks:  # x[mask], a count of rows that changes with the argument, straight into the loss
        users = [v for v in values if v != mask and b.value(v).ndim and b.value(v).shape[0] == rows
                 and b.value(v).dtype.kind == "f" and b.namespace[v].requires_grad]
        if users:
            terms.append(b.step(f"{draw(st.sampled_from(users))}[{mask}]"))
    p.loss = " + ".join([f"{terms[0]}.sum()", *(f"{t}.mean()" for t in terms[1:])])
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
    (f_a, mine, ks_a), (eager, theirs, ks_b) = p.world(), p.world()
    fast = autodiff.compile(f_a)
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


@pytest.mark.parametrize("op", sorted(REGISTRY))
@settings(max_examples=8)
@given(data=st.data())
def test_every_op_in_compiled_programs(op: str, data: st.DataObject) -> None:
    """Each op at least in a few compiled programs per run, whatever the random draws favour."""
    between = data.draw(st.lists(st.sampled_from(BETWEEN), min_size=2, max_size=4), label="between")
    test_a_replay_equals_eager_bit_for_bit.hypothesis.inner_test(data.draw(programs(require=op), label="program"), between)


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
