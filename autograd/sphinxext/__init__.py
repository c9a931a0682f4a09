"""A Sphinx extension that runs a page's examples and draws its live figures.

Add ``"autograd.sphinxext"`` to ``extensions``. While each page is read, its
``pycon`` and ``python`` code blocks run in order in one namespace, and each
``value-graph`` or ``live-plot`` directive draws what its expression names at
that point of the page. An example that fails is reported at its page and
line, and fails the build.

The path of a page: MyST parses it, `execute_page` walks the doctree in
document order, `autograd.sphinxext.examples.PageRunner` runs each block,
`autograd.sphinxext.figures` turns live objects into SVG, and the HTML
visitors place that SVG in the page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from autograd.sphinxext.examples import ExampleFailure, PageRunner
from autograd.sphinxext.figures import (
    FIGURE_NODES,
    LivePlotDirective,
    ValueGraphDirective,
    draw_figure,
    live_plot,
    value_graph,
    visit_live_plot_html,
    visit_skip,
    visit_text,
    visit_value_graph_html,
)

__all__ = ["execute_page", "setup"]

logger = logging.getLogger(__name__)

DOCTEST_LANGUAGES = frozenset({"pycon", "python", "py", "python3", "default", ""})
SCRIPT_LANGUAGES = frozenset({"python", "py", "python3"})


def _kind(node: nodes.Node) -> str | None:
    """How the page runner treats ``node``: a figure, a doctest, a script, or not at all."""
    if isinstance(node, FIGURE_NODES):
        return "figure"
    if isinstance(node, nodes.doctest_block):
        return "doctest"
    if isinstance(node, nodes.literal_block):
        language = node.get("language", "")
        if language in DOCTEST_LANGUAGES and node.astext().lstrip().startswith(">>>"):
            return "doctest"
        if language in SCRIPT_LANGUAGES:
            return "script"
    return None


def _first_line(node: nodes.Element) -> int:
    """The page line of the block's first line of code."""
    line = node.line or 1
    # A fenced block's node sits on its opening fence; its code starts below.
    return line + 1 if isinstance(node, nodes.literal_block) else line


def execute_page(app: Sphinx, doctree: nodes.document) -> None:
    """Run every example of the page in order; draw every live figure."""
    env = app.env
    docname = env.docname
    filename = str(env.doc2path(docname))
    runner = PageRunner(filename)
    failures: list[ExampleFailure] = []
    figure_number = 0
    for node in list(doctree.findall(lambda node: _kind(node) is not None)):
        assert isinstance(node, nodes.Element)
        kind = _kind(node)
        if kind == "figure":
            figure_number += 1
            failures += _draw(runner, node, f"{_slug(docname)}_g{figure_number}")
        elif kind == "doctest":
            failures += runner.run_doctest(node.astext(), _first_line(node))
        else:
            failures += runner.run_script(node.astext(), _first_line(node))
    for failure in failures:
        logger.warning(
            "example failed: %s",
            failure.message,
            location=(docname, failure.line),
            type="autograd",
            subtype="example",
        )
    record = env.autograd_examples  # type: ignore[attr-defined]
    record[docname] = (runner.examples_run, [f"{filename}:{f.line}" for f in failures])


def _draw(runner: PageRunner, node: nodes.Element, graph_id: str) -> list[ExampleFailure]:
    directive = node.tagname.replace("_", "-")
    line = node.line or 1
    try:
        target = runner.evaluate(node["expression"])
    except Exception as error:
        return [
            ExampleFailure(
                line,
                f"{directive}: cannot evaluate {node['expression']!r}: "
                f"{type(error).__name__}: {error}",
            )
        ]
    try:
        draw_figure(node, target, graph_id)
    except Exception as error:
        return [ExampleFailure(line, f"{directive}: {type(error).__name__}: {error}")]
    return []


def _slug(docname: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", docname).strip("_") or "page"


def _init_record(app: Sphinx) -> None:
    if not hasattr(app.env, "autograd_examples"):
        app.env.autograd_examples = {}  # type: ignore[attr-defined]


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "autograd_examples", {}).pop(docname, None)


def _merge(
    app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment
) -> None:
    _init_record(app)
    for docname in docnames:
        if docname in other.autograd_examples:  # type: ignore[attr-defined]
            env.autograd_examples[docname] = other.autograd_examples[docname]  # type: ignore[attr-defined]


def _report(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None:
        return
    record: dict[str, tuple[int, list[str]]] = getattr(app.env, "autograd_examples", {})
    examples = sum(count for count, _ in record.values())
    failed = [place for _, places in record.values() for place in places]
    logger.info("autograd: ran %d examples on %d pages", examples, len(record))
    if failed:
        # Fails the build even without -W: a page must never show a wrong example.
        app.statuscode = 1
        logger.error("%d example(s) failed: %s", len(failed), ", ".join(sorted(failed)))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the page runner and the stylesheet."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    app.add_directive("value-graph", ValueGraphDirective)
    app.add_directive("live-plot", LivePlotDirective)
    for node, visit_html in (
        (value_graph, visit_value_graph_html),
        (live_plot, visit_live_plot_html),
    ):
        app.add_node(
            node,
            html=(visit_html, None),
            text=(visit_text, None),
            latex=(visit_skip, None),
            man=(visit_skip, None),
            texinfo=(visit_skip, None),
        )
    app.connect("builder-inited", _init_record)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-read", execute_page)
    app.connect("build-finished", _report)
    static = Path(__file__).parent / "static"
    app.connect(
        "builder-inited",
        lambda app: (
            app.config.html_static_path.append(str(static))
            if app.builder.format == "html"
            else None
        ),
    )
    app.add_css_file("autograd-figures.css")
    from autograd.sphinxext import browser, notebooks  # both read this module's page walk

    notebooks.setup(app)
    browser.setup(app)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
