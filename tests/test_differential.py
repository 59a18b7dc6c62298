"""Differential test against PyTorch: random programs over every registered op, run in both libraries.

Hypothesis draws programs (tests/random_programs.py): 3-12 ops from autodiff.ops.REGISTRY, each called
as its row in tests/op_table.py says (its public entry points, in both libraries), broadcasting shapes
with 0-d, size-1 and empty axes, constants of every kind, intermediate values reused, inputs inside
each op's domain, ending in a scalar loss. Each program runs in autodiff and in torch (float64), and
these must agree:

- the value (and dtype) of every intermediate, and every input's gradient from one backward;
- every intermediate's tangent in forward mode (adf.dual_level against fwAD.dual_level), and the
  loss's JVP (autodiff.jvp against torch.func.jvp);
- the gradients by autograd.grad(create_graph=True), and Hessian-vector products by a second
  autograd.grad through them (double backward);
- on small programs, autodiff.hvp and autodiff.hessian against torch.autograd.functional's; and
  transforms composed (jvp∘jvp, grad∘jvp, grad∘hvp, jacobian∘jacobian in both orders) against torch's
  Hessian and triple backward, with constants made by detach(), .data and .numpy() (issue 18);
- reverse mode as forward mode transposed (issue 21): every value as a function of every input,
  linearized (f_jvp against torch.func.jvp) and transposed (linear_transpose(f_jvp) and autodiff.vjp,
  each against torch.func.vjp).

Issue 20's cases, drawn from the same programs:

- checkpoint: ours runs a block of the program's steps inside ad.checkpoint (given index arrays, boolean
  masks, float arrays and Tensors, one by one or as one tuple; returning a tuple); its values, gradients
  and second derivatives must be torch's without checkpoint;
- tuple-valued functions: every value of the program, as a function of x0, through autodiff.vjp and
  jvp (against torch.func's) and jacobian, rev and fwd (against torch.autograd.functional.jacobian);
- casts to int and bool, which cut the graph, at first and second order (op_table.cut).

Agreement means |autodiff - torch| <= RTOL |torch| + ATOL, entry by entry (ATOL is the floor for
entries near 0: values are O(1) to O(100), so what both libraries round differently is far below it).
A disagreement fails with the shrunk program as a script that runs both libraries and prints the
two results. Skipped without torch (CI installs it: `pip install torch==2.13.0`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip(
    "torch", reason="the differential test compares with PyTorch: .venv/bin/python -m pip install torch==2.13.0"
)

import autodiff as ad  # noqa: E402
from autodiff import Tensor  # noqa: E402
from autodiff.ops import REGISTRY  # noqa: E402
from op_table import cut  # noqa: E402
from random_programs import SMALL_SIDES, Program, programs  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")  # torch.func, importing itself

RTOL = 1e-10
ATOL = 1e-10

# Each check is source code, run after the program's own: it fills `pairs` with what must agree,
# {what: (autodiff's, torch's)}. On a failure it is printed with the program, so the printed
# script is exactly what ran.
VALUES_AND_GRADIENTS = """\
xs = [Tensor(a, requires_grad=True) for a in inputs]
ts = [torch.tensor(a, requires_grad=True) for a in inputs]
ours_out, theirs_out = ours(*xs), theirs(*ts)
ours_out["loss"].backward()
theirs_out["loss"].backward()
pairs = {name: (ours_out[name], theirs_out[name]) for name in ours_out}
pairs |= {f"x{i}.grad": (x.grad, t.grad) for i, (x, t) in enumerate(zip(xs, ts))}
"""

FORWARD_MODE = """\
with adf.dual_level():
    ours_out = ours(*[adf.make_dual(a, t) for a, t in zip(inputs, tangents)])
    ours_tangents = {name: adf.unpack_dual(v).tangent for name, v in ours_out.items()}
with fwAD.dual_level():
    theirs_out = theirs(*[fwAD.make_dual(torch.tensor(a), torch.tensor(t)) for a, t in zip(inputs, tangents)])
    theirs_tangents = {name: fwAD.unpack_dual(v).tangent for name, v in theirs_out.items()}
pairs = {f"{name} tangent": (ours_tangents[name], theirs_tangents[name]) for name in ours_out}
_, ours_jvp = ad.jvp(lambda *xs: ours(*xs)["loss"], inputs, tangents)
primals, tangents_t = tuple(map(torch.tensor, inputs)), tuple(map(torch.tensor, tangents))
_, theirs_jvp = torch.func.jvp(lambda *ts: theirs(*ts)["loss"], primals, tangents_t)
pairs["jvp of loss"] = (ours_jvp, theirs_jvp)
"""

DOUBLE_BACKWARD = """\
xs = [Tensor(a, requires_grad=True) for a in inputs]
ts = [torch.tensor(a, requires_grad=True) for a in inputs]
ours_g = ad.autograd.grad(ours(*xs)["loss"], xs, create_graph=True)
theirs_g = torch.autograd.grad(theirs(*ts)["loss"], ts, create_graph=True)
ours_gv = sum((g * v).sum() for g, v in zip(ours_g, directions))  # <grad, v>: its gradient is H v
theirs_gv = sum((g * torch.tensor(v)).sum() for g, v in zip(theirs_g, directions))
ours_hv = ad.autograd.grad(ours_gv, xs, allow_unused=True) if ours_gv.requires_grad else [None] * len(xs)
theirs_hv = torch.autograd.grad(theirs_gv, ts, allow_unused=True) if theirs_gv.requires_grad else [None] * len(ts)
pairs = {f"grad x{i} (create_graph)": (g, tg) for i, (g, tg) in enumerate(zip(ours_g, theirs_g))}
pairs |= {f"H v, x{i} (double backward)": (h, th) for i, (h, th) in enumerate(zip(ours_hv, theirs_hv))}
"""

TRANSFORMS = """\
rest_ours, rest_theirs = [Tensor(a) for a in inputs[1:]], [torch.tensor(a) for a in inputs[1:]]
f_ours = lambda x: ours(x, *rest_ours)["loss"]  # the loss as a function of x0, the other inputs held
f_theirs = lambda x: theirs(x, *rest_theirs)["loss"]
x, v = inputs[0], directions[0]
_, ours_hvp = ad.hvp(f_ours, x, v)
_, theirs_hvp = torch.autograd.functional.hvp(f_theirs, torch.tensor(x), torch.tensor(v))
pairs = {"hvp(loss, x0, v)": (ours_hvp, theirs_hvp)}
pairs["hessian(loss)(x0)"] = (ad.hessian(f_ours)(x), torch.autograd.functional.hessian(f_theirs, torch.tensor(x)))
"""

TUPLE_TRANSFORMS = """\
rest_ours, rest_theirs = [Tensor(a) for a in inputs[1:]], [torch.tensor(a) for a in inputs[1:]]
names = list(ours(Tensor(inputs[0]), *rest_ours))
f_ours = lambda x: tuple(ours(x, *rest_ours).values())  # every value of the program, as a function of x0
f_theirs = lambda x: tuple(theirs(x, *rest_theirs).values())
x, t = inputs[0], tangents[0]
outs, ours_vjp_fn = ad.vjp(f_ours, x)
rng = np.random.default_rng(0)
us = tuple(np.round(rng.uniform(-1, 1, np.shape(o)), 2) for o in outs)  # a cotangent for each output
_, theirs_vjp_fn = torch.func.vjp(f_theirs, torch.tensor(x))
pairs = {"vjp (tuple of cotangents)": (ours_vjp_fn(us)[0], theirs_vjp_fn(tuple(map(torch.tensor, us)))[0])}
(ours_values, ours_tangents), (theirs_values, theirs_tangents) = (
    ad.jvp(f_ours, (x,), (t,)), torch.func.jvp(f_theirs, (torch.tensor(x),), (torch.tensor(t),)))
pairs |= {f"jvp: {name}": (o, th) for name, o, th in zip(names, ours_values, theirs_values)}
pairs |= {f"jvp: {name} tangent": (o, th) for name, o, th in zip(names, ours_tangents, theirs_tangents)}


def jacobians(f, x, mode):
    # Each output's Jacobian, out.shape + x.shape: in rev a row per output entry (torch.autograd.grad), in fwd a
    # column per input entry (torch.func.jvp). torch.autograd.functional.jacobian cannot stack an empty output's
    # rows, and torch.func.jacrev and jacfwd vmap, which cannot index with a boolean mask.
    x = torch.tensor(x, requires_grad=mode == "rev")
    outs, n = f(x), x.numel()
    if mode == "fwd":
        columns = [torch.func.jvp(f, (x,), (e.reshape(x.shape),))[1] for e in torch.eye(n, dtype=x.dtype)]
        parts = [[c[i] for c in columns] for i in range(len(outs))]
    else:
        parts = [[torch.autograd.grad(o.reshape(-1)[k], x, retain_graph=True)[0] for k in range(o.numel() * o.requires_grad)]
                 for o in outs]
    return [torch.stack(p, dim=0 if mode == "rev" else -1).reshape(o.shape + x.shape) if p
            else torch.zeros(o.shape + x.shape, dtype=x.dtype) for p, o in zip(parts, outs)]


for mode in ("rev", "fwd"):
    ours_jacobians, theirs_jacobians = ad.jacobian(f_ours, x, mode=mode), jacobians(f_theirs, x, mode)
    pairs |= {f"jacobian {mode}: {name}": (o, th) for name, o, th in zip(names, ours_jacobians, theirs_jacobians)}
"""

COMPOSITIONS = """\
rest_ours, rest_theirs = [Tensor(a) for a in inputs[1:]], [torch.tensor(a) for a in inputs[1:]]
f_ours = lambda x: ours(x, *rest_ours)["loss"]  # the loss as a function of x0, the other inputs held
f_theirs = lambda x: theirs(x, *rest_theirs)["loss"]
x, u, v = inputs[0], tangents[0], directions[0]
xt, ut, vt = torch.tensor(x), torch.tensor(u), torch.tensor(v)
# torch's references by torch.autograd: torch.func's own compositions give nan (pow at 0) or raise (abs)
hessian = torch.autograd.functional.hessian(f_theirs, xt)
H = hessian.reshape(xt.numel(), xt.numel())
Hu = (H @ ut.reshape(-1)).reshape(xt.shape)


def grad_of_hvp_theirs():  # d/dx <H(x) v, u>, by triple backward
    x_ = xt.clone().requires_grad_()
    (g,) = torch.autograd.grad(f_theirs(x_), x_, create_graph=True)
    hv = torch.autograd.grad((g * vt).sum(), x_, create_graph=True, allow_unused=True)[0] if g.requires_grad else None
    if hv is None or not hv.requires_grad:
        return torch.zeros_like(xt)
    got = torch.autograd.grad((hv * ut).sum(), x_, allow_unused=True)[0]
    return torch.zeros_like(xt) if got is None else got


third = grad_of_hvp_theirs()
d_ours = lambda x: ad.jvp(f_ours, (x,), (u,))[1]  # x -> <grad f(x), u>, by forward mode
pairs = {"jvp(jvp(f))": (ad.jvp(d_ours, (x,), (v,))[1], (Hu * vt).sum())}
pairs["grad(jvp(f))"] = (ad.grad(d_ours)(x), Hu)
hv_ours = lambda x: (ad.hvp(f_ours, x, v)[1] * u).sum()  # <H(x) v, u>
pairs["grad(hvp(f))"] = (ad.grad(hv_ours)(x), third)
pairs["jacobian(jacobian(f, fwd), rev)"] = (ad.jacobian(lambda x: ad.jacobian(f_ours, x, mode="fwd"), x), hessian)
pairs["jacobian(jacobian(f), fwd)"] = (ad.jacobian(lambda x: ad.jacobian(f_ours, x), x, mode="fwd"), hessian)
# Detached constants stay constants at every order: f(x) times f at x detached, its .data, its .numpy()
held = f_theirs(xt)
for how, const in [("detach()", lambda x: x.detach()), (".data", lambda x: Tensor(x.data)),
                   (".numpy()", lambda x: Tensor(x.numpy()))]:
    g_ours = lambda x: f_ours(x) * f_ours(const(x))
    pairs[f"hessian of f(x) * f(x.{how})"] = (ad.hessian(g_ours)(x), held * hessian)
    pairs[f"grad of hvp of f(x) * f(x.{how})"] = (ad.grad(lambda x: (ad.hvp(g_ours, x, v)[1] * u).sum())(x), held * third)
"""

LINEARIZE = """\
f_ours = lambda *xs: tuple(ours(*xs).values())  # every value of the program, as a function of every input
f_theirs = lambda *ts: tuple(theirs(*ts).values())
names = list(ours(*map(Tensor, inputs)))
values, f_jvp = ad.linearize(f_ours, *inputs)
primals = tuple(map(torch.tensor, inputs))
_, theirs_tangents = torch.func.jvp(f_theirs, primals, tuple(map(torch.tensor, tangents)))
pairs = {f"linearize: f_jvp, {name}": (o, t) for name, o, t in zip(names, f_jvp(*tangents), theirs_tangents)}
rng = np.random.default_rng(0)
cts = tuple(np.round(rng.uniform(-1, 1, np.shape(v)), 2) for v in values)  # a cotangent for each value
_, theirs_vjp_fn = torch.func.vjp(f_theirs, *primals)
theirs_cts = theirs_vjp_fn(tuple(map(torch.tensor, cts)))
transposed, vjp = ad.linear_transpose(f_jvp, *inputs)(*cts), ad.vjp(f_ours, *inputs)[1](cts)
pairs |= {f"linear_transpose(f_jvp), x{i}": (o, t) for i, (o, t) in enumerate(zip(transposed, theirs_cts))}
pairs |= {f"vjp, x{i}": (o, t) for i, (o, t) in enumerate(zip(vjp, theirs_cts))}
"""


def agree(program: Program, check: str) -> None:
    """Run the program and the check in both libraries; fail with a runnable script at the first difference."""
    script = f"{program.source()}\n\n{check}"
    namespace: dict[str, Any] = {}
    try:
        exec(compile(script, "<program>", "exec"), namespace)  # noqa: S102 (source the test wrote)
    except Exception as err:
        raise AssertionError(f"{type(err).__name__}: {err}\n\n{_reproduce(script, '')}") from err
    for what, (ours, theirs) in namespace["pairs"].items():
        problem = _differs(ours, theirs)
        if problem:
            raise AssertionError(f"{what}: {problem}\n\n{_reproduce(script, what)}")


def _differs(ours: Any, theirs: Any) -> str:
    """What is wrong with autodiff's result against torch's ("" when they agree); None is zeros."""
    if theirs is None and ours is None:
        return ""
    o = None if ours is None else np.asarray(getattr(ours, "data", ours))
    t = None if theirs is None else theirs.detach().clone().numpy()  # clone: a ZeroTensor's numpy() fails (force=True segfaults)
    o = np.zeros_like(t) if o is None else o
    t = np.zeros_like(o) if t is None else t
    if o.shape != t.shape or o.dtype != t.dtype:
        return f"autodiff gives shape {o.shape} and dtype {o.dtype}, torch {t.shape} and {t.dtype}"
    if np.allclose(o, t, rtol=RTOL, atol=ATOL):
        return ""
    with np.errstate(invalid="ignore"):
        worst = np.nanmax(np.abs(o - t)) if o.size else 0.0
    return (f"max |autodiff - torch| = {worst:.3g} (allowed: {RTOL:g} relative, {ATOL:g} absolute)\n"
            f"autodiff: {np.array2string(o, precision=17)}\ntorch:    {np.array2string(t, precision=17)}")


def _reproduce(script: str, what: str) -> str:
    show = (f'\nnp.set_printoptions(precision=17)\ntorch.set_printoptions(precision=17)\nours, theirs = pairs["{what}"]\n'
            'print("autodiff:", ours)\nprint("torch:   ", theirs)') if what else ""
    return f"The shrunk program; paste it into Python to see the difference:\n\n{script}{show}\n"


@settings(max_examples=300)
@given(program=programs())
def test_random_programs_agree_with_torch(program: Program) -> None:
    for check in (VALUES_AND_GRADIENTS, FORWARD_MODE, DOUBLE_BACKWARD, LINEARIZE):
        agree(program, check)


@pytest.mark.parametrize("op", sorted(REGISTRY))
@settings(max_examples=8)
@given(data=st.data())
def test_every_op_in_random_programs(op: str, data: st.DataObject) -> None:
    """Each op at least in a few programs per run, whatever the random draws favour."""
    program = data.draw(programs(max_ops=6, require=op), label="program")
    for check in (VALUES_AND_GRADIENTS, FORWARD_MODE, DOUBLE_BACKWARD, LINEARIZE):
        agree(program, check)


@settings(max_examples=150)
@given(program=programs(min_ops=2, max_ops=6, sides=SMALL_SIDES))
def test_hvp_and_hessian_agree_with_torch(program: Program) -> None:
    agree(program, TRANSFORMS)


def test_a_wrong_derivative_fails_with_a_shrunk_program_that_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker checked: Tanh's backward with a factor forgotten is caught, and the failure's script,
    run alone, prints the two different gradients."""
    from autodiff.ops import Tanh

    monkeypatch.setattr(Tanh, "backward", lambda ctx, grad: grad * (1 - ctx.saved_tensors[0]))  # should be 1 - z²

    @settings(max_examples=50, database=None, derandomize=True, print_blob=False)
    @given(program=programs(min_ops=0, max_ops=4, require="Tanh"))
    def check(program: Program) -> None:
        agree(program, VALUES_AND_GRADIENTS)

    with pytest.raises(AssertionError) as failure:
        check()
    message = str(failure.value)
    what = message.split(":")[0]
    script = message.split("paste it into Python to see the difference:\n\n")[1]
    namespace: dict[str, Any] = {}
    exec(compile(script, "<printed>", "exec"), namespace)  # noqa: S102
    ours, theirs = namespace["pairs"][what]
    assert what.endswith(".grad") and not np.allclose(ours, theirs.numpy())
    assert "v2 = " not in script, "the program was not shrunk"


# Issue 20: checkpoint, tuple-valued functions in every transform, casts to int and bool ---------------


@settings(max_examples=100)
@given(program=programs(min_ops=1, max_ops=8, checkpoint=True))
def test_checkpointed_programs_agree_with_torch(program: Program) -> None:
    """A block of ours runs in ad.checkpoint: given some earlier values and constants (one by one or as one
    tuple), closing over the rest (weights, intermediates used outside too), returning a tuple of its values
    (or its one value). Values, gradients and second derivatives must be torch's, which has no checkpoint."""
    for check in (VALUES_AND_GRADIENTS, DOUBLE_BACKWARD):
        agree(program, check)


@pytest.mark.parametrize("op", ["GetItem", "Where", "ScatterAdd", "NLLLoss"])
@settings(max_examples=15)
@given(data=st.data())
def test_checkpoint_with_index_and_mask_arguments(op: str, data: st.DataObject) -> None:
    """The ops that take integer indices, boolean masks and integer targets, inside the checkpointed block,
    their arrays given to the block as arguments (torch.utils.checkpoint passes them through)."""
    program = data.draw(programs(min_ops=0, max_ops=4, require=op, checkpoint=True), label="program")
    for check in (VALUES_AND_GRADIENTS, DOUBLE_BACKWARD):
        agree(program, check)


def test_checkpoint_passes_integer_and_boolean_tensor_arguments_through() -> None:
    x, index, mask = np.array([1.0, -2.0, 3.0]), np.array([2, 0, 2]), np.array([True, False, True])

    def block_ours(x: Tensor, i: Tensor, m: Tensor) -> tuple[Tensor, Tensor]:
        return (x[i] ** 2).sum(), ad.where(m, x * x, x)

    def block_theirs(x: Any, i: Any, m: Any) -> tuple[Any, Any]:
        return (x[i] ** 2).sum(), torch.where(m, x * x, x)

    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = ad.checkpoint(block_ours, ours, Tensor(index), Tensor(mask))
    c, d = torch.utils.checkpoint.checkpoint(block_theirs, theirs, torch.tensor(index), torch.tensor(mask),
                                             use_reentrant=False)
    (a + (b * b).sum()).backward()
    (c + (d * d).sum()).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_checkpoint_recomputes_each_argument_in_its_own_dtype() -> None:
    """A float32 argument beside a float64 one: the recomputation sees the dtypes the first run saw, so the
    block computes the same values (float32 rounding included) and each gradient comes back in its dtype."""
    x, w = np.array([1.1, -2.3, 3.7], np.float32), np.array([0.3, 0.7, -1.9])

    def block(x: Any, w: Any) -> Any:
        return ((x * x) * (x * x)).sum() * (w * w).sum()  # x^4 in float32, then promoted

    ours = [Tensor(a, requires_grad=True) for a in (x, w)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    ad.checkpoint(block, *ours).backward()
    torch.utils.checkpoint.checkpoint(block, *theirs, use_reentrant=False).backward()
    for o, t in zip(ours, theirs):
        assert o.grad.dtype == t.grad.numpy().dtype
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12 if o.dtype == np.float64 else 1e-6)


@settings(max_examples=100)
@given(program=programs(min_ops=2, max_ops=6, sides=SMALL_SIDES))
def test_compositions_of_transforms_and_detached_constants_agree_with_torch(program: Program) -> None:
    """Issue 18: forward mode composes as JAX's does. jvp of jvp, grad of jvp, grad of hvp and a Jacobian of a
    Jacobian in either order equal torch's second and third derivatives (Hessian, triple backward); constants
    made by detach(), .data and .numpy() stay constants at second and third order."""
    agree(program, COMPOSITIONS)


@settings(max_examples=100)
@given(program=programs(min_ops=1, max_ops=6, sides=SMALL_SIDES))
def test_tuple_valued_functions_in_every_transform_agree_with_torch(program: Program) -> None:
    agree(program, TUPLE_TRANSFORMS)


@settings(max_examples=60)
@given(program=programs(min_ops=1, max_ops=6, sides=SMALL_SIDES, require="Cast", calls={"Cast": cut}))
def test_casts_to_int_and_bool_cut_the_graph_at_first_and_second_order(program: Program) -> None:
    """x * x.astype(int64 / int32 / bool) among other ops: the cast has no derivative, in values, gradients, forward
    mode, double backward, hvp and hessian, as in torch."""
    for check in (VALUES_AND_GRADIENTS, FORWARD_MODE, DOUBLE_BACKWARD, TRANSFORMS):
        agree(program, check)
