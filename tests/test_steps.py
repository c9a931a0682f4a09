"""The backward pass one node at a time, checked against hand-derived gradients."""

import pytest
from lesson_graphs import lesson_L

from autograd import Value
from autograd.steps import backward_steps


def grads(root) -> dict[str, float]:
    from autograd import trace

    return {n.label: n.grad for n in trace(root)[0] if n.label}


def test_frames_follow_the_hand_derivation_and_leave_the_graph_alone() -> None:
    L, _ = lesson_L()
    L.backward()
    frames = [(step.caption, grads(step.root), step.active) for step in backward_steps(L)]
    assert [caption for caption, _, _ in frames] == [
        "Before backward(): every gradient is 0.",
        "backward() seeds L with gradient 1 (dL/dL = 1).",
        "L passes its gradient 1 back through *: d gets -2, f gets 4.",
        "d passes its gradient -2 back through +: e gets -2, c gets -2.",
        "e passes its gradient -2 back through *: a gets 6, b gets -4.",
    ]
    assert set(frames[0][1].values()) == {0.0}
    # dL/dd = f = -2, dL/df = d = 4, '+' copies, '*' swaps in the other factor.
    assert frames[-1][1] == {
        "L": 1.0,
        "d": -2.0,
        "f": 4.0,
        "e": -2.0,
        "c": -2.0,
        "a": 6.0,
        "b": -4.0,
    }
    assert grads(L)["a"] == 6.0  # the live graph keeps the gradients backward() gave it


def test_a_node_used_twice_gets_two_contributions_in_two_frames() -> None:
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d = a * b
    d.label = "d"
    e = a + b
    e.label = "e"
    f = d * e
    f.label = "f"
    captions = [step.caption for step in backward_steps(f)]
    # df/dd = e = 1, df/de = d = -6; then e adds -6 to each, d adds b and a.
    assert "f passes its gradient 1 back through *: d gets 1, e gets -6." in captions
    assert "e passes its gradient -6 back through +: a gets -6, b gets -6." in captions
    assert "d passes its gradient 1 back through *: a gets 3, b gets -2." in captions
    *_, last = backward_steps(f)
    # f = a^2 b + a b^2: df/da = 2ab + b^2 = -3, df/db = a^2 + 2ab = -8
    assert (grads(last.root)["a"], grads(last.root)["b"]) == (-3.0, -8.0)
    assert (a.grad, b.grad) == (0.0, 0.0)


class ClosureValue:
    """A lesson-style class whose rules are closures over the original nodes."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, children, op, label
        self._backward = lambda: None

    def __mul__(self, other):
        out = ClosureValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out


def test_closure_rules_run_on_the_graph_whose_gradients_are_put_back() -> None:
    x, y = ClosureValue(3.0, label="x"), ClosureValue(4.0, label="y")
    z = x * y
    z.label = "z"
    x.grad = 7.0  # whatever the page left there stays
    last = list(backward_steps(z))[-1]
    assert last.caption == "z passes its gradient 1 back through *: x gets 4, y gets 3."
    assert (x.grad, y.grad, z.grad) == (7.0, 0.0, 0.0)


# -- the engine's own nodes: plain numbers as Constant, n-ary dot and sum --


def drawn_constants(step) -> list[str]:
    from autograd import draw_dot

    lines = draw_dot(step.root).source.splitlines()
    return [line for line in lines if "class=constant" in line]


def test_plain_numbers_get_no_gradient_in_any_frame() -> None:
    n = Value(3.0, label="n")
    y = 1 - 2 * n
    y.label = "y"
    steps = list(backward_steps(y))
    # y = 1 - 2n: dy/d(2n) = -1, dy/dn = -2; the numbers 1 and 2 get nothing.
    assert [step.caption for step in steps] == [
        "Before backward(): every gradient is 0.",
        "backward() seeds y with gradient 1 (dy/dy = 1).",
        "y passes its gradient 1 back through -: 2*n gets -1.",
        "2*n passes its gradient -1 back through *: n gets -2.",
    ]
    for step in steps:
        constants = drawn_constants(step)
        assert len(constants) == 2 and not [line for line in constants if "grad" in line]
        assert all(not getattr(node, "_is_constant", False) for node in step.written)
    assert grads(steps[-1].root)["n"] == -2.0
    assert n.grad == 0.0


def test_tanh_from_exp_frames_match_the_derivative_of_tanh() -> None:
    import math

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    u = (2 * n).exp()
    u.label = "u"
    o = (u - 1) / (u + 1)
    o.label = "o"
    steps = list(backward_steps(o))
    assert all(len(drawn_constants(step)) == 3 for step in steps)  # the 2 and both 1s
    # u is used twice: do/du = 1/(u+1) through u - 1 and -(u-1)/(u+1)^2 through u + 1.
    e = math.exp(2 * 0.8813735870195432)
    to_u = [s for s in steps if s.written and s.written[0].label == "u" and s.active is not None]
    assert len(to_u) == 2
    gains = sorted(float(s.caption.rsplit("u gets ", 1)[1].split(",")[0].rstrip(".")) for s in to_u)
    assert gains == pytest.approx(sorted([1 / (e + 1), -(e - 1) / (e + 1) ** 2]), abs=1e-4)
    # do/dn = 1 - tanh(n)^2 = 0.5, then the products pass the other factor.
    final = grads(steps[-1].root)
    assert final["n"] == pytest.approx(0.5)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert {k: final[k] for k in expected} == pytest.approx(expected)


def test_a_neuron_dot_node_passes_to_every_weight_in_one_frame() -> None:
    from autograd.nn import Neuron

    neuron = Neuron(2, "tanh", seed=0)
    for w, data, name in zip(neuron.w, (-3.0, 1.0), ("w1", "w2"), strict=True):
        w.data, w.label = data, name
    neuron.b.data, neuron.b.label = 6.8813735870195432, "b"
    o = neuron([2.0, 0.0])
    o.label = "o"
    steps = list(backward_steps(o))
    dot_step = steps[-1]
    assert dot_step.active is not None and dot_step.active._op == "dot"
    # d tanh/dn = 0.5; d(w1*x1 + w2*x2 + b)/dw_i = x_i, /db = 1; the inputs are numbers.
    assert dot_step.caption == (
        "w1*2 + w2*0 + b passes its gradient 0.5 back through dot: "
        "w1 gets 1, w2 gets 0, b gets 0.5."
    )
    assert [node.label for node in dot_step.written] == ["w1", "w2", "b"]
    assert len(drawn_constants(dot_step)) == 2
    assert all(w.grad == 0.0 for w in neuron.parameters())


def test_a_sum_with_a_repeated_term_and_a_number() -> None:
    a, c = Value(2.0, label="a"), Value(5.0, label="c")
    s = Value.sum([a, c, a, 4.0])
    s.label = "s"
    *_, last = backward_steps(s)
    # ds/da = 2 (two terms), ds/dc = 1; the 4 is a constant.
    assert last.caption == "s passes its gradient 1 back through sum: a gets 2, c gets 1."
    assert grads(last.root) == {"s": 1.0, "a": 2.0, "c": 1.0}
    assert len(drawn_constants(last)) == 1
