"""What every matplotlib picture of the talk shares: the Agg backend, the dark style, reproducible SVG.

A picture script does `from _style import figure, save` (its own folder is on sys.path when run).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["figure", "save"]


def figure(name: str, figsize: tuple[float, float], **subplots: object) -> tuple[Figure, Axes]:
    """A figure in the slides' dark style; `name` salts SVG ids so the file is the same on every run."""
    plt.style.use("dark_background")
    plt.rcParams["svg.hashsalt"] = name
    # Text stays <text> with its font size (not glyph paths): the browser check reads every label's
    # size at slide size, and the slides' fonts (DejaVu Sans, installed by .ci/run) draw it.
    plt.rcParams["svg.fonttype"] = "none"
    return plt.subplots(figsize=figsize, **subplots)


def save(fig: Figure, outdir: Path, name: str) -> None:
    """Write outdir/name.svg with a transparent background and no date in its metadata."""
    fig.tight_layout()
    fig.savefig(outdir / f"{name}.svg", transparent=True, metadata={"Date": None})
