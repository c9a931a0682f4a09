"""The README's example runs and prints what its comment says."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs_and_prints_the_lesson_figures() -> None:
    code = re.search(r"## Ten lines to try\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert code is not None
    source = code[1]
    assert len([line for line in source.splitlines() if line.strip()]) <= 10
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(source, {})
    expected = re.search(r"# (-8\.0 .*)", source)
    assert expected is not None
    assert printed.getvalue().strip() == expected[1].strip()
