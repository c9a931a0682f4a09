"""A Sphinx extension that runs a page's examples and draws its live figures.

Add ``"autograd.sphinxext"`` to ``extensions``. While each page is read, its
``pycon`` and ``python`` code blocks run in order in one namespace, each
``value-graph`` or ``live-plot`` directive draws what its expression names at
that point of the page, and each ``{eval}`` role shows a value. An example
that fails is reported at its file and line, and fails the build.

The path of one example through a build:

1. MyST parses the page; the directives of `autograd.sphinxext.directives`
   and the role of `autograd.sphinxext.inline` make their nodes.
2. `execute_page` (at ``doctree-read``) has `autograd.sphinxext.blocks.plan_page`
   walk the page once and stamp each runnable node with its kind, file, exact
   line and figure id.
3. `autograd.sphinxext.worker.run_page` forks a page process, set up by
   `autograd.sphinxext.sandbox`, which runs the items with
   `autograd.sphinxext.examples.PageRunner` and draws figures with
   `autograd.sphinxext.drawings.draw_figure` (plots with
   `autograd.sphinxext.plots`); it reports in the typed, data-only messages
   of `autograd.sphinxext.protocol`. The build judges each doctest output
   (`autograd.sphinxext.doctests.compare`) and checks that every example
   reported.
4. `autograd.sphinxext.results.apply` writes each figure's and ``{eval}``'s
   result into its node; failures are logged at their file and line, and
   `autograd.sphinxext.runs` keeps the page's run for the report.
5. At write time, `autograd.sphinxext.outline` reads the stamped plan into
   steps, and `autograd.sphinxext.downloads` writes them as the page's
   notebook (`autograd.sphinxext.ipynb`), script
   (`autograd.sphinxext.pyscript`) and "Run in browser" steps, whose files
   `autograd.sphinxext.pyodide_assets` ships; the visitors of
   `autograd.sphinxext.visitors` write the figures' HTML, those of
   `autograd.sphinxext.stills` the EPUB and LaTeX images.

Settings in ``conf.py``: ``autograd_execute`` (``False`` builds without
running anything; figures show a placeholder), ``autograd_timeout`` (the
seconds of CPU time one example may use, 30 by default; ``0`` for no limit)
and ``autograd_graphviz``, the Graphviz that lays out the diagrams:
``"wasm"`` by default (Graphviz compiled to WebAssembly, inside the build:
the same Graphviz on every machine, and no process started per drawing),
``"dot"`` for the system's, or ``"auto"``. The environment variable
``AUTOGRAD_GRAPHVIZ``, set when the build starts, takes precedence. A page can raise its own
time limit with ``autograd-timeout: 120`` in its front matter, and a
``{code-block}`` with ``:class: autograd-timeout-120``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.util import logging

from autograd.render import CHOICES
from autograd.sphinxext import downloads, pyodide_assets, schedule
from autograd.sphinxext.blocks import plan_page, slug
from autograd.sphinxext.directives import (
    FIGURE_NODES,
    BackwardStepsDirective,
    LivePlotDirective,
    ValueGraphDirective,
    backward_steps_figure,
    live_plot,
    value_graph,
)
from autograd.sphinxext.inline import VISITORS, eval_result, eval_role, show_result
from autograd.sphinxext.limits import check_time_limit, page_time_limit
from autograd.sphinxext.refused import refuse_other_executors, refused
from autograd.sphinxext.results import apply
from autograd.sphinxext.runs import PageRun, RunsCollector, changed_environ, environ_read, runs
from autograd.sphinxext.stills import (
    drop_decorative_svg,
    in_epub_too,
    unfloat_steps,
    visit_latex,
)
from autograd.sphinxext.visitors import (
    copy_font,
    visit_backward_steps_html,
    visit_live_plot_html,
    visit_skip,
    visit_text,
    visit_value_graph_html,
)
from autograd.sphinxext.worker import Failure, preload, run_page

__all__ = ["execute_page", "setup"]

logger = logging.getLogger(__name__)

SLOWEST = 5
"""How many of the slowest pages the build names at its end."""

_PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="48" viewBox="0 0 320 48">'
    '<rect x="0.5" y="0.5" width="319" height="47" fill="none" stroke="#999" '
    'stroke-dasharray="4 3"/><text x="160" y="29" text-anchor="middle" '
    'font-family="sans-serif" font-size="13" fill="#666">'
    "not drawn: examples were not run</text></svg>"
)


def execute_page(app: Sphinx, doctree: nodes.document) -> None:
    """Run every example of the page in order; draw every live figure."""
    env = app.env
    docname = env.docname
    page = str(env.doc2path(docname))
    items = plan_page(doctree, page, slug(docname))
    failures = [Failure(source, line, message) for source, line, message in refused(doctree)]
    examples, seconds = 0, 0.0
    timeout, bad_timeout = page_time_limit(app, docname)
    if bad_timeout is not None:
        failures.append(bad_timeout)
    if app.config.autograd_execute:
        _preload_once(modules=False)
        result = run_page(
            items,
            page,
            timeout,
            _project(app),
            [Path(app.outdir), Path(app.doctreedir)],
            [Path(app.srcdir), Path(app.confdir)],
        )
        for index, found in result.results.items():
            apply(items[index][0], found)
        for filename in result.files:
            env.note_dependency(filename)
        environ_read(env)[docname] = result.environ
        if result.untracked:
            logger.info(
                "autograd: %s runs again at the next build: it %s",
                docname,
                " and ".join(result.untracked),
            )
            env.note_reread()
        failures += result.failures
        examples, seconds = result.examples, result.seconds
    else:
        _show_placeholders(item_node for item_node, _ in items)
    for failure in failures:
        location = (docname, failure.line) if failure.source == page else None
        logger.warning(
            "example failed: %s",
            failure.message,
            location=location or f"{failure.source}:{failure.line}",
            type="autograd",
            subtype="example",
        )
    if failures:
        env.note_reread()  # an unchanged page that failed must not pass next time
    runs(env)[docname] = PageRun(
        examples,
        seconds,
        tuple(f"{f.source}:{f.line}" for f in failures),
        time.perf_counter() - _read_started.pop(docname, time.perf_counter()),
    )


_read_started: dict[str, float] = {}
"""When each page being read in this process started; the next build balances whole reads."""


def _note_read_start(app: Sphinx, docname: str, source: list[str]) -> None:
    _read_started[docname] = time.perf_counter()


def _show_placeholders(found: Iterable[nodes.Element]) -> None:
    for node in found:
        if isinstance(node, eval_result):
            show_result(node, node["expression"])
        elif isinstance(node, FIGURE_NODES):
            node["svg"] = _PLACEHOLDER_SVG
            node["description"] = "Figure not drawn: the examples were not run."


_preloaded: set[bool] = set()


def _preload_once(modules: bool) -> None:
    if modules not in _preloaded and True not in _preloaded:
        preload(modules)
        _preloaded.add(modules)


def _project(app: Sphinx) -> Path:
    """The folder whose files a page may depend on: the one holding sources and conf.py."""
    source = Path(app.srcdir).resolve()
    common = Path(os.path.commonpath([source, Path(app.confdir).resolve()]))
    return common if common != Path(common.anchor) else source


def _start_build(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Forget the last build's runs: the report names only the pages run now."""
    runs(env).clear()
    if docnames and app.config.autograd_execute:
        # Before parallel readers fork, so that they share it; one page alone
        # imports only what it uses.
        _preload_once(modules=len(docnames) > 1)
        if app.parallel > 1 and len(docnames) > app.parallel:
            from sphinx.util.parallel import make_chunks

            sizes = [len(chunk) for chunk in make_chunks(docnames, app.parallel)]
            seconds = schedule.load_seconds(Path(app.doctreedir))
            schedule.balance(docnames, seconds, sizes, workers=app.parallel)


_GRAPHVIZ_FROM_ENVIRONMENT = os.environ.get("AUTOGRAD_GRAPHVIZ")
"""``AUTOGRAD_GRAPHVIZ`` as the build process started with it: it wins over the config."""


def _choose_graphviz(app: Sphinx, config: Config) -> None:
    """Lay out the diagrams with the configured Graphviz, unless the environment names one.

    The choice in effect becomes the config value, so that switching it
    re-reads every page: no site mixes drawings of two Graphviz versions.
    """
    name = "AUTOGRAD_GRAPHVIZ" if _GRAPHVIZ_FROM_ENVIRONMENT else "autograd_graphviz"
    choice = _GRAPHVIZ_FROM_ENVIRONMENT or config.autograd_graphviz
    choice = choice.strip().lower() if isinstance(choice, str) else choice
    if choice not in CHOICES:
        raise ConfigError(f"{name} must be 'wasm', 'dot' or 'auto', not {choice!r}")
    config.autograd_graphviz = choice
    os.environ["AUTOGRAD_GRAPHVIZ"] = choice


def _environ_changed(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Pages that read an environment variable whose value changed run again."""
    return [doc for doc in changed_environ(env, os.environ) if doc not in removed]


def _report(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None:
        return
    done = runs(app.env)
    if not app.config.autograd_execute:
        logger.info("autograd: examples not run (autograd_execute is off)")
    else:
        for docname in sorted(done):
            run = done[docname]
            logger.info("autograd: %s: %d examples in %.2f s", docname, run.examples, run.seconds)
        schedule.save_seconds(
            Path(app.doctreedir), {doc: run.read_seconds for doc, run in done.items()}
        )
        examples = sum(run.examples for run in done.values())
        total = sum(run.seconds for run in done.values())
        logger.info("autograd: ran %d examples on %d pages in %.2f s", examples, len(done), total)
        slowest = sorted(done, key=lambda doc: (-done[doc].seconds, doc))[:SLOWEST]
        if slowest:
            logger.info(
                "autograd: slowest pages: %s",
                ", ".join(f"{doc} ({done[doc].seconds:.2f} s)" for doc in slowest),
            )
    failed = [place for run in done.values() for place in run.failures]
    if failed:
        # Fails the build even without -W: a page must never show a wrong example.
        app.statuscode = 1
        logger.error("%d example(s) failed: %s", len(failed), ", ".join(sorted(failed)))


def _run_with_a_fixed_hash_seed() -> None:
    """Start ``sphinx-build`` again with ``PYTHONHASHSEED=0``, unless it runs so already.

    Page processes are forked from the build, so they hash strings as the
    build does; with Python's random seed a printed set of strings could
    differ from one build to the next. Only a build started from the command
    line is started again (a program that runs Sphinx inside itself keeps
    its own seed).
    """
    if os.environ.get("PYTHONHASHSEED") == "0":
        return
    program = Path(sys.argv[0]) if sys.argv else Path()
    from_command_line = program.name == "sphinx-build" or program.parts[-2:] == (
        "sphinx",
        "__main__.py",
    )
    if from_command_line and sys.orig_argv:
        os.environ["PYTHONHASHSEED"] = "0"
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, sys.orig_argv)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the page runner and the stylesheet."""
    _run_with_a_fixed_hash_seed()
    os.environ.setdefault("MPLBACKEND", "Agg")
    app.add_directive("value-graph", ValueGraphDirective)
    app.add_directive("live-plot", LivePlotDirective)
    app.add_directive("backward-steps", BackwardStepsDirective)
    app.add_role("eval", eval_role)
    app.add_node(eval_result, **VISITORS)
    for node, visit_html in (
        (value_graph, visit_value_graph_html),
        (backward_steps_figure, visit_backward_steps_html),
        (live_plot, visit_live_plot_html),
    ):
        app.add_node(
            node,
            html=(in_epub_too(visit_html), None),
            text=(visit_text, None),
            latex=(visit_latex, None),
            man=(visit_skip, None),
            texinfo=(visit_skip, None),
        )
    app.add_config_value("autograd_execute", True, "env", types=[bool])
    app.add_config_value("autograd_timeout", 30, "env", types=[int, float])
    app.add_config_value("autograd_graphviz", "wasm", "env", types=[str])
    app.connect("config-inited", _choose_graphviz)
    app.connect("config-inited", check_time_limit)
    app.connect("env-before-read-docs", _start_build)
    app.add_env_collector(RunsCollector)
    app.connect("env-get-outdated", _environ_changed)
    app.connect("builder-inited", refuse_other_executors)
    app.connect("source-read", _note_read_start)
    # Before Sphinx's collectors read the page: a title holding an {eval} is
    # collected with its value.
    app.connect("doctree-read", execute_page, priority=400)
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
    app.add_js_file("autograd-figures.js", defer="defer")
    app.add_js_file("autograd-predict.js", defer="defer")
    app.connect("html-collect-pages", copy_font)
    app.connect("doctree-resolved", unfloat_steps)
    app.connect("html-page-context", drop_decorative_svg)
    downloads.setup(app)
    pyodide_assets.setup(app)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
