"""The presented talk: every deck's slides in order as one Marp deck, notebook-only slides left out.

    python tools/talk.py [OUT]   write OUT (default build/talk.md)

One front matter (the first deck's, titled with the talk's title), so the page numbers run through
the whole talk. Each section keeps its look: a `header:`/`footer:` directive from its own front
matter opens its first presented slide. A slide whose local class holds `notebook-only`
(`<!-- _class: invert notebook-only -->`) stays in its deck and notebook but is not presented; the
header or other directives it set for the slides after it move to the next presented slide.
Image paths are rewritten relative to OUT, so the talk shows its pictures wherever it is written.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deck import (  # noqa: E402
    GLOBAL_DIRECTIVES, NOTEBOOK_ONLY, ROOT, SLIDES, Slide, decks, front_matter, front_matter_lines, map_image_refs,
    show, slides,
)

TITLE = "Demystifying Automatic Differentiation — Linear Algebra Under the Hood"
TALK = ROOT / "build" / "talk.md"
# A section's own front-matter keys that are slide directives: each section keeps its own.
CARRIED = ("header", "footer")
_UNSCOPED_STYLE = re.compile(r"<style(?![^>]*\bscoped\b)[^>]*>")


@dataclass
class Presented:
    """A slide of the talk: `number` is its page in the talk (Marp's page number)."""

    slide: Slide
    number: int

    @property
    def where(self) -> str:
        return f"{self.slide.deck.name}, slide {self.number} of the talk ({self.slide.title!r})"


def check(slide: Slide) -> None:
    """Refuse what would leak out of a section into the rest of the talk, naming the slide."""
    found = slide.directives
    leaking = sorted(k for k in found if k in GLOBAL_DIRECTIVES)  # in the talk they would change every section
    if leaking:
        raise ValueError(f"{slide.where}: the global directive {', '.join(leaking)} changes every slide of "
                         "the talk; set it in the front matter (every deck has the same)")
    if NOTEBOOK_ONLY in str(found.get("class") or "").split():
        raise ValueError(f"{slide.where}: `class: ... {NOTEBOOK_ONLY}` would mark every later slide; "
                         f"write the local `_class: invert {NOTEBOOK_ONLY}` on each slide instead")
    if _UNSCOPED_STYLE.search(slide.prose):
        raise ValueError(f"{slide.where}: a <style> without `scoped` styles every slide of the talk; "
                         "write <style scoped>")


def presented(folder: Path = SLIDES) -> list[Presented]:
    """The talk's slides, in order, numbered as the talk shows them."""
    kept = [s for deck in decks(folder) for s in slides(deck) if not s.notebook_only]
    return [Presented(s, n) for n, s in enumerate(kept, start=1)]


def directive_comment(values: dict[str, object]) -> str:
    return "<!--\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()) + "\n-->"


def section(deck: Path, out: Path) -> list[str]:
    """The deck's presented slides' text, its header/footer directive on the first one."""
    meta = front_matter(deck.read_text(encoding="utf-8"), deck)
    # The section's own values, then what notebook-only slides set for the slides after them.
    pending: dict[str, object] = {k: yaml.safe_load(meta.get(k) or '""') for k in CARRIED}

    def relocate(ref: str) -> str:
        if "://" in ref or ref.startswith(("/", "data:")):
            return ref
        return Path(os.path.relpath((deck.parent / ref).resolve(), out.parent.resolve())).as_posix()

    texts = []
    for slide in slides(deck):
        check(slide)
        if slide.notebook_only:
            pending.update({k: v for k, v in slide.directives.items() if not k.startswith("_")})
            continue
        text = slide.text.strip("\n")
        if pending:
            text = f"{directive_comment(pending)}\n\n{text}"
            pending = {}
        texts.append(map_image_refs(text, relocate))
    return texts


def assemble(folder: Path = SLIDES, out: Path = TALK) -> str:
    """The talk's Markdown: the first deck's front matter (the talk's title), then every section."""
    first = decks(folder)[0]
    title = f"title: {json.dumps(TITLE, ensure_ascii=False)}"
    meta = [title if line.startswith("title:") else line
            for line in front_matter_lines(first.read_text(encoding="utf-8"), first)]
    front = "---\n" + "\n".join(meta if title in meta else [*meta, title]) + "\n---"
    texts = [t for deck in decks(folder) for t in section(deck, out)]
    return front + "\n\n" + "\n\n---\n\n".join(texts) + "\n"


def write(out: Path = TALK, folder: Path = SLIDES) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(assemble(folder, out), encoding="utf-8")
    return out


if __name__ == "__main__":
    try:
        target = write(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else TALK)
    except ValueError as err:
        sys.exit(str(err))
    talk = presented()
    print(f"wrote {show(target)}: {len(talk)} slides from {len(decks())} decks")
