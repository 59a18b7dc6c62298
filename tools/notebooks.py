"""Slides -> notebooks, in one fixed direction; and back, only on request, never losing an edit.

    python tools/notebooks.py build [DECK...]  write notebooks/NN-name.ipynb from slides/NN-name.md
    python tools/notebooks.py check            exit 1 when a committed notebook is stale
    python tools/notebooks.py sync             bring notebook edits back into their decks

A notebook is its deck converted by jupytext, with no outputs except one: a cell tagged
`nbval-check-output` gets, as its expected stdout, the ```text fence that follows it on the
slide, so nbval proves every output a slide quotes. Cell ids are kept from the previous
notebook (matched by content, then by position), so diffs stay small.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.config import load_jupytext_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deck import (  # noqa: E402
    EXERCISE_SOURCES, INERT, NOTEBOOKS, ROOT, RUNNABLE, SLIDES, decks, fences, notebook_for, show,
)

CHECK_TAG = "nbval-check-output"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
AGREED = ROOT / "build" / "agreed"  # hashes of each pair when they last agreed (for `sync`)


def expected_outputs(deck: Path, text: str) -> list[str | None]:
    """Per ```python fence: the stdout the slide quotes (tagged cells) or None.

    Raises ValueError, naming deck and line, for a fence jupytext would make a %%magic cell,
    or a tagged cell not followed immediately by its ```text fence.
    """
    blocks = fences(deck, text)
    lines = text.split("\n")
    quoted: list[str | None] = []
    for k, fence in enumerate(blocks):
        if fence.lang not in RUNNABLE:
            if fence.lang.lower() in RUNNABLE:
                raise ValueError(f"{fence.where}: write ```{fence.lang.lower()}: jupytext makes a cell "
                                 f"only from the lower-case name, so this code would never run")
            if fence.lang.lower() not in INERT:
                raise ValueError(
                    f"{fence.where}: a ```{fence.lang} fence becomes a %%{fence.lang} cell that "
                    "nbval would run; use ```text or ```console for code that must not run"
                )
            continue
        if CHECK_TAG not in fence.attrs.get("tags", []):
            quoted.append(None)
            continue
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        gap = lines[fence.body_end + 1 : after.line - 1] if after else []
        if after is None or after.lang != "text" or any(s.strip() for s in gap):
            raise ValueError(
                f"{fence.where}: a cell tagged {CHECK_TAG} must be followed immediately by a "
                "```text fence holding exactly what it prints"
            )
        quoted.append(after.body + "\n")
    return quoted


def _cell_id(deck: Path, index: int, source: str, taken: set[str]) -> str:
    digest = hashlib.sha1(f"{deck.stem}:{index}:{source}".encode()).hexdigest()
    n = 8
    while digest[:n] in taken:
        n += 1
    return digest[:n]


def _keep_ids(deck: Path, cells: list, old: list) -> None:
    """Give each new cell the id of the old cell it continues (same content, or edited in place)."""
    key = [(c.cell_type, c.source) for c in cells]
    old_key = [(c.cell_type, c.source) for c in old]
    ids: list[str | None] = [None] * len(cells)
    matcher = difflib.SequenceMatcher(None, old_key, key, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for i, j in zip(range(i1, i2), range(j1, j2)):
                ids[j] = old[i].get("id")
    used: set[str] = set()
    for j, cell in enumerate(cells):
        if not ids[j] or ids[j] in used:
            ids[j] = _cell_id(deck, j, cell.source, used | {i for i in ids if i})
        used.add(ids[j])
        cell["id"] = ids[j]


def render(deck: Path, old_text: str | None = None) -> str:
    """The notebook text for a deck; `old_text` is the current notebook, for its cell ids."""
    text = deck.read_text(encoding="utf-8")
    quoted = expected_outputs(deck, text)
    nb = jupytext.reads(text, fmt="md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if len(code) != len(quoted):
        raise ValueError(f"{show(deck)}: jupytext made {len(code)} code cells from {len(quoted)} ```python fences")
    count = 0
    for cell, stdout in zip(code, quoted):
        cell.outputs, cell.execution_count = [], None
        if stdout is not None:
            count += 1
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stdout)]
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    nb.nbformat, nb.nbformat_minor = 4, 5
    old = nbformat.reads(old_text, as_version=4).cells if old_text else []
    _keep_ids(deck, nb.cells, old)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _cells(text: str) -> list[tuple[str, str]]:
    """What an edit changes in a notebook: each cell's type and source (not outputs, ids, metadata)."""
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(text)["cells"]]


def _committed(path: Path) -> bytes | None:
    """The file as the last commit has it (None when it is not committed)."""
    if not path.is_relative_to(ROOT):
        return None
    shown = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT)}"], cwd=ROOT, capture_output=True)
    return None if shown.returncode else shown.stdout


def _agree(deck: Path, notebook: Path) -> None:
    AGREED.mkdir(parents=True, exist_ok=True)
    state = {"deck": _sha(deck), "notebook": _sha(notebook), "cells": _cells(notebook.read_text(encoding="utf-8"))}
    (AGREED / f"{deck.stem}.json").write_text(json.dumps(state) + "\n")


def _edited(deck: Path, notebook: Path, have: str, want: str) -> bool:
    """Would writing `want` lose an edit made in the notebook? Only if its cells are in neither
    the last build (or sync) nor the last commit: those can always be had back."""
    cells = _cells(have)
    if cells == _cells(want):
        return False
    stamp = AGREED / f"{deck.stem}.json"
    if stamp.exists() and [tuple(c) for c in json.loads(stamp.read_text()).get("cells", [])] == cells:
        return False
    committed = _committed(notebook)
    return committed is None or _cells(committed.decode("utf-8")) != cells


def build(paths: list[Path]) -> None:
    for deck in paths:
        notebook = notebook_for(deck)
        old = notebook.read_text(encoding="utf-8") if notebook.exists() else None
        new = render(deck, old)
        if old is not None and new != old and _edited(deck, notebook, old, new):
            keep = (f"If the edits are your answers, copy the notebook elsewhere, then `git checkout {show(notebook)}`."
                    if deck.parent == EXERCISE_SOURCES else
                    f"Run `make sync` to bring the edit into the slides, or `git checkout {show(notebook)}` to drop it.")
            raise ValueError(f"{show(notebook)} was edited since it was last built from {show(deck)}: "
                             f"not overwriting it. {keep}")
        if new != old:
            notebook.parent.mkdir(parents=True, exist_ok=True)
            notebook.write_text(new, encoding="utf-8")
            print(f"wrote {show(notebook)}")
        else:
            notebook.touch()  # up to date for make
        _agree(deck, notebook)


def problems(slides: Path = SLIDES, notebooks: Path = NOTEBOOKS) -> list[str]:
    """Every pairing defect: a deck without notebook, a notebook without deck, a stale notebook."""
    found = []
    paired = {d.stem for d in decks(slides)}
    for extra in sorted(notebooks.glob("*.ipynb")):
        if extra.stem not in paired:
            found.append(f"{show(extra)} has no deck {show(slides / extra.stem)}.md (delete it or add the deck)")
    for deck in decks(slides):
        notebook = notebook_for(deck, notebooks)
        if not notebook.exists():
            found.append(f"{show(deck)} has no notebook {show(notebook)}: run `make`")
            continue
        have = notebook.read_text(encoding="utf-8")
        try:
            want = render(deck, have)
        except ValueError as err:
            found.append(str(err))
            continue
        if want != have:
            found.append(f"{show(notebook)} is stale: it differs from {show(deck)}: run `make` "
                         f"(and commit the notebook)\n{_first_difference(have, want)}")
    return found


def _first_difference(have: str, want: str) -> str:
    """The first cell where the committed notebook and the deck part, as a short diff."""
    old, new = json.loads(have)["cells"], json.loads(want)["cells"]

    def as_lines(cell: dict | None) -> list[str]:
        return [] if cell is None else [f"[{cell['cell_type']}]", *"".join(cell["source"]).split("\n")]

    for i in range(max(len(old), len(new))):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        if a != b:
            diff = list(difflib.unified_diff(as_lines(a), as_lines(b), "notebook", "deck", lineterm="", n=1))
            return f"  first differing cell #{i}:\n    " + "\n    ".join(diff[:24] or ["(outputs or metadata)"])
    return "  (notebook metadata differs)"


def _baseline(deck: Path, notebook: Path) -> dict[str, str | None] | None:
    """Hashes of the pair when they last agreed: the last build/sync, else the last commit."""
    stamp = AGREED / f"{deck.stem}.json"
    if stamp.exists():
        return json.loads(stamp.read_text())
    state = {}
    for key, path in (("deck", deck), ("notebook", notebook)):
        committed = _committed(path)
        if committed is None:
            return None
        state[key] = hashlib.sha256(committed).hexdigest()
    return state


def sync() -> int:
    """Bring each notebook edit back into its deck; refuse when both sides changed."""
    config = load_jupytext_config(str(ROOT))
    refused = 0
    for deck in decks():
        notebook = notebook_for(deck)
        if not notebook.exists():
            build([deck])
            continue
        have = notebook.read_text(encoding="utf-8")
        if render(deck, have) == have:
            _agree(deck, notebook)
            continue
        md = jupytext.writes(nbformat.reads(have, as_version=4), fmt="md", config=config)
        base = _baseline(deck, notebook)
        deck_changed = base is None or _sha(deck) != base["deck"]
        notebook_changed = base is None or _sha(notebook) != base["notebook"]
        if md == deck.read_text(encoding="utf-8") or not notebook_changed:
            build([deck])  # same cells (or only the slides changed): the slides win
        elif not deck_changed:
            deck.write_text(md, encoding="utf-8")
            print(f"wrote {show(deck)} from {show(notebook)}")
            build([deck])
        else:
            refused += 1
            print(f"refusing to sync {show(deck)} and {show(notebook)}: both changed since they last "
                  f"agreed. Keep one side (e.g. `git checkout {show(notebook)}` or copy your edits into "
                  "the slide), then run `make sync` again.", file=sys.stderr)
    return 1 if refused else 0


def main(argv: list[str]) -> int:
    command, args = (argv[0] if argv else "build"), [Path(a).resolve() for a in argv[1:]]
    try:
        if command == "build":
            build(args or decks())
        elif command == "check":
            found = problems()
            print("\n".join(found) or "every notebook matches its deck")
            return 1 if found else 0
        elif command == "sync":
            return sync()
        else:
            raise SystemExit(f"unknown command {command!r}: use build, check or sync")
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
