"""The ``value-graph`` and ``live-plot`` directives: figures drawn from live objects.

Each directive only records its expression. When the page's examples run (see
`autograd.sphinxext.execute_page`), the expression is evaluated at that point
of the page, and the drawing is stored in the node as SVG text.
"""

from __future__ import annotations

import base64
import io
import re
from html import escape
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective, SphinxTranslator

from autograd.drawing import MAX_NODES, GraphNode, describe_graph, draw_dot
from autograd.render import render_svg

__all__ = [
    "FIGURE_NODES",
    "LivePlotDirective",
    "ValueGraphDirective",
    "draw_figure",
    "draw_graph_into",
    "draw_plot_into",
    "live_plot",
    "value_graph",
]


class value_graph(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """A computation graph, inline SVG once drawn."""


class live_plot(nodes.General, nodes.Element):  # noqa: N801
    """A matplotlib figure, as an SVG image once drawn."""


def _rankdir(argument: str | None) -> str:
    value = (argument or "").strip().upper()
    if value not in ("LR", "TB"):
        raise ValueError(f"rankdir must be LR or TB, not {argument!r}")
    return value


class _FigureDirective(SphinxDirective):
    """What both directives share: one expression, a caption, a name, alt text."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = {
        "caption": directives.unchanged,
        "name": directives.unchanged,
        "alt": directives.unchanged,
        "class": directives.class_option,
        "width": directives.length_or_percentage_or_unitless,
    }
    node_class: type[nodes.Element]
    css_class: str

    def run(self) -> list[nodes.Node]:
        figure = nodes.figure(classes=[self.css_class, *self.options.get("class", [])])
        self.set_source_info(figure)
        drawing = self.node_class(
            expression=self.arguments[0],
            alt=self.options.get("alt", ""),
            width=self.options.get("width", ""),
            **self.extra_attributes(),
        )
        self.set_source_info(drawing)
        figure += drawing
        if "caption" in self.options:
            parsed, _ = self.parse_inline(self.options["caption"], lineno=self.lineno)
            caption = nodes.caption(self.options["caption"], "", *parsed)
            self.set_source_info(caption)
            figure += caption
        self.add_name(figure)
        return [figure]

    def extra_attributes(self) -> dict[str, Any]:
        return {}


class ValueGraphDirective(_FigureDirective):
    """``{value-graph} L``: draw the graph of ``L`` as it is at this point of the page."""

    option_spec: ClassVar[dict[str, Any]] = {
        **_FigureDirective.option_spec,
        "rankdir": _rankdir,
        "max-nodes": directives.positive_int,
    }
    node_class = value_graph
    css_class = "value-graph"

    def extra_attributes(self) -> dict[str, Any]:
        return {
            "rankdir": self.options.get("rankdir", "LR"),
            "max_nodes": self.options.get("max-nodes", MAX_NODES),
        }


class LivePlotDirective(_FigureDirective):
    """``{live-plot} figure``: show a matplotlib figure built by the page's examples."""

    node_class = live_plot
    css_class = "live-plot"


def draw_graph_into(node: nodes.Element, root: object, graph_id: str) -> None:
    """Draw ``root`` and keep the SVG and its description in ``node``."""
    if not isinstance(root, GraphNode):
        raise TypeError(
            f"'{node['expression']}' is a {type(root).__name__}, not a graph node "
            "(it needs data, grad, _prev and _op)"
        )
    dot = draw_dot(root, rankdir=node["rankdir"], max_nodes=node["max_nodes"], graph_id=graph_id)
    node["svg"] = render_svg(dot.source)
    node["description"] = describe_graph(root, max_nodes=node["max_nodes"])


def draw_plot_into(node: nodes.Element, figure: object) -> None:
    """Save a matplotlib figure as SVG (reproducibly) and keep it in ``node``."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if hasattr(figure, "get_figure") and not isinstance(figure, Figure):
        figure = figure.get_figure()  # an Axes
    if not isinstance(figure, Figure):
        raise TypeError(
            f"'{node['expression']}' is a {type(figure).__name__}, not a matplotlib Figure"
        )
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "autograd", "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(figure)
    node["svg"] = buffer.getvalue().decode()
    titles = [ax.get_title() for ax in figure.get_axes() if ax.get_title()]
    node["description"] = "Plot: " + "; ".join(titles) if titles else "Plot"


FIGURE_NODES: tuple[type[nodes.Element], ...] = (value_graph, live_plot)
"""The node classes that the page runner draws from live objects."""


def draw_figure(node: nodes.Element, target: object, figure_id: str) -> None:
    """Draw ``target`` into a figure node; the results are kept in its attributes."""
    if isinstance(node, value_graph):
        draw_graph_into(node, target, figure_id)
    elif isinstance(node, live_plot):
        draw_plot_into(node, target)
    else:
        raise TypeError(f"{type(node).__name__} is not a figure node")


def _alt(node: nodes.Element) -> str:
    return str(node["alt"] or node.get("description", ""))


def _width_style(node: nodes.Element) -> str:
    return f' style="width: {escape(node["width"])}"' if node["width"] else ""


_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def visit_value_graph_html(self: SphinxTranslator, node: nodes.Element) -> None:
    svg = node.get("svg", "")
    # Graphviz sizes in points; let the figure scale down on narrow screens.
    svg = _SVG_SIZE.sub(
        lambda m: f'<svg width="{float(m[1]) * 4 / 3:.0f}" height="{float(m[2]) * 4 / 3:.0f}"',
        svg,
        count=1,
    )
    self.body.append(  # type: ignore[attr-defined]
        f'<div class="value-graph-drawing" role="img" aria-label="{escape(_alt(node))}"'
        f"{_width_style(node)}>{svg}</div>\n"
    )
    raise nodes.SkipNode


def visit_live_plot_html(self: SphinxTranslator, node: nodes.Element) -> None:
    data = base64.b64encode(node.get("svg", "").encode()).decode()
    self.body.append(  # type: ignore[attr-defined]
        f'<img class="live-plot-drawing" src="data:image/svg+xml;base64,{data}" '
        f'alt="{escape(_alt(node))}"{_width_style(node)}>\n'
    )
    raise nodes.SkipNode


def visit_text(self: SphinxTranslator, node: nodes.Element) -> None:
    """The text builder shows the description in place of the drawing."""
    self.add_text(f"[{_alt(node)}]")  # type: ignore[attr-defined]
    raise nodes.SkipNode


def visit_skip(self: SphinxTranslator, node: nodes.Element) -> None:
    """Other builders leave the drawing out; the caption stays."""
    raise nodes.SkipNode
