"""Hostile pages: what a page does in its own process cannot make the build pass or run code.

Each page here tries to get a wrong example past the build, or to reach into
the build process; each must fail at its page and line, with a message that
says why, and leave the build process as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sphinxext import build

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
    result = build(tmp_path, {"index.md": page})
    assert result.returncode != 0
    assert not marker.exists()
    assert "index.md:4: WARNING: example failed: the process running the page sent " in (
        result.stderr
    )


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
>>> from autograd.sphinxext import examples
>>> examples._Recorder.check_output = lambda self, want, got, flags: True
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
