"""The evaluation trace, primal column only: one row per elementary operation, each value computed by autodiff.

Run: python tools/pictures/trace_primal.py <outdir>  ->  trace_primal.svg and .json
"""

import sys
from pathlib import Path

from _trace import draw

if __name__ == "__main__":
    draw(Path(sys.argv[1]), "trace_primal", ())
