"""Code on a slide IS package code: fences ```python snippet="module:qualname" ```.

    python tools/snippets.py           rewrite every snippet fence from the package source
    python tools/snippets.py --check   exit 1, printing deck, line and a diff, if any differs

A fence's body must equal the object's source (inspect.getsource, dedented, trailing newline
stripped) byte for byte. The tests call `problems()`, so there is one copy of this logic.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deck import Fence, decks, fences, show  # noqa: E402


def source_of(ref: str) -> str:
    """The source text a fence `snippet="module:qualname"` must show."""
    module_name, sep, qualname = ref.partition(":")
    if not sep or not qualname:
        raise LookupError(f'snippet="{ref}" is not "module:qualname"')
    try:
        obj = importlib.import_module(module_name)
    except ImportError as err:
        raise LookupError(f'snippet="{ref}": cannot import {module_name}: {err}') from err
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise LookupError(f'snippet="{ref}": {getattr(obj, "__name__", obj)} has no {part!r}')
        obj = getattr(obj, part)
    try:
        return textwrap.dedent(inspect.getsource(obj)).rstrip("\n")
    except TypeError as err:
        raise LookupError(f'snippet="{ref}": no source for it ({err})') from err


def snippet_fences(deck: Path) -> list[Fence]:
    return [f for f in fences(deck) if "snippet" in f.attrs]


def problems(deck: Path) -> list[str]:
    """One message per snippet fence that names no object or differs from its source."""
    found = []
    for fence in snippet_fences(deck):
        ref = str(fence.attrs["snippet"])
        try:
            want = source_of(ref)
        except LookupError as err:
            found.append(f"{fence.where}: {err}")
            continue
        if fence.body != want:
            diff = difflib.unified_diff(
                fence.body.split("\n"), want.split("\n"),
                f"{fence.where} (slide)", f"{ref} (package)", lineterm="",
            )
            found.append(
                f"{fence.where}: snippet {ref} differs from the package (run `make snippets`):\n"
                + "\n".join(diff)
            )
    return found


def rewrite(deck: Path) -> bool:
    """Rewrite the deck's snippet fences from the package; True when the file changed."""
    lines = deck.read_text(encoding="utf-8").split("\n")
    for fence in reversed(snippet_fences(deck)):
        try:
            body = source_of(str(fence.attrs["snippet"]))
        except LookupError as err:
            raise SystemExit(f"{fence.where}: {err}") from err
        lines[fence.body_start : fence.body_end] = body.split("\n")
    text = "\n".join(lines)
    if text == deck.read_text(encoding="utf-8"):
        return False
    deck.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a).resolve() for a in argv if a != "--check"] or decks()
    if check:
        found = [p for deck in paths for p in problems(deck)]
        print("\n\n".join(found) or f"{len(paths)} decks: every snippet matches the package")
        return 1 if found else 0
    for deck in paths:
        if rewrite(deck):
            print(f"rewrote snippets in {show(deck)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
