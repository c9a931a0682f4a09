"""The PyTorch page: its transcripts run against PyTorch, and the build skips them.

The site is built without PyTorch, so the page marks its PyTorch blocks with the
class ``torch-transcript`` and the executor leaves them alone. `nox -s torch`
runs the whole page here as doctests: the transcripts and the `autograd` blocks
between them, in page order and in one namespace, as a reader typing the page
into one Python session would. A name that one library's block rebinds and the
other's later uses would fail here.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

TRANSCRIPT_CLASS = "torch-transcript"
PAGE = Path(__file__).resolve().parent.parent / "docs" / "lessons" / "16-pytorch.md"
OPENING = re.compile(r"^([ \t]*)```\{code-block\} pycon\n((?:\1:[^\n]*\n)*)\n?", re.M)
# Every block the page runs or shows as a session: ```pycon, or a {code-block} pycon with options.
ANY_OPENING = re.compile(
    r"^([ \t]*)```(?:pycon|\{code-block\} pycon)[ \t]*\n((?:\1:[^\n]*\n)*)\n?", re.M
)


def transcripts(markdown: str) -> list[tuple[int, str]]:
    """(line, code) of every block marked as a PyTorch transcript, in page order."""
    found = []
    for match in OPENING.finditer(markdown):
        if f":class: {TRANSCRIPT_CLASS}" not in match[2]:
            continue
        end = markdown.index("```", match.end())
        body = markdown[match.end() : end]
        indent = len(match[1])
        code = "\n".join(line[indent:] for line in body.splitlines()) + "\n"
        found.append((markdown.count("\n", 0, match.end()) + 1, code))
    return found


def page_blocks(markdown: str) -> list[tuple[int, str]]:
    """(line, code) of every pycon block of the page, transcripts included, in page order."""
    found = []
    for match in ANY_OPENING.finditer(markdown):
        end = markdown.index("```", match.end())
        indent = len(match[1])
        body = markdown[match.end() : end]
        code = "\n".join(line[indent:] for line in body.splitlines()) + "\n"
        found.append((markdown.count("\n", 0, match.end()) + 1, code))
    return found


def test_page_blocks_are_found_in_order_with_the_transcripts_among_them() -> None:
    page = (
        "```pycon\n>>> a = 1\n```\n\n"
        "```{code-block} pycon\n:class: torch-transcript\n:caption: c\n\n>>> a + 1\n2\n```\n\n"
        "````{dropdown} Solution\n```{code-block} pycon\n:class: autograd-predict\n\n"
        ">>> a\n1\n```\n````\n"
    )
    blocks = [code for _, code in page_blocks(page)]
    assert blocks == [">>> a = 1\n", ">>> a + 1\n2\n", ">>> a\n1\n"]
    assert [code for _, code in transcripts(page)] == [">>> a + 1\n2\n"]


def test_the_page_has_transcripts_and_they_are_all_marked() -> None:
    text = PAGE.read_text()
    blocks = transcripts(text)
    assert len(blocks) >= 5
    assert all(">>>" in code for _, code in blocks)
    # Every block that touches torch is a marked transcript, so the build never runs it.
    for fence in re.findall(r"^\s*```pycon\n(.*?)```", text, re.S | re.M):
        assert "torch" not in fence


def test_the_executor_skips_transcripts_and_runs_other_pycon_blocks() -> None:
    # Imported here: the torch session, which collects this module, has no Sphinx.
    from docutils import nodes

    from autograd.sphinxext import blocks

    assert blocks.TRANSCRIPT_CLASS == TRANSCRIPT_CLASS
    _kind = blocks.kind_of
    marked = nodes.literal_block(">>> 1 + 1\n2", ">>> 1 + 1\n2", language="pycon")
    marked["classes"].append(TRANSCRIPT_CLASS)
    plain = nodes.literal_block(">>> 1 + 1\n2", ">>> 1 + 1\n2", language="pycon")
    assert _kind(marked) is None
    assert _kind(plain) == "doctest"


def test_a_wrong_transcript_output_is_reported() -> None:
    failures = run_transcripts([(1, ">>> 1 + 1\n3\n")])
    assert failures and "Expected:\n    3\nGot:\n    2" in failures[0]


def run_transcripts(blocks: list[tuple[int, str]]) -> list[str]:
    """Run the blocks as one doctest session; a report for each failing example."""
    parser = doctest.DocTestParser()
    globs: dict[str, object] = {}
    failures: list[str] = []
    for line, code in blocks:
        test = parser.get_doctest(code, globs, PAGE.name, str(PAGE), line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, out=failures.append, clear_globs=False)
        globs = test.globs  # a DocTest works on a copy; carry its names on
    return failures


@pytest.mark.torch
def test_the_whole_page_runs_in_one_namespace_as_pytorch_prints() -> None:
    try:
        import torch
    except ImportError:
        pytest.fail("PyTorch is not installed; this test runs in `nox -s torch`")
    text = PAGE.read_text()
    assert transcripts(text), "no transcript found on the page"
    blocks = page_blocks(text)
    # The page shows PyTorch as a reader starts it: 32-bit by default. Other
    # tests in the same process may have changed the default.
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        failures = run_transcripts(blocks)
    finally:
        torch.set_default_dtype(default)
    assert failures == [], "\n".join(failures)
