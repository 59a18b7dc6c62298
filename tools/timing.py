"""How long the talk takes, measured on the presented slides: the README's timing table is generated.

    python tools/timing.py           rewrite README.md's timing block from the decks
    python tools/timing.py --check   exit 1, printing a diff, if the block differs

Per section: its presented slides, the words of their speaker notes, and its live-code slides (a
presented slide with a ```python fence: the code is run or read aloud). Minutes are the notes at
WORDS_PER_MINUTE plus LIVE_CODE_SECONDS per live-code slide. `make` runs it; a test fails when the
committed README differs from what the decks say now.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import readme  # noqa: E402
from deck import ROOT, RUNNABLE, SLIDES, Slide, decks  # noqa: E402
from talk import presented  # noqa: E402

README = ROOT / "README.md"
WORDS_PER_MINUTE = 135
LIVE_CODE_SECONDS = 20
BEGIN = "<!-- timing: written by tools/timing.py from slides/; `make` rewrites it -->"
END = "<!-- /timing -->"


def is_live_code(slide: Slide) -> bool:
    return any(f.lang in RUNNABLE for f in slide.fences)


@dataclass
class Section:
    deck: Path
    slides: int = 0
    words: int = 0
    live: int = 0

    @property
    def minutes(self) -> float:
        return self.words / WORDS_PER_MINUTE + self.live * LIVE_CODE_SECONDS / 60


def sections(folder: Path = SLIDES) -> list[Section]:
    """Each deck's share of the presented talk (a deck with every slide notebook-only has 0 slides)."""
    found = {deck: Section(deck) for deck in decks(folder)}
    for p in presented(folder):
        section = found[p.slide.deck]
        section.slides += 1
        section.words += p.slide.note_words
        section.live += is_live_code(p.slide)
    return list(found.values())


def table(folder: Path = SLIDES) -> str:
    """The README's block: one row per section and the total."""
    rows = sections(folder)
    total = Section(Path("total"), sum(s.slides for s in rows), sum(s.words for s in rows), sum(s.live for s in rows))
    lines = [
        f"At {WORDS_PER_MINUTE} words of speaker notes a minute, plus {LIVE_CODE_SECONDS} s for each live-code "
        f"slide (a presented slide with a ```` ```python ```` fence): {total.slides} slides, "
        f"{total.words:,} words, about {total.minutes:.0f} minutes.",
        "",
        "| section | slides | words of notes | live-code slides | minutes |",
        "|---|---:|---:|---:|---:|",
        *(f"| `{s.deck.name}` | {s.slides} | {s.words:,} | {s.live} | {s.minutes:.1f} |" for s in rows),
        f"| **total** | **{total.slides}** | **{total.words:,}** | **{total.live}** | **{total.minutes:.1f}** |",
    ]
    return "\n".join(lines)


def problems() -> list[str]:
    return readme.problems(README, BEGIN, END, table(), "the timing table", "the decks in slides/",
                           "`make` (or `python tools/timing.py`)")


def rewrite() -> bool:
    return readme.rewrite(README, BEGIN, END, table())


if __name__ == "__main__":
    sys.exit(readme.main(sys.argv[1:], README, "the timing table", problems, rewrite))
