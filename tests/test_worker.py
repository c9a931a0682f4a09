"""The page process, fed hand-made pages: the typed messages it sends for each way a page ends."""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.utils import new_document

from autograd.sphinxext.blocks import plan_page
from autograd.sphinxext.directives import value_graph
from autograd.sphinxext.inline import eval_result
from autograd.sphinxext.protocol import (
    Checked,
    EvalText,
    Failed,
    Filled,
    Finished,
    GraphFigure,
    Started,
)
from autograd.sphinxext.worker import run_page


def page(*blocks: tuple[str, str]) -> nodes.document:
    """A page of blocks, each (language, code), one every ten lines."""
    document = new_document("page.md", get_default_settings())
    for number, (language, code) in enumerate(blocks):
        block = nodes.literal_block(code, code, language=language)
        block.line = 10 * number + 1
        document += block
    return document


def run(document: nodes.document, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    items = plan_page(document, "page.md", "page")
    return run_page(items, "page.md", timeout, Path.cwd(), [])


def kinds(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(message).__name__ for message in result.messages]


def test_a_passing_page_sends_each_start_each_output_and_its_end() -> None:
    result = run(page(("pycon", ">>> x = 2\n>>> x * 3\n6\n"), ("python", "y = x + 1\n")))
    assert kinds(result) == ["Started", "Checked", "Started", "Checked", "Started", "Finished"]
    assert result.messages[0] == Started("page.md", 2, 5.0)
    assert result.messages[3] == Checked("page.md", 3, "x * 3\n", "6\n", "6\n", False, 12)
    finished = result.messages[-1]
    assert isinstance(finished, Finished) and finished.examples == 2 + 1
    assert result.failures == []


def test_a_wrong_output_is_found_wrong_by_the_build_not_the_page() -> None:
    result = run(page(("pycon", ">>> 1 + 1\n3\n")))
    assert result.messages[1] == Checked("page.md", 2, "1 + 1\n", "3\n", "2\n", False, 12)
    (failure,) = result.failures
    assert (failure.source, failure.line) == ("page.md", 2)
    assert failure.message.startswith("1 + 1\nExpected:\n    3\nGot:\n    2")


def test_an_unexpected_exception_is_a_failure_the_page_process_sends() -> None:
    result = run(page(("pycon", ">>> 1 / 0\n")))
    assert kinds(result) == ["Started", "Failed", "Finished"]
    assert isinstance(result.messages[1], Failed)
    assert "ZeroDivisionError: division by zero" in result.messages[1].message


def test_figures_and_values_come_back_as_typed_results() -> None:
    document = page(("pycon", ">>> from autograd import Value\n>>> a = Value(2.0) * 3\n"))
    document += value_graph(expression="a", alt="", width="", rankdir="LR", max_nodes=50)
    document[-1].line = 20
    paragraph = nodes.paragraph()
    value = eval_result("", "", expression="a.data")
    value.line = 30
    paragraph += value
    document += paragraph
    result = run(document)
    filled = [message for message in result.messages if isinstance(message, Filled)]
    assert [message.index for message in filled] == [1, 2]
    assert isinstance(filled[0].result, GraphFigure) and "page_g1" in filled[0].result.svg
    assert filled[1].result == EvalText("6.0")


def test_a_page_that_ends_its_process_is_reported_at_the_example_that_did() -> None:
    result = run(page(("pycon", ">>> import os\n>>> os._exit(3)\n"), ("pycon", ">>> 1\n1\n")))
    assert kinds(result) == ["Started", "Checked", "Started"]
    (failure,) = result.failures
    assert failure.line == 3
    assert "ended the process running the page (exit status 3)" in failure.message


def test_a_page_that_crashes_its_process_is_reported_with_the_signal() -> None:
    crash = ">>> import os, signal\n>>> os.kill(os.getpid(), signal.SIGSEGV)\n"
    (failure,) = run(page(("pycon", crash))).failures
    assert failure.line == 3 and "killed by signal 11" in failure.message


def test_a_page_that_stops_answering_is_stopped_at_its_time_limit() -> None:
    # Waiting uses no CPU, so only the wall-clock limit (10 x 0.2 s) and the grace end it.
    wait = (
        ">>> import signal, time\n"
        ">>> signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\nset()\n"
        ">>> time.sleep(60)\n"
    )
    result = run(page(("pycon", wait)), timeout=0.2)
    (failure,) = result.failures
    assert failure.line == 5
    assert "did not finish within 2 s and did not respond to its time limit" in failure.message
