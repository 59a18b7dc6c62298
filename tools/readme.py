"""Generated blocks of README.md: the lines between a begin and an end marker are written by a tool.

tools/bench_table.py (the benchmark summary) and tools/timing.py (the timing table) share this: one
way to find a block, rewrite it, and report a stale one with a diff and the command to run.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deck import show  # noqa: E402


def split(readme: Path, begin: str, end: str) -> tuple[str, str, str]:
    """README's text before the block, the block, and after it; an error names what is missing."""
    text = readme.read_text(encoding="utf-8")
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError(f"{show(readme)} must hold one {begin!r} line, then one {end!r} line")
    head, rest = text.split(begin + "\n", 1)
    block, tail = rest.split(end, 1)
    return head, block.rstrip("\n"), tail


def problems(readme: Path, begin: str, end: str, want: str, what: str, source: str, command: str) -> list[str]:
    """One message with a diff when the block differs from `want` (what `source` says); `command` fixes it."""
    _, block, _ = split(readme, begin, end)
    if block == want:
        return []
    diff = difflib.unified_diff(block.splitlines(), want.splitlines(), show(readme), source, lineterm="")
    return [f"{show(readme)}: {what} differs from {source} (run {command}):\n" + "\n".join(diff)]


def rewrite(readme: Path, begin: str, end: str, want: str) -> bool:
    """Write `want` between the markers; True when the file changed."""
    head, block, tail = split(readme, begin, end)
    if block == want:
        return False
    readme.write_text(f"{head}{begin}\n{want}\n{end}{tail}", encoding="utf-8")
    return True


def main(argv: list[str], readme: Path, what: str, problems: Callable[[], list[str]],
         rewrite: Callable[[], bool]) -> int:
    """A block tool's command line: rewrite the block, or with --check exit 1 printing the diff."""
    if "--check" in argv:
        found = problems()
        print("\n\n".join(found) or f"{show(readme)}: {what} is current")
        return 1 if found else 0
    print(f"rewrote {what} in {show(readme)}" if rewrite() else f"{show(readme)}: {what} is current")
    return 0
