"""The figures of the source lessons, computed with the engine."""

import math

import pytest
from lesson_graphs import lesson_L

from autograd import Value, numerical_derivative


def f(x: float) -> float:
    return 3 * x**2 - 4 * x + 5


@pytest.mark.parametrize(
    ("x", "slope", "exact"),
    [
        (3.0, 14.000001158365194, 14.0),
        (-3.0, -22.000001820288162, -22.0),
        (0.667, 0.002000177801164682, 0.002),
    ],
)
def test_one_sided_slopes_with_a_tiny_step(x: float, slope: float, exact: float) -> None:
    estimate = numerical_derivative(f, x, h=1e-9)
    assert estimate == slope
    assert estimate == pytest.approx(6 * x - 4, abs=1e-5)  # f'(x) = 6x - 4
    assert 6 * x - 4 == pytest.approx(exact)


def test_forward_pass_gives_minus_eight() -> None:
    L, _ = lesson_L()
    assert L.data == -8.0


def test_backward_gives_the_hand_derived_gradients() -> None:
    L, v = lesson_L()
    L.backward()
    # dL/dd = f, dL/df = d, '+' routes, '*' swaps: derived in the lesson
    assert {k: n.grad for k, n in v.items()} == {
        "a": 6.0,
        "b": -4.0,
        "c": -2.0,
        "d": -2.0,
        "e": -2.0,
        "f": 4.0,
    }


def test_one_optimization_step() -> None:
    L, v = lesson_L()
    L.backward()
    for name in "abcf":
        v[name].data += 0.01 * v[name].grad
    L2 = (v["a"] * v["b"] + v["c"]) * v["f"]
    assert round(L2.data, 6) == -7.286496
    # by hand: a=2.06, b=-3.04, c=9.98, f=-1.96
    assert L2.data == pytest.approx((2.06 * -3.04 + 9.98) * -1.96)


def neuron() -> dict[str, Value]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def test_the_neuron() -> None:
    v = neuron()
    assert v["n"].data == pytest.approx(0.8813735870195432)
    assert round(v["o"].data, 4) == 0.7071
    v["o"].backward()
    assert v["n"].grad == pytest.approx(0.5)  # 1 - tanh(n)**2 = 1 - 1/2
    grads = {k: v[k].grad for k in ("x1", "w1", "x2", "w2", "b")}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})


def test_tanh_from_exp_gives_the_same_gradients() -> None:
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert [x1.grad, w1.grad, x2.grad, w2.grad, b.grad] == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5])


def test_node_used_twice_example() -> None:
    a, b = Value(-2.0), Value(3.0)
    f_ = (a * b) * (a + b)
    f_.backward()
    assert f_.data == -6.0
    # f = a^2 b + a b^2: df/da = 2ab + b^2 = -3, df/db = a^2 + 2ab = -8
    assert (a.grad, b.grad) == (-3.0, -8.0)
