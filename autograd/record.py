"""Record a graph once, replay it fast: `replay` turns a graph into one Python function.

A training loop builds the same graph at every step; only the numbers in
its leaves change. ``run = replay(loss)`` walks the graph below ``loss``
once and writes a Python function (`autograd.codegen`) that does what
building the graph and calling ``backward()`` would do, on plain floats in
local variables instead of nodes. A graph made of one piece repeated, the
network and its loss once per sample, becomes a loop over that piece
(`autograd.loops`), so the function stays small however many samples
there are.

Every float is computed as the engine computes it, in the same order, so
``run()`` gives the loss and the gradients bit for bit as a fresh graph and
``backward()`` give them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import lru_cache
from sys import getrefcount
from types import CodeType, FunctionType, MethodType
from typing import Any

from autograd import engine
from autograd.codegen import CONST, LEAF, NODE, RUNTIME, generate
from autograd.engine import Value
from autograd.loops import Loop, find_loops

__all__ = ["Recorded", "Replay", "ReplayError", "replay"]


class ReplayError(ValueError):
    """The graph holds a node that `replay` cannot recompute."""


_KINDS: dict[type[Value], str] = {
    engine._Add: "+",
    engine._Sub: "-",
    engine._Mul: "*",
    engine._Div: "/",
    engine._Neg: "neg",
    engine._Pow: "**",
    engine._PowNumber: "**k",
    engine._Tanh: "tanh",
    engine._Exp: "exp",
    engine._Log: "log",
    engine._Relu: "relu",
    engine._Sigmoid: "sigmoid",
    engine._Sum: "sum",
    engine._Dot: "dot",
}


class Recorded:
    """The interior nodes below a root, in ``backward()``'s order, as operations on operands.

    For node ``i``: ``kinds[i]`` is its operation (``"+"``, ``"dot"``, ...,
    or ``"custom"`` for one made with `register_operation`);
    ``operands[i]`` its operands in operand order (a dot's as ``w1, ...,
    wn[, b], x1, ..., xn``), each ``(NODE, j)`` for node j, ``(LEAF, leaf)``
    or ``(CONST, number)``; ``signatures[i]`` a number that is the same for
    two nodes exactly when they compute the same thing from operands placed
    alike; ``last_use[i]`` the position of the last node that uses it.
    """

    def __init__(self, order: list[Value]) -> None:
        self.kinds: list[str] = []
        self.operands: list[list[tuple[int, Any]]] = []
        self.signatures: list[int] = []
        self.last_use = [0] * len(order)
        self._custom: dict[int, Value] = {}
        # While the nodes are read, each interior node's grad holds its position,
        # as the engine's walk keeps its marks there; they end at 0.0, as
        # backward() leaves them before it starts.
        for i, node in enumerate(order):
            node.grad = i
        try:
            self._read(order)
        finally:
            for node in order:
                node.grad = 0.0
        if order:
            self.last_use[-1] = len(order)  # the root is used by back-propagation's seed

    def _read(self, order: list[Value]) -> None:
        last_use = self.last_use
        shapes: dict[tuple[Any, ...], int] = {}
        kinds_append, operands_append = self.kinds.append, self.operands.append
        signatures_append, shape_number = self.signatures.append, shapes.setdefault
        kind_of = _KINDS.get
        for i, node in enumerate(order):
            cls = type(node)
            kind = kind_of(cls)
            rule = node._backward
            if kind is None or type(rule) is not MethodType or rule.__func__ is not cls._backward:
                kind = _kind(node)
            operands: list[tuple[int, Any]] = []
            shape: list[Any] = [kind]
            a, b = node._a, node._b
            if kind == "custom":
                children: Any = node._prev
                self._custom[i] = node
                shape.append(cls)
            elif type(a) is tuple:
                children = a if b is None else a + b
            elif b is None:
                children = (a,)
            else:
                children = (a, b)
            for child in children:
                if type(child) is float:
                    operands.append((CONST, child))
                    shape.append(-CONST)
                elif child._a is not None:
                    j = child.grad
                    operands.append((NODE, j))
                    shape.append(i - j)
                    last_use[j] = i
                elif child._is_constant:
                    operands.append((CONST, child.data))
                    shape.append(-CONST)
                else:
                    operands.append((LEAF, child))
                    shape.append(-LEAF)
            kinds_append(kind)
            operands_append(operands)
            signatures_append(shape_number(tuple(shape), len(shapes)))

    def forward(self, position: int) -> Callable[..., float]:
        """The forward rule of a node of a registered operation."""
        rule: Callable[..., float] = type(self._custom[position]).__dict__["_forward"]
        return rule

    def proxy(self, position: int) -> tuple[Value, list[Value]]:
        """A stand-in for a node of a registered operation, and its children, one per operand.

        The stand-in is a copy of the node whose interior children are
        replaced by plain leaves; the code sets their ``data`` and ``grad``
        before it calls the registered rule on the stand-in, and reads
        their ``grad`` back. Leaf children stay themselves. The graph
        itself is not kept.
        """
        node = self._custom[position]
        stand_ins: dict[int, Value] = {}

        def stand_in(child: Value) -> Value:
            if child._a is None:
                return child
            if id(child) not in stand_ins:
                stand_ins[id(child)] = Value(child.data)
            return stand_ins[id(child)]

        proxy = copy.copy(node)
        a, b = node._a, node._b
        proxy._a = tuple(map(stand_in, a)) if type(a) is tuple else stand_in(a)
        if b is not None:
            proxy._b = tuple(map(stand_in, b)) if type(b) is tuple else stand_in(b)
        return proxy, [stand_in(child) for child in node._prev]


def _kind(node: Value) -> str:
    """The operation of an interior node, or a ReplayError that says why it cannot replay."""
    cls = type(node)
    rule = node._backward
    described = engine._described(node)
    if type(rule) is not MethodType or rule.__func__ is not getattr(cls, "_backward", None):
        raise ReplayError(
            f"cannot replay {described}: the node has its own _backward function, a "
            "closure whose computation replay cannot see; make the node with Value(data, "
            "children, op) for an operation registered with register_operation(op, "
            "children=..., forward=...)"
        )
    kind = _KINDS.get(cls)
    if kind is not None:
        return kind
    if cls is engine._Unregistered:
        raise ReplayError(
            f"cannot replay {described}: its operation {node._op!r} has no registered rule"
        )
    forward = cls.__dict__.get("_forward", False)
    if forward:
        return "custom"
    if forward is None:
        raise ReplayError(
            f"cannot replay {described}: the operation {node._op!r} was registered "
            f"without a forward rule; register it with register_operation({node._op!r}, "
            "children=..., forward=...) so that replay can recompute its nodes"
        )
    raise ReplayError(
        f"cannot replay {described}: its class {cls.__name__} is not an operation "
        "of the engine or one made by register_operation"
    )


# -- running the function ---------------------------------------------------------------


@lru_cache(maxsize=8)
def _compile(source: str) -> CodeType:
    """The function's code; graphs of the same structure write the same source and share it."""
    module = compile(source, "<replay>", "exec")
    code: CodeType = module.co_consts[0]
    return code


class Replay:
    """The graph below a root, recorded as a function: call it to run one step.

    Make one with `replay`. Each call reads every leaf's ``data``, recomputes
    the root, sets ``root.data`` (and ``root.grad`` to 1.0), adds the
    gradients into the leaves' ``grad`` as ``root.backward()`` would, and
    returns the root's new value.

    ``source`` is the Python the graph became; ``loops`` the repeated
    stretches of it that run as loops; ``nodes`` how many interior nodes it
    replaces.
    """

    def __init__(self, root: Value) -> None:
        self._root: Value | None = root
        self.source = ""
        self.loops: list[Loop] = []
        self.nodes = 0
        self._function: Callable[..., float] | None = None
        self._arguments: tuple[Any, ...] = ()
        if root._a is None:
            return
        order = engine._interior_order(root)
        recorded = Recorded(order)
        del order
        self.nodes = len(recorded.kinds)
        self.loops = find_loops(recorded.signatures, recorded.operands, recorded.last_use)
        program = generate(recorded, self.loops)
        self.source = program.source
        self._function = FunctionType(_compile(program.source), RUNTIME)
        self._arguments = program.arguments

    def __call__(self) -> float:
        """Recompute the root from the leaves; add its gradients into the leaves."""
        root = self._root
        if self._function is None:  # the root is a leaf
            assert root is not None
            root.grad += 1.0
            return root.data
        value: float = self._function(*self._arguments)
        if root is not None:
            # A Value cannot be referenced weakly. Once this Replay is the root's
            # only holder (self._root, the local, the argument), no one can read
            # root.data: let the graph go, and keep only the program.
            if getrefcount(root) <= 3:
                self._root = None
            else:
                root.data = value
                root.grad = 1.0
        return value

    def __repr__(self) -> str:
        looped = sum(loop.period * loop.repeats for loop in self.loops)
        return (
            f"<Replay of {self.nodes} nodes, {looped} of them in {len(self.loops)} loops: "
            f"{self.source.count(chr(10))} lines of Python>"
        )


def replay(root: Value) -> Replay:
    """Record the graph below ``root`` once; return a function that replays it.

    ``run = replay(root)`` compiles the graph into one Python function. Each
    ``run()`` reads the current ``data`` of every leaf (the parameters an
    optimizer moved, the inputs you changed), recomputes every node, sets
    ``root.data``, adds the gradients into the leaves' ``grad`` exactly as
    ``root.backward()`` would (the same floats, added in the same order),
    and returns the root's new value. As with ``backward()``, gradients add
    up: set them to 0.0 between steps.

    >>> from autograd import Value, replay
    >>> w = Value(0.5, label="w")
    >>> xs = [Value(1.0), Value(-2.0), Value(3.0)]
    >>> loss = Value.sum([(w * x - 1.0) ** 2 for x in xs])
    >>> run = replay(loss)
    >>> for step in range(3):
    ...     w.grad = 0.0
    ...     value = run()
    ...     w.data -= 0.05 * w.grad
    >>> round(value, 6), round(w.data, 6)
    (2.76, 0.12)

    What is recorded, and so frozen, is the graph's structure: which
    operations, on which leaves, with which plain numbers (a `Constant` is
    one). Decisions made in Python while the graph was built are frozen too:
    a graph built under ``if x.data > 0`` replays that branch whatever
    ``x.data`` becomes. The operations are not frozen: ``relu`` looks again
    at which side of zero its input is at every run.

    ``run()`` updates the root and the leaves only. The interior nodes keep
    the ``data`` they had when the graph was built, and a ``grad`` of 0.0;
    not touching them is much of what makes a replay fast. Once nothing but
    ``run`` holds the root, ``run`` lets the graph go: what stays is the
    program, a fraction of the graph's memory.

    Every built-in operation replays, and so does one made with
    `register_operation` if it was given its ``forward`` rule. A node with a
    ``_backward`` function of its own, micrograd style, cannot replay, since
    what the closure computes cannot be seen from outside: `replay` refuses
    it with a `ReplayError` that names the node, rather than give a wrong
    number later.

    >>> x = Value(0.5)
    >>> out = Value(x.data * 2, (x,), "double-by-hand")
    >>> def _backward():
    ...     x.grad += 2 * out.grad
    >>> out._backward = _backward
    >>> replay(out)
    Traceback (most recent call last):
    ...
    autograd.record.ReplayError: cannot replay a Value (data=1.0): the node has its own ...
    """
    if not isinstance(root, Value):
        raise TypeError(f"replay needs a Value, got {type(root).__name__}")
    return Replay(root)
