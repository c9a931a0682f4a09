"""Every kind of node the site's pages are made of reaches the downloads with its markup.

The site is built once, and each page's doctree is kept as the notebook writer
(`autograd.sphinxext.downloads`) reads it (``tests/notebook_nodes_dump.py``).
Every node type found on any page must be listed in `NODE_TYPES`, which says
how that kind of node shows in a lesson's notebook and script, and is checked
on every such node of every page that has downloads. A page that starts to use
an element no one has classified fails here, by the element's name, instead of
shipping a notebook in which it became plain text.
"""

from __future__ import annotations

import doctest
import json
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from docutils import nodes

from autograd.sphinxext.markdown import inline_markdown, table_markdown

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Download:
    """What one page's downloads hold, as text to search."""

    page: str
    markdown: str  # the notebook's Markdown cells
    code: str  # the notebook's code cells
    script_prose: str  # the script's comments, without "# "
    script: str


Check = Callable[[nodes.Node, Download], list[str]]


def _flat(text: str) -> str:
    return " ".join(text.replace("\\|", "|").split())


def _lines_in(text: str, where: str, name: str, download: Download) -> list[str]:
    """Each line of ``text`` (stripped) in the notebook's Markdown, and in the script's prose."""
    problems = []
    for line in (line.strip() for line in text.splitlines()):
        if line and line not in download.markdown:
            problems.append(f"{where}: {name} line {line!r} is not in the notebook's Markdown")
        if line and line not in download.script_prose:
            problems.append(f"{where}: {name} line {line!r} is not in the script's comments")
    return problems


def _inline_kept(node: nodes.Node, download: Download) -> list[str]:
    """Inline markup: its Markdown (`code`, *emphasis*, $math$, [links](...)) is kept."""
    text = _flat(inline_markdown(node))
    if not text or _inside(node, (nodes.literal_block, nodes.raw)):
        return []
    problems = []
    if text not in _flat(download.markdown):
        problems.append(f"{type(node).__name__} {text!r} is not in the notebook's Markdown")
    if text not in _flat(download.script_prose):
        problems.append(f"{type(node).__name__} {text!r} is not in the script's comments")
    return problems


def _inside(node: nodes.Node, kinds: tuple[type, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parent
    return False


def _paragraph(node: nodes.Node, download: Download) -> list[str]:
    if _inside(node, (nodes.entry,)):
        return []  # a table cell: checked with its table
    return _lines_in(inline_markdown(node), "paragraph", "text", download)


def _title(node: nodes.Node, download: Download) -> list[str]:
    text = inline_markdown(node).strip()
    if isinstance(node.parent, nodes.section):
        heading = re.compile(r"^#{1,6} " + re.escape(text) + "$", re.M)
        problems = [] if heading.search(download.markdown) else [f"no heading {text!r}"]
        if not heading.search(download.script_prose):
            problems.append(f"no heading {text!r} in the script's comments")
        return problems
    return _inline_kept(node, download)


def _dropdown_title(node: nodes.Node, download: Download) -> list[str]:
    text = inline_markdown(node).strip()
    heading = re.compile(r"^#{1,6} " + re.escape(text) + "$", re.M)
    return [] if heading.search(download.markdown) else [f"no heading {text!r} (an exercise)"]


def _list(node: nodes.Node, download: Download) -> list[str]:
    assert isinstance(node, nodes.bullet_list | nodes.enumerated_list)
    problems = []
    for number, item in enumerate(node.children, start=1):
        paragraph = next(item.findall(nodes.paragraph), None)
        if paragraph is None:
            continue
        first = inline_markdown(paragraph).splitlines()[0].strip()
        marker = f"{number}. " if isinstance(node, nodes.enumerated_list) else "- "
        if marker + first not in download.markdown:
            problems.append(f"list item {marker + first!r} is not in the notebook")
        if marker + first not in download.script_prose:
            problems.append(f"list item {marker + first!r} is not in the script")
    return problems


def _term(node: nodes.Node, download: Download) -> list[str]:
    text = f"**{inline_markdown(node)}**: "
    return [] if text in download.markdown else [f"definition term {text!r} is not kept"]


def _math_block(node: nodes.Node, download: Download) -> list[str]:
    block = "$$\n" + node.astext().strip() + "\n$$"
    problems = [] if block in download.markdown else [f"display math {block!r} is not kept"]
    return problems + _lines_in(block, "display math", "line", download)


def _literal_block(node: nodes.Node, download: Download) -> list[str]:
    assert isinstance(node, nodes.Element)
    kind = node.get("autograd_kind")
    if kind == "doctest":
        examples = doctest.DocTestParser().get_examples(node.astext())
        return [
            f"example {example.source!r} is not a code cell, or not in the script"
            for example in examples
            if example.source.strip() not in download.code
            or example.source.strip().splitlines()[0] not in download.script
        ]
    if kind == "script":
        code = node.astext().strip()
        return [] if code in download.code and code in download.script else ["script lost"]
    language = node.get("language", "") or ""
    fence = f"```{language}\n{node.astext().rstrip()}\n```"
    problems = [] if fence in download.markdown else [f"code block {fence[:60]!r} not fenced"]
    return problems + _lines_in(fence, "code block", "line", download)


def _table(node: nodes.Node, download: Download) -> list[str]:
    assert isinstance(node, nodes.table)
    markdown = table_markdown(node)
    lines = markdown.splitlines()
    assert re.fullmatch(r"\| (:?-+:? \| )+", lines[1 if lines[0].startswith("|") else 2] + " ")
    rows = list(node.findall(nodes.row))
    problems = []
    if len([line for line in lines if line.startswith("| ")]) != len(rows) + 1:
        problems.append("the Markdown table does not have one line per row")
    for entry in node.findall(nodes.entry):
        for child in entry.children:
            if _flat(inline_markdown(child)) not in _flat(markdown):
                problems.append(
                    f"cell markup {_flat(inline_markdown(child))!r} is not in the table"
                )
    if markdown not in download.markdown:
        problems.append(f"the table is not a Markdown table in the notebook:\n{markdown}")
    commented = "\n".join(f"# {line}".rstrip() for line in lines)
    if commented not in download.script:
        problems.append("the table is not a comment block of the same Markdown in the script")
    return problems


def _figure(node: nodes.Node, download: Download) -> list[str]:
    assert isinstance(node, nodes.figure)
    drawing = next(
        (
            child
            for child in node.children
            if isinstance(child, nodes.Element) and "expression" in child
        ),
        None,
    )
    if drawing is None:
        return ["a figure without a drawing: the notebook writer keeps no image of it"]
    expression = drawing["expression"]
    if drawing.tagname == "value_graph":
        found = f"draw_dot({expression}" in download.code
    elif drawing.tagname == "live_plot":
        found = expression in download.code
    else:
        found = f"`{expression}.backward()`, step by step" in download.markdown
    return [] if found else [f"figure of {expression!r} ({drawing.tagname}) is not in the notebook"]


def _caption(node: nodes.Node, download: Download) -> list[str]:
    """A figure's or a code block's caption, with its markup."""
    return _inline_kept(node, download)


def _admonition(node: nodes.Node, download: Download) -> list[str]:
    title = next(iter(node.findall(nodes.title)), None)
    name = inline_markdown(title) if title is not None else node.tagname.capitalize()
    return [] if f"> **{name}**" in download.markdown else [f"admonition {name!r} lost"]


def _structure(node: nodes.Node, download: Download) -> list[str]:
    """A container: nothing of its own to show; its children are checked."""
    return []


def _invisible(node: nodes.Node, download: Download) -> list[str]:
    """Shows nothing on the page a reader would miss (a label, an HTML decoration)."""
    return []


def _part_of_table(node: nodes.Node, download: Download) -> list[str]:
    return [] if _inside(node, (nodes.table,)) else ["a table part outside a table"]


def _drawing(node: nodes.Node, download: Download) -> list[str]:
    return [] if isinstance(node.parent, nodes.figure) else ["a drawing outside a figure"]


NOT_IN_DOWNLOADS = "not in downloads"
"""Found only on pages without downloads (the API reference, the home page): the
notebook writer has no Markdown for it, so a lesson that uses it fails here."""

NODE_TYPES: dict[str, Check | str] = {
    # structure: what the walk goes into
    "docutils.document": _structure,
    "docutils.section": _structure,
    "docutils.container": _structure,
    "docutils.compound": _structure,
    "docutils.list_item": _structure,
    "docutils.definition_list": _structure,
    "docutils.definition_list_item": _structure,
    "docutils.definition": _structure,
    "sphinx_design.dropdown_main": _structure,
    "docutils.Text": _structure,
    # blocks
    "docutils.title": _title,
    "sphinx_design.dropdown_title": _dropdown_title,
    "docutils.paragraph": _paragraph,
    "docutils.bullet_list": _list,
    "docutils.enumerated_list": _list,
    "docutils.term": _term,
    "docutils.math_block": _math_block,
    "docutils.literal_block": _literal_block,
    "docutils.admonition": _admonition,
    "docutils.table": _table,
    "docutils.tgroup": _part_of_table,
    "docutils.colspec": _part_of_table,
    "docutils.thead": _part_of_table,
    "docutils.tbody": _part_of_table,
    "docutils.row": _part_of_table,
    "docutils.entry": _part_of_table,
    "docutils.figure": _figure,
    "docutils.caption": _caption,
    "autograd.value_graph": _drawing,
    "autograd.live_plot": _drawing,
    "autograd.backward_steps_figure": _drawing,
    # inline markup
    "docutils.literal": _inline_kept,
    "docutils.emphasis": _inline_kept,
    "docutils.strong": _inline_kept,
    "docutils.math": _inline_kept,
    "docutils.reference": _inline_kept,
    "docutils.inline": _inline_kept,
    "autograd.eval_result": _inline_kept,
    # nothing a reader of the download misses
    "docutils.target": _invisible,
    "docutils.raw": _invisible,  # the theme's icons, the downloads bar itself
    # only on pages without downloads
    "docutils.abbreviation": NOT_IN_DOWNLOADS,
    "docutils.title_reference": NOT_IN_DOWNLOADS,
    "docutils.doctest_block": NOT_IN_DOWNLOADS,
    "docutils.field_list": NOT_IN_DOWNLOADS,
    "docutils.field": NOT_IN_DOWNLOADS,
    "docutils.field_name": NOT_IN_DOWNLOADS,
    "docutils.field_body": NOT_IN_DOWNLOADS,
    "sphinx.toctree": NOT_IN_DOWNLOADS,
    "sphinx.index": NOT_IN_DOWNLOADS,
    "sphinx.desc": NOT_IN_DOWNLOADS,
    "sphinx.desc_addname": NOT_IN_DOWNLOADS,
    "sphinx.desc_annotation": NOT_IN_DOWNLOADS,
    "sphinx.desc_content": NOT_IN_DOWNLOADS,
    "sphinx.desc_name": NOT_IN_DOWNLOADS,
    "sphinx.desc_parameter": NOT_IN_DOWNLOADS,
    "sphinx.desc_parameterlist": NOT_IN_DOWNLOADS,
    "sphinx.desc_returns": NOT_IN_DOWNLOADS,
    "sphinx.desc_sig_keyword": NOT_IN_DOWNLOADS,
    "sphinx.desc_sig_literal_string": NOT_IN_DOWNLOADS,
    "sphinx.desc_sig_name": NOT_IN_DOWNLOADS,
    "sphinx.desc_sig_operator": NOT_IN_DOWNLOADS,
    "sphinx.desc_sig_punctuation": NOT_IN_DOWNLOADS,
    "sphinx.desc_sig_space": NOT_IN_DOWNLOADS,
    "sphinx.desc_signature": NOT_IN_DOWNLOADS,
}


def node_type(node: nodes.Node) -> str:
    return f"{type(node).__module__.split('.')[0]}.{type(node).__name__}"


CONF = """\
import runpy, sys
from pathlib import Path
REAL = Path({conf!r})
sys.path.insert(0, {tests!r})
globals().update(
    {{k: v for k, v in runpy.run_path(str(REAL / "conf.py")).items() if not k.startswith("__")}}
)
extensions = [*extensions, "notebook_nodes_dump"]
html_static_path = [str(REAL / p) for p in html_static_path]
templates_path = [str(REAL / p) for p in templates_path]
html_favicon = str(REAL / html_favicon)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with its own configuration, keeping each page's doctree."""
    folder = tmp_path_factory.mktemp("nodes")
    (folder / "conf").mkdir()
    (folder / "conf" / "conf.py").write_text(
        CONF.format(conf=str(ROOT / "conf"), tests=str(ROOT / "tests"))
    )
    result = subprocess.run(
        [
            *(sys.executable, "-m", "sphinx", "-c", folder / "conf", "-b", "html", "-q"),
            *("-d", folder / "doctrees", "-D", "autograd_project_root="),
            *(ROOT / "docs", folder / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return folder / "html"


def doctrees(site: Path) -> dict[str, nodes.document]:
    kept = site / "_doctrees"
    return {
        str(path.relative_to(kept).with_suffix("")): pickle.loads(path.read_bytes())
        for path in sorted(kept.rglob("*.pickle"))
    }


def download(site: Path, page: str) -> Download | None:
    notebook_file = site / f"{page}.ipynb"
    if not notebook_file.exists():
        return None
    cells = json.loads(notebook_file.read_text())["cells"]
    script = (site / f"{page}.py").read_text()
    return Download(
        page=page,
        markdown="\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"),
        code="\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"),
        script_prose="\n".join(
            line[2:] if line.startswith("# ") else "" for line in script.splitlines()
        ),
        script=script,
    )


def test_every_node_type_of_the_site_is_classified(site: Path) -> None:
    found: dict[str, str] = {}
    for page, doctree in doctrees(site).items():
        for node in doctree.findall():
            found.setdefault(node_type(node), page)
    unknown = {name: page for name, page in found.items() if name not in NODE_TYPES}
    assert not unknown, (
        "node types no test has classified (add each to NODE_TYPES, and teach the "
        f"notebook writer to keep it if a lesson uses it): {unknown}"
    )
    assert len(found) > 40  # the walk saw the real site


def test_every_node_of_every_downloaded_page_reaches_its_notebook_and_script(
    site: Path,
) -> None:
    problems = []
    pages = 0
    for page, doctree in doctrees(site).items():
        kept = download(site, page)
        if kept is None:
            continue
        pages += 1
        for node in doctree.findall():
            check = NODE_TYPES.get(node_type(node))
            if check is None:
                continue  # reported by the test above
            if check == NOT_IN_DOWNLOADS:
                problems.append(f"{page}: a {node_type(node)}, which no download keeps")
                continue
            assert callable(check)
            problems += [f"{page}: {problem}" for problem in check(node, kept)]
    assert pages >= 17
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_the_backward_rules_table_of_lesson_8_is_a_markdown_table(site: Path) -> None:
    kept = download(site, "lessons/08-automatic-backprop")
    assert kept is not None
    assert "| operation | forward | what each child receives |" in kept.markdown
    assert "| `a * b` | $a b$ | $a$: $b \\cdot g$, $b$: $a \\cdot g$ |" in kept.markdown
    assert "# | `a * b` | $a b$ | $a$: $b \\cdot g$, $b$: $a \\cdot g$ |" in kept.script
    pytorch = download(site, "lessons/16-pytorch")
    assert pytorch is not None
    assert "| `autograd` | PyTorch |" in pytorch.markdown
    assert "| `v.backward()` | `t.backward()` |" in pytorch.markdown
