"""Every lesson asks questions: exercises with hidden solutions, and a prediction.

An exercise is written as

    ### Exercise 1: a title
    The question, visible on the page.

    ````{dropdown} Solution
    A worked solution with a pycon block that runs.
    ````

and a prediction as a paragraph that starts with ``**Predict:**``, followed at
once by a ``{code-block} pycon`` with the class ``autograd-predict``, whose
output the page hides until the reader asks for it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "docs" / "lessons").glob("*.md"))
# The summary page recalls the others; it asks no questions of its own.
ASKING = [page for page in LESSONS if page.name != "17-key-takeaways.md"]
SCRIPT = ROOT / "autograd" / "sphinxext" / "static" / "autograd-predict.js"

FENCE_WITH_INFO = re.compile(r"^\s*(`{3,})(?!`)(\S.*)$", re.M)
DROPDOWN = re.compile(r"^(`{4,}|:{4,})\{dropdown\}([^\n]*)\n(.*?)^\1[ \t]*$", re.S | re.M)
EXERCISE = re.compile(r"^### Exercise (\d+): (\S[^\n]*)\n(.*?)(?=^#{1,3} |\Z)", re.S | re.M)
# A block that runs: a pycon (or python-console) fence, or a {code-block} in that language.
RUNS = re.compile(
    r"^(`{3,})(?:\{code-block\} *)?(?:pycon|python-console)[ \t]*\n(?:[^\n]*\n)*?>>> ", re.M
)
PREDICT = re.compile(
    r"^\*\*Predict:\*\*[^\n]*(?:\n[^\n]+)*\n\n"  # the question, a paragraph
    r"(`{3,})\{code-block\} pycon[ \t]*\n"  # at once followed by the block
    r"((?::[^\n]*\n)*)\n"  # its options
    r"(.*?)^\1[ \t]*$",  # its examples
    re.S | re.M,
)


def exercises(page: Path) -> list[tuple[int, str, str]]:
    """The page's exercises: number, title and text (question and solution)."""
    return [(int(n), title, body) for n, title, body in EXERCISE.findall(page.read_text())]


def output_lines(examples: str) -> list[str]:
    """The lines of a doctest that are output, not code."""
    lines = examples.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(">>> "))
    return [
        line
        for line in lines[first:]
        if line.strip() and not line.startswith((">>> ", "... ")) and line != "..."
    ]


@pytest.mark.parametrize("page", ASKING, ids=[p.name for p in ASKING])
def test_every_lesson_has_two_exercises_numbered_in_order(page: Path) -> None:
    numbers = [number for number, _, _ in exercises(page)]
    assert len(numbers) >= 2, f"{page.name} has {len(numbers)} exercises"
    assert numbers == list(range(1, len(numbers) + 1)), page.name
    assert re.search(r"^## Exercises$", page.read_text(), re.M), page.name


@pytest.mark.parametrize("page", LESSONS, ids=[p.name for p in LESSONS])
def test_each_exercise_asks_in_the_open_and_answers_in_a_dropdown_that_runs(page: Path) -> None:
    for number, _, body in exercises(page):
        where = f"{page.name}, exercise {number}"
        solutions = DROPDOWN.findall(body)
        assert [title.strip() for _, title, _ in solutions] == ["Solution"], where
        question = body[: body.index(solutions[0][0] + "{dropdown}")]
        prose = re.sub(r"^(`{3,}).*?^\1[ \t]*$", "", question, flags=re.S | re.M)
        assert re.search(r"[A-Za-z]{2,}", prose), f"{where}: no visible question"
        _, _, solution = solutions[0]
        transcript = page.name == "16-pytorch.md" and "torch-transcript" in solution
        # A PyTorch transcript runs in nox -s torch; every other solution runs in the build.
        assert RUNS.search(solution) or transcript, f"{where}: no example in the solution"


@pytest.mark.parametrize("page", LESSONS, ids=[p.name for p in LESSONS])
def test_every_dropdown_is_the_solution_of_an_exercise(page: Path) -> None:
    # The old form, a dropdown titled "Exercise" holding question and answer, is gone.
    in_exercises = sum(len(DROPDOWN.findall(body)) for _, _, body in exercises(page))
    assert len(DROPDOWN.findall(page.read_text())) == in_exercises, page.name


@pytest.mark.parametrize("page", ASKING, ids=[p.name for p in ASKING])
def test_every_lesson_asks_for_a_prediction_before_showing_an_output(page: Path) -> None:
    text = page.read_text()
    predictions = PREDICT.findall(text)
    assert predictions, f"{page.name} has no **Predict:** paragraph followed by its block"
    assert len(predictions) == text.count("**Predict:**"), f"{page.name}: a prompt without block"
    for _, options, examples in predictions:
        assert re.search(r"^:class:[^\n]*\bautograd-predict\b", options, re.M), page.name
        assert output_lines(examples), f"{page.name}: a prediction with no output to hide"


@pytest.mark.parametrize("page", LESSONS, ids=[p.name for p in LESSONS])
def test_no_backtick_fence_has_a_backtick_in_its_info_string(page: Path) -> None:
    # CommonMark does not open a fence whose info string holds a backtick: such a
    # "directive" would silently become text, and its examples would not run.
    for _, info in FENCE_WITH_INFO.findall(page.read_text()):
        assert "`" not in info, f"{page.name}: {info}"


# --- On a built page ---------------------------------------------------------------

CONF = """
extensions = ["myst_parser", "sphinx_design", "autograd.sphinxext"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
html_theme = "basic"
"""
BUILT_LESSON = "02-several-variables.md"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A lesson built alone into a small site: its HTML, and the site's folder."""
    folder = tmp_path_factory.mktemp("site")
    source = folder / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF)
    (source / "index.md").write_text((ROOT / "docs" / "lessons" / BUILT_LESSON).read_text())
    out = folder / "out"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", str(source), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # Its links to the other lessons cannot resolve here; nothing else may fail.
    problems = [
        line
        for line in result.stderr.splitlines()
        if "WARNING" in line or "ERROR" in line
        if "cross-reference target not found" not in line
    ]
    assert result.returncode == 0 and not problems, result.stderr
    return (out / "index.html").read_text(), out


@pytest.mark.slow
def test_a_built_exercise_shows_its_question_and_folds_its_solution(
    built: tuple[str, Path],
) -> None:
    html, _ = built
    sections = re.findall(r'<section id="exercise-\d+[^"]*">(.*?)</section>', html, re.S)
    assert len(sections) == len(exercises(ROOT / "docs" / "lessons" / BUILT_LESSON)) >= 2
    for section in sections:
        question, found, rest = section.partition("<details")
        assert found, "the solution is not in a <details>"
        solution, closed, _ = rest.partition("</details>")
        assert closed
        assert re.search(r"<p>[^<]*\w", question), "no question before the solution"
        assert "highlight-pycon" not in question.split("</h3>", 1)[0]
        assert not solution.startswith(" open"), "a solution shows before it is asked for"
        assert '<span class="sd-summary-text">Solution</span>' in solution
        assert "highlight-pycon" in solution and 'class="gp"' in solution


@pytest.mark.slow
def test_a_built_prediction_carries_its_class_and_the_page_loads_the_script(
    built: tuple[str, Path],
) -> None:
    html, out = built
    assert re.search(r'<div class="[^"]*\bautograd-predict\b[^"]*\bhighlight-pycon\b', html)
    assert re.search(r'<script [^>]*src="_static/autograd-predict\.js', html)
    assert (out / "_static" / "autograd-predict.js").read_text() == SCRIPT.read_text()
    assert (
        ".autograd-predict-hiding .autograd-predict-output"
        in (out / "_static" / "autograd-figures.css").read_text()
    )


def hide_output(pre: str) -> dict[str, object]:
    """What the page's script makes of a built block's <pre>, run in Node.js."""
    node = shutil.which("node") or shutil.which("nodejs")
    assert node is not None
    program = (
        f"const {{ markOutput }} = require({json.dumps(str(SCRIPT))});"
        f"process.stdout.write(JSON.stringify(markOutput({json.dumps(pre)})));"
    )
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&gt;", ">").replace("&lt;", "<")


@pytest.mark.slow
@pytest.mark.needs("node")
def test_the_script_hides_exactly_the_output_lines_of_a_built_prediction(
    built: tuple[str, Path],
) -> None:
    html, _ = built
    pre = re.search(
        r'<div class="[^"]*\bautograd-predict\b[^"]*"><div class="highlight"><pre>'
        r"(.*?)</pre>",
        html,
        re.S,
    )
    assert pre is not None
    marked = hide_output(pre[1])
    source = PREDICT.findall((ROOT / "docs" / "lessons" / BUILT_LESSON).read_text())[0][2]
    code = [line for line in source.splitlines() if line.startswith((">>> ", "... "))]
    assert marked["hidden"] == len(source.splitlines()) - len(code) > 0
    shown = re.sub(
        r'<span class="autograd-predict-output">.*?\n</span>', "", str(marked["html"]), flags=re.S
    )
    assert text_of(shown).splitlines() == code
    assert text_of(str(marked["html"])) == text_of(pre[1])  # nothing added, nothing lost


@pytest.mark.needs("node")
def test_the_script_keeps_prose_before_the_first_prompt_and_marks_each_run_of_output() -> None:
    pre = textwrap.dedent("""\
        <span></span><span class="c1"># a comment</span>
        <span class="gp">&gt;&gt;&gt; </span>1
        <span class="go">1</span>
        <span class="gp">&gt;&gt;&gt; </span>x
        <span class="gt">Traceback (most recent call last):</span>
        <span class="gr">NameError</span>: name
        """)
    marked = hide_output(pre)
    assert marked["hidden"] == 3
    assert str(marked["html"]).count('class="autograd-predict-blank"') == 2
    assert str(marked["html"]).startswith('<span></span><span class="c1"># a comment</span>\n')
