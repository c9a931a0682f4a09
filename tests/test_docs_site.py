"""The whole site: it builds strictly, every example runs, and builds are reproducible."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# The figures of the source lessons (shared lessons README), each of which a
# page must print from a doctest.
LESSON_FIGURES = {
    "01-derivative.md": [
        "20.0",
        "14.000001158365194",
        "-22.000001820288162",
        "0.002000177801164682",
    ],
    "02-several-variables.md": [
        "4.0",
        "-3.000000000010772",
        "2.0000000000042206",
        "0.9999999999976694",
    ],
    "03-value-and-forward-pass.md": ["Value(data=-8.0, grad=0.0)"],
    "04-backprop-by-hand.md": [
        "0.9999999999976694",
        "-1.9999999999953388",
        "3.9999999999995595",
        "-4.000000000008441",
        "6.000000000021544",
        "(6.0, -4.0)",
    ],
    "05-optimization-step.md": ["-7.286496"],
    "06-neuron.md": [
        "0.8813735870195432",
        "0.7071",
        "0.5",
        "[('x1', -1.5), ('w1', 1.0), ('x2', 0.5), ('w2', 0.0), ('b', 0.5)]",
    ],
    "07-your-own-engine.md": [
        "[('a', 6.0), ('b', -4.0), ('c', -2.0), ('d', -2.0), ('e', -2.0), ('f', 4.0), ('L', 1.0)]",
        "[('x1', -1.5), ('w1', 1.0), ('x2', 0.5), ('w2', 0.0), ('b', 0.5)]",
    ],
    "08-automatic-backprop.md": [
        "[('x1', -1.5), ('w1', 1.0), ('x2', 0.5), ('w2', 0.0), ('b', 0.5)]"
    ],
    "09-node-used-twice.md": ["2.0", "-6.0", "(-3.0, -8.0)", "1.0"],
    "14-training.md": ["'accuracy on the training set: 100%'"],
}


def doctest_outputs(page: Path) -> list[str]:
    """The expected-output lines of a page's pycon blocks."""
    outputs = []
    for block in re.findall(r"```pycon\n(.*?)```", page.read_text(), flags=re.S):
        outputs += [
            line.strip()
            for line in block.splitlines()
            if line.strip() and not line.startswith((">>>", "..."))
        ]
    return outputs


@pytest.mark.parametrize(("page", "figures"), sorted(LESSON_FIGURES.items()))
def test_every_lesson_figure_is_printed_by_a_doctest(page: str, figures: list[str]) -> None:
    outputs = doctest_outputs(DOCS / "lessons" / page)
    for figure in figures:
        assert figure in outputs, f"{page} prints no {figure}"


def test_no_code_block_looks_runnable_but_is_not_run() -> None:
    for page in DOCS.rglob("*.md"):
        for language, body in re.findall(r"^```(\w*)\n(.*?)^```", page.read_text(), re.S | re.M):
            if ">>>" in body or language in ("py", "python3"):
                assert language in ("pycon", "python", "markdown", ""), (page, language)


def sphinx_build(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-c",
            str(ROOT / "conf"),
            "-b",
            "html",
            "-n",
            "-W",
            "--keep-going",
            "-E",
            "-a",
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    result = sphinx_build(first)
    assert result.returncode == 0, "the site does not build:\n" + result.stderr
    again = sphinx_build(second)
    assert again.returncode == 0, again.stderr
    return first, second, result.stdout


def test_the_site_builds_strictly_and_runs_its_examples(
    two_builds: tuple[Path, Path, str],
) -> None:
    _, _, log = two_builds
    match = re.search(r"autograd: ran (\d+) examples on (\d+) pages", log)
    assert match, log
    assert int(match[1]) >= 120
    assert int(match[2]) == len(list(DOCS.rglob("*.md")))


def measured_while_built(site: Path) -> set[Path]:
    """The files, in a built ``site``, that show what its build measured on its machine.

    A page whose front matter says ``measured-while-built: true`` shows times
    taken while it ran: its HTML, and the figures it shows (named by their
    content), differ from one build to the next by design.
    """
    files = set()
    for page in DOCS.rglob("*.md"):
        front = re.match(r"---\n(.*?)\n---\n", page.read_text(), re.S)
        if front and re.search(r"^measured-while-built: true$", front[1], re.M):
            html = page.relative_to(DOCS).with_suffix(".html")
            files.add(html)
            shown = re.findall(r"_images/(plot-[0-9a-f]+-\w+\.svg)", (site / html).read_text())
            files.update(Path("_images") / name for name in shown)
    return files


def test_two_builds_of_the_site_are_byte_identical(two_builds: tuple[Path, Path, str]) -> None:
    first, second, _ = two_builds
    skip_first, skip_second = measured_while_built(first), measured_while_built(second)
    files = [p.relative_to(first) for p in sorted(first.rglob("*")) if p.is_file()]
    files = [name for name in files if name not in skip_first]
    again = [p.relative_to(second) for p in sorted(second.rglob("*")) if p.is_file()]
    assert [name for name in again if name not in skip_second] == files
    different = [
        str(name)
        for name in files
        if name.suffix in (".html", ".js", ".svg", ".css", ".inv")
        and (first / name).read_bytes() != (second / name).read_bytes()
    ]
    assert different == []


API_MODULES = (
    "autograd.engine",
    "autograd.graph",
    "autograd.drawing",
    "autograd.network",
    "autograd.render",
    "autograd.numeric",
    "autograd.nn",
    "autograd.datasets",
)
# Special methods that are part of the API: the operators and calling a module.
PUBLIC_SPECIAL = {
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__neg__",
    "__pow__",
    "__rpow__",
    "__call__",
}


def _assigned_names(module: object) -> set[str]:
    """The names a module assigns at its top level (not those it imports)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def public_names() -> set[str]:
    """Full dotted names of the package's public API, found by importing it."""
    import importlib
    import inspect

    import autograd

    modules = {name: importlib.import_module(name) for name in API_MODULES}
    top: set[str] = set()
    for name in autograd.__all__:
        top.add(f"{getattr(autograd, name).__module__}.{name}")
    names = set()
    for module_name, module in modules.items():
        exported = set(module.__all__)
        exported |= {n for n in _assigned_names(module) if n.isupper() and not n.startswith("_")}
        exported |= {n.rsplit(".", 1)[1] for n in top if n.rsplit(".", 1)[0] == module_name}
        for name in exported:
            names.add(f"{module_name}.{name}")
            obj = getattr(module, name)
            if not inspect.isclass(obj) or getattr(obj, "_is_protocol", False):
                continue
            for member, value in vars(obj).items():
                wanted = member in PUBLIC_SPECIAL or not member.startswith("_")
                if wanted and (callable(value) or isinstance(value, property)):
                    names.add(f"{module_name}.{name}.{member}")
    return names


def test_the_api_page_documents_every_public_name(two_builds: tuple[Path, Path, str]) -> None:
    first, _, _ = two_builds
    page = (first / "api.html").read_text()
    documented = set(re.findall(r'<dt class="sig[^"]*" id="([^"]+)"', page))
    names = public_names()
    assert {"autograd.engine.Value.__radd__", "autograd.nn.MLP.__call__"} <= names
    assert sorted(names - documented) == []


def test_every_exercise_is_a_collapsed_dropdown_on_the_built_page(
    two_builds: tuple[Path, Path, str],
) -> None:
    first, _, _ = two_builds
    for page in sorted((DOCS / "lessons").glob("*.md")):
        written = len(re.findall(r"^````\{dropdown\}", page.read_text(), re.M))
        html = (first / "lessons" / f"{page.stem}.html").read_text()
        built = re.findall(r"<details class=\"[^\"]*sd-dropdown[^\"]*\"( open)?", html)
        assert written >= 2, page.name
        assert len(built) == written, page.name
        assert not any(built), f"{page.name}: a solution is shown before it is asked for"


@pytest.mark.parametrize("builder", ["dirhtml", "singlehtml", "epub", "latex", "text", "xml"])
def test_the_site_builds_with_every_builder(
    two_builds: tuple[Path, Path, str], builder: str, tmp_path: Path
) -> None:
    first, _, _ = two_builds
    doctrees = tmp_path / "doctrees"  # the pages as the HTML build read and ran them
    shutil.copytree(first / ".doctrees", doctrees)
    out = tmp_path / builder
    options = ["-c", str(ROOT / "conf"), "-b", builder, "-n", "-W", "--keep-going"]
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", *options, "-d", str(doctrees), str(DOCS), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lessons = sorted((DOCS / "lessons").glob("*.md"))
    if builder == "dirhtml":
        for lesson in lessons:
            page = out / "lessons" / lesson.stem / "index.html"
            links = re.findall(r'class="autograd-download" href="([^"]+)"', page.read_text())
            assert len(links) == 2, lesson.name
            for link in links:
                assert (page.parent / link).resolve().is_file(), (lesson.name, link)
    elif builder == "epub":
        sys.path.insert(0, str(ROOT / "tools"))
        from check_book import check_epub

        assert check_epub(out / "autograd.epub", DOCS) == []
    elif builder == "latex":
        tex = (out / "autograd.tex").read_text()
        pictures = re.findall(r"\\sphinxincludegraphics\[width=\d+pt\]\{\{([\w-]+)\}\.png\}", tex)
        assert all((out / f"{name}.png").is_file() for name in pictures)
        figure = re.compile(r"^`{3,}\{(value-graph|backward-steps|live-plot)\}", re.M)
        figures = sum(len(figure.findall(lesson.read_text())) for lesson in lessons)
        assert len(pictures) > figures  # every figure, and a backward pass once per step
