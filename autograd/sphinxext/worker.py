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
import gc
import importlib.abc
import importlib.util
import os
import random
import select
import signal
import struct
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import msgspec
from docutils import nodes

from autograd.sphinxext.blocks import Item
from autograd.sphinxext.examples import WALL_FACTOR, ExampleFailure, PageRunner, compare
from autograd.sphinxext.figures import draw_figure
from autograd.sphinxext.protocol import (
    Checked,
    EvalText,
    Failed,
    Filled,
    Finished,
    Message,
    ProtocolError,
    Result,
    Started,
    decode,
    encode,
)
from autograd.sphinxext.wasm_cache import warm_graphviz

__all__ = ["Failure", "PageResult", "preload", "run_page"]

PRELOADED = ("numpy", "matplotlib.pyplot")
"""The modules a build of many pages imports before it forks the page processes."""

GRACE = 5.0
"""Seconds the build waits past an example's wall-clock limit before it stops the child."""
MESSAGE_LIMIT = 1 << 30
"""The largest message the build reads from a page process, in bytes."""
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
) -> PageResult:
    """Run ``items`` in a child process; return what they gave.

    The page may not change files in ``project`` or in the ``excluded``
    folders (the build's output), and files it reads there, except in the
    ``excluded`` folders, are its dependencies.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        excluded = list(excluded)
        _child(write_end, items, page, timeout, project, excluded, [project, *excluded])
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


def _collect(
    read_end: int, result: PageResult, reported: set[tuple[str, int]]
) -> tuple[str, tuple[str, int] | None, float]:
    """Read the child's messages into ``result`` until it is done, gone, silent or garbled.

    Doctest outputs are compared here, in the build process. ``reported``
    collects the places that sent a result or a failure. Returns how the
    child ended, and the place and time limit of the last example it started.
    """
    reader = _Reader(read_end)
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
    _kill_descendants(pid)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    """The processes below ``root``, from Linux's ``/proc`` (none elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the name in parentheses may hold spaces; the parent's pid follows it
            fields = entry.read_text().rsplit(")", 1)[1].split()
            parents[int(entry.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _kill_descendants(root: int) -> None:
    """Kill every process below ``root``, also those that started a session of their own."""
    for _ in range(20):  # a process may start another while we look
        found = _descendants(root)
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if root == os.getpid():
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
        time.sleep(0.01)


def _stay_with_the_build(build: int) -> None:
    """Make the page process the parent of every orphan below it, and end with the build.

    Linux only: a process an example starts in a session of its own is
    reparented to the page process when its own parent ends, so the page
    process can end it; and the page process is told (SIGTERM) when the
    process that forked it ends, and then ends what it started.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    child_subreaper, parent_death_signal = 36, 1  # PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG
    libc.prctl(child_subreaper, 1, 0, 0, 0)
    libc.prctl(parent_death_signal, signal.SIGTERM, 0, 0, 0)

    def end(signum: int, frame: object) -> None:
        _kill_descendants(os.getpid())
        os._exit(WORKER_FAILED)

    signal.signal(signal.SIGTERM, end)
    if os.getppid() != build:  # the build ended before the signal was asked for
        end(signal.SIGTERM, None)


class _Reader:
    """Length-prefixed messages from a pipe, decoded as `autograd.sphinxext.protocol` records."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def next(self, wait: float | None) -> Message | str | None:
        """The next message; ``"end"`` at the end of the stream; None if none came in time.

        Raises `ProtocolError` for bytes that are not a message.
        """
        limit = None if wait is None else time.monotonic() + wait
        while True:
            if len(self.buffer) >= 4:
                (size,) = struct.unpack("!I", self.buffer[:4])
                if size > MESSAGE_LIMIT:
                    raise ProtocolError(f"a message of {size} bytes")
                if len(self.buffer) >= 4 + size:
                    message = decode(self.buffer[4 : 4 + size])
                    self.buffer = self.buffer[4 + size :]
                    return message
            left = None if limit is None else max(limit - time.monotonic(), 0.0)
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return "end"
            self.buffer += chunk


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
            if isinstance(message, Checked) and not message.got.isascii():
                # An output that is not valid Unicode is shown, and then fails, escaped.
                got = message.got.encode("utf-8", "backslashreplace").decode("utf-8")
                message = msgspec.structs.replace(message, got=got)
            data = encode(message)
            data = struct.pack("!I", len(data)) + data
            while data:  # a pipe may take a long message in parts
                data = data[os.write(write_end, data) :]

        capture = _Capture()
        log = capture.log
        watch = _Watch(protected)
        _prepare_process(page, watch, log, build)
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
        files = _project_files(watch.read, project, excluded)
        untracked = tuple(sorted(watch.untracked))
        send(Finished(runner.examples_run, tuple(files), untracked, watch.environ))
    except BaseException:
        code = WORKER_FAILED
        traceback.print_exc(file=log)
        log.flush()
    finally:
        _kill_descendants(os.getpid())  # nothing a page started outlives it
        os._exit(code)


def _prepare_process(page: str, watch: _Watch, log: TextIO, build: int) -> None:
    """The same starting state for every page, and no way to wait for input."""
    # A session of its own: one process group to stop, and no controlling
    # terminal, so that nothing (getpass() opens /dev/tty) can wait for a reader.
    os.setsid()
    _stay_with_the_build(build)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = open(os.devnull)  # noqa: SIM115 (it lives as long as the process)
    # Whatever folder the build was started from, a page runs in its own.
    os.chdir(Path(page).resolve().parent)
    # The collector runs as in any Python program (a page's reference cycles are
    # freed), but never scans the objects the page process starts with.
    gc.freeze()
    random.seed(0)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(0)
    sys.meta_path.insert(0, _AsIfPreloaded(log))
    warnings.resetwarnings()
    warnings.simplefilter("always")
    # When an unclosed file is collected says nothing about the example that made it.
    warnings.simplefilter("ignore", ResourceWarning)
    sys.addaudithook(watch.audit)
    watch.watch_environ()


class _Capture:
    """The page process's stdout and stderr file descriptors, kept in a file and read back.

    Output that goes past ``sys.stdout`` and ``sys.stderr`` (a program an
    example started, ``os.write(1, ...)``, a C library) is then part of the
    example's output, checked like the rest, instead of reaching the build's
    log unseen. ``log`` is the build's own stderr, for what the page process
    itself has to say.
    """

    def __init__(self) -> None:
        self.log: TextIO = os.fdopen(
            os.dup(2), "w", buffering=1, encoding="utf-8", errors="backslashreplace"
        )
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (it lives as long as the process)
        self._fd = self._file.fileno()
        for fd in (1, 2):
            os.dup2(self._fd, fd)
        self._seen = 0

    def written(self) -> str:
        """What reached the file descriptors since the last call."""
        for stream in (sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                if stream is not None:
                    stream.flush()
        size = os.fstat(self._fd).st_size
        data = os.pread(self._fd, size - self._seen, self._seen)
        self._seen = size
        return data.decode("utf-8", "backslashreplace")


_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CHANGES = {
    "os.remove": (0,),
    "os.rename": (0, 1),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.move": (0, 1),
}
"""Audit events that change a file or folder, and which of their arguments names it."""
_UNTRACKED = {
    "os.listdir": "listed a folder",
    "os.scandir": "listed a folder",
    "subprocess.Popen": "started a program",
    "os.system": "started a program",
    "os.posix_spawn": "started a program",
    "os.exec": "started a program",
    "sqlite3.connect": "opened a database",
    "socket.connect": "opened a connection",
}
"""Audit events whose input the build cannot follow from one build to the next."""


class _Watch:
    """What a page reads, and the folders it must not change.

    Files the page reads become the page's dependencies; a page that lists
    a folder, starts a program, opens a database or a connection read
    something no dependency records, so it runs again at the next build.
    A page that tries to write into the project, the output or the build's
    own folder gets a `PermissionError` at that line.
    """

    def __init__(self, protected: list[Path]) -> None:
        self.read: set[str] = set()
        self.untracked: set[str] = set()
        self.environ: dict[str, str | None] = {}
        self.protected = [folder.resolve() for folder in protected]

    def watch_environ(self) -> None:
        """Note each variable read from ``os.environ`` (``os.getenv`` too), set or not."""
        seen = self.environ

        class ReadEnviron(type(os.environ)):  # type: ignore[misc]
            def __getitem__(self, key: str) -> str:
                try:
                    value: str = super().__getitem__(key)
                except KeyError:
                    seen.setdefault(key, None)
                    raise
                seen.setdefault(key, value)
                return value

        os.environ.__class__ = ReadEnviron

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writes = (
                any(letter in mode for letter in "wax+")
                if isinstance(mode, str)
                else bool(isinstance(flags, int) and flags & _WRITES)
            )
            if writes:
                self._refuse(event, args[0])
            else:
                self.read.add(os.fsdecode(args[0]))
        elif event in _CHANGES:
            for index in _CHANGES[event]:
                self._refuse(event, args[index])
        elif event in _UNTRACKED:
            self.untracked.add(_UNTRACKED[event])

    def _refuse(self, event: str, path: object) -> None:
        if not isinstance(path, str | bytes | os.PathLike):
            return  # a file descriptor: it was opened, and checked, before
        target = Path(os.fsdecode(path)).resolve()
        for folder in self.protected:
            if target.is_relative_to(folder):
                raise PermissionError(
                    f"a page may not change files in {folder} ({event} {target}); "
                    "write into a temporary folder (tempfile.TemporaryDirectory) instead"
                )


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

    def __init__(self, log: TextIO) -> None:
        self._log = log
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
            with contextlib.redirect_stderr(self._log):
                load(module)
            if fullname == "numpy":
                module.random.seed(0)

        loader.exec_module = exec_module_quietly  # type: ignore[method-assign]
        return spec


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
