"""Edge labels (local derivatives on a graph's edges) and drawings of networks.

Every expected number here comes from somewhere other than the code under
test: derivatives worked out by hand or estimated by central differences of
plain-float functions, network outputs recomputed from the weights with
``math.tanh``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
from lesson_graphs import lesson_L

from autograd import Value, describe_graph, draw_dot, trace
from autograd.drawing import EdgeLabelledGraph, local_derivatives, with_edge_labels
from autograd.graph import GraphNode, GraphTooLargeError
from autograd.network import NetworkDiagram, describe_network, draw_network, network_diagram
from autograd.nn import MLP, Layer

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def wasm_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lay out with the Graphviz the site builds with, whatever the system has."""
    monkeypatch.setenv("AUTOGRAD_GRAPHVIZ", "wasm")


def central(f: Callable[..., float], args: list[float], i: int, h: float = 1e-6) -> float:
    """∂f/∂args[i] by a central difference."""
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# (name, builder on Values, the same function on floats, the operands)
OPERATIONS: list[tuple[str, Callable[..., Value], Callable[..., float], list[float]]] = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [2.0, -3.0]),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [2.0, -3.0]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [2.0, -3.0]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [2.0, -3.0]),
    ("pow-value", lambda a, b: a**b, lambda a, b: a**b, [1.5, 2.5]),
    ("pow-number", lambda a: a**3, lambda a: a**3, [1.5]),
    ("neg", lambda a: -a, lambda a: -a, [1.5]),
    ("tanh", lambda a: a.tanh(), math.tanh, [0.7]),
    ("exp", lambda a: a.exp(), math.exp, [0.7]),
    ("log", lambda a: a.log(), math.log, [0.7]),
    ("relu", lambda a: a.relu(), lambda a: max(a, 0.0), [0.7]),
    ("sigmoid", lambda a: a.sigmoid(), sigmoid, [0.7]),
    ("sum", lambda a, b, c: Value.sum([a, b, c]), lambda a, b, c: a + b + c, [1.0, 2.0, 3.0]),
    (
        "dot",
        lambda w1, x1, w2, x2, b: Value.dot([w1, w2], [x1, x2], b),
        lambda w1, x1, w2, x2, b: w1 * x1 + w2 * x2 + b,
        [-3.0, 2.0, 1.0, 0.5, 6.5],
    ),
]


@pytest.mark.parametrize(
    ("build", "plain", "operands"),
    [operation[1:] for operation in OPERATIONS],
    ids=[operation[0] for operation in OPERATIONS],
)
def test_local_derivatives_match_central_differences(
    build: Callable[..., Value], plain: Callable[..., float], operands: list[float]
) -> None:
    leaves = [Value(x) for x in operands]
    node = build(*leaves)
    expected = [central(plain, operands, i) for i in range(len(operands))]
    assert local_derivatives(node) == pytest.approx(expected, rel=1e-6, abs=1e-8)
    assert [leaf.grad for leaf in leaves] == [0.0] * len(leaves)  # nothing was written


def test_a_child_used_twice_gets_a_number_per_use() -> None:
    a = Value(3.0)
    assert local_derivatives(a * a) == [3.0, 3.0]  # d(u*v)/du = v, d(u*v)/dv = u
    assert local_derivatives(a - a) == [1.0, -1.0]
    assert local_derivatives(Value(2.0)) == []


def test_a_plain_number_operand_gets_its_local_derivative_too() -> None:
    x = Value(4.0, label="x")
    assert local_derivatives(x * 2.5) == [2.5, 4.0]  # children (x, Constant(2.5))
    assert local_derivatives(1.0 - x) == [1.0, -1.0]


def test_the_lesson_graph_is_labelled_with_the_hand_derived_rates() -> None:
    L, v = lesson_L()
    source = draw_dot(L, edge_labels=True).source
    index = {node: f"n{i}" for i, node in enumerate(trace(L)[0])}
    labels = dict(re.findall(r"(n\d+ -> n\d+op) \[label=(\S+)", source))
    # d(a*b)/da = b, d(a*b)/db = a, d(e+c)/de = d(e+c)/dc = 1, d(d*f)/dd = f, d(d*f)/df = d
    expected = {
        ("a", "e"): "-3",
        ("b", "e"): "2",
        ("e", "d"): "1",
        ("c", "d"): "1",
        ("d", "L"): "-2",
        ("f", "L"): "4",
    }
    nodes = {**v, "L": L}
    found = {
        (child, parent): labels[f"{index[nodes[child]]} -> {index[nodes[parent]]}op"]
        for child, parent in expected
    }
    assert found == expected
    assert len(labels) == 6
    assert "label=" not in "".join(
        line for line in draw_dot(L).source.splitlines() if " -> " in line
    )


def path_sum(root: Value, leaf: Value) -> float:
    """The sum, over every path from ``leaf`` up to ``root``, of the product of its rates."""
    if root is leaf:
        return 1.0
    children = list(root._prev)
    return sum(
        rate * path_sum(child, leaf)
        for child, rate in zip(children, local_derivatives(root), strict=True)
        if rate is not None
    )


def test_rates_multiply_along_a_path_and_paths_add() -> None:
    L, v = lesson_L()
    L.backward()
    assert [path_sum(L, v[name]) for name in "abcf"] == [6.0, -4.0, -2.0, 4.0]  # lesson 4
    # f = (a*b) * (a+b) at a = -2, b = 3: each leaf has two paths.
    # df/da = b(a+b) + ab = 3 - 6 = -3; df/db = a(a+b) + ab = -2 - 6 = -8.
    a, b = Value(-2.0), Value(3.0)
    f = (a * b) * (a + b)
    f.backward()
    assert (path_sum(f, a), path_sum(f, b)) == (-3.0, -8.0) == (a.grad, b.grad)


class ClosureValue:
    """A micrograd-style node whose backward rule is a closure, as lessons write it."""

    def __init__(self, data: float, children: tuple[Any, ...] = (), op: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._prev = children
        self._op = op
        self._backward: Callable[[], None] = lambda: None

    def __mul__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data * other.data, (self, other), "*")

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out


def test_a_class_with_closures_is_labelled_by_its_own_rules_and_left_as_it_was() -> None:
    x, y = ClosureValue(3.0), ClosureValue(-2.0)
    x.grad, y.grad = 0.25, 0.5
    z = x * y
    z.grad = 7.0
    assert local_derivatives(z) == [-2.0, 3.0]
    assert (x.grad, y.grad, z.grad) == (0.25, 0.5, 7.0)
    # A child used twice: only the total of its two uses is seen, so no label.
    assert local_derivatives(x * x) == [None, None]
    source = draw_dot(x * x, edge_labels=True).source
    assert "label=" not in "".join(line for line in source.splitlines() if "-> n0op" in line)


def test_a_node_without_a_backward_rule_has_no_labels() -> None:
    class Tiny:
        def __init__(self, data: float, children: tuple[Any, ...] = ()) -> None:
            self.data, self.grad, self._prev, self._op = data, 0.0, children, "+"

    root = Tiny(3.0, (Tiny(1.0), Tiny(2.0)))
    assert local_derivatives(root) == [None, None]
    edges = [line for line in draw_dot(root, edge_labels=True).source.splitlines() if "->" in line]
    assert len(edges) == 3 and not any("label=" in line for line in edges)
    unregistered = Value(1.0, (Value(2.0),), "no-such-operation")
    assert local_derivatives(unregistered) == [None]


def test_a_dot_product_edge_shows_its_pair_and_its_rate() -> None:
    from autograd.nn import Neuron

    neuron = Neuron(2, "linear", seed=0)
    out = neuron([2.0, -1.0])
    source = draw_dot(out, edge_labels=True).source
    labels = re.findall(r'-> n0op \[label="([^"]*)"', source)
    pairs = [(label.split(": ")[0], float(label.split(": ")[1])) for label in labels]
    w1, w2 = (w.data for w in neuron.w)
    # d(w1*x1 + w2*x2 + b)/dw1 = x1, .../dx1 = w1, and so on; .../db = 1.
    expected = [("1", 2.0), ("1", w1), ("2", -1.0), ("2", w2), ("b", 1.0)]
    assert [name for name, _ in pairs] == [name for name, _ in expected]
    assert [rate for _, rate in pairs] == pytest.approx([r for _, r in expected], abs=5e-5)


def test_the_edge_label_view_stands_for_its_root() -> None:
    L, v = lesson_L()
    L.backward()
    view = with_edge_labels(L)
    assert isinstance(view, GraphNode) and isinstance(view, EdgeLabelledGraph)
    assert (view.data, view.grad, view._op, list(view._prev), view.label) == (
        -8.0,
        1.0,
        "*",
        [v["d"], v["f"]],
        "L",
    )
    assert draw_dot(view).source == draw_dot(L, edge_labels=True).source
    assert describe_graph(view, gradients=True).endswith(
        "Local derivatives: ∂L/∂d = -2, ∂L/∂f = 4, ∂d/∂e = 1, ∂d/∂c = 1, ∂e/∂a = -3, ∂e/∂b = 2."
    )
    with pytest.raises(TypeError, match="graph node"):
        with_edge_labels(3.0)  # type: ignore[arg-type]


def test_edge_labels_are_drawn_as_text_in_the_svg() -> None:
    L, _ = lesson_L()
    tree = ElementTree.fromstring(draw_dot(L, edge_labels=True, graph_id="g").svg())
    edge_texts = sorted(
        text.text or ""
        for group in tree.iter(f"{SVG}g")
        if "edge" in group.get("class", "").split()
        for text in group.iter(f"{SVG}text")
    )
    assert edge_texts == sorted(["-3", "2", "1", "1", "-2", "4"])
    titles = [t.text for t in tree.iter(f"{SVG}title")]
    assert "a → e: ∂e/∂a = -3" in titles


# -- networks -----------------------------------------------------------------------


class LessonNeuron:
    """Lesson 11's own neuron: tanh(w · x + b), no nonlinearity attribute."""

    def __init__(self, n_inputs: int, rng: random.Random) -> None:
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(n_inputs)]
        self.b = Value(rng.uniform(-1, 1))

    def __call__(self, x: list[float]) -> Value:
        total = self.b
        for w_i, x_i in zip(self.w, x, strict=True):
            total = total + w_i * x_i
        return total.tanh()


class LessonLayer:
    def __init__(self, n_inputs: int, n_outputs: int, rng: random.Random) -> None:
        self.neurons = [LessonNeuron(n_inputs, rng) for _ in range(n_outputs)]


class LessonMLP:
    def __init__(self, n_inputs: int, sizes: list[int], seed: int) -> None:
        rng = random.Random(seed)
        widths = [n_inputs, *sizes]
        self.layers = [LessonLayer(widths[i], widths[i + 1], rng) for i in range(len(sizes))]


def by_hand(model: LessonMLP, x: list[float]) -> list[list[float]]:
    """Each neuron's output, from the weights with math.tanh."""
    outputs = []
    for layer in model.layers:
        x = [
            math.tanh(sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data)
            for n in layer.neurons
        ]
        outputs.append(x)
    return outputs


def weight_edges(source: str) -> list[str]:
    return [line for line in source.splitlines() if " -> " in line and "invis" not in line]


@pytest.mark.parametrize("kind", ["library", "lesson"])
def test_every_weight_is_one_edge_coloured_dashed_and_thickened_by_it(kind: str) -> None:
    model = MLP(3, [4, 4, 1], seed=1) if kind == "library" else LessonMLP(3, [4, 4, 1], seed=1)
    source = draw_network(model).source
    edges = weight_edges(source)
    weights = [n.w for layer in model.layers for n in layer.neurons]
    flat = [w.data for ws in weights for w in ws]
    assert len(edges) == len(flat) == 32
    for line in edges:
        match = re.search(r"(\w+) -> l(\d+)n(\d+)", line)
        assert match
        source_node, layer, neuron = match[1], int(match[2]), int(match[3])
        position = int(source_node[1:]) if source_node.startswith("x") else int(source_node[3:])
        weight = model.layers[layer - 1].neurons[neuron - 1].w[position - 1].data
        assert ("#1f6fb5" in line) == (weight >= 0)
        assert ("dashed" in line) == (weight < 0)
        width = float(re.search(r"penwidth=([\d.]+)", line)[1])  # type: ignore[index]
        assert width == pytest.approx(0.6 + 2.6 * abs(weight) / max(map(abs, flat)), abs=0.006)


def test_neurons_show_their_outputs_recomputed_by_hand() -> None:
    model = LessonMLP(3, [4, 4, 1], seed=1)
    x = [2.0, 3.0, -1.0]
    drawing = draw_network(model, x)
    labels = dict(re.findall(r"\b(l\d+n\d+) \[label=\"?(-?[\d.]+)", drawing.source))
    expected = {
        f"l{i}n{j}": f"{value:.2f}"
        for i, layer in enumerate(by_hand(model, x), start=1)
        for j, value in enumerate(layer, start=1)
    }
    assert labels == expected
    assert 'x3 [label="x3 = -1"' in drawing.source
    assert network_diagram(model, x).data == pytest.approx(by_hand(model, x)[-1][0])


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_layers_are_columns_with_neurons_in_order(rankdir: str) -> None:
    model = MLP(2, [3, 2], seed=0)
    tree = ElementTree.fromstring(draw_network(model, rankdir=rankdir, graph_id="g").svg())
    centres: dict[str, tuple[float, float]] = {}
    for group in tree.iter(f"{SVG}g"):
        shape = group.find(f"{SVG}ellipse")
        if shape is not None and group.get("id", "").startswith("g_l"):
            centres[group.get("id", "")[2:]] = (
                float(shape.get("cx", 0)),
                float(shape.get("cy", 0)),
            )
    assert sorted(centres) == ["l1n1", "l1n2", "l1n3", "l2n1", "l2n2"]
    across, along = (0, 1) if rankdir == "LR" else (1, 0)
    # one column (LR) or row (TB) per layer, later layers further along
    assert centres["l1n1"][across] == centres["l1n3"][across] < centres["l2n1"][across]
    # neurons in their own order down the column (LR) or along the row (TB)
    assert centres["l1n1"][along] < centres["l1n2"][along] < centres["l1n3"][along]
    texts = [t.text for t in tree.iter(f"{SVG}text")]
    assert texts[:1] == ["inputs"] and "layer 1 (relu)" in texts and "output (linear)" in texts


def test_a_diagram_is_a_node_that_draw_dot_and_describe_graph_understand() -> None:
    model = MLP(3, [4, 4, 1], seed=1)
    diagram = network_diagram(model)
    assert isinstance(diagram, GraphNode) and isinstance(diagram, NetworkDiagram)
    assert list(diagram._prev) == [] and diagram.data == 0.0
    assert draw_dot(diagram, graph_id="n").source == draw_network(model, graph_id="n").source
    flat = [w.data for p in [n.w for layer in model.layers for n in layer.neurons] for w in p]
    positive = sum(w >= 0 for w in flat)
    assert (
        describe_graph(diagram)
        == describe_network(model)
        == (
            "A network with 3 inputs, a layer of 4 neurons, a layer of 4 neurons and an output "
            f"neuron; 32 weights ({positive} positive, {32 - positive} negative) and 9 biases."
        )
    )


def test_a_single_layer_draws_and_errors_say_what_is_wrong() -> None:
    layer = Layer(2, 3, seed=0)
    assert len(weight_edges(draw_network(layer).source)) == 6
    with pytest.raises(TypeError, match=r"\.layers each have \.neurons"):
        draw_network(Value(1.0))
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        draw_network(MLP(3, [2], seed=0), [1.0, 2.0])
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        network_diagram(LessonMLP(3, [2], seed=0), [1.0, 2.0])
    broken = MLP(3, [2, 2], seed=0)
    broken.layers[1].neurons[0].w.append(Value(0.0))
    with pytest.raises(ValueError, match="layer 2 has a neuron with 3 weights, but 2"):
        draw_network(broken)
    with pytest.raises(GraphTooLargeError, match="more than 10"):
        draw_network(MLP(3, [8, 1], seed=0), max_nodes=10)


def test_the_value_graph_directive_draws_both_views() -> None:
    from autograd.sphinxext.directives import value_graph
    from autograd.sphinxext.drawings import draw_graph

    L, _ = lesson_L()
    for target, expression in (
        (with_edge_labels(L), "with_edge_labels(L)"),
        (network_diagram(MLP(3, [4, 4, 1], seed=1), [2.0, 3.0, -1.0]), "network_diagram(m)"),
    ):
        node = value_graph(expression=expression, rankdir="LR", max_nodes=200, alt="", width="")
        drawn = draw_graph(node, target, "fig")
        assert drawn.svg.startswith("<svg")
        assert describe_graph(target, gradients=True) == drawn.description
    assert "Local derivatives" in describe_graph(with_edge_labels(L), gradients=True)
