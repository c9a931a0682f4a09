"""Drawing a computation graph: `trace` walks it, `draw_dot` turns it into DOT.

Any object with ``data``, ``grad``, ``_prev`` and ``_op`` can be drawn, so a
lesson's own small ``Value`` class is drawn the same way as the engine's.
Nodes are named by the order of the walk, never by ``id()``, so the DOT source
of the same graph is the same in every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Protocol, runtime_checkable

import graphviz

from autograd.render import render_svg

__all__ = [
    "GraphNode",
    "GraphTooLargeError",
    "ValueGraph",
    "describe_graph",
    "draw_dot",
    "trace",
]

MAX_NODES = 1000
"""The most values `draw_dot` draws before it refuses: a larger graph is unreadable."""


@runtime_checkable
class GraphNode(Protocol):
    """What `trace` and `draw_dot` need of a node: any class with these fields.

    >>> from autograd import Value
    >>> isinstance(Value(1.0), GraphNode), isinstance(1.0, GraphNode)
    (True, False)
    """

    data: float
    grad: float
    _op: str

    @property
    def _prev(self) -> Iterable[Any]: ...


class GraphTooLargeError(ValueError):
    """Raised when a graph has more values than can be drawn legibly.

    >>> from autograd import Value
    >>> v = Value(0.0)
    >>> for _ in range(10):
    ...     v = v + 1.0
    >>> draw_dot(v, max_nodes=5)
    Traceback (most recent call last):
    ...
    autograd.drawing.GraphTooLargeError: the graph has more than 5 values, ...
    """


def _children(node: GraphNode) -> list[GraphNode]:
    children = node._prev
    if isinstance(children, set | frozenset):
        # A set's order changes from process to process; sort it by content.
        return sorted(children, key=lambda c: (_label(c), c.data, c._op))
    return list(children)


def _label(node: GraphNode) -> str:
    label = getattr(node, "label", "")
    return label if isinstance(label, str) else str(label)


def trace(
    root: GraphNode, max_nodes: int | None = None
) -> tuple[list[GraphNode], list[tuple[GraphNode, GraphNode]]]:
    """The nodes of ``root``'s graph and its edges ``(child, parent)``.

    Nodes come in the order of a depth-first walk from ``root`` that visits
    children in operand order, so the result is the same in every run. With
    ``max_nodes``, a graph that has more nodes raises `GraphTooLargeError` as
    soon as the walk finds one too many.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> nodes, edges = trace(e)
    >>> [n.label for n in nodes]
    ['e', 'a', 'b']
    >>> [(child.label, parent.label) for child, parent in edges]
    [('a', 'e'), ('b', 'e')]
    """
    if not isinstance(root, GraphNode):
        raise TypeError(
            f"trace needs a graph node with data, grad, _prev and _op, got {type(root).__name__}"
        )
    nodes: list[GraphNode] = []
    edges: list[tuple[GraphNode, GraphNode]] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        if max_nodes is not None and len(nodes) > max_nodes:
            raise GraphTooLargeError(
                f"the graph has more than {max_nodes} values, too many to draw "
                "legibly; draw a smaller part of it, or pass a larger max_nodes"
            )
        children = _children(node)
        edges.extend((child, node) for child in children)
        stack.extend(reversed(children))
    return nodes, edges


def describe_graph(root: GraphNode, max_nodes: int | None = MAX_NODES) -> str:
    """Say in words how each value of the graph was computed, output first.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = Value(10.0, label="c")
    >>> d = a * b + c; d.label = "d"
    >>> describe_graph(d)
    'd = (a * b) + c, where a = 2, b = -3, c = 10; d = 4.'
    """
    nodes, _ = trace(root, max_nodes)

    def name(node: GraphNode) -> str:
        if _label(node):
            return _label(node)
        return "output" if node is root else _number(node.data)

    def expression(node: GraphNode, top: bool) -> str:
        children = _children(node)
        if not children or (_label(node) and not top):
            return name(node)
        parts = [expression(child, False) for child in children]
        if node._op in ("sum", "dot"):  # w1*x1 + w2*x2 + b, a + b + c
            pairs = len(parts) // 2 if node._op == "dot" else 0
            terms = [f"{parts[2 * i]}*{parts[2 * i + 1]}" for i in range(pairs)]
            text = " + ".join(terms + parts[2 * pairs :])
            return text if top else f"({text})"
        if len(parts) > 2:
            return f"{node._op}({', '.join(parts)})"
        if len(parts) == 2:
            text = f"{parts[0]} {node._op} {parts[1]}"
            return text if top else f"({text})"
        if node._op.startswith("**"):
            return f"{parts[0]}{node._op}"
        inner = parts[0]
        if inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1]  # tanh(x * 3), not tanh((x * 3))
        return f"{node._op}({inner})"

    named_interior = [n for n in nodes if _children(n) and (_label(n) or n is root)]
    sentences = [f"{name(n)} = {expression(n, True)}" for n in named_interior]
    leaves = [n for n in nodes if not _children(n) and _label(n)]
    text = "; ".join(sentences) if sentences else name(root)
    if leaves:
        values = ", ".join(f"{_label(n)} = {_number(n.data)}" for n in leaves)
        text += f", where {values}"
    return f"{text}; {name(root)} = {_number(root.data)}."


def _number(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".") or "0"


class ValueGraph(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` that renders itself without a system Graphviz.

    Notebooks show it inline as SVG; `svg()` returns the same drawing as text.

    >>> from autograd import Value
    >>> draw_dot(Value(1.0, label="x")).svg().startswith("<svg")
    True
    """

    def svg(self) -> str:
        """The drawing as SVG text, rendered by `autograd.render.render_svg`."""
        return render_svg(self.source)

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        return {"image/svg+xml": self.svg()}


def draw_dot(
    root: GraphNode,
    format: str = "svg",
    rankdir: Literal["LR", "TB"] = "LR",
    *,
    max_nodes: int = MAX_NODES,
    graph_id: str = "graph",
) -> ValueGraph:
    """Draw ``root``'s graph: a record per value, a small node per operation.

    Each value shows ``label | data | grad`` to four decimals. Leaves, the
    output and the operations have shapes of their own, and a gradient's
    colour and weight show its sign and size. ``graph_id`` prefixes every
    element id of the SVG, so several drawings can share one HTML page.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> dot = draw_dot(e)
    >>> 'label="{ e | data -6.0000 | grad 0.0000 }"' in dot.source
    True
    >>> [line.split()[0] for line in dot.source.splitlines() if "label=" in line]
    ['n0', 'n0op', 'n1', 'n2']
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    nodes, edges = trace(root, max_nodes)
    index_of = {id(node): index for index, node in enumerate(nodes)}
    largest = max((abs(n.grad) for n in nodes), default=0.0) or 1.0
    dot = ValueGraph(
        name=graph_id,
        format=format,
        graph_attr={
            "rankdir": rankdir,
            "id": graph_id,
            "bgcolor": "transparent",
            "fontname": "Helvetica",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "12"},
        edge_attr={"color": "#6b6b6b", "arrowsize": "0.7"},
    )
    for index, node in enumerate(nodes):
        children = _children(node)
        kind = "output" if node is root else "interior" if children else "leaf"
        label = _escape(_label(node))
        dot.node(
            f"n{index}",
            label=f"{{ {label} | data {node.data:.4f} | grad {node.grad:.4f} }}",
            shape="record",
            id=f"{graph_id}_n{index}",
            **{"class": f"value {kind}"},
            **_value_style(kind, node.grad, largest),
        )
        if children:
            dot.node(
                f"n{index}op",
                label=_escape(node._op) or "?",
                shape="circle" if len(node._op) <= 2 else "ellipse",
                id=f"{graph_id}_n{index}_op",
                **{"class": "operation"},
                **_OPERATION_STYLE,
            )
            dot.edge(f"n{index}op", f"n{index}", id=f"{graph_id}_e{index}")
    for number, (child, parent) in enumerate(edges):
        dot.edge(
            f"n{index_of[id(child)]}",
            f"n{index_of[id(parent)]}op",
            id=f"{graph_id}_c{number}",
        )
    return dot


_OPERATION_STYLE = {
    "style": "filled",
    "fillcolor": "#e8e8e8",
    "color": "#6b6b6b",
    "margin": "0.02",
    "width": "0.3",
    "height": "0.3",
}
_FILL = {"leaf": "#e3eefa", "interior": "#ffffff", "output": "#f3f0e6"}


def _value_style(kind: str, grad: float, largest: float) -> dict[str, str]:
    """Border colour by the gradient's sign, border width by its size."""
    if grad > 0:
        color = "#1f6fb5"
    elif grad < 0:
        color = "#c0392b"
    else:
        color = "#4a4a4a"
    weight = 1.0 + 2.5 * abs(grad) / largest
    style = "filled,bold" if kind == "output" else "filled"
    return {
        "color": color,
        "penwidth": f"{weight:.1f}",
        "style": style,
        "fillcolor": _FILL[kind],
    }


def _escape(text: str) -> str:
    """Escape the characters that a record label treats as structure."""
    for special in '\\{}|<>"':
        text = text.replace(special, "\\" + special)
    return text
