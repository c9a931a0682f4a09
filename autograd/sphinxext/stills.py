"""Live figures as image files, for the builders that cannot hold an inline SVG or a script.

An HTML page holds each drawing inline, and a script steps through a
backward pass. An EPUB book and a LaTeX (PDF) document cannot: there each
figure becomes image files, drawn from the same SVG the page would inline.

- EPUB: SVG files in ``_images/``, shown with ``<img>``: the drawing in its
  narrow layout when it has one (a reader's screen is narrow), a plot in its
  light colours, and a backward pass as its steps one below the other, each
  with its caption.
- LaTeX: PNG files beside the ``.tex`` file (rasterized with the drawings'
  own font), each as wide as the SVG, or the line if that is narrower.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxTranslator

from autograd.drawing import _rasterize

__all__ = ["in_epub_too", "visit_epub", "visit_latex"]

Visitor = Callable[[SphinxTranslator, nodes.Element], None]

_WIDTH = re.compile(r'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"')


def _stills(node: nodes.Element) -> list[tuple[str, str, str]]:
    """The figure as (caption, SVG, description) stills, in the order they are read."""
    if "frames" in node:
        count = len(node["frames"])
        return [
            (
                f"Step {number} of {count}. {frame['caption']}",
                frame.get("svg_narrow") or frame["svg"],
                frame["description"],
            )
            for number, frame in enumerate(node["frames"], start=1)
        ]
    svg = node.get("svg_narrow") or node.get("svg", "")
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


def visit_epub(self: SphinxTranslator, node: nodes.Element) -> None:
    """Each still as an SVG file in ``_images``, with its caption and its words as alt text."""
    folder = Path(self.builder.outdir) / "_images"
    html = ['<div class="autograd-stills">']
    for caption, svg, description in _stills(node):
        if caption:
            html.append(f'<p class="backward-step-caption">{escape(caption)}</p>')
        name = _file(folder, _as_document(svg), ".svg")
        source = f"{self.builder.imgpath}/{name}"
        html.append(f'<img src="{escape(source)}" alt="{escape(description)}"/>')
    html.append("</div>\n")
    self.body.append("".join(html))  # type: ignore[attr-defined]
    raise nodes.SkipNode


def in_epub_too(visit_html: Visitor) -> Visitor:
    """The HTML visitor ``visit_html``, which hands the node to `visit_epub` in an EPUB build.

    An EPUB build writes with the HTML translator, and handlers registered
    for the ``epub`` builder by name would replace every HTML handler of
    other extensions there; so one visitor serves both, by the builder.
    """

    def visit(self: SphinxTranslator, node: nodes.Element) -> None:
        if self.builder.name == "epub":
            visit_epub(self, node)
        visit_html(self, node)

    return visit


def _width_pt(svg: str) -> float | None:
    match = _WIDTH.search(svg)
    if match is None:
        return None
    width = float(match[1])
    return width * 0.75 if match[2] != "pt" else width  # CSS px to pt


def visit_latex(self: SphinxTranslator, node: nodes.Element) -> None:
    """Each still as a PNG beside the ``.tex`` file, at most as wide as the line."""
    body: list[str] = self.body  # type: ignore[attr-defined]
    escape_latex: Any = self.encode  # type: ignore[attr-defined]
    for caption, svg, _ in _stills(node):
        if caption:
            body.append(f"\n\n\\noindent{{\\small {escape_latex(caption)}}}\n\n")
        name = _file(Path(self.builder.outdir), _rasterize(svg), ".png")
        width = _width_pt(svg)
        size = f"[width={width:.0f}pt]" if width else ""
        body.append(f"\n\\begin{{center}}\\sphinxincludegraphics{size}{{{{{name[:-4]}}}.png}}")
        body.append("\\end{center}\n")
    raise nodes.SkipNode
