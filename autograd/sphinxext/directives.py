"""The ``value-graph``, ``backward-steps`` and ``live-plot`` directives, and their nodes.

Each directive only records its expression and options on a node. When the
page's examples run, `autograd.sphinxext.drawings` (graphs, backward steps)
and `autograd.sphinxext.plots` (matplotlib figures) draw what the expression
names, and `autograd.sphinxext.visitors` place the drawings in the page.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from autograd.graph import MAX_NODES

__all__ = [
    "FIGURE_NODES",
    "BackwardStepsDirective",
    "LivePlotDirective",
    "ValueGraphDirective",
    "backward_steps_figure",
    "live_plot",
    "value_graph",
]


class value_graph(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """A computation graph, inline SVG once drawn."""


class backward_steps_figure(nodes.General, nodes.Element):  # noqa: N801
    """The backward pass over a graph, one frame per step, once drawn."""


class live_plot(nodes.General, nodes.Element):  # noqa: N801
    """A matplotlib figure, as SVG images (light and dark) once drawn."""


def _rankdir(argument: str | None) -> str:
    value = (argument or "").strip().upper()
    if value not in ("LR", "TB"):
        raise ValueError(f"rankdir must be LR or TB, not {argument!r}")
    return value


class _FigureDirective(SphinxDirective):
    """What the directives share: one expression, a caption, a name, alt text."""

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
    node_class: type[nodes.Element] = value_graph
    css_class = "value-graph"

    def extra_attributes(self) -> dict[str, Any]:
        return {
            "rankdir": self.options.get("rankdir", "LR"),
            "max_nodes": self.options.get("max-nodes", MAX_NODES),
        }


class BackwardStepsDirective(ValueGraphDirective):
    """``{backward-steps} L``: the backward pass over ``L``'s graph, one frame per step."""

    node_class: type[nodes.Element] = backward_steps_figure
    css_class = "backward-steps"


class LivePlotDirective(_FigureDirective):
    """``{live-plot} figure``: show a matplotlib figure built by the page's examples."""

    node_class = live_plot
    css_class = "live-plot"


FIGURE_NODES: tuple[type[nodes.Element], ...] = (value_graph, backward_steps_figure, live_plot)
"""The node classes that the page runner draws from live objects."""
