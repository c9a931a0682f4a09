"""Open every page of a built site in headless Chromium and check what a reader sees.

The site is served on 127.0.0.1 as a reader would get it. Fails on a console
error, a page error, a failed request, a live figure that renders empty, a
search that finds nothing, or a copy button that copies prompts or output;
saves a screenshot of one lesson page (light and dark).

Usage: python tools/check_site.py build/html
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

SCREENSHOT_PAGE = "lessons/04-backprop-by-hand.html"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Counts, per page, the live figures that drew nothing.
EMPTY_FIGURES_SCRIPT = """() => {
  const problems = [];
  document.querySelectorAll('.value-graph-drawing').forEach((div, i) => {
    const svg = div.querySelector('svg');
    const box = svg ? svg.getBBox() : null;
    const nodes = svg ? svg.querySelectorAll('g.node').length : 0;
    if (!svg || !box || box.width < 10 || box.height < 10 || nodes === 0) {
      problems.push(`graph ${i + 1} is empty`);
    }
  });
  document.querySelectorAll('img.live-plot-drawing').forEach((img, i) => {
    if (!img.complete || img.naturalWidth < 10 || img.naturalHeight < 10) {
      problems.push(`plot ${i + 1} did not load`);
    }
  });
  return problems;
}"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def check_search(page: Page, base: str) -> list[str]:
    page.goto(f"{base}/search.html?q=gradient", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=15_000)
    found = page.locator("#search-results li").count()
    return [] if found > 0 else ["search for 'gradient' found nothing"]


def check_copy_button(page: Page, base: str) -> list[str]:
    page.goto(f"{base}/lessons/02-several-variables.html", wait_until="load")
    block = page.locator("div.highlight-pycon").first
    block.hover()
    block.locator("button.copybtn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    expected = "a = 2.0\nb = -3.0\nc = 10.0\nd = a * b + c\nd"
    if copied.strip() != expected:
        return [f"the copy button copied {copied!r}, not only the code {expected!r}"]
    return []


def main(site: Path) -> int:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print("no Chromium found: install Debian's 'chromium' package", file=sys.stderr)
        return 2
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    if not pages:
        print(f"no HTML pages under {site}", file=sys.stderr)
        return 2
    failures: list[str] = []
    figures = 0
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        for path in pages:
            name = str(path.relative_to(site))
            page = context.new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda message, problems=problems: (
                    problems.append(f"console: {message.text}") if message.type == "error" else None
                ),
            )
            page.on(
                "pageerror", lambda error, problems=problems: problems.append(f"error: {error}")
            )
            page.on(
                "requestfailed",
                lambda request, problems=problems: problems.append(
                    f"request failed: {request.url}"
                ),
            )
            page.on(
                "response",
                lambda response, problems=problems: (
                    problems.append(f"HTTP {response.status}: {response.url}")
                    if response.status >= 400
                    else None
                ),
            )
            page.goto(f"{base}/{name}", wait_until="load")
            problems += page.evaluate(EMPTY_FIGURES_SCRIPT)
            figures += page.locator(".value-graph-drawing, img.live-plot-drawing").count()
            if name == SCREENSHOT_PAGE:
                out = site.parent / "screenshots"
                out.mkdir(exist_ok=True)
                page.screenshot(path=str(out / "lesson-light.png"), full_page=True)
                page.emulate_media(color_scheme="dark")
                page.screenshot(path=str(out / "lesson-dark.png"), full_page=True)
                print(f"screenshots: {out / 'lesson-light.png'}, {out / 'lesson-dark.png'}")
            failures += [f"{name}: {problem}" for problem in problems]
            page.close()
        page = context.new_page()
        failures += check_search(page, base)
        failures += check_copy_button(page, base)
        browser.close()
    server.shutdown()
    print(f"opened {len(pages)} pages with {figures} live figures; checked search and copy")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    raise SystemExit(main(Path(sys.argv[1]).resolve()))
