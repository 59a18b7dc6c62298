"""The presented talk (every deck's slides but the notebook-only ones, as tools/talk.py assembles
build/talk.md) fits its slot at a speaker's real pace, a stranger can deliver it, and the README's
timing table is what the decks say now.

Limits: at most MAX_SLIDES presented slides and MAX_MINUTES minutes by tools/timing.py's model (its
words a minute of speaker notes, plus its seconds for each live-code slide), which leaves about five
minutes of a 45-minute slot for questions at a real speaker's pace; each presented slide's note at
most MAX_NOTE_WORDS words; every presented content slide has a note; no code block over
MAX_CODE_LINES lines. Each failure names the section file, the slide (its number in the talk and its
title) and the figure; the totals are broken down per section. Text and code sizes are measured in
the browser (tests/test_browser.py).

Delivery: a note's stage directions (point at, click, switch to, ...) sit on lines of their own that
start with "→", so nobody reads them aloud; the repository's address is set in one place, the theme,
and shown on the first and the last slide; a live-demo slide that names a notebook's cell names the
cell that runs the slide's code.
"""

from __future__ import annotations

import re
import sys
import json
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import talk  # noqa: E402
import timing  # noqa: E402
from deck import NOTEBOOK_ONLY, NOTEBOOKS, ROOT, SLIDES, slides  # noqa: E402
from talk import Presented, presented  # noqa: E402

MAX_SLIDES = 40
MAX_MINUTES = 40.0
MAX_NOTE_WORDS = 130
MAX_CODE_LINES = 14
HOW = f"cut, or move the slide to the notebook with `<!-- _class: invert {NOTEBOOK_ONLY} -->`"
THEME = SLIDES / "theme" / "autodiff.css"
REPO_URL = re.compile(r'--repo-url:\s*"([^"]*)"')
# A stage direction: what the speaker does, not says. Written on a line of its own that starts with "→".
STAGE = re.compile(r"(?:^|[.!?:;]\s+)(Point (?:at|to)|Click|Switch (?:to|back)|Scroll|Press|Read out|Run it)\b")
DEMO_CELL = re.compile(r"`notebooks/([\w-]+\.ipynb)`.*?cell \[(\d+)\]")


def per_section(talk_: list[Presented], count, fmt: str = ",") -> str:
    totals: Counter[str] = Counter()
    for p in talk_:
        totals[p.slide.deck.name] += count(p)
    return ", ".join(f"{name} {n:{fmt}}" for name, n in totals.items())


def minutes(p: Presented) -> float:
    """What one slide costs in the timing model (tools/timing.py)."""
    return (p.slide.note_words / timing.WORDS_PER_MINUTE
            + timing.is_live_code(p.slide) * timing.LIVE_CODE_SECONDS / 60)


def too_many_slides(talk_: list[Presented]) -> list[str]:
    if len(talk_) <= MAX_SLIDES:
        return []
    return [f"the talk presents {len(talk_)} slides, {len(talk_) - MAX_SLIDES} over {MAX_SLIDES} "
            f"(per section: {per_section(talk_, lambda p: 1)}); {HOW}"]


def too_long(talk_: list[Presented]) -> list[str]:
    total = sum(minutes(p) for p in talk_)
    if total <= MAX_MINUTES:
        return []
    return [f"the talk takes {total:.1f} minutes by tools/timing.py ({timing.WORDS_PER_MINUTE} words of notes a "
            f"minute, {timing.LIVE_CODE_SECONDS} s per live-code slide), {total - MAX_MINUTES:.1f} over "
            f"{MAX_MINUTES:.1f} (per section: {per_section(talk_, minutes, '.1f')}); shorten notes or {HOW}"]


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


def stage_directions_read_aloud(talk_: list[Presented]) -> list[str]:
    """A stage direction inside a spoken line: the speaker would read it out."""
    return [f"{p.where}: a stage direction in a spoken line, {line.strip()[:70]!r}: put it on a line of its own "
            f"starting with \"→ \""
            for p in talk_ for note in p.slide.notes for line in note.splitlines()
            if not line.lstrip().startswith("→") and STAGE.search(line)]


LIMITS = [too_many_slides, too_long, long_notes, missing_notes, long_code, stage_directions_read_aloud]


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


def test_the_repository_address_is_set_once_and_shown_on_the_first_and_last_slide(the_talk) -> None:
    """The presenter fills in one value, in the theme; the title and summary slides show it."""
    css = THEME.read_text(encoding="utf-8")
    found = REPO_URL.findall(css)
    assert len(found) == 1 and found[0], f"{THEME.relative_to(ROOT)}: set --repo-url once, as a quoted string"
    assert ".repo-url::after" in css and "var(--repo-url)" in css
    for p in (the_talk[0], the_talk[-1]):
        assert 'class="repo-url"' in p.slide.prose, f"{p.where}: no <span class=\"repo-url\"></span>"
    typed = [f"{deck.name}" for deck in SLIDES.glob("*.md") if found[0] in deck.read_text(encoding="utf-8")]
    assert not typed, f"the address is typed into {typed}: use <span class=\"repo-url\"></span>, set in the theme"


def test_a_demo_slide_names_the_cell_that_runs_its_code(the_talk) -> None:
    """`notebooks/NN-name.ipynb` ... cell [N] on a slide: after Restart and Run All, code cell N is the
    slide's own code, so the speaker points at the right output."""
    named = [(p, m) for p in the_talk if (m := DEMO_CELL.search(p.slide.prose))]
    assert named, "no presented slide says which notebook cell runs the live demo"
    for p, m in named:
        notebook = json.loads((NOTEBOOKS / m.group(1)).read_text(encoding="utf-8"))
        code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        shown = [f.body for f in p.slide.fences if f.lang == "python"]
        n = int(m.group(2))
        assert n <= len(code) and code[n - 1] in shown, (
            f"{p.where}: says cell [{n}] of {m.group(1)}, but that cell is {code[n - 1][:60] if n <= len(code) else 'missing'!r}")


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
        "00-intro.md": [f"# Title\n\n{note(MAX_NOTE_WORDS)}",
                        f"## Code\n\n```python\n{code}\n```\n\n<!--\n→ Point at the code.\nSaid aloud.\n-->"],
        "01-more.md": [f"## Slide {i}\n\n{note(MAX_NOTE_WORDS)}" for i in range(MAX_SLIDES - 2)],
    })


def test_a_talk_within_the_limits_passes(tmp_path: Path) -> None:
    talk_ = presented(within_limits(tmp_path))
    assert len(talk_) == MAX_SLIDES and sum(map(minutes, talk_)) <= MAX_MINUTES
    assert {limit.__name__: limit(talk_) for limit in LIMITS} == {limit.__name__: [] for limit in LIMITS}


def test_a_talk_over_the_limits_fails_naming_section_slide_and_figure(tmp_path: Path) -> None:
    code = "\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES + 1))
    folder = write_decks(tmp_path, {
        "00-intro.md": [f"# Title\n\n{note(MAX_NOTE_WORDS + 1)}",
                        f"## Code\n\n```python\n{code}\n```\n\n<!--\nPoint at the code. Then say it.\n-->"],
        "01-more.md": [f"## Slide {i}\n\n```python\nx = {i}\n```\n\n{note(MAX_NOTE_WORDS)}"
                       for i in range(MAX_SLIDES - 2)] + ["## Silent\n"],
    })
    talk_ = presented(folder)
    assert too_many_slides(talk_) == [
        f"the talk presents 41 slides, 1 over 40 (per section: 00-intro.md 2, 01-more.md 39); {HOW}"]
    assert too_long(talk_) == [  # (131 + 7 + 38 × 130) words / 135 + 39 live-code slides × 20 s: 50.6 minutes
        f"the talk takes 50.6 minutes by tools/timing.py (135 words of notes a minute, 20 s per live-code slide), "
        f"10.6 over 40.0 (per section: 00-intro.md 1.4, 01-more.md 49.3); shorten notes or {HOW}"]
    assert long_notes(talk_) == ["00-intro.md, slide 1 of the talk ('Title'): its note has 131 words, over 130"]
    assert missing_notes(talk_) == [
        "01-more.md, slide 41 of the talk ('Silent'): no speaker note (an HTML comment in full sentences)"]
    (found,) = long_code(talk_)
    assert found.startswith("00-intro.md, slide 2 of the talk ('Code'): the ```python block at ")
    assert found.endswith("slides/00-intro.md:22 has 15 lines, over 14")
    assert stage_directions_read_aloud(talk_) == [
        "00-intro.md, slide 2 of the talk ('Code'): a stage direction in a spoken line, 'Point at the code. "
        "Then say it.': put it on a line of its own starting with \"→ \""]


def test_the_time_limit_is_the_timing_models(tmp_path: Path) -> None:
    """too_long counts what tools/timing.py counts: the README's total and the limit agree."""
    folder = within_limits(tmp_path)
    total = sum(s.minutes for s in timing.sections(folder))
    assert sum(map(minutes, presented(folder))) == pytest.approx(total)


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
