"""Running one page in a child process, so that pages cannot change each other.

The build process never runs an example. For each page it forks a child,
which starts from the build's own clean state (modules as imported, nothing
patched, the same random seeds for every page), runs the page's items in
order and streams back what happened: the example it is starting, the
attributes each node gained, failures, and the project files the page
imported or read. The child then ends with ``os._exit``, so a thread or a
process left running by an example cannot keep the build alive, and no
global change it made (``os.chdir``, ``logging.disable``, a patched method)
reaches the next page.

If the child dies without a word (``os._exit`` in an example, a crash) or
stops answering past the time limit, the failure is reported at the last
example it started.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.util
import os
import pickle
import random
import select
import signal
import struct
import sys
import time
import traceback
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

from docutils import nodes

from autograd.sphinxext.blocks import Item
from autograd.sphinxext.examples import WALL_FACTOR, ExampleFailure, PageRunner
from autograd.sphinxext.figures import draw_figure
from autograd.sphinxext.wasm_cache import warm_graphviz

__all__ = ["Failure", "PageResult", "preload", "run_page"]

PRELOADED = ("numpy", "matplotlib.pyplot")
"""The modules a build of many pages imports before it forks the page processes."""

GRACE = 5.0
"""Seconds the build waits past an example's wall-clock limit before it stops the child."""
WORKER_FAILED = 113
"""The exit status of a child that failed on its own, not because of an example."""


@dataclass(frozen=True)
class Failure:
    """A failure at a file and line."""

    source: str
    line: int
    message: str


@dataclass
class PageResult:
    """What running a page gave: node attributes, failures, counts and inputs."""

    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    examples: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)


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
    figure_prefix: str,
    timeout: float,
    project: Path,
    excluded: Iterable[Path],
) -> PageResult:
    """Run ``items`` in a child process; return what they gave."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        _child(write_end, items, page, figure_prefix, timeout, project, list(excluded))
    os.close(write_end)
    with contextlib.suppress(OSError):  # the child has done it, or is already gone
        os.setpgid(pid, pid)
    result = PageResult()
    try:
        outcome, place, limit = _collect(read_end, result)
    finally:
        os.close(read_end)
        _stop(pid)
        _, status = os.waitpid(pid, 0)
    result.seconds = time.perf_counter() - started
    source, line = place or (page, 1)
    if outcome == "silent":
        result.failures.append(
            Failure(
                source,
                line,
                f"the example did not finish within {limit * WALL_FACTOR:g} s and did "
                "not respond to its time limit; its process was stopped",
            )
        )
    elif outcome == "gone" and _exit_code(status) == WORKER_FAILED:
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


def _collect(read_end: int, result: PageResult) -> tuple[str, tuple[str, int] | None, float]:
    """Read the child's messages into ``result`` until it is done, gone or silent.

    Returns how it ended, and the place and time limit of the last example it started.
    """
    reader = _Reader(read_end)
    place: tuple[str, int] | None = None
    limit = 0.0
    deadline = None
    while True:
        wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        message = reader.next(wait)
        if message is None:
            return "silent", place, limit
        if message == ():
            return "gone", place, limit
        tag = message[0]
        if tag == "start":
            place, limit = (message[1], message[2]), message[3]
            deadline = time.monotonic() + limit * WALL_FACTOR + GRACE if limit else None
        elif tag == "node":
            result.updates[message[1]] = message[2]
        elif tag == "failure":
            result.failures.append(Failure(message[1], message[2], message[3]))
        elif tag == "done":
            result.examples, result.files = message[1], message[2]
            return "done", place, limit


def _exit_code(status: int) -> int | None:
    return None if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _stop(pid: int) -> None:
    """End the child and anything it left running in its process group."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


class _Reader:
    """Length-prefixed pickled messages from a pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def next(self, wait: float | None) -> tuple[Any, ...] | None:
        """The next message; ``()`` at the end of the stream; None if none came in time."""
        limit = None if wait is None else time.monotonic() + wait
        while True:
            if len(self.buffer) >= 4:
                (size,) = struct.unpack("!I", self.buffer[:4])
                if len(self.buffer) >= 4 + size:
                    message = pickle.loads(self.buffer[4 : 4 + size])
                    self.buffer = self.buffer[4 + size :]
                    assert isinstance(message, tuple)
                    return message
            left = None if limit is None else max(limit - time.monotonic(), 0.0)
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return ()
            self.buffer += chunk


def _child(
    write_end: int,
    items: list[tuple[nodes.Element, Item]],
    page: str,
    figure_prefix: str,
    timeout: float,
    project: Path,
    excluded: list[Path],
) -> None:
    """Run the page and report; never returns."""
    code = 0
    try:

        def send(*message: Any) -> None:
            data = pickle.dumps(message)
            data = struct.pack("!I", len(data)) + data
            while data:  # a pipe may take a long message in parts
                data = data[os.write(write_end, data) :]

        read: set[str] = set()
        _prepare_process(read)
        runner = PageRunner(
            page,
            timeout=timeout or None,
            on_start=lambda source, line: send("start", source, line, runner.timeout or 0),
        )
        warnings.showwarning = runner.show_warning
        figures = 0
        for index, (node, item) in enumerate(items):
            before = dict(node.attributes)
            if item.kind == "figure":
                figures += 1
            runner.timeout = item.timeout if item.timeout is not None else timeout or None
            failures = _run_item(runner, node, item, f"{figure_prefix}_g{figures}")
            for failure in failures:
                send("failure", item.source, failure.line, failure.message)
            changed = {k: v for k, v in node.attributes.items() if before.get(k) != v}
            if changed:
                send("node", index, changed)
        send("done", runner.examples_run, _project_files(read, project, excluded))
    except BaseException:
        code = WORKER_FAILED
        traceback.print_exc()
    finally:
        os._exit(code)


def _prepare_process(read: set[str]) -> None:
    """The same starting state for every page, and no way to wait for input."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = open(os.devnull)  # noqa: SIM115 (it lives as long as the process)
    # The page's objects die with the process: no cyclic collector needed.
    gc.disable()
    random.seed(0)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(0)
    sys.meta_path.insert(0, _AsIfPreloaded())
    warnings.resetwarnings()
    warnings.simplefilter("always")
    # When an unclosed file is collected says nothing about the example that made it.
    warnings.simplefilter("ignore", ResourceWarning)

    def note_open(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
            if "r" in mode and "+" not in mode:
                read.add(os.fsdecode(args[0]))

    sys.addaudithook(note_open)


class _AsIfPreloaded(importlib.abc.MetaPathFinder):
    """Makes a page that imports NumPy or matplotlib itself run as if the build had.

    A build of one page does not import them in advance (it would cost more
    than the page). When the page does, directly or through a module of its
    own, what their import prints goes to the build's log, as it does when
    the build imports them, never into an example's output (matplotlib, on
    a machine without a writable home folder, says where it puts its
    cache); and NumPy's global random generator is seeded with 0, as every
    page's is. A mere lookup (``importlib.util.find_spec``) changes nothing.
    """

    def __init__(self) -> None:
        self._looking = False
        self._packages = {name.partition(".")[0] for name in PRELOADED}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] not in self._packages or self._looking:
            return None
        self._looking = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._looking = False
        loader = spec.loader if spec is not None else None
        if loader is None:
            return spec
        load = loader.exec_module

        def exec_module_quietly(module: ModuleType) -> None:
            with contextlib.redirect_stderr(sys.__stderr__):
                load(module)
            if fullname == "numpy":
                module.random.seed(0)

        loader.exec_module = exec_module_quietly  # type: ignore[method-assign]
        return spec


def _run_item(
    runner: PageRunner, node: nodes.Element, item: Item, figure_id: str
) -> list[ExampleFailure]:
    if item.kind == "doctest":
        return runner.run_doctest(item.text, item.line, item.source)
    if item.kind == "script":
        return runner.run_script(item.text, item.line, item.source)
    what = "eval" if item.kind == "eval" else node.tagname.replace("_", "-")
    try:
        with runner.guarded(item.line, item.source) as warned:
            try:
                target = runner.evaluate(item.text, item.source)
            except BaseException as error:
                return [
                    ExampleFailure(
                        item.line,
                        f"{what}: cannot evaluate {item.text!r}: {type(error).__name__}: {error}",
                    )
                ]
            if item.kind == "eval":
                from autograd.sphinxext.inline import show_result

                show_result(node, str(target))
            else:
                draw_figure(node, target, figure_id)
    except BaseException as error:
        return [ExampleFailure(item.line, f"{what}: {type(error).__name__}: {error}")]
    return [ExampleFailure(item.line, f"{what} gave a warning: {text}") for text in warned]


def _project_files(read: set[str], project: Path, excluded: list[Path]) -> list[str]:
    """The files of the project that the page imported or read."""
    outside = [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    outside += [p.resolve() for p in excluded]
    files = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        filename = getattr(module, "__file__", None)
        if filename and (name == "autograd" or name.startswith("autograd.")):
            files.add(Path(filename).resolve())
        elif filename:
            path = Path(filename).resolve()
            if path.is_relative_to(project) and not _inside(path, outside):
                files.add(path)
    for name in read:
        path = Path(name).resolve()
        if (
            path.is_relative_to(project)
            and not _inside(path, outside)
            and "__pycache__" not in path.parts
            and path.is_file()
        ):
            files.add(path)
    return sorted(str(path) for path in files)


def _inside(path: Path, folders: list[Path]) -> bool:
    return any(path.is_relative_to(folder) for folder in folders)
