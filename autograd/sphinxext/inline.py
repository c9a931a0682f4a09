"""The ``{eval}`` role: a value computed by the page's examples, shown in the prose.

``{eval}`a.grad``` evaluates ``a.grad`` in the page's namespace at that point
of the page (in document order with the examples) and shows ``str()`` of the
result as text. The page runner stores the result in the node's ``result``
attribute and gives the node that text; an expression that fails is reported
at its page and line, and fails the build.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.parsers.rst.states import Inliner

__all__ = ["VISITORS", "eval_result", "eval_role", "show_result"]


class eval_result(nodes.inline):  # noqa: N801 (docutils node naming)
    """An inline expression; once run, its text is ``str()`` of its value.

    Builders render it as the ``inline`` node it extends.
    """


def eval_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Inliner,
    options: dict[str, Any] | None = None,
    content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """Make an `eval_result` node for ``text``, at its exact line of the page."""
    expression = nodes.unescape(text).strip()
    node = eval_result(rawtext, "", expression=expression, classes=["autograd-eval"])
    source, _ = inliner.reporter.get_source_and_line(lineno)
    node.source = str(source)
    node.line = lineno + _lines_before(inliner)
    return [node], []


def _lines_before(inliner: Inliner) -> int:
    """How many line breaks the enclosing paragraph holds before the role."""
    parent: nodes.Node | None = getattr(inliner, "parent", None)
    block = None
    while isinstance(parent, nodes.Element):
        if isinstance(parent, nodes.TextElement):
            block = parent
        parent = parent.parent
    return block.astext().count("\n") if block is not None else 0


def show_result(node: nodes.Element, text: str) -> None:
    """Store ``text`` as the node's result and make it the node's text.

    >>> from autograd.sphinxext.inline import eval_result, show_result
    >>> node = eval_result("", "", expression="1 + 1")
    >>> show_result(node, "2")
    >>> node.astext(), node["result"]
    ('2', '2')
    """
    node["result"] = text
    node.children = []
    node += nodes.Text(text)


def _visit(self: Any, node: nodes.Element) -> None:
    self.visit_inline(node)


def _depart(self: Any, node: nodes.Element) -> None:
    self.depart_inline(node)


VISITORS: dict[str, Any] = {
    name: (_visit, _depart)
    for name in ("html", "latex", "text", "man", "texinfo", "xml", "pseudoxml")
}
"""Every writer shows an `eval_result` as the inline text it holds."""
