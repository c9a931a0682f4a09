"""Check the lessons' downloads and "Run in browser" in headless Chromium.

The built site is served on 127.0.0.1. On every lesson this checks that the
notebook link downloads a valid notebook with the lesson's examples, and that
"Run in browser" loads Python, runs every example and shows what the page
shows: each example's output matches the page's (as its doctest does), a
``python`` block prints nothing, a graph is drawn again with the same labels,
and an example that runs only when the site is built (it needs numpy or
matplotlib, or a name that such an example defines) keeps the page's output
and says so in its note. On the lessons with such a note and those in
``LESSONS``, axe-core must find nothing critical or serious in the page as
Run in browser left it. On the lessons in ``LESSONS`` it also checks that an
edited example prints its new result and the graph after it is redrawn from
the reader's objects; that an exercise's solution, inside its collapsed
dropdown, ran and showed its result; and that
``window.autogradRun("print(1 + 1)")`` resolves to "2". On the last of those
it checks that an error shows as a traceback under its example and that a
loop that never ends can be stopped. No request (the worker's included) may
leave 127.0.0.1. It prints, for each lesson, the time from the click to the
first step and to the last, and saves screenshots of a lesson before and
after an edit.

Usage: python tools/check_run_in_browser.py build/html [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import doctest
import json
import math
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

# The site's own browser check, beside this file: one server and one Chromium setup.
from check_site import CHROMIUM_FLAGS, axe_source, check_accessibility, find_chromium, serve
from playwright.sync_api import BrowserContext, Locator, Page, Route, sync_playwright

LOAD_TIMEOUT_MS = 120_000
# As the page's doctests compare (autograd.sphinxext.doctests.OPTION_FLAGS).
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


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
AT_ONCE = 2
"""How many lessons run at once (each page's Python runs in a worker of its own)."""


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
    """The notebook link downloads a valid notebook with the page's examples in it, in order."""
    with page.expect_download() as download_info:
        page.click("a.autograd-download[href$='.ipynb']")
    path = out / download_info.value.suggested_filename
    download_info.value.save_as(path)
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:
        return [f"{name}: the notebook is not valid: {error}"]
    # A block of examples may be split into several cells, one per output.
    cells = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    steps = page.evaluate(
        "JSON.parse(document.querySelector('.autograd-run-steps').textContent)"
        ".filter((step) => step.code).map((step) => step.code)"
    )
    position = 0
    for number, code in enumerate(steps, start=1):
        found = cells.find(code.rstrip("\n"), position)
        if found < 0:
            return [f"{name}: the notebook lacks the page's example {number}, or has it elsewhere"]
        position = found + len(code.rstrip("\n"))
    return [] if steps else [f"{name}: the page has no example"]


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


# Each runnable step of the page, as the page shows it: a doctest's text, a graph's
# labels, and, once it has run, its output, whether it is shown as an error, and
# its note if it runs only when the site is built.
STEPS_SCRIPT = """() => {
  const steps = JSON.parse(document.querySelector('.autograd-run-steps').textContent);
  const labels = (element) => {
    const svg = element.querySelector('.value-graph-drawing .graph-wide svg');
    return svg ? [...svg.querySelectorAll('text')].map((text) => text.textContent) : null;
  };
  return steps.map((step) => {
    const element = document.querySelector(`.${CSS.escape(step.element)}`);
    const box = step.kind === 'doctest' || step.kind === 'script'
      ? element.nextElementSibling : element.querySelector('.autograd-live');
    const live = box && box.classList.contains('autograd-live') ? box : null;
    const output = live ? live.querySelector('pre.autograd-output') : null;
    const note = live ? live.querySelector('.autograd-note') : null;
    const pre = element.querySelector('pre');
    return {
      kind: step.kind,
      fromBuild: step.from_build || null,
      text: pre ? pre.textContent : '',
      shown: getComputedStyle(element).display !== 'none',
      labels: labels(element),
      output: output && !output.hidden ? output.textContent : '',
      error: Boolean(output && output.classList.contains('autograd-error')),
      note: note ? note.textContent : null,
    };
  });
}"""


def expected_output(text: str) -> str:
    """What a ``>>>`` block shows as output, all its examples' together."""
    return "".join(example.want for example in doctest.DocTestParser().get_examples(text))


FLOAT = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
ROUNDING_ULPS = 4
"""How many floats apart (units in the last place) a number may be and count as rounding."""


def rounding_only(want: str, got: str) -> bool:
    """Do ``want`` and ``got`` differ only in floats a few units in the last place apart?

    The site is built with the C library's math functions (glibc's, on Linux),
    and the browser's Python has WebAssembly's (musl's). A few of them round
    some results to a neighbouring float: ``tanh(0.8813735870195432)`` is
    0.7071067811865477 with glibc 2.36 and 0.7071067811865476 (correctly
    rounded) in the browser, and what is computed from it differs a little more.
    """
    wanted, gotten = FLOAT.findall(want), FLOAT.findall(got)
    if len(wanted) != len(gotten) or wanted == gotten:
        return False
    if any(
        abs(float(w) - float(g)) > ROUNDING_ULPS * math.ulp(float(w))
        for w, g in zip(wanted, gotten, strict=True)
    ):
        return False
    replaced = iter(wanted)
    return doctest.OutputChecker().check_output(
        want, FLOAT.sub(lambda _: next(replaced), got), DOCTEST_FLAGS
    )


def compare_steps(
    name: str, before: list[dict], after: list[dict], rounding: list[str]
) -> list[str]:
    """Each step's output in the browser against what the page showed before it ran.

    A doctest's output that differs only in the last digits of some floats is
    added to ``rounding`` (see `rounding_only`), not to the problems returned.
    """
    problems = []
    checker = doctest.OutputChecker()
    for number, (page, run) in enumerate(zip(before, after, strict=True), start=1):
        where = f"{name}, step {number} ({page['kind']})"
        if page["fromBuild"]:
            if run["note"] != page["fromBuild"] or not run["shown"] or run["output"]:
                problems.append(
                    f"{where}: runs only when the site is built, but the page "
                    f"does not keep its output with the note {page['fromBuild']!r}"
                )
            elif page["labels"] != run["labels"]:
                problems.append(f"{where}: the build's drawing was replaced")
            continue
        if run["note"] is not None:
            problems.append(f"{where}: has a note {run['note']!r} but should run")
        if page["kind"] == "doctest":
            want = expected_output(page["text"])
            if not checker.check_output(want, run["output"], DOCTEST_FLAGS):
                example = doctest.Example("", want)
                difference = checker.output_difference(example, run["output"], DOCTEST_FLAGS)
                if rounding_only(want, run["output"]):
                    rounding.append(f"{where}:\n{difference}")
                else:
                    problems.append(f"{where}: the output differs from the page's:\n{difference}")
        elif page["kind"] == "script":
            if run["output"].strip():
                problems.append(f"{where}: printed {run['output']!r}; the page shows nothing")
        elif page["kind"] == "value-graph":
            if run["output"].strip() or run["error"]:
                problems.append(f"{where}: {run['output']}")
            elif sorted(run["labels"] or []) != sorted(page["labels"] or []):
                problems.append(
                    f"{where}: the graph drawn in the browser says {sorted(run['labels'] or [])}"
                    f", the page's {sorted(page['labels'] or [])}"
                )
    return problems


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


def start_lesson(page: Page, screenshots: Path | None) -> tuple[list[dict], float]:
    """Click Run in browser; return the steps as the page showed them, and when."""
    before = page.evaluate(STEPS_SCRIPT)
    if screenshots is not None:
        page.screenshot(path=str(screenshots / "run-in-browser-before-run.png"), full_page=True)
    started = time.perf_counter()
    page.click("button.autograd-run-start")
    if screenshots is not None:
        page.wait_for_timeout(1000)
        page.screenshot(path=str(screenshots / "run-in-browser-loading.png"))
    return before, started


def finish_lesson(
    page: Page, name: str, before: list[dict], started: float, rounding: list[str]
) -> list[str]:
    """Once the whole page ran in the browser: every step shows what the page showed."""
    if wait_for_state(page, "ready", "failed", "stopped") != "ready":
        return [f"{name}: Run in browser did not finish: {page.inner_text('.autograd-run-status')}"]
    finished = time.perf_counter() - started
    timings = page.evaluate("window.autogradTimings")
    shown_from_build = sum(1 for step in before if step["fromBuild"])
    print(
        f"{name}: {len(before)} steps ({shown_from_build} shown from the build) in "
        f"{finished:.1f} s after the click; the first step ran after "
        f"{timings['firstRunSeconds']:.1f} s; Python loaded in {timings['loadSeconds']:.1f} s "
        f"(Pyodide {timings['python']:.1f} s, Viz.js {timings['graphviz']:.1f} s, "
        f"wheels {timings['wheels']:.1f} s, in parallel)"
    )
    problems = [
        f"{name}: an example failed in the browser:\n{text}" for text in unexpected_errors(page)
    ]
    return problems + compare_steps(name, before, page.evaluate(STEPS_SCRIPT), rounding)


def check_edits(page: Page, name: str, edit: Edit, screenshots: Path | None) -> list[str]:
    """After the page ran: a solution ran in its dropdown; an edit reruns and redraws."""
    problems = check_solution(page, name, edit)
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


def open_lesson(context: BrowserContext, url: str, name: str, errors: list[str]) -> Page:
    """A new page at ``url`` whose errors, its worker's included, go to ``errors``."""
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{name}: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(f"{name}: console: {message.text}") if message.type == "error" else None
        ),
    )
    page.goto(url, wait_until="load")
    return page


def lessons_of(site: Path) -> list[str]:
    """The pages of the site with "Run in browser": every lesson."""
    return sorted(
        str(path.relative_to(site))
        for path in (site / "lessons").glob("*.html")
        if 'class="autograd-run-steps"' in path.read_text(encoding="utf-8")
    )


def main(site: Path, screenshots: Path | None) -> int:
    chromium = find_chromium()
    if not chromium:
        print("no Chromium found: install Debian's 'chromium' package", file=sys.stderr)
        return 2
    lessons = lessons_of(site) if (site / "lessons").is_dir() else []
    missing = [name for name in LESSONS if name not in lessons]
    if missing:
        print(f"no Run in browser in {site}: {', '.join(missing)}", file=sys.stderr)
        return 2
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    downloads = site.parent / "downloads"
    downloads.mkdir(exist_ok=True)
    axe = axe_source()
    server, base = serve(site)
    failures: list[str] = []
    seen: list[str] = []
    outside: list[str] = []
    page_errors: list[str] = []
    rounding: list[str] = []
    started = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        watch_requests(context, base, seen, outside)
        for batch in (lessons[i : i + AT_ONCE] for i in range(0, len(lessons), AT_ONCE)):
            running = []
            for name in batch:
                page = open_lesson(context, f"{base}/{name}", name, page_errors)
                failures += check_notebook(page, name, downloads)
                shots = screenshots if name == SCREENSHOT_LESSON else None
                running.append((name, page, shots, *start_lesson(page, shots)))
            for name, page, shots, before, clicked in running:
                failures += finish_lesson(page, name, before, clicked, rounding)
                if name in LESSONS or page.locator(".autograd-note").count():
                    # What Run in browser adds (editors, outputs, notes) is accessible too.
                    problems = check_accessibility(page, axe, Counter(), Counter())
                    failures += [f"{name} (after Run in browser): {p}" for p in problems]
                if name in LESSONS:
                    failures += check_edits(page, name, LESSONS[name], shots)
                if name == list(LESSONS)[-1]:
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
        f"\nchecked {len(lessons)} lessons in {time.perf_counter() - started:.0f} s: notebook, "
        "Run in browser with every step as the page shows it; on "
        f"{len(LESSONS)} of them a solution in its dropdown, an edit, a redrawn graph, "
        f"autogradRun; {len(seen)} requests, all to {base}"
        if not outside
        else f"{len(outside)} requests left the site"
    )
    if rounding:
        print(
            f"\nNOT THE SAME AS THE PAGE, in the last digits only: {len(rounding)} examples print "
            f"floats up to {ROUNDING_ULPS} units in the last place from the page's, because the "
            "browser's math library (musl, in WebAssembly) rounds differently from the one the "
            "site was built with (glibc). The page should not show those digits:"
        )
        print("\n".join(rounding))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. build/html")
    parser.add_argument("--screenshots", type=Path, help="where to save screenshots")
    arguments = parser.parse_args()
    raise SystemExit(main(arguments.site.resolve(), arguments.screenshots))
