"""The backward pass one node at a time, checked against hand-derived gradients."""

from autograd import Value
from autograd.steps import backward_steps


def lesson_graph() -> tuple[Value, dict[str, Value]]:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def grads(root) -> dict[str, float]:
    from autograd import trace

    return {n.label: n.grad for n in trace(root)[0] if n.label}


def test_frames_follow_the_hand_derivation_and_leave_the_graph_alone() -> None:
    L, _ = lesson_graph()
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
