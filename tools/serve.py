"""`make serve`: the decks, rebuilt on every save and reloaded in the browser, on 127.0.0.1 only.

`marp --server` (and `marp --watch`'s reload socket) listen on every interface, which would put
the deck on a venue's network. Here one localhost HTTP server serves the repository (so
build/NN.html finds ../images/), a loop rebuilds a deck's HTML when its inputs change, and a
small script added to each served page reloads it when its build changes.
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
from deck import ROOT, SLIDES, decks  # noqa: E402

BUILD = ROOT / "build"
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
            links = "".join(f'<li><a href="/build/{d.stem}.html">{d.stem}</a></li>' for d in decks())
            return self._send(f"<h1>Decks</h1><ul>{links}</ul>".encode(), "text/html")
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


def watch() -> None:
    """Rebuild a deck when it (or the theme, or the images) changed since its HTML was built."""
    global version
    shared = [SLIDES / "theme" / "autodiff.css", ROOT / ".marprc.yml", *(ROOT / "images").glob("*")]
    while True:
        for deck in decks():
            html = BUILD / f"{deck.stem}.html"
            newest = max(p.stat().st_mtime for p in [deck, *shared] if p.exists())
            if not html.exists() or html.stat().st_mtime < newest:
                done = subprocess.run([str(ROOT / "node_modules/.bin/marp"), str(deck),
                                       "-o", str(html)], cwd=ROOT, capture_output=True, text=True)
                print(f"rebuilt {html.name}" if not done.returncode else done.stderr, flush=True)
                version += 1
        time.sleep(0.5)


def server(port: int) -> http.server.ThreadingHTTPServer:
    """The HTTP server, bound to the loopback interface only (port 0: any free port)."""
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(ROOT)))


def main(port: int) -> None:
    threading.Thread(target=watch, daemon=True).start()
    with server(port) as httpd:
        print(f"decks on http://127.0.0.1:{port}/ (presenter view: press p); Ctrl+C stops", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
