"""Where a page's results land: the one place that writes them into the page's nodes.

The page process sends each figure's drawing and each ``{eval}``'s text as a
typed `autograd.sphinxext.protocol` record; `apply` stores it in the node, in
the attributes the writers read (``svg``, ``svg_narrow``, ``svg_dark``,
``frames``, ``description``; an ``{eval}``'s text as its child).
"""

from __future__ import annotations

from docutils import nodes

from autograd.sphinxext.inline import show_result
from autograd.sphinxext.protocol import EvalText, GraphFigure, PlotFigure, Result, StepsFigure

__all__ = ["apply"]


def apply(node: nodes.Element, result: Result) -> None:
    """Store ``result`` in ``node``.

    >>> from autograd.sphinxext.inline import eval_result
    >>> from autograd.sphinxext.protocol import EvalText
    >>> from autograd.sphinxext.results import apply
    >>> node = eval_result("", "", expression="a.grad")
    >>> apply(node, EvalText("6.0"))
    >>> node.astext()
    '6.0'
    """
    match result:
        case GraphFigure(svg, svg_narrow, description):
            node.attributes.update(svg=svg, svg_narrow=svg_narrow, description=description)
        case StepsFigure(frames, description):
            node["frames"] = [
                {
                    "svg": frame.svg,
                    "svg_narrow": frame.svg_narrow,
                    "caption": frame.caption,
                    "description": frame.description,
                }
                for frame in frames
            ]
            node["description"] = description
        case PlotFigure(svg, svg_dark, description):
            node.attributes.update(svg=svg, svg_dark=svg_dark, description=description)
        case EvalText(text):
            show_result(node, text)
