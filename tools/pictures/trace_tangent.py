"""The forward sweep by hand: the tangent column beside the primal one (Baydin et al. 2018, Table 2), by make_dual.

Run: python tools/pictures/trace_tangent.py <outdir>  ->  trace_tangent.svg and .json
"""

import sys
from pathlib import Path

from _trace import draw

if __name__ == "__main__":
    draw(Path(sys.argv[1]), "trace_tangent", ("tangent",))
