"""Finding what a page runs: its examples, figures and inline values, in document order.

`plan_page` walks a doctree once, when the page is read, and stamps each
runnable node with what it is, the file and the exact line where its code
starts (so that a failure names the line an author sees in the editor, also
inside ``{code-block}`` directives with options and in files pulled in by
``{include}``), its own time limit and, for a figure, the id it is drawn
with. Every later stage (the page process, the notebook and script writers,
"Run in browser") reads the stamps with `planned_items`; none walks the page
to find its examples again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes

from autograd.sphinxext.directives import FIGURE_NODES
from autograd.sphinxext.inline import eval_result

__all__ = [
    "CONSOLE_LANGUAGES",
    "RUN_CLASS",
    "TIMEOUT_CLASS",
    "TRANSCRIPT_CLASS",
    "Item",
    "highlighted_as",
    "kind_of",
    "page_items",
    "plan_page",
    "planned_items",
    "slug",
]

CONSOLE_LANGUAGES = frozenset({"pycon", "python-console"})
"""The usual names of an interactive session; every block the site highlights as one runs."""
SCRIPT_LANGUAGES = frozenset({"python", "py", "python3"})
"""The usual names of a script; every block the site highlights as Python code runs."""
PROMPT_LANGUAGES = frozenset({"default", "", "none"})
"""Unmarked blocks (an indented one is ``none``): a doctest when they start with ``>>>``."""
TIMEOUT_CLASS = re.compile(r"autograd-timeout-(\d+)")
"""The class that sets one block's time limit in seconds (``:class: autograd-timeout-120``)."""
RUN_CLASS = "autograd-run"
"""The class that asks for a ``{literalinclude}`` to run (``:class: autograd-run``)."""
TRANSCRIPT_CLASS = "torch-transcript"
"""Marks a block that is shown but not run, a transcript checked elsewhere (``nox -s torch``)."""


@dataclass(frozen=True)
class Item:
    """One runnable node of a page: what it is, its code, and where its code starts."""

    kind: str  # "doctest", "script", "figure" or "eval"
    text: str
    source: str
    line: int
    timeout: float | None = None  # this block's own time limit, if it sets one
    figure_id: str = ""  # a figure's: the id its drawing's elements are named by


STAMPS = ("autograd_kind", "autograd_source", "autograd_line", "autograd_figure_id")
"""The attributes `plan_page` gives each runnable node."""


def kind_of(node: nodes.Node) -> str | None:
    """How the page runner treats ``node``: a figure, a doctest, a script, or not at all.

    >>> from docutils import nodes
    >>> from autograd.sphinxext.blocks import kind_of
    >>> kind_of(nodes.literal_block("# setup", "# setup", language="pycon"))
    'doctest'
    >>> kind_of(nodes.literal_block("x = 1", "x = 1", language="python"))
    'script'
    >>> kind_of(nodes.literal_block("$ ls", "$ ls", language="console")) is None
    True
    """
    if isinstance(node, FIGURE_NODES):
        return "figure"
    if isinstance(node, eval_result):
        return "eval"
    if isinstance(node, nodes.doctest_block):
        return "doctest"
    if not isinstance(node, nodes.literal_block):
        return None
    if TRANSCRIPT_CLASS in node["classes"]:
        return None
    language = node.get("language", "") or ""
    text = node.astext()
    if "source" in node:  # a {literalinclude} shows a file; it runs only when asked to
        if RUN_CLASS not in node["classes"]:
            return None
        return "doctest" if highlighted_as(language) == "console" else "script"
    if language.lower() in PROMPT_LANGUAGES:
        return "doctest" if text.lstrip().startswith(">>>") else None
    shown_as = highlighted_as(language)
    if shown_as == "console" or (shown_as == "python" and text.lstrip().startswith(">>>")):
        return "doctest"
    return "script" if shown_as == "python" else None


def highlighted_as(language: str) -> str | None:
    """How the site highlights a block in ``language``: ``"console"``, ``"python"`` or neither.

    The same names Sphinx and Pygments accept, in any case: what the page
    shows as Python is what runs.

    >>> from autograd.sphinxext.blocks import highlighted_as
    >>> [highlighted_as(name) for name in ("PyCon", "pycon3", "Python3", "py", "sage", "text")]
    ['console', 'console', 'python', 'python', 'python', None]
    """
    from pygments.lexers import PythonConsoleLexer, PythonLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    name = language.strip().lower()
    if name in ("pycon3", "python-console3"):  # Sphinx's own alias
        name = "pycon"
    try:
        lexer = get_lexer_by_name(name) if name else None
    except ClassNotFound:
        return None
    if isinstance(lexer, PythonConsoleLexer):
        return "console"
    if isinstance(lexer, PythonLexer):
        return "python"
    return None


def page_items(doctree: nodes.document, page: str) -> list[tuple[nodes.Element, Item]]:
    r"""Every runnable node of ``doctree`` in document order, with its `Item`.

    >>> from docutils import nodes
    >>> from docutils.utils import new_document
    >>> from docutils.frontend import get_default_settings
    >>> from autograd.sphinxext.blocks import page_items
    >>> document = new_document("page.md", get_default_settings())
    >>> block = nodes.literal_block(">>> 1\n1", ">>> 1\n1", language="pycon")
    >>> block.line = 3
    >>> document += block
    >>> [item for _, item in page_items(document, "page.md")]
    [Item(kind='doctest', text='>>> 1\n1', source='page.md', line=4, timeout=None, figure_id='')]
    """
    files: dict[str, list[str]] = {}
    found = []
    for node in doctree.findall(lambda node: kind_of(node) is not None):
        assert isinstance(node, nodes.Element)
        kind = kind_of(node)
        assert kind is not None
        source, line = _place(node, page)
        if "source" in node:  # an included file that runs: its own lines count
            source, line = str(node["source"]), 1
        text = node["expression"] if kind in ("figure", "eval") else node.astext()
        if kind in ("doctest", "script"):
            if source not in files:
                files[source] = _read(source)
            line = _code_start(files[source], line, text)
        found.append((node, Item(kind, text, source, line, _own_timeout(node))))
    return found


def slug(docname: str) -> str:
    """The page's name as an identifier, the prefix of its figures' ids.

    >>> from autograd.sphinxext.blocks import slug
    >>> slug("lessons/03-value")
    'lessons_03_value'
    """
    return re.sub(r"[^A-Za-z0-9]+", "_", docname).strip("_") or "page"


def plan_page(doctree: nodes.document, page: str, slug: str) -> list[tuple[nodes.Element, Item]]:
    r"""Find what ``doctree`` runs, stamp it on the nodes, and return it in document order.

    ``slug`` names the page's figures: the n-th is drawn as ``<slug>_g<n>``.

    >>> from docutils import nodes
    >>> from docutils.utils import new_document
    >>> from docutils.frontend import get_default_settings
    >>> from autograd.sphinxext.blocks import plan_page, planned_items
    >>> document = new_document("page.md", get_default_settings())
    >>> block = nodes.literal_block(">>> 1\n1", ">>> 1\n1", language="pycon")
    >>> block.line = 3
    >>> document += block
    >>> [item.line for _, item in plan_page(document, "page.md", "page")]
    [4]
    >>> block["autograd_kind"], block["autograd_line"]
    ('doctest', 4)
    >>> planned_items(document) == plan_page(document, "page.md", "page")
    True
    """
    planned = []
    figures = 0
    for node, item in page_items(doctree, page):
        if item.kind == "figure":
            figures += 1
            item = Item(**{**item.__dict__, "figure_id": f"{slug}_g{figures}"})
        node["autograd_kind"] = item.kind
        node["autograd_source"] = item.source
        node["autograd_line"] = item.line
        node["autograd_figure_id"] = item.figure_id
        planned.append((node, item))
    return planned


def planned_items(doctree: nodes.Node) -> list[tuple[nodes.Element, Item]]:
    """The items `plan_page` stamped on ``doctree``'s nodes, in document order."""
    found = []
    for node in doctree.findall(lambda node: isinstance(node, nodes.Element) and STAMPS[0] in node):
        assert isinstance(node, nodes.Element)
        kind = node["autograd_kind"]
        text = node["expression"] if kind in ("figure", "eval") else node.astext()
        item = Item(
            kind,
            text,
            node["autograd_source"],
            node["autograd_line"],
            _own_timeout(node),
            node["autograd_figure_id"],
        )
        found.append((node, item))
    return found


def _own_timeout(node: nodes.Element) -> float | None:
    classes: list[str] = node.get("classes", [])
    for name in classes:
        if match := TIMEOUT_CLASS.fullmatch(name):
            return float(match[1])
    return None


def _place(node: nodes.Element, page: str) -> tuple[str, int]:
    """The file and line of ``node``, or of its nearest ancestor that has one."""
    current: nodes.Element | None = node
    while current is not None:
        if current.line:
            return str(current.source or page), current.line
        current = current.parent
    return page, 1


def _code_start(lines: list[str], line: int, code: str) -> int:
    """The line of a file (``lines``) at or after ``line`` where ``code`` begins.

    A node's line is its directive's or fence's line; options, captions and
    blank lines may stand between it and the code, so the code is looked up.
    """
    wanted = [text.strip() for text in code.splitlines()]
    while wanted and not wanted[0]:
        wanted.pop(0)
    if not lines or not wanted:
        return line + 1
    start = max(line - 1, 0)
    for index in range(start, min(len(lines), start + 200)):
        if lines[index].strip() == wanted[0] and all(
            index + offset < len(lines) and lines[index + offset].strip() == text
            for offset, text in enumerate(wanted[1:4], start=1)
        ):
            return index + 1
    return line + 1


def _read(source: str) -> list[str]:
    try:
        return Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
