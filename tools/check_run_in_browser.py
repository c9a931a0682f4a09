"""Check the lessons' downloads and "Run in browser" in headless Chromium.

The built site is served on 127.0.0.1. On each lesson below this checks that
the notebook link downloads a valid notebook of that lesson; that "Run in
browser" loads Python and runs every example; that an edited example prints
its new result and the graph after it is redrawn from the reader's objects;
that an exercise's solution, inside its collapsed dropdown, ran and showed its
result;
that ``window.autogradRun("print(1 + 1)")`` resolves to "2"; and that no
request (the worker's included) leaves 127.0.0.1. On the last lesson it also
checks that an error shows as a traceback under its example and that a loop
that never ends can be stopped. It prints the time from the click to the first
example's output, and saves screenshots of a lesson before and after an edit.

Usage: python tools/check_run_in_browser.py build/html [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

# The site's own browser check, beside this file: one server and one Chromium setup.
from check_site import CHROMIUM_FLAGS, find_chromium, serve
from playwright.sync_api import BrowserContext, Locator, Page, Route, sync_playwright

LOAD_TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class Edit:
    """A reader's edit: in the example containing ``old``, write ``new`` instead, and
    add the line ``append`` at its end.

    ``shows`` is a line that the example must then print (worked out by hand), and
    ``graph_shows`` a text that the graph drawn after it must then contain.
    ``solution`` is a text of an exercise's solution (in a dropdown), and
    ``solution_shows`` a line that it prints when the page runs, as built.
    """

    old: str
    new: str
    append: str
    shows: str
    graph_shows: str
    solution: str
    solution_shows: str


LESSONS = {
    # L = (a*b + c) * f with a = 3: (3*(-3) + 10) * (-2) = -2.
    "lessons/03-value-and-forward-pass.html": Edit(
        old='a = Value(2.0, label="a")',
        new='a = Value(3.0, label="a")',
        append="",
        shows="Value(data=-2.0, grad=0.0)",
        graph_shows="data -2.0000",
        # d = a*b + c = 2*(-3) + 10 = 4 with TinyValue.
        solution="td = ta * tb + tc",
        solution_shows="(4.0, '+', [-6.0, 10.0])",
    ),
    # With f = -3, L = d * f = 4 * (-3) = -12.
    "lessons/04-backprop-by-hand.html": Edit(
        old='f = Value(-2.0, label="f")',
        new='f = Value(-3.0, label="f")',
        append="L.data",
        shows="-12.0",
        graph_shows="data -12.0000",
        # nudged_L with f moved by -1: (2*(-3) + 10) * (-3) = -12.
        solution="base = nudged_L(df=-1.0)",
        solution_shows="-12.0",
    ),
    # b = a + a with a = 5 is 10.
    "lessons/09-node-used-twice.html": Edit(
        old='a = ForgetfulValue(3.0, label="a")',
        new='a = ForgetfulValue(5.0, label="a")',
        append="b.data",
        shows="10.0",
        graph_shows="data 10.0000",
        # f = a*b + a at a = 2, b = -3: df/da = b + 1 = -2.
        solution="(a * b + a).backward()",
        solution_shows="-2.0",
    ),
}
SCREENSHOT_LESSON = "lessons/03-value-and-forward-pass.html"


def state(page: Page) -> str:
    return str(page.evaluate("document.querySelector('.autograd-downloads').dataset.state"))


def wait_for_state(page: Page, *states: str) -> str:
    page.wait_for_function(
        f"{json.dumps(list(states))}.includes("
        "document.querySelector('.autograd-downloads').dataset.state)",
        timeout=LOAD_TIMEOUT_MS,
    )
    return state(page)


def check_notebook(page: Page, name: str, out: Path) -> list[str]:
    """The notebook link downloads a valid notebook with the page's first example in it."""
    with page.expect_download() as download_info:
        page.click("a.autograd-download[href$='.ipynb']")
    path = out / download_info.value.suggested_filename
    download_info.value.save_as(path)
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:
        return [f"{name}: the notebook is not valid: {error}"]
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    first = page.evaluate(
        "JSON.parse(document.querySelector('.autograd-run-steps').textContent)[0].code"
    )
    if not code or code[0].strip() != first.strip():
        return [f"{name}: the notebook's first code cell is not the page's first example"]
    return []


def editor_with(page: Page, text: str) -> Locator | None:
    editors = page.locator("textarea.autograd-editor")
    for index in range(editors.count()):
        if text in editors.nth(index).input_value():
            return editors.nth(index)
    return None


def graph_after(editor: Locator) -> Locator:
    """The first graph after the editor's example on the page that Run in browser redraws.

    The frames of a ``backward-steps`` figure stay as the build drew them.
    """
    return editor.locator(
        "xpath=following::div[contains(@class, 'value-graph-drawing')"
        " and not(ancestor::div[contains(@class, 'backward-steps-frames')])][1]"
    )


def run_edited(page: Page, editor: Locator, code: str) -> str:
    editor.fill(code)
    editor.locator("xpath=following-sibling::button[1]").click()
    wait_for_state(page, "ready", "failed", "stopped")
    return editor.locator("xpath=following-sibling::pre[1]").inner_text()


def unexpected_errors(page: Page) -> list[str]:
    """The tracebacks shown under examples whose page shows no traceback."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('pre.autograd-output.autograd-error')]
            .filter((output) => {
              const example = output.closest('.autograd-live').previousElementSibling;
              return !example.textContent.includes('Traceback (most recent call last)');
            })
            .map((output) => output.textContent)"""
        )
    )


def screenshot_between(page: Page, first: Locator, last: Locator, path: Path) -> None:
    """A screenshot of the page from ``first`` down to ``last`` (an example and its graph)."""
    top = first.evaluate("e => e.closest('.autograd-live').getBoundingClientRect().top + scrollY")
    bottom = last.evaluate("e => e.closest('figure').getBoundingClientRect().bottom + scrollY")
    clip = {"x": 0, "y": max(top - 80, 0), "width": 1280, "height": bottom - top + 120}
    page.screenshot(path=str(path), full_page=True, clip=clip)


def check_solution(page: Page, name: str, edit: Edit) -> list[str]:
    """An exercise's solution, inside its dropdown, became an example that ran."""
    solution = editor_with(page, edit.solution)
    if solution is None:
        return [f"{name}: no example contains the solution's {edit.solution!r}"]
    if not solution.evaluate("e => e.closest('details') !== null"):
        return [f"{name}: the example with {edit.solution!r} is not inside a dropdown"]
    # The dropdown is closed: its text is read from the document, not from the screen.
    printed = solution.locator("xpath=following-sibling::pre[1]").text_content() or ""
    if edit.solution_shows not in printed.splitlines():
        return [f"{name}: the solution printed {printed!r}, not {edit.solution_shows!r}"]
    return []


def check_lesson(page: Page, name: str, edit: Edit, screenshots: Path | None) -> list[str]:
    problems: list[str] = []
    if screenshots is not None:
        page.screenshot(path=str(screenshots / "run-in-browser-before-run.png"), full_page=True)
    started = time.perf_counter()
    page.click("button.autograd-run-start")
    if screenshots is not None:
        page.wait_for_timeout(1000)
        page.screenshot(path=str(screenshots / "run-in-browser-loading.png"))
    page.wait_for_selector("pre.autograd-output:not([hidden])", timeout=LOAD_TIMEOUT_MS)
    first_output = time.perf_counter() - started
    if wait_for_state(page, "ready", "failed", "stopped") != "ready":
        return [f"{name}: Run in browser did not finish: {page.inner_text('.autograd-run-status')}"]
    timings = page.evaluate("window.autogradTimings")
    print(
        f"{name}: first example's output {first_output:.1f} s after the click; Python loaded "
        f"in {timings['loadSeconds']:.1f} s (Pyodide {timings['python']:.1f} s, Viz.js "
        f"{timings['graphviz']:.1f} s, wheels {timings['wheels']:.1f} s, in parallel)"
    )
    problems += [
        f"{name}: an example failed in the browser:\n{text}" for text in unexpected_errors(page)
    ]
    problems += check_solution(page, name, edit)
    editor = editor_with(page, edit.old)
    if editor is None:
        return [*problems, f"{name}: no example contains {edit.old!r}"]
    graph = graph_after(editor)
    before = graph.inner_html()
    if screenshots is not None:
        screenshot_between(page, editor, graph, screenshots / "run-in-browser-before-edit.png")
    code = editor.input_value().replace(edit.old, edit.new)
    printed = run_edited(page, editor, f"{code}\n{edit.append}" if edit.append else code)
    if edit.shows not in printed.splitlines():
        problems.append(f"{name}: the edited example printed {printed!r}, not {edit.shows!r}")
    after = graph.inner_html()
    if after == before or edit.graph_shows not in graph.inner_text():
        problems.append(f"{name}: the graph was not redrawn with {edit.graph_shows!r}")
    if screenshots is not None:
        screenshot_between(page, editor, graph, screenshots / "run-in-browser-after-edit.png")
    answer = page.evaluate("window.autogradRun('print(1 + 1)')")
    if answer != "2":
        problems.append(f"{name}: autogradRun('print(1 + 1)') gave {answer!r}")
    return problems


def check_errors_and_stop(page: Page, name: str) -> list[str]:
    """An exception shows as a traceback; a loop that never ends is stopped by Stop."""
    problems = []
    editor = page.locator("textarea.autograd-editor").first
    printed = run_edited(page, editor, "1 / 0")
    if "ZeroDivisionError: division by zero" not in printed or "Traceback" not in printed:
        problems.append(f"{name}: an error showed {printed!r}, not its traceback")
    editor.fill("while True:\n    pass")
    editor.locator("xpath=following-sibling::button[1]").click()
    wait_for_state(page, "running")
    page.wait_for_timeout(500)
    page.click("button.autograd-run-stop")
    if wait_for_state(page, "stopped", "ready", "failed") != "stopped":
        problems.append(f"{name}: Stop did not stop a loop that never ends")
    answer = page.evaluate("window.autogradRun('print(1 + 1)')")
    if answer != "2":
        problems.append(f"{name}: after Stop, autogradRun('print(1 + 1)') gave {answer!r}")
    return problems


def watch_requests(context: BrowserContext, base: str, seen: list[str], outside: list[str]) -> None:
    """Record every request of the pages and their workers; refuse any that leaves the site."""

    def route(route: Route) -> None:
        url = route.request.url
        seen.append(url)
        if url.startswith((base + "/", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", route)


def main(site: Path, screenshots: Path | None) -> int:
    chromium = find_chromium()
    if not chromium:
        print("no Chromium found: install Debian's 'chromium' package", file=sys.stderr)
        return 2
    missing = [name for name in LESSONS if not (site / name).exists()]
    if missing:
        print(f"not in {site}: {', '.join(missing)}", file=sys.stderr)
        return 2
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    downloads = site.parent / "downloads"
    downloads.mkdir(exist_ok=True)
    server, base = serve(site)
    failures: list[str] = []
    seen: list[str] = []
    outside: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        watch_requests(context, base, seen, outside)
        for index, (name, edit) in enumerate(LESSONS.items()):
            page = context.new_page()
            page.on("pageerror", lambda error, name=name: page_errors.append(f"{name}: {error}"))
            page.on(
                "console",
                lambda message, name=name: (
                    page_errors.append(f"{name}: console: {message.text}")
                    if message.type == "error"
                    else None
                ),
            )
            page.goto(f"{base}/{name}", wait_until="load")
            failures += check_notebook(page, name, downloads)
            shots = screenshots if name == SCREENSHOT_LESSON else None
            failures += check_lesson(page, name, edit, shots)
            if index == len(LESSONS) - 1:
                failures += check_errors_and_stop(page, name)
            page.close()
        browser.close()
    server.shutdown()
    failures += page_errors
    # Only if the worker's own requests were seen does "nothing left the site" mean anything.
    if not any(url.endswith("/pyodide.asm.wasm") for url in seen):
        failures.append("the worker's requests were not seen, so the network check proves nothing")
    failures += [f"a request left the site: {url}" for url in sorted(set(outside))]
    print(
        f"\nchecked {len(LESSONS)} lessons: notebook, Run in browser, a solution in its dropdown, "
        "an edit, a redrawn graph, "
        f"autogradRun; {len(seen)} requests, all to {base}"
        if not outside
        else f"{len(outside)} requests left the site"
    )
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. build/html")
    parser.add_argument("--screenshots", type=Path, help="where to save screenshots")
    arguments = parser.parse_args()
    raise SystemExit(main(arguments.site.resolve(), arguments.screenshots))
