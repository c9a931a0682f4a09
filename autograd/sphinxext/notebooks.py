"""Each page as a Jupyter notebook and as a Python script, from the page the build ran.

After a page's examples have run and its figures are drawn, the page's text is
read once more into a list of *steps*: prose, a doctest, a script block, a
figure. What runs, and in which order, is what the page process ran: the
items `autograd.sphinxext.blocks.plan_page` stamped on the page's nodes
(examples inside exercises' dropdowns and admonitions too); ``{eval}``
values are the text they showed, and blocks that are shown but not run
(such as PyTorch transcripts) are Markdown. From those steps come

- a notebook (``.ipynb``): prose as Markdown cells, each example's code as a
  code cell with the output the page shows, each figure as the code that draws
  it with the drawing (SVG) as its output; a ``backward-steps`` figure as a
  Markdown cell listing its steps, with its last frame as an image;
- a script (``.py``): the code of every example in order, expressions that
  the page shows a value for wrapped in ``print``, so it runs with plain Python
  and prints what the page shows (figures are comments);
- the runnable steps that "Run in browser" puts in the page (see
  `autograd.sphinxext.browser`).

The files are written next to the page's HTML (``lessons/03-x.ipynb`` beside
``lessons/03-x.html``), and the page links them below its title.
"""

from __future__ import annotations

import ast
import base64
import doctest
import fnmatch
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from autograd.sphinxext.blocks import Item, plan_page, planned_items, slug

__all__ = [
    "DoctestStep",
    "FigureStep",
    "ProseStep",
    "ScriptStep",
    "Step",
    "page_steps",
    "script_source",
    "setup",
    "to_markdown",
    "to_notebook",
]

logger = logging.getLogger(__name__)


@dataclass
class ProseStep:
    """Markdown text between two examples."""

    markdown: str


@dataclass
class DoctestStep:
    """A ``>>>`` block: its examples, with the output the page shows for each."""

    examples: list[doctest.Example]

    @property
    def code(self) -> str:
        """The block's code without prompts, as a reader would type it."""
        return "".join(example.source for example in self.examples)


@dataclass
class ScriptStep:
    """A ``python`` block: code that runs and prints nothing."""

    code: str


@dataclass
class FigureStep:
    """A ``value-graph``, ``backward-steps`` or ``live-plot`` figure, drawn at this point."""

    kind: str  # "value-graph", "backward-steps" or "live-plot"
    expression: str
    svg: str  # for backward-steps: the last frame
    caption: str
    figure_id: str
    options: dict[str, Any] = field(default_factory=dict)
    frames: list[str] = field(default_factory=list)  # backward-steps: each step's caption

    @property
    def runs(self) -> bool:
        """Does "Run in browser" redraw this figure (else it stays as the build drew it)?

        A ``backward-steps`` figure is a replay that the page's own script
        steps through; it stays as built.
        """
        return self.kind != "backward-steps"


Step = ProseStep | DoctestStep | ScriptStep | FigureStep


# --- The walk --------------------------------------------------------------------------


def page_steps(doctree: nodes.document, docname: str, page: str = "") -> list[Step]:
    """The steps of a page whose examples have run, in document order.

    The examples and figures are those the page's plan stamped on its nodes
    when it was read (`autograd.sphinxext.blocks.plan_page`), the ones the
    page process ran; a doctree read without the extension is planned here
    (``page`` is its source file, for error messages). Each block that
    becomes a runnable step gets the class ``autograd-step``, so that the
    page's script finds the steps' HTML in the same order.

    >>> from docutils.core import publish_doctree
    >>> doctree = publish_doctree("Some text.\\n\\n>>> 1 + 1\\n2\\n")
    >>> [type(step).__name__ for step in page_steps(doctree, "page")]
    ['ProseStep', 'DoctestStep']
    """
    items = planned_items(doctree) or plan_page(doctree, page or docname, slug(docname))
    runnable = {id(node): item for node, item in items}
    walk = _Walk(runnable, set())
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


class _Walk:
    def __init__(self, runnable: dict[int, Item], seen: set[int]) -> None:
        # What the page process ran, by node.
        self.runnable = runnable
        self.seen = seen  # the runnable nodes that became steps
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
        if kind == "doctest":
            assert isinstance(node, nodes.Element)
            parser = doctest.DocTestParser()
            try:
                examples = parser.get_examples(node.astext())
            except ValueError:  # the page process reported it at its line; show it as text
                self.seen.add(id(node))
                self.prose.append(f"```pycon\n{node.astext().rstrip()}\n```")
                return
            _mark(node)
            self.seen.add(id(node))
            self.add(DoctestStep(examples))
            return
        if kind == "script":
            assert isinstance(node, nodes.Element)
            _mark(node)
            self.seen.add(id(node))
            self.add(ScriptStep(node.astext().rstrip("\n") + "\n"))
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
            self.prose.append("#" * max(level, 1) + " " + inline(node))
        elif isinstance(node, nodes.Element) and node.tagname == "dropdown_title":
            # an exercise: the title of a sphinx-design dropdown
            self.prose.append("#" * min(level + 1, 6) + " " + inline(node).strip())
        elif isinstance(node, nodes.paragraph | nodes.rubric):
            self.prose.append(inline(node))
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
            self.prose.append(f"*{inline(node).strip()}*")
        elif isinstance(node, nodes.definition_list):
            for item in node.findall(nodes.definition_list_item):
                term = next(item.findall(nodes.term), None)
                definition = next(item.findall(nodes.definition), None)
                parts = self.nested(definition, level) if definition else []
                self.emit(parts, f"**{inline(term) if term else ''}**: ", lambda text: text)
        elif isinstance(node, nodes.Admonition | nodes.block_quote):
            title = next(iter(node.findall(nodes.title)), None)
            name = inline(title) if title else node.tagname.replace("_", " ").capitalize()
            header = "" if isinstance(node, nodes.block_quote) else f"> **{name}**\n>\n"
            self.emit(self.nested(node, level, skip_title=True), header, _quote)
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
        inner = _Walk(self.runnable, self.seen)
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
            caption=inline(caption) if caption is not None else "",
            figure_id=self.runnable[id(drawing)].figure_id,  # the id it was drawn with
            options=options,
            frames=[frame["caption"] for frame in frames],
        )
        if step.runs:
            _mark(node)
        self.add(step)


ALIGNMENT = {"text-left": ":--", "text-center": ":-:", "text-right": "--:"}
"""The Markdown separator of a column, by the class MyST gives its cells."""


def table_markdown(node: nodes.table) -> str:
    r"""A table as a Markdown (GFM) table, each cell with its inline markup.

    A cell's paragraphs are joined by ``<br>`` and its ``|`` escaped; a cell
    spanning several columns or rows is written in its first, the others left
    empty. A title becomes a bold line above the table.

    >>> from docutils.core import publish_doctree
    >>> doctree = publish_doctree(
    ...     "=====  =====\nop     rule\n=====  =====\n``+``  *g*\n=====  =====\n"
    ... )
    >>> print(table_markdown(next(doctree.findall(nodes.table))))
    | op | rule |
    | --- | --- |
    | `+` | *g* |
    """
    group = next(node.findall(nodes.tgroup))
    columns = int(group.get("cols", 0)) or len(list(group.findall(nodes.colspec)))
    parts = {type(part): part for part in group.children}
    header = _rows(parts.get(nodes.thead), columns)
    body = _rows(parts.get(nodes.tbody), columns)
    separators = ["---"] * columns
    for row in [*body[:1], *header[:1]]:
        for index, (_, classes) in enumerate(row):
            separators[index] = next(
                (ALIGNMENT[name] for name in classes if name in ALIGNMENT), separators[index]
            )
    lines = [
        "| " + " | ".join(text for text, _ in row) + " |"
        for row in (header[:1] or [[("", [])] * columns])
    ]
    lines.append("| " + " | ".join(separators) + " |")
    lines += ["| " + " | ".join(text for text, _ in row) + " |" for row in [*header[1:], *body]]
    title = next((child for child in node.children if isinstance(child, nodes.title)), None)
    if title is not None:
        lines.insert(0, f"**{inline(title)}**\n")
    return "\n".join(lines)


def _rows(part: nodes.Node | None, columns: int) -> list[list[tuple[str, list[str]]]]:
    """Each row of a ``thead`` or ``tbody`` as (Markdown, classes) per column."""
    rows: list[list[tuple[str, list[str]]]] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a cell above
    for row in part.children if part is not None else []:
        cells: list[tuple[str, list[str]]] = []
        entries = iter(row.children)
        while len(cells) < columns:
            if pending.get(len(cells), 0) > 0:
                pending[len(cells)] -= 1
                cells.append(("", []))
                continue
            entry = next(entries, None)
            if entry is None:
                cells.append(("", []))
                continue
            assert isinstance(entry, nodes.entry)
            for offset in range(entry.get("morecols", 0) + 1):
                pending[len(cells) + offset] = entry.get("morerows", 0)
            cells.append((_cell(entry), list(entry["classes"])))
            cells += [("", [])] * entry.get("morecols", 0)
        rows.append(cells[:columns])
    return rows


def _cell(entry: nodes.entry) -> str:
    parts = []
    for child in entry.children:
        if not isinstance(child, nodes.paragraph | nodes.Inline | nodes.Text):
            raise ExtensionError(
                f"{entry.source}:{entry.line}: a table cell holds a {type(child).__name__}, which "
                "a Markdown table (in the notebook download) cannot hold; keep cells to text"
            )
        parts.append(" ".join(inline(child).split()))
    return "<br>".join(parts).replace("|", "\\|")


def _mark(node: nodes.Element) -> None:
    if "autograd-step" not in node["classes"]:
        node["classes"].append("autograd-step")


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def inline(node: nodes.Node) -> str:
    """The Markdown of a node's inline content (emphasis, code, math, links)."""
    if isinstance(node, nodes.Text):
        return str(node)
    assert isinstance(node, nodes.Element)
    inner = "".join(inline(child) for child in node.children)
    if isinstance(node, nodes.literal):
        text = node.astext()
        fence = "``" if "`" in text else "`"
        return f"{fence}{text}{fence}"
    if isinstance(node, nodes.math):
        return f"${node.astext()}$"
    if isinstance(node, nodes.strong):
        return f"**{inner}**"
    if isinstance(node, nodes.emphasis):
        return f"*{inner}*"
    if isinstance(node, nodes.reference):
        uri = node.get("refuri", "")
        # Links into the site would break in a notebook; links out of it keep working.
        if uri.startswith(("http://", "https://")):
            return f"[{inner}]({uri})"
        return inner
    if isinstance(node, nodes.footnote_reference):
        return f"[{node.astext()}]"
    if isinstance(node, nodes.image | nodes.raw):  # raw: e.g. a dropdown's icon
        return ""
    return inner


def to_markdown(doctree: nodes.document, docname: str) -> str:
    """The prose of a page as Markdown, without its examples.

    >>> from docutils.core import publish_doctree
    >>> to_markdown(publish_doctree("Title\\n=====\\n\\nSome *text*."), "page")
    '# Title\\n\\nSome *text*.'
    """
    return "\n\n".join(
        step.markdown for step in page_steps(doctree, docname) if isinstance(step, ProseStep)
    )


# --- Notebooks ---------------------------------------------------------------------


def _cells_of_doctest(step: DoctestStep) -> list[list[doctest.Example]]:
    """Split a doctest block after each example that shows output: one cell each."""
    groups: list[list[doctest.Example]] = [[]]
    for example in step.examples:
        groups[-1].append(example)
        if example.want or example.exc_msg is not None:
            groups.append([])
    return [group for group in groups if group]


def _is_expression(source: str) -> bool:
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


Json = dict[str, Any]


def _lines(text: str) -> list[str]:
    """Text as the notebook format stores it: a list of lines that keep their newlines."""
    return text.splitlines(keepends=True)


def _doctest_outputs(example: doctest.Example, count: int) -> list[Json]:
    if example.exc_msg is not None:
        name, _, message = example.exc_msg.strip().partition(":")
        return [
            {
                "output_type": "error",
                "ename": name.strip(),
                "evalue": message.strip(),
                "traceback": example.want.rstrip("\n").splitlines(),
            }
        ]
    if not example.want:
        return []
    if _is_expression(example.source):
        return [
            {
                "output_type": "execute_result",
                "data": {"text/plain": _lines(example.want.rstrip("\n"))},
                "metadata": {},
                "execution_count": count,
            }
        ]
    return [{"output_type": "stream", "name": "stdout", "text": _lines(example.want)}]


def _drawing(svg: str, text: str) -> Json:
    return {
        "output_type": "display_data",
        "data": {"image/svg+xml": _lines(svg), "text/plain": [text]},
        "metadata": {},
    }


def _backward_steps_markdown(step: FigureStep) -> tuple[str, Json]:
    """A ``backward-steps`` figure as Markdown: its steps in words, its last frame as an image.

    The image is a cell attachment (base64, as notebook front ends read it).
    """
    name = f"{step.figure_id}.svg"
    text = f"**`{step.expression}.backward()`, step by step**"
    if step.caption:
        text += f" ({step.caption})"
    text += "\n\n" + "\n".join(
        f"{number}. {caption}" for number, caption in enumerate(step.frames, start=1)
    )
    if not step.svg:
        return text, {}
    text += f"\n\n![After the last step]({'attachment:' + name})"
    data = base64.b64encode(step.svg.encode()).decode()
    return text, {name: {"image/svg+xml": data}}


def to_notebook(steps: list[Step], title: str) -> Json:
    """A notebook (nbformat 4.5, as JSON data) of the steps, with the outputs the build produced.

    The tests check every notebook of the site against the notebook schema
    (``nbformat.validate``); the build itself does not import nbformat.

    >>> notebook = to_notebook([ProseStep("# Title"), ScriptStep("x = 1\\n")], "Title")
    >>> [cell["cell_type"] for cell in notebook["cells"]]
    ['markdown', 'code']
    """
    cells: list[Json] = []
    count = 0

    def markdown_cell(text: str, attachments: Json | None = None) -> None:
        cell: Json = {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}
        if attachments:
            cell["attachments"] = attachments
        cells.append(cell)

    def code_cell(source: str, outputs: list[Json], tags: list[str] | None = None) -> None:
        nonlocal count
        count += 1
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "metadata": {"tags": tags} if tags else {},
                "outputs": outputs,
                "source": _lines(source.rstrip("\n")),
            }
        )

    for step in steps:
        if isinstance(step, ProseStep):
            markdown_cell(step.markdown)
        elif isinstance(step, ScriptStep):
            code_cell(step.code, [])
        elif isinstance(step, DoctestStep):
            for group in _cells_of_doctest(step):
                last = group[-1]
                # "raises-exception": notebook runners go on past a cell that must fail.
                tags = ["raises-exception"] if last.exc_msg is not None else None
                source = "".join(example.source for example in group)
                code_cell(source, _doctest_outputs(last, count + 1), tags)
        elif step.kind == "backward-steps":
            markdown_cell(*_backward_steps_markdown(step))
        else:
            if step.kind == "value-graph":
                rankdir = step.options.get("rankdir", "LR")
                code = (
                    "from autograd import draw_dot\n\n"
                    f'draw_dot({step.expression}, rankdir="{rankdir}")'
                )
                code_cell(code, [_drawing(step.svg, "<graph>")])
            else:
                code_cell(step.expression, [_drawing(step.svg, "<figure>")])
            if step.caption:
                markdown_cell(f"*{step.caption}*")
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"  # fixed ids: the same page gives the same bytes
    notebook: Json = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "title": title,
        },
        "cells": cells,
    }
    return notebook


# --- Scripts -------------------------------------------------------------------------


_PLAIN_NUMBER = re.compile(r"-?(\d[\d_]*\.?\d*(e[-+]?\d+)?|inf|nan)|True|False")


def _print_statement(example: doctest.Example) -> str:
    """An example as a statement that prints what the page shows for it."""
    source = example.source.rstrip("\n")
    if example.exc_msg is not None:
        body = "\n".join("    " + line for line in source.splitlines())
        return (
            f"try:\n{body}\nexcept Exception as error:  # the page shows this error\n"
            '    print(*traceback.format_exception_only(error), end="")'
        )
    if example.want and _is_expression(source):
        statement = ast.parse(source).body[0]
        assert isinstance(statement, ast.Expr)  # _is_expression checked it
        expression = ast.get_source_segment(source, statement) or source
        if isinstance(statement.value, ast.Tuple) and not expression.startswith("("):
            expression = f"({expression})"
        # print() shows str(); the page shows repr(), the same only for plain numbers.
        if not _PLAIN_NUMBER.fullmatch(example.want.strip()):
            expression = f"repr({expression})"
        return f"print({expression})"
    return source


def _comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def script_source(steps: list[Step], source_name: str) -> str:
    r"""A Python script of the steps that prints what the page shows.

    >>> print(script_source([ProseStep("Hello.")], "page.md"))
    # The examples of page.md, as a script: run it with Python.
    <BLANKLINE>
    # Hello.
    <BLANKLINE>
    """
    parts = [f"# The examples of {source_name}, as a script: run it with Python."]
    needs_traceback = False
    for step in steps:
        if isinstance(step, ProseStep):
            parts.append(_comment(step.markdown))
        elif isinstance(step, ScriptStep):
            parts.append(step.code.rstrip("\n"))
        elif isinstance(step, DoctestStep):
            needs_traceback |= any(example.exc_msg is not None for example in step.examples)
            parts.append("\n".join(_print_statement(example) for example in step.examples))
        elif step.kind == "backward-steps":
            listing = "\n".join(f"{n}. {text}" for n, text in enumerate(step.frames, start=1))
            caption = f" {step.caption}" if step.caption else ""
            parts.append(
                _comment(
                    f"Figure (`{step.expression}.backward()`, step by step):{caption}\n{listing}"
                )
                + "\n# (see the page, or the notebook, for the drawings)"
            )
        else:
            what = "graph" if step.kind == "value-graph" else "plot"
            caption = f": {step.caption}" if step.caption else ""
            parts.append(
                _comment(f"Figure ({what} of `{step.expression}`){caption}")
                + "\n# (see the page, or the notebook, for the drawing)"
            )
    if needs_traceback:
        parts.insert(1, "import traceback")
    return "\n\n".join(parts) + "\n"


# --- Sphinx ------------------------------------------------------------------------


DOWNLOAD_BUILDERS = frozenset({"html", "dirhtml"})
"""The builders that write one HTML file per page, beside which a page's downloads go."""


def _wanted(app: Sphinx, docname: str) -> bool:
    patterns: list[str] = app.config.autograd_notebook_pages
    return any(fnmatch.fnmatchcase(docname, pattern) for pattern in patterns)


def download_uri(app: Sphinx, docname: str, suffix: str) -> str:
    """Where a page's download lives, as a link from the page itself.

    The file is ``<docname><suffix>`` in the output folder, whatever the
    builder's URL scheme; the link comes from the builder, so it is right
    for ``lessons/one.html`` (html) and ``lessons/one/`` (dirhtml) alike.
    """
    return relative_uri(app.builder.get_target_uri(docname), docname + suffix)


def write_downloads(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Write the page's notebook and script beside its HTML, and link them from the page."""
    if app.builder.name not in DOWNLOAD_BUILDERS or not _wanted(app, docname):
        return
    steps = page_steps(doctree, docname, str(app.env.doc2path(docname)))
    if not any(isinstance(step, DoctestStep | ScriptStep) for step in steps):
        return
    title_node = next(iter(doctree.findall(nodes.title)), None)
    title = title_node.astext() if title_node is not None else docname
    target = Path(app.outdir) / docname
    target.parent.mkdir(parents=True, exist_ok=True)
    source_name = Path(app.env.doc2path(docname)).name
    notebook = to_notebook(steps, title)
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False)
    target.with_suffix(".ipynb").write_text(text + "\n", encoding="utf-8")
    target.with_suffix(".py").write_text(script_source(steps, source_name), encoding="utf-8")
    notebook_uri, script_uri = (download_uri(app, docname, suffix) for suffix in (".ipynb", ".py"))
    html = (
        '<div class="autograd-downloads">'
        f'<a class="autograd-download" href="{escape(notebook_uri)}" download>'
        "Notebook (.ipynb)</a>"
        f'<a class="autograd-download" href="{escape(script_uri)}" download>Script (.py)</a>'
    )
    from autograd.sphinxext import browser

    if browser.enabled(app):
        html += browser.controls_html(app, docname, steps)
    html += "</div>\n"
    bar = nodes.raw("", html, format="html")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, bar)
    else:
        doctree.insert(0, bar)


def _say_where_downloads_go(app: Sphinx) -> None:
    if app.builder.format == "html" and app.builder.name not in DOWNLOAD_BUILDERS:
        logger.info(
            "autograd: the %s builder writes no notebook or script downloads "
            "(the html and dirhtml builders do)",
            app.builder.name,
        )


def setup(app: Sphinx) -> None:
    """Write a notebook and a script for each page with examples."""
    app.add_config_value("autograd_notebook_pages", ["*"], "html", types=[list])
    app.connect("doctree-resolved", write_downloads)
    app.connect("builder-inited", _say_where_downloads_go)
