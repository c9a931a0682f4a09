"""One formula renderer: a drawing's names and a description's formulas say the same thing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from autograd import Value, describe_graph, draw_dot, graph
from autograd.graph import Formula, formula, numeral


def _xyz() -> tuple[Value, Value, Value]:
    return Value(2.0, label="x"), Value(-3.0, label="y"), Value(0.5, label="z")


def _lesson_example() -> Value:
    x = _xyz()[0]
    return (-x).tanh() * x**2 + x / 3


def _shared_product() -> Value:
    x, y, _ = _xyz()
    t = x * y
    return t * t + t


def _shared_sum_under_tanh() -> Value:
    x, y, z = _xyz()
    t = x + y
    u = t / z
    return (u * t).tanh() - u


def _labelled_inside() -> Value:
    x, y, z = _xyz()
    e = x * y
    e.label = "e"
    d = -(e + z)
    d.label = "d"
    return d**2 / x


def _neuron() -> Value:
    x, y, z = _xyz()
    return Value.dot([x, y], [z, -x], Value(1.0, label="b")).tanh()


GRAPHS: dict[str, Callable[[], Value]] = {
    "neg": lambda: -_xyz()[0],
    "neg of a product": lambda: -(_xyz()[0] * _xyz()[1]),
    "neg of a neg": lambda: (-_xyz()[0]).__neg__(),
    "power of a neg": lambda: (-_xyz()[0]) ** 2,
    "neg of a power": lambda: -(_xyz()[0] ** 2),
    "power of a product": lambda: (_xyz()[0] * 3) ** 3,
    "a negative constant": lambda: _xyz()[0] * -2 + 1,
    "division chain": lambda: _xyz()[0] / _xyz()[1] / _xyz()[2],
    "division of a division": lambda: _xyz()[0] / (_xyz()[1] / _xyz()[2]),
    "division by a product": lambda: _xyz()[0] / (_xyz()[1] * _xyz()[2]),
    "sum over a quotient": lambda: (_xyz()[0] + _xyz()[1]) / _xyz()[2],
    "difference of differences": lambda: _xyz()[0] - (_xyz()[1] - _xyz()[2]) - 1,
    "sum": lambda: Value.sum([*_xyz(), Value(4.0) * 2]),
    "dot": lambda: Value.dot(list(_xyz()[:2]), [_xyz()[2], Value(4.0)], 0.5),
    "nested tanh": lambda: (_xyz()[0] * 3).tanh().tanh(),
    "tanh of a sum times": lambda: ((_xyz()[0] + _xyz()[1]).tanh() * _xyz()[2]).tanh(),
    "lesson example": _lesson_example,
    "unlabelled leaves": lambda: (Value(2.0) * Value(3.0)).exp() - Value(1.0),
    "labelled inside": _labelled_inside,
    "labelled output": lambda: _with_label(_xyz()[0] * _xyz()[1] + 1, "L"),
    "shared product": _shared_product,
    "shared sum under tanh": _shared_sum_under_tanh,
    "neuron": _neuron,
}


def _with_label(value: Value, label: str) -> Value:
    value.label = label
    return value


def _sentences(description: str) -> dict[str, str]:
    """What a description says each named value is: ``{"L": "d * f", ...}``."""
    said = description.split(". Gradients")[0]
    said = said.rpartition("; ")[0]  # the output's value ends it
    said = said.split(", where ")[0]  # then the leaves' values
    return dict(sentence.split(" = ", 1) for sentence in said.split("; "))


def _named_by_description(root: Value) -> dict[str, Value]:
    """The values a description names: labels, ``output``, and ``t1``, ``t2``... if shared."""
    walk = graph.walk(root, None)
    uses = Counter(id(child) for child, _ in walk.edges)
    shared = [
        node
        for node in walk.nodes
        if node is not root
        and not graph.label(node)
        and walk.children[id(node)]
        and uses[id(node)] > 1
        and not graph.is_constant(node)
    ]
    named = {f"t{number}": node for number, node in enumerate(shared, start=1)}
    named |= {graph.label(node): node for node in walk.nodes if graph.label(node)}
    named.setdefault("output", root)
    return named


def _drawn_formula(root: Value, node: Value, names: dict[str, Value]) -> str:
    """The drawing's name of ``node`` unlabelled, its shared values named as described."""
    saved = {id(each): each.label for each in names.values()}
    try:
        for name, each in names.items():
            if name.startswith("t"):
                each.label = name
        node.label = ""
        index = graph.trace(root)[0].index(node)
        title = draw_dot(root).titles[f"graph_n{index}"]
    finally:
        for each in names.values():
            each.label = saved[id(each)]
    return title.split(": data ")[0]


@pytest.mark.parametrize("make", GRAPHS.values(), ids=GRAPHS.keys())
def test_the_drawing_names_each_value_by_the_formula_the_description_gives(
    make: Callable[[], Value],
) -> None:
    root = make()
    names = _named_by_description(root)
    sentences = _sentences(describe_graph(root))
    assert sentences, "the description says how the output was computed"
    for name, said in sentences.items():
        drawn = _drawn_formula(root, names[name], names)
        assert "…" not in drawn  # short enough to be drawn whole
        assert drawn == said.replace(" * ", "*").replace(" / ", "/"), name


@pytest.mark.parametrize(
    ("make", "drawn", "described"),
    [
        (
            GRAPHS["lesson example"],
            "tanh(-x)*x**2 + x/3",
            "output = tanh(-x) * x**2 + x / 3, where x = 2; output = -3.1894.",
        ),
        (
            GRAPHS["division of a division"],
            "x/(y/z)",
            "output = x / (y / z), where x = 2, y = -3, z = 0.5; output = -0.3333.",
        ),
        (
            GRAPHS["nested tanh"],
            "tanh(tanh(x*3))",
            "output = tanh(tanh(x * 3)), where x = 2; output = 0.7616.",
        ),
        (
            GRAPHS["shared product"],
            "x*y*x*y + x*y",
            "output = t1 * t1 + t1; t1 = x * y, where x = 2, y = -3; output = 30.",
        ),
        (GRAPHS["power of a neg"], "(-x)**2", "output = (-x)**2, where x = 2; output = 4."),
        (GRAPHS["neg of a neg"], "-(-x)", "output = -(-x), where x = 2; output = 2."),
    ],
)
def test_drawing_and_description_write_parentheses_only_where_needed(
    make: Callable[[], Value], drawn: str, described: str
) -> None:
    root = make()
    assert graph.names(graph.walk(root, None))[id(root)] == drawn
    assert describe_graph(root) == described


def test_a_formula_is_spaced_only_around_products_and_quotients() -> None:
    x, y = Formula("x"), Formula("y")
    for spaced, product in ((False, "x*y - x/y"), (True, "x * y - x / y")):
        written = formula(
            "-", [formula("*", [x, y], spaced=spaced), formula("/", [x, y], spaced=spaced)]
        )
        assert written.text == product
    assert formula("*", [x, numeral(-2.0)], spaced=True).text == "x * -2"
    assert formula("**3", [numeral(-2.0)]).text == "(-2)**3"
    assert formula("max", [x, y]).text == "max(x, y)"  # an operation the renderer does not know
