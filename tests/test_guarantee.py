"""Hostile pages: what a page does in its own process cannot make the build pass or run code.

Each page here tries to get a wrong example past the build, or to reach into
the build process; each must fail at its page and line, with a message that
says why, and leave the build process as it was.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_sphinxext import CONF, build

pytestmark = pytest.mark.slow


def test_bytes_a_page_writes_to_the_builds_pipe_are_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "ran-in-the-build"
    page = f"""\
# Page

```python
import os, pickle, stat, struct

class Payload:
    def __reduce__(self):
        return (open, ({str(marker)!r}, "w"))

data = pickle.dumps(("done", 0, []))  # what the build once read as "the page is done"
data = pickle.dumps(Payload())
for fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, struct.pack("!I", len(data)) + data)
    except OSError:
        pass
```

```pycon
>>> 1 + 1
2
```
"""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF)
    (source / "index.md").write_text(page)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", str(source)]
    result = subprocess.run([*command, str(tmp_path / "out")], capture_output=True, timeout=300)
    stderr = result.stderr.decode(errors="replace")  # the page wrote its bytes to the log too
    assert result.returncode != 0
    assert not marker.exists()
    assert "index.md:4: WARNING: example failed: the process running the page sent " in stderr


def test_a_page_that_patches_doctests_checker_still_fails_its_wrong_example(
    tmp_path: Path,
) -> None:
    page = """\
# Page

```pycon
>>> import doctest
>>> doctest.OutputChecker.check_output = lambda self, want, got, flags: True
```

```pycon
>>> 1 + 1
3
```
"""
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:9: WARNING: example failed: 1 + 1\nExpected:\n    3\nGot:\n    2" in (
        result.stderr
    )


def test_a_page_that_silences_the_page_process_cannot_pass_an_example(tmp_path: Path) -> None:
    page = """\
# Page

```pycon
>>> from autograd.sphinxext import doctests
>>> doctests.Recorder.check_output = lambda self, want, got, flags: True
```

```pycon
>>> 1 + 1
3
```
"""
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:9: WARNING: example failed: this example ran but sent no output" in (
        result.stderr
    )


def test_a_skipped_example_is_an_error_since_its_output_is_never_checked(
    tmp_path: Path,
) -> None:
    page = """\
# Page

```pycon
>>> 1 + 1  # doctest: +SKIP
3
>>> 2 + 2
4
```
"""
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:4: WARNING: example failed: this example is marked +SKIP" in result.stderr
    assert result.stderr.count("WARNING: example failed") == 1


def test_an_eval_whose_text_is_not_unicode_fails_at_its_line(tmp_path: Path) -> None:
    page = """\
# Page

```python
text = "a\\udc80b"
```

The text is {eval}`text`.
"""
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:7: WARNING: example failed: eval: UnicodeEncodeError" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_output_that_is_not_unicode_fails_shown_escaped(tmp_path: Path) -> None:
    page = """\
# Page

```pycon
>>> print("a\\udc80b")
ab
```
"""
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert "index.md:4: WARNING: example failed" in result.stderr
    assert "a\\udc80b" in result.stderr  # escaped, readable
    assert "Traceback" not in result.stderr


def test_each_page_is_walked_once_for_its_examples(tmp_path: Path) -> None:
    """The plan made when a page is read serves the page process, downloads and the browser."""
    walks = tmp_path / "walks.txt"
    count_walks = f"""
import autograd.sphinxext.blocks as blocks
_read = blocks._read  # a walk reads the page's source, for its examples' exact lines
def _counted(source):
    with open({str(walks)!r}, "a") as file:
        file.write(source + "\\n")
    return _read(source)
blocks._read = _counted
"""
    page = "# {title}\n\n```pycon\n>>> 1 + 1\n2\n```\n"
    pages = {"index.md": page.format(title="Home") + "\n```{toctree}\nother\n```\n"}
    pages["other.md"] = page.format(title="Other")
    result = build(tmp_path, pages, "-W", conf=count_walks)
    assert result.returncode == 0, result.stderr
    walked = sorted(Path(line).name for line in walks.read_text().splitlines())
    assert walked == ["index.md", "other.md"]


def test_a_doctest_that_cannot_be_read_fails_at_its_line_and_nothing_crashes(
    tmp_path: Path,
) -> None:
    page = "# Page\n\n```pycon\n>>>print(1)\n1\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode == 1
    assert "index.md:4: WARNING: example failed: this example cannot be read" in result.stderr
    assert "Traceback" not in result.stderr and "Exception occurred" not in result.stderr


@pytest.mark.parametrize(
    "fence",
    ["py3", "Python", "PyCon", "Python3", "pycon3", "PYTHON-CONSOLE", "sage"],
)
def test_every_fence_the_site_shows_as_python_runs(tmp_path: Path, fence: str) -> None:
    page = f"# Page\n\n```{fence}\n>>> 1 + 1\n3\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode == 1
    assert "index.md:4: WARNING: example failed: 1 + 1\nExpected:\n    3" in result.stderr


def test_an_indented_block_of_prompts_runs(tmp_path: Path) -> None:
    page = "# Page\n\nAn indented example:\n\n    >>> 1 + 1\n    3\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode == 1
    assert "index.md:5: WARNING: example failed: 1 + 1" in result.stderr


@pytest.mark.parametrize("directive", ["code-cell", "doctest", "testcode", "jupyter-execute"])
def test_another_executors_directive_fails_and_says_what_to_write(
    tmp_path: Path, directive: str
) -> None:
    page = f"# Page\n\n```{{{directive}}}\nprint(1)\n```\n"
    result = build(tmp_path, {"index.md": page}, "-D", "autograd_execute=0")
    assert result.returncode == 1
    assert (
        f"index.md:3: WARNING: example failed: the {{{directive}}} directive is not run here; "
        "write the example as a ```pycon block"
    ) in result.stderr


def test_an_rst_doctest_directive_fails_too(tmp_path: Path) -> None:
    page = "# Page\n\n```{eval-rst}\n.. doctest::\n\n   >>> 1 + 1\n   3\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode == 1
    assert "the {doctest} directive is not run here" in result.stderr


def test_a_page_cannot_change_another_pages_source(tmp_path: Path) -> None:
    page = """\
# Page

```python
from pathlib import Path
Path("other.md").write_text("# Other\\n")
```
"""
    other = "# Other\n\n```pycon\n>>> 1 + 1\n3\n```\n"
    pages = {"index.md": page + "\n```{toctree}\nother\n```\n", "other.md": other}
    result = build(tmp_path, pages)
    assert result.returncode == 1
    assert "index.md:5: WARNING: example failed: this code block raised:" in result.stderr
    assert "PermissionError: a page may not change files in" in result.stderr
    assert (tmp_path / "src" / "other.md").read_text() == other
    assert "other.md:4: WARNING: example failed: 1 + 1" in result.stderr


def test_each_page_runs_in_its_own_folder_whatever_the_build_started_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = "# Page\n\n```pycon\n>>> import os\n>>> os.path.basename(os.getcwd())\n'src'\n```\n"
    monkeypatch.chdir("/")
    result = build(tmp_path, {"index.md": page}, "-W")
    assert result.returncode == 0, result.stderr


def test_a_page_that_reads_what_no_file_records_runs_again_next_build(tmp_path: Path) -> None:
    page = "# Page\n\n```pycon\n>>> import os\n>>> len(os.listdir('.')) > 0\nTrue\n```\n"
    first = build(tmp_path, {"index.md": page}, "-W", quiet=False)
    assert first.returncode == 0, first.stderr
    assert "autograd: index runs again at the next build: it listed a folder" in first.stdout
    again = build(tmp_path, {}, "-W", fresh=False, quiet=False)
    assert "autograd: index: 2 examples" in again.stdout


def test_getpass_fails_at_once_even_under_a_terminal(tmp_path: Path) -> None:
    """getpass() reads /dev/tty, not stdin: the build runs here with a terminal of its own."""
    import fcntl
    import os
    import subprocess
    import sys
    import termios
    import time

    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF)
    page = "# Page\n\n```pycon\n>>> import getpass\n>>> getpass.getpass()\n```\n"
    (source / "index.md").write_text(page)
    controller, terminal = os.openpty()

    def take_the_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    started = time.monotonic()
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q"]
    command += ["-D", "autograd_timeout=1", str(source), str(tmp_path / "out")]
    process = subprocess.Popen(
        command,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        preexec_fn=take_the_terminal,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 1 << 16)
        except OSError:  # the terminal closed with the build
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=120)
    os.close(controller)
    text = output.decode(errors="replace")
    assert process.returncode == 1
    assert "EOFError" in text and "did not finish" not in text
    assert time.monotonic() - started < 9  # a wait would last the 10 s wall-clock limit


@pytest.mark.parametrize("value", [".nan", "-1", "soon"])
def test_a_bad_time_limit_in_front_matter_fails_at_its_line(tmp_path: Path, value: str) -> None:
    page = f"---\nautograd-timeout: {value}\n---\n# Page\n\n```pycon\n>>> 1 + 1\n2\n```\n"
    result = build(tmp_path, {"index.md": page})
    assert result.returncode == 1
    assert "index.md:2: WARNING: example failed: autograd-timeout must be a number of seconds" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_reference_cycles_a_page_makes_are_collected(tmp_path: Path) -> None:
    """A micrograd-style loop makes a cycle per node; memory stays what plain Python uses."""
    page = """\
# Page

```pycon
>>> import gc, resource
>>> class Node:
...     def __init__(self):
...         self.back = lambda: self  # a closure over the node: a cycle
...         self.payload = bytearray(10_000)
>>> before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
>>> for _ in range(20_000):
...     node = Node()
>>> grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
>>> grown_mb < 50  # 20,000 nodes of 10 kB would be 200 MB if never freed
True
```
"""
    result = build(tmp_path, {"index.md": page}, "-W")
    assert result.returncode == 0, result.stderr


def test_output_past_sys_stdout_is_part_of_the_example(tmp_path: Path) -> None:
    page = """\
# Page

```pycon
>>> import os, subprocess, sys
>>> os.write(1, b"said\\n")
said
5
>>> _ = subprocess.run([sys.executable, "-c", "print('from a program')"])
from a program
```

```pycon
>>> os.write(2, b"unseen\\n")
7
```

```python
subprocess.run([sys.executable, "-c", "print('hidden')"])
```
"""
    result = build(tmp_path, {"index.md": page})
    assert result.returncode == 1
    assert 'index.md:13: WARNING: example failed: os.write(2, b"unseen\\n")' in result.stderr
    assert "Got:\n    unseen\n    7" in result.stderr
    assert "index.md:18: WARNING: example failed: this code block wrote to its file " in (
        result.stderr
    )
    assert "    hidden" in result.stderr
    assert result.stderr.count("WARNING: example failed") == 2


def test_a_page_that_read_an_environment_variable_runs_again_when_it_changes(
    tmp_path: Path,
) -> None:
    page = "# Page\n\n```pycon\n>>> import os\n>>> os.environ.get('LESSON_GREETING')\n'hi'\n```\n"
    assert build(tmp_path, {"index.md": page}, "-W", env={"LESSON_GREETING": "hi"}).returncode == 0
    same = build(tmp_path, {}, "-W", fresh=False, quiet=False, env={"LESSON_GREETING": "hi"})
    assert same.returncode == 0 and "autograd: index:" not in same.stdout  # nothing to run
    changed = build(tmp_path, {}, fresh=False, env={"LESSON_GREETING": "hello"})
    assert changed.returncode == 1
    assert "index.md:5: WARNING: example failed: os.environ.get('LESSON_GREETING')" in (
        changed.stderr
    )


@pytest.mark.parametrize("seed", ["random", "1", "77"])
def test_a_printed_set_is_the_same_whatever_hash_seed_the_build_starts_with(
    tmp_path: Path, seed: str
) -> None:
    page = """\
# Page

```pycon
>>> {'apple', 'banana', 'cherry', 'elder', 'damson'}
{'banana', 'apple', 'cherry', 'elder', 'damson'}
```
"""
    result = build(tmp_path, {"index.md": page}, "-W", env={"PYTHONHASHSEED": seed})
    assert result.returncode == 0, result.stderr


def _alive(pid: int) -> bool:
    import os

    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and os.path.exists(f"/proc/{pid}")


def _page_that_starts_a_session_of_its_own(pids: Path, then: str) -> str:
    return f"""\
# Page

```python
import os, subprocess, sys, time
sleeper = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
)
with open({str(pids)!r}, "w") as file:
    file.write(f"{{os.getpid()}} {{sleeper.pid}}")
{then}
```
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_nothing_a_page_starts_outlives_the_build(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    page = _page_that_starts_a_session_of_its_own(pids, "")
    assert build(tmp_path, {"index.md": page}, "-W").returncode == 0
    page_process, sleeper = map(int, pids.read_text().split())
    assert not _alive(page_process) and not _alive(sleeper)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_build_stopped_with_sigterm_leaves_nothing_running(tmp_path: Path) -> None:
    import signal
    import time

    pids = tmp_path / "pids"
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF)
    page = _page_that_starts_a_session_of_its_own(pids, "time.sleep(120)")
    (source / "index.md").write_text(page)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q"]
    build_process = subprocess.Popen([*command, str(source), str(tmp_path / "out")])
    deadline = time.monotonic() + 60
    while not pids.exists() or not pids.read_text():
        assert time.monotonic() < deadline, "the page never started"
        time.sleep(0.1)
    page_process, sleeper = map(int, pids.read_text().split())
    build_process.send_signal(signal.SIGTERM)
    build_process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (_alive(page_process) or _alive(sleeper)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(page_process) and not _alive(sleeper)


@pytest.mark.needs("chromium")
def test_an_example_cannot_end_the_script_element_that_holds_the_pages_steps(
    tmp_path: Path,
) -> None:
    """Run in browser keeps a page's steps in a <script> element: a real browser reads it."""
    import json
    import os
    import shutil

    from autograd.sphinxext.downloads import steps_json
    from autograd.sphinxext.outline import ScriptStep

    hostile = "s = '<!--<script>'\nt = '</script><p id=\"injected\">'\nu = '&amp; ]]>'\n"
    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html><html><body><script type="application/json" id="steps">'
        f"{steps_json([ScriptStep(hostile)])}</script>"
        '<p id="after">the rest of the page</p>'
        '<script>document.getElementById("after").dataset.code = '
        'JSON.parse(document.getElementById("steps").textContent)[0].code;</script>'
        "</body></html>"
    )
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update"]
    flags += [f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()]
    dom = subprocess.run(
        [chromium, *flags], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    ).stdout
    assert '<p id="after"' in dom and 'id="injected"' not in dom
    read_back = re.search(r'data-code="([^"]*)"', dom)
    assert read_back is not None
    assert html.unescape(read_back[1]) == hostile
    assert json.loads(steps_json([ScriptStep(hostile)]))[0]["code"] == hostile


def test_a_page_may_write_temporary_files_beside_the_project(tmp_path: Path) -> None:
    """Only the sources, the configuration and the output are out of a page's reach."""
    import os

    source, conf, scratch = tmp_path / "src", tmp_path / "conf", tmp_path / "scratch"
    for folder in (source, conf, scratch):
        folder.mkdir()
    (conf / "conf.py").write_text(CONF)
    page = (
        "# Page\n\n```pycon\n>>> import tempfile\n"
        ">>> with tempfile.TemporaryDirectory() as folder:\n...     print('made')\nmade\n```\n"
    )
    (source / "index.md").write_text(page)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", "-W", "-c", str(conf)]
    result = subprocess.run(
        [*command, str(source), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(scratch)},  # beside the sources, under their parent
    )
    assert result.returncode == 0, result.stderr
