"""Open every page of a built site in headless Chromium and check what a reader sees.

The site is served on 127.0.0.1 as a reader would get it, and every page is
opened at 1366 px (desktop) and 390 px (phone) wide, in the light and the dark
colour scheme. Fails on a console error, a page error, a failed request, a
live figure that renders empty, graph text rendered smaller than 11 CSS px, a
label that spills out of its box, a plot that stays bright in dark mode,
backward-steps controls that do not change the frame and its caption, a
search that finds nothing, a copy button that copies prompts or output, a
box that scrolls sideways but cannot be scrolled with the keyboard, or an
accessibility violation that axe-core (from npm, pinned in
package-lock.json) rates critical or serious, in either colour scheme (all
its default rules at desktop width; at phone width, its rule for boxes that
scroll).
Prints the smallest rendered graph text of each page, the count of axe-core's
findings of each severity, and saves screenshots of the landing page, lesson
4's backward steps and lesson 14's plots.
Exercise dropdowns are opened first, so the figures in them are checked too.

Usage: python tools/check_site.py build/html [--measure-only]
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The severities that fail the check; the others are counted and printed.
AXE_FAILING = ("critical", "serious")
AXE_SEVERITIES = ("critical", "serious", "moderate", "minor")
# All of axe-core's default rules run at desktop width, in both colour schemes. At
# phone width the colours and the markup are the same; what changes is what is
# shown and what no longer fits, so only the rule for boxes that scroll runs there.
AXE_PHONE_RULES = ["scrollable-region-focusable"]
MIN_TEXT_PX = 11.0
MAX_DARK_LUMINANCE = 0.45
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
SCHEMES = ("light", "dark")
SCREENSHOTS = {
    "index.html": "figure.value-graph",
    "lessons/04-backprop-by-hand.html": "figure.backward-steps",
    "lessons/14-training.html": "figure.live-plot",
}
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

# What a reader sees of the live figures: each problem as text, and the
# smallest graph text in CSS pixels (font size times the SVG's screen scale).
FIGURES_SCRIPT = """async (limits) => {
  await document.fonts.ready;
  const problems = [];
  let smallest = Infinity;
  const visible = (element) => element.getClientRects().length > 0;
  const svgs = Array.from(document.querySelectorAll('.value-graph-drawing svg')).filter(visible);
  document.querySelectorAll('.value-graph-drawing').forEach((div, i) => {
    if (!visible(div)) return;
    const svg = Array.from(div.querySelectorAll('svg')).find(visible);
    const box = svg ? svg.getBBox() : null;
    if (!svg || !box || box.width < 10 || box.height < 10 || !svg.querySelector('g.node')) {
      problems.push(`graph ${i + 1} is empty`);
    }
  });
  svgs.forEach((svg, i) => {
    const scale = svg.getScreenCTM().a;
    svg.querySelectorAll('text').forEach((text) => {
      const size = parseFloat(text.getAttribute('font-size') || '14') * scale;
      smallest = Math.min(smallest, size);
    });
    svg.querySelectorAll('g.node').forEach((node) => {
      const shape = node.querySelector('polygon, ellipse, path');
      if (!shape) return;
      const outer = shape.getBBox();
      node.querySelectorAll('text').forEach((text) => {
        const inner = text.getBBox();
        const slack = 0.5;
        if (inner.x < outer.x - slack || inner.y < outer.y - slack ||
            inner.x + inner.width > outer.x + outer.width + slack ||
            inner.y + inner.height > outer.y + outer.height + slack) {
          const title = node.querySelector('title');
          problems.push(`label '${text.textContent}' spills out of its box ` +
                        `(${title ? title.textContent : node.id})`);
        }
      });
    });
  });
  if (smallest < limits.minText) {
    problems.push(`graph text renders at ${smallest.toFixed(1)} px, under ${limits.minText} px`);
  }
  for (const [i, img] of Array.from(document.querySelectorAll('img.live-plot-drawing')).entries()) {
    if (!visible(img)) continue;
    if (!img.complete) await new Promise((done) => img.addEventListener('load', done));
    if (img.naturalWidth < 10 || img.naturalHeight < 10) {
      problems.push(`plot ${img.src} did not load`);
      continue;
    }
    if (limits.dark) {
      const canvas = document.createElement('canvas');
      canvas.width = 200;
      canvas.height = Math.max(1, Math.round(200 * img.naturalHeight / img.naturalWidth));
      const context = canvas.getContext('2d');
      context.fillStyle = getComputedStyle(document.body).backgroundColor;
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(img, 0, 0, canvas.width, canvas.height);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      for (let p = 0; p < pixels.length; p += 4) {
        sum += (0.2126 * pixels[p] + 0.7152 * pixels[p + 1] + 0.0722 * pixels[p + 2]) / 255;
      }
      const luminance = sum / (pixels.length / 4);
      if (luminance > limits.maxDark) {
        problems.push(`plot ${img.src.split('/').pop()} stays bright in dark mode ` +
                      `(mean luminance ${luminance.toFixed(2)})`);
      }
    }
  }
  return {problems, smallest: smallest === Infinity ? null : smallest};
}"""

# Exercise dropdowns (sphinx-design's <details>) open, so their figures are checked.
OPEN_DROPDOWNS = "document.querySelectorAll('details').forEach((d) => { d.open = true; })"

# The backward-steps figures: one frame shown, and next/previous and the arrow
# keys change the frame and its caption.
STEPS_SCRIPT = """async () => {
  const problems = [];
  const figures = document.querySelectorAll('figure.backward-steps');
  for (const [i, figure] of Array.from(figures).entries()) {
    const name = `backward-steps figure ${i + 1}`;
    const shown = () => Array.from(figure.querySelectorAll('.backward-step'))
      .filter((frame) => frame.getClientRects().length > 0);
    const state = () => {
      const frames = shown();
      const caption = frames.length === 1
        ? frames[0].querySelector('.backward-step-caption').textContent : null;
      const counter = figure.querySelector('.backward-steps-counter');
      return {count: frames.length, caption, counter: counter ? counter.textContent : null};
    };
    const next = figure.querySelector('button.backward-steps-next');
    const previous = figure.querySelector('button.backward-steps-previous');
    if (!next || !previous) {
      problems.push(`${name} has no controls`);
      continue;
    }
    const first = state();
    if (first.count !== 1) {
      problems.push(`${name} shows ${first.count} frames at once`);
      continue;
    }
    next.click();
    const second = state();
    const moved = second.caption !== first.caption && second.counter !== first.counter;
    if (second.count !== 1 || !moved) {
      problems.push(`${name}: 'next' did not change the frame and its caption`);
    }
    previous.click();
    const back = state();
    if (back.caption !== first.caption || back.counter !== first.counter) {
      problems.push(`${name}: 'previous' did not go back to the first frame`);
    }
    figure.focus();
    figure.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
    if (state().caption !== second.caption) {
      problems.push(`${name}: the right arrow key did not show the next frame`);
    }
    figure.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}));
    if (state().caption !== first.caption) {
      problems.push(`${name}: the left arrow key did not show the previous frame`);
    }
  }
  return problems;
}"""


# axe-core's violations on the page as it is (dropdowns open): each rule, and the
# severity and CSS selector of each element that breaks it.
AXE_SCRIPT = """async (rules) => {
  // Two frames: the page's own observers see the dropdowns just opened.
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const options = {resultTypes: ['violations']};
  if (rules) options.runOnly = {type: 'rule', values: rules};
  const results = await axe.run(document, options);
  return results.violations.map((rule) => ({
    id: rule.id,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      impact: node.impact || rule.impact,
      target: node.target.map((part) => Array.isArray(part) ? part.join(' >>> ') : part),
    })),
  }));
}"""


def axe_source() -> str:
    """axe-core's script, the version ``package-lock.json`` pins (else stop and say so)."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    locked = lock["packages"]["node_modules/axe-core"]["version"]
    manifest = AXE.parent / "package.json"
    installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
    if installed != locked:
        raise SystemExit(
            f"axe-core {locked} is not installed (found {installed}): run `npm ci` in {ROOT}"
        )
    return AXE.read_text(encoding="utf-8")


def check_accessibility(
    page: Page,
    source: str,
    counts: Counter[str],
    rules: Counter[tuple[str, str]],
    only: list[str] | None = None,
) -> list[str]:
    """Run axe-core on the page (its default rules, or ``only`` these); count every
    finding, and return the failing ones."""
    page.add_script_tag(content=source)
    problems = []
    for rule in page.evaluate(AXE_SCRIPT, only):
        failing: list[str] = []
        for node in rule["nodes"]:
            counts[node["impact"]] += 1
            rules[(node["impact"], rule["id"])] += 1
            if node["impact"] in AXE_FAILING:
                failing.append(" ".join(node["target"]))
        if failing:
            more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
            problems.append(
                f"axe {rule['id']} ({rule['help']}) on {len(failing)} elements: "
                + ", ".join(failing[:5])
                + more
            )
    return problems


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A page closed while its images still load breaks the pipe: not a site problem.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def find_chromium() -> str | None:
    """The Chromium to drive: ``$CHROMIUM``, else the one on PATH."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


def serve(site: Path) -> tuple[QuietServer, str]:
    """Serve ``site`` on 127.0.0.1 from a background thread; return the server and its URL."""
    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


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


def check_scroll_keys(page: Page, base: str, names: list[str]) -> list[str]:
    """A box that scrolls sideways on a phone is a stop of the Tab key, and the right
    arrow key scrolls it rather than turn the page."""
    page.set_viewport_size({"width": 390, "height": 844})
    for name in names:
        page.goto(f"{base}/{name}", wait_until="load")
        box = page.locator("[data-scroll-region]").first
        if box.count() == 0:
            continue
        if box.get_attribute("tabindex") != "0":
            return [f"{name}: a box that scrolls is not a stop of the Tab key"]
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(500)  # smooth scrolling
        if page.url != f"{base}/{name}":
            return [f"{name}: the right arrow key in a box that scrolls turned the page"]
        if box.evaluate("(box) => box.scrollLeft") <= 0:
            return [f"{name}: the right arrow key did not scroll the box that has the focus"]
        return []
    return ["no box scrolls sideways at 390 px on any page, so none was checked"]


def open_page(context: BrowserContext, url: str, problems: list[str]) -> Page:
    """Open ``url``, recording every console error, page error and failed request."""
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.goto(url, wait_until="load")
    return page


def screenshot(page: Page, name: str, selector: str | None, out: Path, label: str) -> None:
    stem = name.replace("/", "-").removesuffix(".html")
    if selector is None:
        page.screenshot(path=str(out / f"{stem}-{label}.png"))
        return
    for number, element in enumerate(page.locator(selector).all(), start=1):
        element.scroll_into_view_if_needed()
        if element.locator("button.backward-steps-next").count():
            for _ in range(2):  # a frame with a node at work
                element.locator("button.backward-steps-next").click()
        # furo's sticky header and "back to top" button would cover the figure.
        element.screenshot(
            path=str(out / f"{stem}-{number}-{label}.png"),
            style=".mobile-header, .back-to-top { display: none !important; }",
        )
        if number == 3:
            break


def main(site: Path, measure_only: bool = False) -> int:
    chromium = find_chromium()
    if not chromium:
        print("no Chromium found: install Debian's 'chromium' package", file=sys.stderr)
        return 2
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    if not pages:
        print(f"no HTML pages under {site}", file=sys.stderr)
        return 2
    out = site.parent / "screenshots"
    shutil.rmtree(out, ignore_errors=True)  # only this run's screenshots
    out.mkdir()
    axe = None if measure_only else axe_source()
    axe_counts: dict[str, Counter[str]] = {}
    axe_rules: Counter[tuple[str, str]] = Counter()
    axe_seconds = 0.0
    failures: list[str] = []
    smallest: dict[str, dict[str, Any]] = {}
    server, base = serve(site)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        for (width_name, (width, height)), scheme in (
            (viewport, scheme) for viewport in VIEWPORTS.items() for scheme in SCHEMES
        ):
            label = f"{width_name}-{scheme}"
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            for path in pages:
                name = str(path.relative_to(site))
                problems: list[str] = []
                page = open_page(context, f"{base}/{name}", problems)
                limits = {
                    "minText": 0 if measure_only else MIN_TEXT_PX,
                    "maxDark": MAX_DARK_LUMINANCE,
                    "dark": scheme == "dark" and not measure_only,
                }
                page.evaluate(OPEN_DROPDOWNS)
                result = page.evaluate(FIGURES_SCRIPT, limits)
                smallest.setdefault(name, {})
                if result["smallest"] is not None:
                    smallest[name][label] = result["smallest"]
                if axe is not None:
                    started = time.perf_counter()
                    counts = axe_counts.setdefault(label, Counter())
                    only = AXE_PHONE_RULES if width_name == "phone" else None
                    problems += check_accessibility(page, axe, counts, axe_rules, only)
                    axe_seconds += time.perf_counter() - started
                if not measure_only:
                    problems += result["problems"]
                    problems += page.evaluate(STEPS_SCRIPT)
                if name in SCREENSHOTS:
                    page.evaluate("window.scrollTo(0, 0)")
                    screenshot(page, name, SCREENSHOTS[name], out, label)
                failures += [f"{name} ({label}): {problem}" for problem in problems]
                page.close()
            context.close()
        if not measure_only:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            page = context.new_page()
            failures += check_search(page, base)
            failures += check_copy_button(page, base)
            lessons = [str(path.relative_to(site)) for path in pages if "lessons" in path.parts]
            failures += check_scroll_keys(page, base, lessons)
        browser.close()
    server.shutdown()
    print("smallest rendered graph text, CSS px:")
    labels = [f"{w}-{s}" for w in VIEWPORTS for s in SCHEMES]
    print(f"  {'page':44}" + "".join(f"{label:>15}" for label in labels))
    for name, sizes in sorted(smallest.items()):
        cells = "".join(
            f"{sizes[label]:>15.1f}" if label in sizes else f"{'no graph':>15}" for label in labels
        )
        print(f"  {name:44}{cells}")
    overall = min((min(s.values()) for s in smallest.values() if s), default=float("nan"))
    print(f"  overall minimum: {overall:.1f} px")
    print(f"opened {len(pages)} pages at {len(labels)} sizes and schemes; screenshots in {out}")
    if axe_counts:
        print(
            f"axe-core findings (elements) on all {len(pages)} pages, checked in "
            f"{axe_seconds:.0f} s (phone: {', '.join(AXE_PHONE_RULES)} only):"
        )
        print(f"  {'':16}" + "".join(f"{severity:>10}" for severity in AXE_SEVERITIES))
        for label, counts in axe_counts.items():
            print(f"  {label:16}" + "".join(f"{counts[s]:>10}" for s in AXE_SEVERITIES))
        for (severity, rule), count in sorted(axe_rules.items()):
            print(f"  {severity} {rule}: {count}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    measure = "--measure-only" in arguments
    arguments = [a for a in arguments if a != "--measure-only"]
    if len(arguments) != 1:
        raise SystemExit(__doc__)
    raise SystemExit(main(Path(arguments[0]).resolve(), measure_only=measure))
