"""The page process's surroundings: what it starts from, what it may do, what it read.

`prepare` gives every page process the same start, whatever the build did
before: its own session with no terminal, empty standard input, the page's
folder as working directory, the collector freed from the objects it starts
with, seeded random generators, warnings shown, NumPy and matplotlib as if
preloaded. `Capture` keeps what reaches its stdout and stderr file
descriptors; `Watch` refuses changes to the project and the build's output
and notes what the page read; `kill_descendants` ends whatever it started.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.util
import os
import random
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

__all__ = [
    "FAILED_ITSELF",
    "PRELOADED",
    "Capture",
    "Watch",
    "kill_descendants",
    "prepare",
    "project_files",
]

PRELOADED = ("numpy", "matplotlib.pyplot")
"""The modules a build of many pages imports before it forks the page processes."""
FAILED_ITSELF = 113
"""The exit status of a page process that failed on its own, not because of an example."""


def descendants(root: int) -> list[int]:
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


def kill_descendants(root: int) -> None:
    """Kill every process below ``root``, also those that started a session of their own."""
    for _ in range(20):  # a process may start another while we look
        found = descendants(root)
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
        kill_descendants(os.getpid())
        os._exit(FAILED_ITSELF)

    signal.signal(signal.SIGTERM, end)
    if os.getppid() != build:  # the build ended before the signal was asked for
        end(signal.SIGTERM, None)


def prepare(page: str, watch: Watch, log: TextIO, build: int) -> None:
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


class Capture:
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


class Watch:
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


def project_files(read: set[str], project: Path, excluded: list[Path]) -> list[str]:
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
