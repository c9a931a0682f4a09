"""Each page as a notebook and a script: valid, faithful to the page, and runnable."""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LESSONS = sorted(path.stem for path in (DOCS / "lessons").glob("*.md"))
CHECKER_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

CONF = """
extensions = ["myst_parser", "autograd.sphinxext"]
myst_enable_extensions = ["dollarmath"]
"""

PAGE = """\
# A page

Some *prose*, `code` and $x^2$, with [a link](https://example.org/).

```pycon
>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x; y.label = "y"
>>> y.backward()
>>> x.grad
4.0
>>> print("hi")
hi
>>> "a string"
'a string'
>>> 1 / 0
Traceback (most recent call last):
...
ZeroDivisionError: division by zero
```

- a list item
- another

```python
def double(v):
    return 2 * v
```

```{value-graph} y
:caption: The graph of $y$.
```
"""


def build_page(tmp_path: Path, name: str = "out", page: str = PAGE, conf: bool = True) -> Path:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    if conf:
        (source / "conf.py").write_text(CONF)
    (source / "index.md").write_text(page)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-E",
            "-q",
            str(source),
            str(tmp_path / name),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / name


def run_script(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=600,
        check=False,
    )


def test_a_page_becomes_a_valid_notebook_with_its_outputs(tmp_path: Path) -> None:
    out = build_page(tmp_path)
    notebook = nbformat.read(out / "index.ipynb", as_version=4)
    nbformat.validate(notebook)
    cells = [(cell.cell_type, cell.source) for cell in notebook.cells]
    assert cells[0] == (
        "markdown",
        "# A page\n\nSome *prose*, `code` and $x^2$, with [a link](https://example.org/).",
    )
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == [
        'from autograd import Value\nx = Value(2.0, label="x")\ny = x * x; y.label = "y"\n'
        "y.backward()\nx.grad",
        'print("hi")',
        '"a string"',
        "1 / 0",
        "def double(v):\n    return 2 * v",
        'from autograd import draw_dot\n\ndraw_dot(y, rankdir="LR")',
    ]
    outputs = [cell.outputs for cell in code]
    assert outputs[0][0].output_type == "execute_result"
    assert outputs[0][0].data["text/plain"] == "4.0"
    assert (outputs[1][0].output_type, outputs[1][0].text) == ("stream", "hi\n")
    assert outputs[2][0].data["text/plain"] == "'a string'"
    assert (outputs[3][0].ename, outputs[3][0].evalue) == ("ZeroDivisionError", "division by zero")
    assert code[3].metadata["tags"] == ["raises-exception"]
    assert outputs[4] == []
    svg = outputs[5][0].data["image/svg+xml"]
    assert svg.startswith("<svg") and "grad 4.0000" in svg  # dy/dx = 2x = 4
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert "- a list item\n- another" in markdown
    assert markdown[-1] == "*The graph of $y$.*"


def test_a_page_becomes_a_script_that_prints_what_the_page_shows(tmp_path: Path) -> None:
    out = build_page(tmp_path)
    result = run_script(out / "index.py", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "4.0\nhi\n'a string'\nZeroDivisionError: division by zero\n"


def test_an_example_inside_a_list_item_keeps_its_place_in_the_notebook(tmp_path: Path) -> None:
    page = textwrap.dedent(
        """\
        # A list

        - First, an example:

          ```pycon
          >>> 2 + 2
          4
          ```
        - Then a second item.
        """
    )
    notebook = nbformat.read(build_page(tmp_path, page=page) / "index.ipynb", as_version=4)
    assert [(cell.cell_type, cell.source) for cell in notebook.cells] == [
        ("markdown", "# A list\n\n- First, an example:"),
        ("code", "2 + 2"),
        ("markdown", "- Then a second item."),
    ]


EXERCISE_CONF = """
extensions = ["myst_parser", "sphinx_design", "autograd.sphinxext"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
"""

EXERCISE_PAGE = """\
# Exercises

```pycon
>>> from autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x; y.label = "y"
```

```{backward-steps} y
:caption: The backward pass.
```

```{code-block} pycon
:class: torch-transcript

>>> import torch
>>> torch.tensor(1.0)
tensor(1.)
```

````{dropdown} Exercise 1: the gradient
What is $dy/dx$ at 3? Before `backward()`, `x.grad` is {eval}`x.grad`.

:::{admonition} Solution
:class: tip

It is $2 \\cdot 3 = 6$.

```pycon
>>> y.backward()
>>> x.grad
6.0
```
:::
````
"""


def build_exercise_page(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "conf.py").write_text(EXERCISE_CONF)
    return build_page(tmp_path, page=EXERCISE_PAGE, conf=False)


def test_an_exercise_solution_in_a_dropdown_becomes_cells_with_its_prose(tmp_path: Path) -> None:
    out = build_exercise_page(tmp_path)
    notebook = nbformat.read(out / "index.ipynb", as_version=4)
    nbformat.validate(notebook)
    cells = [(cell.cell_type, cell.source) for cell in notebook.cells]
    # The PyTorch transcript is shown, not run: Markdown, in no code cell.
    transcript = "```pycon\n>>> import torch\n>>> torch.tensor(1.0)\ntensor(1.)\n```\n\n"
    exercise = (
        "## Exercise 1: the gradient\n\nWhat is $dy/dx$ at 3? "
        "Before `backward()`, `x.grad` is 0.0.\n\n"  # the {eval} value, as run
        "> **Solution**\n>\n> It is $2 \\cdot 3 = 6$."
    )
    assert cells[-2] == ("markdown", transcript + exercise)
    solution = notebook.cells[-1]
    assert (solution.cell_type, solution.source) == ("code", "y.backward()\nx.grad")
    assert solution.outputs[0].data["text/plain"] == "6.0"  # d(x*x)/dx = 2x at 3
    assert not any("torch" in source for kind, source in cells if kind == "code")


def test_a_backward_steps_figure_is_its_steps_in_words_and_its_last_frame(tmp_path: Path) -> None:
    import base64

    out = build_exercise_page(tmp_path)
    notebook = nbformat.read(out / "index.ipynb", as_version=4)
    (cell,) = [cell for cell in notebook.cells if "step by step" in cell.source]
    assert cell.cell_type == "markdown"
    lines = cell.source.splitlines()
    assert lines[0] == "**`y.backward()`, step by step** (The backward pass.)"
    # y = x * x: the start, the seed, then the one rule that fills x.grad.
    assert [line.split(".")[0] for line in lines[2:5]] == ["1", "2", "3"]
    assert lines[-1] == "![After the last step](attachment:index_g1.svg)"
    svg = base64.b64decode(cell.attachments["index_g1.svg"]["image/svg+xml"]).decode()
    assert svg.startswith("<svg") and "grad 6.0000" in svg  # dy/dx = 2x = 6


def test_the_script_of_an_exercise_page_runs_the_solution_but_no_transcript(
    tmp_path: Path,
) -> None:
    out = build_exercise_page(tmp_path)
    script = (out / "index.py").read_text()
    assert "# >>> import torch" in script  # kept, as a comment
    result = run_script(out / "index.py", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "6.0\n"


def test_run_in_browser_pairs_each_run_example_with_its_html_solutions_too(
    tmp_path: Path,
) -> None:
    from autograd.sphinxext.downloads import steps_json
    from autograd.sphinxext.outline import DoctestStep, FigureStep

    html = (build_exercise_page(tmp_path) / "index.html").read_text()
    marked = [m.start() for m in re.finditer(r'<div class="[^"]*\bautograd-step\b', html)]
    # The two examples that ran; the solution's block is inside the dropdown.
    assert len(marked) == 2
    assert marked[0] < html.index("<details") < marked[1]
    # Each names itself, in page order; the backward-steps figure stays as built.
    named = re.findall(r'class="[^"]*\bautograd-step (autograd-step-\d+)\b', html)
    assert named == ["autograd-step-1", "autograd-step-2"]
    assert html.count("autograd-step-") == 2
    replay = FigureStep("backward-steps", "y", "<svg/>", "", "index_g1", frames=["a"])
    assert json.loads(steps_json([DoctestStep([], "autograd-step-1"), replay])) == [
        {"code": "", "element": "autograd-step-1", "kind": "doctest"}
    ]


def test_the_page_links_its_notebook_and_script(tmp_path: Path) -> None:
    html = (build_page(tmp_path) / "index.html").read_text()
    assert '<a class="autograd-download" href="index.ipynb" download>' in html
    assert '<a class="autograd-download" href="index.py" download>' in html
    assert "Run in browser" not in html  # only with autograd_project_root set


def test_two_builds_give_the_same_notebook_and_script(tmp_path: Path) -> None:
    first, second = build_page(tmp_path, "first"), build_page(tmp_path, "second")
    for name in ("index.ipynb", "index.py"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


# --- The lessons -------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole site, built without the (slow to copy) files of Run in browser."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "sphinx", "-c", str(ROOT / "conf"), "-b", "html", "-q"),
            *("-D", "autograd_project_root=", str(DOCS), str(out)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


def page_expectations(page: Path) -> str:
    """What a page's ``>>>`` examples show, read from its Markdown source.

    An expected exception counts as its last line, which is what a script prints.
    """
    parser = doctest.DocTestParser()
    shown = []
    fences = re.findall(
        r"^( *)```(?:pycon|\{code-block\} pycon)\n((?: *:[^\n]*\n)*)(.*?)^\1```",
        page.read_text(),
        flags=re.S | re.M,
    )
    for _, options, block in fences:  # a block inside a list item is indented
        if "torch-transcript" in options:
            continue
        for example in parser.get_examples(textwrap.dedent(block)):
            shown.append(example.exc_msg if example.exc_msg is not None else example.want)
    return "".join(shown)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_script_runs_and_prints_what_the_lesson_shows(
    site: Path, lesson: str, tmp_path: Path
) -> None:
    result = run_script(site / "lessons" / f"{lesson}.py", tmp_path)
    assert result.returncode == 0, result.stderr
    expected = page_expectations(DOCS / "lessons" / f"{lesson}.md")
    checker = doctest.OutputChecker()
    assert checker.check_output(expected, result.stdout, CHECKER_FLAGS), (
        f"expected:\n{expected}\ngot:\n{result.stdout}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_notebook_is_valid_and_holds_the_lessons_figures(
    site: Path, lesson: str
) -> None:
    notebook = nbformat.read(site / "lessons" / f"{lesson}.ipynb", as_version=4)
    nbformat.validate(notebook)
    source = (DOCS / "lessons" / f"{lesson}.md").read_text()
    figures = len(re.findall(r"^```\{(value-graph|live-plot)\}", source, flags=re.M))
    drawings = [
        output.data["image/svg+xml"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/svg+xml" in output.get("data", {})
    ]
    assert len(drawings) == figures
    assert all("<svg" in drawing for drawing in drawings)
    shown = "\n".join(
        output.get("text", "")
        + output.get("data", {}).get("text/plain", "")
        + (f"{output.ename}: {output.evalue}" if output.output_type == "error" else "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    # Every line the page shows is in the notebook, in the page's order ("..." matches anything).
    expected = page_expectations(DOCS / "lessons" / f"{lesson}.md")
    pattern = ".*".join(
        ".*".join(re.escape(part) for part in line.strip().split("..."))
        for line in expected.splitlines()
        if line.strip()
    )
    assert re.search(pattern, shown, flags=re.S), f"expected, in order:\n{expected}\nin:\n{shown}"


@pytest.mark.slow
def test_each_lesson_links_its_downloads(site: Path) -> None:
    for lesson in LESSONS:
        html = (site / "lessons" / f"{lesson}.html").read_text()
        assert f'href="{lesson}.ipynb" download' in html, lesson
        assert f'href="{lesson}.py" download' in html, lesson
    assert not (site / "api.ipynb").exists()  # only lessons, as conf.py says


@pytest.mark.slow
def test_each_lesson_marks_one_step_per_example_and_redrawn_figure(site: Path) -> None:
    # Counted from the Markdown: ```pycon and ```python blocks run (in exercises' dropdowns
    # too); a {code-block} transcript does not; value-graph and live-plot figures are
    # steps, backward-steps figures are not.
    runnable = re.compile(
        r"^ *```((pycon|python)[ \t]*$|\{(value-graph|live-plot)\} "
        r"|\{code-block\} pycon\n(?! *:class:[^\n]*torch-transcript))",
        re.M,
    )
    for lesson in LESSONS:
        expected = len(runnable.findall((DOCS / "lessons" / f"{lesson}.md").read_text()))
        html = (site / "lessons" / f"{lesson}.html").read_text()
        marked = len(re.findall(r'class="[^"]*\bautograd-step\b', html))
        assert marked == expected, lesson


def test_runnable_steps_are_json_that_cannot_end_their_script_element() -> None:
    from autograd.sphinxext.downloads import steps_json
    from autograd.sphinxext.outline import ScriptStep

    text = steps_json([ScriptStep('print("</script>")\n', "autograd-step-1")])
    assert "</script>" not in text
    assert json.loads(text) == [
        {"kind": "script", "code": 'print("</script>")\n', "element": "autograd-step-1"}
    ]


def test_a_markdown_walk_keeps_headings_lists_and_math() -> None:
    from docutils.core import publish_doctree

    from autograd.sphinxext.outline import to_markdown

    doctree = publish_doctree(
        textwrap.dedent(
            """\
            Title
            =====

            Part
            ----

            1. one
            2. **two**
            """
        ),
        settings_overrides={"doctitle_xform": False},  # sections as MyST makes them
    )
    assert to_markdown(doctree, "page") == "# Title\n\n## Part\n\n1. one\n2. **two**"


def test_an_example_in_a_nested_definition_list_is_one_step_with_one_element() -> None:
    from docutils import nodes
    from docutils.core import publish_doctree

    from autograd.sphinxext.outline import DoctestStep, page_steps

    doctree = publish_doctree("outer\n    inner\n        >>> 1 + 1\n        2\n")
    steps = page_steps(doctree, "page")
    assert [type(step).__name__ for step in steps].count("DoctestStep") == 1
    block = next(
        node for node in doctree.findall(nodes.Element) if "autograd-step" in node["classes"]
    )
    assert block["classes"] == ["autograd-step", "autograd-step-1"]
    assert [step.element for step in steps if isinstance(step, DoctestStep)] == ["autograd-step-1"]
