"""The README's Python blocks are what a newcomer types first: they must run against the package."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from deck import ROOT, fences  # noqa: E402

BLOCKS = [f for f in fences(ROOT / "README.md") if f.lang == "python"]


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=lambda f: f.where)
def test_readme_block_runs(block, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(block.body, block.where, "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    for line in block.body.splitlines():  # a `print(...)  # value` comment says what it prints
        if line.startswith("print(") and "  # " in line:
            assert line.split("  # ", 1)[1] in printed, f"{block.where}: {line!r} printed {printed!r}"


def test_the_checkpointing_figure_is_the_measured_one() -> None:
    """The README quotes checkpointing's saving: it must be what tools/pictures/checkpointing.py measured."""
    measured = json.loads((ROOT / "images" / "checkpointing.json").read_text())
    plain, eight = measured["no_checkpoint"][0], measured["segments"]["8"][0]
    quoted = re.search(r"layers in 8 segments peak at (\d+) % of the memory", (ROOT / "README.md").read_text())
    assert quoted, "README.md no longer quotes the checkpointing figure: update this test"
    assert int(quoted.group(1)) == round(100 * eight / plain), f"images/checkpointing.json says {eight / plain:.0%}"
