"""trace, draw_dot, describe_graph and rendering to SVG."""

import subprocess
import sys
import textwrap

import pytest

from autograd import GraphTooLargeError, Value, describe_graph, draw_dot, trace
from autograd.render import render_svg


def lesson_graph() -> Value:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L


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
    assert 'label="{ L | data -8.0000 | grad 0.0000 }"' in source
    assert 'label="{ c | data 10.0000 | grad 0.0000 }"' in source
    assert "rankdir=LR" in source


def test_draw_dot_marks_gradient_sign_and_node_kind() -> None:
    L = lesson_graph()
    L.backward()
    lines = {line.split()[0]: line for line in draw_dot(L).source.splitlines() if "label=" in line}
    a_line = next(line for line in lines.values() if "{ a |" in line)
    b_line = next(line for line in lines.values() if "{ b |" in line)
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
    assert source.index("{ a |") < source.index("{ b |")
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


@pytest.mark.parametrize("backend", ["wasm", "dot"])
def test_render_svg(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "dot":
        import shutil

        if shutil.which("dot") is None:
            pytest.skip("no system Graphviz 'dot' on PATH")
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
