"""Generated pictures as committed: each script, rerun into a temporary folder, produces the same
source (DOT text or plotted data) as images/ holds; the logos equal what simple-icons gives.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import images  # noqa: E402
from deck import IMAGES  # noqa: E402


@pytest.mark.parametrize("script", images.scripts(), ids=lambda p: p.stem)
def test_picture_source_is_current(script: Path, tmp_path: Path) -> None:
    images.run_script(script, tmp_path)
    for fresh in sorted(tmp_path.iterdir()):
        committed = IMAGES / fresh.name
        assert committed.exists(), f"images/{fresh.name} is missing: run `make images` and commit it"
        if fresh.suffix in images.SOURCE_SUFFIXES:
            have, want = committed.read_text(encoding="utf-8"), fresh.read_text(encoding="utf-8")
            diff = "\n".join(list(difflib.unified_diff(
                have.splitlines(), want.splitlines(), f"images/{fresh.name}", f"{script.name} now", lineterm="",
            ))[:30])
            assert have == want, f"images/{fresh.name} is stale: run `make images` and commit it\n{diff}"


@pytest.mark.parametrize("name", sorted(images.LOGOS))
def test_logo_is_current(name: str) -> None:
    committed = IMAGES / f"{name}.svg"
    assert committed.exists() and committed.read_text(encoding="utf-8") == images.logo(name), (
        f"images/{name}.svg differs from simple-icons: run `make images` and commit it"
    )


def test_a_script_without_its_source_is_rejected(tmp_path: Path) -> None:
    script = tmp_path / "lonely.py"
    script.write_text("import sys, pathlib\npathlib.Path(sys.argv[1], 'lonely.svg').write_text('<svg/>')\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match=r"lonely.py wrote no source .*lonely.dot or .json"):
        images.run_script(script, out)
