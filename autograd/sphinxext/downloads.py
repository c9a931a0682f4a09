"""What each page offers its reader to run: downloads and "Run in browser".

On ``doctree-resolved`` (html and dirhtml), `write_downloads` writes the page's
notebook (`autograd.sphinxext.ipynb`) and script (`autograd.sphinxext.pyscript`)
beside its HTML (``lessons/03-x.ipynb`` beside ``lessons/03-x.html``), and puts a
bar below the page's title that links them and, where the build ships it
(`autograd.sphinxext.pyodide_assets`), holds the "Run in browser" button and
the page's runnable steps as JSON. The page's script ``autograd-run.js`` finds
each step's element by its class, ``autograd-step-<n>``.
"""

from __future__ import annotations

import fnmatch
import json
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from autograd.browser import build_only_notes
from autograd.sphinxext.ipynb import to_notebook
from autograd.sphinxext.outline import DoctestStep, FigureStep, ScriptStep, Step, page_steps
from autograd.sphinxext.pyscript import script_source

__all__ = [
    "DOWNLOAD_BUILDERS",
    "controls_html",
    "download_uri",
    "run_in_browser",
    "setup",
    "steps_json",
    "write_downloads",
]

logger = logging.getLogger(__name__)


DOWNLOAD_BUILDERS = frozenset({"html", "dirhtml"})
"""The builders that write one HTML file per page, beside which a page's downloads go."""


def run_in_browser(app: Sphinx) -> bool:
    """Does this build ship "Run in browser"? Only beside the downloads, in html and dirhtml."""
    return bool(app.config.autograd_run_in_browser) and app.builder.name in DOWNLOAD_BUILDERS


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
    if run_in_browser(app):
        html += controls_html(app, docname, steps)
    html += "</div>\n"
    bar = nodes.raw("", html, format="html")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, bar)
    else:
        doctree.insert(0, bar)


def steps_json(steps: list[Step]) -> str:
    """The runnable steps, as the JSON that "Run in browser" reads from the page.

    A step that cannot run in the browser (`autograd.browser.build_only_notes`)
    carries ``from_build``, the sentence the page shows under it instead, and
    ``needs``, the package it needs.

    >>> from autograd.sphinxext.downloads import steps_json
    >>> from autograd.sphinxext.outline import ProseStep, ScriptStep
    >>> steps_json([ProseStep("Hi."), ScriptStep("x = 1\\n", "autograd-step-1")])
    '[{"code": "x = 1\\\\n", "element": "autograd-step-1", "kind": "script"}]'
    """
    items: list[dict[str, Any]] = []
    sources: list[tuple[str, list[str]]] = []
    for step in steps:
        if isinstance(step, DoctestStep):
            items.append({"kind": "doctest", "code": step.code, "element": step.element})
            sources.append(("doctest", [example.source for example in step.examples]))
        elif isinstance(step, ScriptStep):
            items.append({"kind": "script", "code": step.code, "element": step.element})
            sources.append(("script", [step.code]))
        elif isinstance(step, FigureStep) and step.runs:
            items.append(
                {
                    "kind": step.kind,
                    "expression": step.expression,
                    "figure_id": step.figure_id,
                    "element": step.element,
                    **step.options,
                }
            )
            sources.append((step.kind, [step.expression]))
    for item, build_only in zip(items, build_only_notes(sources), strict=True):
        if build_only is not None:
            item["from_build"], item["needs"] = build_only.note, build_only.package
    # Inside a <script> element nothing may read as markup: not "</script", not
    # "<!--" (which makes a later "</script>" not end it); JSON says the same
    # characters as \u escapes.
    text = json.dumps(items, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def controls_html(app: Sphinx, docname: str, steps: list[Step]) -> str:
    """The "Run in browser" button and the page's runnable steps, as HTML."""
    static = relative_uri(app.builder.get_target_uri(docname), "_static/")
    return (
        '<button type="button" class="autograd-run-start" hidden>Run in browser</button>'
        '<span class="autograd-run-status" role="status" aria-live="polite"></span>'
        '<progress class="autograd-run-progress" max="1" aria-label="Loading Python" hidden>'
        "</progress>"
        '<script type="application/json" class="autograd-run-steps">'
        f"{steps_json(steps)}</script>"
        f'<script src="{escape(static)}autograd-run.js" defer></script>'
    )


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
