"""Formulas as MathML, made at build time: every formula of the site converts, the
shipped math font draws every character, pages need no script, books validate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograd.sphinxext.mathml import MATH_FONT, declare_mathml, to_mathml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SEARCH_SCRIPT = ROOT / "conf" / "static" / "search-math.js"


def formulas() -> list[tuple[str, bool, str]]:
    """Every ``$...$`` and ``$$...$$`` of the site's pages: (TeX, displayed, where)."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = re.sub(r"^( *)(`{3,}|:{3,}).*?^\1\2\s*$", "", page.read_text(), flags=re.M | re.S)
        text = re.sub(r"`[^`\n]*`", "", text)  # inline code
        for match in re.finditer(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", text, flags=re.S):
            display = match[1] is not None
            found.append((match[1] if display else match[2], display, page.name))
    return found


FORMULAS = formulas()


def test_the_pages_have_formulas() -> None:
    assert len(FORMULAS) > 300
    assert sum(display for _, display, _ in FORMULAS) >= 15


def test_every_formula_of_the_site_converts_to_mathml() -> None:
    failures = []
    for tex, display, page in FORMULAS:
        try:
            mathml = to_mathml(tex.strip(), display)
        except Exception as error:
            failures.append(f"{page}: {tex!r}: {error}")
            continue
        assert mathml.startswith("<math") and mathml.endswith("</math>")
        assert "<merror" not in mathml, (page, tex)
        assert not re.search(r"&(?!(amp|lt|gt|quot|apos|#x?[0-9A-Fa-f]+);)", mathml), mathml
    assert not failures, "\n".join(failures)


def test_the_shipped_math_font_draws_every_character_of_every_formula() -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(MATH_FONT)  # WOFF2: needs Brotli (fonttools[woff])
    assert "MATH" in font and font["name"].getDebugName(1) == "autograd Math"
    cmap = font.getBestCmap()
    missing = {}
    for tex, display, page in FORMULAS:
        mathml = re.sub(r"<annotation.*?</annotation>", "", to_mathml(tex.strip(), display))
        for tag, text in re.findall(r"<(mi|mn|mo|mtext)[^>]*>([^<]*)<", mathml):
            for char in text:
                shown = _italic(char) if tag == "mi" and len(text) == 1 else char
                if ord(shown) not in cmap and ord(char) not in (0x2061, 0x2062, 0x2063):
                    missing.setdefault(char, page)
    assert not missing, (
        f"autograd-math.woff2 lacks {missing}: add them to MATH_RANGES in "
        "tools/subset_font.py and run it with --math"
    )


def _italic(char: str) -> str:
    """The mathematical italic letter a single-letter <mi> is drawn with."""
    if char == "h":
        return "\u210e"
    if "a" <= char <= "z":
        return chr(0x1D44E + ord(char) - ord("a"))
    if "A" <= char <= "Z":
        return chr(0x1D434 + ord(char) - ord("A"))
    if "α" <= char <= "ω":
        return chr(0x1D6FC + ord(char) - ord("α"))
    return char


def test_a_prime_is_written_level_with_its_letter() -> None:
    assert "<msup>" not in to_mathml("f'(x)", False)
    assert '<mo lspace="0" rspace="0">′</mo>' in to_mathml("f'(x)", False)
    assert "<msup>" in to_mathml("x^2", False)


PAGE = """\
# Page

Inline $\\frac{dL}{dc} = -2$ and a display:

$$
f'(x) = \\lim_{h \\to 0} \\frac{f(x + h) - f(x)}{h} .
$$
"""


def build(tmp_path: Path, builder: str) -> Path:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "index.md").write_text(PAGE)
    (source / "conf.py").write_text(
        'extensions = ["myst_parser", "autograd.sphinxext.mathml"]\n'
        'myst_enable_extensions = ["dollarmath"]\nversion = "1"\nepub_copyright = "2026"\n'
    )
    out = tmp_path / builder
    doctrees = tmp_path / f"doctrees-{builder}"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", builder, "-W", "-q", "-d", doctrees, source, out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_a_page_holds_mathml_and_loads_no_script_for_it(tmp_path: Path) -> None:
    html = (build(tmp_path, "html") / "index.html").read_text()
    assert html.count("<math") == 2 and '<math display="block">' in html
    assert not re.search(r"<script[^>]*mathjax", html, flags=re.I), "a script for formulas"
    assert "MathJax" not in html and "\\(" not in html
    assert "autograd-math.css" in html
    assert (tmp_path / "html" / "_static" / "fonts" / "autograd-math.woff2").is_file()


def test_a_book_declares_its_mathml_pages(tmp_path: Path) -> None:
    out = build(tmp_path, "epub")
    page = (out / "index.xhtml").read_text()
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML"' in page
    opf = (out / "content.opf").read_text()
    assert re.search(r'href="index.xhtml"[^>]*properties="mathml"', opf)
    assert 'href="_static/fonts/autograd-math.woff2" media-type="font/woff2"' in opf


def test_declare_mathml_marks_only_pages_with_formulas(tmp_path: Path) -> None:
    (tmp_path / "a.xhtml").write_text("<p><math/></p>")
    (tmp_path / "b.xhtml").write_text("<p>no formula</p>")
    opf = (
        '<item id="a" href="a.xhtml" media-type="application/xhtml+xml" />\n'
        '<item id="b" href="b.xhtml" media-type="application/xhtml+xml" />'
    )
    assert declare_mathml(opf, tmp_path) == (
        '<item id="a" href="a.xhtml" media-type="application/xhtml+xml" properties="mathml" />\n'
        '<item id="b" href="b.xhtml" media-type="application/xhtml+xml" />'
    )


@pytest.mark.needs("node")
def test_a_search_snippet_reads_a_formula_from_its_tex() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node is not None
    mathml = to_mathml(r"\frac{dL}{dc} = \frac{dL}{dd} \cdot 1", False)
    tex = re.search(r'<annotation encoding="application/x-tex">(.*)</annotation>', mathml)
    assert tex is not None
    # A stand-in for the <math> element: what formulaText reads of it.
    program = (
        f"const {{ formulaText }} = require({json.dumps(str(SEARCH_SCRIPT))});"
        f"const annotation = {{ textContent: {json.dumps(tex[1])} }};"
        "const element = { textContent: 'dLdc=dLdd⋅1', querySelector: () => annotation };"
        "process.stdout.write(formulaText(element));"
    )
    result = subprocess.run([node, "-e", program], capture_output=True, text=True, check=True)
    assert result.stdout == "dL/dc = dL/dd · 1"
