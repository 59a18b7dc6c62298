"""Every deck in a real browser (headless Debian chromium): each slide fits its 16:9 frame, every
image loads, Marp printed no warnings, and nothing is fetched from outside the machine. Also: every
emoji has a font, and `make serve` shows the decks to this machine only.

Skipped without chromium, unless AUTODIFF_REQUIRE_BROWSER=1 (set by .ci/run): then it fails.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import serve  # noqa: E402
from deck import IMAGES, ROOT, SLIDES, decks  # noqa: E402

INSTALL = "apt-get install chromium fonts-noto-color-emoji fonts-liberation"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LOCAL = ("file:", "data:", "blob:", "about:")

# Per slide (content layer only: ![bg] images add background layers): the section's scroll
# size, then every element's box, against the section's frame (1px slack for rounding); and no
# content over the header's or footer's text.
MEASURE = """() => {
  const out = [];
  const sections = [...document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section')]
    .filter(s => ['content', null].includes(s.getAttribute('data-marpit-advanced-background')));
  sections.forEach((s, i) => {
    const slide = i + 1, f = s.getBoundingClientRect();
    if (s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1)
      out.push(`slide ${slide}: content is ${s.scrollWidth}x${s.scrollHeight}, the frame ${s.clientWidth}x${s.clientHeight}`);
    for (const el of s.querySelectorAll('*')) {
      const b = el.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) continue;
      if (b.top < f.top - 1 || b.left < f.left - 1 || b.bottom > f.bottom + 1 || b.right > f.right + 1) {
        const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
        out.push(`slide ${slide}: <${el.tagName.toLowerCase()}> "${text}" sticks out of the 16:9 frame ` +
                 `(box ${Math.round(b.left - f.left)},${Math.round(b.top - f.top)} to ` +
                 `${Math.round(b.right - f.left)},${Math.round(b.bottom - f.top)}; frame ${Math.round(f.width)}x${Math.round(f.height)})`);
        break;
      }
    }
    // Content pushed up (or down) by a centred theme can overlap the header or footer text.
    const text = el => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    for (const edge of [...s.children].filter(c => ['HEADER', 'FOOTER'].includes(c.tagName) && text(c))) {
      const range = document.createRange();
      range.selectNodeContents(edge);
      const r = range.getBoundingClientRect();
      for (const c of s.children) {
        if (['HEADER', 'FOOTER', 'STYLE', 'SCRIPT'].includes(c.tagName)) continue;
        const b = c.getBoundingClientRect();
        if (b.width && b.height && b.top < r.bottom - 1 && b.bottom > r.top + 1 && b.left < r.right - 1 && b.right > r.left + 1)
          out.push(`slide ${slide}: <${c.tagName.toLowerCase()}> "${text(c)}" overlaps the ${edge.tagName.toLowerCase()} "${text(edge)}"`);
      }
    }
  });
  return {slides: sections.length, problems: out};
}"""

# Every <img> decoded, and every CSS background image (Marp's ![bg]) loadable.
IMAGES_JS = """async () => {
  const bad = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);
  const urls = new Set();
  for (const el of document.querySelectorAll('*'))
    for (const m of getComputedStyle(el).backgroundImage.matchAll(/url\\("?([^")]+)"?\\)/g)) urls.add(m[1]);
  for (const url of urls) {
    const ok = await new Promise(done => { const i = new Image(); i.onload = () => done(i.naturalWidth > 0);
                                            i.onerror = () => done(false); i.src = url; });
    if (!ok) bad.push(url);
  }
  return bad;
}"""


def unavailable(reason: str) -> None:
    """Skip, or fail where the browser check is required (CI)."""
    if os.environ.get("AUTODIFF_REQUIRE_BROWSER") == "1":
        pytest.fail(f"AUTODIFF_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        unavailable(f"no chromium on PATH: {INSTALL}")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """All decks with the bare template (every slide visible), laid out like build/ is."""
    browser = chromium()
    out = tmp_path_factory.mktemp("browser")
    (out / "images").symlink_to(IMAGES)
    done = subprocess.run(
        [str(ROOT / "node_modules/.bin/marp"), "--template", "bare", "--input-dir", str(SLIDES),
         "--output", str(out / "html")],
        cwd=ROOT, capture_output=True, text=True,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"marp failed:\n{log}"
    return out / "html", browser, log


@pytest.fixture(scope="module")
def page(rendered):
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("no playwright: `make setup` (it is in the dev extra)")
    html, browser, _ = rendered
    with sync_api.sync_playwright() as p:
        app = p.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
        context = app.new_context(viewport={"width": 1280, "height": 720})
        context.outside = []  # requests that would have left the machine

        def guard(route):
            if route.request.url.startswith(LOCAL):
                return route.continue_()
            context.outside.append(route.request.url)
            return route.abort()

        context.route("**/*", guard)
        yield context.new_page()
        context.close()
        app.close()


def test_marp_prints_no_warnings(rendered) -> None:
    _, _, log = rendered
    warnings = [line for line in log.splitlines() if "WARN" in line or "ERROR" in line]
    assert not warnings, "marp warned:\n" + "\n".join(warnings)


@pytest.mark.parametrize("deck", decks(), ids=lambda d: d.stem)
def test_deck_in_browser(deck: Path, rendered, page) -> None:
    html, _, _ = rendered
    page.context.outside.clear()
    page.goto((html / f"{deck.stem}.html").as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready")
    measured = page.evaluate(MEASURE)
    assert measured["slides"] > 0, f"{deck.name}: no slides rendered"
    broken = page.evaluate(IMAGES_JS)
    problems = [f"{deck.name} {p}" for p in measured["problems"]]
    here = html.parent.as_uri() + "/"
    problems += [f"{deck.name}: image does not load: {url.replace(here, '')}" for url in broken]
    problems += [f"{deck.name}: request leaves the machine: {url}" for url in page.context.outside]
    assert not problems, "\n".join(problems)


def test_every_emoji_has_a_font() -> None:
    """Emoji stay characters (not CDN images), so a font must draw each of them, not a box."""
    text = "".join(deck.read_text(encoding="utf-8") for deck in decks())
    used = sorted({ch for ch in text if ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) < 0x27C0})
    if not used:
        return
    if not shutil.which("fc-list"):
        unavailable(f"no fontconfig (fc-list) to check the emoji fonts: {INSTALL}")
    missing = [ch for ch in used
               if not subprocess.run(["fc-list", f":charset={ord(ch):x}"], capture_output=True, text=True).stdout]
    assert not missing, f"no installed font draws {' '.join(missing)}: apt-get install fonts-noto-color-emoji"


def test_serve_listens_on_localhost_only_and_reloads() -> None:
    httpd = serve.server(0)
    host, port = httpd.server_address[:2]
    assert host == "127.0.0.1", f"`make serve` listens on {host}: the venue's network would see the deck"
    page = serve.BUILD / "test-serve.html"  # build/ is ignored output; removed again below
    page.parent.mkdir(exist_ok=True)
    page.write_text("<html><body>deck</body></html>")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:

        def get(path: str) -> bytes:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()

        assert b"/__version__" in get("/build/test-serve.html")  # the live-reload script is added
        assert get("/__version__").isdigit()
        home = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        home.request("GET", "/")
        assert home.getresponse().getheader("Location") == "/build/talk.html"  # the talk is the home page
        home.close()
    finally:
        page.unlink(missing_ok=True)
        httpd.shutdown()
        httpd.server_close()
