"""The decks and their notebooks as committed: snippets equal the package, notebooks equal
their decks, no fence becomes a cell magic, front matter and speaker notes follow the conventions.

Nothing here regenerates files in the tree: stale files fail, and the message says what to run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import notebooks  # noqa: E402
import snippets  # noqa: E402
from deck import NOTEBOOKS, ROOT, decks, fences, front_matter, image_refs, is_note, slides  # noqa: E402

DECKS = decks()
FRONT_MATTER = {
    "marp": "true", "theme": "autodiff", "paginate": "true", "size": "16:9", "class": "invert",
    "backgroundImage": "linear-gradient(to top, #202228, #171717)",
}


def by_deck(paths: list[Path]):
    return pytest.mark.parametrize("deck", paths, ids=lambda d: d.stem)


def test_there_are_decks() -> None:
    assert DECKS and DECKS[0].name == "00-intro.md"


@by_deck(DECKS)
def test_snippets_equal_package_source(deck: Path) -> None:
    found = snippets.problems(deck)
    assert not found, "\n\n".join(found)


def test_notebooks_are_paired_with_decks_and_current() -> None:
    found = notebooks.problems()
    assert not found, "\n".join(found)


@by_deck(DECKS)
def test_no_fence_becomes_a_cell_magic(deck: Path) -> None:
    notebooks.expected_outputs(deck, deck.read_text(encoding="utf-8"))  # raises naming the line
    notebook = NOTEBOOKS / f"{deck.stem}.ipynb"
    if notebook.exists():
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]).lstrip()
            assert not (cell["cell_type"] == "code" and source.startswith(("%%", "!"))), (
                f"{notebook.name}: a code cell starts with a magic: {source[:60]!r}"
            )


@by_deck(DECKS)
def test_front_matter_follows_the_convention(deck: Path) -> None:
    text = deck.read_text(encoding="utf-8")
    head = text.split("\n---\n", 1)[0]
    assert "\t" not in head, f"{deck.name}: a TAB in the front matter (YAML forbids it; jupytext crashes)"
    meta = front_matter(text)
    wrong = {k: meta.get(k) for k, v in FRONT_MATTER.items() if meta.get(k) != v}
    assert not wrong, f"{deck.name}: front matter {wrong}, expected {FRONT_MATTER}"
    assert meta.get("title"), f"{deck.name}: front matter has no title"
    assert "jupyter" not in meta, f"{deck.name}: a jupyter: block in the front matter (jupytext --set-formats?)"


def slides_without_notes(deck: Path) -> list[str]:
    return [f"slide {s.number} ({s.title!r}, line {s.line})" for s in slides(deck) if s.shows_something and not s.notes]


@by_deck(DECKS)
def test_every_content_slide_has_speaker_notes(deck: Path) -> None:
    missing = slides_without_notes(deck)
    assert not missing, f"{deck.name}: no speaker note (an HTML comment in full sentences) on " + ", ".join(missing)


@by_deck(DECKS)
def test_images_exist(deck: Path) -> None:
    text = deck.read_text(encoding="utf-8")
    refs = image_refs(text)
    missing = [r for r in refs if "://" not in r and not (deck.parent / r).exists()]
    assert not missing, f"{deck.name}: images not found: {missing} (paths are relative to slides/)"
    remote = [r for r in refs if "://" in r]
    assert not remote, f"{deck.name}: images from the network fail offline: {remote}"


# The checkers themselves must reject what they exist to reject -----------------------------


def write_deck(tmp_path: Path, body: str) -> Path:
    deck = tmp_path / "slides" / "09-demo.md"
    deck.parent.mkdir()
    deck.write_text("---\nmarp: true\n---\n\n" + body, encoding="utf-8")
    return deck


def test_snippet_drift_is_reported_with_deck_line_and_diff(tmp_path: Path) -> None:
    real = snippets.source_of("autodiff.ops.elementwise:Mul")
    edited = real.replace("return x * y", "return x + y")
    deck = write_deck(tmp_path, f'## Mul\n\n```python snippet="autodiff.ops.elementwise:Mul"\n{edited}\n```\n')
    (found,) = snippets.problems(deck)
    assert "09-demo.md:7" in found and "-        return x + y" in found and "+        return x * y" in found
    snippets.rewrite(deck)
    assert snippets.problems(deck) == []


def test_snippet_naming_nothing_is_reported(tmp_path: Path) -> None:
    deck = write_deck(tmp_path, '```python snippet="autodiff.ops.elementwise:Nope"\npass\n```\n')
    (found,) = snippets.problems(deck)
    assert "09-demo.md:5" in found and "Nope" in found


@pytest.mark.parametrize("lang", ["bash", "sh", "js", "html"])
def test_fence_that_would_be_a_magic_is_rejected(tmp_path: Path, lang: str) -> None:
    deck = write_deck(tmp_path, f"```{lang}\npip install autodiff\n```\n")
    with pytest.raises(ValueError, match=rf"09-demo.md:5: a ```{lang} fence becomes a %%{lang} cell"):
        notebooks.expected_outputs(deck, deck.read_text())


def test_capitalised_python_fence_is_rejected(tmp_path: Path) -> None:
    deck = write_deck(tmp_path, "```Python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="09-demo.md:5: write ```python"):
        notebooks.expected_outputs(deck, deck.read_text())


def test_a_tilde_fence_is_rejected(tmp_path: Path) -> None:
    """Marp and jupytext read ~~~ as a fence; the deck parser reads ``` only, so such code would go unchecked."""
    deck = write_deck(tmp_path, "~~~python\nx = 1\n~~~\n")
    with pytest.raises(ValueError, match="09-demo.md:5: a ~~~ fence"):
        fences(deck)


def test_quoted_output_needs_its_text_fence(tmp_path: Path) -> None:
    deck = write_deck(tmp_path, '```python tags=["nbval-check-output"]\nprint(1)\n```\n\nSome words.\n')
    with pytest.raises(ValueError, match="09-demo.md:5: a cell tagged nbval-check-output must be followed"):
        notebooks.expected_outputs(deck, deck.read_text())


def test_quoted_output_becomes_the_expected_stdout(tmp_path: Path) -> None:
    deck = write_deck(tmp_path, '```python tags=["nbval-check-output"]\nprint(6 * 7)\n```\n```text\n42\n```\n')
    nb = json.loads(notebooks.render(deck))
    (cell,) = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert cell["outputs"][0]["text"] == ["42\n"] and cell["execution_count"] == 1


def test_editing_a_slide_without_make_fails_the_pairing(tmp_path: Path) -> None:
    deck = write_deck(tmp_path, "## A slide\n\n```python\nx = 1\n```\n\n<!-- Say hello. -->\n")
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    first = notebooks.render(deck)
    (nbs / "09-demo.ipynb").write_text(first)
    assert notebooks.problems(deck.parent, nbs) == []
    deck.write_text(deck.read_text().replace("x = 1", "x = 2"))
    (found,) = notebooks.problems(deck.parent, nbs)
    assert "is stale" in found and "run `make`" in found and "x = 2" in found
    second = json.loads(notebooks.render(deck, first))
    assert [c["id"] for c in second["cells"]] == [c["id"] for c in json.loads(first)["cells"]]


def test_orphans_on_either_side_fail_the_pairing(tmp_path: Path) -> None:
    deck = write_deck(tmp_path, "## A slide\n")
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "08-gone.ipynb").write_text("{}")
    found = "\n".join(notebooks.problems(deck.parent, nbs))
    assert "08-gone.ipynb has no deck" in found and "09-demo.md has no notebook" in found


def test_speaker_note_detection(tmp_path: Path) -> None:
    assert not is_note("\nheader: Backward\n_footer: ''\n")
    assert is_note("\nNow we walk the graph backwards, from the loss to every leaf.\n")
    deck = write_deck(tmp_path, (
        "<!-- _paginate: false -->\n\n# Title\n\n<!-- Welcome. -->\n\n---\n\n<!-- header: Two -->\n\n"
        "## Two\n\n```python\nx = 1\n---\n```\n\n---\n\n## Three\n\n<!-- Three, said aloud. -->\n"
    ))
    assert slides_without_notes(deck) == ["slide 2 ('Two', line 12)"]


def test_a_build_never_overwrites_an_edit_made_in_the_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = tmp_path / "99-pair.md"
    deck.write_text((ROOT / "slides" / "00-intro.md").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(notebooks, "notebook_for", lambda d: tmp_path / f"{d.stem}.ipynb")
    monkeypatch.setattr(notebooks, "AGREED", tmp_path / "agreed")
    notebooks.build([deck])
    notebook = tmp_path / "99-pair.ipynb"
    data = json.loads(notebook.read_text(encoding="utf-8"))

    code = next(c for c in data["cells"] if c["cell_type"] == "code")  # a learner ran a cell: not an edit
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ran in Jupyter\n"}]
    notebook.write_text(json.dumps(data), encoding="utf-8")
    deck.write_text(deck.read_text(encoding="utf-8") + "\nA new line on the slide\n", encoding="utf-8")
    notebooks.build([deck])
    assert "A new line on the slide" in notebook.read_text(encoding="utf-8")

    data = json.loads(notebook.read_text(encoding="utf-8"))
    text = next(c for c in data["cells"] if c["cell_type"] == "markdown")
    text["source"] = "".join(text["source"]) + "\nA note written in Jupyter"
    notebook.write_text(json.dumps(data), encoding="utf-8")
    deck.write_text(deck.read_text(encoding="utf-8") + "\nAnother line\n", encoding="utf-8")
    with pytest.raises(ValueError, match="was edited since it was last built.*make sync"):
        notebooks.build([deck])
    assert "A note written in Jupyter" in notebook.read_text(encoding="utf-8")
