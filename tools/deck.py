"""Reading the decks: where they are, and the code fences they hold (with line numbers).

One parser for everything that looks at fences: `make snippets`, the notebook build and
the tests. A fence's info string is `python key="value" ...` (jupytext's cell metadata).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLIDES = ROOT / "slides"
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"  # NN-name.ipynb, built from source/NN-name.md as notebooks/ is from slides/
EXERCISE_SOURCES = EXERCISES / "source"
IMAGES = ROOT / "images"

_OPEN = re.compile(r"^(`{3,})([^`]*)$")
_ATTR = re.compile(r'(\w[\w-]*)=("(?:[^"\\]|\\.)*"|\[[^\]]*\])')
# Fences jupytext would turn into `%%magic` cells (nbval would run them): only these may be code.
RUNNABLE = {"python"}
INERT = {"text", "console", "output", ""}


@dataclass
class Fence:
    """One fenced block: `line` is the 1-based line of its opening ```."""

    deck: Path
    line: int
    lang: str
    attrs: dict[str, object]
    body: str
    body_start: int  # index in the deck's lines of the first body line
    body_end: int  # index of the closing fence

    @property
    def where(self) -> str:
        return f"{show(self.deck)}:{self.line}"


def show(path: Path) -> str:
    """A path as the user knows it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def decks(folder: Path = SLIDES) -> list[Path]:
    """The decks of the talk, in order: slides/NN-name.md; or the exercises' sources (NN-name.md, NNa-name.md)."""
    return sorted(p for p in folder.glob("*.md" if folder == EXERCISE_SOURCES else "[0-9][0-9]-*.md"))


def notebook_for(deck: Path, folder: Path | None = None) -> Path:
    """notebooks/NN-name.ipynb for a deck, exercises/NN-name.ipynb for an exercise's source."""
    if folder is None:
        folder = EXERCISES if deck.parent == EXERCISE_SOURCES else NOTEBOOKS
    return folder / f"{deck.stem}.ipynb"


def parse_attrs(info: str, where: str) -> dict[str, object]:
    """`snippet="a.b:C" tags=["x"]` -> {"snippet": "a.b:C", "tags": ["x"]}."""
    attrs: dict[str, object] = {}
    rest = _ATTR.sub("", info).strip()
    if rest:
        raise ValueError(f"{where}: cannot read fence attributes {rest!r} (write key=\"value\")")
    for key, value in _ATTR.findall(info):
        attrs[key] = json.loads(value)
    return attrs


def fences(deck: Path, text: str | None = None) -> list[Fence]:
    """Every fenced block of a deck, in order. An unclosed fence is an error naming its line."""
    lines = (deck.read_text(encoding="utf-8") if text is None else text).split("\n")
    found, i = [], 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        ticks, info = m.group(1), m.group(2).strip()
        lang, _, rest = info.partition(" ")
        where = f"{show(deck)}:{i + 1}"
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == ticks), None)
        if end is None:
            raise ValueError(f"{where}: the ``` fence opened here is never closed")
        body = "\n".join(lines[i + 1 : end])
        found.append(Fence(deck, i + 1, lang, parse_attrs(rest, where), body, i + 1, end))
        i = end + 1
    return found
