"""`make serve`: the talk, rebuilt on every save and reloaded in the browser, on 127.0.0.1 only.

`marp --server` (and `marp --watch`'s reload socket) listen on every interface, which would put
the deck on a venue's network. Here one localhost HTTP server serves the repository (so
build/talk.html finds ../images/), a loop rebuilds build/talk.md and build/talk.html when a deck,
the theme or an image changes, and a small script added to the served page reloads it then.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import talk  # noqa: E402
from deck import ROOT, SLIDES, decks, show  # noqa: E402

BUILD = ROOT / "build"
HTML = BUILD / "talk.html"
RELOAD = b"""<script>(() => { let seen;
  setInterval(async () => { const v = await (await fetch("/__version__")).text();
    if (seen !== undefined && v !== seen) location.reload(); seen = v; }, 700); })();</script>"""
version = 0


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0].split("#")[0]
        if path == "/__version__":
            return self._send(str(version).encode(), "text/plain")
        if path in ("/", "/index.html"):
            self.send_response(302)
            self.send_header("Location", f"/build/{HTML.name}")
            self.end_headers()
            return None
        file = ROOT / path.lstrip("/")
        if file.suffix == ".html" and file.parent == BUILD and file.exists():
            return self._send(file.read_bytes().replace(b"</body>", RELOAD + b"</body>"), "text/html")
        return super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def inputs() -> list[Path]:
    """What the talk is built from: the decks, the theme, marp's settings, the images."""
    return [*decks(), SLIDES / "theme" / "autodiff.css", ROOT / ".marprc.yml", *(ROOT / "images").glob("*")]


def rebuild() -> str:
    """build/talk.md and build/talk.html from the decks now; what happened, in one line or marp's errors."""
    try:
        source = talk.write(talk.TALK)
    except ValueError as err:  # a deck the talk cannot be assembled from: say why, keep serving
        return str(err)
    done = subprocess.run([str(ROOT / "node_modules/.bin/marp"), str(source), "-o", str(HTML)],
                          cwd=ROOT, capture_output=True, text=True)
    return done.stderr if done.returncode else f"rebuilt {show(HTML)}"


def watch() -> None:
    """Rebuild the talk whenever one of its inputs is newer than the last build (or try)."""
    global version
    built = HTML.stat().st_mtime if HTML.exists() else 0.0
    while True:
        newest = max(p.stat().st_mtime for p in inputs() if p.exists())
        if newest > built:
            built = newest
            print(rebuild(), flush=True)
            version += 1
        time.sleep(0.5)


def server(port: int) -> http.server.ThreadingHTTPServer:
    """The HTTP server, bound to the loopback interface only (port 0: any free port)."""
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(ROOT)))


def main(port: int) -> None:
    threading.Thread(target=watch, daemon=True).start()
    with server(port) as httpd:
        print(f"the talk on http://127.0.0.1:{port}/ (presenter view: press p); Ctrl+C stops", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
