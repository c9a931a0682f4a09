"""The live figures' drawing step: what a figure node keeps for the HTML page."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from autograd import Value
from autograd.sphinxext.directives import backward_steps_figure, live_plot, value_graph
from autograd.sphinxext.drawings import draw_figure
from autograd.sphinxext.protocol import Filled, decode, encode
from autograd.sphinxext.results import apply


def draw_into(node, target, figure_id: str) -> None:
    """Draw as the page process does, send the result across, and apply it as the build does."""
    before = dict(node.attributes)
    result = draw_figure(node, target, figure_id)
    assert node.attributes == before  # drawing leaves the node to the build
    received = decode(encode(Filled(0, result)))
    assert received == Filled(0, result)
    apply(node, received.result)


def graph_node(cls=value_graph):
    return cls(expression="L", alt="", width="", rankdir="LR", max_nodes=200)


def lesson_graph() -> Value:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    f = Value(-2.0, label="f")
    L = (a * b + c) * f
    L.label = "L"
    L.backward()
    return L


def test_a_wide_graph_also_gets_a_top_to_bottom_layout_for_phones() -> None:
    node = graph_node()
    draw_into(node, lesson_graph(), "p_g1")
    assert 'id="p_g1"' in node["svg"] and 'id="p_g1_tb"' in node["svg_narrow"]
    # Never scaled below 11.5 px text: 11 pt is 14.67 px at natural size.
    width = int(node["svg"].split('width="')[1].split('"')[0])
    narrowest = int(node["svg"].split("min-width: ")[1].split("px")[0])
    assert abs(narrowest - width * 11.5 / (11 * 4 / 3)) < 1.5
    assert "Gradients: L 1" in node["description"] and "a 6" in node["description"]


def test_backward_steps_keep_one_frame_per_step_as_plain_data() -> None:
    node = graph_node(backward_steps_figure)
    draw_into(node, lesson_graph(), "p_g2")
    frames = node["frames"]
    assert len(frames) == 5  # zeros, seed, then L, d = e + c, e = a * b
    assert (
        frames[2]["caption"] == "L passes its gradient 1 back through *: a*b + c gets -2, f gets 4."
    )
    assert 'class="node value output active"' in frames[2]["svg"]
    assert frames[2]["svg"].count("written") == 2  # d and f
    assert len({frame["svg"] for frame in frames}) == 5


def test_a_plot_is_kept_light_and_dark_with_text_as_text_and_a_useful_alt() -> None:
    figure, axes = plt.subplots()
    xs = np.linspace(-5, 5, 11)
    axes.plot(xs, np.tanh(xs), color="black", label="tanh")
    axes.set_title("tanh(x)")
    axes.set_xlabel("x")
    node = live_plot(expression="figure", alt="", width="")
    draw_into(node, figure, "p_g3")
    assert "<text" in node["svg"] and "DejaVu Sans" in node["svg"]
    assert "#131416" in node["svg_dark"] and "#131416" not in node["svg"]
    assert "tanh(x): x from -5 to 5 across, y from -1 to 1 up" in node["description"]
    # tanh(-5) = -0.99991, tanh(5) = 0.99991: where the line starts and ends.
    assert "tanh goes from -0.9999 at x = -5 to 0.9999 at x = 5" in node["description"]


def test_plot_alt_text_gives_each_line_its_key_values() -> None:
    figure, axes = plt.subplots()
    steps = [0, 1, 2, 3, 4]
    axes.plot(steps, [2.0, 0.5, 0.25, 1.0, 1.5], label="loss")  # lowest at step 2
    axes.plot(steps, [0.0, 0.0, 0.0, 0.0, 0.0], label="zero")  # flat: nothing to say
    axes.axhline(1.0)  # a reference line, unlabelled
    axes.scatter([0.0, 1.0, 2.0], [1.0, 1.0, 0.0], c=["red", "blue", "red"])
    axes.set_xlabel("step")
    node = live_plot(expression="figure", alt="", width="")
    draw_into(node, figure, "p_g4")
    assert node["description"] == (
        "Plot. step from 0 to 4 across, y from 0 to 2 up; "
        "loss goes from 2 at step 0 to 1.5 at step 4, lowest 0.25 at step 2; 3 points in 2 colours."
    )


def test_a_diagram_without_axes_is_described_by_its_labels() -> None:
    figure, axes = plt.subplots()
    axes.axis("off")
    axes.text(0.2, 0.5, "x1")
    axes.text(0.8, 0.5, "tanh")
    node = live_plot(expression="figure", alt="", width="")
    draw_into(node, figure, "p_g5")
    assert node["description"] == "Plot. a diagram labelled x1, tanh."
