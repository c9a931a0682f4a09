"""Running a page's examples in order, in one namespace, with exact line numbers.

A ``pycon`` block (lines that start with ``>>>``) is a doctest: each example
runs and its output must match what the page shows. A ``python`` block runs
as a script and must print nothing, since the page would not show it.
"""

from __future__ import annotations

import doctest
import io
import sys
import traceback
from contextlib import redirect_stdout
from dataclasses import dataclass
from types import TracebackType
from typing import Any

__all__ = ["ExampleFailure", "PageRunner"]

OPTION_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


@dataclass(frozen=True)
class ExampleFailure:
    r"""One example that did not print what its page shows.

    >>> PageRunner("page.md").run_doctest(">>> 1 + 1\n3\n", first_line=4)[0].line
    4
    """

    line: int
    message: str


class _CollectingRunner(doctest.DocTestRunner):
    """A doctest runner that keeps failures instead of printing them."""

    def __init__(self) -> None:
        super().__init__(verbose=False, optionflags=OPTION_FLAGS)
        self.collected: list[tuple[doctest.Example, str]] = []

    def report_start(self, out: Any, test: doctest.DocTest, example: doctest.Example) -> None:
        pass

    def report_success(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        pass

    def report_failure(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        self._collect(example, "Got", got)

    def report_unexpected_exception(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, exc_info: ExcInfo
    ) -> None:
        self._collect(example, "Raised", _format_exception(exc_info[0], exc_info[1]))

    def _collect(self, example: doctest.Example, heading: str, actual: str) -> None:
        self.collected.append(
            (
                example,
                f"{example.source.rstrip()}\nExpected:\n{_indent(example.want)}"
                f"{heading}:\n{_indent(actual)}",
            )
        )


def _indent(text: str) -> str:
    lines = text.rstrip("\n").splitlines() or ["(nothing)"]
    return "".join(f"    {line}\n" for line in lines)


def _format_exception(error_type: type[BaseException], error: BaseException) -> str:
    return "".join(traceback.format_exception_only(error_type, error))


class PageRunner:
    r"""The namespace of one page, and the examples run in it so far.

    >>> runner = PageRunner("lesson.md")
    >>> runner.run_doctest(">>> x = 2\n>>> x * 3\n6\n", first_line=10)
    []
    >>> runner.run_doctest(">>> x + 1\n4\n", first_line=20)[0].line
    20
    """

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.namespace: dict[str, Any] = {"__name__": "__page__"}
        self.examples_run = 0

    def run_doctest(self, text: str, first_line: int) -> list[ExampleFailure]:
        """Run the ``>>>`` examples of ``text``, whose first line is ``first_line``."""
        parser = doctest.DocTestParser()
        try:
            test = parser.get_doctest(text, {}, self.filename, self.filename, 0)
        except ValueError as error:
            return [ExampleFailure(first_line, f"this example cannot be read: {error}")]
        test.globs = self.namespace  # a DocTest copies the globals it is given
        runner = _CollectingRunner()
        runner.run(test, out=lambda _: None, clear_globs=False)
        self.examples_run += len(test.examples)
        return [
            ExampleFailure(first_line + example.lineno, message)
            for example, message in runner.collected
        ]

    def run_script(self, code: str, first_line: int) -> list[ExampleFailure]:
        """Run a plain code block; it fails if it raises or prints."""
        self.examples_run += 1
        source = "\n" * (first_line - 1) + code
        printed = io.StringIO()
        try:
            compiled = compile(source, self.filename, "exec")
            with redirect_stdout(printed):
                exec(compiled, self.namespace)
        except Exception:
            error_type, error, tb = sys.exc_info()
            assert error_type is not None and error is not None
            line = _line_in(tb, self.filename) or getattr(error, "lineno", None) or first_line
            message = _format_exception(error_type, error).rstrip()
            return [ExampleFailure(line, f"this code block raised:\n    {message}")]
        if printed.getvalue():
            return [
                ExampleFailure(
                    first_line,
                    "this code block printed output that the page does not show; "
                    "write it as a '>>>' example instead:\n" + _indent(printed.getvalue()),
                )
            ]
        return []

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the page's namespace."""
        return eval(compile(expression, self.filename, "eval"), self.namespace)


def _line_in(tb: TracebackType | None, filename: str) -> int | None:
    """The deepest line of ``tb`` that belongs to the page."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line
