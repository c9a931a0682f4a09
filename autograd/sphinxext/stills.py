"""Live figures as image files, for the builders that cannot hold an inline SVG or a script.

An HTML page holds each drawing inline, and a script steps through a
backward pass. An EPUB book and a LaTeX (PDF) document cannot: there each
figure becomes image files, drawn from the same SVG the page would inline.

- EPUB: SVG files in ``_images/``, shown with ``<img>``: the drawing in its
  narrow layout when it has one (a reader's screen is narrow), a plot in its
  light colours, and a backward pass as its steps one below the other, each
  with its caption.
- LaTeX: PNG files beside the ``.tex`` file (rasterized with the drawings'
  own font), in the wide layout, each as wide as the SVG, or the line if that
  is narrower. A backward pass is too tall for one float: its figure becomes
  part of the text, its caption first and each step after, so that it can
  run over pages.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator
from sphinx.writers.latex import LaTeXTranslator

from autograd.drawing import _rasterize

__all__ = ["drop_decorative_svg", "in_epub_too", "unfloat_steps", "visit_epub", "visit_latex"]

Visitor = Callable[[HTML5Translator, nodes.Element], None]

_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"')


def _stills(node: nodes.Element, narrow: bool) -> list[tuple[str, str, str]]:
    """The figure as (caption, SVG, description) stills, in the order they are read."""
    if "frames" in node:
        count = len(node["frames"])
        return [
            (
                f"Step {number} of {count}. {frame['caption']}",
                (narrow and frame.get("svg_narrow")) or frame["svg"],
                frame["description"],
            )
            for number, frame in enumerate(node["frames"], start=1)
        ]
    svg = (narrow and node.get("svg_narrow")) or node.get("svg", "")
    return [("", svg, str(node.get("alt") or node.get("description", "")))] if svg else []


def _file(folder: Path, data: bytes, suffix: str) -> str:
    """Write ``data`` into ``folder`` under a name made from its content; return the name."""
    name = f"autograd-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    return name


def _as_document(svg: str) -> bytes:
    """An inline SVG as a file of its own: with its namespaces and an XML prologue."""
    svg = svg[svg.find("<svg") :]
    if "xmlns=" not in svg[: svg.find(">")]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    if "xlink:" in svg and "xmlns:xlink=" not in svg[: svg.find(">")]:
        svg = svg.replace("<svg", '<svg xmlns:xlink="http://www.w3.org/1999/xlink"', 1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode()


def visit_epub(self: HTML5Translator, node: nodes.Element) -> None:
    """Each still as an SVG file in ``_images``, with its caption and its words as alt text."""
    folder = Path(self.builder.outdir) / "_images"
    html = ['<div class="autograd-stills">']
    for caption, svg, description in _stills(node, narrow=True):
        if caption:
            html.append(f'<p class="backward-step-caption">{escape(caption)}</p>')
        name = _file(folder, _as_document(svg), ".svg")
        source = f"{self.builder.imgpath}/{name}"
        html.append(f'<img src="{escape(source)}" alt="{escape(description)}"/>')
    html.append("</div>\n")
    self.body.append("".join(html))
    raise nodes.SkipNode


def in_epub_too(visit_html: Visitor) -> Visitor:
    """The HTML visitor ``visit_html``, which hands the node to `visit_epub` in an EPUB build.

    An EPUB build writes with the HTML translator, and handlers registered
    for the ``epub`` builder by name would replace every HTML handler of
    other extensions there; so one visitor serves both, by the builder.
    """

    def visit(self: HTML5Translator, node: nodes.Element) -> None:
        if self.builder.name == "epub":
            visit_epub(self, node)
        visit_html(self, node)

    return visit


STEP_HEIGHT_PT = 250
"""The tallest one step of a backward pass is printed: two fit on a page."""


def _size_pt(svg: str) -> tuple[float, float] | None:
    """The SVG's width and height in points (from CSS pixels where it is sized in them)."""
    match = _SIZE.search(svg)
    if match is None:
        return None
    scale = 1.0 if match[2] == "pt" else 0.75
    return float(match[1]) * scale, float(match[3]) * scale


def visit_latex(self: LaTeXTranslator, node: nodes.Element) -> None:
    """Each still as a PNG beside the ``.tex`` file, at most as wide as the line."""
    body = self.body
    escape_latex = self.encode
    for caption, svg, _ in _stills(node, narrow=False):
        if caption:
            body.append(f"\n\n\\noindent{{\\small {escape_latex(caption)}}}\n\n")
        name = _file(Path(self.builder.outdir), _rasterize(svg), ".png")
        size_pt = _size_pt(svg)
        size = ""
        if size_pt is not None:
            width, height = size_pt
            if caption:  # a step: short enough that the steps share pages
                width = min(width, width * STEP_HEIGHT_PT / height)
            size = f"[width={width:.0f}pt]"
        body.append(f"\n\\begin{{center}}\\sphinxincludegraphics{size}{{{{{name[:-4]}}}.png}}")
        body.append("\\end{center}\n")
    raise nodes.SkipNode


def unfloat_steps(app: Any, doctree: nodes.document, docname: str) -> None:
    """In LaTeX, put each backward pass in the text: a float cannot run over pages."""
    if app.builder.format != "latex":
        return
    for figure in list(doctree.findall(nodes.figure)):
        steps = [
            child
            for child in figure.children
            if isinstance(child, nodes.Element) and "frames" in child
        ]
        if not steps:
            continue
        captions = [child for child in figure.children if isinstance(child, nodes.caption)]
        lead = [nodes.paragraph("", "", *caption.children) for caption in captions]
        figure.replace_self([*lead, *steps])


_DECORATIVE_SVG = re.compile(r'<svg\b[^>]*\baria-hidden="true"[^>]*>.*?</svg>', re.S)


def drop_decorative_svg(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """In EPUB, leave out the inline icons that themes draw (hidden from readers anyway).

    An inline SVG in an EPUB page must be declared in the book's manifest,
    which Sphinx's EPUB builder does not do; an icon marked aria-hidden
    carries nothing a reader needs, and the book's own figures are images.
    """
    if app.builder.name == "epub" and "body" in context:
        context["body"] = _DECORATIVE_SVG.sub("", context["body"])
