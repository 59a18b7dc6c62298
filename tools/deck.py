"""Reading the decks: where they are, their slides, and the code fences they hold (with line numbers).

One parser for everything that looks at decks: `make snippets`, the notebook build, the talk, its
timing and the tests. A fence's info string is `python key="value" ...` (jupytext's cell metadata).
Slides are split at `---` lines outside fences; a slide's HTML comments are Marp directives or,
when they are not only directives, its speaker note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

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
# Marp's directives: a comment made only of these is a directive, any other comment is a note. The global
# ones act on the whole deck wherever they are written; the local ones on their slide (and those after it).
GLOBAL_DIRECTIVES = {
    "theme", "style", "headingDivider", "size", "math", "title", "author", "description", "image",
    "keywords", "url", "marp", "lang",
}
LOCAL_DIRECTIVES = {
    "paginate", "header", "footer", "class", "backgroundColor", "backgroundImage", "backgroundPosition",
    "backgroundRepeat", "backgroundSize", "color", "transition",
}
DIRECTIVES = GLOBAL_DIRECTIVES | LOCAL_DIRECTIVES
# The token in a slide's local class directive (`<!-- _class: invert notebook-only -->`) that keeps
# the slide in its deck and notebook but out of the presented talk.
NOTEBOOK_ONLY = "notebook-only"
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)
_IMAGE_REFS = (re.compile(r"(!\[[^\]]*\]\()([^)\s]+)"), re.compile(r'(<img[^>]+src=")([^"]+)'))


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
            if lines[i].lstrip().startswith("~~~"):  # live for Marp and jupytext, so it would go unchecked here
                raise ValueError(f"{show(deck)}:{i + 1}: a ~~~ fence; write code in ``` fences, which the checks read")
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


def front_matter_lines(text: str, deck: Path | None = None) -> list[str]:
    """The lines between a deck's opening `---` and the next; an error names the deck."""
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not m:
        raise ValueError(f"{show(deck) + ':1: ' if deck else ''}a deck starts with a --- front matter --- block")
    return m.group(1).split("\n")


def front_matter(text: str, deck: Path | None = None) -> dict[str, str]:
    """`key: value` lines as Marp reads them (loosely: `16:9` and `#202228` stay text, quotes stay)."""
    return dict(re.findall(r"^(\w+):[ \t]*(.*?)\s*$", "\n".join(front_matter_lines(text, deck)), re.M))


def directives(comment: str) -> dict[str, object] | None:
    """The directives a comment sets, or None when it is a speaker note (not only directives)."""
    try:
        parsed = yaml.safe_load(comment)
    except yaml.YAMLError:
        return None
    if isinstance(parsed, dict) and all(str(k).lstrip("_") in DIRECTIVES for k in parsed):
        return {str(k): v for k, v in parsed.items()}
    return None


def is_note(comment: str) -> bool:
    return directives(comment) is None


def image_refs(text: str) -> list[str]:
    """Every image a deck shows: `![...](path)` (backgrounds too) and `<img src="path">`."""
    return [m.group(2) for pattern in _IMAGE_REFS for m in pattern.finditer(text)]


def map_image_refs(text: str, change: Callable[[str], str]) -> str:
    """The text with each image path replaced by `change(path)`."""
    for pattern in _IMAGE_REFS:
        text = pattern.sub(lambda m: m.group(1) + change(m.group(2)), text)
    return text


@dataclass
class Slide:
    """One slide of a deck: `number` counts from 1 in its deck, `line` is its first line in the deck.

    `prose` is its text without its code fences (so a `<!--` or `# ` shown in code is neither a
    note nor a heading); `fences` are the blocks inside it, numbered by deck line.
    """

    deck: Path
    number: int
    line: int
    text: str
    prose: str
    fences: list[Fence]

    @property
    def comments(self) -> list[str]:
        return _COMMENT.findall(self.prose)

    @property
    def notes(self) -> list[str]:
        return [c.strip() for c in self.comments if is_note(c)]

    @property
    def note_words(self) -> int:
        return sum(len(note.split()) for note in self.notes)

    @property
    def directives(self) -> dict[str, object]:
        """Every directive the slide sets, in order (a later one wins)."""
        found: dict[str, object] = {}
        for comment in self.comments:
            found.update(directives(comment) or {})
        return found

    @property
    def shows_something(self) -> bool:
        """More than comments: a content slide (it needs a speaker note)."""
        return bool(_COMMENT.sub("", self.prose).strip() or self.fences)

    @property
    def title(self) -> str:
        """Its first heading, else its first line of content, plain and short."""
        shown = _COMMENT.sub("", self.prose)
        m = _HEADING.search(shown)
        line = m.group(1) if m else next((s for s in shown.splitlines() if s.strip()), "")
        return re.sub(r"[*_`]", "", line).strip()[:60]

    @property
    def notebook_only(self) -> bool:
        return NOTEBOOK_ONLY in str(self.directives.get("_class") or "").split()

    @property
    def where(self) -> str:
        return f"{show(self.deck)}:{self.line}"


def slides(deck: Path, text: str | None = None) -> list[Slide]:
    """The deck's slides (after the front matter), split at `---` lines outside code fences."""
    text = deck.read_text(encoding="utf-8") if text is None else text
    lines = text.split("\n")
    blocks = fences(deck, text)
    inside = {i for f in blocks for i in range(f.line - 1, f.body_end + 1)}
    if lines[0] != "---" or "---" not in lines[1:]:
        raise ValueError(f"{show(deck)}:1: a deck starts with a --- front matter --- block")
    start = lines.index("---", 1)  # the line closing the front matter
    cuts = [start] + [i for i in range(start + 1, len(lines)) if lines[i] == "---" and i not in inside]
    found = []
    for number, (a, b) in enumerate(zip(cuts, cuts[1:] + [len(lines)]), start=1):
        prose = "\n".join(lines[i] for i in range(a + 1, b) if i not in inside)
        found.append(Slide(deck, number, a + 2, "\n".join(lines[a + 1 : b]), prose,
                           [f for f in blocks if a < f.line - 1 < b]))
    return found
