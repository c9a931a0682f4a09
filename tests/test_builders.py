"""Every builder Sphinx ships builds a site of this extension, and shows its figures its way."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

CONF = f"""
extensions = ["myst_parser", "sphinx_design", "autograd.sphinxext"]
myst_enable_extensions = ["dollarmath"]
html_theme = "basic"
project = "Builders"
copyright = "2026, the authors"
version = release = "1"
autograd_project_root = {str(ROOT)!r}
autograd_run_in_browser = False
"""

INDEX = """\
# Home of {eval}`2 * 3`

The page below has {eval}`len("four")` figures.

```{toctree}
lessons/one
```
"""

LESSON = """\
# One

```pycon
>>> from autograd import Value
>>> a = Value(2.0, label="a")
>>> b = a * 3.0; b.label = "b"
>>> b.backward()
>>> a.grad
3.0
```

| what | value |
|---|---|
| the gradient of a | {eval}`a.grad` |

```{value-graph} b
:caption: The graph of b.
```

```{backward-steps} b
:caption: The backward pass of b.
```

```python
import matplotlib.pyplot as plt
figure, axes = plt.subplots()
axes.plot([0, 1, 2], [0, 1, 4])
```

```{live-plot} figure
:caption: A parabola.
```

````{dropdown} Solution
```pycon
>>> b.data
6.0
```
````
"""

SPHINX = [sys.executable, "-m", "sphinx"]
FRAMES = 3  # before backward(), the seed, and a's gradient


def build(tmp_path: Path, builder: str) -> Path:
    source = tmp_path / "src"
    (source / "lessons").mkdir(parents=True)
    (source / "conf.py").write_text(CONF)
    (source / "index.md").write_text(INDEX)
    (source / "lessons" / "one.md").write_text(textwrap.dedent(LESSON))
    out, doctrees = tmp_path / builder, str(tmp_path / "doctrees")
    result = subprocess.run(
        [*SPHINX, "-b", builder, "-W", "-q", "-E", "-d", doctrees, str(source), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_dirhtml_links_each_download_where_it_is(tmp_path: Path) -> None:
    out = build(tmp_path, "dirhtml")
    page = out / "lessons" / "one" / "index.html"
    links = re.findall(r'class="autograd-download" href="([^"]+)"', page.read_text())
    assert links == ["../one.ipynb", "../one.py"]
    for link in links:
        assert (page.parent / link).resolve().is_file(), link


def test_singlehtml_holds_every_figure_and_no_downloads(tmp_path: Path) -> None:
    html = (build(tmp_path, "singlehtml") / "index.html").read_text()
    words = re.sub(r"<[^>]+>", "", html)
    assert "Home of 6" in words and "has 4 figures" in words
    assert html.count('class="value-graph-drawing') == 1 + FRAMES
    assert "live-plot-drawing" in html
    assert "autograd-download" not in html


def test_epub_shows_each_figure_and_step_as_an_image_in_the_book(tmp_path: Path) -> None:
    out = build(tmp_path, "epub")
    (book,) = out.glob("*.epub")
    with zipfile.ZipFile(book) as archive:
        names = archive.namelist()
        assert names[0] == "mimetype"
        assert archive.read("mimetype") == b"application/epub+zip"
        manifest = archive.read("content.opf").decode()
        page = archive.read("lessons/one.xhtml").decode()
        ElementTree.fromstring(page)  # well-formed XHTML
        assert "value-graph-drawing" not in page and "backward-steps-frames" not in page
        images = re.findall(r'<img src="\.\./(_images/[^"]+\.svg)" alt="([^"]+)"', page)
        assert len(images) == 1 + FRAMES + 1  # the graph, each step, the plot
        for name, alt in images:
            ElementTree.fromstring(archive.read(name))  # a whole SVG document
            assert f'href="{name}"' in manifest and 'media-type="image/svg+xml"' in manifest
            assert alt.strip()
        assert "Step 1 of 3." in page and "Step 3 of 3." in page
        assert "sd-dropdown" in page  # another extension's HTML nodes still have their writer
        assert not [name for name in names if name.endswith((".ipynb", ".py", ".mjs"))]


def test_latex_includes_each_figure_and_step_as_a_png(tmp_path: Path) -> None:
    out = build(tmp_path, "latex")
    (tex,) = out.glob("*.tex")
    text = tex.read_text()
    included = re.findall(r"\\sphinxincludegraphics\[width=\d+pt\]\{\{([\w-]+)\}\.png\}", text)
    assert len(included) == 1 + FRAMES + 1
    for name in included:
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Step 2 of 3." in text
    # The steps run in the text, over pages if they must; the graph and the plot float.
    floats = re.findall(r"\\begin\{figure\}.*?\\end\{figure\}", text, re.S)
    assert len(floats) == 2 and not [f for f in floats if "Step 1 of 3" in f]
    assert "The backward pass of b." in text
    assert "\\DUrole{autograd-eval}{3.0}" in text  # the table cell's value


def test_text_describes_each_figure_in_words(tmp_path: Path) -> None:
    text = (build(tmp_path, "text") / "lessons" / "one.txt").read_text()
    assert "[b = a * 3, where a = 2; b = 6" in text
    assert "[Plot." in text


def test_xml_keeps_each_value_the_page_computed(tmp_path: Path) -> None:
    index = (build(tmp_path, "xml") / "index.xml").read_text()
    assert re.search(r"<title>Home of <eval_result[^>]*>6</eval_result></title>", index)
