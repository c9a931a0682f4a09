"""The Sphinx extension, on small sites built in temporary folders."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CONF = """
extensions = ["myst_parser", "autograd.sphinxext"]
myst_enable_extensions = ["dollarmath"]
html_theme = "basic"
"""

GOOD_PAGE = """\
# A page

```pycon
>>> from autograd import Value
>>> a = Value(2.0, label="a")
>>> b = a * 3.0; b.label = "b"
>>> b.backward()
>>> a.grad
3.0
```

```{value-graph} b
:caption: The graph of b.
:name: fig-b
```

```python
import matplotlib.pyplot as plt
figure, axes = plt.subplots()
axes.plot([0, 1, 2], [0, 1, 4])
axes.set_title("three points")
```

```{live-plot} figure
:caption: A plot.
:width: 80%
```
"""


def build(
    tmp_path: Path, pages: dict[str, str], *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "conf.py").write_text(CONF)
    for name, text in pages.items():
        (source / name).write_text(textwrap.dedent(text))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-E",
            "-q",
            *extra,
            str(source),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_a_good_page_builds_with_its_diagram_and_plot(tmp_path: Path) -> None:
    result = build(tmp_path, {"index.md": GOOD_PAGE}, "-W")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert '<div class="value-graph-drawing" role="img"' in html
    assert "grad 3.0000" in html  # a's gradient, drawn after backward()
    assert 'aria-label="b = a * 3, where a = 2; b = 6. Gradients: b 1, a 3."' in html
    assert '<img class="live-plot-drawing live-plot-light" src="_images/plot-' in html
    assert '<img class="live-plot-drawing live-plot-dark" src="_images/plot-' in html
    assert 'alt="Plot. three points: x from ' in html and 'style="width: 80%"' in html
    assert len(list((tmp_path / "out" / "_images").glob("plot-*.svg"))) == 2
    assert 'id="fig-b"' in html


def test_a_wrong_output_fails_at_the_exact_line(tmp_path: Path) -> None:
    page = "# Page\n\nText.\n\n```pycon\n>>> x = 2\n>>> x + 2\n5\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:7: WARNING: example failed: x + 2" in result.stderr
    assert "Expected:\n    5\nGot:\n    4" in result.stderr


def test_an_exception_fails_at_its_line_inside_a_nested_block(tmp_path: Path) -> None:
    page = "# Page\n\n:::{note}\nInside.\n\n```pycon\n>>> 1\n1\n>>> 1 / 0\n```\n:::\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:9: WARNING: example failed: 1 / 0" in result.stderr
    assert "ZeroDivisionError: division by zero" in result.stderr


def test_a_python_block_that_raises_is_reported_at_the_raising_line(tmp_path: Path) -> None:
    page = "# Page\n\n```python\nx = 1\ny = undefined_name\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: this code block raised" in result.stderr
    assert "NameError" in result.stderr


def test_a_python_block_must_not_print(tmp_path: Path) -> None:
    page = "# Page\n\n```python\nprint('hidden')\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:4: WARNING: example failed: this code block printed output" in result.stderr


def test_an_undefined_name_in_a_graph_fails_at_the_directive(tmp_path: Path) -> None:
    page = "# Page\n\nText.\n\n```{value-graph} nowhere\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert (
        "index.md:5: WARNING: example failed: value-graph: cannot evaluate 'nowhere': "
        "NameError: name 'nowhere' is not defined"
    ) in result.stderr


def test_a_graph_of_something_that_is_not_a_node_fails(tmp_path: Path) -> None:
    page = "# Page\n\n```pycon\n>>> n = 3\n```\n\n```{value-graph} n\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert "index.md:7: WARNING: example failed: value-graph: TypeError: 'n' is a int" in (
        result.stderr
    )


def test_a_graph_too_large_fails_at_the_directive(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> from autograd import Value\n>>> v = Value(0.0)\n"
        ">>> for _ in range(500):\n...     v = v + 1.0\n```\n\n```{value-graph} v\n```\n"
    )
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:10: WARNING: example failed: value-graph: GraphTooLargeError" in (
        result.stderr
    )


def test_each_page_has_its_own_namespace(tmp_path: Path) -> None:
    pages = {
        "index.md": "# One\n\n```{toctree}\ntwo\n```\n\n```pycon\n>>> secret = 1\n```\n",
        "two.md": "# Two\n\n```pycon\n>>> secret\n1\n```\n",
    }
    result = build(tmp_path, pages)
    assert "two.md:4: WARNING: example failed: secret" in result.stderr
    assert "NameError: name 'secret' is not defined" in result.stderr


def test_diagrams_render_without_a_system_graphviz(tmp_path: Path) -> None:
    python_dir = str(Path(sys.executable).parent)
    result = build(
        tmp_path,
        {"index.md": GOOD_PAGE},
        "-W",
        env={"PATH": python_dir, "AUTOGRAD_GRAPHVIZ": "auto"},
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert "<svg" in html and "grad 3.0000" in html


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for folder in (first, second):
        assert build(folder, {"index.md": GOOD_PAGE}, "-W").returncode == 0
    for name in ("index.html", "searchindex.js"):
        assert (first / "out" / name).read_bytes() == (second / "out" / name).read_bytes()


def test_parallel_build_gives_the_same_pages(tmp_path: Path) -> None:
    pages = {
        "index.md": GOOD_PAGE.replace("# A page", "# A page\n\n```{toctree}\nother\n```"),
        "other.md": GOOD_PAGE.replace("# A page", "# Other").replace("fig-b", "fig-other"),
    }
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    serial.mkdir()
    parallel.mkdir()
    assert build(serial, pages, "-W").returncode == 0
    result = build(parallel, pages, "-W", "-j", "2")
    assert result.returncode == 0, result.stderr
    for name in ("index.html", "other.html"):
        assert (serial / "out" / name).read_bytes() == (parallel / "out" / name).read_bytes()
