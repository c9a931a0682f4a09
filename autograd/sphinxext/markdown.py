"""A page's prose as Markdown: inline markup, tables and block quotes.

The notebook download (`autograd.sphinxext.ipynb`) holds the page's text as
Markdown cells; `autograd.sphinxext.outline` turns each block into Markdown
with these.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.errors import ExtensionError

__all__ = ["blockquote_markdown", "inline_markdown", "table_markdown"]


ALIGNMENT = {"text-left": ":--", "text-center": ":-:", "text-right": "--:"}
"""The Markdown separator of a column, by the class MyST gives its cells."""


def table_markdown(node: nodes.table) -> str:
    r"""A table as a Markdown (GFM) table, each cell with its inline markup.

    A cell's paragraphs are joined by ``<br>`` and its ``|`` escaped; a cell
    spanning several columns or rows is written in its first, the others left
    empty. A title becomes a bold line above the table.

    >>> from docutils import nodes
    >>> from docutils.core import publish_doctree
    >>> from autograd.sphinxext.markdown import table_markdown
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
        lines.insert(0, f"**{inline_markdown(title)}**\n")
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
        parts.append(" ".join(inline_markdown(child).split()))
    return "<br>".join(parts).replace("|", "\\|")


def blockquote_markdown(text: str) -> str:
    """Markdown text as a block quote: each line marked with ``>``."""
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def inline_markdown(node: nodes.Node) -> str:
    """The Markdown of a node's inline content (emphasis, code, math, links)."""
    if isinstance(node, nodes.Text):
        return str(node)
    assert isinstance(node, nodes.Element)
    inner = "".join(inline_markdown(child) for child in node.children)
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
