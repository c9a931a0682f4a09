"""Every operation's value and gradient against results derived by hand."""

import gc
import math

import pytest

from autograd import Value, topological_order


def grads(out: Value, *leaves: Value) -> tuple[float, ...]:
    out.backward()
    return tuple(leaf.grad for leaf in leaves)


def test_repr_shows_data_and_grad() -> None:
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_constructor_keeps_label_children_and_operation() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = Value(3.0, (a, b), "+", label="c")
    assert c._prev == (a, b)
    assert c._op == "+"
    assert c.label == "c"


def test_addition() -> None:
    a, b = Value(2.0), Value(-3.0)
    out = a + b
    assert out.data == -1.0
    assert grads(out, a, b) == (1.0, 1.0)


def test_subtraction() -> None:
    a, b = Value(2.0), Value(-3.0)
    out = a - b
    assert out.data == 5.0
    assert grads(out, a, b) == (1.0, -1.0)


def test_multiplication() -> None:
    a, b = Value(2.0), Value(-3.0)
    out = a * b
    assert out.data == -6.0
    assert grads(out, a, b) == (-3.0, 2.0)


def test_division() -> None:
    a, b = Value(3.0), Value(4.0)
    out = a / b
    assert out.data == 0.75
    # d/da = 1/b = 0.25, d/db = -a/b**2 = -3/16
    assert grads(out, a, b) == (0.25, -0.1875)


def test_negation() -> None:
    a = Value(5.0)
    out = -a
    assert out.data == -5.0
    assert grads(out, a) == (-1.0,)


def test_power_by_a_number() -> None:
    a = Value(3.0)
    out = a**3
    assert out.data == 27.0
    assert out._op == "**3"
    assert out._prev == (a,)
    assert grads(out, a) == (27.0,)  # 3 * a**2


def test_power_by_a_fraction() -> None:
    a = Value(4.0)
    out = a**0.5
    assert out.data == 2.0
    assert grads(out, a) == (0.25,)  # 0.5 / sqrt(4)


def test_power_by_a_value() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a**b
    assert out.data == 8.0
    grad_a, grad_b = grads(out, a, b)
    assert grad_a == pytest.approx(12.0)  # b * a**(b-1)
    assert grad_b == pytest.approx(8.0 * math.log(2.0))


def test_number_raised_to_a_value() -> None:
    b = Value(3.0)
    out = 2**b
    assert out.data == 8.0
    assert grads(out, b) == (pytest.approx(8.0 * math.log(2.0)),)


def test_power_by_a_value_with_a_negative_base_gives_the_base_its_gradient() -> None:
    a, b = Value(-2.0), Value(2.0)
    out = a**b
    assert out.data == 4.0
    out.backward()
    assert a.grad == -4.0  # b * a**(b-1) = 2 * -2
    assert math.isnan(b.grad)  # a**b * ln(a) is not real for a < 0


def test_negative_base_with_fractional_exponent_is_refused() -> None:
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** 0.5


def test_zero_to_a_negative_power_is_refused() -> None:
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** -1


@pytest.mark.parametrize(
    ("expression", "value", "gradient"),
    [
        (lambda v: 2 + v, 5.0, 1.0),
        (lambda v: 1 - v, -2.0, -1.0),
        (lambda v: 2 * v, 6.0, 2.0),
        (lambda v: 6 / v, 2.0, -6 / 9),
        (lambda v: v + 2, 5.0, 1.0),
        (lambda v: v - 1, 2.0, 1.0),
        (lambda v: v * 2, 6.0, 2.0),
        (lambda v: v / 2, 1.5, 0.5),
    ],
)
def test_plain_numbers_on_either_side(expression, value: float, gradient: float) -> None:
    v = Value(3.0)
    out = expression(v)
    assert out.data == value
    out.backward()
    assert v.grad == pytest.approx(gradient)


def test_a_number_operand_appears_as_a_constant_child() -> None:
    v = Value(3.0, label="v")
    out = v * 2
    first, second = out._prev
    assert first is v
    assert (second.data, second.grad, second._prev) == (2.0, 0.0, ())


def test_reflected_operations_keep_operand_order() -> None:
    v = Value(3.0, label="v")
    out = 1 - v
    constant, second = out._prev
    assert constant.data == 1.0
    assert second is v


def test_tanh() -> None:
    a = Value(0.5)
    out = a.tanh()
    assert out.data == pytest.approx(math.tanh(0.5))
    assert grads(out, a) == (pytest.approx(1 - math.tanh(0.5) ** 2),)


def test_tanh_is_stable_for_large_inputs() -> None:
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).tanh().data == -1.0


def test_exp() -> None:
    a = Value(2.0)
    out = a.exp()
    assert out.data == pytest.approx(math.e**2)
    assert grads(out, a) == (pytest.approx(math.e**2),)


def test_exp_overflow_names_the_value() -> None:
    with pytest.raises(OverflowError, match=r"exp\(1000.0\)"):
        Value(1000.0, label="big").exp()


def test_log() -> None:
    a = Value(4.0)
    out = a.log()
    assert out.data == pytest.approx(math.log(4.0))
    assert grads(out, a) == (0.25,)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_log_of_a_non_positive_value_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Value(bad, label="x").log()


def test_relu() -> None:
    a, b = Value(-2.0), Value(3.0)
    out = a.relu() + b.relu()
    assert out.data == 3.0
    assert grads(out, a, b) == (0.0, 1.0)


def test_sigmoid() -> None:
    a = Value(1.0)
    out = a.sigmoid()
    s = 1 / (1 + math.exp(-1.0))
    assert out.data == pytest.approx(s)
    assert grads(out, a) == (pytest.approx(s * (1 - s)),)


def test_sigmoid_is_stable_for_large_negative_inputs() -> None:
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_a_node_used_twice_accumulates() -> None:
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0


def test_second_backward_accumulates_in_leaves_only() -> None:
    a, b = Value(2.0), Value(-3.0)
    e = a * b
    out = e + 1.0
    out.backward()
    out.backward()
    assert (a.grad, b.grad) == (-6.0, 4.0)
    assert (e.grad, out.grad) == (1.0, 1.0)


def test_a_backward_interrupted_midway_leaves_no_trace_on_the_next_one() -> None:
    """Ctrl-C while the graph is being ordered, then backward() again: exact gradients."""
    import sys

    a, b = Value(2.0), Value(-3.0)
    h = (a * b + a).tanh() * b  # d/da = (b + 1)(1 - tanh²) b, d/db = a(1 - tanh²) b + tanh
    lines = 0

    def interrupt(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal lines
        if frame.f_code.co_name == "_interior_order" and event == "line":
            lines += 1
            if lines == 25:
                raise KeyboardInterrupt
        return interrupt

    sys.settrace(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            h.backward()
    finally:
        sys.settrace(None)
    assert lines == 25
    a.grad = b.grad = 0.0
    h.backward()
    t = math.tanh(2.0 * -3.0 + 2.0)
    assert a.grad == pytest.approx((-3.0 + 1.0) * (1 - t * t) * -3.0)
    assert b.grad == pytest.approx(2.0 * (1 - t * t) * -3.0 + t)


def test_backward_on_a_leaf_accumulates_one() -> None:
    a = Value(2.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_backward_leaves_the_garbage_collector_alone() -> None:
    assert gc.isenabled()
    (Value(1.0) * 2).backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (Value(1.0) * 2).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_topological_order_puts_children_first_in_operand_order() -> None:
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    ab = a * b
    ab.label = "ab"
    out = ab + c
    out.label = "out"
    assert [n.label for n in topological_order(out)] == ["a", "b", "ab", "c", "out"]


def test_a_million_node_chain() -> None:
    x = Value(1.0)
    v = x
    for _ in range(1_000_000):
        v = v + 1.0
    v.backward()
    assert v.data == 1_000_001.0
    assert x.grad == 1.0


def test_hand_built_node_with_a_known_operation_backpropagates() -> None:
    a, b = Value(2.0), Value(3.0)
    out = Value(6.0, (a, b), "*")
    out.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def test_hand_built_node_with_an_unknown_operation_fails_clearly() -> None:
    a = Value(2.0)
    out = Value(6.0, (a,), "mystery")
    with pytest.raises(ValueError, match="no derivative rule for the operation 'mystery'"):
        out.backward()


# --- bad input -------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "name"), [("abc", "str"), (True, "bool"), (1 + 2j, "complex"), (None, "NoneType")]
)
def test_value_data_must_be_a_real_number(bad: object, name: str) -> None:
    with pytest.raises(TypeError, match=f"Value data must be a real number.*got {name}"):
        Value(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["x", True, 2j, None, [1.0]])
def test_operands_must_be_real_numbers(bad: object) -> None:
    v = Value(1.0)
    for operation in (
        lambda: v + bad,
        lambda: bad + v,
        lambda: v - bad,
        lambda: bad - v,
        lambda: v * bad,
        lambda: bad * v,
        lambda: v / bad,
        lambda: bad / v,
    ):
        with pytest.raises(TypeError, match=f"other operand of .* got {type(bad).__name__}"):
            operation()


def test_exponent_must_be_a_real_number() -> None:
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** "2"  # type: ignore[operator]


@pytest.mark.parametrize("divisor", [0.0, 0, Value(0.0)])
def test_division_by_zero_says_so(divisor: object) -> None:
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0, label="x") / divisor  # type: ignore[operator]


def test_children_given_as_a_string_are_refused() -> None:
    with pytest.raises(TypeError, match="label by name"):
        Value(1.0, "d2")  # type: ignore[arg-type]


def test_more_than_two_children_of_an_addition_are_refused() -> None:
    a = Value(1.0)
    with pytest.raises(ValueError, match="'\\+' takes 2 children, got 3"):
        Value(3.0, (a, a, a), "+")


def test_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)  # type: ignore[arg-type]
