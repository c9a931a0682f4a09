"""trace, draw_dot, describe_graph and rendering to SVG."""

import re
import subprocess
import sys
import textwrap

import pytest
from lesson_graphs import lesson_L

from autograd import GraphTooLargeError, Value, describe_graph, draw_dot, trace
from autograd.render import render_svg

SVG = "{http://www.w3.org/2000/svg}"


def lesson_graph() -> Value:
    return lesson_L()[0]


def test_trace_lists_each_node_once_and_every_edge() -> None:
    a = Value(1.0, label="a")
    b = a + a
    nodes, edges = trace(b)
    assert nodes == [b, a]
    assert edges == [(a, b), (a, b)]


def test_draw_dot_has_a_record_per_value_and_a_node_per_operation() -> None:
    dot = draw_dot(lesson_graph())
    source = dot.source
    assert source.count("shape=record") == 7
    assert source.count("class=operation") == 3
    assert 'label="L | data -8.0000 | grad 0.0000"' in source
    assert 'label="c | data 10.0000 | grad 0.0000"' in source
    assert "rankdir=LR" in source


def test_draw_dot_marks_gradient_sign_and_node_kind() -> None:
    L = lesson_graph()
    L.backward()
    lines = {line.split()[0]: line for line in draw_dot(L).source.splitlines() if "label=" in line}
    a_line = next(line for line in lines.values() if '"a |' in line)
    b_line = next(line for line in lines.values() if '"b |' in line)
    assert '"value leaf"' in a_line and "#1f6fb5" in a_line  # positive: blue
    assert "#c0392b" in b_line  # negative: red
    assert '"value output"' in lines["n0"]


def test_draw_dot_source_is_the_same_in_another_process() -> None:
    script = textwrap.dedent(
        """
        from autograd import Value, draw_dot
        x = [Value(float(i), label=f"x{i}") for i in range(6)]
        out = ((x[0] * x[1] + x[2]).tanh() * x[3] - x[4] / x[5]).relu()
        out.backward()
        print(draw_dot(out, rankdir="TB").source)
        """
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1


class LessonValue:
    """A lesson's own node class: children in a set, no label required."""

    def __init__(self, data: float, children: tuple = (), op: str = "", label: str = ""):
        self.data, self.grad, self._prev, self._op, self.label = (
            data,
            0.0,
            set(children),
            op,
            label,
        )

    def __mul__(self, other: "LessonValue") -> "LessonValue":
        return LessonValue(self.data * other.data, (self, other), "*")


def test_draw_dot_draws_a_duck_typed_node_in_a_stable_order() -> None:
    a, b = LessonValue(2.0, label="a"), LessonValue(3.0, label="b")
    out = a * b
    source = draw_dot(out).source
    assert source.index('"a |') < source.index('"b |')
    assert "data 6.0000" in source


def test_a_graph_too_large_is_refused_quickly() -> None:
    v = Value(0.0)
    for _ in range(100_000):
        v = v + 1.0
    with pytest.raises(GraphTooLargeError, match="more than 1000 values"):
        draw_dot(v)


def test_not_a_node_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="graph node"):
        draw_dot(3.0)  # type: ignore[arg-type]


def test_bad_rankdir_is_refused() -> None:
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(Value(1.0), rankdir="RL")  # type: ignore[arg-type]


def test_describe_graph_in_words() -> None:
    assert describe_graph(lesson_graph()) == (
        "L = d * f; d = e + c; e = a * b, where a = 2, b = -3, c = 10, f = -2; L = -8."
    )


def test_describe_graph_names_unlabelled_constants_by_value() -> None:
    x = Value(2.0, label="x")
    assert describe_graph((x * 3.0).tanh()) == "output = tanh(x * 3), where x = 2; output = 1."


@pytest.mark.parametrize("backend", ["wasm", pytest.param("dot", marks=pytest.mark.needs("dot"))])
def test_render_svg(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRAD_GRAPHVIZ", backend)
    svg = render_svg(draw_dot(lesson_graph(), graph_id="g1").source)
    assert svg.startswith("<svg")
    assert 'id="g1_n0"' in svg
    assert "grad 0.0000" in svg


def test_wasm_rendering_without_dot_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("AUTOGRAD_GRAPHVIZ", "auto")
    graph = draw_dot(lesson_graph())
    bundle = graph._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")


def test_unknown_backend_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRAD_GRAPHVIZ", "cairo")
    with pytest.raises(ValueError, match="AUTOGRAD_GRAPHVIZ"):
        render_svg("digraph { a }")


class NaryValue:
    """A duck-typed node with the engine's n-ary and constant conventions."""

    def __init__(
        self, data: float, children: tuple = (), op: str = "", label: str = "", constant=False
    ):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, children, op, label
        self._is_constant = constant


def test_an_unlabelled_interior_value_is_named_by_its_formula() -> None:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    source = draw_dot(a * b + c).source
    assert 'label="a*b | data -6.0000' in source
    assert 'label="a*b + c | data 4.0000' in source


def test_a_constant_is_a_small_node_without_a_gradient() -> None:
    x = NaryValue(3.0, label="x")
    one = NaryValue(1.0, constant=True)
    out = NaryValue(4.0, (x, one), "+", "y")
    source = draw_dot(out).source
    constant_line = next(line for line in source.splitlines() if "class=constant" in line)
    assert (
        "label=1 " in constant_line or "label=1\n" in constant_line or "label=1]" in constant_line
    )
    assert "grad" not in constant_line and "shape=box" in constant_line
    assert source.count("shape=record") == 2  # x and y only
    assert describe_graph(out) == "y = x + 1, where x = 3; y = 4."


def test_sum_and_dot_nodes_read_as_formulas() -> None:
    w1, x1 = NaryValue(2.0, label="w1"), NaryValue(3.0, label="x1")
    w2, x2 = NaryValue(-1.0, label="w2"), NaryValue(4.0, label="x2")
    b = NaryValue(0.5, label="b")
    dot = NaryValue(2.5, (w1, x1, w2, x2, b), "dot")
    total = NaryValue(9.0, (w1, x1, x2), "sum")
    assert 'label="w1*x1 + w2*x2 + b | data 2.5000' in draw_dot(dot).source
    assert 'label="w1 + x1 + x2 | data 9.0000' in draw_dot(total).source
    assert describe_graph(dot).startswith("output = w1 * x1 + w2 * x2 + b, where")
    # Each weight and input is marked with its pair's number, the bias with b.
    edge_labels = [
        line.split("label=")[1].split()[0]
        for line in draw_dot(dot).source.splitlines()
        if "->" in line and "label=" in line
    ]
    assert edge_labels == ["1", "1", "2", "2", "b"]


def test_thirty_squarings_of_one_value_draw_and_describe_in_linear_size() -> None:
    v = Value(1.0001, label="x")
    for _ in range(30):
        v = v * v  # each node uses the one below twice: 2**30 paths
    v.label = "y"
    text = describe_graph(v)
    assert len(text) < 2_000
    assert text.startswith("y = t1 * t1; t1 = t2 * t2;")
    assert len(draw_dot(v).source) < 20_000


def test_svg_tooltips_give_label_data_and_grad() -> None:
    L = lesson_graph()
    L.backward()
    svg = draw_dot(L, graph_id="g").svg()
    assert "<title>a: data 2.0000, grad 6.0000</title>" in svg
    assert "<title>Computation graph of L</title>" in svg
    titles = re.findall(r"<title>(.*?)</title>", svg)
    assert not [t for t in titles if re.fullmatch(r"n\d+(op)?(&#45;&gt;n\d+(op)?)?|g", t)]
    assert "e → d" in titles  # an edge says which value feeds which


def test_labels_fit_their_boxes_in_the_shipped_font() -> None:
    from fontTools.ttLib import TTFont

    from autograd.drawing import FONT_FILE, FONT_SIZE

    font = TTFont(FONT_FILE)
    cmap, metrics, units = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    text = "x1*w1 + x2*w2"
    width_pt = sum(metrics[cmap[ord(c)]][0] for c in text) / units * FONT_SIZE
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    svg = draw_dot(x1 * w1 + x2 * w2, graph_id="g").svg()
    node = svg[svg.index('id="g_n0"') :]
    xs = [float(p.split(",")[0]) for p in node.split('points="')[1].split('"')[0].split()]
    assert max(xs) - min(xs) > width_pt + 4  # the box holds the text with room to spare


def test_render_writes_svg_and_png_without_a_system_graphviz(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.chdir(tmp_path)
    graph = draw_dot(lesson_graph())
    assert graph.render("graph", format="svg") == "graph.svg"
    assert graph.render("graph", format="png") == "graph.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.png", "graph.svg"]
    assert (tmp_path / "graph.svg").read_text().startswith("<svg")
    png = (tmp_path / "graph.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width > 500  # drawn at twice the SVG's size in pixels
    with pytest.raises(ValueError, match="cannot save a graph as 'pdf'"):
        graph.render("graph", format="pdf")


def test_the_readme_saving_example_writes_both_files(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = re.search(r"## Saving a graph\n.*?```python\n(.*?)```", readme, re.S)
    assert code is not None
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.chdir(tmp_path)
    exec(code[1], {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.png", "graph.svg"]


def test_the_engine_draws_plain_numbers_as_constants() -> None:
    n = Value(3.0, label="n")
    y = 1 - 2 * n
    y.label = "y"
    y.backward()
    source = draw_dot(y).source
    constants = [line for line in source.splitlines() if "class=constant" in line]
    assert len(constants) == 2 and not [line for line in constants if "grad" in line]
    assert {line.split("label=")[1].split()[0] for line in constants} == {"1", "2"}
    assert source.count("shape=record") == 3  # n, 2*n and y
    assert 'label="2*n | data 6.0000 | grad -1.0000"' in source  # dy/d(2n) = -1
    assert 'label="n | data 3.0000 | grad -2.0000"' in source  # dy/dn = -2
    assert describe_graph(y) == "y = 1 - 2 * n, where n = 3; y = -5."


@pytest.mark.parametrize("backend", ["wasm", pytest.param("dot", marks=pytest.mark.needs("dot"))])
def test_a_neuron_from_autograd_nn_reads_as_w_dot_x_plus_b(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xml.etree import ElementTree

    from fontTools.ttLib import TTFont

    from autograd.drawing import FONT_FILE, FONT_SIZE
    from autograd.nn import Neuron

    monkeypatch.setenv("AUTOGRAD_GRAPHVIZ", backend)
    out = Neuron(3, "tanh", seed=0)([2.0, 3.0, -1.0])
    out.backward()
    source = draw_dot(out).source
    records = [line for line in source.splitlines() if "shape=record" in line]
    assert records[0].startswith('\tn0 [label="tanh(w·x + b) | data')
    assert records[1].startswith('\tn1 [label="w·x + b | data')
    # The unlabelled weights and bias show their data once, not again as a name.
    assert [line.split('"')[1].split()[0] for line in records[2:]] == ["data"] * 4
    assert 'label="Σ w·x + b"' in source
    edge_labels = [
        line.split("label=")[1].split()[0]
        for line in source.splitlines()
        if "->" in line and "label=" in line
    ]
    assert edge_labels == ["1", "1", "2", "2", "3", "3", "b"]
    # Every text of the SVG fits inside its node's shape, measured in the shipped font.
    font = TTFont(FONT_FILE)
    cmap, metrics, units = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    svg = ElementTree.fromstring(draw_dot(out, graph_id="g").svg())
    checked = 0
    # Parsed as XML: Graphviz versions differ in how they spell the same elements.
    for node in svg.iter(f"{SVG}g"):
        if not re.fullmatch(r"g_n\d+(?:_op)?", node.get("id", "")):
            continue
        ellipse = node.find(f"{SVG}ellipse")
        outline = node.find(f"{SVG}polygon")
        if ellipse is not None:
            middle, radius = float(ellipse.get("cx", "")), float(ellipse.get("rx", ""))
            left, right = middle - radius, middle + radius
        else:  # a polygon, or a rounded box drawn as a path
            shape = outline if outline is not None else node.find(f"{SVG}path")
            assert shape is not None
            points = shape.get("points") or shape.get("d") or ""
            xs = [float(x) for x in re.findall(r"([-\d.]+),[-\d.]+", points)]
            left, right = min(xs), max(xs)
        for text in node.iter(f"{SVG}text"):
            assert text.get("text-anchor") == "middle"
            half = sum(metrics[cmap[ord(c)]][0] for c in text.text or "") / units * FONT_SIZE / 2
            x = float(text.get("x", ""))
            assert left <= x - half and x + half <= right, text.text
            checked += 1
    # Two named records of three fields, four unnamed ones of two, three numbers, two operations.
    assert checked == 2 * 3 + 4 * 2 + 3 + 2


def test_a_description_keeps_tiny_numbers_and_never_says_minus_zero() -> None:
    e = Value(1e-5, label="e")
    text = describe_graph(e * Value(-1e-6))
    assert text == "output = e * -1e-06, where e = 1e-05; output = -1e-11."
    assert "-0," not in describe_graph(Value(-0.00004, label="s") * Value(1.0, label="t"))


def test_an_unlabelled_output_does_not_take_a_leafs_name() -> None:
    text = describe_graph(Value(1.0, label="output") * 2)
    assert text == "the output = output * 2, where output = 1; the output = 2."
