"""A neural network drawn as layers of neurons, with its weights as edges.

`draw_network` reads any model whose ``.layers`` each have ``.neurons`` with
weights ``.w`` and a bias ``.b`` (`autograd.nn.MLP`, or a lesson's own
classes of the same shape) and draws it with the drawings' face and colours;
`describe_network` says the same in words. `network_diagram` wraps a model so
that `autograd.drawing.draw_dot`, `autograd.drawing.describe_graph` and the
``value-graph`` directive take it where they take a node.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from autograd import drawing, graph
from autograd.drawing import ValueGraph
from autograd.graph import GraphTooLargeError

__all__ = ["NetworkDiagram", "describe_network", "draw_network", "network_diagram"]


@dataclass(frozen=True)
class _Layout:
    """A network read by duck typing: each layer's neurons as (weights, bias)."""

    layers: list[list[tuple[list[float], float]]]
    kinds: list[str]  # each layer's nonlinearity, where the neurons say ("" if not)

    @property
    def inputs(self) -> int:
        return len(self.layers[0][0][0])


def _read_network(model: object) -> _Layout:
    """The layers, neurons, weights and biases of ``model``, checked for a consistent shape."""
    layers = getattr(model, "layers", None)
    if layers is None and hasattr(model, "neurons"):
        layers = [model]  # a single layer
    try:
        read = [
            [([float(w.data) for w in neuron.w], float(neuron.b.data)) for neuron in layer.neurons]
            for layer in (layers or ())
        ]
    except (AttributeError, TypeError):
        read = []
    if not read or not all(read) or not read[0][0][0]:
        raise TypeError(
            "draw_network needs a network whose .layers each have .neurons with weights .w "
            f"and a bias .b (an autograd.nn.MLP or a Layer, say), got {type(model).__name__}"
        )
    width = len(read[0][0][0])
    for number, layer in enumerate(read, start=1):
        for weights, _ in layer:
            if len(weights) != width:
                raise ValueError(
                    f"layer {number} has a neuron with {len(weights)} weights, "
                    f"but {width} values feed it"
                )
        width = len(layer)
    kinds = []
    for layer in layers or ():
        found = {str(getattr(neuron, "nonlinearity", "")) for neuron in layer.neurons}
        kinds.append(found.pop() if len(found) == 1 else "")
    return _Layout(read, kinds)


def _activations(model: object, inputs: Sequence[float]) -> list[list[float]]:
    """Each neuron's output for ``inputs``, layer by layer, from the neurons' own calls."""
    expected = _read_network(model).inputs
    if len(inputs) != expected:
        raise ValueError(f"the network takes {expected} inputs, got {len(inputs)}")
    values: list[float] = [float(x) for x in inputs]
    result = []
    layers = getattr(model, "layers", None) or [model]
    for layer in layers:
        outputs = [neuron(values) for neuron in layer.neurons]
        values = [float(getattr(out, "data", out)) for out in outputs]
        result.append(values)
    return result


class NetworkDiagram:
    """A network to draw as layers of neurons; `draw_dot` draws it with `draw_network`.

    It has the fields of a `GraphNode` (its ``data`` is the network's first
    output for ``inputs``, or 0 without them; it has no children), so it goes
    wherever a node to draw is expected, the ``value-graph`` directive of
    the lessons included. Make one with `network_diagram`.
    """

    data: float
    grad: float
    _op: str = "network"

    def __init__(self, model: object, inputs: Sequence[float] | None = None) -> None:
        _read_network(model)  # fails now, not when drawn, if it is not a network
        self.model = model
        self.inputs = None if inputs is None else [float(x) for x in inputs]
        self.data = _activations(model, self.inputs)[-1][0] if self.inputs is not None else 0.0
        self.grad = 0.0

    @property
    def _prev(self) -> tuple[()]:
        return ()

    def __repr__(self) -> str:
        return f"network_diagram({type(self.model).__name__})"

    def draw(
        self,
        format: str = "svg",
        rankdir: Literal["LR", "TB"] = "LR",
        *,
        max_nodes: int = graph.MAX_NODES,
        graph_id: str = "graph",
    ) -> ValueGraph:
        """What `autograd.drawing.draw_dot` draws for this view: `draw_network`."""
        return draw_network(
            self.model, self.inputs, format, rankdir, max_nodes=max_nodes, graph_id=graph_id
        )

    def describe(self) -> str:
        """What `autograd.drawing.describe_graph` says of this view: `describe_network`."""
        return describe_network(self.model, self.inputs)


def network_diagram(model: object, inputs: Sequence[float] | None = None) -> NetworkDiagram:
    """``model`` as a node that `draw_dot` draws as a network: see `draw_network`.

    >>> from autograd import draw_dot
    >>> from autograd.nn import MLP
    >>> model = MLP(2, [3, 1], seed=0)
    >>> diagram = network_diagram(model)
    >>> draw_dot(diagram, graph_id="net").source == draw_network(model, graph_id="net").source
    True
    """
    return NetworkDiagram(model, inputs)


_WEIGHT_COLORS = {True: "#1f6fb5", False: "#c0392b"}  # positive, negative: as gradients


def _layer_names(count: int) -> list[str]:
    if count == 1:
        return ["output"]
    return [f"layer {n}" for n in range(1, count)] + ["output"]


def draw_network(
    model: object,
    inputs: Sequence[float] | None = None,
    format: str = "svg",
    rankdir: Literal["LR", "TB"] = "LR",
    *,
    max_nodes: int = graph.MAX_NODES,
    graph_id: str = "network",
) -> ValueGraph:
    """Draw a multi-layer perceptron as layers of neurons joined by its weights.

    ``model`` is read by duck typing: ``model.layers``, each with
    ``.neurons``, each with weights ``.w`` and a bias ``.b`` (nodes with a
    ``data``), as in `autograd.nn.MLP` or a lesson's own classes; a single
    layer (an object with ``.neurons``) is drawn too. The inputs are boxes,
    each neuron a circle, one column per layer. Each line is one weight: blue
    and solid when positive, red and dashed when negative, thicker the larger
    it is. With ``inputs``, the boxes show them and each neuron shows its
    output for them, computed by calling the neurons. Hovering shows each
    weight, and each neuron's bias.

    >>> from autograd.nn import MLP
    >>> model = MLP(3, [4, 4, 1], seed=1)
    >>> drawing = draw_network(model, [2.0, 3.0, -1.0])
    >>> sum(" -> " in line and "style=invis" not in line for line in drawing.source.splitlines())
    32
    >>> drawing.titles["network_l1n1"].startswith("layer 1, neuron 1: bias 0, output")
    True
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    layout = _read_network(model)
    count = layout.inputs + sum(len(layer) for layer in layout.layers)
    if count > max_nodes:
        raise GraphTooLargeError(
            f"the network has {count} inputs and neurons, more than {max_nodes}, too many "
            "to draw legibly; pass a larger max_nodes to draw it anyway"
        )
    outputs = _activations(model, inputs) if inputs is not None else None
    largest = max(abs(w) for layer in layout.layers for ws, _ in layer for w in ws) or 1.0
    font = {"fontname": drawing.FONT, "fontsize": str(drawing.FONT_SIZE)}
    dot = ValueGraph(
        name=graph_id,
        format=format,
        graph_attr={
            "rankdir": rankdir,
            "id": graph_id,
            "bgcolor": "transparent",
            "ranksep": "1.1" if rankdir == "LR" else "0.8",
            "nodesep": "0.18",
            "splines": "line",
            **font,
        },
        node_attr=font,
        edge_attr={"arrowhead": "none", **font},
    )
    names = _layer_names(len(layout.layers))
    dot.titles = {graph_id: f"A network: {describe_network(model)}"}
    columns: list[list[tuple[str, str]]] = []  # each column's nodes: (DOT name, words)
    header_ids = ["inputs", *names]
    with dot.subgraph(name="column0") as column:
        column.attr(rank="same")
        column.node("h0", label="inputs", shape="plaintext", group="headers", id=f"{graph_id}_h0")
        ids: list[tuple[str, str]] = []
        for i in range(layout.inputs):
            text = f"x{i + 1}" if inputs is None else f"x{i + 1} = {graph.number(float(inputs[i]))}"
            node_id = f"{graph_id}_x{i + 1}"
            column.node(
                f"x{i + 1}",
                label=drawing._escape(text),
                shape="box",
                style="filled",
                fillcolor=drawing._FILL["leaf"],
                color="#4a4a4a",
                id=node_id,
                **{"class": "input leaf"},
            )
            dot.titles[node_id] = f"input {i + 1}" + (
                "" if inputs is None else f": {graph.number(float(inputs[i]))}"
            )
            ids.append((f"x{i + 1}", f"input {i + 1}"))
        columns.append(ids)
    for number, layer in enumerate(layout.layers, start=1):
        last = number == len(layout.layers)
        with dot.subgraph(name=f"column{number}") as column:
            column.attr(rank="same")
            header = names[number - 1]
            kind = layout.kinds[number - 1]
            column.node(
                f"h{number}",
                label=header if not kind else f"{header} ({kind})",
                shape="plaintext",
                group="headers",
                id=f"{graph_id}_h{number}",
            )
            ids = []
            for index, (_, bias) in enumerate(layer, start=1):
                name = f"l{number}n{index}"
                node_id = f"{graph_id}_{name}"
                label = "" if outputs is None else f"{outputs[number - 1][index - 1]:.2f}"
                column.node(
                    name,
                    label=label,
                    shape="doublecircle" if last else "circle",
                    fixedsize="true",
                    width="0.62",
                    color="#4a4a4a",
                    id=node_id,
                    **{"class": f"neuron {'output' if last else 'interior'}"},
                )
                title = f"layer {number}, neuron {index}: bias {graph.number(bias)}"
                if outputs is not None:
                    title += f", output {graph.number(outputs[number - 1][index - 1])}"
                dot.titles[node_id] = title
                ids.append((name, f"layer {number}, neuron {index}"))
            columns.append(ids)
    for number in range(len(header_ids) - 1):  # keep the headers in one line, in order
        dot.edge(f"h{number}", f"h{number + 1}", style="invis", weight="10")
    for number, column_nodes in enumerate(columns):  # each column in order, its header first
        chain = [f"h{number}", *(name for name, _ in column_nodes)]
        for upper, lower in itertools.pairwise(chain):
            dot.edge(upper, lower, style="invis")
    for number, layer in enumerate(layout.layers, start=1):
        sources = columns[number - 1]
        for index, (weights, _) in enumerate(layer, start=1):
            for (source, source_words), weight in zip(sources, weights, strict=True):
                edge_id = f"{graph_id}_w{number}_{index}_{source}"
                positive = weight >= 0
                attributes = {
                    "id": edge_id,
                    "color": _WEIGHT_COLORS[positive],
                    "penwidth": f"{0.6 + 2.6 * abs(weight) / largest:.2f}",
                    "class": "weight positive" if positive else "weight negative",
                }
                if not positive:
                    attributes["style"] = "dashed"
                dot.edge(source, f"l{number}n{index}", **attributes)
                where = f"layer {number}, neuron {index}"
                dot.titles[edge_id] = f"{source_words} → {where}: weight {graph.number(weight)}"
    return dot


def describe_network(model: object, inputs: Sequence[float] | None = None) -> str:
    """Say in words what `draw_network` draws: the layers, and how many weights of each sign.

    >>> from autograd.nn import MLP
    >>> describe_network(MLP(3, [4, 4, 1], seed=1))  # doctest: +ELLIPSIS
    'A network with 3 inputs, a layer of 4 neurons, a layer of 4 neurons and an output ...'
    """
    layout = _read_network(model)
    parts = [f"{layout.inputs} input{'s' if layout.inputs != 1 else ''}"]
    for number, layer in enumerate(layout.layers, start=1):
        last = number == len(layout.layers)
        size = len(layer)
        if last:
            parts.append("an output neuron" if size == 1 else f"an output layer of {size} neurons")
        else:
            parts.append(f"a layer of {size} neuron{'s' if size != 1 else ''}")
    weights = [w for layer in layout.layers for ws, _ in layer for w in ws]
    positive = sum(w >= 0 for w in weights)
    text = f"A network with {', '.join(parts[:-1])} and {parts[-1]}"
    text += (
        f"; {len(weights)} weights ({positive} positive, {len(weights) - positive} negative) "
        f"and {sum(len(layer) for layer in layout.layers)} biases."
    )
    if inputs is not None:
        outputs = _activations(model, inputs)[-1]
        shown = ", ".join(graph.number(x) for x in inputs)
        text += f" For the inputs {shown} it outputs {', '.join(graph.number(y) for y in outputs)}."
    return text
