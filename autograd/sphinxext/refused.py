"""Directives of other executors, refused with what to write instead.

A page written for MyST-NB (``{code-cell}``), ``sphinx.ext.doctest``
(``doctest``, ``testcode``, ``testoutput``, ``testsetup``, ``testcleanup``)
or jupyter-sphinx (``jupyter-execute``) would otherwise only get a warning
about an unknown directive, and its code would be neither shown nor run.
Where no loaded extension provides one of these names, the page fails at
the directive's line with a message that says how to write the example
here: the directive leaves a comment node that `refused` finds when the page
has been read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.util.docutils import is_directive_registered

__all__ = ["OTHER_EXECUTORS", "refuse_other_executors", "refused"]

OTHER_EXECUTORS = (
    "code-cell",
    "doctest",
    "testcode",
    "testoutput",
    "testsetup",
    "testcleanup",
    "jupyter-execute",
)
"""Directives that run code elsewhere, and that a page here must not leave silently unrun."""

MARK = "autograd-refused"
"""The class of the comment that stands where a refused directive was."""

INSTEAD = (
    "write the example as a ```pycon block (>>> prompts and the output the page shows) "
    "or a ```python block (code that prints nothing), which this site runs and checks"
)


class _AnyOptions(dict[str, Callable[[str], Any]]):
    """Takes every option, so that the refusal, not an unknown option, is what a page gets."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Callable[[str], Any]:
        return str


class _Refused(Directive):
    has_content = True
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = _AnyOptions()

    def run(self) -> list[nodes.Node]:
        source, line = self.state_machine.get_source_and_line(self.lineno)
        message = f"the {{{self.name}}} directive is not run here; {INSTEAD}"
        # A comment: invisible in every output, and kept in the page wherever it is parsed
        mark = nodes.comment("", "", classes=[MARK], message=message)
        mark.source, mark.line = str(source), line or 1
        return [mark]


def refuse_other_executors(app: Sphinx) -> None:
    """Register the refusal for each of `OTHER_EXECUTORS` that no extension provides."""
    for name in OTHER_EXECUTORS:
        if not is_directive_registered(name):
            app.add_directive(name, _Refused)


def refused(doctree: nodes.document) -> list[tuple[str, int, str]]:
    """The refused directives of a page just read: (file, line, message)."""
    return [
        (str(mark.source), int(mark.line or 1), str(mark["message"]))
        for mark in doctree.findall(nodes.comment)
        if MARK in mark["classes"]
    ]
