"""Random expressions: backward() agrees with central differences."""

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, central_difference

Expression = Callable[[Value, Value], Value]

UNARY: list[tuple[str, Callable[[Value], Value]]] = [
    ("tanh", Value.tanh),
    ("sigmoid", Value.sigmoid),
    ("exp of tanh", lambda v: v.tanh().exp()),
    ("log of square plus one", lambda v: (v * v + 1.0).log()),
    ("square", lambda v: v**2),
    ("negation", lambda v: -v),
]
BINARY: list[tuple[str, Callable[[Value, Value], Value]]] = [
    ("+", lambda a, b: a + b),
    ("-", lambda a, b: a - b),
    ("*", lambda a, b: a * b),
    ("/ by 1+b^2", lambda a, b: a / (b * b + 1.0)),
    ("** positive base", lambda a, b: (a * a + 0.5) ** b.tanh()),
    ("sum", lambda a, b: Value.sum([a, b, a, 1.5])),
    ("dot", lambda a, b: Value.dot([a, b], [b, 0.5], a)),
]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> tuple[str, Expression]:
    if depth == 0 or draw(st.booleans()):
        leaf = draw(st.sampled_from(["x", "y", "2.5"]))
        if leaf == "x":
            return "x", lambda x, y: x
        if leaf == "y":
            return "y", lambda x, y: y
        return "2.5", lambda x, y: Value(2.5)
    if draw(st.booleans()):
        name, unary = draw(st.sampled_from(UNARY))
        text, inner = draw(expressions(depth - 1))
        return f"{name}({text})", lambda x, y: unary(inner(x, y))
    name, binary = draw(st.sampled_from(BINARY))
    left_text, left = draw(expressions(depth - 1))
    right_text, right = draw(expressions(depth - 1))
    return f"({left_text} {name} {right_text})", lambda x, y: binary(left(x, y), right(x, y))


points = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(expressions(), points, points)
def test_backward_matches_central_differences(
    expression: tuple[str, Expression], x0: float, y0: float
) -> None:
    _, f = expression
    x, y = Value(x0), Value(y0)
    f(x, y).backward()
    dx = central_difference(lambda t: f(Value(t), Value(y0)).data, x0, 1e-6)
    dy = central_difference(lambda t: f(Value(x0), Value(t)).data, y0, 1e-6)
    scale = 1.0 + abs(dx) + abs(dy)
    assert abs(x.grad - dx) <= 1e-4 * scale
    assert abs(y.grad - dy) <= 1e-4 * scale
