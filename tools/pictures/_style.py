"""What every matplotlib picture of the talk shares: the Agg backend, the dark style, reproducible SVG.

A picture script does `from _style import figure, save` (its own folder is on sys.path when run).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["figure", "points", "save"]


def figure(name: str, figsize: tuple[float, float], **subplots: object) -> tuple[Figure, Axes]:
    """A figure in the slides' dark style; `name` salts SVG ids so the file is the same on every run."""
    plt.style.use("dark_background")
    plt.rcParams["svg.hashsalt"] = name
    # Text stays <text> with its font size (not glyph paths): the browser check reads every label's
    # size at slide size, and the slides' fonts (DejaVu Sans, installed by .ci/run) draw it.
    plt.rcParams["svg.fonttype"] = "none"
    return plt.subplots(figsize=figsize, **subplots)


def points(px: float, fig_width: float, shown_width: float) -> float:
    """The font size in points that appears `px` pixels tall when a figure `fig_width` inches wide
    is shown `shown_width` pixels wide on the slide (the SVG is scaled to fit: 72 points per inch)."""
    return px * 72 * fig_width / shown_width


def save(fig: Figure, outdir: Path, name: str, rect: tuple[float, float, float, float] = (0, 0, 1, 1)) -> None:
    """Write outdir/name.svg with a transparent background and no date in its metadata.

    `rect` is the part of the figure the axes are fitted into (left, bottom, right, top, as fractions).
    """
    fig.tight_layout(rect=rect)
    fig.savefig(outdir / f"{name}.svg", transparent=True, metadata={"Date": None})
