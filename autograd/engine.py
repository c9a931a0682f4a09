"""The `Value` node: one scalar, the operation that made it, and its gradient.

Every operation is a kind of node: a subclass of `Value` whose ``_op`` names
the operation and whose ``_backward()`` applies its local derivative. The
forward rules are `Value`'s methods; further down, one class per built-in
operation holds its local derivative and names the method it pairs with. A
node keeps no closure over itself, so a finished graph holds no reference
cycle and is freed by reference counting alone.

Operations are registered by name with `register_operation`, in the table
that holds the built-in ones too; a node made by hand, ``Value(data,
children, op)``, becomes a node of the operation registered as ``op``.
"""

from __future__ import annotations

import copy
import gc
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Real
from types import CellType, FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeAlias, TypeVar

__all__ = [
    "BackwardRule",
    "Constant",
    "Number",
    "Value",
    "pause_gc",
    "register_operation",
    "topological_order",
]

Number: TypeAlias = int | float
"""A plain real number that may stand on either side of an operation."""

BackwardRule: TypeAlias = Callable[["Value"], None]
"""A function ``rule(out)`` that adds ``local derivative * out.grad`` to each
child of ``out``: the chain rule applied at one node."""


def _real(number: object, role: str) -> float:
    """Return ``number`` as a float, or raise a TypeError that names ``role``."""
    if type(number) is float:
        return number
    if isinstance(number, bool) or not isinstance(number, Real):
        raise TypeError(
            f"{role} must be a real number (int or float), got {type(number).__name__} {number!r}"
        )
    return float(number)


def _operand(number: object, op: str) -> float:
    """A plain number beside ``op``, as a float; anything else is a TypeError."""
    if type(number) is float:
        return number
    return _real(number, f"the other operand of '{op}'")


def _check_text(**fields: object) -> None:
    for name, text in fields.items():
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {type(text).__name__}")


def _described(node: Value) -> str:
    """A node as an error message names it: ``'a' (data=2.0)``."""
    name = f"'{node.label}'" if node.label else "a Value"
    return f"{name} (data={node.data!r})"


class Value:
    """A scalar node of a computation graph that knows its gradient.

    ``data`` is the value computed by the forward pass and ``grad`` the
    derivative of the output, the node that ``backward()`` was called on,
    with respect to this node. ``_prev`` holds the children in operand order
    and ``_op`` names the operation that made the node.

    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> L = a * b + 10.0
    >>> L
    Value(data=4.0, grad=0.0)
    >>> L.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)

    A node takes extra attributes, as optimizers that keep state per
    parameter expect:

    >>> a.momentum = 0.0
    """

    # ``_a`` and ``_b`` hold the children (see "how a node keeps its children"),
    # the class is the operation, and ``__dict__`` holds extras such as ``label``.
    __slots__ = ("__dict__", "_a", "_b", "data", "grad")

    data: float
    grad: float
    _a: Any
    _b: Any

    label: str = ""
    """A name for the node, shown in drawings and descriptions."""

    _op: str = ""
    """The operation that made the node; ``''`` for a leaf."""

    _is_constant: ClassVar[bool] = False

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = data if type(data) is float else _real(data, "Value data")
        self.grad = 0.0
        if type(label) is not str or type(_op) is not str:
            _check_text(label=label, _op=_op)
        if label:
            self.label = label
        self._a = self._b = None
        if _children or _op:
            _link(self, _children, _op)

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The children that made this node, in operand order.

        A plain-number operand shows up as a new `Constant` at each read; a
        constant exponent is part of the operation's name instead (``'**2'``).

        >>> v = Value(3.0, label="v")
        >>> (v * 2)._prev
        (Value(data=3.0, grad=0.0), Constant(2.0))
        >>> (v**2)._prev
        (Value(data=3.0, grad=0.0),)
        """
        return _operands(self)

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # -- arithmetic ----------------------------------------------------------
    # A plain number on the left becomes a `Constant`; on the right, a float in ``_b``.

    def __add__(self, other: Value | Number) -> Value:
        """``self + other``; d/da = 1, d/db = 1."""
        out = _new(_Add)  # inlined _node(): the hottest path of the engine
        if isinstance(other, Value):
            out.data = self.data + other.data
        else:
            other = _operand(other, "+")
            out.data = self.data + other
        out.grad = 0.0
        out._a = self
        out._b = other
        return out

    def __radd__(self, other: Number) -> Value:
        """``other + self``."""
        return Constant(_operand(other, "+")) + self

    def __sub__(self, other: Value | Number) -> Value:
        """``self - other``; d/da = 1, d/db = -1."""
        out = _new(_Sub)
        if isinstance(other, Value):
            out.data = self.data - other.data
        else:
            other = _operand(other, "-")
            out.data = self.data - other
        out.grad = 0.0
        out._a = self
        out._b = other
        return out

    def __rsub__(self, other: Number) -> Value:
        """``other - self``."""
        return Constant(_operand(other, "-")) - self

    def __mul__(self, other: Value | Number) -> Value:
        """``self * other``; d/da = b, d/db = a."""
        out = _new(_Mul)
        if isinstance(other, Value):
            out.data = self.data * other.data
        else:
            other = _operand(other, "*")
            out.data = self.data * other
        out.grad = 0.0
        out._a = self
        out._b = other
        return out

    def __rmul__(self, other: Number) -> Value:
        """``other * self``."""
        return Constant(_operand(other, "*")) * self

    def __truediv__(self, other: Value | Number) -> Value:
        """``self / other``; d/da = 1/b, d/db = -a/b**2."""
        divisor = other if isinstance(other, Value) else _operand(other, "/")
        k = divisor.data if isinstance(divisor, Value) else divisor
        if k == 0.0:
            raise ZeroDivisionError(f"division by zero: {_described(self)} divided by {k!r}")
        return _node(_Div, self.data / k, self, divisor)

    def __rtruediv__(self, other: Number) -> Value:
        """``other / self``."""
        return Constant(_operand(other, "/")) / self

    def __neg__(self) -> Value:
        """``-self``; d/da = -1."""
        return _node(_Neg, -self.data, self)

    def __pow__(self, exponent: Value | Number) -> Value:
        """``self ** exponent``, by a number or by another Value.

        With a number k: d/da = k * a**(k-1). With a Value b: also
        d/db = a**b * ln(a). For a negative base that is not a real number,
        so the exponent's gradient is nan (as in PyTorch) while the base's
        gradient is exact.

        >>> (Value(3.0) ** 2).data
        9.0
        >>> a, b = Value(-2.0), Value(2.0)
        >>> (a**b).backward()
        >>> a.grad, b.grad
        (-4.0, nan)
        """
        if isinstance(exponent, Value):
            return _node(_Pow, _power(self.data, exponent.data), self, exponent)
        k = _real(exponent, "the exponent of '**'")
        return _node(_PowNumber, _power(self.data, k), self, k)

    def __rpow__(self, base: Number) -> Value:
        """``base ** self``, a number raised to a Value."""
        return Constant(_real(base, "the base of '**'")) ** self

    # -- functions of one value ---------------------------------------------

    def tanh(self) -> Value:
        """Hyperbolic tangent; d/da = 1 - tanh(a)**2.

        >>> Value(1000.0).tanh().data
        1.0
        """
        return _node(_Tanh, math.tanh(self.data), self)

    def exp(self) -> Value:
        """The exponential e**a; d/da = e**a.

        >>> round(Value(1.0).exp().data, 6)
        2.718282
        """
        try:
            result = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp overflowed: exp({self.data!r}) is larger than the largest "
                f"float (the node is {_described(self)})"
            ) from None
        return _node(_Exp, result, self)

    def log(self) -> Value:
        """The natural logarithm; d/da = 1/a. Defined for positive values only.

        >>> Value(1.0).log().data
        0.0
        """
        if self.data <= 0.0:
            raise ValueError(
                f"log is defined only for positive values; {_described(self)} "
                f"has data {self.data!r}"
            )
        return _node(_Log, math.log(self.data), self)

    def relu(self) -> Value:
        """max(0, a); d/da = 1 where a > 0, else 0. NaN stays NaN.

        >>> Value(-2.0).relu().data, Value(3.0).relu().data, Value(float("nan")).relu().data
        (0.0, 3.0, nan)
        """
        x = self.data
        return _node(_Relu, 0.0 if x <= 0.0 else x, self)

    def sigmoid(self) -> Value:
        """The logistic function 1 / (1 + e**-a); d/da = s * (1 - s).

        >>> Value(0.0).sigmoid().data
        0.5
        """
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            z = math.exp(x)
            s = z / (1.0 + z)
        return _node(_Sigmoid, s, self)

    # -- operations on many values: `value_sum` and `value_dot`, beside their nodes

    if TYPE_CHECKING:  # their signatures, for type checkers

        @staticmethod
        def sum(values: Iterable[Value | Number]) -> Value: ...

        @staticmethod
        def dot(
            weights: Sequence[Value | Number],
            inputs: Sequence[Value | Number],
            bias: Value | Number | None = None,
        ) -> Value: ...

    # -- back-propagation ----------------------------------------------------

    def _backward(self) -> None:
        """Apply this node's local derivatives once: pass ``grad`` to the children.

        This is the single step that ``backward()`` repeats over the whole
        graph, from the output back to the leaves; each operation defines
        its own (the section of built-in operations below), and a leaf has
        nothing to pass on. A node may also be given a function of its own, as in micrograd;
        ``backward()`` then uses it for that node:

        >>> import math
        >>> x = Value(0.5)
        >>> out = Value(math.sin(x.data), (x,), "my-sin")
        >>> def step():
        ...     x.grad += math.cos(x.data) * out.grad
        >>> out._backward = step
        >>> out.backward()
        >>> x.grad == math.cos(0.5)
        True
        """

    def backward(self) -> None:
        """Compute the gradient of this node with respect to every node below it.

        The graph is ordered without recursion, so a chain of a million
        nodes is fine. Every interior node's gradient is computed afresh at
        each call, while the leaves accumulate, as in PyTorch: set each leaf's
        ``grad = 0.0`` between training steps (``zero_grad()`` of a
        :class:`~autograd.nn.Module` or of :class:`~autograd.nn.SGD` does that
        for their parameters).

        >>> a = Value(3.0)
        >>> b = a + a
        >>> b.backward()
        >>> a.grad
        2.0
        >>> b.backward()
        >>> a.grad, b.grad
        (4.0, 1.0)
        """
        order = _interior_order(self)
        for node in order:
            node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()


class Constant(Value):
    """A plain number used as an operand, as a node of the graph.

    A constant has no gradient: its ``grad`` is always 0, and what the
    chain rule passes to it is dropped. ``2 * v`` has the children
    ``(Constant(2.0), v)``.

    >>> v = Value(3.0)
    >>> out = 1 - v
    >>> out._prev
    (Constant(1.0), Value(data=3.0, grad=0.0))
    >>> out.backward()
    >>> out._prev[0].grad, v.grad
    (0.0, -1.0)
    """

    __slots__ = ()

    _is_constant: ClassVar[bool] = True

    def __init__(self, data: Number, label: str = "") -> None:
        super().__init__(data, label=label)

    @property
    def grad(self) -> float:
        """A constant receives no gradient, so this is always 0.0."""
        return 0.0

    @grad.setter
    def grad(self, value: float) -> None:
        pass

    def __repr__(self) -> str:
        return f"Constant({self.data!r})"


# -- how a node keeps its children -----------------------------------------------------
#
# Two slots, ``_a`` and ``_b``, hold a node's children; there is no tuple for
# one or two children, which saves memory and time on the most common nodes.
#
#   the node                          _a                         _b
#   a leaf (also a Constant)          None                       None
#   one child                         the child                  None
#   two children                      the left child             the right child
#   a plain number on the right       the left child             the number, a float
#   a ** k, k a plain number          a                          k, a float: not a child
#   any number of children (sum)      the children, a tuple      None
#   dot                               the weights (then the      the inputs, a tuple
#                                     bias), a tuple
#
# A dot's two tuples are shared by the nodes of one layer. `_store` and
# `_children_of` are inverses; the walks in `_interior_order` decode the
# table inline, as it is the hottest loop of back-propagation.


def _store(node: Value, nodes: tuple[Value, ...], children: int | None) -> None:
    """Keep ``nodes``, the children of ``node`` in operand order, in ``_a`` and ``_b``.

    ``children`` is how many children the node's operation takes, None for any number.
    """
    if not nodes:
        return
    if children == 1:
        node._a = nodes[0]
    elif children == 2:
        node._a, node._b = nodes
    elif type(node) is _Dot:  # (w1, x1, ..., wn, xn[, b]) -> (w1, ..., wn[, b]), (x1, ..., xn)
        node._a, node._b = nodes[0::2], nodes[1::2]
    else:
        node._a = nodes


def _children_of(node: Value) -> tuple[Value, ...]:
    """The children of ``node`` that are nodes in memory, in operand order."""
    a, b = node._a, node._b
    if a is None:
        return ()
    if type(a) is tuple:
        return a if b is None else _interleave(a, b)
    if b is None or type(b) is float:
        return (a,)
    return (a, b)


def _interleave(weights: tuple[Value, ...], inputs: tuple[Value, ...]) -> tuple[Value, ...]:
    """A ``dot``'s children in operand order: ``(w1, x1, w2, x2, ..., b)``."""
    n = len(inputs)
    children: list[Value] = [*weights, *inputs]
    children[0 : 2 * n : 2] = weights[:n]
    children[1 : 2 * n : 2] = inputs
    children[2 * n :] = weights[n:]
    return tuple(children)


def _operands(node: Value) -> tuple[Value, ...]:
    """`_children_of` ``node``, with a plain number on the right as a new `Constant`."""
    a, b = node._a, node._b
    if a is None:
        return ()
    if type(a) is tuple:
        return a if b is None else _interleave(a, b)
    if b is None:
        return (a,)
    if type(b) is float:
        return (a, Constant(b))
    return (a, b)


def _copied(field: Any, memo: dict[int, Any]) -> Any:
    """``_a`` or ``_b`` of a node over the copies, in ``memo``, of its children.

    A tuple shared by the nodes of a layer is copied once, so the copies share it too.
    """
    if isinstance(field, Value):
        return memo[id(field)]
    if type(field) is tuple:
        if id(field) not in memo:
            memo[id(field)] = tuple(memo[id(child)] for child in field)
        return memo[id(field)]
    return field  # None or a plain number


# -- making nodes ----------------------------------------------------------------------

_new = object.__new__


def _node(kind: type[Value], data: float, a: Any, b: Any = None) -> Value:
    """Make an interior node without re-checking what the operation computed."""
    out = _new(kind)
    out.data = data
    out.grad = 0.0
    out._a = a
    out._b = b
    return out


def _nodes(values: Iterable[Value | Number], role: str) -> list[Value]:
    """``values`` as nodes: a plain number becomes a `Constant`."""
    if isinstance(values, Value | str):
        raise TypeError(f"{role} must be a sequence of values, got {type(values).__name__}")
    return [v if isinstance(v, Value) else Constant(_real(v, f"each of {role}")) for v in values]


def _link(node: Value, children: Iterable[Value], op: str) -> None:
    """Make ``node`` a node of ``op`` with ``children``, checked against the operation."""
    if isinstance(children, str):
        raise TypeError(
            f"_children must be Value nodes, got the str {children!r}; "
            "pass a label by name: Value(..., label='name')"
        )
    nodes = tuple(children)
    for child in nodes:
        if not isinstance(child, Value):
            raise TypeError(f"_children must be Value nodes, got {type(child).__name__}")
    operation = _OPERATIONS.get(op)
    if operation is not None:
        expected = operation.children
        if expected is None and not nodes:
            raise ValueError(f"the operation {op!r} needs at least one child, got none")
        if expected is not None and len(nodes) != expected:
            raise ValueError(
                f"the operation {op!r} takes {expected} "
                f"{'child' if expected == 1 else 'children'}, got {len(nodes)}"
            )
        node.__class__ = operation.node_class
        _store(node, nodes, expected)
        return
    exponent = _exponent_of(op)
    if exponent is not None:
        if len(nodes) != 1:
            raise ValueError(f"the operation {op!r} takes 1 child, got {len(nodes)}")
        node.__class__ = _PowNumber
        _store(node, nodes, 1)
        node._b = exponent
        return
    if nodes:
        node.__class__ = _Unregistered
    node._op = op
    _store(node, nodes, len(nodes) if len(nodes) <= 2 else None)


# -- operations: the table of them, and registering one --------------------------------


class _Operation(NamedTuple):
    node_class: type[Value]
    children: int | None  # None: any number of children, at least one


_OPERATIONS: dict[str, _Operation] = {}
_BUILT_IN: set[str] = set()


def _exponent_of(op: str) -> float | None:
    """The constant exponent in an ``_op`` like ``'**2'``, or None."""
    if not op.startswith("**") or len(op) == 2:
        return None
    try:
        return float(op[2:])
    except ValueError:
        return None


def register_operation(
    op: str, *, children: int | None, forward: Callable[..., float] | None = None
) -> Callable[[BackwardRule], BackwardRule]:
    """Register the backward rule of the operation named ``op``.

    Use it as a decorator on a function ``rule(out)`` that adds, for each
    child of ``out``, the local derivative of ``out`` with respect to that
    child times ``out.grad``. ``children`` is how many children a node of
    this operation has, or None for any number (at least one). A node made
    with ``Value(data, children, op)`` is then a node of this operation:
    ``backward()`` and ``_backward()`` apply the rule to it. The built-in
    operations are in the same table, each a class of nodes with its rule.

    >>> import math
    >>> @register_operation("sin", children=1, forward=math.sin)
    ... def sin_backward(out):
    ...     (x,) = out._prev
    ...     x.grad += math.cos(x.data) * out.grad
    >>> def sin(x):
    ...     return Value(math.sin(x.data), (x,), "sin")
    >>> x = Value(0.5)
    >>> y = sin(x) * 2
    >>> y.backward()
    >>> x.grad == 2 * math.cos(0.5)
    True

    ``forward``, if given, is the forward rule: ``forward(*values)`` returns
    a node's value from its children's values, in operand order. Only
    `autograd.replay` needs it, to recompute the operation's nodes when it
    replays a graph; without it, `replay` refuses the operation's nodes.

    Registering a name again replaces its rule for the nodes made from then
    on, so re-running a notebook cell is fine; the built-in operations
    cannot be replaced, nor can a name the engine gives its own nodes, such as
    ``'**2'`` for ``x ** 2``. A registered operation can be pickled by name and
    back-propagated in another process once it is registered there too.
    """
    if not isinstance(op, str) or not op:
        raise TypeError(f"an operation needs a non-empty str name, got {op!r}")
    if children is not None and (
        isinstance(children, bool) or not isinstance(children, int) or children < 1
    ):
        raise ValueError(f"children must be a whole number >= 1 or None, got {children!r}")
    if op in _BUILT_IN:
        raise ValueError(f"{op!r} is a built-in operation and cannot be redefined")
    if _exponent_of(op) is not None:
        raise ValueError(
            f"{op!r} is the name of the built-in power by a number ({op[2:]}); choose another name"
        )

    def register(backward: BackwardRule) -> BackwardRule:
        if not callable(backward):
            raise TypeError(f"the backward rule of {op!r} must be callable")
        if forward is not None and not callable(forward):
            raise TypeError(f"the forward rule of {op!r} must be callable")
        method = backward if isinstance(backward, FunctionType) else _as_method(backward)
        namespace = {
            "__slots__": (),
            "_op": op,
            "_backward": method,
            "_forward": forward,
            "__module__": __name__,
        }
        node_class = type(f"Value[{op}]", (Value,), namespace)
        _OPERATIONS[op] = _Operation(node_class, children)
        return backward

    return register


def _as_method(rule: BackwardRule) -> Callable[[Value], None]:
    """A function that calls ``rule``: unlike a callable object, it binds as a method."""

    def apply(out: Value) -> None:
        rule(out)

    return apply


_NodeClass = TypeVar("_NodeClass", bound=type[Value])
_Function = TypeVar("_Function", bound=Callable[..., Value])


def _built_in(*, children: int | None) -> Callable[[_NodeClass], _NodeClass]:
    """Register the decorated class as the nodes of the built-in operation its ``_op`` names."""

    def register(node_class: _NodeClass) -> _NodeClass:
        _OPERATIONS[node_class._op] = _Operation(node_class, children)
        _BUILT_IN.add(node_class._op)
        return node_class

    return register


# -- the built-in operations -----------------------------------------------------------
#
# One class of nodes per operation, in the order of Value's methods; the
# comment on each names the method that computes its nodes' data, the forward
# rule. Those rules stay inline in Value's methods, as a call of their own
# would cost a node more than most of them compute; only the loops of sum and
# dot are here. ``_backward`` applies the local derivative to the children,
# ``self._a`` and ``self._b`` (see "how a node keeps its children").


@_built_in(children=2)
class _Add(Value):  # forward: Value.__add__
    __slots__ = ()
    _op = "+"

    def _backward(self) -> None:
        g = self.grad
        self._a.grad += g
        b = self._b
        if type(b) is not float:
            b.grad += g


@_built_in(children=2)
class _Sub(Value):  # forward: Value.__sub__
    __slots__ = ()
    _op = "-"

    def _backward(self) -> None:
        g = self.grad
        self._a.grad += g
        b = self._b
        if type(b) is not float:
            b.grad -= g


@_built_in(children=2)
class _Mul(Value):  # forward: Value.__mul__
    __slots__ = ()
    _op = "*"

    def _backward(self) -> None:
        a, b, g = self._a, self._b, self.grad
        if type(b) is float:
            a.grad += b * g
        else:
            a.grad += b.data * g
            b.grad += a.data * g


@_built_in(children=2)
class _Div(Value):  # forward: Value.__truediv__
    __slots__ = ()
    _op = "/"

    def _backward(self) -> None:
        a, b, g = self._a, self._b, self.grad
        if type(b) is float:
            a.grad += g / b
        else:
            a.grad += g / b.data
            b.grad -= g * self.data / b.data


@_built_in(children=1)
class _Neg(Value):  # forward: Value.__neg__
    __slots__ = ()
    _op = "neg"

    def _backward(self) -> None:
        self._a.grad -= self.grad


@_built_in(children=2)
class _Pow(Value):  # forward: Value.__pow__, by a Value
    __slots__ = ()
    _op = "**"

    def _backward(self) -> None:
        g = self.grad
        if g == 0.0:  # the chain rule's zero comes first: never 0 * inf
            return
        a, b = self._a, self._b
        x, k = a.data, b.data
        a.grad += _power_slope(x, k) * g
        if x > 0.0:
            b.grad += self.data * math.log(x) * g
        elif x == 0.0:
            # 0**b stays 0 for b > 0 whatever b is; for b < 0 it is infinite.
            b.grad += (0.0 if k >= 0.0 else -math.inf) * g
        else:
            # a**b * ln(a) is not a real number for a negative base.
            b.grad += math.nan


class _PowNumber(Value):  # forward: Value.__pow__, by a plain number
    """``a ** k`` for a plain number k, kept in ``_b``; its ``_op`` is ``'**k'``.

    It has no entry in the table of operations: `_exponent_of` reads k back from the name.
    """

    __slots__ = ()

    @property
    def _op(self) -> str:  # type: ignore[override]
        k: float = self._b
        if k.is_integer() and abs(k) < 1e16:
            return f"**{int(k)}"
        return f"**{k!r}"

    @property
    def _prev(self) -> tuple[Value, ...]:
        return (self._a,)

    def _backward(self) -> None:
        g = self.grad
        if g == 0.0:  # the chain rule's zero comes first: never 0 * inf
            return
        a = self._a
        a.grad += _power_slope(a.data, self._b) * g


def _power(base: float, exponent: float) -> float:
    """``base ** exponent`` for real results only, with errors that say why."""
    try:
        result = base**exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"0.0 cannot be raised to the negative power {exponent!r}"
        ) from None
    except OverflowError:
        raise OverflowError(f"{base!r} ** {exponent!r} overflowed") from None
    if type(result) is complex:
        raise ValueError(
            f"{base!r} ** {exponent!r} is not a real number: a negative base "
            "needs a whole-number exponent"
        )
    return float(result)


def _power_slope(x: float, k: float) -> float:
    """d(x**k)/dx = k * x**(k - 1); 0 for k = 0, where x**0 is the constant 1 (also at x = 0).

    >>> _power_slope(3.0, 2.0), _power_slope(0.0, 0.0), _power_slope(0.0, -1.0)
    (6.0, 0.0, -inf)
    """
    if k == 0.0:
        return 0.0
    return k * _power_or_infinity(x, k - 1.0)


def _power_or_infinity(base: float, exponent: float) -> float:
    """``base ** exponent`` where 0 to a negative power is infinite, as in IEEE 754."""
    try:
        result = base**exponent
    except ZeroDivisionError:
        odd = exponent.is_integer() and exponent % 2 == 1
        return math.copysign(math.inf, base) if odd else math.inf
    except OverflowError:
        return math.inf
    return result if type(result) is float else math.nan


@_built_in(children=1)
class _Tanh(Value):  # forward: Value.tanh
    __slots__ = ()
    _op = "tanh"

    def _backward(self) -> None:
        t = self.data
        self._a.grad += (1.0 - t * t) * self.grad


@_built_in(children=1)
class _Exp(Value):  # forward: Value.exp
    __slots__ = ()
    _op = "exp"

    def _backward(self) -> None:
        self._a.grad += self.data * self.grad


@_built_in(children=1)
class _Log(Value):  # forward: Value.log
    __slots__ = ()
    _op = "log"

    def _backward(self) -> None:
        a = self._a
        a.grad += self.grad / a.data


@_built_in(children=1)
class _Relu(Value):  # forward: Value.relu
    __slots__ = ()
    _op = "ReLU"

    def _backward(self) -> None:
        if not self.data <= 0.0:  # passes for a positive value and for NaN
            self._a.grad += self.grad


@_built_in(children=1)
class _Sigmoid(Value):  # forward: Value.sigmoid
    __slots__ = ()
    _op = "sigmoid"

    def _backward(self) -> None:
        s = self.data
        self._a.grad += s * (1.0 - s) * self.grad


@_built_in(children=None)
class _Sum(Value):  # forward: Value.sum (value_sum)
    __slots__ = ()
    _op = "sum"

    def _backward(self) -> None:
        g = self.grad
        for term in self._a:
            term.grad += g


def _static_method(name: str) -> Callable[[_Function], _Function]:
    """Make the function ``Value.<name>``, a static method defined beside its node's class."""

    def attach(function: _Function) -> _Function:
        function.__name__, function.__qualname__ = name, f"Value.{name}"
        setattr(Value, name, staticmethod(function))
        return function

    return attach


@_static_method("sum")
def value_sum(values: Iterable[Value | Number]) -> Value:
    """The sum of ``values`` as one node; d/dv = 1 for every term.

    One node of ``n`` children replaces a chain of ``n - 1`` additions:
    the same value, added left to right, in a fraction of the time and
    memory. Its ``_op`` is ``'sum'`` and ``_prev`` the terms in order; a
    plain number among them becomes a `Constant`.

    >>> a, b, c = Value(1.0), Value(2.0), Value(3.0)
    >>> total = Value.sum([a, b, c, 0.5])
    >>> total.data, total._op
    (6.5, 'sum')
    >>> total.backward()
    >>> a.grad, b.grad, c.grad
    (1.0, 1.0, 1.0)
    """
    return _sum(_nodes(values, "Value.sum"))


def _sum(terms: list[Value]) -> Value:
    """A ``sum`` node of ``terms``, added left to right."""
    if not terms:
        raise ValueError("Value.sum needs at least one value")
    total = 0.0
    for term in terms:
        total += term.data
    return _node(_Sum, total, tuple(terms))


@_built_in(children=None)
class _Dot(Value):  # forward: Value.dot (value_dot)
    __slots__ = ()
    _op = "dot"

    def _backward(self) -> None:
        g = self.grad
        weights, inputs = self._a, self._b
        for w, x in zip(weights, inputs, strict=False):
            w.grad += x.data * g
            x.grad += w.data * g
        if len(weights) > len(inputs):
            weights[-1].grad += g


@_static_method("dot")
def value_dot(
    weights: Sequence[Value | Number],
    inputs: Sequence[Value | Number],
    bias: Value | Number | None = None,
) -> Value:
    """``w1*x1 + w2*x2 + ... + b`` as one node, the linear part of a neuron.

    d/dwi = xi, d/dxi = wi and d/db = 1. Its ``_op`` is ``'dot'`` and its
    ``_prev`` is ``(w1, x1, w2, x2, ..., b)``. The sum is taken as
    ``((b + w1*x1) + w2*x2) + ...``, the order of a neuron written with
    ``+`` and ``*``, so both give the same float.

    >>> w1, w2, b = Value(-3.0), Value(1.0), Value(6.5)
    >>> x1, x2 = Value(2.0), Value(0.0)
    >>> n = Value.dot([w1, w2], [x1, x2], b)
    >>> n.data, n._op
    (0.5, 'dot')
    >>> n.backward()
    >>> w1.grad, x1.grad, b.grad
    (2.0, -3.0, 1.0)
    """
    ws = _nodes(weights, "the weights of Value.dot")
    xs = _nodes(inputs, "the inputs of Value.dot")
    if len(ws) != len(xs):
        raise ValueError(f"Value.dot got {len(ws)} weights but {len(xs)} inputs")
    if not ws:
        raise ValueError("Value.dot needs at least one weight and input")
    if bias is not None:
        ws += _nodes((bias,), "the bias of Value.dot")
    return _dot(tuple(ws), tuple(xs))


def _dot(weights: tuple[Value, ...], inputs: tuple[Value, ...]) -> Value:
    """A ``dot`` node; ``weights`` ends with the bias if it is one longer than ``inputs``."""
    total = weights[-1].data if len(weights) > len(inputs) else 0.0
    for w, x in zip(weights, inputs, strict=False):
        total += w.data * x.data
    return _node(_Dot, total, weights, inputs)


class _Unregistered(Value):
    """A node made by hand for an operation that has no registered rule."""

    __slots__ = ()

    def _backward(self) -> None:
        if not self._op:
            raise ValueError(
                f"{_described(self)} has children but no operation: give it an _op name "
                "and register that operation, or give the node its own _backward function"
            )
        raise ValueError(
            f"no derivative rule for the operation {self._op!r} of {_described(self)}; "
            f"register one with @register_operation({self._op!r}, children=...) "
            "or give the node its own _backward function"
        )


# -- walking the graph -----------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each after its children.

    The walk uses an explicit stack (no recursion) and visits children in
    operand order, so the order is the same in every run. A plain number on
    the right of an operation is stored as a number inside its parent, not
    as a node, so it is not listed.

    >>> a, b = Value(1.0, label="a"), Value(2.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> d = c + a; d.label = "d"
    >>> [node.label for node in topological_order(d)]
    ['a', 'b', 'c', 'd']
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    push, pop, add, append = stack.append, stack.pop, visited.add, order.append
    while stack:
        node, children_done = pop()
        if children_done:
            append(node)
            continue
        if node in visited:
            continue
        add(node)
        push((node, True))
        for child in reversed(_children_of(node)):
            if child not in visited:
                push((child, False))
    return order


def _interior_order(root: Value) -> list[Value]:
    """The interior nodes below ``root``, each after its children.

    Back-propagation needs no order among the leaves, so they are never
    pushed. A node goes back on the stack, under a None, before its
    children; when the None comes up, the children are done and the node
    joins the order. ``backward()`` resets the gradient of every interior
    node, so the walk marks the nodes it has seen in ``grad``, which is
    faster than a set. The mark is a new object for every walk: a mark
    left behind by an interrupted walk is never taken for one of this walk.
    """
    order: list[Value] = []
    if root._a is None:
        return order
    seen = float("nan")
    stack: list[Value | None] = [root]
    push, pop, append = stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is None:
            append(pop())  # type: ignore[arg-type]
            continue
        if node.grad is seen:
            continue
        node.grad = seen
        push(node)
        push(None)
        a, b = node._a, node._b
        if type(a) is tuple:
            for child in a:
                if child._a is not None and child.grad is not seen:
                    push(child)
            if b is not None:
                for child in b:
                    if child._a is not None and child.grad is not seen:
                        push(child)
            continue
        if type(b) is not float and b is not None and b._a is not None and b.grad is not seen:
            push(b)
        if a._a is not None and a.grad is not seen:
            push(a)
    return order


# -- the cyclic garbage collector ------------------------------------------------------


@contextmanager
def pause_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside a ``with`` block.

    The engine makes no reference cycles, so its graphs are freed by
    reference counting as soon as they are dropped, and the cyclic collector
    has nothing to find in them. It still scans them, though: a training
    loop that builds large graphs spends part of its time in collections
    that free nothing. Inside the block the collector does not run; on
    leaving it, it is switched back on if it was on before. Cycles made
    inside the block, for example by nodes given their own ``_backward``
    closure, are freed by the first collection after it.

    Nothing changes unless you ask: importing the package leaves the
    collector alone.

    >>> import gc
    >>> collector_was_on = gc.isenabled()
    >>> with pause_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled() == collector_was_on
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- copying and pickling, without recursion -------------------------------------------


def _copy(node: Value) -> Value:
    """A new node of the same operation over the same children (``copy.copy``)."""
    out = _new(type(node))
    out.data, out.grad, out._a, out._b = node.data, node.grad, node._a, node._b
    if node.__dict__:
        out.__dict__.update(node.__dict__)
    return out


def _deepcopy(root: Value, memo: dict[int, Any]) -> Value:
    """A copy of the graph below ``root`` (``copy.deepcopy``), made children first."""
    for node in topological_order(root):
        if id(node) in memo:
            continue
        out = _new(type(node))
        out.data, out.grad = node.data, node.grad
        out._a, out._b = _copied(node._a, memo), _copied(node._b, memo)
        memo[id(node)] = out
        if node.__dict__:
            extra = {name: _copy_closure(value, memo) for name, value in node.__dict__.items()}
            out.__dict__.update(copy.deepcopy(extra, memo))
    copy_of_root: Value = memo[id(root)]
    return copy_of_root


def _copy_closure(value: Any, memo: dict[int, Any]) -> Any:
    """A function that closes over nodes (micrograd's ``_backward``), over their copies.

    ``copy.deepcopy`` keeps a function as it is, so a copied node's rule would
    still update the original graph's gradients; the copy gets a function of
    the same code whose variables are the copies.
    """
    if not isinstance(value, FunctionType) or not (value.__closure__ or value.__defaults__):
        return value
    cells = tuple(_copy_cell(cell, memo) for cell in value.__closure__ or ())
    defaults = copy.deepcopy(value.__defaults__, memo)
    copied = FunctionType(value.__code__, value.__globals__, value.__name__, defaults, cells)
    copied.__kwdefaults__ = copy.deepcopy(value.__kwdefaults__, memo)
    copied.__dict__.update(value.__dict__)
    memo[id(value)] = copied
    return copied


def _copy_cell(cell: CellType, memo: dict[int, Any]) -> CellType:
    try:
        contents = cell.cell_contents
    except ValueError:  # a variable not yet bound when the function was made
        return CellType()
    return CellType(copy.deepcopy(contents, memo))


def _reduce(node: Value) -> tuple[Any, ...]:
    """Pickle the graph children first, so that its depth does not matter.

    The first node pickled saves every node below it, in topological
    order, before itself; each of them then refers only to nodes already
    saved. A node is restored as a node of the operation registered
    under its ``_op`` in the process that loads it.
    """
    me = id(node)
    saving = _saving()
    in_graph = saving.pop(me, None)
    if in_graph is not None or node._a is None:
        if in_graph is not None and in_graph[0] == me:  # the graph's root: clean up
            for key in in_graph[1]:
                saving.pop(key, None)
        extra = dict(node.__dict__) or None
        fields = (node._op, node._is_constant, node.data, node.grad, node._a, node._b, extra)
        return _restore, fields
    order = topological_order(node)
    keys = [id(below) for below in order if below._a is not None]
    entry = (me, keys)
    for key in keys:
        saving[key] = entry
    return _last, (order,)


def _reduce_ex(node: Value, protocol: object) -> tuple[Any, ...]:
    return _reduce(node)


# Value's hooks for copy and pickle, set here beside the functions they call.
for _name, _hook in (
    ("__copy__", _copy),
    ("__deepcopy__", _deepcopy),
    ("__reduce_ex__", _reduce_ex),
):
    setattr(Value, _name, _hook)
del _name, _hook


def _restore(
    op: str,
    constant: bool,
    data: float,
    grad: float,
    a: Any,
    b: Any,
    extra: dict[str, Any] | None,
) -> Value:
    """Rebuild a pickled node as a node of the operation registered in this process."""
    if constant:
        kind: type[Value] = Constant
    elif a is None:
        kind = Value
    elif op in _OPERATIONS:
        kind = _OPERATIONS[op].node_class
    elif type(b) is float and _exponent_of(op) is not None:
        kind = _PowNumber
    else:
        kind = _Unregistered
    node = _node(kind, data, a, b)
    node.grad = grad
    if extra:
        node.__dict__.update(extra)
    return node


def _last(nodes: list[Value]) -> Value:
    """The root of a graph unpickled children first: the last of its nodes.

    Pickles name this function, so its name stays as it is.
    """
    return nodes[-1]


# id of a node being pickled after its children -> (id of the graph's root,
# ids of the graph's interior nodes). Whether an entry is present only
# decides between two correct ways of pickling a node.
_SAVING = threading.local()


def _saving() -> dict[int, tuple[int, list[int]]]:
    """This thread's nodes being pickled: each thread pickles its graphs on its own."""
    found: dict[int, tuple[int, list[int]]] | None = getattr(_SAVING, "nodes", None)
    if found is None:
        found = _SAVING.nodes = {}
    return found
