"""The README's benchmark summary IS bench/results.json: the block between its markers is generated.

    python tools/bench_table.py           rewrite README.md's block from bench/results.json
    python tools/bench_table.py --check   exit 1, printing a diff, if the block differs

`make bench` runs it after the benchmark. The tests call `problems()`, so there is one copy of this logic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import readme  # noqa: E402
from deck import ROOT, show  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from report import readme_block  # noqa: E402

README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "results.json"
BEGIN = "<!-- bench: written by tools/bench_table.py from bench/results.json; `make bench` rewrites it -->"
END = "<!-- /bench -->"


def expected() -> str:
    return readme_block(json.loads(RESULTS.read_text(encoding="utf-8")))


def problems() -> list[str]:
    """A diff per difference between README's block and what bench/results.json says."""
    return readme.problems(README, BEGIN, END, expected(), "the benchmark block", show(RESULTS),
                           "`python tools/bench_table.py`")


def rewrite() -> bool:
    return readme.rewrite(README, BEGIN, END, expected())


if __name__ == "__main__":
    sys.exit(readme.main(sys.argv[1:], README, "the benchmark block", problems, rewrite))
