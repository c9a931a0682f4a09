"""Saving a matplotlib figure, in the page process: SVG in a light and a dark style.

The two files are switched with the site's theme; the description (the alt
text) says what the axes show. Saving is reproducible: the same figure gives
the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

from docutils import nodes

from autograd.drawing import FONT
from autograd.sphinxext.protocol import PlotFigure

__all__ = ["draw_plot"]


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
