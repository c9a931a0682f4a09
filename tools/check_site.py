"""Open every page of a built site in headless Chromium and check what a reader sees.

Fails on a console error, a page error, a failed request, or a live figure
that renders empty; saves a screenshot of one lesson page (light and dark).

Usage: python tools/check_site.py build/html
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
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
            page.goto(path.as_uri(), wait_until="load")
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
        browser.close()
    print(f"opened {len(pages)} pages with {figures} live figures")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    raise SystemExit(main(Path(sys.argv[1]).resolve()))
