"""A computation graph as data: walking it, naming its values, writing its numbers.

Any object with ``data``, ``grad``, ``_prev`` and ``_op`` is a node
(`GraphNode`), so a lesson's own small ``Value`` class is walked like the
engine's. `walk` visits a graph once, root first, children in operand order,
so every process sees the same order; `names` gives each value the short
name drawings, captions and descriptions use; `number` writes a value as
they all show it. Drawing (`autograd.drawing`), stepping through a backward
pass (`autograd.steps`) and describing build on these. The engine keeps its
own faster walks (`autograd.engine.topological_order`) for back-propagation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "MAX_NODES",
    "NAME_LIMIT",
    "PRECEDENCE",
    "GraphNode",
    "GraphTooLargeError",
    "Walk",
    "children",
    "is_constant",
    "label",
    "names",
    "number",
    "require_node",
    "trace",
    "walk",
]

MAX_NODES = 1000
"""The most values `draw_dot` draws before it refuses: a larger graph is unreadable."""

NAME_LIMIT = 24
"""The longest expression shown as the name of an unlabelled value; longer ones are elided."""


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

    >>> from autograd import Value, draw_dot
    >>> v = Value(0.0)
    >>> for _ in range(10):
    ...     v = v + 1.0
    >>> draw_dot(v, max_nodes=5)
    Traceback (most recent call last):
    ...
    autograd.graph.GraphTooLargeError: the graph has more than 5 values, ...
    """


def children(node: GraphNode) -> list[GraphNode]:
    """The node's children, in operand order (a set of them, sorted by content)."""
    found = node._prev
    if isinstance(found, set | frozenset):
        # A set's order changes from process to process; sort it by content.
        return sorted(found, key=lambda c: (label(c), c.data, c._op))
    return list(found)


def label(node: GraphNode) -> str:
    """The node's label, as text ("" if it has none)."""
    text = getattr(node, "label", "")
    return text if isinstance(text, str) else str(text)


def require_node(node: object, what: str) -> GraphNode:
    """``node``, if it is a `GraphNode`; else a `TypeError` that says what ``what`` needs.

    >>> require_node(3.0, "'x'")
    Traceback (most recent call last):
    ...
    TypeError: 'x' is a float, not a graph node (it needs data, grad, _prev and _op)
    """
    if not isinstance(node, GraphNode):
        raise TypeError(
            f"{what} is a {type(node).__name__}, not a graph node "
            "(it needs data, grad, _prev and _op)"
        )
    return node


def is_constant(node: object) -> bool:
    """A plain number of the expression: drawn small, without a gradient."""
    return getattr(node, "_is_constant", False) is True


@dataclass
class Walk:
    """One walk of a graph: nodes root first, edges, and each node's children."""

    nodes: list[GraphNode]
    edges: list[tuple[GraphNode, GraphNode]]
    children: dict[int, list[GraphNode]]

    def children_first(self) -> list[GraphNode]:
        """The nodes in an order where every node comes after its children."""
        order: list[GraphNode] = []
        done: set[int] = set()
        stack: list[tuple[GraphNode, bool]] = [(self.nodes[0], False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in done:
                continue
            done.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(self.children[id(node)]))
        return order


def walk(root: GraphNode, max_nodes: int | None) -> Walk:
    """Walk ``root``'s graph once, depth first, children in operand order.

    With ``max_nodes``, a graph that has more nodes raises `GraphTooLargeError`
    as soon as the walk finds one too many.
    """
    require_node(root, "the root of a graph")
    found = Walk([], [], {})
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in found.children:
            continue
        below = children(node)
        found.children[id(node)] = below
        found.nodes.append(node)
        if max_nodes is not None and len(found.nodes) > max_nodes:
            raise GraphTooLargeError(
                f"the graph has more than {max_nodes} values, too many to draw "
                "legibly; draw a smaller part of it, or pass a larger max_nodes"
            )
        found.edges.extend((child, node) for child in below)
        stack.extend(reversed(below))
    return found


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
    found = walk(root, max_nodes)
    return found.nodes, found.edges


# -- names: what a value is called in a drawing, a caption or a description --

_ATOM = 9  # a label, a number or a function call: never needs parentheses
PRECEDENCE = {"+": 1, "-": 1, "sum": 1, "dot": 1, "*": 2, "/": 2}
"""How tightly each infix operation binds, for the parentheses of a formula."""


def _compact(op: str, parts: list[tuple[str, int]]) -> tuple[str, int]:
    """``a*b``, ``x1*w1 + x2*w2``, ``tanh(n)``: an operation as a short formula."""

    def wrap(part: tuple[str, int], needed: int) -> str:
        return part[0] if part[1] >= needed else f"({part[0]})"

    if op == "sum":
        return " + ".join(wrap(p, 1) for p in parts), 1
    if op == "dot":
        pairs = [
            f"{wrap(w, 2)}*{wrap(x, 3)}" for w, x in zip(parts[0::2], parts[1::2], strict=False)
        ]
        bias = [wrap(parts[-1], 1)] if len(parts) % 2 else []
        return " + ".join(pairs + bias), 1
    if len(parts) == 2 and op in ("+", "-"):
        return f"{wrap(parts[0], 1)} {op} {wrap(parts[1], 2 if op == '-' else 1)}", 1
    if len(parts) == 2 and op in ("*", "/"):
        return f"{wrap(parts[0], 2)}{op}{wrap(parts[1], 3 if op == '/' else 2)}", 2
    if len(parts) == 1 and op.startswith("**"):
        return f"{wrap(parts[0], 4)}{op}", 3
    if len(parts) == 1 and op == "neg":
        return f"-{wrap(parts[0], 3)}", 3
    return f"{op or '?'}({', '.join(p[0] for p in parts)})", _ATOM


def _elided(op: str, count: int) -> str:
    if op == "dot":  # the operation's own formula; its edges number the pairs
        return "w·x + b" if count % 2 else "w·x"
    if op == "sum":
        return f"sum of {count}"
    if count == 2 and op in PRECEDENCE:
        return f"… {op} …"
    return f"{op or '?'}(…)"


def names(graph: Walk) -> dict[int, str]:
    """Each node's name: its label, its number, or a short formula of its children.

    Each formula is built once from its children's names and cut at
    `NAME_LIMIT` characters, so naming is linear in the size of the graph.
    """
    named: dict[int, tuple[str, int]] = {}
    for node in graph.children_first():
        below = graph.children[id(node)]
        if label(node):
            name = (label(node), _ATOM)
        elif is_constant(node) or not below:
            name = (number(node.data), _ATOM)
        else:
            name = _compact(node._op, [named[id(child)] for child in below])
            if len(name[0]) > NAME_LIMIT:
                name = (_elided(node._op, len(below)), name[1])
        named[id(node)] = name
    return {key: text for key, (text, _) in named.items()}


def number(x: float) -> str:
    """A number as the descriptions show it: four decimals, or significant digits if tiny."""
    if x != 0 and abs(x) < 5e-5:
        return f"{x:.4g}"
    text = f"{x:.4f}".rstrip("0").rstrip(".") or "0"
    return "0" if text == "-0" else text
