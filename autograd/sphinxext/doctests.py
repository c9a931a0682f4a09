"""Doctest outputs: recorded in the page process, judged in the build.

The page process runs each ``>>>`` example with a `CollectingRunner`, which
decides nothing: its checker hands every output on (as a
`autograd.sphinxext.protocol.Checked` message). The build then calls `compare`
with doctest's own rules and the page's option flags, so no page code can
change how its outputs are judged.
"""

from __future__ import annotations

import doctest
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TextIO

from autograd.sphinxext.protocol import Checked

__all__ = ["OPTION_FLAGS", "CollectingRunner", "ExampleFailure", "compare"]

OPTION_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


@dataclass(frozen=True)
class ExampleFailure:
    r"""One example that did not print what its page shows.

    >>> from autograd.sphinxext.examples import PageRunner
    >>> PageRunner("page.md").run_doctest(">>> 1 + 1\n3\n", first_line=4)[0].line
    4
    """

    line: int
    message: str


class Recorder(doctest.OutputChecker):
    """Passes every example on to ``runner.on_check``, to be compared elsewhere."""

    def __init__(self, runner: CollectingRunner) -> None:
        self.runner = runner

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        example = self.runner.current
        assert example is not None
        # doctest compares an expected exception's last line as ``want``
        raised = example.exc_msg is not None and want is example.exc_msg
        self.runner.on_check(example, got, raised, optionflags)
        return True


class CollectingRunner(doctest.DocTestRunner):
    """A doctest runner that hands each output on, and keeps exceptions nobody expected.

    Whether an output matches the page is not decided here but by `compare`,
    in the build process, where page code cannot reach the comparison.
    """

    def __init__(
        self,
        on_start: Callable[[doctest.Example], None],
        on_check: Callable[[doctest.Example, str, bool, int], None],
    ) -> None:
        super().__init__(checker=Recorder(self), verbose=False, optionflags=OPTION_FLAGS)
        # doctest's own capture of an example's output, which it makes sys.stdout
        # while the example runs (private: doctest offers no public name for it)
        self.capture: TextIO = vars(self)["_fakeout"]
        self.collected: list[tuple[doctest.Example, str]] = []
        self.current: doctest.Example | None = None
        self._on_start = on_start
        self.on_check = on_check

    def report_start(self, out: Any, test: doctest.DocTest, example: doctest.Example) -> None:
        self.current = example
        self._on_start(example)

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
        self._collect(example, "Raised", format_exception(exc_info[0], exc_info[1]))

    def _collect(self, example: doctest.Example, heading: str, actual: str) -> None:
        self.collected.append(
            (
                example,
                f"{example.source.rstrip()}\nExpected:\n{indent(example.want)}"
                f"{heading}:\n{indent(actual)}",
            )
        )


def compare(checked: Checked) -> ExampleFailure | None:
    r"""Does an example's output match what its page shows? If not, the failure.

    >>> from autograd.sphinxext.doctests import OPTION_FLAGS, compare
    >>> from autograd.sphinxext.protocol import Checked
    >>> compare(Checked("p.md", 3, "1 + 1\n", "2\n", "2\n", False, OPTION_FLAGS)) is None
    True
    >>> failure = compare(Checked("p.md", 3, "1 + 1\n", "3\n", "2\n", False, OPTION_FLAGS))
    >>> print(failure.message, end="")
    1 + 1
    Expected:
        3
    Got:
        2
    """
    checker = doctest.OutputChecker()
    want, got = checked.want, checked.got
    if checked.raised and checked.flags & doctest.IGNORE_EXCEPTION_DETAIL:
        want, got = (text.partition(":")[0].rpartition(".")[2] for text in (want, got))
    if checker.check_output(want, got, checked.flags):
        return None
    heading = "Raised" if checked.raised else "Got"
    return ExampleFailure(
        checked.line,
        f"{checked.code.rstrip()}\nExpected:\n{indent(checked.want)}"
        f"{heading}:\n{indent(checked.got)}",
    )


def indent(text: str) -> str:
    lines = text.rstrip("\n").splitlines() or ["(nothing)"]
    return "".join(f"    {line}\n" for line in lines)


def format_exception(error_type: type[BaseException], error: BaseException) -> str:
    return "".join(traceback.format_exception_only(error_type, error))
