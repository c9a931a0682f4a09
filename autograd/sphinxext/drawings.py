"""Drawing a graph figure or a backward pass, in the page process, as plain data.

A graph is drawn left to right and, when that is too wide for a phone, top to
bottom as well; CSS shows the one that fits. Graph text is never shrunk below
11 CSS pixels: a drawing wider than its column scrolls inside it. The drawings
come back as `autograd.sphinxext.protocol` results, which the build applies to
the figure's node (`autograd.sphinxext.results.apply`).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

from autograd.drawing import describe_graph, draw_dot
from autograd.graph import GraphNode, require_node
from autograd.sphinxext.directives import backward_steps_figure, live_plot, value_graph
from autograd.sphinxext.plots import draw_plot
from autograd.sphinxext.protocol import Frame, GraphFigure, Result, StepsFigure
from autograd.steps import backward_steps

__all__ = ["NARROW_PX", "draw_figure", "draw_graph", "draw_steps"]

NARROW_PX = 340
"""A drawing that cannot shrink to this width gets a top-to-bottom layout for phones."""


def _layouts(root: GraphNode, node: nodes.Element, graph_id: str, **marks: Any) -> dict[str, str]:
    """The drawing in the directive's layout and, if that is too wide for a phone, TB."""
    rankdir = node["rankdir"]
    max_nodes = node["max_nodes"]
    drawing = draw_dot(root, rankdir=rankdir, max_nodes=max_nodes, graph_id=graph_id, **marks)
    svg, narrowest = drawing.sized_svg()
    narrow = ""
    if rankdir == "LR" and narrowest > NARROW_PX:
        narrow_dot = draw_dot(
            root, rankdir="TB", max_nodes=max_nodes, graph_id=f"{graph_id}_tb", **marks
        )
        narrow, _ = narrow_dot.sized_svg()
    return {"svg": svg, "svg_narrow": narrow}


def _check_node(node: nodes.Element, root: object) -> GraphNode:
    return require_node(root, f"'{node['expression']}'")


def draw_graph(node: nodes.Element, root: object, graph_id: str) -> GraphFigure:
    """Draw ``root`` as the ``value-graph`` ``node`` asks: its layouts and its description."""
    graph = _check_node(node, root)
    layouts = _layouts(graph, node, graph_id)
    return GraphFigure(
        svg=layouts["svg"],
        svg_narrow=layouts["svg_narrow"],
        description=describe_graph(graph, max_nodes=node["max_nodes"], gradients=True),
    )


def draw_steps(node: nodes.Element, root: object, graph_id: str) -> StepsFigure:
    """Replay ``root``'s backward pass: one drawing and caption per step."""
    graph = _check_node(node, root)
    frames: list[Frame] = []
    for number, step in enumerate(backward_steps(graph, node["max_nodes"]), start=1):
        layouts = _layouts(
            step.root, node, f"{graph_id}_s{number}", active=step.active, written=step.written
        )
        description = describe_graph(step.root, max_nodes=None, gradients=True)
        frames.append(Frame(layouts["svg"], layouts["svg_narrow"], step.caption, description))
    graph_in_words = describe_graph(graph, max_nodes=node["max_nodes"]).removesuffix(".")
    return StepsFigure(
        frames=tuple(frames),
        description=f"The backward pass over {graph_in_words}, in {len(frames)} steps.",
    )


def draw_figure(node: nodes.Element, target: object, figure_id: str) -> Result:
    """Draw ``target`` as the figure ``node`` asks for; the node itself is left as it is."""
    if isinstance(node, value_graph):
        return draw_graph(node, target, figure_id)
    if isinstance(node, backward_steps_figure):
        return draw_steps(node, target, figure_id)
    if isinstance(node, live_plot):
        return draw_plot(node, target)
    raise TypeError(f"{type(node).__name__} is not a figure node")
