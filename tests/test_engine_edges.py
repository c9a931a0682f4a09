"""Edges of the engine that random graphs found: powers of 0, copies, names, threads."""

from __future__ import annotations

import copy
import math
import pickle
import threading

import pytest

from autograd import Value, register_operation


@pytest.mark.parametrize("x", [0.0, 2.0, -3.0])
def test_the_derivative_of_x_to_the_0_is_0_everywhere(x: float) -> None:
    """x ** 0 is the constant 1: its slope is 0, also at x = 0 (where k * x**(k-1) is 0 * inf)."""
    a = Value(x)
    (a**0).backward()
    assert a.grad == 0.0
    b, k = Value(x), Value(0.0)
    (b**k).backward()
    assert b.grad == 0.0
    assert math.isfinite(k.grad) or x < 0  # d(x**k)/dk = x**k ln x: ln of a negative is not real


def test_powers_keep_their_slopes() -> None:
    for x, k, slope in [(3.0, 2.0, 6.0), (0.0, 1.0, 1.0), (0.0, 2.0, 0.0), (2.0, -1.0, -0.25)]:
        a = Value(x)
        (a**k).backward()
        assert a.grad == slope, (x, k)
    a = Value(0.0)
    (a**0.5).backward()
    assert a.grad == math.inf  # 0.5 * 0 ** -0.5: the slope of sqrt at 0


def micrograd_mul(a: Value, b: Value) -> Value:
    """A product whose rule is a closure over its nodes, as micrograd writes it."""
    out = Value(a.data * b.data, (a, b), "*")

    def _backward() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    return out


def test_a_deep_copy_of_a_micrograd_style_graph_back_propagates_into_the_copy() -> None:
    a, b = Value(2.0), Value(3.0)
    original = micrograd_mul(micrograd_mul(a, b), b)  # (a * b) * b, b used twice
    copied = copy.deepcopy(original)
    copied.backward()
    assert (a.grad, b.grad) == (0.0, 0.0)  # the original graph is untouched
    inner, copied_b = copied._prev
    copied_a, copied_b_again = inner._prev
    assert copied_b is copied_b_again and copied_b is not b
    # d/da (a b^2) = b^2 = 9; d/db = 2ab = 12
    assert (copied_a.grad, copied_b.grad) == (9.0, 12.0)


def test_a_user_operation_cannot_take_a_name_the_engine_gives_its_own_nodes() -> None:
    for name in ("**2", "**0.5", "**-1"):
        with pytest.raises(ValueError, match="built-in power by a number"):
            register_operation(name, children=1)(lambda out: None)
    x = Value(3.0)
    loaded = pickle.loads(pickle.dumps(x**2))
    loaded.backward()
    assert loaded._op == "**2" and loaded._prev[0].grad == 6.0


def test_a_pickle_names_the_functions_that_every_version_of_the_engine_has() -> None:
    x = Value(2.0)
    data = pickle.dumps((x * x + 1.0).tanh(), protocol=0)  # protocol 0 writes names as lines
    assert b"\n_last\n" in data and b"\n_restore\n" in data  # as earlier versions wrote
    loaded = pickle.loads(data)
    loaded.backward()
    (square, one) = loaded._prev[0]._prev
    assert loaded.data == math.tanh(5.0) and one.data == 1.0
    assert square._prev[0].grad == 2 * 2.0 * (1 - math.tanh(5.0) ** 2)


def test_threads_pickling_one_graph_at_once_each_get_the_same_small_pickle() -> None:
    x = Value(1.0)
    node = x
    for _ in range(2000):
        node = node * 1.0001 + 0.0001
    alone = len(pickle.dumps(node))
    sizes: list[int] = []
    start = threading.Barrier(4)

    def pickle_it() -> None:
        start.wait()
        for _ in range(5):
            sizes.append(len(pickle.dumps(node)))

    threads = [threading.Thread(target=pickle_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sizes == [alone] * 20
    restored = pickle.loads(pickle.dumps(node))
    assert restored.data == node.data
