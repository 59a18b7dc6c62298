"""Generated pictures: every tools/pictures/<name>.py, plus the logos from npm's simple-icons.

    python tools/images.py [OUTDIR]   run them all into OUTDIR (default images/)

A picture script, run as `python tools/pictures/<name>.py OUTDIR`, writes OUTDIR/<name>.svg
(or .png) and its deterministic source OUTDIR/<name>.dot or .json. The test regenerates into
a temporary folder and compares those sources (and the logos) with what is committed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deck import IMAGES, ROOT, show  # noqa: E402

PICTURES = ROOT / "tools" / "pictures"
SOURCE_SUFFIXES = (".dot", ".json")
PICTURE_SUFFIXES = (".svg", ".png")
# simple-icons (CC0 1.0) draws each logo in one colour; ours suit the dark theme.
LOGOS = {"python_logo": ("python", "#3776AB"), "numpy_logo": ("numpy", "#4DABCF")}
ICONS = ROOT / "node_modules" / "simple-icons" / "icons"


def scripts() -> list[Path]:
    return sorted(p for p in PICTURES.glob("*.py") if not p.name.startswith("_"))


def run_script(script: Path, outdir: Path) -> None:
    """Run one picture script; fail naming it when it breaks or skips its picture or source."""
    done = subprocess.run([sys.executable, str(script), str(outdir)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{show(script)} failed:\n{done.stdout}{done.stderr}")
    name = script.stem
    if not any((outdir / f"{name}{s}").exists() for s in PICTURE_SUFFIXES):
        raise RuntimeError(f"{show(script)} wrote no {outdir}/{name}.svg or .png")
    if not any((outdir / f"{name}{s}").exists() for s in SOURCE_SUFFIXES):
        raise RuntimeError(f"{show(script)} wrote no source {outdir}/{name}.dot or .json")


def logo(name: str) -> str:
    """The logo's SVG text, coloured; from node_modules (run `npm ci` first)."""
    icon, colour = LOGOS[name]
    path = ICONS / f"{icon}.svg"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `npm ci` (simple-icons is in package.json)")
    return re.sub(r"^<svg ", f'<svg fill="{colour}" ', path.read_text(encoding="utf-8"), count=1) + "\n"


def write_logos(outdir: Path) -> None:
    for name in LOGOS:
        target = outdir / f"{name}.svg"
        text = logo(name)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def build(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    write_logos(outdir)
    for script in scripts():
        run_script(script, outdir)
        print(f"ran {show(script)}")


if __name__ == "__main__":
    try:
        build(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else IMAGES)
    except RuntimeError as err:
        sys.exit(str(err))
