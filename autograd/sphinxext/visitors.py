"""How the builders show the live figures: inline SVG in HTML, a description in text.

A graph's layouts are inline SVG, so its text stays text; a plot is two image
files (light and dark) in the site's ``_images``, named by their content.
EPUB and LaTeX get image files instead (`autograd.sphinxext.stills`).
"""

from __future__ import annotations

import hashlib
import shutil
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxTranslator
from sphinx.writers.html5 import HTML5Translator
from sphinx.writers.text import TextTranslator

from autograd.drawing import FONT_FILE
from autograd.render import PX_PER_PT, SVG_SIZE

__all__ = [
    "copy_font",
    "visit_backward_steps_html",
    "visit_live_plot_html",
    "visit_skip",
    "visit_text",
    "visit_value_graph_html",
]


def _alt(node: nodes.Element) -> str:
    return str(node["alt"] or node.get("description", ""))


def _width_style(node: nodes.Element) -> str:
    return f' style="width: {escape(node["width"])}"' if node["width"] else ""


def _graph_html(drawing: dict[str, str], label: str, style: str = "") -> str:
    """A graph's layouts; each is the image, named by ``label``, and the box that scrolls.

    The site's script makes a layout that scrolls sideways reachable by keyboard.
    """
    narrow = drawing.get("svg_narrow", "")
    classes = "value-graph-drawing has-narrow" if narrow else "value-graph-drawing"
    image = f'role="img" aria-label="{escape(label)}"'
    html = f'<div class="{classes}"{style}>'
    html += f'<div class="graph-layout graph-wide" {image}>{drawing.get("svg", "")}</div>'
    if narrow:
        html += f'<div class="graph-layout graph-narrow" {image}>{narrow}</div>'
    return html + "</div>\n"


def visit_value_graph_html(self: HTML5Translator, node: nodes.Element) -> None:
    self.body.append(_graph_html(node.attributes, _alt(node), _width_style(node)))
    raise nodes.SkipNode


def visit_backward_steps_html(self: HTML5Translator, node: nodes.Element) -> None:
    frames: list[dict[str, str]] = node.get("frames", [])
    html = [f'<div class="backward-steps-frames" aria-label="{escape(_alt(node))}">']
    for number, frame in enumerate(frames, start=1):
        counter = f"Step {number} of {len(frames)}"
        html.append(
            f'<div class="backward-step" data-step="{number}">'
            f'<p class="backward-step-caption"><span class="backward-step-number">{counter}.'
            f"</span> {escape(frame['caption'])}</p>"
            + _graph_html(frame, f"{counter}: {frame['caption']} {frame['description']}")
            + "</div>"
        )
    html.append("</div>\n")
    self.body.append("".join(html))
    raise nodes.SkipNode


def _write_image(self: HTML5Translator, svg: str, kind: str) -> str:
    """Write ``svg`` into the site's ``_images`` (named by its content); its URL from the page."""
    name = f"plot-{hashlib.sha256(svg.encode()).hexdigest()[:16]}-{kind}.svg"
    folder = Path(self.builder.outdir) / "_images"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists() or target.read_text() != svg:
        target.write_text(svg)
    return f"{self.builder.imgpath}/{name}"


def visit_live_plot_html(self: HTML5Translator, node: nodes.Element) -> None:
    size = SVG_SIZE.search(node.get("svg", ""))
    dimensions = ""
    if size is not None:
        width, height = (round(float(size[i]) * PX_PER_PT) for i in (1, 2))
        dimensions = f' width="{width}" height="{height}"'
    images = []
    for kind, key in (("light", "svg"), ("dark", "svg_dark")):
        if node.get(key):
            images.append(
                f'<img class="live-plot-drawing live-plot-{kind}" '
                f'src="{_write_image(self, node[key], kind)}" alt="{escape(_alt(node))}"'
                f"{dimensions}{_width_style(node)}>"
            )
    self.body.append("".join(images) + "\n")
    raise nodes.SkipNode


def visit_text(self: TextTranslator, node: nodes.Element) -> None:
    """The text builder shows the description in place of the drawing."""
    self.add_text(f"[{_alt(node)}]")
    raise nodes.SkipNode


def visit_skip(self: SphinxTranslator, node: nodes.Element) -> None:
    """Other builders leave the drawing out; the caption stays."""
    raise nodes.SkipNode


def copy_font(app: Any) -> list[Any]:
    """Put the drawings' font (and its licence) in the site, for the CSS @font-face.

    Browsers load the WOFF2 (a third of the TTF's size); the TTF is there for
    a reader that cannot. On ``html-collect-pages``: before an EPUB builder
    packs its files (it is told WOFF2's media type, which EPUB 3.3 lists). A
    book holds no plain-text file; the font's own name table carries its
    copyright and licence there.
    """
    target = Path(app.outdir) / "_static" / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for font in (FONT_FILE.with_suffix(".woff2"), FONT_FILE):
        shutil.copyfile(font, target / font.name)
    if app.builder.name == "epub":
        app.builder.media_types = {**app.builder.media_types, ".woff2": "font/woff2"}
    else:
        shutil.copyfile(FONT_FILE.parent / "LICENSE", target / "LICENSE-DejaVu.txt")
    return []
