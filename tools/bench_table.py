"""The README's benchmark summary IS bench/results.json: the block between its markers is generated.

    python tools/bench_table.py           rewrite README.md's block from bench/results.json
    python tools/bench_table.py --check   exit 1, printing a diff, if the block differs

`make bench` runs it after the benchmark. The tests call `problems()`, so there is one copy of this logic.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deck import ROOT, show  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from report import readme_block  # noqa: E402

README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "results.json"
BEGIN = "<!-- bench: written by tools/bench_table.py from bench/results.json; `make bench` rewrites it -->"
END = "<!-- /bench -->"


def split(text: str) -> tuple[str, str, str]:
    """README's text before the block, the block, and after it; an error names what is missing."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"{show(README)} must hold one {BEGIN!r} line, then one {END!r} line")
    head, rest = text.split(BEGIN + "\n", 1)
    block, tail = rest.split(END, 1)
    return head, block.rstrip("\n"), tail


def expected() -> str:
    return readme_block(json.loads(RESULTS.read_text(encoding="utf-8")))


def problems() -> list[str]:
    """A diff per difference between README's block and what bench/results.json says."""
    _, block, _ = split(README.read_text(encoding="utf-8"))
    want = expected()
    if block == want:
        return []
    diff = difflib.unified_diff(block.splitlines(), want.splitlines(), show(README), show(RESULTS), lineterm="")
    return [f"{show(README)}: the benchmark block differs from {show(RESULTS)} (run `python tools/bench_table.py`):\n"
            + "\n".join(diff)]


def rewrite() -> bool:
    text = README.read_text(encoding="utf-8")
    head, block, tail = split(text)
    new = f"{head}{BEGIN}\n{expected()}\n{END}{tail}"
    if new != text:
        README.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    if "--check" in argv:
        found = problems()
        print("\n\n".join(found) or f"{show(README)}: the benchmark block matches {show(RESULTS)}")
        return 1 if found else 0
    print(f"rewrote the benchmark block in {show(README)}" if rewrite() else f"{show(README)}: already current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
