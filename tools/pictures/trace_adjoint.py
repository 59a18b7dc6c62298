"""The reverse sweep by hand: the adjoint column beside the primal one, read bottom to top, by backward.

Run: python tools/pictures/trace_adjoint.py <outdir>  ->  trace_adjoint.svg and .json
"""

import sys
from pathlib import Path

from _trace import draw

if __name__ == "__main__":
    draw(Path(sys.argv[1]), "trace_adjoint", ("adjoint",))
