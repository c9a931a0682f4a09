"""Graphs of the lessons that several test modules build."""

from autograd import Value


def lesson_L() -> tuple[Value, dict[str, Value]]:
    """L = (a*b + c) * f with every value labelled, as lessons 3 and 4 build it."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
