"""Formulas as MathML, written when the site is built: no script, nothing fetched.

A Sphinx extension (``extensions = [..., "autograd.sphinxext.mathml"]``) that
registers the HTML math renderer ``mathml``, which Sphinx then uses instead of
MathJax (``html_math_renderer`` in ``conf.py`` can still pick one). Each
``$...$`` and ``$$...$$`` of a page is converted by `math-core
<https://pypi.org/project/math-core/>`_ to MathML Core, which current browsers
draw without a script and screen readers read as math, and which an EPUB book
holds as it is. The TeX source stays in each formula as its
``<annotation encoding="application/x-tex">``: browsers do not draw it, the
site's search snippets read it (``search-math.js``), and copying a formula
from an EPUB reader keeps it. The formulas are drawn in a subset of Latin
Modern Math that the site ships (``autograd-math.woff2``, 52 kB, loaded by
the pages that have formulas), so they look the same on every machine,
one without a math font of its own included.

A formula that math-core cannot convert is a build warning at its line (an
error with ``-W``), and the page shows its TeX source as code.
"""

from __future__ import annotations

import html
import re
import shutil
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.epub3 import Epub3Builder
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number
from sphinx.writers.html5 import HTML5Translator

__all__ = ["display_tex", "setup", "to_mathml"]

logger = logging.getLogger(__name__)

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
PRIMES = frozenset("′″‴")
STATIC = Path(__file__).parent / "static"
MATH_FONT = Path(__file__).parent.parent / "fonts" / "autograd-math.woff2"
"""A subset of Latin Modern Math (52 kB), so formulas look alike where no math font is
installed; made by ``tools/subset_font.py --math``."""


@lru_cache(maxsize=4096)
def to_mathml(tex: str, display: bool, xml: bool = False) -> str:
    """``tex`` as one ``<math>`` element (with the MathML namespace for XHTML when ``xml``).

    >>> print(to_mathml("x^2", display=False).replace("><", ">\\n<"))
    <math>
    <semantics>
    <msup>
    <mi>x</mi>
    <mn>2</mn>
    </msup>
    <annotation encoding="application/x-tex">x^2</annotation>
    </semantics>
    </math>

    Raises ``math_core.LatexError`` with math-core's message if it cannot.
    """
    from math_core import LatexToMathML

    converter = LatexToMathML(annotation=True, fancy_error=False, xml_namespace=xml)
    return _tidy(converter.convert_with_local_state(tex, displaystyle=display))


def _tidy(mathml: str) -> str:
    """math-core's MathML, made XML (no named entities) and with primes drawn level.

    ``f'`` comes as ``<msup><mi>f</mi><mo>′</mo></msup>``; a math font's prime
    is already raised, and Chromium does not pick its script variant (the
    font's ``ssty`` feature), so the prime sits a superscript too high. Written
    as ``<mi>f</mi><mo>′</mo>`` in a row, it sits where TeX puts it.

    >>> _tidy("<math><msup><mi>f</mi><mo>′</mo></msup><mo>&ApplyFunction;</mo></math>")
    '<math><mrow><mi>f</mi><mo lspace="0" rspace="0">′</mo></mrow><mo>\u2061</mo></math>'
    """
    text = re.sub(
        r"&([A-Za-z][A-Za-z0-9]*);",
        lambda m: m[0] if m[1] in ("amp", "lt", "gt", "quot", "apos") else html.unescape(m[0]),
        mathml,
    )
    if not any(prime in text for prime in PRIMES):
        return text
    ET.register_namespace("", NAMESPACE)
    root = ET.fromstring(text)
    for element in root.iter():
        if element.tag.rpartition("}")[2] != "msup" or len(element) != 2:
            continue
        script = element[1]
        if script.tag.rpartition("}")[2] == "mo" and script.text and set(script.text) <= PRIMES:
            element.tag = element.tag.replace("msup", "mrow")
            script.attrib.update(lspace="0", rspace="0")
    return ET.tostring(root, encoding="unicode", short_empty_elements=True).replace(" />", "/>")


def display_tex(node: nodes.math_block) -> str:
    """The TeX of a displayed formula as one expression, as Sphinx's MathJax renderer writes it.

    Parts separated by a blank line are rows aligned on ``&``, and a part with
    ``\\\\`` line breaks is split into aligned rows too.

    >>> display_tex(nodes.math_block("", "a = b\\n\\nc = d"))
    '\\\\begin{aligned}a = b\\\\\\\\c = d\\\\end{aligned}'
    """
    text = node.astext()
    if node.get("no-wrap", node.get("nowrap", False)):
        return text
    parts = [part for part in text.split("\n\n") if part.strip()]
    if len(parts) == 1 and "\\\\" not in parts[0]:
        return parts[0]
    return "\\begin{aligned}" + "\\\\".join(parts) + "\\end{aligned}"


def _convert(self: HTML5Translator, node: nodes.Element, tex: str, display: bool) -> str | None:
    try:
        return to_mathml(tex, display, self.builder.name == "epub")
    except Exception as error:  # math_core.LatexError
        logger.warning(
            "math: cannot convert this formula to MathML: %s\n%s", error, tex, location=node
        )
        return None


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    mathml = _convert(self, node, node.astext(), display=False)
    if mathml is None:
        self.body.append(f'<code class="math">{self.encode(node.astext())}</code>')
    else:
        self.body.append(mathml.replace("<math", '<math class="math"', 1))
    raise nodes.SkipNode


def visit_displaymath(self: HTML5Translator, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    mathml = _convert(self, node, display_tex(node), display=True)
    if mathml is None:
        self.body.append(f"<pre>{self.encode(node.astext())}</pre>")
    else:
        self.body.append(mathml)
    self.body.append("</div>\n")
    raise nodes.SkipNode


class MathMLEpub3Builder(Epub3Builder):
    """Sphinx's EPUB 3 builder, declaring the pages that hold MathML in the book's manifest.

    EPUB 3 requires ``properties="mathml"`` on each such page's manifest item
    (epubcheck's OPF-014); Sphinx's template writes no properties.
    """

    def build_content(self) -> None:
        super().build_content()
        opf = Path(self.outdir) / "content.opf"
        opf.write_text(declare_mathml(opf.read_text(encoding="utf-8"), Path(self.outdir)), "utf-8")


def declare_mathml(opf: str, folder: Path) -> str:
    """``opf`` with ``properties="mathml"`` on the XHTML items in ``folder`` that hold MathML."""

    def declare(match: re.Match[str]) -> str:
        page = folder / unquote(html.unescape(match["href"]))
        if "properties=" in match[0] or "<math" not in page.read_text(encoding="utf-8"):
            return match[0]
        return match[0].replace("/>", 'properties="mathml" />')

    pattern = r'<item [^>]*href="(?P<href>[^"]+)" media-type="application/xhtml\+xml"[^>]*/>'
    return re.sub(pattern, declare, opf)


def copy_math_font(app: Sphinx) -> list[Any]:
    """Put the formulas' font (and its licence) in the site, for ``autograd-math.css``.

    On ``html-collect-pages``, before an EPUB builder packs its files.
    """
    target = Path(app.outdir) / "_static" / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MATH_FONT, target / MATH_FONT.name)
    licence = MATH_FONT.parent / "LICENSE-autograd-math.txt"
    if app.builder.name == "epub":  # a book holds no plain-text file: the name table says it
        builder: Any = app.builder
        builder.media_types = {**builder.media_types, ".woff2": "font/woff2"}
    else:
        shutil.copyfile(licence, target / licence.name)
    return []


def _add_static(app: Sphinx) -> None:
    if app.builder.format == "html" and str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``mathml`` renderer; Sphinx prefers it to MathJax, its own default."""
    app.add_html_math_renderer(
        "mathml", inline_renderers=(visit_math, None), block_renderers=(visit_displaymath, None)
    )
    app.connect("builder-inited", _add_static)
    app.add_builder(MathMLEpub3Builder, override=True)
    app.add_css_file("autograd-math.css")
    app.connect("html-collect-pages", copy_math_font)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
