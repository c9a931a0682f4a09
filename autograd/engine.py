"""The `Value` node: one scalar, the operation that made it, and its gradient.

Every operation below computes its forward value and, right beside it, the
rule that applies its local derivative during back-propagation. The rules are
looked up by the node's ``_op`` string, so a node keeps no closure and no
reference to itself: a finished graph is freed by reference counting alone,
without waking the cyclic garbage collector.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable
from functools import cache
from numbers import Real
from typing import Final, TypeAlias, cast

__all__ = ["Number", "Value"]

Number: TypeAlias = int | float
"""A plain real number that may stand on either side of an operation."""

_BackwardRule: TypeAlias = Callable[["Value"], None]
_RULES: dict[str, _BackwardRule] = {}


def _rule(op: str) -> Callable[[_BackwardRule], _BackwardRule]:
    """Register ``function`` as the backward rule of the operation ``op``."""

    def register(function: _BackwardRule) -> _BackwardRule:
        _RULES[op] = function
        return function

    return register


def _real(number: object, role: str) -> float:
    """Return ``number`` as a float, or raise a TypeError that names ``role``."""
    if type(number) is float:
        return number
    if isinstance(number, bool) or not isinstance(number, Real):
        raise TypeError(
            f"{role} must be a real number (int or float), got {type(number).__name__} {number!r}"
        )
    return float(number)


def _constant(number: object, op: str) -> float:
    """A plain number beside ``op``, as a float; anything else is a TypeError."""
    if type(number) is float:
        return number
    return _real(number, _OPERAND_ROLES.get(op, "an operand"))


def _constant_node(number: object, op: str) -> Value:
    """A plain number on the left of ``op``, as a constant leaf node."""
    return _node(_constant(number, op), "", None)


def _check_text(**fields: object) -> None:
    for name, text in fields.items():
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {type(text).__name__}")


def _two_children(children: Iterable[Value]) -> tuple[Value | None, Value | None]:
    """Check the children given to the constructor; return them as two slots."""
    if isinstance(children, str):
        raise TypeError(
            f"_children must be Value nodes, got the str {children!r}; "
            "pass a label by name: Value(..., label='name')"
        )
    nodes = tuple(children)
    for child in nodes:
        if not isinstance(child, Value):
            raise TypeError(f"_children must be Value nodes, got {type(child).__name__}")
    if len(nodes) > 2:
        raise ValueError(f"a Value has at most two children, got {len(nodes)}")
    return (nodes[0] if nodes else None), (nodes[1] if len(nodes) == 2 else None)


_OPERAND_ROLES = {op: f"the other operand of '{op}'" for op in ("+", "-", "*", "/", "**")}
_ADD: Final = "+"
_SUB: Final = "-"
_MUL: Final = "*"
_DIV: Final = "/"
_NEG: Final = "neg"
_POW: Final = "**"
_TANH: Final = "tanh"
_EXP: Final = "exp"
_LOG: Final = "log"
_RELU: Final = "ReLU"
_SIGMOID: Final = "sigmoid"


@cache
def _power_op(exponent: float) -> str:
    """The ``_op`` text of raising to a constant, ``'**2'`` for a square."""
    text = f"**{int(exponent)}" if exponent.is_integer() else f"**{exponent!r}"
    _RULES[text] = Value._power_by_number_backward
    return text


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

    Calling ``backward()`` again adds the new gradients to the leaves, as in
    PyTorch, while every interior node's gradient is computed afresh:

    >>> L.backward()
    >>> a.grad, L.grad
    (-6.0, 1.0)
    """

    __slots__ = ("_a", "_b", "_op", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _op: str
    _a: Value | None
    _b: Value | float | None

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
        self.label = label
        self._op = _op
        if _children:
            self._a, self._b = _two_children(_children)
        else:
            self._a = self._b = None

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The children that made this node, in operand order.

        A plain number on the right of ``+ - * /`` is kept as a float, not a
        node, and shows up here as a fresh constant Value with no gradient.
        """
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None or (type(b) is float and self._op.startswith("**")):
            return (a,)
        if type(b) is float:
            return (a, _node(b, "", None))
        return (a, b)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # -- arithmetic: each forward rule, then its local derivative -----------
    # ``out._b`` is a float where the right operand was a plain number.

    def __add__(self, other: Value | Number) -> Value:
        """``self + other``; d/da = 1, d/db = 1."""
        if isinstance(other, Value):
            return _node(self.data + other.data, _ADD, self, other)
        k = _constant(other, _ADD)
        return _node(self.data + k, _ADD, self, k)

    def __radd__(self, other: Number) -> Value:
        """``other + self``."""
        return _constant_node(other, _ADD) + self

    @staticmethod
    @_rule(_ADD)
    def _add_backward(out: Value) -> None:
        out._a.grad += out.grad  # type: ignore[union-attr]
        b = out._b
        if type(b) is not float:
            b.grad += out.grad  # type: ignore[union-attr]

    def __sub__(self, other: Value | Number) -> Value:
        """``self - other``; d/da = 1, d/db = -1."""
        if isinstance(other, Value):
            return _node(self.data - other.data, _SUB, self, other)
        k = _constant(other, _SUB)
        return _node(self.data - k, _SUB, self, k)

    def __rsub__(self, other: Number) -> Value:
        """``other - self``."""
        return _constant_node(other, _SUB) - self

    @staticmethod
    @_rule(_SUB)
    def _sub_backward(out: Value) -> None:
        out._a.grad += out.grad  # type: ignore[union-attr]
        b = out._b
        if type(b) is not float:
            b.grad -= out.grad  # type: ignore[union-attr]

    def __mul__(self, other: Value | Number) -> Value:
        """``self * other``; d/da = b, d/db = a."""
        if isinstance(other, Value):
            return _node(self.data * other.data, _MUL, self, other)
        k = _constant(other, _MUL)
        return _node(self.data * k, _MUL, self, k)

    def __rmul__(self, other: Number) -> Value:
        """``other * self``."""
        return _constant_node(other, _MUL) * self

    @staticmethod
    @_rule(_MUL)
    def _mul_backward(out: Value) -> None:
        a, b = out._a, out._b
        if type(b) is float:
            a.grad += b * out.grad  # type: ignore[union-attr]
        else:
            a.grad += b.data * out.grad  # type: ignore[union-attr]
            b.grad += a.data * out.grad  # type: ignore[union-attr]

    def __truediv__(self, other: Value | Number) -> Value:
        """``self / other``; d/da = 1/b, d/db = -a/b**2."""
        divisor = other if isinstance(other, Value) else _constant(other, _DIV)
        k = divisor.data if isinstance(divisor, Value) else divisor
        if k == 0.0:
            raise ZeroDivisionError(f"division by zero: {self._describe()} divided by {k!r}")
        return _node(self.data / k, _DIV, self, divisor)

    def __rtruediv__(self, other: Number) -> Value:
        """``other / self``."""
        return _constant_node(other, _DIV) / self

    @staticmethod
    @_rule(_DIV)
    def _div_backward(out: Value) -> None:
        a, b = out._a, out._b
        if type(b) is float:
            a.grad += out.grad / b  # type: ignore[union-attr]
        else:
            a.grad += out.grad / b.data  # type: ignore[union-attr]
            b.grad -= out.grad * out.data / b.data  # type: ignore[union-attr]

    def __neg__(self) -> Value:
        """``-self``; d/da = -1."""
        return _node(-self.data, _NEG, self)

    @staticmethod
    @_rule(_NEG)
    def _neg_backward(out: Value) -> None:
        out._a.grad -= out.grad  # type: ignore[union-attr]

    def __pow__(self, exponent: Value | Number) -> Value:
        """``self ** exponent``, by a number or by another Value.

        With a number k: d/da = k * a**(k-1). With a Value b: also
        d/db = a**b * ln(a), which needs a positive base.

        >>> (Value(3.0) ** 2).data
        9.0
        >>> (Value(2.0) ** Value(3.0)).data
        8.0
        """
        if isinstance(exponent, Value):
            return _node(_power(self.data, exponent.data), _POW, self, exponent)
        k = _real(exponent, "the exponent of '**'")
        out = _node(_power(self.data, k), _power_op(k), self)
        out._b = k
        return out

    def __rpow__(self, base: Number) -> Value:
        """``base ** self``, a number raised to a Value."""
        return _constant_node(base, _POW) ** self

    @staticmethod
    def _power_by_number_backward(out: Value) -> None:
        a, k = out._a, out._b
        a.grad += k * _power(a.data, k - 1.0) * out.grad  # type: ignore[operator, union-attr, arg-type]

    @staticmethod
    @_rule(_POW)
    def _power_by_value_backward(out: Value) -> None:
        a, b = cast(Value, out._a), cast(Value, out._b)
        if a.data <= 0.0:
            raise ValueError(
                "the gradient of a ** b with respect to the exponent b needs "
                f"a positive base (it is a**b * ln a); the base is {a.data!r}. "
                "Raise to a plain number instead if the exponent is a constant."
            )
        a.grad += b.data * out.data / a.data * out.grad
        b.grad += out.data * math.log(a.data) * out.grad

    # -- functions of one value ---------------------------------------------

    def tanh(self) -> Value:
        """Hyperbolic tangent; d/da = 1 - tanh(a)**2.

        >>> Value(1000.0).tanh().data
        1.0
        """
        return _node(math.tanh(self.data), _TANH, self)

    @staticmethod
    @_rule(_TANH)
    def _tanh_backward(out: Value) -> None:
        out._a.grad += (1.0 - out.data * out.data) * out.grad  # type: ignore[union-attr]

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
                f"float (the node is {self._describe()})"
            ) from None
        return _node(result, _EXP, self)

    @staticmethod
    @_rule(_EXP)
    def _exp_backward(out: Value) -> None:
        out._a.grad += out.data * out.grad  # type: ignore[union-attr]

    def log(self) -> Value:
        """The natural logarithm; d/da = 1/a. Defined for positive values only.

        >>> Value(1.0).log().data
        0.0
        """
        if self.data <= 0.0:
            raise ValueError(
                f"log is defined only for positive values; {self._describe()} "
                f"has data {self.data!r}"
            )
        return _node(math.log(self.data), _LOG, self)

    @staticmethod
    @_rule(_LOG)
    def _log_backward(out: Value) -> None:
        a = out._a
        a.grad += out.grad / a.data  # type: ignore[union-attr]

    def relu(self) -> Value:
        """max(0, a); d/da = 1 where a > 0, else 0.

        >>> Value(-2.0).relu().data, Value(3.0).relu().data
        (0.0, 3.0)
        """
        return _node(self.data if self.data > 0.0 else 0.0, _RELU, self)

    @staticmethod
    @_rule(_RELU)
    def _relu_backward(out: Value) -> None:
        if out.data > 0.0:
            out._a.grad += out.grad  # type: ignore[union-attr]

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
        return _node(s, _SIGMOID, self)

    @staticmethod
    @_rule(_SIGMOID)
    def _sigmoid_backward(out: Value) -> None:
        s = out.data
        out._a.grad += s * (1.0 - s) * out.grad  # type: ignore[union-attr]

    # -- back-propagation ----------------------------------------------------

    def _backward(self) -> None:
        """Apply this node's local derivatives once: pass ``grad`` to the children.

        This is the single step that ``backward()`` repeats over the whole
        graph, from the output back to the leaves.

        >>> x, y = Value(3.0), Value(4.0)
        >>> z = x * y
        >>> z.grad = 1.0
        >>> z._backward()
        >>> x.grad, y.grad
        (4.0, 3.0)
        """
        if self._a is None:
            return
        rule = _RULES.get(self._op)
        if rule is None:
            raise ValueError(
                f"no derivative rule for the operation {self._op!r} of "
                f"{self._describe()}; build nodes with the operators and methods "
                "of Value"
            )
        rule(self)

    def backward(self) -> None:
        """Compute the gradient of this node with respect to every node below it.

        The graph is ordered without recursion, so a chain of a million
        nodes is fine. The gradients of interior nodes are reset before each
        call; the leaves accumulate, so set each leaf's ``grad = 0.0`` between
        training steps (``zero_grad()`` of a :class:`~autograd.nn.Module` or of
        :class:`~autograd.nn.SGD` does that for their parameters).

        >>> a = Value(3.0)
        >>> b = a + a
        >>> b.backward()
        >>> a.grad
        2.0
        """
        # The walk makes no reference cycles, so the cyclic garbage collector
        # has nothing to find; pausing it saves a scan of the whole graph.
        collecting = gc.isenabled()
        gc.disable()
        try:
            order = topological_order(self)
            for node in order:
                if node._a is not None:
                    node.grad = 0.0
            self.grad += 1.0
            rules = _RULES
            for node in reversed(order):
                if node._a is None:
                    continue
                rule = rules.get(node._op)
                if rule is None:
                    node._backward()  # raises the error that names the operation
                else:
                    rule(node)
        finally:
            if collecting:
                gc.enable()

    def _describe(self) -> str:
        name = f"'{self.label}'" if self.label else "a Value"
        return f"{name} (data={self.data!r})"


def _node(data: float, op: str, a: Value | None, b: Value | float | None = None) -> Value:
    """Make an interior node without re-checking what the operation computed."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = a
    out._b = b
    return out


_new = object.__new__


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


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each after its children.

    The walk uses an explicit stack (no recursion) and visits children in
    operand order, so the order is the same in every run.

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
        b = node._b
        if b is not None and type(b) is not float and b not in visited:
            push((b, False))  # type: ignore[arg-type]
        a = node._a
        if a is not None and a not in visited:
            push((a, False))
    return order
