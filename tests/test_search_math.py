"""Search snippets show formulas as plain text, not as TeX source."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "conf" / "static" / "search-math.js"
NODE = shutil.which("node") or shutil.which("nodejs")


def to_text(tex: str) -> str:
    assert NODE is not None
    program = (
        f"const {{ texToText }} = require({json.dumps(str(SCRIPT))});"
        f"process.stdout.write(texToText({json.dumps(tex)}));"
    )
    return subprocess.run([NODE, "-e", program], capture_output=True, text=True, check=True).stdout


@pytest.mark.needs("node")
@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\(c\)", "c"),
        (r"\(\frac{dL}{dc} = (-2) \cdot 1\)", "dL/dc = (-2) · 1"),
        (r"\(\operatorname{relu}(n) = \max(0, n)\)", "relu(n) = max(0, n)"),
        (r"\[\Delta L \approx 0.01 \sum_i g_i^2 \ \ge\ 0\]", "Δ L ≈ 0.01 Σ_i g_i^2 ≥ 0"),
    ],
)
def test_a_formula_becomes_readable_text(tex: str, text: str) -> None:
    assert to_text(tex) == text


def test_every_page_loads_the_script() -> None:
    conf = (SCRIPT.parent.parent / "conf.py").read_text()
    assert re.search(r'^html_js_files = \[[^\]]*"search-math\.js"', conf, flags=re.M)
    assert 'html_static_path = ["static"]' in conf
