"""The backward pass one node at a time: the frames of the ``backward-steps`` figure.

`backward_steps` copies a graph and replays ``backward()`` on the copy with
the nodes' own rules: every gradient set to 0, the output seeded with 1, then
each node's ``_backward()`` in reverse topological order. After each step it
yields the copy's state, which the caller draws before asking for the next.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from autograd import graph
from autograd.engine import Value, topological_order
from autograd.graph import MAX_NODES, GraphNode

__all__ = ["BackwardStep", "backward_steps"]


@dataclass(frozen=True)
class BackwardStep:
    """One frame: the graph's state after a step, and what that step did."""

    root: GraphNode
    """The root of the graph being stepped (a copy), in the state after this step."""
    active: GraphNode | None
    """The node whose backward rule just ran, if any."""
    written: tuple[GraphNode, ...]
    """The nodes whose gradients this step set."""
    caption: str
    """The step in words."""


def backward_steps(root: GraphNode, max_nodes: int = MAX_NODES) -> Iterator[BackwardStep]:
    """Replay ``root.backward()`` on a copy of its graph, one node's rule at a time.

    The live graph is left as it was. Each yielded step shares the copy, so
    draw (or read) it before taking the next one.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> for step in backward_steps(e):
    ...     print(step.caption, [node.grad for node in (step.root, *step.root._prev)])
    Before backward(): every gradient is 0. [0.0, 0.0, 0.0]
    backward() seeds e with gradient 1 (de/de = 1). [1.0, 0.0, 0.0]
    e passes its gradient 1 back through *: a gets -3, b gets 2. [1.0, -3.0, 2.0]
    >>> a.grad, b.grad
    (0.0, 0.0)
    """
    original = graph.walk(root, max_nodes)
    working, restore = _working_graph(original)
    try:
        walk = graph.walk(working, None)
        names = graph.names(walk)
        if isinstance(working, Value):
            order: list[GraphNode] = list(topological_order(working))
        else:
            order = walk.children_first()
        in_order = {id(node) for node in order}  # the engine leaves plain numbers out
        for node in order:
            node.grad = 0.0
        yield BackwardStep(working, None, (), "Before backward(): every gradient is 0.")
        working.grad = 1.0
        name = names[id(working)]
        yield BackwardStep(
            working,
            None,
            (working,),
            f"backward() seeds {name} with gradient 1 (d{name}/d{name} = 1).",
        )
        for node in reversed(order):
            children = _distinct(
                c
                for c in walk.children.get(id(node), [])
                if id(c) in in_order and not graph.is_constant(c)
            )
            if not children:
                continue
            before = [child.grad for child in children]
            node._backward()  # type: ignore[attr-defined]
            gains = ", ".join(
                f"{names[id(child)]} gets {graph.number(child.grad - old)}"
                for child, old in zip(children, before, strict=True)
            )
            yield BackwardStep(
                working,
                node,
                tuple(children),
                f"{names[id(node)]} passes its gradient {graph.number(node.grad)} back "
                f"through {node._op}: {gains}.",
            )
    finally:
        restore()


def _distinct(nodes: Iterable[GraphNode]) -> list[GraphNode]:
    seen: set[int] = set()
    result: list[GraphNode] = []
    for node in nodes:
        if id(node) not in seen:
            seen.add(id(node))
            result.append(node)
    return result


def _working_graph(original: graph.Walk) -> tuple[GraphNode, Callable[[], None]]:
    """A copy of the graph to step through, and what undoes any change to the original.

    Nodes are copied children first into one memo, so the copy never recurses
    deeper than one node. A class whose ``_backward`` is a closure over the
    original nodes (as lessons write it) cannot be copied that way: its rules
    run on the original graph, whose gradients are put back afterwards.
    """
    nodes = original.nodes
    ids = {id(node) for node in nodes}
    if any(_closes_over(node, ids) for node in nodes):
        grads = [(node, node.grad) for node in nodes]

        def put_back() -> None:
            for node, grad in grads:
                node.grad = grad

        return nodes[0], put_back
    memo: dict[int, object] = {}
    for node in original.children_first():
        copy.deepcopy(node, memo)
    working = memo[id(nodes[0])]
    assert isinstance(working, GraphNode)
    return working, lambda: None


def _closes_over(node: GraphNode, ids: set[int]) -> bool:
    rule = getattr(node, "__dict__", {}).get("_backward")
    cells = getattr(rule, "__closure__", None) or ()
    for cell in cells:
        try:
            if id(cell.cell_contents) in ids:
                return True
        except ValueError:  # an empty cell
            continue
    return False
