"""A page as the list of *steps* its downloads and "Run in browser" are made of.

After a page's examples have run and its figures are drawn, `page_steps`
reads the page once more into steps: prose (Markdown), a doctest, a script
block, a figure. What runs, and in which order, is what the page process ran:
the items `autograd.sphinxext.blocks.plan_page` stamped on the page's nodes
(examples inside exercises' dropdowns and admonitions too); ``{eval}`` values
are the text they showed, and blocks that are shown but not run (such as
PyTorch transcripts) are Markdown. The steps are written out by
`autograd.sphinxext.ipynb` (the notebook), `autograd.sphinxext.pyscript` (the
script) and `autograd.sphinxext.downloads` (the page's runnable steps for
"Run in browser").
"""

from __future__ import annotations

import ast
import doctest
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docutils import nodes
from sphinx.errors import ExtensionError

from autograd.sphinxext.blocks import Item, plan_page, planned_items, slug
from autograd.sphinxext.markdown import blockquote_markdown, inline_markdown, table_markdown

__all__ = [
    "STEP_CLASS",
    "DoctestStep",
    "FigureStep",
    "ProseStep",
    "ScriptStep",
    "Step",
    "is_expression",
    "page_steps",
    "to_markdown",
]

STEP_CLASS = "autograd-step"
"""The class of every block that is a runnable step; ``autograd-step-<n>`` names the n-th."""


@dataclass
class ProseStep:
    """Markdown text between two examples."""

    markdown: str


@dataclass
class DoctestStep:
    """A ``>>>`` block: its examples, with the output the page shows for each."""

    examples: list[doctest.Example]
    element: str = ""  # the class that marks its block in the HTML (see STEP_CLASS)

    @property
    def code(self) -> str:
        """The block's code without prompts, as a reader would type it."""
        return "".join(example.source for example in self.examples)


@dataclass
class ScriptStep:
    """A ``python`` block: code that runs and prints nothing."""

    code: str
    element: str = ""  # the class that marks its block in the HTML (see STEP_CLASS)


@dataclass
class FigureStep:
    """A ``value-graph``, ``backward-steps`` or ``live-plot`` figure, drawn at this point."""

    kind: str  # "value-graph", "backward-steps" or "live-plot"
    expression: str
    svg: str  # for backward-steps: the last frame
    caption: str
    figure_id: str
    options: dict[str, Any] = field(default_factory=dict)  # rankdir, max_nodes: for a redraw
    frames: list[str] = field(default_factory=list)  # backward-steps: each step's caption
    element: str = ""  # the class that marks its figure in the HTML, if it runs

    @property
    def runs(self) -> bool:
        """Does "Run in browser" redraw this figure (else it stays as the build drew it)?

        A ``backward-steps`` figure is a replay that the page's own script
        steps through; it stays as built.
        """
        return self.kind != "backward-steps"


Step = ProseStep | DoctestStep | ScriptStep | FigureStep


def page_steps(doctree: nodes.document, docname: str, page: str = "") -> list[Step]:
    """The steps of a page whose examples have run, in document order.

    The examples and figures are those the page's plan stamped on its nodes
    when it was read (`autograd.sphinxext.blocks.plan_page`), the ones the
    page process ran; a doctree read without the extension is planned here
    (``page`` is its source file, for error messages). Each block that
    becomes a runnable step gets the class ``autograd-step`` and one that
    names it, ``autograd-step-<n>``, which its step carries as ``element``:
    the page's script finds each step's HTML by it.

    >>> from docutils.core import publish_doctree
    >>> from autograd.sphinxext.outline import page_steps
    >>> doctree = publish_doctree("Some text.\\n\\n>>> 1 + 1\\n2\\n")
    >>> steps = page_steps(doctree, "page")
    >>> [type(step).__name__ for step in steps]
    ['ProseStep', 'DoctestStep']
    >>> steps[1].element, doctree[1]["classes"]
    ('autograd-step-1', ['autograd-step', 'autograd-step-1'])
    """
    items = planned_items(doctree) or plan_page(doctree, page or docname, slug(docname))
    runnable = {id(node): item for node, item in items}
    walk = _Outline(runnable, set(), [])
    walk.block(doctree, level=0)
    walk.flush()
    for node, item in items:  # every example the page ran must be a step
        if item.kind != "eval" and id(node) not in walk.seen:
            raise ExtensionError(
                f"{item.source}:{item.line}: this {item.kind} ran, but it sits inside "
                f"a {node.parent.tagname if node.parent else 'page'} element that the "
                "notebook cannot hold; move it out"
            )
    return walk.steps


class _Outline:
    def __init__(self, runnable: dict[int, Item], seen: set[int], marked: list[str]) -> None:
        # What the page process ran, by node.
        self.runnable = runnable
        self.seen = seen  # the runnable nodes that became steps
        self.marked = marked  # the classes given to the runnable steps' elements so far
        self.steps: list[Step] = []
        self.prose: list[str] = []

    def kind(self, node: nodes.Node) -> str | None:
        found = self.runnable.get(id(node))
        return found.kind if found is not None else None

    def flush(self) -> None:
        text = "\n\n".join(part for part in self.prose if part.strip()).strip()
        if text:
            self.steps.append(ProseStep(text))
        self.prose = []

    def add(self, step: Step) -> None:
        self.flush()
        self.steps.append(step)

    def block(self, node: nodes.Node, level: int) -> None:
        """Walk one block-level node; prose goes to ``self.prose``, examples to steps."""
        kind = self.kind(node)
        if kind is not None and id(node) in self.seen:
            return  # already a step: each example is one step, and one element
        if kind == "doctest":
            assert isinstance(node, nodes.Element)
            parser = doctest.DocTestParser()
            try:
                examples = parser.get_examples(node.astext())
            except ValueError:  # the page process reported it at its line; show it as text
                self.seen.add(id(node))
                self.prose.append(f"```pycon\n{node.astext().rstrip()}\n```")
                return
            self.seen.add(id(node))
            self.add(DoctestStep(examples, self.mark(node)))
            return
        if kind == "script":
            assert isinstance(node, nodes.Element)
            self.seen.add(id(node))
            self.add(ScriptStep(node.astext().rstrip("\n") + "\n", self.mark(node)))
            return
        if isinstance(node, nodes.figure) and any(
            self.kind(child) == "figure" for child in node.children
        ):
            self.figure(node)
            return
        if isinstance(node, nodes.document):
            for child in node.children:
                self.block(child, level)
        elif isinstance(node, nodes.section):
            for child in node.children:
                self.block(child, level + 1)
        elif isinstance(node, nodes.title):
            self.prose.append("#" * max(level, 1) + " " + inline_markdown(node))
        elif isinstance(node, nodes.Element) and node.tagname == "dropdown_title":
            # an exercise: the title of a sphinx-design dropdown
            self.prose.append("#" * min(level + 1, 6) + " " + inline_markdown(node).strip())
        elif isinstance(node, nodes.paragraph | nodes.rubric):
            self.prose.append(inline_markdown(node))
        elif isinstance(node, nodes.math_block):
            self.prose.append("$$\n" + node.astext().strip() + "\n$$")
        elif isinstance(node, nodes.literal_block):
            language = node.get("language", "") or ""
            self.prose.append(f"```{language}\n{node.astext().rstrip()}\n```")
        elif isinstance(node, nodes.bullet_list | nodes.enumerated_list):
            self.items(node, level)
        elif isinstance(node, nodes.table):
            self.prose.append(table_markdown(node))
        elif isinstance(node, nodes.caption):  # a code block's (a figure's is in its step)
            self.prose.append(f"*{inline_markdown(node).strip()}*")
        elif isinstance(node, nodes.definition_list):
            for item in node.children:  # its own items: a nested list is walked in its turn
                term = next((c for c in item.children if isinstance(c, nodes.term)), None)
                definition = next(
                    (c for c in item.children if isinstance(c, nodes.definition)), None
                )
                parts = self.nested(definition, level) if definition else []
                self.emit(
                    parts, f"**{inline_markdown(term) if term else ''}**: ", lambda text: text
                )
        elif isinstance(node, nodes.Admonition | nodes.block_quote):
            title = next((c for c in node.children if isinstance(c, nodes.title)), None)
            name = inline_markdown(title) if title else node.tagname.replace("_", " ").capitalize()
            header = "" if isinstance(node, nodes.block_quote) else f"> **{name}**\n>\n"
            self.emit(self.nested(node, level, skip_title=True), header, blockquote_markdown)
        elif isinstance(
            node,
            nodes.target
            | nodes.comment
            | nodes.raw
            | nodes.substitution_definition
            | nodes.system_message
            | nodes.Invisible,
        ):
            pass
        elif isinstance(node, nodes.Element) and any(
            isinstance(child, nodes.Body | nodes.Structural) for child in node.children
        ):
            for child in node.children:  # a container, compound, table cell...
                self.block(child, level)
        elif isinstance(node, nodes.Element) and node.astext().strip():
            self.prose.append(node.astext().strip())

    def nested(self, node: nodes.Element, level: int, skip_title: bool = False) -> list[Step]:
        """The steps inside a list item or an admonition: its text, and any examples in it."""
        inner = _Outline(self.runnable, self.seen, self.marked)
        for child in node.children:
            if not (skip_title and isinstance(child, nodes.title)):
                inner.block(child, level)
        inner.flush()
        return inner.steps

    def emit(self, parts: list[Step], start: str, text: Callable[[str], str]) -> None:
        """Add nested parts in order: their text shaped by ``text``, the first after ``start``."""
        for index, part in enumerate(parts):
            if isinstance(part, ProseStep):
                self.prose.append((start if index == 0 else "") + text(part.markdown))
            else:
                self.add(part)

    def items(self, node: nodes.Element, level: int) -> None:
        numbered = isinstance(node, nodes.enumerated_list)
        lines: list[str] = []  # a tight list: its items on consecutive lines
        for number, item in enumerate(node.children, start=1):
            assert isinstance(item, nodes.Element)
            marker = f"{number}. " if numbered else "- "
            indent = " " * len(marker)
            for index, part in enumerate(self.nested(item, level)):
                if isinstance(part, ProseStep):
                    body = part.markdown.replace("\n", "\n" + indent)
                    lines.append((marker if index == 0 else indent) + body)
                else:  # an example inside the item: the list so far, then the example
                    if lines:
                        self.prose.append("\n".join(lines))
                        lines = []
                    self.add(part)
        if lines:
            self.prose.append("\n".join(lines))

    def figure(self, node: nodes.figure) -> None:
        drawing = next(child for child in node.children if self.kind(child) == "figure")
        assert isinstance(drawing, nodes.Element)
        self.seen.add(id(drawing))
        caption = next(iter(node.findall(nodes.caption)), None)
        kind = "backward-steps" if drawing.tagname == "backward_steps_figure" else None
        kind = kind or drawing.tagname.replace("_", "-")
        options = {}
        if kind in ("value-graph", "backward-steps"):
            options = {"rankdir": drawing["rankdir"], "max_nodes": drawing["max_nodes"]}
        frames: list[dict[str, str]] = drawing.get("frames", [])
        step = FigureStep(
            kind=kind,
            expression=drawing["expression"],
            svg=frames[-1].get("svg", "") if frames else drawing.get("svg", ""),
            caption=inline_markdown(caption) if caption is not None else "",
            figure_id=self.runnable[id(drawing)].figure_id,  # the id it was drawn with
            options=options,
            frames=[frame["caption"] for frame in frames],
        )
        if step.runs:
            step.element = self.mark(node)
        self.add(step)

    def mark(self, node: nodes.Element) -> str:
        """Give a runnable step's element its classes; the one that names it is returned."""
        self.marked.append(f"{STEP_CLASS}-{len(self.marked) + 1}")
        for name in (STEP_CLASS, self.marked[-1]):
            if name not in node["classes"]:
                node["classes"].append(name)
        return self.marked[-1]


def is_expression(source: str) -> bool:
    """Is ``source`` one expression whose value (not a print) the page shows?"""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    value = tree.body[0].value
    return not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "print"
    )


def to_markdown(doctree: nodes.document, docname: str) -> str:
    """The prose of a page as Markdown, without its examples.

    >>> from docutils.core import publish_doctree
    >>> from autograd.sphinxext.outline import to_markdown
    >>> to_markdown(publish_doctree("Title\\n=====\\n\\nSome *text*."), "page")
    '# Title\\n\\nSome *text*.'
    """
    return "\n\n".join(
        step.markdown for step in page_steps(doctree, docname) if isinstance(step, ProseStep)
    )
