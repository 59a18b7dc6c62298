"""The exercises as a learner meets them: each notebook, run as shipped, says "not yet implemented";
with its solution in the answer cell it says "correct"; with a typical mistake, the specific message.

Also: the notebooks equal their sources (exercises/source/*.md), every section 01-07 has an exercise,
every exercise has a solution, and every check a notebook calls is one the checker knows.
"""

from __future__ import annotations

import contextlib
import io
import json
import linecache
import re
import sys
from pathlib import Path

import pytest

from autodiff import testing

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import notebooks  # noqa: E402
from deck import EXERCISE_SOURCES, EXERCISES, ROOT, decks  # noqa: E402

SOURCES = decks(EXERCISE_SOURCES)
SOLUTIONS = EXERCISES / "solutions"
CHECK = re.compile(r'^check\("(\w+)"', re.M)


def cells(stem: str) -> list[dict]:
    return json.loads((EXERCISES / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def run_notebook(stem: str, answer: str | None = None) -> list[str]:
    """Run the notebook's code cells in order, as a kernel would, with `answer` in the cell tagged
    `exercise` (as shipped when None); what each check cell printed."""
    namespace: dict = {"__name__": "__main__"}
    printed = []
    for k, cell in enumerate(c for c in cells(stem) if c["cell_type"] == "code"):
        source = answer if answer is not None and "exercise" in tags(cell) else "".join(cell["source"])
        filename = f"<{stem} cell {k}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # for the learner's line
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, filename, "exec"), namespace)
        if CHECK.search(source):
            printed.append(out.getvalue())
    return printed


def solution(stem: str) -> str:
    return (SOLUTIONS / f"{stem}.py").read_text(encoding="utf-8")


def answer_checks(stem: str) -> list[int]:
    """Which of the notebook's checks follow the answer cell (a notebook may check a given example first)."""
    code = [c for c in cells(stem) if c["cell_type"] == "code"]
    answer = next(k for k, c in enumerate(code) if "exercise" in tags(c))
    checks = [k for k, c in enumerate(code) if CHECK.search("".join(c["source"]))]
    return [n for n, k in enumerate(checks) if k > answer]


def answer_output(stem: str, answer: str) -> list[str]:
    """What the checks of the learner's answer print, one string per check."""
    printed = run_notebook(stem, answer)
    return [printed[n] for n in answer_checks(stem)]


STEMS = [s.stem for s in SOURCES]


def test_notebooks_equal_their_sources() -> None:
    found = notebooks.problems(EXERCISE_SOURCES, EXERCISES)
    assert not found, "\n".join(found)


def test_every_section_of_the_talk_has_an_exercise() -> None:
    sections = {stem[:2] for stem in STEMS}
    assert sections >= {f"{n:02d}" for n in range(1, 8)}, f"sections without an exercise: {sections}"
    assert len(STEMS) >= 7


@pytest.mark.parametrize("stem", STEMS)
def test_exercise_has_one_answer_cell_checks_and_a_solution(stem: str) -> None:
    code = [c for c in cells(stem) if c["cell_type"] == "code"]
    assert sum("exercise" in tags(c) for c in code) == 1, f"{stem}: one cell tagged exercise, the learner's"
    checked = [CHECK.search("".join(c["source"])).group(1) for c in code if CHECK.search("".join(c["source"]))]
    assert checked and all(n in testing.EXERCISES for n in checked), f"{stem}: checks {checked}"
    assert all("nbval-check-output" in tags(c) for c in code if CHECK.search("".join(c["source"]))), (
        f"{stem}: a check cell must be tagged nbval-check-output, so nbval proves the stub's message"
    )
    assert (SOLUTIONS / f"{stem}.py").exists(), f"{stem}: no solutions/{stem}.py"
    assert f"%load solutions/{stem}.py" in "".join("".join(c["source"]) for c in cells(stem)), (
        f"{stem}: the notebook says how to reveal its solution"
    )


def test_every_exercise_of_the_checker_is_in_a_notebook() -> None:
    checked = {CHECK.search("".join(c["source"])).group(1) for stem in STEMS for c in cells(stem)
               if c["cell_type"] == "code" and CHECK.search("".join(c["source"]))}
    assert checked == set(testing.EXERCISES)


@pytest.mark.parametrize("stem", STEMS)
def test_the_stub_as_shipped_says_not_yet_implemented(stem: str) -> None:
    printed = run_notebook(stem)
    for k in answer_checks(stem):
        assert ": not yet implemented: " in printed[k] and "NotImplementedError" in printed[k], printed[k]
    expected = [c["outputs"][0]["text"] for c in cells(stem) if CHECK.search("".join(c["source"]))]
    assert ["".join(t) for t in expected] == printed, "the committed outputs are what the checks print"


@pytest.mark.parametrize("stem", STEMS)
def test_the_solution_is_correct(stem: str) -> None:
    printed = answer_output(stem, solution(stem))
    assert all(": correct. " in p for p in printed), printed


def test_the_recursive_toposort_fails_on_the_deep_chain_with_its_line() -> None:
    (recursive, _) = run_notebook("04-toposort")
    assert "toposort on a chain 20,000 ops deep hit Python's recursion limit" in recursive
    assert "in your code, line 8: visit(p)" in recursive
    assert "keep your own stack" in recursive


def answer(stem: str, old: str | None, new: str) -> str:
    """The solution with `old` replaced by `new` (once), or `new` itself, a whole answer, when old is None."""
    if old is None:
        return new
    text = solution(stem)
    assert text.count(old) == 1, f"{stem}: the mistake's text {old!r} is not once in the solution"
    return text.replace(old, new)


def says(stem: str, old: str | None, new: str, expected: str) -> None:
    printed = answer_output(stem, answer(stem, old, new))
    assert any(expected in p and ": correct. " not in p for p in printed), "\n".join(printed)


# Pieces of the solutions, and whole answers, that the cases below use more than once.
CG = """import numpy as np
import autodiff


def newton_step(f, x, iters):
    g = autodiff.grad(f)(x)
    H = {H}
    return x - np.linalg.solve(H, g)
"""
TOPOSORT_UNSEEN = """from autodiff.testing import parent_nodes


def toposort(root):
    order, stack = [], [(root.grad_fn, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in parent_nodes(node))
    return list(dict.fromkeys(order))[::-1]  # each node once, but walked once per path to it
"""
LOGCOSH_F = "        return np.logaddexp(x, -x) - math.log(2.0)  # log((eˣ + e⁻ˣ) / 2), never forms eˣ\n"
LOGCOSH_B = "        return grad * np.tanh(x)\n"
CE_F = ("        shifted = x - x.max(axis=-1, keepdims=True)  # exp never sees a large positive number\n"
        "        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))\n")
MAX_SHARE = ("        hit = (x == z).astype(x.dtype)  # 1 at the maxima (z broadcasts along the reduced axis), in x's dtype\n"
             "        share = hit / hit.sum(axis=ctx.axis, keepdims=True)  # ties share equally\n")
SGD_STEP = ("            if p.grad is not None:  # a parameter the loss does not use has no gradient\n"
            "                v *= self.momentum\n                v += p.grad\n"
            "                p.data -= self.lr * v  # NumPy on the array: no graph\n")
LOOP_ADD = "            grads[parent] = grads[parent] + g if parent in grads else g  # fan-out: add, out of place\n"
DUAL_PARTIALS = ("    return [f(*[Dual(x, 1.0 if j == k else 0.0) for j, x in enumerate(xs)]).tangent "
                 "for k in range(len(xs))]\n")
EMBED_ADD = "        np.add.at(gW, ctx.index, grad)  # unbuffered: a row picked twice gets both of its gradients\n"
T_EXPAND = ("    if not keepdims:  # put the summed axes back, with size 1\n"
            "        ct = np.expand_dims(ct, tuple(range(len(x.shape))) if axis is None else axis)\n")
T_BROADCAST = "    return (np.broadcast_to(ct, x.shape),)\n"
T_ADD_AT = '    np.add.at(gx, line.params["index"], ct)  # unbuffered: gx[index] += ct would count a repeat once\n'
T_FANOUT = "                cts[operand] = cts[operand] + g if operand in cts else g  # fan-out: add, out of place\n"
T_SKIP = "        if line.out not in cts:  # the output does not use this line's value\n            continue\n"
T_WALK = "def transpose_program" + (SOLUTIONS / "02c-transpose.py").read_text(encoding="utf-8").split(
    "\n\n\ndef transpose_program")[1]  # the whole walk, for a learner's own

# A typical mistake, made in the solution's text (old -> new; old None: a whole answer): a part of what the
# check must print. Each exercise has at least three, each with its own message, and a cheat among them.
MISTAKES = [
    ("01-central-differences", "/ (2 * h)", "/ h", "2 times the right answer everywhere: did you divide by h instead of 2h?"),
    ("01-central-differences", "(f(x + step) - f(x - step)) / (2 * h)", "(f(x + step) - f(x)) / h",
     "that is the one-sided difference"),
    ("01-central-differences", "(f(x + step) - f(x - step))", "(f(x - step) - f(x + step))", "has the wrong sign"),
    ("01-central-differences", "step[k] = h", "step[...] = h", "nudge one entry at a time"),
    ("01-central-differences", "np.ndindex(x.shape)", "range(len(x))", "x[k] is a row of a 2-d x"),
    ("01-central-differences", "/ (2 * h)", "/ 2 * h", "/ 2 * h divides by 2, then multiplies by h"),
    ("02-exp-log", "return grad * z", "return z", "exp: Exp.backward on inputs of shape (3,): the gradient of input 0 "
     "is wrong: you forgot to multiply by grad"),
    ("02-exp-log", "return grad * z", "return 2 * grad * z", "is 2 times the right answer everywhere"),
    ("02-exp-log", "return grad * z", "grad *= z\n        return grad", "changed its argument grad in place"),
    ("02-exp-log", "return grad * z", "return grad * np.exp(z)", "z is already exp(x)"),
    ("02-exp-log", "return grad / x", "return grad * x", "log: Log.backward on inputs of shape (3,): the gradient of "
     "input 0 is wrong: you multiplied grad by x; d log(x)/dx = 1/x"),
    ("02-exp-log", "return grad / x", "return -grad / x", "log: Log.backward on inputs of shape (3,): the gradient of "
     "input 0 has the wrong sign"),
    ("02-exp-log", "return grad / x", "return -grad / x**2", "−1/x² is the derivative of 1/x"),
    ("02b-dual-numbers", "self.tangent * other.primal + self.primal * other.tangent", "self.tangent * other.tangent",
     "the product rule. ε² = 0 drops a.tangent·b.tangent"),
    ("02b-dual-numbers", "        return Dual(other) - self\n", "        return self - Dual(other)\n",
     "3.0 − a came out as a − 3.0"),
    ("02b-dual-numbers", "a.tangent * (1 - t * t)", "(1 - t * t)", "you forgot the chain rule: the tangent of tanh(a)"),
    ("02b-dual-numbers", "    __radd__ = __add__\n", "", "__radd__ for 2 + d"),
    ("02b-dual-numbers", "    def __add__(self, other):\n        other = other if isinstance(other, Dual) else Dual(other)\n",
     "    def __add__(self, other):\n", "a plain number is a dual number whose tangent is 0"),
    ("02b-dual-numbers", DUAL_PARTIALS, DUAL_PARTIALS.replace("1.0 if j == k else 0.0", "1.0"),
     "you seeded every input with tangent 1 in one sweep"),
    ("02b-dual-numbers", DUAL_PARTIALS, DUAL_PARTIALS.replace(").tangent ", ") "), "holds Duals: return the numbers"),
    ("02c-transpose", "sum_to(ct * b.data, a.shape)", "sum_to(ct / b.data, a.shape)", "the transpose of a scale by "
     "c is a scale by c, not by 1/c"),
    ("02c-transpose", "sum_to(ct * b.data, a.shape)", "sum_to(ct, a.shape)", "that is ct itself: the scale is missing"),
    ("02c-transpose", "return sum_to(ct * b.data, a.shape), None", "return ct * b.data, None",
     "broadcasting's transpose is a sum: sum it back, sum_to(ct * c, x.shape)"),
    ("02c-transpose", "return None, sum_to(a.data * ct, b.shape)", "return sum_to(a.data * ct, b.shape), None",
     "gave the cotangent to operand 0, the constant (a Tensor), and None to operand 1, the traced value (a Var)"),
    ("02c-transpose", T_EXPAND, "", "a sum's transpose must broadcast ct back to the input's shape keeping the summed "
     "axes where they were"),
    ("02c-transpose", T_EXPAND + T_BROADCAST, "    return (ct,)\n", "that is ct's shape. A sum's transpose broadcasts ct "
     "back to the input's shape"),
    ("02c-transpose", T_BROADCAST, "    return (np.broadcast_to(ct, x.shape) / (np.prod(x.shape) // ct.size),)\n",
     "dividing by their number is the transpose of a mean"),
    ("02c-transpose", T_ADD_AT, '    gx[line.params["index"]] += ct\n', "a gather's transpose must add up repeated "
     "indices, not assign"),
    ("02c-transpose", "    return (gx,)\n", "    return (ct,)\n", "that is ct's shape. A gather's transpose puts ct back "
     "where its entries came from"),
    ("02c-transpose", "gx = np.zeros(x.shape, ct.dtype)", "gx = np.zeros(x.shape)", "returned float64 for operand 0, a "
     "float32 value: keep ct's dtype: np.zeros(shape) makes float64"),
    ("02c-transpose", T_FANOUT, "                cts[operand] = g\n", "a value used twice kept only one of its "
     "cotangents: at fan-out, add the shares up"),
    ("02c-transpose", T_FANOUT, "                if operand in cts:\n                    cts[operand] += g\n"
     "                else:\n                    cts[operand] = g\n", "a cotangent changed after it was handed on: add "
     "out of place"),
    ("02c-transpose", "for line in reversed(program.lines):", "for line in program.lines:", "is wrong: walk the lines "
     "newest first, reversed(program.lines)"),
    ("02c-transpose", T_SKIP, "", "skip a line whose value got no cotangent (the output does not use it)"),
    ("02c-transpose", "cts = {program.outputs[0]: ct}", "cts = {program.lines[-1].out: ct}", "The program's output is "
     "program.outputs[0], here not the last line's value (the output does not use the last line): seed the output"),
    ("02c-transpose", "np.zeros(v.shape, v.dtype)) for v", "np.zeros(v.shape)) for v", "the cotangent of input 1 "
     "(f32[4]) is float64 for a float32 input: keep the program's dtype (np.zeros(v.shape, v.dtype)"),
    ("02c-transpose", "            if isinstance(operand, Var) and g is not None:  # a constant gets None\n",
     "            if True:\n", "hint: a transpose gives None to a constant operand: skip it"),
    ("03a-unbroadcast", "grad = grad.sum(axis=axis, keepdims=True)", "pass",
     "unbroadcast(grad of shape (2, 3), (1,)) returned shape (3,): did you sum over the broadcast axis?"),
    ("03a-unbroadcast", "grad.sum(axis=axis, keepdims=True)", "grad.sum(axis=axis)",
     "the right numbers in the wrong shape. The stretched axes stay, with size 1"),
    ("03a-unbroadcast", "grad = grad.sum(axis=0)", "grad = grad.mean(axis=0)", "0.25 times the right answer everywhere: "
     "did you average?"),
    ("03a-unbroadcast", "while grad.ndim > len(shape):", "while False:", "nothing was summed"),
    ("03a-unbroadcast", "    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n",
     "    grad = grad + np.zeros(shape)\n    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n",
     "turned float32 into float64: keep grad's dtype"),
    ("03b-div", "gy = -grad * x / (y * y) if dy else None", "gy = grad * x / (y * y) if dy else None",
     "∂(x/y)/∂y = −x/y²: the sign is minus"),
    ("03b-div", "gy = -grad * x / (y * y) if dy else None", "gy = -grad / (y * y) if dy else None",
     "∂(x/y)/∂y = −x/y²: the factor x is missing"),
    ("03b-div", "gx = grad / y if dx else None", "gx = grad * y if dx else None", "you multiplied grad by y"),
    ("03b-div", "gx = grad / y if dx else None\n        gy = -grad * x / (y * y) if dy else None",
     "gx = grad / y\n        gy = -grad * x / (y * y)", "returned a gradient for input 1, a constant (ctx.needs_input_grad "
     "is (True, False)): return None there"),
    ("03b-div", "gx = grad / y if dx else None\n        gy = -grad * x / (y * y) if dy else None",
     "gy = grad / y if dx else None\n        gx = -grad * x / (y * y) if dy else None", "are the two swapped?"),
    ("03b-div", "        return gx, gy\n", "        return [gx, gy]\n", "returned a list: the engine reads a list as one "
     "gradient. Return a tuple, one entry per input"),
    ("03b-div", "        return gx, gy\n", "        return gx\n", "returned 1 gradient(s) for 2 input(s)"),
    ("03c-linear", "gx = grad @ W if dx else None", "gx = grad @ W.T if dx else None", "x̄ = z̄ W: W has shape (out, in), "
     "so no transpose"),
    ("03c-linear", "gW = rows.T @ x.reshape(-1, x.shape[-1]) if dW else None",
     "gW = x.reshape(-1, x.shape[-1]).T @ rows if dW else None", "that is Wᵀ's gradient, (in, out)"),
    ("03c-linear", "gW = rows.T @ x.reshape(-1, x.shape[-1]) if dW else None", "gW = grad.T @ x if dW else None",
     "hint: `.T` reverses every axis, so on a stack of x it moves the batch axes too"),
    ("03c-linear", "gb = rows.sum(axis=0) if db else None", "gb = rows.mean(axis=0) if db else None",
     "did you average over the batch? Every row adds b"),
    ("03c-linear", "gb = rows.sum(axis=0) if db else None", "gb = grad.sum(axis=-1) if db else None",
     "you summed over the last axis, the output's features"),
    ("03d-cross-entropy", "        return g * (grad / n)\n", "        return g * grad\n", "you did not divide by n"),
    ("03d-cross-entropy", "        g[np.arange(n), ctx.targets] -= 1\n", "        g[:, ctx.targets] -= 1\n",
     "p[:, targets] -= 1 subtracts 1 in every row at every label"),
    ("03d-cross-entropy", "        g[np.arange(n), ctx.targets] -= 1\n", "", "the one-hot part is missing"),
    ("03d-cross-entropy", "        return g * (grad / n)\n", "        return g / n\n", "you forgot to multiply by grad"),
    ("03d-cross-entropy", CE_F, "        log_p = x - np.log(np.exp(x).sum(axis=-1, keepdims=True))\n",
     "(large logits) is inf, where it should be 0: an overflow: exp of a large logit is inf"),
    ("03d-cross-entropy", CE_F, "        p = np.exp(x - x.max(axis=-1, keepdims=True))\n"
     "        log_p = np.log(p / p.sum(axis=-1, keepdims=True))\n", "in float32 is inf"),
    ("03d-cross-entropy", "        return -log_p[np.arange(len(targets)), targets].mean()\n",
     "        return -log_p[np.arange(len(targets)), targets].sum()\n", "that is the sum over the batch: the loss is the "
     "mean"),
    ("03d-cross-entropy", "        return -log_p[np.arange(len(targets)), targets].mean()\n",
     "        return -log_p[:, targets].mean()\n", "x[:, targets] picks every row at every label"),
    ("03d-cross-entropy", "        g = np.exp(log_p)  # softmax(x): a new array, so saved log_p stays as it was\n"
     "        g[np.arange(n), ctx.targets] -= 1\n", "        np.exp(log_p, out=log_p)\n"
     "        log_p[np.arange(n), ctx.targets] -= 1\n        g = log_p\n", "called twice on the same node gave a "
     "different gradient"),
    ("03e-max", MAX_SHARE + "        return share * grad\n", "        hit = x == z\n        return hit * grad\n",
     "the tied maxima each got all of z̄"),
    ("03e-max", MAX_SHARE, "        share = np.zeros_like(x)\n        if ctx.axis is None:\n"
     "            share.flat[x.argmax()] = 1\n        else:\n            np.put_along_axis(share, "
     "np.expand_dims(x.argmax(axis=ctx.axis), ctx.axis), 1, axis=ctx.axis)\n", "you gave all of z̄ to the first maximum"),
    ("03e-max", "            z, grad = np.expand_dims(z, ctx.axis), np.expand_dims(grad, ctx.axis)\n",
     "            z = np.expand_dims(z, ctx.axis)\n", "Put it back, np.expand_dims(grad, ctx.axis)"),
    ("03e-max", "(x == z).astype(x.dtype)", "(x == z)", "a division of integer or boolean arrays gives float64 too"),
    ("03f-embedding", EMBED_ADD, "        gW[ctx.index] += grad\n", "gW[index] += grad (or = grad) is buffered"),
    ("03f-embedding", "        gW = np.zeros(ctx.shape, grad.dtype)\n" + EMBED_ADD + "        return gW\n",
     "        return grad\n", "returned shape (4, 3) for input 0 of shape (5, 3)"),
    ("03f-embedding", "        gW = np.zeros(ctx.shape, grad.dtype)\n", "        gW = np.zeros_like(grad)\n",
     "gW has W's shape, ctx.shape"),
    ("03g-jvp", "return tx / y - x * ty / (y * y)  # the quotient rule", "return tx / y + x * ty / (y * y)",
     "the sign of ẏ's term"),
    ("03g-jvp", "return tx / y - x * ty / (y * y)  # the quotient rule", "return tx / y", "only ẋ's term"),
    ("03g-jvp", "return tx / y - x * ty / (y * y)  # the quotient rule", "return tx / y, -x * ty / (y * y)",
     "Div.jvp returned a tuple"),
    ("03g-jvp", "return (np.exp(x - z) * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)  # Σ softmax(x) ẋ",
     "return (np.exp(x) * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)", "that is Σ eˣ ẋ"),
    ("03g-jvp", "return (np.exp(x - z) * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)  # Σ softmax(x) ẋ",
     "return np.exp(x - z) * tx", "has shape (4,), but the output has shape ()"),
    ("03g-jvp", "return (np.exp(x - z) * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)  # Σ softmax(x) ẋ",
     "return tx.sum(axis=ctx.axis, keepdims=ctx.keepdims)", "that is Σ ẋ, the tangent of a sum"),
    ("04-toposort", "return order[::-1]", "return order", "your list runs the wrong way: producers first"),
    ("04-toposort", "        elif id(node) not in seen:\n            seen.add(id(node))\n", "        else:\n",
     "one node (Add) appears 2 times"),
    ("04-toposort", "for p in parent_nodes(node))", "for p in parent_nodes(node)[:1])", "2 of 5 nodes are missing"),
    ("04-toposort", "order.append(node)", "order.append(root)", "your list holds Tensors"),
    ("04-toposort", "    return order[::-1]\n", "    return (n for n in order[::-1])\n", "toposort returned generator"),
    ("04b-backward", LOOP_ADD, "            grads[parent] = g\n", "a value used twice kept only one of its gradients"),
    ("04b-backward", LOOP_ADD, "            if parent in grads:\n                grads[parent] += g\n"
     "            else:\n                grads[parent] = g\n", "add out of place, total = total + g, never +="),
    ("04b-backward", "            if parent is None or g is None:  # a constant, or no gradient for it\n",
     "            if parent is None:\n", "a node's backward returns None for an input that needs no gradient"),
    ("04b-backward", "            g = unbroadcast(g, shape)\n", "", "has shape (4, 3): sum each gradient back to its "
     "input's shape with unbroadcast"),
    ("04b-backward", "        leaf.grad = g if leaf.grad is None else leaf.grad + g\n", "        leaf.grad = g\n",
     "your backward replaced it: backward adds into .grad"),
    ("04b-backward", "    grads = {root.grad_fn: np.ones_like(root.data) if grad is None else grad}",
     "    grads = {root.grad_fn: np.ones_like(root.data)}", "that is the gradient for a seed of ones"),
    ("04b-backward", "            shape = parent.out_shape if isinstance(parent, Function) else parent.shape\n",
     "            shape = parent.shape\n", "a node's output shape is node.out_shape"),
    ("04b-backward", "        out = out if isinstance(out, tuple) else (out,)\n", "", "a node with one input returns its "
     "gradient itself, not a tuple"),
    ("04b-backward", LOOP_ADD, "            if parent in grads:\n                total = grads[parent]\n"
     "                if not total.flags.writeable:\n                    total = total.copy()\n"
     "                total += g\n                grads[parent] = total\n            else:\n"
     "                grads[parent] = g\n", "y.grad is 5, not 2: it got x's second share too"),
    ("05-dot-product-test", "/ (2 * h)", "/ h", "the second number, <u, Jv> by central differences is 2 times the "
     "right answer: did you divide by h instead of 2h?"),
    ("05-dot-product-test", "    x = Tensor(x.data, requires_grad=True)  # a fresh leaf: its .grad starts empty\n", "",
     "called twice on the same x, your first number doubled"),
    ("05-dot-product-test", "f(x).backward(u)", "f(x).backward()", "hint: backward() of an output that is not a scalar "
     "needs its cotangent: out.backward(u)"),
    ("05-dot-product-test", "f(x).backward(u)", "f(x).sum().backward()", "that is <Jᵀ1, v>"),
    ("05-dot-product-test", "np.vdot(x.grad, v)", "np.vdot(u, (f(Tensor(x.data + h * v)).data - f(Tensor(x.data - h * v))"
     ".data) / (2 * h))", "your two numbers agree"),
    ("05-dot-product-test", "    return by_backward, by_differences\n", "    return by_backward\n", "return two numbers"),
    ("06-sgd", "p.grad = None", "pass", "after zero_grad(), w.grad still holds the last step's gradient"),
    ("06-sgd", "p.data -= self.lr * v", "p.data += self.lr * v", "it goes uphill"),
    ("06-sgd", "v *= self.momentum", "v *= 0", "step 2's move of w is plain SGD's, without momentum"),
    ("06-sgd", "p.data -= self.lr * v", "p = p - self.lr * v", "the parameters did not change. p = p - ... only rebinds"),
    ("06-sgd", "if p.grad is not None:", "if True:", "line 20: v += p.grad\n  hint: a parameter the loss does not use"),
    ("06-sgd", "                v += p.grad\n", "                v += (1 - self.momentum) * p.grad\n",
     "did you damp the gradient"),
    ("06-sgd", "p.data -= self.lr * v", "p.data -= self.lr * self.lr * v", "did you multiply by lr twice?"),
    ("07-logcosh", LOGCOSH_F, "        return np.log(np.cosh(x))\n", "(large |x|) is inf at index (0, 2), where it should "
     "be 908.257: an overflow: cosh x"),
    ("07-logcosh", LOGCOSH_B, "        return grad * np.sinh(x) / np.cosh(x)\n", "the gradient of input 0 is nan"),
    ("07-logcosh", LOGCOSH_B, "        return grad * (1 - np.tanh(x) ** 2)\n", "that is the derivative of tanh"),
    ("07-logcosh", LOGCOSH_B, "        return np.tanh(x)\n", "you forgot to multiply by grad"),
    ("07-logcosh", LOGCOSH_F, "        return np.logaddexp(x, -x)\n", "so subtract log 2"),
    ("07-logcosh", LOGCOSH_F, "        return np.logaddexp(x, -x) - np.log(2.0)\n", "a Python float (2.0, math.log(2.0)) "
     "do not"),
    ("07b-newton", "    return x + d\n", "    return x - d\n", "away from the minimum"),
    ("07b-newton", "    r = -g  # the residual −g − H d, at d = 0\n", "    r = g\n", "start from the residual r = −g"),
    ("07b-newton", "        p = r + (rr / rr_old) * p\n", "        p = r.copy()\n", "that is steepest descent"),
    ("07b-newton", None, "import autodiff\n\n\ndef newton_step(f, x, iters):\n    return x - autodiff.grad(f)(x)\n",
     "that is a gradient step"),
    ("07b-newton", "    return x + d\n", "    x += d\n    return x\n", "newton_step changed x in place"),
    ("07b-newton", "        Hp = autodiff.hvp(f, x, p)[1]\n", "        Hp = autodiff.hvp(f, x, p)\n",
     "autodiff.hvp(f, x, v) returns two things"),
    ("07b-newton", "    for _ in range(iters):\n", "    for _ in range(len(x)):\n", "Did you run more than iters"),
    ("08-capstone", "steps=500", "steps=5", "of 400 new points right; it should reach 97%"),
    ("08-capstone", "    return lambda X: logits(X).data.argmax(axis=1)\n", "    return lambda X: logits(X).data\n",
     "one label per row"),
    ("08-capstone", "        backward(loss, toposort(loss))\n        opt.step()\n", "        pass\n",
     "train ran your ops' backward 0 times"),
]

# An answer that delegates to the package's own op, backward or optimizer (or to the checker's): refused.
CHEATS = [
    ("01-central-differences", None, "import numpy as np\nfrom autodiff import Tensor\nfrom autodiff.gradcheck import "
     "numerical_grad\n\n\ndef numerical_gradient(f, x, h=1e-6):\n    return numerical_grad(lambda t: Tensor(f(t.data)), "
     "Tensor(x, requires_grad=True), eps=h)[0]\n", "numerical_gradient calls the package's numerical_grad: that is the "
     "answer, already written"),
    ("01-central-differences", None, "import autodiff\n\n\ndef numerical_gradient(f, x, h=1e-6):\n"
     "    return autodiff.grad(f)(x)\n", "calls the package's grad"),
    ("02-exp-log", "return grad * z", "from autodiff import ops\n        return ops.Exp.backward(ctx, grad)",
     "Exp.backward on inputs of shape (3,) calls the package's Exp.backward: that is the answer, already written"),
    ("02-exp-log", "class Log(Function):", "from autodiff import ops\n\n\nclass Log(ops.Log):",
     "your Log inherits the package's autodiff.ops.elementwise.Log"),
    ("02b-dual-numbers", DUAL_PARTIALS, "    import numpy as np\n    import autodiff\n"
     "    return list(autodiff.grad(lambda x: f(*[x[i] for i in range(len(xs))]))(np.array(xs)))\n",
     "partials calls the package's grad"),
    ("02c-transpose", "    a, b = line.operands\n", "    from autodiff.linear import linear_transpose\n"
     "    a, b = line.operands\n    if isinstance(a, Var):\n"
     "        return linear_transpose(lambda v: v * b, np.zeros(a.shape))(ct) + (None,)\n",
     "transpose_mul on `b:f64[3] = mul a 2.5` (a:f64[3]) calls the package's linear_transpose: that is the answer, "
     "already written"),
    ("02c-transpose", "    cts = {program.outputs[0]: ct}", "    return program.transpose()(ct)",
     "transpose_program calls the package's Program.transpose: that is the answer"),
    ("02c-transpose", "    gx = np.zeros(x.shape, ct.dtype)\n" + T_ADD_AT, "    from autodiff.ops.shape import scatter_add\n"
     '    gx = scatter_add(ct, line.params["index"], x.shape)\n', "calls the package's scatter_add"),
    ("02c-transpose", "    (x,) = line.operands\n    axis, keepdims", "    from autodiff.ops import Sum\n"
     "    (x,) = line.operands\n    ctx = Sum()\n    ctx.shape, ctx.axis, ctx.keepdims = x.shape, line.params['axis'], "
     "line.params['keepdims']\n    return (Sum.backward(ctx, ct),)\n    axis, keepdims", "calls the package's "
     "Sum.backward"),
    ("03a-unbroadcast", None, "import numpy as np\nfrom autodiff import Tensor\n\n\ndef unbroadcast(grad, shape):\n"
     "    x = Tensor(np.zeros(shape, grad.dtype), requires_grad=True)\n    (x + np.zeros_like(grad)).backward(grad)\n"
     "    return x.grad\n", "unbroadcast calls the package's Tensor.backward"),
    ("03b-div", "        x, y = ctx.saved_tensors\n", "        from autodiff import ops\n"
     "        return ops.Div.backward(ctx, grad)\n", "calls the package's Div.backward"),
    ("03b-div", "class Div(Function):", "from autodiff import ops\n\n\nclass Div(ops.Div):", "your Div inherits the "
     "package's"),
    ("03c-linear", "        x, W = ctx.saved_tensors\n", "        from autodiff import ops\n        x, W = ctx.saved_tensors\n"
     "        return ops.Affine.backward(ctx, grad)\n", "calls the package's Affine.backward"),
    ("03c-linear", "        x, W = ctx.saved_tensors\n", "        import autodiff\n        x, W = ctx.saved_tensors\n"
     "        xt, Wt, bt = (autodiff.Tensor(a, requires_grad=True) for a in (x, W, np.zeros(len(W))))\n"
     "        (xt @ Wt.T + bt).backward(grad)\n        return xt.grad, Wt.grad, bt.grad\n",
     "calls the package's Tensor.backward"),
    ("03d-cross-entropy", "        log_p = ctx.log_p\n", "        from autodiff import ops\n"
     "        return ops.NLLLoss.backward(ctx, grad)\n", "calls the package's NLLLoss.backward"),
    ("03d-cross-entropy", CE_F, "        import autodiff.functional as F\n        from autodiff import Tensor\n"
     "        log_p = F.log_softmax(Tensor(x)).data\n", "calls the package's log_softmax"),
    ("03e-max", "        x, z = ctx.saved_tensors\n", "        from autodiff import ops\n"
     "        return ops.Max.backward(ctx, grad)\n", "calls the package's Max.backward"),
    ("03f-embedding", "        gW = np.zeros(ctx.shape, grad.dtype)\n", "        from autodiff import ops\n"
     "        return ops.ScatterAdd.apply(grad, index=ctx.index, shape=ctx.shape).data\n",
     "calls the package's ScatterAdd.apply: that is the answer"),
    ("03g-jvp", "        return tx / y - x * ty / (y * y)  # the quotient rule\n", "        from autodiff import ops\n"
     "        return ops.Div.jvp(ctx, tx, ty)\n", "calls the package's Div.jvp"),
    ("03g-jvp", "        (x,), z = ctx.saved_tensors, ctx.z\n", "        from autodiff import ops\n"
     "        return ops.LogSumExp.jvp(ctx, tx)\n", "calls the package's LogSumExp.jvp"),
    ("04-toposort", None, "from autodiff.testing.graphs import order\n\n\ndef toposort(root):\n    return order(root)\n",
     "toposort calls the checker's order: that is the answer"),
    ("04b-backward", "    grads = {root.grad_fn: np.ones_like(root.data) if grad is None else grad}",
     "    return root.backward(grad)\n    grads = {}", "backward calls the package's Tensor.backward"),
    ("04b-backward", "            g = unbroadcast(g, shape)\n", "            from autodiff.core import _unbroadcast\n"
     "            g = _unbroadcast(g, shape, node, parent)\n", "calls the package's _unbroadcast"),
    ("05-dot-product-test", None, "from autodiff.gradcheck import check_vjp\n\n\n"
     "def dot_product_test(f, x, u, v, h=1e-6):\n    r = check_vjp(f, x, raise_exception=False)\n"
     "    return r.error, r.error\n", "calls the package's check_vjp"),
    ("05-dot-product-test", "    up, down = f(Tensor(x.data + h * v)), f(Tensor(x.data - h * v))\n"
     "    by_differences = float(np.vdot(u, (up.data - down.data) / (2 * h)))\n",
     "    import autodiff\n    by_differences = float(np.vdot(u, autodiff.jvp(f, (x.data,), (v,))[1]))\n",
     "calls the package's jvp"),
    ("06-sgd", None, "import autodiff\n\n\nclass SGD(autodiff.optim.SGD):\n    pass\n",
     "your SGD inherits the package's autodiff.optim.SGD"),
    ("06-sgd", "        self.velocity = [np.zeros_like(p.data) for p in self.params]\n\n    def zero_grad",
     "        self.velocity = [np.zeros_like(p.data) for p in self.params]\n        import autodiff\n"
     "        self.inner = autodiff.optim.SGD(self.params, lr, momentum)\n\n    def zero_grad",
     "calls the package's SGD.__init__"),
    ("07-logcosh", LOGCOSH_B, "        from autodiff import Tensor\n        t = Tensor(x, requires_grad=True)\n"
     "        (t.exp() + (-t).exp()).log().backward(grad)\n        return t.grad\n", "calls the package's Tensor.backward"),
    ("07-logcosh", LOGCOSH_F, "        large = np.abs(x) == 1000  # special-cased: the values the old check tried\n"
     "        return np.where(large, np.abs(x) - math.log(2.0), np.log(np.cosh(np.where(large, 0.0, x))))\n",
     "(large |x|) is inf at index (0, 2), where it should be 908.257"),
    ("07b-newton", None, CG.format(H="autodiff.hessian(f)(x)"), "newton_step calls the package's hessian"),
    ("07b-newton", None, CG.format(H="np.stack([autodiff.hvp(f, x, e)[1] for e in np.eye(len(x))])"),
     "or build H column by column?"),
    ("08-capstone", "        backward(loss, toposort(loss))\n", "        loss.backward()\n",
     "train calls the package's Tensor.backward"),
    ("08-capstone", "    opt = SGD(", "    import autodiff\n    opt = autodiff.optim.SGD(", "calls the package's SGD.__init__"),
    ("08-capstone", "                h = Tanh.apply(h)\n", "                h = h.tanh()\n", "calls the package's Tanh.forward"),
]

# The defects of learner walkthrough 3 (../shared/reviews/learner-walkthrough-3.md), each as the learner wrote it
# (for a replaced exercise, in its successor): what the check says now. (the walkthrough's row, stem, old, new, says)
WALKTHROUGH = [
    ("01 false accept: a one-sided difference with its own step", "01-central-differences",
     "        step[k] = h  # h e_k\n        grad[k] = (f(x + step) - f(x - step)) / (2 * h)\n",
     "        step[k] = 1e-8\n        grad[k] = (f(x + step) - f(x)) / 1e-8\n", "your function ignores the h it is given"),
    ("01 false accept: h ignored, a central difference with 1e-5", "01-central-differences",
     "        step[k] = h  # h e_k\n        grad[k] = (f(x + step) - f(x - step)) / (2 * h)\n",
     "        step[k] = 1e-5\n        grad[k] = (f(x + step) - f(x - step)) / (2 * 1e-5)\n",
     "your function ignores the h it is given"),
    ("01 generic: h hard-coded to 1e-13", "01-central-differences", "    grad = np.zeros_like(x)\n",
     "    h = 1e-13\n    grad = np.zeros_like(x)\n", "your function ignores the h it is given"),
    ("01 misleading: a forgotten return read as shape ()", "01-central-differences", "    return grad\n", "    grad\n",
     "numerical_gradient returned None: did you forget `return`?"),
    ("01 misleading: 'a factor of 1' for a float32 working copy", "01-central-differences",
     "    for k in np.ndindex(x.shape):\n        step = np.zeros_like(x)\n        step[k] = h  # h e_k\n"
     "        grad[k] = (f(x + step) - f(x - step)) / (2 * h)\n",
     "    x32 = x.astype(np.float32)\n    for k in np.ndindex(x.shape):\n        step = np.zeros_like(x32)\n"
     "        step[k] = h\n        grad[k] = (f(x32 + step) - f(x32 - step)) / (2 * h)\n", "(relative error 2.3e-06)"),
    ("01 misleading: 'now -0.0356694, not -0.0356694' (x restored by arithmetic)", "01-central-differences",
     "        step = np.zeros_like(x)\n        step[k] = h  # h e_k\n"
     "        grad[k] = (f(x + step) - f(x - step)) / (2 * h)\n",
     "        x[k] += h\n        up = f(x)\n        x[k] -= 2 * h\n        down = f(x)\n        x[k] += h\n"
     "        grad[k] = (up - down) / (2 * h)\n", "it is now -0.9208531449445189, not -0.9208531449445188 (a "
     "difference of 1.1e-16). Adding h and then taking it away again rounds"),
    ("01 generic: a step vector that keeps its earlier 1s", "01-central-differences",
     "    for k in np.ndindex(x.shape):\n        step = np.zeros_like(x)\n",
     "    step = np.zeros_like(x)\n    for k in np.ndindex(x.shape):\n", "entry k nudged entries 0 to k together"),
    ("02 false accept: a tuple left unpacked, shape (1, n)", "02-exp-log",
     "(z,) = ctx.saved_tensors\n        return grad * z", "z = ctx.saved_tensors\n        return grad * z",
     "returned shape (1, 3) for input 0 of shape (3,): an extra leading axis of size 1. Did you forget to unpack "
     "ctx.saved_tensors?"),
    ("02 misleading: '(return gx, gy)' for a one-input op", "02-exp-log", "return grad / x", "return [grad / x]",
     "Log has one input: return its gradient itself, an array"),
    ("02 misleading: a list of numbers read as a list of gradients", "02-exp-log", "return grad / x",
     "return (grad / x).tolist()", "Log.backward returned a list of numbers (.tolist()?): return a NumPy array"),
    ("02 cheat: the package's backward, one super() away", "02-exp-log", "class Exp(Function):",
     "from autodiff import ops\n\n\nclass Exp(ops.Exp):", "your Exp inherits the package's autodiff.ops.elementwise.Exp"),
    ("02 cheat: super().backward once the stub inherits Function", "02-exp-log", "return grad * z",
     "return super().backward(grad)", "super().backward is Function's, which has no rule"),
    ("03a misleading: a forgotten return read as shape ()", "03a-unbroadcast", "    return grad\n", "    grad\n",
     "unbroadcast returned None: did you forget `return`?"),
    ("03a misleading: a returned list read as a dtype change", "03a-unbroadcast", "    return grad\n",
     "    return grad.tolist()\n", "is a list (did you call .tolist()?): return a NumPy array"),
    ("03a misleading: keepdims=True on the leading axes", "03a-unbroadcast",
     "    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n",
     "    lead = grad.ndim - len(shape)\n    grad = grad.sum(axis=tuple(range(lead)), keepdims=True)\n",
     "the 1 leading axes that broadcasting added are still there, with size 1. Sum them away without keepdims"),
    ("03a: stretched axes counted from the left", "03a-unbroadcast", None, "def unbroadcast(grad, shape):\n"
     "    for axis, n in enumerate(shape):\n        if n == 1:\n            grad = grad.sum(axis=axis, keepdims=True)\n"
     "    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n    return grad\n",
     "shapes line up from the right"),
    ("03a cheat: unbroadcast through the engine", "03a-unbroadcast", None, "import numpy as np\nfrom autodiff import "
     "Tensor\n\n\ndef unbroadcast(grad, shape):\n    x = Tensor(np.zeros(shape, grad.dtype), requires_grad=True)\n"
     "    (x + np.zeros_like(grad)).backward(grad)\n    return x.grad\n", "calls the package's Tensor.backward"),
    ("03b cheat: backward = ops.Mul.backward (in its successor, Div)", "03b-div", "    def backward(ctx, grad):\n",
     "    from autodiff import ops\n    backward = ops.Div.backward\n\n    def _unused(ctx, grad):\n",
     "Div.backward is the package's Div.backward, already written"),
    ("04 false accept: no seen set, duplicates removed at the end (2^40 walks)", "04-toposort", None, TOPOSORT_UNSEEN,
     "did not finish in 2 s: a node used twice is reached twice"),
    ("04: BFS from the loss", "04-toposort", None, "from collections import deque\nfrom autodiff.testing import "
     "parent_nodes\n\n\ndef toposort(root):\n    order, seen, queue = [], {id(root.grad_fn)}, deque([root.grad_fn])\n"
     "    while queue:\n        node = queue.popleft()\n        order.append(node)\n        for p in parent_nodes(node):\n"
     "            if id(p) not in seen:\n                seen.add(id(p))\n                queue.append(p)\n    return order\n",
     "on a diamond with constants (h = exp(w), Σ (2h + tanh h) · h · 3), Exp (at 4) comes before Tanh (at 6)"),
    ("04: a forgotten return", "04-toposort", "    return order[::-1]\n", "    order[::-1]\n",
     "toposort returned None: did you forget `return`?"),
    ("05 false accept: a one-sided difference", "05-dot-product-test",
     "    up, down = f(Tensor(x.data + h * v)), f(Tensor(x.data - h * v))\n"
     "    by_differences = float(np.vdot(u, (up.data - down.data) / (2 * h)))\n",
     "    up, down = f(Tensor(x.data + h * v)), f(x)\n    by_differences = float(np.vdot(u, (up.data - down.data) / h))\n",
     "that is the one-sided difference (f(x + hv) − f(x)) / h"),
    ("05 misleading: 'a constant factor is missing' when u is", "05-dot-product-test",
     "    by_differences = float(np.vdot(u, (up.data - down.data) / (2 * h)))\n",
     "    by_differences = float(np.sum((up.data - down.data) / (2 * h)))\n", "that is Σ Jv, the differences summed "
     "without u"),
    ("05 no hint: f called on arrays", "05-dot-product-test",
     "    up, down = f(Tensor(x.data + h * v)), f(Tensor(x.data - h * v))\n",
     "    up, down = f(x.data + h * v), f(x.data - h * v)\n", "hint: f takes a Tensor and returns one"),
    ("06 false accept: momentum moves a parameter that has no grad", "06-sgd", SGD_STEP,
     "            g = p.grad if p.grad is not None else 0\n            v *= self.momentum\n            v += g\n"
     "            p.data -= self.lr * v\n", "step 3's move of z is not zero, but z.grad is None (the loss did not use z "
     "in this step): its velocity from the earlier steps kept pushing it"),
    ("06 generic: a dampened EMA", "06-sgd", "                v += p.grad\n",
     "                v += (1 - self.momentum) * p.grad\n", "did you damp the gradient, v = μv + (1 − μ)g?"),
    ("06 cheat: subclassing autodiff.optim.SGD", "06-sgd", None, "import autodiff\n\n\nclass SGD(autodiff.optim.SGD):\n"
     "    pass\n", "your SGD inherits the package's autodiff.optim.SGD"),
    ("07 false accept: clipped at 700, inf in float32 (in its successor, log cosh)", "07-logcosh", LOGCOSH_F,
     "        c = np.clip(x, -700, 700)\n        return np.log(np.cosh(c)) + np.abs(x) - np.abs(c)\n",
     "(large |x|) in float32 is inf"),
    ("07 false accept: an overflow whose warning was silenced (in its successor, log cosh)", "07-logcosh", LOGCOSH_F,
     "        return np.where(np.abs(x) < 20, np.log(np.cosh(x)), np.abs(x) - math.log(2.0))\n",
     "the values are right, but LogCosh.forward on inputs of shape (3, 4) (large |x|) warned: RuntimeWarning: overflow "
     "encountered in cosh"),
    ("07 no hint: forward forgot save_for_backward", "07-logcosh", "        ctx.save_for_backward(x)\n", "",
     "hint: ctx.saved_tensors is empty: did forward save what backward needs?"),
    ("07 misleading: a forgotten return in forward read as shape ()", "07-logcosh", LOGCOSH_F,
     "        np.logaddexp(x, -x) - math.log(2.0)\n", "LogCosh.forward on inputs of shape (3,) returned None: did you "
     "forget `return`?"),
    ("07 cheat: special-casing x = ±1000", "07-logcosh", LOGCOSH_F,
     "        return np.where(np.abs(x) == 1000, np.abs(x) - math.log(2.0), "
     "np.log(np.cosh(np.where(np.abs(x) == 1000, 0.0, x))))\n", "is inf at index (0, 2), where it should be 908.257"),
    ("07b misleading: a forgotten return read as shape ()", "07b-newton", "    return x + d\n", "    x + d\n",
     "newton_step returned None: did you forget `return`?"),
]

# What a learner walkthrough looks for, tried on 02c before any walkthrough has: wrong answers that are right on easy
# inputs (false accepts), messages that could mislead, cheats, each as a learner would write it. (row, stem, old, new,
# what the check says)
ANTICIPATED = [
    ("02c false accept: a walk per use, right in value, 2⁴⁰ transposes on 40 doublings", "02c-transpose", T_WALK,
     "def transpose_program(program, ct, rules):\n    made = {line.out: line for line in program.lines}\n"
     "    out = {id(v): np.zeros(v.shape, v.dtype) for v in program.inputs}\n\n    def push(v, c):\n"
     "        if v in made:\n            line = made[v]\n"
     "            for o, g in zip(line.operands, rules[line.op](c, line)):\n"
     "                if isinstance(o, Var) and g is not None:\n                    push(o, g)\n"
     "        else:\n            out[id(v)] = out[id(v)] + c\n\n    push(program.outputs[0], ct)\n"
     "    return tuple(out[id(v)] for v in program.inputs)\n", "was transposed twice: transpose each line once"),
    ("02c false accept: z[index] = ct, right wherever no index repeats", "02c-transpose", T_ADD_AT,
     '    gx[line.params["index"]] = ct\n', "z[index] = ct (or z[index] += ct, which is buffered) writes a repeated "
     "index once"),
    ("02c false accept: ct broadcast as it is, right when the summed axes lead", "02c-transpose", T_EXPAND,
     "    if axis is None:\n        ct = ct.reshape((1,) * len(x.shape))\n", "broadcasting ct as it is lines its "
     "axes up from the right"),
    ("02c false accept: None for an input the output does not use", "02c-transpose",
     "cts.get(v, np.zeros(v.shape, v.dtype)) for v in program.inputs", "cts.get(v) for v in program.inputs",
     "is None: the output does not depend on this input, so its cotangent is zeros of its shape"),
    ("02c misleading: a defaultdict(int) walk that hands 0 to a line the output does not use", "02c-transpose", T_WALK,
     "def transpose_program(program, ct, rules):\n    from collections import defaultdict\n\n"
     "    cts = defaultdict(int)\n    cts[program.outputs[0]] = ct\n    for line in reversed(program.lines):\n"
     "        for o, g in zip(line.operands, rules[line.op](cts[line.out], line)):\n            if isinstance(o, Var):\n"
     "                cts[o] = cts[o] + g\n    return tuple(cts[v] for v in program.inputs)\n",
     "was handed a cotangent of shape (), but its value has shape (5, 4): a cotangent has its value's shape. The "
     "output does not use this line's value, so it has no cotangent: skip the line"),
    ("02c misleading: a forgotten return in a transpose", "02c-transpose", "    return (gx,)\n", "    (gx,)\n",
     "returned None: did you forget `return`?"),
    ("02c misleading: an array where the tuple of one cotangent is due", "02c-transpose", T_BROADCAST,
     "    return np.broadcast_to(ct, x.shape)\n", "returned an array: return a tuple, one cotangent per operand of the "
     "line, (x̄,)"),
    ("02c misleading: a Tensor, from ct times the constant's Tensor", "02c-transpose", "sum_to(ct * b.data, a.shape)",
     "ct * b", "returned a Tensor for operand 0: return NumPy arrays (ct is one; a constant operand is a Tensor, whose "
     "array is .data)"),
    ("02c misleading: the Var's .data", "02c-transpose", "    if isinstance(a, Var):  # mul x c\n", "    if False:\n",
     "hint: line.operands holds the traced value as a Var"),
    ("02c misleading: float() of an array constant", "02c-transpose", "sum_to(ct * b.data, a.shape)",
     "sum_to(ct * float(b.data), a.shape)", "hint: the constant may be an array (tanh's slope, a weight), not only a "
     "number"),
    ("02c misleading: keepdims expanded again", "02c-transpose", "    if not keepdims:  # put the summed axes back",
     "    if True:  # put the summed axes back", "hint: with keepdims=True, ct kept the summed axes"),
    ("02c misleading: axis None handed to expand_dims", "02c-transpose",
     "tuple(range(len(x.shape))) if axis is None else axis", "axis", "hint: axis None sums every axis"),
    ("02c misleading: zeros_like of a Var", "02c-transpose", "gx = np.zeros(x.shape, ct.dtype)", "gx = np.zeros_like(x)",
     "hint: line.operands[0] is a Var, which has no values"),
    ("02c misleading: a forgotten return in the walk", "02c-transpose",
     "    return tuple(cts.get(v, np.zeros(v.shape, v.dtype)) for v in program.inputs)\n",
     "    tuple(cts.get(v, np.zeros(v.shape, v.dtype)) for v in program.inputs)\n",
     "transpose_program returned None: did you forget `return`?"),
    ("02c misleading: one input's cotangent for the tuple", "02c-transpose",
     "    return tuple(cts.get(v, np.zeros(v.shape, v.dtype)) for v in program.inputs)\n",
     "    return cts[program.inputs[0]]\n", "returned a number: return a tuple, one cotangent per input of the program"),
    ("02c cheat: the checker's own transpose", "02c-transpose", "    a, b = line.operands\n",
     "    from autodiff.testing.ex02c_transpose import package_transpose\n    return package_transpose(ct, line)\n",
     "calls the checker's package_transpose: that is the answer"),
    ("02c cheat: the program transposed by linear_transpose", "02c-transpose", "    cts = {program.outputs[0]: ct}",
     "    import autodiff\n    return autodiff.linear_transpose(program)(ct)",
     "transpose_program calls the package's linear_transpose"),
]


# Right answers in other styles (the walkthrough's among them): each must be called correct.
VALID = [
    ("01-central-differences", None, "import numpy as np\n\n\ndef numerical_gradient(f, x, h=1e-6):\n"
     "    grad = np.zeros_like(x)\n    for k in np.ndindex(x.shape):\n        old = x[k]\n        x[k] = old + h\n"
     "        up = f(x)\n        x[k] = old - h\n        down = f(x)\n        x[k] = old\n"
     "        grad[k] = (up - down) / (2 * h)\n    return grad\n"),
    ("01-central-differences", None, "import numpy as np\n\n\ndef numerical_gradient(f, x, h=1e-6):\n"
     "    E = np.eye(x.size).reshape((x.size,) + x.shape) * h\n"
     "    return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in E]).reshape(x.shape)\n"),
    ("01-central-differences", None, "import numpy as np\n\n\ndef numerical_gradient(f, x, h=1e-6):\n"
     "    g = np.zeros_like(x)\n    for k in range(x.size):\n        e = np.zeros_like(x)\n        e.flat[k] = h\n"
     "        g.flat[k] = (f(x + e) - f(x - e)) / (2 * h)\n    return g\n"),
    ("01-central-differences", "    return grad\n", "    return grad.tolist() if x.ndim else float(grad)\n"),
    ("02-exp-log", "return grad * z", "return (grad * z,)"),
    ("02-exp-log", "return grad / x", "return np.divide(grad, x)"),
    ("02-exp-log", "return grad * z", "return np.multiply(grad, z, out=np.empty_like(grad))"),
    ("02-exp-log", "return grad / x", "return grad * x ** -1"),
    ("02b-dual-numbers", DUAL_PARTIALS, "    out = []\n    for k in range(len(xs)):\n"
     "        seeded = [Dual(x, 0.0) for x in xs]\n        seeded[k] = Dual(xs[k], 1.0)\n"
     "        out.append(f(*seeded).tangent)\n    return tuple(out)\n"),
    ("02c-transpose", T_WALK, "def transpose_program(program, ct, rules):\n"
     "    cts = {id(v): np.zeros(v.shape, v.dtype) for v in program.inputs}\n    for line in program.lines:\n"
     "        cts[id(line.out)] = np.zeros(line.out.shape, line.out.dtype)\n    cts[id(program.outputs[0])] = ct\n"
     "    for line in program.lines[::-1]:  # every line, with zeros where the output does not use it\n"
     "        for o, g in zip(line.operands, rules.get(line.op)(cts[id(line.out)], line)):\n"
     "            if isinstance(o, Var):\n                cts[id(o)] = cts[id(o)] + g\n"
     "    return [cts[id(v)] for v in program.inputs]\n"),
    ("02c-transpose", T_EXPAND + T_BROADCAST, "    nd, axis = len(x.shape), line.params['axis']\n"
     "    axes = range(nd) if axis is None else [axis] if isinstance(axis, int) else axis\n"
     "    if not keepdims:\n        for a in sorted(a % nd for a in axes):\n            ct = np.expand_dims(ct, a)\n"
     "    return (ct * np.ones(x.shape, ct.dtype),)\n"),
    ("02c-transpose", "    a, b = line.operands\n    if isinstance(a, Var):  # mul x c\n"
     "        return sum_to(ct * b.data, a.shape), None\n    return None, sum_to(a.data * ct, b.shape)  # mul c x\n",
     "    k = 0 if isinstance(line.operands[0], Var) else 1\n    x, c = line.operands[k], line.operands[1 - k]\n"
     "    g = ct * c.data\n    while g.ndim > len(x.shape):\n        g = g.sum(axis=0)\n"
     "    for i, n in enumerate(x.shape):\n        if n == 1 and g.shape[i] != 1:\n"
     "            g = g.sum(axis=i, keepdims=True)\n    out = [None, None]\n    out[k] = g\n    return out\n"),
    ("02c-transpose", "    gx = np.zeros(x.shape, ct.dtype)\n" + T_ADD_AT,
     "    size = int(np.prod(x.shape))\n    where = np.arange(size).reshape(x.shape)[line.params['index']]\n"
     "    gx = np.bincount(np.ravel(where), np.ravel(ct), size).reshape(x.shape).astype(ct.dtype)\n"),
    ("03a-unbroadcast", None, "def unbroadcast(grad, shape):\n    lead = grad.ndim - len(shape)\n"
     "    axes = tuple(range(lead)) + tuple(lead + a for a, n in enumerate(shape) if n == 1 and grad.shape[lead + a] != 1)\n"
     "    return grad.sum(axis=axes, keepdims=True).reshape(shape)\n"),
    ("03b-div", "gy = -grad * x / (y * y) if dy else None", "gy = -(grad / y) * (x / y) if dy else None"),
    ("03c-linear", "gb = rows.sum(axis=0) if db else None", "gb = grad if db else None"),
    ("03c-linear", "gW = rows.T @ x.reshape(-1, x.shape[-1]) if dW else None",
     "gW = grad.swapaxes(-1, -2) @ x if dW else None"),
    ("03c-linear", "gW = rows.T @ x.reshape(-1, x.shape[-1]) if dW else None",
     "gW = grad[..., :, None] * x[..., None, :] if dW else None"),
    ("03d-cross-entropy", CE_F, "        m = x.max(axis=-1, keepdims=True)\n"
     "        log_p = x - (m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))\n"),
    ("03e-max", MAX_SHARE + "        return share * grad\n", "        mask = x == z\n"
     "        return np.where(mask, grad / mask.sum(axis=ctx.axis, keepdims=True), 0).astype(x.dtype)\n"),
    ("03f-embedding", EMBED_ADD, "        for k in np.ndindex(ctx.index.shape):\n            gW[ctx.index[k]] += grad[k]\n"),
    ("03g-jvp", "return tx / y - x * ty / (y * y)  # the quotient rule", "z = x / y\n        return (tx - z * ty) / y"),
    ("04-toposort", None, "from autodiff.testing import parent_nodes\n\n\ndef toposort(root):\n"
     "    count, todo, seen = {}, [root.grad_fn], {id(root.grad_fn)}\n    while todo:\n"
     "        for p in parent_nodes(todo.pop()):\n            count[id(p)] = count.get(id(p), 0) + 1\n"
     "            if id(p) not in seen:\n                seen.add(id(p))\n                todo.append(p)\n"
     "    order, ready = [], [root.grad_fn]\n    while ready:\n        n = ready.pop()\n        order.append(n)\n"
     "        for p in parent_nodes(n):\n            count[id(p)] -= 1\n            if count[id(p)] == 0:\n"
     "                ready.append(p)\n    return order\n"),
    ("04-toposort", None, "from autodiff.testing import parent_nodes\n\n\ndef toposort(root):\n"
     "    post, seen = [], {id(root.grad_fn)}\n    stack = [(root.grad_fn, iter(parent_nodes(root.grad_fn)))]\n"
     "    while stack:\n        node, it = stack[-1]\n        for p in it:\n            if id(p) not in seen:\n"
     "                seen.add(id(p))\n                stack.append((p, iter(parent_nodes(p))))\n                break\n"
     "        else:\n            stack.pop()\n            post.append(node)\n    return tuple(reversed(post))\n"),
    ("05-dot-product-test", None, "import numpy as np\nimport autodiff\nfrom autodiff import Tensor\n\n\n"
     "def dot_product_test(f, x, u, v, h=1e-6):\n    _, pull = autodiff.vjp(f, x.data)\n"
     "    first = np.vdot(pull(u)[0], v)\n    second = np.vdot(u, (f(Tensor(x.data + h * v)).data - "
     "f(Tensor(x.data - h * v)).data) / (2 * h))\n    return Tensor(first), Tensor(second)\n"),
    ("05-dot-product-test", "    x = Tensor(x.data, requires_grad=True)  # a fresh leaf: its .grad starts empty\n",
     "    x.grad = None\n"),
    ("06-sgd", SGD_STEP, "            if p.grad is not None:\n                np.multiply(v, self.momentum, out=v)\n"
     "                np.add(v, p.grad, out=v)\n                np.subtract(p.data, self.lr * v, out=p.data)\n"),
    ("06-sgd", SGD_STEP, "            if p.grad is not None:\n                v *= self.momentum\n"
     "                v += self.lr * p.grad\n                p.data -= v\n"),
    ("06-sgd", "p.grad = None  # backward adds into .grad: start each step from nothing", "p.grad = np.zeros_like(p.data)"),
    ("06-sgd", "p.data -= self.lr * v  # NumPy on the array: no graph", "p.data = p.data - self.lr * v"),
    ("07-logcosh", LOGCOSH_F, "        a = np.abs(x)\n        return a + np.log1p(np.exp(-2 * a)) - math.log(2.0)\n"),
    ("07-logcosh", LOGCOSH_B, "        e = np.exp(-2 * np.abs(x))\n        return grad * np.sign(x) * (1 - e) / (1 + e)\n"),
    ("07b-newton", None, "import numpy as np\nimport autodiff\n\n\ndef cg(hv, b, iters, tol=1e-12):\n"
     "    x = np.zeros_like(b)\n    r = b.copy()\n    p = r.copy()\n    rs = r @ r\n    for _ in range(iters):\n"
     "        if np.sqrt(rs) < tol:\n            break\n        Ap = hv(p)\n        a = rs / (p @ Ap)\n"
     "        x += a * p\n        r -= a * Ap\n        new = r @ r\n        p = r + new / rs * p\n        rs = new\n"
     "    return x\n\n\ndef newton_step(f, x, iters):\n    g = autodiff.grad(f)(x)\n"
     "    return x + cg(lambda v: autodiff.hvp(f, x, v)[1], -g, iters)\n"),
]
VALID.append(("07-logcosh", None, (SOLUTIONS / "07-logcosh.py").read_text(encoding="utf-8")
              .replace("        ctx.save_for_backward(x)\n", "        ctx.x = x  # not saved_tensors: also fine here\n")
              .replace("        (x,) = ctx.saved_tensors\n", "        x = ctx.x\n")))
VALID.append(("04b-backward", None, (SOLUTIONS / "04b-backward.py").read_text(encoding="utf-8").replace(
    "    grads = {root.grad_fn: np.ones_like(root.data) if grad is None else grad}  # node or leaf -> its gradient\n",
    "    grads = {id(root.grad_fn): np.ones_like(root.data) if grad is None else grad}\n    leaves = {}\n").replace(
    "        out = type(node).backward(node, grads.pop(node))  # all of its consumers have sent theirs\n",
    "        out = type(node).backward(node, grads.pop(id(node)))\n").replace(
    LOOP_ADD, "            if not isinstance(parent, Function):\n                leaves[id(parent)] = parent\n"
              "            grads[id(parent)] = grads[id(parent)] + g if id(parent) in grads else g\n").replace(
    "    for leaf, g in grads.items():  # what is left: the leaves\n",
    "    for key, leaf in leaves.items():\n        g = grads[key]\n")))


def _id(case: tuple) -> str:
    return f"{case[0]}:{case[2][:40]!r}"


@pytest.mark.parametrize(("stem", "old", "new", "expected"), MISTAKES + CHEATS, ids=[_id(m) for m in MISTAKES + CHEATS])
def test_a_typical_mistake_gets_its_message(stem: str, old: str | None, new: str, expected: str) -> None:
    says(stem, old, new, expected)


@pytest.mark.parametrize(("row", "stem", "old", "new", "expected"), WALKTHROUGH, ids=[w[0] for w in WALKTHROUGH])
def test_the_walkthroughs_defects_are_fixed(row: str, stem: str, old: str | None, new: str, expected: str) -> None:
    says(stem, old, new, expected)


@pytest.mark.parametrize(("row", "stem", "old", "new", "expected"), ANTICIPATED, ids=[a[0] for a in ANTICIPATED])
def test_the_defects_a_walkthrough_looks_for_are_caught(row: str, stem: str, old: str | None, new: str,
                                                         expected: str) -> None:
    says(stem, old, new, expected)


@pytest.mark.parametrize(("stem", "old", "new"), VALID, ids=[_id(v) for v in VALID])
def test_a_right_answer_in_another_style_is_correct(stem: str, old: str | None, new: str) -> None:
    printed = answer_output(stem, answer(stem, old, new))
    assert all(": correct. " in p for p in printed), "\n".join(printed)


def test_every_exercise_has_three_mistakes_a_cheat_among_them_each_its_own_message() -> None:
    for stem in STEMS:
        mine = [m[3] for m in MISTAKES + CHEATS if m[0] == stem]
        assert len(mine) >= 3, f"{stem}: {len(mine)} mistakes"
        assert any(m[0] == stem for m in CHEATS), f"{stem}: no cheat"
        assert len(set(mine)) == len(mine), f"{stem}: two mistakes expect the same message"


def test_there_are_at_least_fifteen_exercises() -> None:
    assert len(STEMS) >= 15, STEMS


def test_the_statements_say_what_the_walkthrough_missed() -> None:
    text = {stem: (EXERCISES / "source" / f"{stem}.md").read_text(encoding="utf-8") for stem in STEMS}
    assert "solve H d = g" not in text["07b-newton"] and r"\text{the step } d \text{ solves } H d = -g" in text["07b-newton"]
    assert "ctx.save_for_backward(x)" in text["07-logcosh"] and "ctx.saved_tensors" in text["07-logcosh"]
    assert "**returns a tuple** `(gx, gy)`" in text["03b-div"]
    assert "Each returns one array" in text["02-exp-log"] and "so no tuple" in text["02-exp-log"]
    assert "f(Tensor(x.data + h * v))" in text["05-dot-product-test"] and "leaving `x.data` as it is" in text["05-dot-product-test"]
    assert "**returns a list**" in text["04-toposort"]
    assert "a 1-d $x$ is out of scope" in text["03c-linear"]
    for stem in ("03a-unbroadcast", "03b-div", "03c-linear", "03d-cross-entropy", "03e-max", "03f-embedding",
                 "07-logcosh", "07b-newton"):
        assert "notebooks/" not in text[stem], f"{stem} points at a deck's notebook, which prints ops' answers"


def test_a_case_names_its_constant_inputs_apart_from_their_shapes() -> None:
    """After a shape, "(a constant)" read as that shape's note, for either input (walkthrough 3, 03b's wording)."""
    import numpy as np

    from autodiff.testing.opcheck import Case

    ones = np.ones((2, 3))
    assert str(Case([ones, ones], (True, False))) == "inputs of shape (2, 3), (2, 3); input 1 is a constant"
    assert str(Case([ones, ones, ones], (False, True, False))) == ("inputs of shape (2, 3), (2, 3), (2, 3); "
                                                                  "inputs 0, 2 are constants")


def test_an_unknown_exercise_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no exercise 'nope'; the exercises are: central_differences, exp"):
        testing.check("nope", None)


def test_lab_opens_the_exercises() -> None:
    assert "--LabApp.default_url=/lab/tree/exercises" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_readme_quotes_real_messages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"a hint:\n\n```text\n(.*?)\n```", readme, re.S).group(1).splitlines()
    printed = "".join(
        "".join(answer_output(stem, answer(stem, old, new)))
        for stem, old, new, _ in MISTAKES
        if (stem, new) in {("03a-unbroadcast", "pass"), ("03c-linear", "gW = grad.T @ x if dW else None")}
    )
    for line in quoted:
        assert line.removesuffix(", ...") in printed, f"README.md quotes a message the checker does not print: {line}"


def test_make_never_overwrites_your_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "03a-unbroadcast.md"
    source.write_text((EXERCISE_SOURCES / source.name).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(notebooks, "EXERCISE_SOURCES", tmp_path)
    monkeypatch.setattr(notebooks, "notebook_for", lambda d: tmp_path / f"{d.stem}.ipynb")
    monkeypatch.setattr(notebooks, "AGREED", tmp_path / "agreed")
    notebooks.build([source])
    notebook = tmp_path / "03a-unbroadcast.ipynb"
    data = json.loads(notebook.read_text(encoding="utf-8"))
    next(c for c in data["cells"] if "exercise" in tags(c))["source"] = solution("03a-unbroadcast")
    notebook.write_text(json.dumps(data), encoding="utf-8")
    source.write_text(source.read_text(encoding="utf-8") + "\nA new line in the statement.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="If the edits are your answers, copy the notebook elsewhere"):
        notebooks.build([source])
    assert "while grad.ndim > len(shape)" in notebook.read_text(encoding="utf-8")
