"""Drawing a computation graph: `trace` walks it, `draw_dot` turns it into DOT.

Any object with ``data``, ``grad``, ``_prev`` and ``_op`` can be drawn, so a
lesson's own small ``Value`` class is drawn the same way as the engine's.
Nodes are named by the order of the walk, never by ``id()``, so the DOT source
of the same graph is the same in every process. Text is laid out with DejaVu
Sans (shipped in ``autograd/fonts``), the face the site and the PNG renderer
draw it with, so every label fits its box.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from html import escape
from pathlib import Path
from typing import Any, Literal

import graphviz

from autograd import graph
from autograd.graph import GraphNode
from autograd.render import render_svg, sized_svg

__all__ = [
    "FONT",
    "FONT_FILE",
    "FONT_SIZE",
    "EdgeLabelledGraph",
    "ValueGraph",
    "describe_graph",
    "draw_dot",
    "local_derivatives",
    "with_edge_labels",
]

FONT = "DejaVu Sans"
"""The font face of every drawing; Graphviz measures text with it and the site ships it."""

FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
"""A subset of DejaVu Sans (Latin, Greek, arrows, mathematical operators)."""

FONT_SIZE = 11
"""Text size in points, which is 14.7 CSS pixels when a drawing is shown at its natural size."""


def describe_graph(
    root: GraphNode,
    max_nodes: int | None = graph.MAX_NODES,
    *,
    gradients: bool = False,
    edge_labels: bool = False,
) -> str:
    """Say in words how each value of the graph was computed, output first.

    An unlabelled value used more than once gets a name of its own (``t1``,
    ``t2``, ...), so the text stays as short as the graph. With
    ``gradients=True`` a sentence gives each named value's gradient, and with
    ``edge_labels=True`` a last one each edge's local derivative (as
    ``draw_dot(..., edge_labels=True)`` labels them). A `with_edge_labels`
    view is described with its local derivatives, and a `network_diagram`
    by `describe_network`.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = Value(10.0, label="c")
    >>> d = a * b + c; d.label = "d"
    >>> describe_graph(d)
    'd = a * b + c, where a = 2, b = -3, c = 10; d = 4.'
    >>> d.backward()
    >>> describe_graph(d, gradients=True)
    'd = a * b + c, where a = 2, b = -3, c = 10; d = 4. Gradients: d 1, a -3, b 2, c 1.'
    """
    own = getattr(root, "describe", None)
    if callable(own):  # a view that says itself what it shows (a network_diagram)
        return str(own())
    if isinstance(root, EdgeLabelledGraph):
        root, edge_labels = root.root, True
    walk = graph.walk(root, max_nodes)
    uses: dict[int, int] = {}
    for child, _ in walk.edges:
        uses[id(child)] = uses.get(id(child), 0) + 1
    taken = {graph.label(n) for n in walk.nodes}
    names: dict[int, str] = {}
    counter = 0
    for node in walk.nodes:
        if graph.label(node):
            names[id(node)] = graph.label(node)
        elif node is root:
            names[id(node)] = "output" if "output" not in taken else "the output"
        elif walk.children[id(node)] and uses.get(id(node), 0) > 1 and not graph.is_constant(node):
            counter += 1
            while f"t{counter}" in taken:
                counter += 1
            names[id(node)] = f"t{counter}"

    inner: dict[int, graph.Formula] = {}  # each value as it appears inside another's formula

    def formula(node: GraphNode) -> graph.Formula:
        parts = [inner[id(child)] for child in walk.children[id(node)]]
        return graph.formula(node._op, parts, spaced=True)

    for node in walk.children_first():
        if id(node) in names:
            inner[id(node)] = graph.Formula(names[id(node)])
        elif not walk.children[id(node)] or graph.is_constant(node):
            inner[id(node)] = graph.numeral(node.data)
        else:
            inner[id(node)] = formula(node)
    defined = [n for n in walk.nodes if walk.children[id(n)] and id(n) in names]
    sentences = [f"{names[id(n)]} = {formula(n).text}" for n in defined]
    leaves = [
        n
        for n in walk.nodes
        if not walk.children[id(n)] and graph.label(n) and not graph.is_constant(n)
    ]
    text = "; ".join(sentences) if sentences else inner[id(root)].text
    if leaves:
        values = ", ".join(f"{graph.label(n)} = {graph.number(n.data)}" for n in leaves)
        text += f", where {values}"
    text = f"{text}; {inner[id(root)].text} = {graph.number(root.data)}."
    if gradients:
        graded = [n for n in walk.nodes if id(n) in names and not graph.is_constant(n)]
        text += " Gradients: " + ", ".join(f"{names[id(n)]} {graph.number(n.grad)}" for n in graded)
        text += "."
    if edge_labels:
        short = graph.names(walk)
        rates = []
        for node in walk.nodes:
            children = walk.children[id(node)]
            parent = names.get(id(node), short[id(node)])
            for child, rate in zip(children, _local_derivatives(node, children), strict=True):
                if rate is not None:
                    child_name = names.get(id(child), short[id(child)])
                    rates.append(f"{_partial(parent, child_name)} = {graph.number(rate)}")
        if rates:
            text += " Local derivatives: " + ", ".join(rates) + "."
    return text


_FORMATS: tuple[str, ...] = ("svg", "png", "dot", "gv")


class ValueGraph(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` that renders and saves itself without a system Graphviz.

    Notebooks show it inline as SVG; `svg()` returns the same drawing as text,
    and ``render("graph", format="png")`` writes ``graph.png`` (SVG, PNG, or
    the DOT source with ``format="dot"``).

    >>> from autograd import Value
    >>> draw_dot(Value(1.0, label="x")).svg().startswith("<svg")
    True
    """

    titles: dict[str, str]
    """The tooltip of each drawn element by element id (a value's name, data and grad)."""

    def svg(self) -> str:
        """The drawing as SVG text, rendered by `autograd.render.render_svg`."""
        return _retitle(render_svg(self.source), getattr(self, "titles", {}))

    def sized_svg(self) -> tuple[str, int]:
        """The SVG sized in CSS pixels for a page, and the narrowest width its text allows.

        The sizing is `autograd.render.sized_svg`, for this module's `FONT_SIZE`.

        >>> from autograd import Value
        >>> svg, narrowest = draw_dot(Value(1.0, label="x")).sized_svg()
        >>> svg.startswith('<svg width="'), narrowest > 0
        (True, True)
        """
        return sized_svg(self.svg(), FONT_SIZE)

    def pipe(self, format: str | None = None, *, encoding: str | None = None) -> bytes | str:
        """The drawing as bytes in ``format`` (``svg``, ``png`` or ``dot``); text with ``encoding``.

        >>> from autograd import Value
        >>> draw_dot(Value(1.0)).pipe("png")[:4]
        b'\\x89PNG'
        """
        data = self._output(format or self.format)
        return data.decode(encoding) if encoding else data

    def render(
        self,
        filename: str | Path | None = None,
        directory: str | Path | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        *,
        outfile: str | Path | None = None,
    ) -> str:
        """Write the drawing to ``filename.format`` (or ``outfile``) and return its path.

        Only the drawing is written, never a separate DOT file, so ``cleanup``
        has nothing to remove. With ``view=True`` the file opens in the
        system's viewer.

        >>> import tempfile, pathlib
        >>> from autograd import Value
        >>> folder = tempfile.mkdtemp()
        >>> path = draw_dot(Value(1.0, label="x")).render("graph", folder, format="svg")
        >>> pathlib.Path(path).name, pathlib.Path(path).read_text()[:4]
        ('graph.svg', '<svg')
        """
        del cleanup  # accepted for graphviz.Digraph's signature; there is no DOT file
        if outfile is not None:
            path = Path(outfile)
            chosen = format or path.suffix.lstrip(".") or self.format
        else:
            chosen = format or self.format
            path = Path(f"{filename or self.name}.{chosen}")
        if directory is not None:
            path = Path(directory) / path
        data = self._output(chosen)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if view:
            # Imported here: it is slow to import, and only view=True needs it.
            import webbrowser

            webbrowser.open(path.resolve().as_uri())
        return str(path)

    def view(
        self,
        filename: str | Path | None = None,
        directory: str | Path | None = None,
        cleanup: bool = False,
    ) -> str:
        """Save the drawing as SVG and open it in the system's viewer."""
        return self.render(filename, directory, view=True, cleanup=cleanup, format="svg")

    def _output(self, format: str) -> bytes:
        if format == "svg":
            return self.svg().encode()
        if format == "png":
            return _rasterize(self.svg())
        if format in ("dot", "gv"):
            return str(self.source).encode()
        raise ValueError(
            f"cannot save a graph as {format!r}: the formats are " + ", ".join(_FORMATS)
        )

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        return {"image/svg+xml": self.svg()}


def _rasterize(svg: str) -> bytes:
    """PNG bytes of an SVG drawing, at twice its size, on white, with the drawing's font."""
    import resvg_py

    return bytes(
        resvg_py.svg_to_bytes(
            svg_string=svg,
            background="#ffffff",
            zoom=2.0,
            dpi=96.0,
            skip_system_fonts=True,
            font_files=[str(FONT_FILE)],
            font_family=FONT,
            sans_serif_family=FONT,
        )
    )


_TITLED = re.compile(r'(<g id="([^"]+)" class="[^"]*"[^>]*>\s*<title>)(.*?)(</title>)', re.DOTALL)


def _retitle(svg: str, titles: dict[str, str]) -> str:
    """Replace Graphviz's ``<title>n0</title>`` tooltips with the ones in ``titles``."""

    def replace(match: re.Match[str]) -> str:
        title = titles.get(match[2])
        return match[0] if title is None else f"{match[1]}{escape(title, quote=False)}{match[4]}"

    return _TITLED.sub(replace, svg)


def draw_dot(
    root: GraphNode,
    format: str = "svg",
    rankdir: Literal["LR", "TB"] = "LR",
    *,
    max_nodes: int = graph.MAX_NODES,
    graph_id: str = "graph",
    active: GraphNode | None = None,
    written: Collection[GraphNode] = (),
    edge_labels: bool = False,
) -> ValueGraph:
    """Draw ``root``'s graph: a record per value, a small node per operation.

    Each value shows its name, ``data`` and ``grad`` to four decimals; an
    unlabelled value is named by its formula (``a*b``), and an unlabelled
    leaf shows only its ``data`` and ``grad``. A plain number of the
    expression (a node whose ``_is_constant`` is true) is a small box with its
    value and no gradient. Leaves, the output and the operations have shapes
    of their own, and a gradient's colour and weight show its sign and size.
    ``active`` marks the node whose backward rule runs and ``written`` the
    nodes whose gradients it just changed. ``graph_id`` prefixes every element
    id of the SVG, so several drawings can share one HTML page.

    With ``edge_labels=True`` every edge from a child to its operation is
    labelled with the local derivative of the parent with respect to that
    child at the current values (see `local_derivatives`): the factor the
    chain rule multiplies by along that edge. `with_edge_labels` and
    `network_diagram` wrap a graph or a network so that a plain
    ``draw_dot(view)`` draws it that way.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> dot = draw_dot(e)
    >>> 'label="e | data -6.0000 | grad 0.0000"' in dot.source
    True
    >>> [line.split()[0] for line in dot.source.splitlines() if "label=" in line]
    ['n0', 'n0op', 'n1', 'n2']
    >>> draw_dot(a * b).titles["graph_n0"]
    'a*b: data -6.0000, grad 0.0000'
    >>> labelled = draw_dot(e, edge_labels=True)
    >>> [line.strip() for line in labelled.source.splitlines() if "-> n0op" in line]
    ['n1 -> n0op [label=-3 id=graph_c0]', 'n2 -> n0op [label=2 id=graph_c1]']
    """
    own = getattr(root, "draw", None)
    if callable(own):  # a view that draws itself (a network_diagram)
        drawn: ValueGraph = own(format, rankdir, max_nodes=max_nodes, graph_id=graph_id)
        return drawn
    if isinstance(root, EdgeLabelledGraph):
        root, edge_labels = root.root, True
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    walk = graph.walk(root, max_nodes)
    names = graph.names(walk)
    index_of = {id(node): index for index, node in enumerate(walk.nodes)}
    largest = max((abs(n.grad) for n in walk.nodes if not graph.is_constant(n)), default=0.0) or 1.0
    written_ids = {id(node) for node in written}
    font = {"fontname": FONT, "fontsize": str(FONT_SIZE)}
    dot = ValueGraph(
        name=graph_id,
        format=format,
        graph_attr={"rankdir": rankdir, "id": graph_id, "bgcolor": "transparent", **font},
        node_attr=font,
        edge_attr={"color": "#6b6b6b", "arrowsize": "0.7", **font},
    )
    root_name = names[id(root)]
    dot.titles = {graph_id: f"Computation graph of {root_name}"}
    # Fields stack vertically in both layouts: the braces turn a TB record on its side.
    record = "{{ {} }}" if rankdir == "TB" else "{}"
    for index, node in enumerate(walk.nodes):
        name = names[id(node)]
        node_id = f"{graph_id}_n{index}"
        if graph.is_constant(node):
            dot.node(
                f"n{index}", label=_escape(name), id=node_id, **{"class": "constant"}, **_CONSTANT
            )
            dot.titles[node_id] = f"the constant {name}"
            continue
        children = walk.children[id(node)]
        kind = "output" if node is root else "interior" if children else "leaf"
        state = " active" if node is active else " written" if id(node) in written_ids else ""
        fields = f"data {node.data:.4f} | grad {node.grad:.4f}"
        if kind != "leaf" or graph.label(node):  # an unlabelled leaf's name is its data again
            fields = f"{_escape(name)} | {fields}"
        dot.node(
            f"n{index}",
            label=record.format(fields),
            shape="record",
            id=node_id,
            **{"class": f"value {kind}{state}"},
            **_value_style(kind, node.grad, largest, state.strip()),
        )
        dot.titles[node_id] = f"{name}: data {node.data:.4f}, grad {node.grad:.4f}"
        if children:
            op = _operation_label(node._op, len(children))
            active_op = node is active
            dot.node(
                f"n{index}op",
                label=_escape(op),
                shape="circle" if len(op) <= 2 else "ellipse",
                id=f"{node_id}_op",
                **{"class": "operation active" if active_op else "operation"},
                **(
                    _OPERATION_STYLE
                    | ({"fillcolor": _ACTIVE_FILL, "color": _ACTIVE} if active_op else {})
                ),
            )
            dot.titles[f"{node_id}_op"] = f"{op}: makes {name}"
            dot.edge(f"n{index}op", f"n{index}", id=f"{graph_id}_e{index}")
            dot.titles[f"{graph_id}_e{index}"] = f"{op} → {name}"
    rates: dict[int, list[float | None]] = {}
    if edge_labels:
        rates = {
            id(node): _local_derivatives(node, walk.children[id(node)])
            for node in walk.nodes
            if walk.children[id(node)]
        }
    positions: dict[int, int] = {}  # the operand position of each parent's next edge
    for number, (child, parent) in enumerate(walk.edges):
        edge_id = f"{graph_id}_c{number}"
        attributes: dict[str, str] = {"id": edge_id}
        position = positions.get(id(parent), 0)
        positions[id(parent)] = position + 1
        if parent is active:
            attributes.update({"color": _ACTIVE, "penwidth": "2", "class": "active"})
        labels: list[str] = []
        if parent._op == "dot":
            pairs = len(walk.children[id(parent)]) // 2
            labels.append("b" if position >= 2 * pairs else str(position // 2 + 1))
        title = f"{names[id(child)]} → {names[id(parent)]}"
        rate = rates[id(parent)][position] if edge_labels else None
        if rate is not None:
            labels.append(graph.number(rate))
            title += f": {_partial(names[id(parent)], names[id(child)])} = {graph.number(rate)}"
        if labels:
            attributes["label"] = _escape_label(": ".join(labels))
        dot.edge(f"n{index_of[id(child)]}", f"n{index_of[id(parent)]}op", **attributes)
        dot.titles[edge_id] = title
    return dot


def _operation_label(op: str, count: int) -> str:
    if op == "sum":
        return "+"
    if op == "dot":
        return "Σ w·x + b" if count % 2 else "Σ w·x"
    return op or "?"


_OPERATION_STYLE = {
    "style": "filled",
    "fillcolor": "#e8e8e8",
    "color": "#6b6b6b",
    "margin": "0.02",
    "width": "0.3",
    "height": "0.3",
}
_CONSTANT = {
    "shape": "box",
    "style": "rounded",
    "color": "#8a8a8a",
    "margin": "0.06,0.02",
    "width": "0.3",
    "height": "0.25",
}
_FILL = {"leaf": "#e3eefa", "interior": "#ffffff", "output": "#f3f0e6"}
_ACTIVE = "#c77c00"
_ACTIVE_FILL = "#ffe7a3"
_WRITTEN_FILL = "#d5f0d8"


def _value_style(kind: str, grad: float, largest: float, state: str) -> dict[str, str]:
    """Border colour by the gradient's sign, border width by its size; fill by role."""
    if grad > 0:
        color = "#1f6fb5"
    elif grad < 0:
        color = "#c0392b"
    else:
        color = "#4a4a4a"
    weight = 1.0 + 2.5 * abs(grad) / largest
    style = "filled,bold" if kind == "output" else "filled"
    fill = _FILL[kind]
    if state == "active":
        color, weight, fill = _ACTIVE, 3.5, _ACTIVE_FILL
    elif state == "written":
        fill = _WRITTEN_FILL
    return {"color": color, "penwidth": f"{weight:.1f}", "style": style, "fillcolor": fill}


def _escape(text: str) -> str:
    """Escape the characters that a record label treats as structure."""
    for special in '\\{}|<>"':
        text = text.replace(special, "\\" + special)
    return text


def _escape_label(text: str) -> str:
    """Escape the characters that a plain Graphviz label treats as structure."""
    return text.replace("\\", "\\\\")


def _partial(parent: str, child: str) -> str:
    """``∂e/∂a``, with parentheses around a name that is a formula: ``∂(a*b)/∂a``."""

    def wrap(name: str) -> str:
        return name if re.fullmatch(r"[\w.]+", name) else f"({name})"

    return f"∂{wrap(parent)}/∂{wrap(child)}"


# -- local derivatives: the factor of each edge in the chain rule -------------


def local_derivatives(node: GraphNode) -> list[float | None]:
    """The local derivative of ``node`` with respect to each child, in operand order.

    Each number is ∂node/∂child at the children's current values: 1 for
    each operand of ``+``, the other factor for ``*``, ``1 - tanh**2`` for
    ``tanh``. They come from the node's own backward rule, run once on the
    side with the node's gradient set to 1, so they are exactly the factors
    that ``backward()`` multiplies by. No gradient of the graph changes.

    An engine node's rule runs on stand-ins for its children, so a child
    used twice (``a * a``) gets one number per use. A node of another class
    (a lesson's own ``Value``) runs its own ``_backward`` on the real
    children and puts their gradients back afterwards; a child used twice
    there gets None, since only the total of its uses is seen, as does every
    child of a node that has no backward rule. A leaf has no children, so
    its list is empty.

    >>> from autograd import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> local_derivatives(a * b), local_derivatives(a + b), local_derivatives(a * a)
    ([-3.0, 2.0], [1.0, 1.0], [2.0, 2.0])
    >>> local_derivatives((a * 0.0).tanh())
    [1.0]
    >>> a.grad, b.grad
    (0.0, 0.0)
    """
    return _local_derivatives(node, graph.children(node))


def _local_derivatives(node: GraphNode, children: list[GraphNode]) -> list[float | None]:
    if not children:
        return []
    # Imported here: drawing draws any class of node and needs the engine only for its own.
    from autograd.engine import Value, _Unregistered

    own_rule = isinstance(node, Value) and "_backward" not in getattr(node, "__dict__", {})
    if own_rule:
        if isinstance(node, _Unregistered):
            return [None] * len(children)
        stand_ins = [Value(child.data) for child in children]
        copy = Value(node.data, stand_ins, node._op)
        copy.grad = 1.0
        copy._backward()
        return [stand_in.grad for stand_in in stand_ins]
    rule = getattr(node, "_backward", None)
    if not callable(rule):
        return [None] * len(children)
    distinct = list({id(child): child for child in children}.values())
    saved = [(each, each.grad) for each in (node, *distinct)]
    try:
        for child in distinct:
            child.grad = 0.0
        node.grad = 1.0
        rule()
        totals = {id(child): float(child.grad) for child in distinct}
    finally:
        for each, grad in saved:
            each.grad = grad
    uses = [id(child) for child in children]
    return [totals[key] if uses.count(key) == 1 else None for key in uses]


class EdgeLabelledGraph:
    """``root``'s graph, which `draw_dot` draws with each edge's local derivative.

    It stands for ``root``: its ``data``, ``grad``, ``_op``, ``_prev`` and
    ``label`` are the root's, so it is a `GraphNode` and goes wherever a
    node to draw is expected (the ``value-graph`` directive, for one). Make
    one with `with_edge_labels`.
    """

    def __init__(self, root: GraphNode) -> None:
        self.root = graph.require_node(root, "what with_edge_labels labels")

    @property
    def data(self) -> float:
        """The root's value."""
        return self.root.data

    @data.setter
    def data(self, value: float) -> None:
        self.root.data = value

    @property
    def grad(self) -> float:
        """The root's gradient."""
        return self.root.grad

    @grad.setter
    def grad(self, value: float) -> None:
        self.root.grad = value

    @property
    def _op(self) -> str:
        return self.root._op

    @property
    def _prev(self) -> Iterable[Any]:
        return self.root._prev

    @property
    def label(self) -> str:
        """The root's label."""
        return graph.label(self.root)

    def __repr__(self) -> str:
        return f"with_edge_labels({self.root!r})"


def with_edge_labels(root: GraphNode) -> EdgeLabelledGraph:
    """``root``'s graph, drawn by `draw_dot` with the local derivative on every edge.

    ``draw_dot(with_edge_labels(L))`` is ``draw_dot(L, edge_labels=True)``, in a
    form that can be passed where only a node is taken, such as the
    ``value-graph`` directive of the lessons; `describe_graph` lists the
    local derivatives too.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> draw_dot(with_edge_labels(e)).source == draw_dot(e, edge_labels=True).source
    True
    >>> describe_graph(with_edge_labels(e))
    'e = a * b, where a = 2, b = -3; e = -6. Local derivatives: ∂e/∂a = -3, ∂e/∂b = 2.'
    """
    return EdgeLabelledGraph(root)
