"""Running one page in a child process, so that pages cannot change each other.

The build process never runs an example. For each page it forks a child,
which starts from the build's own clean state (modules as imported, nothing
patched, the same random seeds for every page), runs the page's items in
order and streams back what happened as typed records
(`autograd.sphinxext.protocol`): the example it is starting, each doctest
example's output (the build compares it with the page), each figure's and
``{eval}``'s result, failures, and the project files the page imported or
read. The build checks that every example and figure of the page reported.
The child then ends with ``os._exit``, so a thread or a process left
running by an example cannot keep the build alive, and no global change it
made (``os.chdir``, ``logging.disable``, a patched method) reaches the next
page.

If the child dies without a word (``os._exit`` in an example, a crash) or
stops answering past the time limit, the failure is reported at the last
example it started.
"""

from __future__ import annotations

import contextlib
import doctest
import os
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from docutils import nodes

from autograd.sphinxext.blocks import Item
from autograd.sphinxext.doctests import ExampleFailure, compare
from autograd.sphinxext.drawings import draw_figure
from autograd.sphinxext.examples import WALL_FACTOR, PageRunner
from autograd.sphinxext.protocol import (
    Checked,
    EvalText,
    Failed,
    Filled,
    Finished,
    Message,
    MessageReader,
    ProtocolError,
    Result,
    Started,
    write_message,
)
from autograd.sphinxext.sandbox import (
    FAILED_ITSELF,
    PRELOADED,
    Capture,
    Watch,
    kill_descendants,
    prepare,
    project_files,
)
from autograd.sphinxext.wasm_cache import warm_graphviz

__all__ = ["Failure", "PageResult", "preload", "run_page"]


GRACE = 5.0
"""Seconds the build waits past an example's wall-clock limit before it stops the child."""


@dataclass(frozen=True)
class Failure:
    """A failure at a file and line."""

    source: str
    line: int
    message: str


@dataclass
class PageResult:
    """What running a page gave: results by item, failures, counts and inputs."""

    results: dict[int, Result] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # as they came, in order
    examples: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)  # what the page read that no file records
    environ: dict[str, str | None] = field(default_factory=dict)  # variables read: their values


def preload(modules: bool = True) -> None:
    """Prepare, once in the build process, what most pages use, so that no page pays for it.

    That is Graphviz and, with ``modules``, NumPy and matplotlib. A page then
    starts with these modules as freshly imported as any other. Without
    them, a page that uses NumPy imports it itself, and its global random
    generator is seeded the same way the moment it is imported.
    """
    if modules:
        for name in PRELOADED:
            with contextlib.suppress(ImportError):
                __import__(name)
    warm_graphviz()


def run_page(
    items: list[tuple[nodes.Element, Item]],
    page: str,
    timeout: float,
    project: Path,
    excluded: Iterable[Path],
    protected: Iterable[Path] = (),
) -> PageResult:
    """Run ``items`` in a child process; return what they gave.

    Files the page reads in ``project``, except in the ``excluded`` folders
    (the build's output), are its dependencies. The page may not change
    files in the ``protected`` folders (the sources, the configuration) or
    in the ``excluded`` ones.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        excluded = list(excluded)
        _child(write_end, items, page, timeout, project, excluded, [*protected, *excluded])
    os.close(write_end)
    result = PageResult()
    reported: set[tuple[str, int]] = set()
    try:
        outcome, place, limit = _collect(read_end, result, reported)
    finally:
        os.close(read_end)
        _stop(pid)
        _, status = os.waitpid(pid, 0)
    result.seconds = time.perf_counter() - started
    source, line = place or (page, 1)
    if outcome == "done" and not result.failures:
        result.failures += _unreported(items, result, reported)
    if outcome == "garbled":
        result.failures.append(
            Failure(
                source,
                line,
                "the process running the page sent something that is not a report "
                "(did the example write to a file descriptor it did not open?); "
                "the rest of the page did not run",
            )
        )
    elif outcome == "silent":
        result.failures.append(
            Failure(
                source,
                line,
                f"the example did not finish within {limit * WALL_FACTOR:g} s and did "
                "not respond to its time limit; its process was stopped",
            )
        )
    elif outcome == "gone" and _exit_code(status) == FAILED_ITSELF:
        result.failures.append(
            Failure(
                source,
                line,
                "the process running the page failed while running or reporting this "
                "example (its traceback is printed above); the rest of the page did not run",
            )
        )
    elif outcome == "gone":
        result.failures.append(
            Failure(
                source,
                line,
                f"the example ended the process running the page ({_status(status)}); "
                "the rest of the page did not run",
            )
        )
    return result


def _collect(
    read_end: int, result: PageResult, reported: set[tuple[str, int]]
) -> tuple[str, tuple[str, int] | None, float]:
    """Read the child's messages into ``result`` until it is done, gone, silent or garbled.

    Doctest outputs are compared here, in the build process. ``reported``
    collects the places that sent a result or a failure. Returns how the
    child ended, and the place and time limit of the last example it started.
    """
    reader = MessageReader(read_end)
    place: tuple[str, int] | None = None
    limit = 0.0
    deadline = None
    while True:
        wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            message = reader.next(wait)
        except ProtocolError:
            return "garbled", place, limit
        if message is not None and not isinstance(message, str):
            result.messages.append(message)
        match message:
            case None:
                return "silent", place, limit
            case "end":
                return "gone", place, limit
            case Started(source, line, limit):
                place = (source, line)
                deadline = time.monotonic() + limit * WALL_FACTOR + GRACE if limit else None
            case Checked():
                reported.add((message.source, message.line))
                mismatch = compare(message)
                if mismatch is not None:
                    result.failures.append(Failure(message.source, mismatch.line, mismatch.message))
            case Filled(index, found):
                result.results[index] = found
            case Failed(source, line, text):
                reported.add((source, line))
                result.failures.append(Failure(source, line, text))
            case Finished(examples, files, untracked, environ):
                result.examples, result.files = examples, list(files)
                result.untracked, result.environ = list(untracked), dict(environ)
                return "done", place, limit


def _unreported(
    items: list[tuple[nodes.Element, Item]], result: PageResult, reported: set[tuple[str, int]]
) -> list[Failure]:
    """A failure for each example and figure that ran but told nothing of how it went.

    An example's output is compared here, in the build; one that sent none
    (its doctest machinery changed by the page, say) cannot pass silently.
    An example marked ``+SKIP`` would show an output that nothing checks.
    """
    missing: list[Failure] = []
    parser = doctest.DocTestParser()
    for index, (_, item) in enumerate(items):
        if item.kind in ("figure", "eval"):
            if index not in result.results:
                missing.append(Failure(item.source, item.line, f"this {item.kind} sent no result"))
            continue
        if item.kind != "doctest":
            continue
        try:
            examples = parser.get_examples(item.text)
        except ValueError:
            continue  # the page process reported it at its line
        for example in examples:
            line = item.line + example.lineno
            if example.options.get(doctest.SKIP):
                missing.append(
                    Failure(
                        item.source,
                        line,
                        "this example is marked +SKIP: the page would show an output that "
                        "nothing checks; remove the directive, or show the block as 'text'",
                    )
                )
            elif (item.source, line) not in reported:
                missing.append(
                    Failure(item.source, line, "this example ran but sent no output to check")
                )
    return missing


def _exit_code(status: int) -> int | None:
    return None if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _stop(pid: int) -> None:
    """End the child and everything it started, in its process group or not."""
    kill_descendants(pid)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _child(
    write_end: int,
    items: list[tuple[nodes.Element, Item]],
    page: str,
    timeout: float,
    project: Path,
    excluded: list[Path],
    protected: list[Path],
) -> None:
    """Run the page and report; never returns."""
    code = 0
    build = os.getppid()
    log: TextIO = sys.__stderr__ or sys.stderr
    try:

        def send(message: Message) -> None:
            write_message(write_end, message)

        capture = Capture()
        log = capture.log
        watch = Watch(protected)
        prepare(page, watch, log, build)
        runner = PageRunner(
            page,
            timeout=timeout or None,
            on_start=lambda source, line: send(Started(source, line, runner.timeout or 0)),
            on_check=send,
            written=capture.written,
            log=log,
        )
        warnings.showwarning = runner.show_warning
        for index, (node, item) in enumerate(items):
            runner.timeout = item.timeout if item.timeout is not None else timeout or None
            found, failures = _run_item(runner, node, item)
            for failure in failures:
                send(Failed(item.source, failure.line, failure.message))
            if found is not None:
                send(Filled(index, found))
        files = project_files(watch.read, project, excluded)
        untracked = tuple(sorted(watch.untracked))
        send(Finished(runner.examples_run, tuple(files), untracked, watch.environ))
    except BaseException:
        code = FAILED_ITSELF
        traceback.print_exc(file=log)
        log.flush()
    finally:
        kill_descendants(os.getpid())  # nothing a page started outlives it
        os._exit(code)


def _run_item(
    runner: PageRunner, node: nodes.Element, item: Item
) -> tuple[Result | None, list[ExampleFailure]]:
    """Run one item: its result (a figure's or an ``{eval}``'s), and its failures."""
    if item.kind == "doctest":
        return None, runner.run_doctest(item.text, item.line, item.source)
    if item.kind == "script":
        return None, runner.run_script(item.text, item.line, item.source)
    what = "eval" if item.kind == "eval" else node.tagname.replace("_", "-")
    try:
        with runner.guarded(item.line, item.source) as warned:
            try:
                target = runner.evaluate(item.text, item.source)
            except BaseException as error:
                message = f"{what}: cannot evaluate {item.text!r}: {type(error).__name__}: {error}"
                return None, [ExampleFailure(item.line, message)]
            written = runner.written()
            if written:
                message = f"{what} wrote output the page does not show:\n{written}"
                return None, [ExampleFailure(item.line, message)]
            if item.kind == "eval":
                text = str(target)
                if not text.isascii():
                    text.encode("utf-8")  # a lone surrogate cannot reach a page
                found: Result = EvalText(text)
            else:
                found = draw_figure(node, target, item.figure_id)
    except BaseException as error:
        return None, [ExampleFailure(item.line, f"{what}: {type(error).__name__}: {error}")]
    failures = [ExampleFailure(item.line, f"{what} gave a warning: {text}") for text in warned]
    return (None if failures else found), failures
