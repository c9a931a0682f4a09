"""Sums and dot products as one node, constants, registered operations, the GC.

Gradients are checked against central differences or derived by hand.
"""

import gc
import math
import subprocess
import sys
from collections.abc import Callable

import pytest

from autograd import Value, central_difference, topological_order
from autograd.engine import Constant, pause_gc, register_operation


def numeric_gradients(f: Callable[[list[Value]], Value], point: list[float]) -> list[float]:
    """d f / d x_i at ``point`` by central differences, one input at a time."""

    def along(i: int) -> Callable[[float], float]:
        def g(t: float) -> float:
            moved = [Value(t if j == i else x) for j, x in enumerate(point)]
            return f(moved).data

        return g

    return [central_difference(along(i), x, 1e-6) for i, x in enumerate(point)]


def analytic_gradients(f: Callable[[list[Value]], Value], point: list[float]) -> list[float]:
    leaves = [Value(x) for x in point]
    f(leaves).backward()
    return [leaf.grad for leaf in leaves]


# --- Value.sum -----------------------------------------------------------------


def test_sum_is_one_node_with_the_terms_in_order() -> None:
    a, b, c = Value(1.5, label="a"), Value(-2.0, label="b"), Value(4.0, label="c")
    total = Value.sum([a, b, c])
    assert total.data == 3.5
    assert total._op == "sum"
    assert total._prev == (a, b, c)


def test_sum_passes_its_gradient_to_every_term() -> None:
    a, b = Value(1.0), Value(2.0)
    total = Value.sum([a, b, a])
    (total * 3.0).backward()
    assert (a.grad, b.grad) == (6.0, 3.0)  # a appears twice


def test_sum_matches_finite_differences_inside_an_expression() -> None:
    def f(v: list[Value]) -> Value:
        x, y, z = v
        return Value.sum([x * y, y.tanh(), z * z, x]).exp()

    point = [0.3, -0.4, 0.8]
    assert analytic_gradients(f, point) == pytest.approx(numeric_gradients(f, point), rel=1e-6)


def test_sum_adds_left_to_right_like_a_chain_of_additions() -> None:
    values = [0.1, 0.2, 0.3, 1e16, -1e16, 0.7]
    chain = Value(values[0])
    for v in values[1:]:
        chain = chain + v
    assert Value.sum(values).data == chain.data


def test_sum_makes_numbers_constants() -> None:
    a = Value(2.0)
    total = Value.sum([a, 3])
    constant = total._prev[1]
    assert isinstance(constant, Constant) and constant.data == 3.0
    total.backward()
    assert (a.grad, constant.grad) == (1.0, 0.0)


def test_sum_of_nothing_or_of_text_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        Value.sum([])
    with pytest.raises(TypeError, match=r"Value\.sum must be a sequence"):
        Value.sum(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"each of Value\.sum must be a real number"):
        Value.sum([Value(1.0), "2"])  # type: ignore[list-item]


# --- Value.dot -----------------------------------------------------------------


def test_dot_children_are_interleaved_pairs_then_the_bias() -> None:
    names = ["w1", "x1", "w2", "x2", "b"]
    w1, x1, w2, x2, b = (Value(float(i), label=n) for i, n in enumerate(names))
    n = Value.dot([w1, w2], [x1, x2], b)
    assert n._op == "dot"
    assert n._prev == (w1, x1, w2, x2, b)
    assert n.data == 0.0 * 1.0 + 2.0 * 3.0 + 4.0
    assert Value.dot([w1, w2], [x1, x2])._prev == (w1, x1, w2, x2)


def test_dot_gradients_by_hand() -> None:
    w1, w2, x1, x2, b = Value(-3.0), Value(1.0), Value(2.0), Value(0.5), Value(0.25)
    n = Value.dot([w1, w2], [x1, x2], b)
    n.backward()
    assert (w1.grad, w2.grad) == (2.0, 0.5)  # d/dwi = xi
    assert (x1.grad, x2.grad) == (-3.0, 1.0)  # d/dxi = wi
    assert b.grad == 1.0


def test_dot_matches_finite_differences_in_a_neuron() -> None:
    def f(v: list[Value]) -> Value:
        w1, w2, w3, x1, x2, x3, b = v
        hidden = Value.dot([w1, w2], [x1, x2], b).tanh()
        return Value.dot([w3, w1], [hidden, x3]).sigmoid()

    point = [0.5, -1.2, 0.7, 0.9, -0.3, 1.1, 0.2]
    assert analytic_gradients(f, point) == pytest.approx(numeric_gradients(f, point), rel=1e-6)


def test_dot_with_a_node_used_twice_matches_finite_differences() -> None:
    def f(v: list[Value]) -> Value:
        a, b = v
        return Value.dot([a, a, b], [a, b, b], a)  # a*a + a*b + b*b + a

    point = [0.6, -1.3]
    # d/da = 2a + b + 1 = 0.9, d/db = a + 2b = -2.0
    assert analytic_gradients(f, point) == pytest.approx([0.9, -2.0])
    assert analytic_gradients(f, point) == pytest.approx(numeric_gradients(f, point), rel=1e-6)


def test_dot_gives_the_same_float_as_the_neuron_written_with_operators() -> None:
    ws = [Value(0.1 * k - 0.73) for k in range(16)]
    xs = [Value(0.37 * k + 0.011) for k in range(16)]
    b = Value(0.3)
    by_hand = b
    for w, x in zip(ws, xs, strict=True):
        by_hand = by_hand + w * x
    assert Value.dot(ws, xs, b).data == by_hand.data


def test_dot_makes_numbers_constants_that_get_no_gradient() -> None:
    w = Value(2.0)
    n = Value.dot([w], [5], 1)
    n.backward()
    _, x, b = n._prev
    assert isinstance(x, Constant) and isinstance(b, Constant)
    assert (w.grad, x.grad, b.grad) == (5.0, 0.0, 0.0)


def test_dot_refuses_lengths_that_differ_and_empty_products() -> None:
    with pytest.raises(ValueError, match="2 weights but 1 inputs"):
        Value.dot([Value(1.0), Value(2.0)], [Value(1.0)])
    with pytest.raises(ValueError, match="at least one weight"):
        Value.dot([], [])


def test_hand_built_dot_and_sum_nodes_backpropagate() -> None:
    w1, x1, w2, x2, b = Value(1.0), Value(2.0), Value(3.0), Value(4.0), Value(5.0)
    n = Value(19.0, (w1, x1, w2, x2, b), "dot")
    assert n._prev == (w1, x1, w2, x2, b)
    total = Value(38.0, (n, n), "sum")
    total.backward()
    assert (w1.grad, x1.grad, w2.grad, x2.grad, b.grad) == (4.0, 2.0, 8.0, 6.0, 2.0)


def test_backward_step_and_topological_order_of_n_ary_nodes() -> None:
    w, x, b = Value(2.0, label="w"), Value(3.0, label="x"), Value(1.0, label="b")
    n = Value.dot([w], [x], b)
    n.label = "n"
    total = Value.sum([n, x])
    total.label = "total"
    assert [v.label for v in topological_order(total)] == ["w", "x", "b", "n", "total"]
    total.grad = 1.0
    total._backward()  # one step: only the sum's children get their share
    assert (n.grad, x.grad, w.grad) == (1.0, 1.0, 0.0)
    n._backward()
    assert (w.grad, x.grad, b.grad) == (3.0, 3.0, 1.0)


# --- constants -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "constant_index", "constant", "value", "gradient"),
    [
        (lambda v: v * 2, 1, 2.0, 6.0, 2.0),
        (lambda v: 2 * v, 0, 2.0, 6.0, 2.0),
        (lambda v: 1 - v, 0, 1.0, -2.0, -1.0),
        (lambda v: 2 / v, 0, 2.0, 2 / 3, -2 / 9),
        (lambda v: 2**v, 0, 2.0, 8.0, 8.0 * math.log(2.0)),
        (lambda v: v + 0.5, 1, 0.5, 3.5, 1.0),
    ],
)
def test_a_plain_number_is_a_constant_child_in_operand_order(
    expression: Callable[[Value], Value],
    constant_index: int,
    constant: float,
    value: float,
    gradient: float,
) -> None:
    v = Value(3.0)
    out = expression(v)
    assert out.data == pytest.approx(value)
    children = out._prev
    assert len(children) == 2
    k = children[constant_index]
    assert isinstance(k, Constant) and isinstance(k, Value)
    assert k._is_constant is True and getattr(v, "_is_constant", False) is False
    assert k.data == constant
    assert children[1 - constant_index] is v
    out.backward()
    assert v.grad == pytest.approx(gradient)
    assert k.grad == 0.0


def test_a_constant_drops_the_gradient_it_is_given() -> None:
    k = Constant(4.0)
    k.grad = 3.0
    k.grad += 1.0
    assert k.grad == 0.0
    assert repr(k) == "Constant(4.0)"


# --- registered operations and nodes with their own _backward --------------------


def test_a_registered_operation_backpropagates_hand_built_nodes() -> None:
    @register_operation("test-cube", children=1)
    def cube_backward(out: Value) -> None:
        (x,) = out._prev
        x.grad += 3 * x.data**2 * out.grad

    x = Value(1.5)
    out = Value(x.data**3, (x,), "test-cube") * 2.0
    out.backward()
    assert x.grad == pytest.approx(2 * 3 * 1.5**2)
    assert out._prev[0]._op == "test-cube"


def test_an_operation_of_any_number_of_children() -> None:
    @register_operation("test-product", children=None)
    def product_backward(out: Value) -> None:
        for i, child in enumerate(out._prev):
            others = math.prod(c.data for j, c in enumerate(out._prev) if j != i)
            child.grad += others * out.grad

    def product(values: list[Value]) -> Value:
        return Value(math.prod(v.data for v in values), values, "test-product")

    point = [0.5, -2.0, 3.0]
    assert analytic_gradients(product, point) == pytest.approx([-6.0, 1.5, -1.0])
    with pytest.raises(ValueError, match="'test-product' needs at least one child"):
        Value(1.0, (), "test-product")


def test_registering_again_replaces_the_rule_for_new_nodes() -> None:
    register_operation("test-twice", children=1)(lambda out: None)

    @register_operation("test-twice", children=1)
    def double_backward(out: Value) -> None:
        out._prev[0].grad += 2 * out.grad

    x = Value(1.0)
    Value(2.0, (x,), "test-twice").backward()
    assert x.grad == 2.0


def test_built_in_operations_cannot_be_replaced_and_bad_registrations_fail() -> None:
    with pytest.raises(ValueError, match="'\\+' is a built-in operation"):
        register_operation("+", children=2)
    with pytest.raises(ValueError, match="children must be"):
        register_operation("test-bad", children=0)
    with pytest.raises(TypeError, match="must be callable"):
        register_operation("test-bad", children=1)(3)  # type: ignore[arg-type]


def test_a_callable_object_can_be_a_rule() -> None:
    class Halve:
        def __call__(self, out: Value) -> None:
            out._prev[0].grad += 0.5 * out.grad

    register_operation("test-halve", children=1)(Halve())
    x = Value(4.0)
    Value(2.0, (x,), "test-halve").backward()
    assert x.grad == 0.5


def test_a_node_with_its_own_backward_function_micrograd_style() -> None:
    x = Value(0.7)
    out = Value(math.sin(x.data), (x,), "sin-by-hand")

    def _backward() -> None:
        x.grad += math.cos(x.data) * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    (out * 3.0).backward()
    assert x.grad == pytest.approx(3 * math.cos(0.7))


def test_its_own_backward_wins_over_the_registered_rule() -> None:
    a, b = Value(2.0), Value(3.0)
    out = Value(a.data + b.data, (a, b), "+")

    def straight_to_a() -> None:  # a deliberately different rule
        a.grad += 10 * out.grad

    out._backward = straight_to_a  # type: ignore[method-assign]
    out.backward()
    assert (a.grad, b.grad) == (10.0, 0.0)


def test_an_unknown_operation_without_a_rule_fails_clearly_in_backward() -> None:
    out = Value(1.0, (Value(2.0),), "mystery")
    with pytest.raises(ValueError, match="no derivative rule for the operation 'mystery'"):
        out.backward()


# --- the garbage collector ------------------------------------------------------


def test_pause_gc_pauses_inside_and_restores_after() -> None:
    gc.enable()
    with pause_gc():
        assert not gc.isenabled()
        with pause_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_gc_restores_on_error_and_leaves_a_disabled_collector_disabled() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), pause_gc():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with pause_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_importing_the_package_leaves_the_collector_alone() -> None:
    code = (
        "import gc; before = (gc.isenabled(), gc.get_threshold()); "
        "import autograd, autograd.nn, autograd.engine; "
        "print(before == (gc.isenabled(), gc.get_threshold()))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "True", result.stderr


def test_graphs_make_no_reference_cycles() -> None:
    from autograd.nn import MLP, hinge_loss, l2_penalty

    model = MLP(2, [8, 8, 1], seed=0)
    gc.collect()
    with pause_gc():
        scores = [model([0.5 * k, -1.0]) for k in range(5)]
        loss = hinge_loss(scores, [1, -1, 1, -1, 1]) + l2_penalty(model.parameters(), 1e-4)  # type: ignore[arg-type]
        loss = Value.sum([loss, 2 * loss, loss**2, loss / 3, 1 - loss])
        loss.backward()
        del scores, loss
        assert gc.collect() == 0  # everything was freed by reference counting


def test_a_hand_built_node_with_children_and_no_operation_says_so() -> None:
    a = Value(1.0)
    out = Value(2.0, (a, a), "")
    with pytest.raises(ValueError, match="has children but no operation"):
        out.backward()
