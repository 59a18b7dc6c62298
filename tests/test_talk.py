"""The presented talk (every deck's slides but the notebook-only ones, as tools/talk.py assembles
build/talk.md) fits a 45-minute slot, and the README's timing table is what the decks say now.

Limits: at most MAX_SLIDES presented slides and MAX_WORDS words of speaker notes; each presented
slide's note at most MAX_NOTE_WORDS words; every presented content slide has a note; no code block
over MAX_CODE_LINES lines. Each failure names the section file, the slide (its number in the talk
and its title) and the figure; the totals are broken down per section.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import talk  # noqa: E402
import timing  # noqa: E402
from deck import NOTEBOOK_ONLY, slides  # noqa: E402
from talk import Presented, presented  # noqa: E402

MAX_SLIDES = 45
MAX_WORDS = 5500
MAX_NOTE_WORDS = 130
MAX_CODE_LINES = 14
HOW = f"cut, or move the slide to the notebook with `<!-- _class: invert {NOTEBOOK_ONLY} -->`"


def per_section(talk_: list[Presented], count) -> str:
    totals: Counter[str] = Counter()
    for p in talk_:
        totals[p.slide.deck.name] += count(p)
    return ", ".join(f"{name} {n:,}" for name, n in totals.items())


def too_many_slides(talk_: list[Presented]) -> list[str]:
    if len(talk_) <= MAX_SLIDES:
        return []
    return [f"the talk presents {len(talk_)} slides, {len(talk_) - MAX_SLIDES} over {MAX_SLIDES} "
            f"(per section: {per_section(talk_, lambda p: 1)}); {HOW}"]


def too_many_words(talk_: list[Presented]) -> list[str]:
    words = sum(p.slide.note_words for p in talk_)
    if words <= MAX_WORDS:
        return []
    return [f"the talk's speaker notes have {words:,} words, {words - MAX_WORDS:,} over {MAX_WORDS:,} "
            f"(per section: {per_section(talk_, lambda p: p.slide.note_words)}); shorten notes or {HOW}"]


def long_notes(talk_: list[Presented]) -> list[str]:
    return [f"{p.where}: its note has {p.slide.note_words} words, over {MAX_NOTE_WORDS}"
            for p in talk_ if p.slide.note_words > MAX_NOTE_WORDS]


def missing_notes(talk_: list[Presented]) -> list[str]:
    return [f"{p.where}: no speaker note (an HTML comment in full sentences)"
            for p in talk_ if p.slide.shows_something and not p.slide.notes]


def long_code(talk_: list[Presented]) -> list[str]:
    return [f"{p.where}: the ```{f.lang or 'text'} block at {f.where} has {f.body.count(chr(10)) + 1} lines, "
            f"over {MAX_CODE_LINES}"
            for p in talk_ for f in p.slide.fences if f.body.count("\n") + 1 > MAX_CODE_LINES]


LIMITS = [too_many_slides, too_many_words, long_notes, missing_notes, long_code]


@pytest.fixture(scope="module")
def the_talk() -> list[Presented]:
    return presented()


@pytest.mark.parametrize("limit", LIMITS, ids=lambda f: f.__name__)
def test_the_talk_is_within_its_limits(limit, the_talk: list[Presented]) -> None:
    found = limit(the_talk)
    assert not found, "\n".join(found)


def test_the_readme_timing_table_is_current() -> None:
    found = timing.problems()
    assert not found, "\n".join(found)


# The assembly and the checkers, on small fixture decks --------------------------------------

FRONT = ("---\nmarp: true\ntheme: autodiff\npaginate: true\nsize: 16:9\nclass: invert\ntitle: {title}\n"
         'header: "{header}"\nfooter: ""\n---\n\n')


def note(words: int) -> str:
    return "<!--\n" + " ".join(["word"] * words) + "\n-->"


def write_decks(folder: Path, decks: dict[str, list[str]]) -> Path:
    """slides/NN-name.md per entry, each slide's text given; returns the slides folder."""
    slides_dir = folder / "slides"
    slides_dir.mkdir(parents=True)
    for name, texts in decks.items():
        front = FRONT.format(title=name, header=Path(name).stem.split("-", 1)[1].title())
        (slides_dir / name).write_text(front + "\n\n---\n\n".join(texts) + "\n", encoding="utf-8")
    return slides_dir


def within_limits(folder: Path) -> Path:
    code = "\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES))
    return write_decks(folder, {
        "00-intro.md": [f"# Title\n\n{note(MAX_NOTE_WORDS)}", f"## Code\n\n```python\n{code}\n```\n\n{note(100)}"],
        "01-more.md": [f"## Slide {i}\n\n{note(120)}" for i in range(MAX_SLIDES - 2)],
    })


def test_a_talk_within_the_limits_passes(tmp_path: Path) -> None:
    talk_ = presented(within_limits(tmp_path))
    assert len(talk_) == MAX_SLIDES and sum(p.slide.note_words for p in talk_) <= MAX_WORDS
    assert {limit.__name__: limit(talk_) for limit in LIMITS} == {limit.__name__: [] for limit in LIMITS}


def test_a_talk_over_the_limits_fails_naming_section_slide_and_figure(tmp_path: Path) -> None:
    code = "\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES + 1))
    folder = write_decks(tmp_path, {
        "00-intro.md": [f"# Title\n\n{note(MAX_NOTE_WORDS + 1)}", f"## Code\n\n```python\n{code}\n```\n\n{note(10)}"],
        "01-more.md": [f"## Slide {i}\n\n{note(MAX_NOTE_WORDS)}" for i in range(MAX_SLIDES - 2)] + ["## Silent\n"],
    })
    talk_ = presented(folder)
    assert too_many_slides(talk_) == [
        f"the talk presents 46 slides, 1 over 45 (per section: 00-intro.md 2, 01-more.md 44); {HOW}"]
    assert too_many_words(talk_) == [
        f"the talk's speaker notes have 5,731 words, 231 over 5,500 (per section: 00-intro.md 141, "
        f"01-more.md 5,590); shorten notes or {HOW}"]
    assert long_notes(talk_) == ["00-intro.md, slide 1 of the talk ('Title'): its note has 131 words, over 130"]
    assert missing_notes(talk_) == [
        "01-more.md, slide 46 of the talk ('Silent'): no speaker note (an HTML comment in full sentences)"]
    (found,) = long_code(talk_)
    assert found.startswith("00-intro.md, slide 2 of the talk ('Code'): the ```python block at ")
    assert found.endswith("slides/00-intro.md:22 has 15 lines, over 14")


def test_notebook_only_slides_leave_the_talk_but_not_the_count_of_their_deck(tmp_path: Path) -> None:
    folder = write_decks(tmp_path, {
        "00-intro.md": [f"# Title\n\n{note(5)}", f"<!-- _class: invert {NOTEBOOK_ONLY} -->\n\n## Detail\n\n{note(500)}"],
        "01-more.md": [f"## Next\n\n{note(5)}"],
    })
    assert [(p.number, p.slide.title) for p in presented(folder)] == [(1, "Title"), (2, "Next")]
    assert len(slides(folder / "00-intro.md")) == 2
    assert long_notes(presented(folder)) == []


def test_the_talk_has_one_front_matter_and_each_section_its_header(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "x.svg").write_text("<svg/>")
    folder = write_decks(tmp_path, {
        "00-intro.md": [f"# Title\n\n{note(5)}", f"<!-- header: Agenda -->\n\n## Agenda\n\n{note(5)}"],
        "01-more.md": [
            f"## Shown\n\n![w:600](../images/x.svg)\n\n```python\nx = 1\n---\n```\n\n{note(5)}",
            f"<!--\nheader: Moved on\n_class: invert {NOTEBOOK_ONLY}\n-->\n\n## Hidden\n\n{note(5)}",
            f"## After\n\n{note(5)}",
        ],
    })
    out = tmp_path / "build" / "deeper" / "talk.md"
    text = talk.write(out, folder).read_text(encoding="utf-8")
    assert text.startswith("---\nmarp: true\n") and text.count("\nmarp: true\n") == 1
    assert text.count("paginate: true") == 1
    assert f"title: \"{talk.TITLE}\"" in text.split("\n---\n")[0]
    assert "Hidden" not in text and NOTEBOOK_ONLY not in text
    assert '<!--\nheader: "Intro"\nfooter: ""\n-->\n\n# Title' in text
    assert '<!--\nheader: "More"\nfooter: ""\n-->\n\n## Shown' in text
    assert '<!--\nheader: "Moved on"\n-->\n\n## After' in text  # what the hidden slide set still holds
    assert "![w:600](../../images/x.svg)" in text and (out.parent / "../../images/x.svg").resolve().exists()
    assert [s.title for s in slides(out)] == ["Title", "Agenda", "Shown", "After"]


@pytest.mark.parametrize("slide, message", [
    ("<!-- style: 'h2 { color: red }' -->\n\n## A", "the global directive style changes every slide of the talk"),
    (f"<!-- class: invert {NOTEBOOK_ONLY} -->\n\n## A", "would mark every later slide"),
    ("<style>h2 { color: red }</style>\n\n## A", "a <style> without `scoped` styles every slide"),
])
def test_what_would_leak_into_other_sections_is_refused(tmp_path: Path, slide: str, message: str) -> None:
    folder = write_decks(tmp_path, {"00-intro.md": [f"# Title\n\n{note(5)}", f"{slide}\n\n{note(5)}"]})
    with pytest.raises(ValueError, match=re.escape("slides/00-intro.md:19: ") + ".*" + re.escape(message)):
        talk.assemble(folder)


def test_timing_counts_words_and_live_code_per_section(tmp_path: Path) -> None:
    folder = write_decks(tmp_path, {
        "00-intro.md": [f"# Title\n\n{note(135)}", f"## Code\n\n```python\nx = 1\n```\n\n{note(135)}",
                        f"## Shell\n\n```console\n$ make\n```\n\n{note(270)}"],
        "01-more.md": [f"<!-- _class: invert {NOTEBOOK_ONLY} -->\n\n## Gone\n\n```python\nx = 2\n```\n\n{note(999)}"],
    })
    intro, more = timing.sections(folder)
    assert (intro.slides, intro.words, intro.live) == (3, 540, 1)
    assert intro.minutes == pytest.approx(4 + timing.LIVE_CODE_SECONDS / 60)
    assert (more.slides, more.words, more.live, more.minutes) == (0, 0, 0, 0)
    table = timing.table(folder)
    assert "| `00-intro.md` | 3 | 540 | 1 | 4.3 |" in table and "| `01-more.md` | 0 | 0 | 0 | 0.0 |" in table
    assert "| **total** | **3** | **540** | **1** | **4.3** |" in table


def test_a_stale_timing_table_is_named_with_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Talk\n\n{timing.BEGIN}\n| old | table |\n{timing.END}\n", encoding="utf-8")
    monkeypatch.setattr(timing, "README", readme)
    (found,) = timing.problems()
    assert "README.md: the timing table differs from the decks in slides/ (run `make`" in found
    assert "-| old | table |" in found
    assert timing.rewrite() and timing.problems() == [] and readme.read_text().startswith("# Talk\n\n")
