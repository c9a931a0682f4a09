"""The ``value-graph``, ``backward-steps`` and ``live-plot`` directives: live figures.

Each directive only records its expression. When the page's examples run (see
`autograd.sphinxext.execute_page`), the expression is evaluated at that point
of the page, and the drawing is stored in the node's attributes as plain data
(SVG text, captions), which the HTML visitors place in the page.

A graph is drawn left to right and, when that is too wide for a phone, top to
bottom as well; CSS shows the one that fits. Graph text is never shrunk below
11 CSS pixels: a drawing wider than its column scrolls inside it. Plots are
saved as SVG files in a light and a dark style, switched with the theme.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import shutil
from html import escape
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective, SphinxTranslator
from sphinx.writers.html5 import HTML5Translator
from sphinx.writers.text import TextTranslator

from autograd.drawing import FONT, FONT_FILE, FONT_SIZE, describe_graph, draw_dot
from autograd.graph import MAX_NODES, GraphNode, require_node
from autograd.sphinxext.protocol import Frame, GraphFigure, PlotFigure, Result, StepsFigure
from autograd.steps import backward_steps

__all__ = [
    "FIGURE_NODES",
    "BackwardStepsDirective",
    "LivePlotDirective",
    "ValueGraphDirective",
    "backward_steps_figure",
    "copy_font",
    "draw_figure",
    "draw_graph",
    "draw_plot",
    "draw_steps",
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


# -- drawing (while the page's examples run) ---------------------------------

PX_PER_PT = 4 / 3
MIN_TEXT_PX = 11.5
"""The smallest graph text a figure may be scaled to, in CSS pixels (11 with a margin)."""
NARROW_PX = 340
"""A drawing that cannot shrink to this width gets a top-to-bottom layout for phones."""

_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def _sized(svg: str) -> tuple[str, int]:
    """The SVG sized in CSS pixels, and the narrowest width that keeps its text readable."""
    match = _SVG_SIZE.search(svg)
    if match is None:
        raise ValueError("Graphviz returned an SVG without a size in points")
    width = float(match[1]) * PX_PER_PT
    height = float(match[2]) * PX_PER_PT
    natural = FONT_SIZE * PX_PER_PT
    narrowest = math.ceil(width * MIN_TEXT_PX / natural)
    style = f"width: 100%; max-width: {width:.0f}px; min-width: {narrowest}px"
    tag = f'<svg width="{width:.0f}" height="{height:.0f}" style="{style}"'
    return svg[: match.start()] + tag + svg[match.end() :], narrowest


def _layouts(root: GraphNode, node: nodes.Element, graph_id: str, **marks: Any) -> dict[str, str]:
    """The drawing in the directive's layout and, if that is too wide for a phone, TB."""
    rankdir = node["rankdir"]
    max_nodes = node["max_nodes"]
    svg, narrowest = _sized(
        draw_dot(root, rankdir=rankdir, max_nodes=max_nodes, graph_id=graph_id, **marks).svg()
    )
    narrow = ""
    if rankdir == "LR" and narrowest > NARROW_PX:
        narrow_dot = draw_dot(
            root, rankdir="TB", max_nodes=max_nodes, graph_id=f"{graph_id}_tb", **marks
        )
        narrow, _ = _sized(narrow_dot.svg())
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
    return StepsFigure(
        frames=tuple(frames),
        description=(
            f"The backward pass over {describe_graph(graph, max_nodes=node['max_nodes'])} "
            f"in {len(frames)} steps."
        ),
    )


_DARK = {
    "background": "#131416",
    "text": "#d8d8d8",
    "frame": "#9a9a9a",
}


def _luminance(color: Any) -> float:
    from matplotlib.colors import to_rgba

    r, g, b, _ = to_rgba(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _blend_white(color: Any, amount: float) -> tuple[float, float, float, float]:
    """``color`` mixed with white, ``amount`` of white: lighter, the same hue."""
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount, a)


def _blend(color: Any, amount: float) -> tuple[float, float, float, float]:
    """``color`` mixed with the dark page background, keeping ``amount`` of it."""
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(color)
    br, bg, bb, _ = to_rgba(_DARK["background"])
    keep = 1 - amount
    return (amount * r + keep * br, amount * g + keep * bg, amount * b + keep * bb, a)


def _darken(figure: Any) -> None:
    """Restyle a figure for a dark page: light text and frames; dark ink turned light."""
    from matplotlib.collections import Collection
    from matplotlib.colors import ListedColormap, to_rgba
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    def lighten(color: Any) -> Any:
        # Dark ink turns light; a dark colour that means something (the site's
        # red for a negative value) keeps its hue, made lighter.
        if isinstance(color, str) and color == "none":
            return color
        if _luminance(color) >= 0.35:
            return color
        r, g, b, _ = to_rgba(color)
        if max(r, g, b) - min(r, g, b) < 0.25:
            return _DARK["text"]
        return _blend_white(color, 0.45)

    def dim(color: Any) -> Any:
        # Pale filled regions would glare on a dark page: blend them into it.
        return _blend(color, 0.35) if _luminance(color) > 0.6 else color

    figure.patch.set_facecolor(_DARK["background"])
    for axes in figure.get_axes():
        axes.set_facecolor(_DARK["background"])
        axes.tick_params(colors=_DARK["frame"], which="both")
        for spine in axes.spines.values():
            spine.set_edgecolor(_DARK["frame"])
        legend = axes.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor("#1f2124")
            legend.get_frame().set_edgecolor(_DARK["frame"])
    for artist in figure.findobj():
        if isinstance(artist, Text):
            artist.set_color(lighten(artist.get_color()))
        elif isinstance(artist, Line2D):
            artist.set_color(lighten(artist.get_color()))
            artist.set_markeredgecolor(lighten(artist.get_markeredgecolor()))
        elif isinstance(artist, Patch) and artist is not figure.patch:
            if to_rgba(artist.get_edgecolor())[3] > 0:
                artist.set_edgecolor(lighten(artist.get_edgecolor()))
            if to_rgba(artist.get_facecolor())[3] > 0:  # a pale shape under light text
                artist.set_facecolor(dim(artist.get_facecolor()))
        elif isinstance(artist, Collection):
            filled = len(artist.get_facecolor()) > 0
            if artist.get_array() is not None:
                # Colours come from a colormap when drawn: restyle the colormap.
                cmap = artist.get_cmap()
                colors = [cmap(i) for i in range(cmap.N)]
                artist.set_cmap(ListedColormap([dim(c) if filled else lighten(c) for c in colors]))
            else:
                if len(artist.get_edgecolor()) == 1:
                    artist.set_edgecolor(lighten(artist.get_edgecolor()[0]))
                if filled:
                    artist.set_facecolor([dim(face) for face in artist.get_facecolor()])
        elif isinstance(artist, AxesImage):
            artist.set_alpha(0.45)


def _save_svg(figure: Any) -> str:
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(
        {"svg.hashsalt": "autograd", "svg.fonttype": "none", "font.family": [FONT, "sans-serif"]}
    ):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None},
            bbox_inches="tight",
            facecolor=figure.get_facecolor(),
        )
    return buffer.getvalue().decode()


def _short(x: float) -> str:
    return f"{x:.4g}"


def _line_story(line: Any, xlabel: str, ylabel: str) -> str:
    """A line's key values: where it starts and ends, and an extreme in between."""
    import numpy as np

    xs = np.asarray(line.get_xdata(), dtype=float)
    ys = np.asarray(line.get_ydata(), dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    if len(xs) < 2 or np.ptp(ys) == 0 or np.ptp(xs) == 0:
        return ""
    label = line.get_label()
    name = label if label and not label.startswith("_") else ylabel
    at = f"at {xlabel} " if xlabel.isalpha() and len(xlabel) > 2 else f"at {xlabel} = "
    text = (
        f"{name} goes from {_short(ys[0])} {at}{_short(xs[0])} "
        f"to {_short(ys[-1])} {at}{_short(xs[-1])}"
    )
    for word, index in (("lowest", int(np.argmin(ys))), ("highest", int(np.argmax(ys)))):
        if ys[index] not in (ys[0], ys[-1]):
            text += f", {word} {_short(ys[index])} {at}{_short(xs[index])}"
    return text


def _plot_alt(figure: Any) -> str:
    """What is plotted: the axes' ranges, each line's key values, the points, a diagram's labels.

    Derived from the figure's data, so it says more than the title and stays
    true when the page's numbers change.
    """
    import numpy as np
    from matplotlib.collections import PathCollection

    parts = []
    for axes in figure.get_axes():
        if not axes.get_visible():
            continue
        title = axes.get_title()
        text = f"{title}: " if title else ""
        if not axes.axison:
            labels = [t.get_text() for t in axes.texts if t.get_text().strip()]
            if labels:
                parts.append(f"{text}a diagram labelled " + ", ".join(labels))
            continue
        xlabel, ylabel = axes.get_xlabel() or "x", axes.get_ylabel() or "y"
        x0, x1 = axes.get_xlim()
        y0, y1 = axes.get_ylim()
        box = axes.dataLim  # the data's extent, without the axes' margins
        if box.width > 0 and box.height > 0:
            x0, x1, y0, y1 = box.x0, box.x1, box.y0, box.y1
        text += f"{xlabel} from {x0:.3g} to {x1:.3g} across, "
        text += f"{ylabel} from {y0:.3g} to {y1:.3g} up"
        # Labelled lines, else the curves (a reference or tangent line has two points).
        lines = [line for line in axes.get_lines() if not line.get_label().startswith("_")]
        lines = lines or [line for line in axes.get_lines() if len(line.get_xdata()) > 2]
        stories = [_line_story(line, xlabel, ylabel) for line in lines]
        if [story for story in stories if story]:
            text += "; " + "; ".join(story for story in stories if story)
        for collection in axes.collections:
            if not isinstance(collection, PathCollection):
                continue
            count = np.asarray(collection.get_offsets()).shape[0]
            colours = {
                tuple(face) for face in np.asarray(collection.get_facecolor()).reshape(-1, 4)
            }
            text += f"; {count} points"
            if len(colours) > 1:
                text += f" in {len(colours)} colours"
        parts.append(text)
    return "Plot. " + ". ".join(parts) + "." if parts else "Plot."


def draw_plot(node: nodes.Element, figure: object) -> PlotFigure:
    """Save a matplotlib figure as SVG, light and dark (reproducibly), with its description."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if hasattr(figure, "get_figure") and not isinstance(figure, Figure):
        figure = figure.get_figure()  # an Axes
    if not isinstance(figure, Figure):
        raise TypeError(
            f"'{node['expression']}' is a {type(figure).__name__}, not a matplotlib Figure"
        )
    description = _plot_alt(figure)
    light = _save_svg(figure)
    _darken(figure)
    dark = _save_svg(figure)
    plt.close(figure)
    return PlotFigure(svg=light, svg_dark=dark, description=description)


FIGURE_NODES: tuple[type[nodes.Element], ...] = (value_graph, backward_steps_figure, live_plot)
"""The node classes that the page runner draws from live objects."""


def draw_figure(node: nodes.Element, target: object, figure_id: str) -> Result:
    """Draw ``target`` as the figure ``node`` asks for; the node itself is left as it is."""
    if isinstance(node, value_graph):
        return draw_graph(node, target, figure_id)
    if isinstance(node, backward_steps_figure):
        return draw_steps(node, target, figure_id)
    if isinstance(node, live_plot):
        return draw_plot(node, target)
    raise TypeError(f"{type(node).__name__} is not a figure node")


# -- HTML --------------------------------------------------------------------


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
    size = _SVG_SIZE.search(node.get("svg", ""))
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
