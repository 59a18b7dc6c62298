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


# A typical mistake, made in the solution's text: what the check must say (a part of its message).
MISTAKES = [
    ("01-central-differences", "/ (2 * h)", "/ h", "2 times the right answer everywhere: did you divide by h instead of 2h?"),
    ("01-central-differences", "(f(x + step) - f(x - step)) / (2 * h)", "(f(x + step) - f(x)) / h",
     "that is the one-sided difference"),
    ("01-central-differences", "(f(x + step) - f(x - step))", "(f(x - step) - f(x + step))", "has the wrong sign"),
    ("01-central-differences", "step[k] = h", "step[...] = h", "nudge one entry at a time"),
    ("01-central-differences", "np.ndindex(x.shape)", "range(len(x))", "x[k] is a row of a 2-d x"),
    ("02-exp-log", "return grad * z", "return z", "exp: Exp.backward on inputs of shape (3,): the gradient of input 0 "
     "is wrong: you forgot to multiply by grad"),
    ("02-exp-log", "return grad * z", "return 2 * grad * z", "is 2 times the right answer everywhere"),
    ("02-exp-log", "return grad * z", "grad *= z\n        return grad", "changed its argument grad in place"),
    ("02-exp-log", "return grad / x", "return grad * x", "log: Log.backward on inputs of shape (3,): the gradient of "
     "input 0 is wrong: you multiplied grad by x; d log(x)/dx = 1/x"),
    ("02-exp-log", "return grad / x", "return -grad / x", "log: Log.backward on inputs of shape (3,): the gradient of "
     "input 0 has the wrong sign"),
    ("03a-unbroadcast", "grad = grad.sum(axis=axis, keepdims=True)", "pass",
     "unbroadcast(grad of shape (2, 3), (1,)) returned shape (3,): did you sum over the broadcast axis?"),
    ("03a-unbroadcast", "grad.sum(axis=axis, keepdims=True)", "grad.sum(axis=axis)",
     "the right numbers in the wrong shape. Keep the stretched axes (keepdims=True)"),
    ("03a-unbroadcast", "grad = grad.sum(axis=0)", "grad = grad.mean(axis=0)", "0.25 times the right answer everywhere: "
     "did you average?"),
    ("03a-unbroadcast", "while grad.ndim > len(shape):", "while False:", "nothing was summed"),
    ("03b-mul", "grad * y if dx else None, grad * x if dy", "grad * x if dx else None, grad * y if dy",
     "multiply grad by y, not x (are the two gradients swapped?)"),
    ("03b-mul", "grad * y if dx else None, grad * x if dy else None", "grad * y, grad * x",
     "returned a gradient for input 1, a constant (ctx.needs_input_grad is (True, False)): return None there"),
    ("03b-mul", "grad * y if dx else None, grad * x if dy else None", "y if dx else None, x if dy else None",
     "you forgot to multiply by grad"),
    ("03c-matmul", "grad @ y.swapaxes(-1, -2)", "grad @ y", "did you forget the transpose?"),
    ("03c-matmul", "x.swapaxes(-1, -2) @ grad", "x.T @ grad", "in your code, line 13: gy = x.T @ grad if dy else None\n"
     "  hint: `.T` reverses every axis"),
    ("03c-matmul", "x.swapaxes(-1, -2) @ grad", "grad.swapaxes(-1, -2) @ x",
     "the gradient of input 1 is the transpose of the right answer: did you forget the transpose"),
    ("03d-softmax", "(grad * p).sum(axis=ctx.axis", "grad.sum(axis=ctx.axis", "it is Σ z̄ p, the sum weighted by p"),
    ("03d-softmax", "(grad * p).sum(axis=ctx.axis, keepdims=True)", "(grad * p).sum(axis=-1, keepdims=True)",
     "you summed over the last axis, but this softmax is over axis 0: use ctx.axis"),
    ("03d-softmax", "(grad * p).sum(axis=ctx.axis, keepdims=True)", "(grad * p).sum(axis=ctx.axis)",
     "hint: the shapes do not broadcast: sum(..., keepdims=True) keeps the summed axis"),
    ("03d-softmax", "return p * (grad - inner)", "return grad - inner", "the factor p in front is missing"),
    ("03d-softmax", "        inner = (grad * p).sum(axis=ctx.axis, keepdims=True)  # ⟨z̄, p⟩: one number per row\n"
     "        return p * (grad - inner)",
     "        q, g = np.moveaxis(p, ctx.axis, -1), np.moveaxis(grad, ctx.axis, -1)\n"
     "        J = q[..., :, None] * np.eye(q.shape[-1], dtype=q.dtype) - q[..., :, None] * q[..., None, :]\n"
     "        return np.moveaxis((J @ g[..., None])[..., 0], -1, ctx.axis)",
     "Softmax.backward is right, but for an input of 32 kB it allocated"),
    ("04-toposort", "return order[::-1]", "return order", "your list runs the wrong way: producers first"),
    ("04-toposort", "        elif id(node) not in seen:\n            seen.add(id(node))\n", "        else:\n",
     "one node (Add) appears 2 times"),
    ("04-toposort", "for p in parent_nodes(node))", "for p in parent_nodes(node)[:1])", "2 of 5 nodes are missing"),
    ("04-toposort", "order.append(node)", "order.append(root)", "your list holds Tensors"),
    ("05-dot-product-test", "/ (2 * h)", "/ h", "the second number, <u, Jv> by central differences is 2 times the "
     "right answer everywhere: did you divide by h instead of 2h?"),
    ("05-dot-product-test", "    x = Tensor(x.data, requires_grad=True)  # a fresh leaf: its .grad starts empty\n", "",
     "called twice on the same x, your first number doubled"),
    ("05-dot-product-test", "f(x).backward(u)", "f(x).backward()", "hint: backward() of an output that is not a scalar "
     "needs its cotangent: out.backward(u)"),
    ("05-dot-product-test", "f(x).backward(u)", "f(x).sum().backward()", "that is <Jᵀ1, v>"),
    ("05-dot-product-test", "np.vdot(x.grad, v)", "np.vdot(u, (f(Tensor(x.data + h * v)).data - f(Tensor(x.data - h * v))"
     ".data) / (2 * h))", "your two numbers agree"),
    ("06-sgd", "p.grad = None", "pass", "after zero_grad(), w.grad still holds the last step's gradient"),
    ("06-sgd", "p.data -= self.lr * v", "p.data += self.lr * v", "it goes uphill"),
    ("06-sgd", "v *= self.momentum", "v *= 0", "step 2's move of w is plain SGD's, without momentum"),
    ("06-sgd", "p.data -= self.lr * v", "p = p - self.lr * v", "the parameters did not change. p = p - ... only rebinds"),
    ("06-sgd", "if p.grad is not None:", "if True:", "line 20: v += p.grad\n  hint: a parameter the loss does not use"),
    ("07b-newton", "return x - np.linalg.solve(H, g)", "return x + np.linalg.solve(H, g)", "away from the minimum"),
    ("07b-newton", "return x - np.linalg.solve(H, g)", "return x - H @ g", "you multiplied by H; Newton divides by it"),
    ("07b-newton", "return x - np.linalg.solve(H, g)", "return x - g", "that is a gradient step"),
    ("07b-newton", "return x - np.linalg.solve(H, g)", "x -= np.linalg.solve(H, g)\n    return x",
     "newton_step changed x in place"),
    ("07-softplus", "return np.logaddexp(0.0, x)", "return np.log(1 + np.exp(x))",
     "Softplus.forward at x = -1000, 0, 1000 is inf at index (2,), where it should be 1000: an overflow"),
    ("07-softplus", "np.exp(-np.logaddexp(0.0, -x))", "np.exp(x) / (1 + np.exp(x))",
     "Softplus.backward at x = -1000, 0, 1000 is nan at index (2,)"),
    ("07-softplus", "np.exp(-np.logaddexp(0.0, -x))", "np.exp(-np.logaddexp(0.0, x))", "that is σ(−x) = 1 − σ(x)"),
    ("07-softplus", "return np.logaddexp(0.0, x)", "return np.logaddexp(0.0, x).astype(np.float64)",
     "Softplus.forward returned float64 for float32 inputs"),
]


@pytest.mark.parametrize(("stem", "old", "new", "says"), MISTAKES, ids=[f"{m[0]}:{m[2][:30]}" for m in MISTAKES])
def test_a_typical_mistake_gets_its_message(stem: str, old: str, new: str, says: str) -> None:
    text = solution(stem)
    assert text.count(old) == 1, f"{stem}: the mistake's text {old!r} is not once in the solution"
    printed = answer_output(stem, text.replace(old, new))
    assert any(says in p and ": correct. " not in p for p in printed), "\n".join(printed)


def test_every_exercise_has_two_mistakes() -> None:
    per_check = {}
    for stem, old, *_ in MISTAKES:
        per_check[stem] = per_check.get(stem, 0) + 1
    assert all(per_check.get(stem, 0) >= 2 for stem in STEMS), per_check


def test_an_unknown_exercise_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no exercise 'nope'; the exercises are: central_differences, exp"):
        testing.check("nope", None)


def test_lab_opens_the_exercises() -> None:
    assert "--LabApp.default_url=/lab/tree/exercises" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_readme_quotes_real_messages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"a hint:\n\n```text\n(.*?)\n```", readme, re.S).group(1).splitlines()
    printed = "".join(
        "".join(answer_output(stem, solution(stem).replace(old, new)))
        for stem, old, new, _ in MISTAKES
        if (stem, new) in {("03a-unbroadcast", "pass"), ("03c-matmul", "x.T @ grad")}
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
