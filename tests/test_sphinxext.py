"""The Sphinx extension, on small sites built in temporary folders."""

from __future__ import annotations

import os
import random
import re
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
    tmp_path: Path,
    pages: dict[str, str],
    *extra: str,
    env: dict[str, str] | None = None,
    fresh: bool = True,
    quiet: bool = True,
    conf: str = "",
) -> subprocess.CompletedProcess[str]:
    """Build ``pages`` (file name to text) as a site; a hung build fails the test."""
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "conf.py").write_text(CONF + conf)
    for name, text in pages.items():
        (source / name).write_text(textwrap.dedent(text))
    options = ["-E"] * fresh + ["-q"] * quiet
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            *options,
            *extra,
            str(source),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=300,
    )


def test_a_good_page_builds_with_its_diagram_and_plot(tmp_path: Path) -> None:
    result = build(tmp_path, {"index.md": GOOD_PAGE}, "-W")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    # The layout that scrolls is the image, with its description as its name.
    layout = '<div class="graph-layout graph-wide" role="img"'
    assert '<div class="value-graph-drawing">' + layout in html
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


BACKEND_PAGE = """\
# Page

```pycon
>>> from autograd.render import graphviz_backend
>>> graphviz_backend()
'{expected}'
```
"""


@pytest.mark.parametrize(
    ("options", "environment", "expected"),
    [
        ((), {}, "wasm"),  # the same Graphviz on every machine, inside the build
        pytest.param(("-D", "autograd_graphviz=dot"), {}, "dot", marks=pytest.mark.needs("dot")),
        (("-D", "autograd_graphviz=dot"), {"AUTOGRAD_GRAPHVIZ": "wasm"}, "wasm"),
    ],
)
def test_the_build_picks_its_graphviz(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: tuple[str, ...],
    environment: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.delenv("AUTOGRAD_GRAPHVIZ", raising=False)
    page = BACKEND_PAGE.replace("{expected}", expected)
    result = build(tmp_path, {"index.md": page}, "-W", *options, env=environment)
    assert result.returncode == 0, result.stderr


@pytest.mark.needs("dot")
def test_switching_graphviz_draws_every_page_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTOGRAD_GRAPHVIZ", raising=False)
    page = BACKEND_PAGE.replace("{expected}", "wasm")
    assert build(tmp_path, {"index.md": page}, "-W").returncode == 0
    # Nothing but the environment's choice changed: the page runs again, and now sees dot.
    result = build(tmp_path, {}, fresh=False, env={"AUTOGRAD_GRAPHVIZ": "dot"})
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: graphviz_backend()" in result.stderr


def test_an_unknown_graphviz_is_a_configuration_error(tmp_path: Path) -> None:
    result = build(tmp_path, {"index.md": GOOD_PAGE}, "-D", "autograd_graphviz=cairo")
    assert result.returncode != 0
    assert "autograd_graphviz must be 'wasm', 'dot' or 'auto', not 'cairo'" in result.stderr


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


EVAL_PAGE = """\
# Page

```pycon
>>> x = 21
```

Twice x is {eval}`x * 2`,
and x plus one is *{eval}`x + 1`*.

```pycon
>>> x = 1
```

Now x is {eval}`x`.
"""


def test_eval_shows_the_value_at_its_point_of_the_page(tmp_path: Path) -> None:
    result = build(tmp_path, {"index.md": EVAL_PAGE}, "-W")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert 'Twice x is <span class="autograd-eval">42</span>' in html
    assert '<em><span class="autograd-eval">22</span></em>' in html
    assert 'Now x is <span class="autograd-eval">1</span>' in html


def test_eval_is_plain_text_in_the_text_builder(tmp_path: Path) -> None:
    result = build(tmp_path, {"index.md": EVAL_PAGE}, "-W", "-b", "text")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out" / "index.txt").read_text()
    assert "Twice x is 42, and x plus one is *22*." in text
    assert "Now x is 1." in text


def test_eval_that_fails_names_its_line(tmp_path: Path) -> None:
    page = "# Page\n\nOne line,\nanother, then {eval}`1 / 0`.\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert (
        "index.md:4: WARNING: example failed: eval: cannot evaluate '1 / 0': "
        "ZeroDivisionError: division by zero"
    ) in result.stderr


# Examples that try to pass, hang or leak: each must fail at its line, or be contained.

TOC = "```{toctree}\nother\n```\n\n"


def test_sys_exit_in_a_python_block_fails_and_the_page_goes_on(tmp_path: Path) -> None:
    page = "# Page\n\n```python\nimport sys\nsys.exit(0)\n```\n\n```pycon\n>>> 1 + 1\n3\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: this code block raised:" in result.stderr
    assert "SystemExit: 0" in result.stderr
    assert "index.md:9: WARNING: example failed: 1 + 1" in result.stderr  # still ran


def test_os_exit_fails_at_its_line_and_other_pages_build(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Page\n\n" + TOC + "```pycon\n>>> import os\n>>> os._exit(0)\n```\n",
        "other.md": "# Other\n\n```pycon\n>>> 2 * 2\n4\n```\n",
    }
    result = build(tmp_path, pages)
    assert result.returncode != 0
    assert (
        "index.md:9: WARNING: example failed: the example ended the process running "
        "the page (exit status 0)"
    ) in result.stderr
    assert (tmp_path / "out" / "other.html").exists()
    assert (tmp_path / "out" / "index.html").exists()


def test_keyboard_interrupt_and_base_exceptions_fail_at_their_line(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> raise KeyboardInterrupt\n>>> 1\n1\n```\n\n"
        "```pycon\n>>> raise SystemExit(3)\n```\n\n"
        "```python\nclass Stop(BaseException):\n    pass\n\nraise Stop('out')\n```\n"
    )
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:4: WARNING: example failed: raise KeyboardInterrupt" in result.stderr
    assert "index.md:10: WARNING: example failed: raise SystemExit(3)" in result.stderr
    assert "index.md:17: WARNING: example failed: this code block raised:" in result.stderr
    assert "Stop: out" in result.stderr


def test_a_pycon_block_that_starts_with_prose_still_runs(tmp_path: Path) -> None:
    page = "# Page\n\n```pycon\n# setup first\n>>> 1 + 1\n3\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: 1 + 1" in result.stderr


def test_a_pycon_block_without_examples_is_an_error(tmp_path: Path) -> None:
    page = "# Page\n\n```pycon\nx = 1\nprint(x)\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:4: WARNING: example failed: this console block has no '>>>'" in (result.stderr)


def test_python_console_blocks_run(tmp_path: Path) -> None:
    page = "# Page\n\n```python-console\n>>> 2 ** 10\n1000\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert "index.md:4: WARNING: example failed: 2 ** 10" in result.stderr


def test_code_block_options_do_not_shift_lines(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```{code-block} pycon\n:caption: A caption\n:emphasize-lines: 2\n\n"
        ">>> x = 1\n>>> x + 1\n3\n```\n\n:::{note}\n```{code-block} python\n"
        ":linenos:\n\nvalue = 1\nvalue = missing\n```\n:::\n"
    )
    result = build(tmp_path, {"index.md": page})
    assert "index.md:8: WARNING: example failed: x + 1" in result.stderr
    assert "index.md:17: WARNING: example failed: this code block raised:" in result.stderr


def test_an_included_file_is_reported_at_its_own_line(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Page\n\n```{include} part.txt\n```\n\nAfter.\n",
        "part.txt": "Included text.\n\n```pycon\n>>> 'part'\n'whole'\n```\n\n"
        "A value, {eval}`1 / 0`.\n",
    }
    result = build(tmp_path, pages)
    assert result.returncode != 0
    assert "part.txt:4: WARNING: example failed: 'part'" in result.stderr
    assert "part.txt:8: WARNING: example failed: eval: cannot evaluate '1 / 0'" in result.stderr


def test_literalinclude_runs_only_when_asked(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Page\n\n```{literalinclude} script.py\n```\n",
        "script.py": "raise RuntimeError('ran')\n",
    }
    result = build(tmp_path, pages, "-W")
    assert result.returncode == 0, result.stderr
    pages["index.md"] = "# Page\n\n```{literalinclude} script.py\n:class: autograd-run\n```\n"
    result = build(tmp_path, pages)
    assert result.returncode != 0
    assert "script.py:1: WARNING: example failed: this code block raised" in result.stderr
    assert "RuntimeError: ran" in result.stderr


def test_a_warning_fails_unless_the_page_shows_or_expects_it(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> import warnings\n"
        ">>> warnings.warn('old', DeprecationWarning)\n```\n\n"
        "```pycon\n>>> warnings.warn('shown')\nUserWarning: shown\n"
        ">>> with warnings.catch_warnings():\n"
        "...     warnings.simplefilter('ignore')\n"
        "...     warnings.warn('expected')\n```\n\n"
        "```python\nwarnings.warn('in a script')\n```\n"
    )
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: warnings.warn('old', DeprecationWarning)" in (
        result.stderr
    )
    assert "DeprecationWarning: old" in result.stderr
    assert "index.md:17: WARNING: example failed: this code block gave a warning:" in (
        result.stderr
    )
    assert "UserWarning: in a script" in result.stderr
    assert result.stderr.count("WARNING: example failed") == 2


def test_stderr_is_shown_in_the_failure(tmp_path: Path) -> None:
    page = "# Page\n\n```pycon\n>>> import sys\n>>> print('a clue', file=sys.stderr); 1 / 0\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert "index.md:5: WARNING: example failed" in result.stderr
    assert "It wrote to stderr:\n    a clue" in result.stderr


def test_what_an_example_writes_to_stderr_is_part_of_its_output(tmp_path: Path) -> None:
    """As in a console: a page must show it, or the example fails."""
    shown = (
        "# Page\n\n```pycon\n>>> import sys\n>>> print('careful', file=sys.stderr)\ncareful\n```\n"
    )
    assert build(tmp_path, {"index.md": shown}, "-W").returncode == 0
    hidden = "# Page\n\n```pycon\n>>> import logging\n>>> logging.warning('careful')\n```\n"
    result = build(tmp_path, {"index.md": hidden})
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: logging.warning('careful')" in result.stderr
    assert "Got:\n    WARNING:root:careful" in result.stderr


def test_what_an_import_prints_is_no_example_output_even_in_a_one_page_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib warns on import when it cannot write its cache; that is not the page's."""
    for name in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    page = "# Page\n\n```python\nimport matplotlib.pyplot as plt\nimport numpy\n```\n"
    result = build(tmp_path, {"index.md": page}, "-W", env={"HOME": "/dev/null"})
    assert result.returncode == 0, result.stderr
    # The same through a module of the page's own, which the page's text does not betray.
    helper = "import matplotlib.pyplot as plt\n\ndef make():\n    return plt.figure()\n"
    page = "# Page\n\n```python\nfrom helper import make\nfigure = make()\n```\n"
    conf = "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
    pages = {"index.md": page, "helper.py": helper}
    result = build(tmp_path, pages, "-W", conf=conf, env={"HOME": "/dev/null"})
    assert result.returncode == 0, result.stderr


def test_numpy_is_seeded_even_after_a_lookup_before_its_import(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> import importlib.util\n"
        ">>> importlib.util.find_spec('numpy') is not None\nTrue\n"
        ">>> import numpy\n>>> value = float(numpy.random.rand())\n```\n\n"
        "NumPy's first number is {eval}`value`.\n"
    )
    assert build(tmp_path, {"index.md": page}, "-W").returncode == 0
    from numpy.random import RandomState

    html = (tmp_path / "out" / "index.html").read_text()
    assert f'<span class="autograd-eval">{RandomState(0).rand()}</span>' in html


def test_a_logging_handler_writes_where_the_running_block_writes(tmp_path: Path) -> None:
    """A handler set up in one block holds sys.stderr; later blocks still see its output."""
    page = (
        "# Page\n\n```pycon\n>>> import logging\n"
        '>>> logging.basicConfig(format="%(levelname)s %(message)s")\n'
        '>>> logging.warning("first")\nWARNING first\n```\n\n'
        '```pycon\n>>> logging.warning("second")\nWARNING second\n```\n'
    )
    assert build(tmp_path, {"index.md": page}, "-W").returncode == 0
    result = build(tmp_path, {"index.md": page + '\n```python\nlogging.warning("hidden")\n```\n'})
    assert result.returncode != 0
    assert "index.md:16: WARNING: example failed: this code block wrote to stderr" in result.stderr


def test_an_example_may_use_stderr_like_a_file(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> import sys\n>>> sys.stderr.encoding\n'utf-8'\n"
        ">>> sys.stderr.writable(), sys.stderr.isatty()\n(True, False)\n"
        ">>> sys.stderr.close()\n>>> print('still here', file=sys.stderr)\nstill here\n```\n"
    )
    result = build(tmp_path, {"index.md": page}, "-W")
    assert result.returncode == 0, result.stderr


def test_stdout_sent_to_stderr_in_a_doctest_is_still_its_output(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> import contextlib, sys\n"
        ">>> with contextlib.redirect_stdout(sys.stderr):\n...     print('both')\nboth\n```\n"
    )
    result = build(tmp_path, {"index.md": page}, "-W")
    assert result.returncode == 0, result.stderr


def test_a_python_block_must_not_write_to_stderr(tmp_path: Path) -> None:
    page = "# Page\n\n```python\nimport sys\nsys.stderr.write('note\\n')\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert (
        "index.md:4: WARNING: example failed: this code block wrote to stderr what the page "
        "does not show; write it as a '>>>' example instead:\n    note"
    ) in result.stderr


def test_logging_disable_on_a_page_does_not_silence_the_build(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Page\n\n" + TOC + "```pycon\n>>> import logging\n"
        ">>> logging.disable(logging.CRITICAL)\n```\n",
        "other.md": "# Other\n\n```pycon\n>>> 1\n2\n```\n",
    }
    result = build(tmp_path, pages)
    assert result.returncode != 0
    assert "other.md:4: WARNING: example failed: 1" in result.stderr


HOSTILE = """\
# Hostile

```{toctree}
other
```

```pycon
>>> import os, random, sys
>>> import autograd
>>> autograd.Value.__add__ = lambda self, other: "patched"
>>> sys.modules["json"] = None
>>> os.chdir("/")
>>> random.seed(1234)
>>> import matplotlib, numpy
>>> matplotlib.rcParams["lines.linewidth"] = 9.0
>>> numpy.random.seed(7)
>>> 41 + 1
42
```
"""

VICTIM = """\
# Victim

```pycon
>>> _
Traceback (most recent call last):
...
NameError: name '_' is not defined
>>> import json, os, random
>>> from autograd import Value
>>> (Value(1.0) + 2.0).data
3.0
>>> json.dumps([1])
'[1]'
>>> os.path.exists("conf.py") or os.getcwd() != "/"
True
>>> first = random.random()
>>> import matplotlib, numpy
>>> matplotlib.rcParams["lines.linewidth"]
1.5
>>> second = float(numpy.random.rand())
```

The first random number is {eval}`first`; NumPy's is {eval}`second`.
"""


def test_a_page_cannot_change_what_another_page_sees(tmp_path: Path) -> None:
    pages = {"index.md": HOSTILE, "other.md": VICTIM}
    serial, parallel, alone = tmp_path / "serial", tmp_path / "parallel", tmp_path / "alone"
    for folder in (serial, parallel, alone):
        folder.mkdir()
    result = build(serial, pages, "-W")
    assert result.returncode == 0, result.stderr
    assert build(parallel, pages, "-W", "-j", "2").returncode == 0
    alone_pages = {"index.md": VICTIM.replace("# Victim", "# Victim\n\n```{toctree}\n```")}
    assert build(alone, alone_pages, "-W").returncode == 0
    html = (serial / "out" / "other.html").read_bytes()
    assert html == (parallel / "out" / "other.html").read_bytes()
    from numpy.random import RandomState

    # Every page starts from seed 0, in random and in NumPy.
    expected = f'is <span class="autograd-eval">{random.Random(0).random()}</span>'
    expected += f'; NumPy’s is <span class="autograd-eval">{RandomState(0).rand()}</span>'
    assert expected in html.decode()
    assert expected in (alone / "out" / "index.html").read_text()


def test_an_endless_loop_fails_at_its_line(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```python\ncount = 0\nwhile True:\n    count += 1\n```\n\n"
        "```pycon\n>>> while True:\n...     pass\n```\n\n"
        "```python\nimport time\ntime.sleep(30)\n```\n"
    )
    result = build(tmp_path, {"index.md": page}, conf="autograd_timeout = 1\n")
    assert result.returncode != 0
    assert "the example computed for more than 1 s, its time limit" in result.stderr
    assert "the example did not finish within 10 s, its time limit" in result.stderr
    # The limit strikes inside the loop: at its first or its second line.
    assert re.search(
        r"index.md:[56]: WARNING: example failed: this code block raised:", result.stderr
    )
    assert "index.md:10: WARNING: example failed: while True:" in result.stderr
    assert "index.md:16: WARNING: example failed: this code block raised:" in result.stderr


def test_a_page_can_raise_its_time_limit(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```python\nimport time\nstart = time.process_time()\n"
        "while time.process_time() < start + 1.5:\n    pass\n```\n"
    )
    conf = "autograd_timeout = 1\n"
    result = build(tmp_path, {"index.md": page}, conf=conf)
    assert re.search(r"index.md:[67]: WARNING: example failed", result.stderr)
    result = build(tmp_path, {"index.md": "---\nautograd-timeout: 5\n---\n" + page}, conf=conf)
    assert result.returncode == 0, result.stderr
    block = page.replace("```python\n", "```{code-block} python\n:class: autograd-timeout-5\n\n")
    result = build(tmp_path, {"index.md": block}, conf=conf)
    assert result.returncode == 0, result.stderr


def test_a_silent_loop_in_c_code_is_stopped(tmp_path: Path) -> None:
    # An example that ignores the time limit's signal is stopped by the build.
    page = (
        "# Page\n\n" + TOC + "```pycon\n>>> import signal, time\n"
        ">>> signal.signal(signal.SIGALRM, signal.SIG_IGN); time.sleep(60)\n```\n"
    )
    other = "# Other\n\n```pycon\n>>> 1\n1\n```\n"
    result = build(tmp_path, {"index.md": page, "other.md": other}, conf="autograd_timeout = 1\n")
    assert result.returncode != 0
    assert "index.md:9: WARNING: example failed: the example did not finish within 10 s" in (
        result.stderr
    )
    assert (tmp_path / "out" / "other.html").exists()


def test_input_fails_at_once(tmp_path: Path) -> None:
    page = "# Page\n\n```pycon\n>>> input('name? ')\n'me'\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert "index.md:4: WARNING: example failed: input('name? ')" in result.stderr
    assert "EOFError" in result.stderr


def test_threads_and_processes_left_running_do_not_keep_the_build_alive(
    tmp_path: Path,
) -> None:
    page = (
        "# Page\n\n```python\nimport subprocess, threading, time\n"
        "threading.Thread(target=time.sleep, args=(1000,)).start()\n"
        "child = subprocess.Popen(['sleep', '1000'])\n```\n"
    )
    result = build(tmp_path, {"index.md": page}, "-W")  # build() fails the test if it hangs
    assert result.returncode == 0, result.stderr


def test_execution_can_be_switched_off(tmp_path: Path) -> None:
    page = GOOD_PAGE_WITH_EVAL + "\n```pycon\n>>> 1\n2\n```\n"
    result = build(tmp_path, {"index.md": page}, "-W", "-D", "autograd_execute=0")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert "not drawn: examples were not run" in html
    assert 'It is <span class="autograd-eval">a.grad</span>' in html


GOOD_PAGE_WITH_EVAL = """\
# Page

```pycon
>>> from autograd import Value
>>> a = Value(2.0, label="a")
>>> b = a * 3.0; b.label = "b"
>>> b.backward()
```

It is {eval}`a.grad`.

```{value-graph} b
```
"""


def test_each_build_logs_fresh_counts_and_times(tmp_path: Path) -> None:
    pages = {"index.md": "# Page\n\n" + TOC + "```pycon\n>>> 1\n1\n```\n", "other.md": VICTIM}
    result = build(tmp_path, pages, quiet=False)
    assert result.returncode == 0, result.stderr
    assert "autograd: index: 1 examples in " in result.stdout
    assert "autograd: other: 10 examples in " in result.stdout
    assert "autograd: ran 11 examples on 2 pages" in result.stdout
    assert "autograd: slowest pages: " in result.stdout
    (tmp_path / "src" / "index.md").write_text(pages["index.md"] + "\n```pycon\n>>> 2\n2\n```\n")
    result = build(tmp_path, {}, quiet=False, fresh=False)
    assert "autograd: ran 2 examples on 1 pages" in result.stdout
    assert "other:" not in result.stdout


def test_an_incremental_build_reruns_pages_whose_module_changed(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Page\n\n```pycon\n>>> import helper\n>>> helper.slope()\n2\n```\n",
        "helper.py": "def slope():\n    return 2\n",
    }
    conf = "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
    assert build(tmp_path, pages, "-W", conf=conf).returncode == 0
    (tmp_path / "src" / "helper.py").write_text("def slope():\n    return 3\n")
    result = build(tmp_path, {}, conf=conf, fresh=False)
    assert result.returncode != 0
    assert "index.md:5: WARNING: example failed: helper.slope()" in result.stderr
    # Nothing changed since, but the page failed: it runs again, and fails again.
    result = build(tmp_path, {}, conf=conf, fresh=False)
    assert "index.md:5: WARNING: example failed: helper.slope()" in result.stderr


def test_an_incremental_build_reruns_pages_whose_data_file_changed(tmp_path: Path) -> None:
    data = tmp_path / "src" / "data.txt"
    pages = {
        "index.md": "# Page\n\n```pycon\n>>> from pathlib import Path\n"
        f">>> Path({str(data)!r}).read_text()\n'1'\n```\n",
        "data.txt": "1",
    }
    assert build(tmp_path, pages, "-W").returncode == 0
    data.write_text("2")
    result = build(tmp_path, {}, fresh=False)
    assert "index.md:5: WARNING: example failed" in result.stderr


def test_a_huge_graph_past_a_raised_max_nodes_gives_a_clear_error(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```pycon\n>>> from autograd import Value\n>>> v = Value(0.0)\n"
        ">>> for _ in range(3000):\n...     v = v + 1.0\n```\n\n"
        "```{value-graph} v\n:max-nodes: 10000\n```\n"
    )
    result = build(tmp_path, {"index.md": page}, env={"AUTOGRAD_GRAPHVIZ": "wasm"})
    assert result.returncode != 0
    assert (
        "index.md:10: WARNING: example failed: value-graph: GraphvizError: Graphviz "
        "(WebAssembly) could not lay out this graph"
    ) in result.stderr
    assert "Trap" not in result.stderr and "RecursionError" not in result.stderr


def test_the_compiled_graphviz_is_kept_across_builds(tmp_path: Path) -> None:
    script = (
        "from autograd.sphinxext.wasm_cache import warm_graphviz\n"
        "from autograd.render import render_svg\n"
        "warm_graphviz()\n"
        "print(render_svg('digraph { a -> b }'))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "AUTOGRAD_GRAPHVIZ": "wasm"}
    run = [sys.executable, "-c", script]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    cached = list((tmp_path / "autograd").glob("graphviz-*.cwasm"))
    assert len(cached) == 1
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert first.stdout == second.stdout and "<svg" in first.stdout
    cached[0].write_bytes(b"not a module")  # a damaged cache falls back to compiling
    third = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert third.stdout == first.stdout
    assert cached[0].stat().st_size > 1000  # and is written again


def npm_project(folder: Path) -> Path:
    """A project folder with the pinned npm packages declared and none installed."""
    folder.mkdir()
    root = Path(__file__).resolve().parent.parent
    for name in ("package.json", "package-lock.json"):
        (folder / name).write_bytes((root / name).read_bytes())
    return folder


def test_without_npm_the_site_builds_without_run_in_browser_and_says_so_once(
    tmp_path: Path,
) -> None:
    project = npm_project(tmp_path / "project")
    no_npm = {"PATH": str(Path(sys.executable).parent)}
    result = build(
        tmp_path,
        {"index.md": GOOD_PAGE},
        "-W",
        env=no_npm,
        quiet=False,
        conf=f"autograd_project_root = {str(project)!r}\n",
    )
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if "Run in browser" in line]
    assert said == [
        "autograd: Run in browser is off: npm is not installed, so Pyodide and Viz.js cannot "
        "be; install Node.js with npm (Debian: apt-get install npm) and build again to turn it on"
    ]
    out = tmp_path / "out"
    html = (out / "index.html").read_text()
    # No button without its files, and no script or stylesheet for it.
    assert "autograd-run" not in html
    assert 'class="autograd-download" href="index.ipynb"' in html
    assert not (out / "_static" / "pyodide").exists()
    assert not (out / "_static" / "autograd-run.json").exists()


def test_run_in_browser_asked_for_without_npm_is_an_error_that_says_what_to_install(
    tmp_path: Path,
) -> None:
    project = npm_project(tmp_path / "project")
    result = build(
        tmp_path,
        {"index.md": GOOD_PAGE},
        env={"PATH": str(Path(sys.executable).parent)},
        conf=f"autograd_project_root = {str(project)!r}\nautograd_run_in_browser = True\n",
    )
    assert result.returncode != 0
    assert "Run in browser needs npm to install Pyodide and Viz.js" in result.stderr
    assert "apt-get install npm" in result.stderr
