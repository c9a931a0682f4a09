"""A computation graph as data: walking it, naming its values, writing its numbers.

Any object with ``data``, ``grad``, ``_prev`` and ``_op`` is a node
(`GraphNode`), so a lesson's own small ``Value`` class is walked like the
engine's. `walk` visits a graph once, root first, children in operand order,
so every process sees the same order; `formula` writes an operation on its
children's names, the one way drawings, captions and descriptions all write
it; `names` gives each value the short name a drawing shows; `number`
writes a value as they all show it. Drawing (`autograd.drawing`), stepping
through a backward pass (`autograd.steps`) and describing build on these.
The engine keeps its own faster walks (`autograd.engine.topological_order`)
for back-propagation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = [
    "MAX_NODES",
    "NAME_LIMIT",
    "PRECEDENCE",
    "Formula",
    "GraphNode",
    "GraphTooLargeError",
    "Walk",
    "children",
    "formula",
    "is_constant",
    "label",
    "names",
    "number",
    "numeral",
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


# -- formulas: what a value is called in a drawing, a caption or a description --

PRECEDENCE = {"+": 1, "-": 1, "sum": 1, "dot": 1, "*": 2, "/": 2}
"""How tightly each infix operation binds, for the parentheses of a formula."""

# As in Python: a negation binds tighter than * and /, a power tighter still.
_NEGATION, _POWER, _ATOM = 3, 4, 9


class Formula(NamedTuple):
    """A value as text, and how tightly it binds: a label or a call never needs parentheses."""

    text: str
    precedence: int = _ATOM


def numeral(x: float) -> Formula:
    """A number as a formula: ``3``, or ``-3``, which binds as a negation does.

    >>> numeral(3.0), numeral(-0.5)
    (Formula(text='3', precedence=9), Formula(text='-0.5', precedence=3))
    """
    text = number(x)
    return Formula(text, _NEGATION if text.startswith("-") else _ATOM)


def formula(op: str, parts: Sequence[Formula], *, spaced: bool = False) -> Formula:
    """The operation ``op`` on ``parts``, written with only the parentheses it needs.

    Drawings write products tight (``a*b``); descriptions, ``spaced``, write
    ``a * b``. Sums are spaced in both, and a negation is ``-x`` in both.

    >>> a, b, c = Formula("a"), Formula("b"), Formula("c")
    >>> ab = formula("*", [a, b])
    >>> ab.text, formula("+", [a, b]).text
    ('a*b', 'a + b')
    >>> formula("+", [ab, c], spaced=True).text
    'a*b + c'
    >>> formula("*", [formula("+", [a, b]), c]).text
    '(a + b)*c'
    >>> formula("tanh", [formula("*", [a, numeral(3)], spaced=True)]).text
    'tanh(a * 3)'
    >>> formula("**2", [formula("neg", [a])]).text, formula("neg", [formula("**2", [a])]).text
    ('(-a)**2', '-a**2')
    >>> formula("dot", [a, b, c], spaced=True).text
    'a * b + c'
    >>> formula("**", [ab, formula("neg", [b])]).text
    '(a*b)**-b'
    """
    times = " {} " if spaced else "{}"

    def wrap(part: Formula, needed: int) -> str:
        return part.text if part.precedence >= needed else f"({part.text})"

    def infix(left: Formula, symbol: str, right: Formula) -> Formula:
        if symbol in ("+", "-"):
            # a - (b + c) keeps its parentheses; a + (b + c) needs none.
            return Formula(f"{wrap(left, 1)} {symbol} {wrap(right, 2 if symbol == '-' else 1)}", 1)
        # a/(b*c) keeps its parentheses; a*(b*c) needs none.
        right_text = wrap(right, _NEGATION if symbol == "/" else 2)
        return Formula(wrap(left, 2) + times.format(symbol) + right_text, 2)

    if op == "sum":
        return Formula(" + ".join(wrap(p, 1) for p in parts), 1)
    if op == "dot":  # w1*x1 + w2*x2 (+ b)
        terms = [infix(w, "*", x) for w, x in zip(parts[0::2], parts[1::2], strict=False)]
        bias = [wrap(parts[-1], 1)] if len(parts) % 2 else []
        return Formula(" + ".join([term.text for term in terms] + bias), 1)
    if len(parts) == 2 and op in PRECEDENCE:
        return infix(parts[0], op, parts[1])
    if len(parts) == 2 and op == "**":  # a Value exponent: a**b, (a*b)**c, a**-b
        return Formula(f"{wrap(parts[0], _POWER + 1)}**{wrap(parts[1], _NEGATION)}", _POWER)
    if len(parts) == 1 and op.startswith("**"):
        return Formula(f"{wrap(parts[0], _POWER + 1)}{op}", _POWER)
    if len(parts) == 1 and op == "neg":
        return Formula(f"-{wrap(parts[0], _POWER)}", _NEGATION)
    return Formula(f"{op or '?'}({', '.join(p.text for p in parts)})")


def _elided(op: str, count: int) -> str:
    if op == "dot":  # the operation's own formula; its edges number the pairs
        return "w·x + b" if count % 2 else "w·x"
    if op == "sum":
        return f"sum of {count}"
    if count == 2 and op in PRECEDENCE:
        return f"… {op} …"
    return f"{op or '?'}(…)"


def names(graph: Walk) -> dict[int, str]:
    """Each node's name: its label, its number, or a short `formula` of its children.

    Each formula is built once from its children's names and cut at
    `NAME_LIMIT` characters, so naming is linear in the size of the graph.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = (-x).tanh() * x**2 + x / 3
    >>> sorted(names(walk(y, None)).values(), key=len)
    ['x', '3', '-x', 'x/3', 'x**2', 'tanh(-x)', 'tanh(-x)*x**2', 'tanh(-x)*x**2 + x/3']
    """
    named: dict[int, Formula] = {}
    for node in graph.children_first():
        below = graph.children[id(node)]
        if label(node):
            name = Formula(label(node))
        elif is_constant(node) or not below:
            name = numeral(node.data)
        else:
            name = formula(node._op, [named[id(child)] for child in below])
            if len(name.text) > NAME_LIMIT:
                name = Formula(_elided(node._op, len(below)), name.precedence)
        named[id(node)] = name
    return {key: name.text for key, name in named.items()}


def number(x: float) -> str:
    """A number as the descriptions show it: four decimals, or significant digits if tiny."""
    if x != 0 and abs(x) < 5e-5:
        return f"{x:.4g}"
    text = f"{x:.4f}".rstrip("0").rstrip(".") or "0"
    return "0" if text == "-0" else text
