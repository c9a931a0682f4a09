"""Running a page's examples in order, in one namespace, with exact line numbers.

A ``pycon`` block (lines that start with ``>>>``) is a doctest: each example
runs and its output must match what the page shows; what it writes to
stderr is part of that output, as in a Python console. A ``python`` block
runs as a script and must print nothing, to stdout or stderr, since the
page would not show it.

Whatever an example raises, ``SystemExit`` and ``KeyboardInterrupt`` included,
is a failure at its line; so is a warning the page does not show, and an
example that runs longer than the page's time limit. What an example wrote
to stderr is also added to its failure message.
"""

from __future__ import annotations

import doctest
import io
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from types import FrameType, TracebackType
from typing import Any, TextIO

from autograd.sphinxext.doctests import (
    CollectingRunner,
    ExampleFailure,
    compare,
    format_exception,
    indent,
)
from autograd.sphinxext.protocol import Checked

__all__ = ["WALL_FACTOR", "ExampleTimeout", "PageRunner"]

WALL_FACTOR = 10
"""An example's time limit counts the CPU time it uses, so that a busy machine does
not fail it; waiting (on a lock, a socket, a sleep) is bounded by this many times
the limit in wall-clock time."""


class ExampleTimeout(BaseException):
    """Raised inside an example that runs longer than its page allows (see `WALL_FACTOR`).

    A `BaseException`, so that an example's ``except Exception`` cannot hide it.
    """


class PageRunner:
    r"""The namespace of one page, and the examples run in it so far.

    ``timeout`` limits each example to that many seconds of CPU time (and
    `WALL_FACTOR` times as many seconds in all); ``on_start`` is told the file
    and line of each example just before it runs.

    >>> runner = PageRunner("lesson.md")
    >>> runner.run_doctest(">>> x = 2\n>>> x * 3\n6\n", first_line=10)
    []
    >>> runner.run_doctest(">>> x + 1\n4\n", first_line=20)[0].line
    20
    >>> print(runner.run_script("raise SystemExit(0)", first_line=30)[0].message)
    this code block raised:
        SystemExit: 0
    """

    def __init__(
        self,
        filename: str,
        timeout: float | None = None,
        on_start: Callable[[str, int], None] | None = None,
        on_check: Callable[[Checked], None] | None = None,
        written: Callable[[], str] | None = None,
        log: TextIO | None = None,
    ) -> None:
        self.filename = filename
        self._on_check = on_check
        # What reached the process's stdout and stderr file descriptors since last
        # asked (a program an example started, os.write): part of the example's output.
        self.written = written or (lambda: "")
        self.namespace: dict[str, Any] = {"__name__": "__page__"}
        self.examples_run = 0
        self.timeout = timeout
        self._on_start = on_start or (lambda source, line: None)
        self._warnings: list[str] | None = None
        self._stderr = _PageStderr(log)

    def run_doctest(
        self, text: str, first_line: int, source: str | None = None
    ) -> list[ExampleFailure]:
        """Run the ``>>>`` examples of ``text``, whose first line is ``first_line``."""
        source = source or self.filename
        parser = doctest.DocTestParser()
        try:
            test = parser.get_doctest(text, {}, source, source, 0)
        except ValueError as error:
            return [ExampleFailure(first_line, f"this example cannot be read: {error}")]
        if not test.examples:
            return [
                ExampleFailure(
                    first_line,
                    "this console block has no '>>>' example; mark it as 'text' "
                    "if it is not meant to run",
                )
            ]
        test.globs = self.namespace  # a DocTest copies the globals it is given

        def start(example: doctest.Example) -> None:
            self._disarm()  # the last example's limit must not strike while reporting
            self._on_start(source, first_line + example.lineno)
            self._arm()

        compared_here: list[Checked] = []

        def check(example: doctest.Example, got: str, raised: bool, flags: int) -> None:
            if not raised:  # what went past sys.stdout came first, as in a console
                got = self.written() + got
            want = (example.exc_msg or "") if raised else example.want
            line = first_line + example.lineno
            checked = Checked(source, line, example.source, want, got, raised, flags)
            (self._on_check or compared_here.append)(checked)

        runner = CollectingRunner(start, check)
        stderr = self._stderr.into(runner.capture)
        escaped: list[ExampleFailure] = []
        try:
            with redirect_stderr(self._stderr), self._warnings_to(None):
                runner.run(test, out=lambda _: None, clear_globs=False)
        except BaseException as error:  # KeyboardInterrupt, or a timeout between examples
            current = runner.current or test.examples[0]
            escaped.append(
                ExampleFailure(
                    first_line + current.lineno,
                    f"{current.source.rstrip()}\nRaised:\n"
                    f"{indent(format_exception(type(error), error))}",
                )
            )
        finally:
            self._disarm()
            self._stderr.into(None)
        self.examples_run += len(test.examples)
        failures = [
            ExampleFailure(first_line + example.lineno, message)
            for example, message in runner.collected
        ]
        mismatches = [found for c in compared_here if (found := compare(c)) is not None]
        failures = _with_stderr(failures + escaped, stderr.getvalue())
        late = self.written()  # after the last output was taken: with a failure, or alone
        if late and failures:
            failures[-1] = _with_output(failures[-1], late)
        elif late:
            failures.append(_with_output(ExampleFailure(first_line, "this block"), late))
        return mismatches + failures

    def run_script(
        self, code: str, first_line: int, source: str | None = None
    ) -> list[ExampleFailure]:
        """Run a plain code block; it fails if it raises, warns or prints."""
        source = source or self.filename
        self.examples_run += 1
        padded = "\n" * (first_line - 1) + code
        printed = io.StringIO()
        stderr = self._stderr.into(io.StringIO())
        warned: list[str] = []
        self._on_start(source, first_line)
        try:
            compiled = compile(padded, source, "exec")
            with (
                redirect_stdout(printed),
                redirect_stderr(self._stderr),
                self._warnings_to(warned),
            ):
                self._arm()
                try:
                    exec(compiled, self.namespace)
                finally:
                    self._disarm()
        except BaseException:
            self._stderr.into(None)
            error_type, error, tb = sys.exc_info()
            assert error_type is not None and error is not None
            line = _line_in(tb, source) or getattr(error, "lineno", None) or first_line
            message = format_exception(error_type, error).rstrip()
            failed = _with_stderr(
                [ExampleFailure(line, f"this code block raised:\n    {message}")],
                stderr.getvalue(),
            )
            late = self.written()
            return [_with_output(failed[0], late)] if late else failed
        self._stderr.into(None)
        failures = [
            ExampleFailure(first_line, f"this code block gave a warning:\n    {warning}")
            for warning in warned
        ]
        for what, text in (
            ("printed output that", printed.getvalue()),
            ("wrote to stderr what", stderr.getvalue()),
            ("wrote to its file descriptors (a program it started, os.write) what", self.written()),
        ):
            if text:
                failures.append(
                    ExampleFailure(
                        first_line,
                        f"this code block {what} the page does not show; "
                        "write it as a '>>>' example instead:\n" + indent(text),
                    )
                )
        return failures

    def evaluate(self, expression: str, source: str | None = None) -> Any:
        """The value of ``expression`` in the page's namespace."""
        return eval(compile(expression, source or self.filename, "eval"), self.namespace)

    @contextmanager
    def guarded(self, line: int, source: str | None = None) -> Iterator[list[str]]:
        """Run the body under the time limit; it yields the warnings given meanwhile."""
        warned: list[str] = []
        self._on_start(source or self.filename, line)
        with self._warnings_to(warned):
            self._arm()
            try:
                yield warned
            finally:
                self._disarm()

    def show_warning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        """Where `warnings` sends a warning: into the example's output or its failures.

        In a doctest the warning is printed as ``Category: message``, so a page
        that expects it shows that line; elsewhere it is a failure.
        """
        text = f"{category.__name__}: {message}"
        if self._warnings is None:
            print(text)
        else:
            self._warnings.append(text)

    @contextmanager
    def _warnings_to(self, sink: list[str] | None) -> Iterator[None]:
        saved = self._warnings
        self._warnings = sink
        try:
            yield
        finally:
            self._warnings = saved

    def _arm(self) -> None:
        if self.timeout:
            for number in (signal.SIGPROF, signal.SIGALRM):
                signal.signal(number, self._time_is_up)
            signal.setitimer(signal.ITIMER_PROF, self.timeout)
            signal.setitimer(signal.ITIMER_REAL, self.timeout * WALL_FACTOR)

    def _disarm(self) -> None:
        if self.timeout:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _time_is_up(self, signum: int, frame: FrameType | None) -> None:
        assert self.timeout is not None
        if signum == signal.SIGPROF:
            what = f"computed for more than {self.timeout:g} s"
        else:
            what = f"did not finish within {self.timeout * WALL_FACTOR:g} s"
        raise ExampleTimeout(
            f"the example {what}, its time limit (raise it with autograd_timeout "
            "in conf.py, autograd-timeout in the page's front matter, or the class "
            "autograd-timeout-SECONDS on a code-block)"
        )


class _PageStderr(io.TextIOBase):
    """The page's ``sys.stderr``, whatever keeps hold of it.

    During a doctest it writes into the example's output, as a console
    shows it; during a ``python`` block, into what the block must not
    write; between blocks, to the build's log. So a logging handler set up
    in one block still writes where the block running now writes. Each
    block's share is also kept, so that a failure can say what came from
    stderr. Closing it does not close anything: the page goes on.
    """

    def __init__(self, log: TextIO | None = None) -> None:
        super().__init__()
        self._target: TextIO | None = None
        self._kept = io.StringIO()
        self._log = log

    def into(self, target: TextIO | None) -> io.StringIO:
        """Send what follows to ``target`` (None: the build's log); return where it is kept."""
        self._target = target
        self._kept = io.StringIO()
        return self._kept

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        target = self._target or self._log or sys.__stderr__
        if target is not None:
            target.write(text)
        return self._kept.write(text)

    def flush(self) -> None:
        log = self._log or sys.__stderr__
        if self._target is None and log is not None:
            log.flush()

    def close(self) -> None:
        pass


def _with_stderr(failures: list[ExampleFailure], stderr: str) -> list[ExampleFailure]:
    if not stderr.strip():
        return failures
    return [
        ExampleFailure(f.line, f"{f.message.rstrip()}\nIt wrote to stderr:\n{indent(stderr)}")
        for f in failures
    ]


def _with_output(failure: ExampleFailure, written: str) -> ExampleFailure:
    message = failure.message.rstrip()
    text = f"{message}\nIt wrote to its file descriptors (a program it started, os.write):\n"
    return ExampleFailure(failure.line, text + indent(written))


def _line_in(tb: TracebackType | None, filename: str) -> int | None:
    """The deepest line of ``tb`` that belongs to the page."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line
