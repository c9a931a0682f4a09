"""Finite differences and the public gradient check."""

import pytest

from autograd import (
    GradientMismatchError,
    Value,
    central_difference,
    gradient_check,
    numerical_derivative,
)
from autograd.engine import register_operation


def cube(x: float) -> float:
    return x**3


def test_one_sided_difference_approaches_the_derivative() -> None:
    assert numerical_derivative(cube, 2.0, h=1e-6) == pytest.approx(12.0, abs=1e-4)


def test_central_difference_is_more_accurate_than_one_sided() -> None:
    one_sided = abs(numerical_derivative(cube, 2.0, h=1e-3) - 12.0)
    central = abs(central_difference(cube, 2.0, h=1e-3) - 12.0)
    assert central < one_sided / 100


def test_zero_step_is_refused() -> None:
    with pytest.raises(ValueError, match="step"):
        numerical_derivative(cube, 1.0, h=0.0)


def test_gradient_check_passes_for_the_engine() -> None:
    result = gradient_check(lambda a, b: (a * b + b.exp()).tanh() / (a * a + 1.0), [0.3, -0.7])
    assert result.ok
    assert [c.name for c in result.inputs] == ["x0", "x1"]


def broken_square(v: Value) -> Value:
    """A square whose derivative rule (registered below) forgets the factor 2."""
    return Value(v.data**2, (v,), "half-square")


@register_operation("half-square", children=1)
def broken_square_backward(out: Value) -> None:
    (x,) = out._prev
    x.grad += x.data * out.grad


def test_gradient_check_reports_the_input_that_disagrees() -> None:
    result = gradient_check(lambda x, y: broken_square(x) + y * 3.0, {"x": 1.5, "y": 2.0})
    assert not result.ok
    assert [c.name for c in result.mismatches] == ["x"]
    assert result.mismatches[0].analytic == 1.5
    assert result.mismatches[0].numeric == pytest.approx(3.0)
    with pytest.raises(GradientMismatchError, match=r"x .* NO"):
        result.raise_for_mismatch()


def test_gradient_check_needs_a_value_back() -> None:
    with pytest.raises(TypeError, match="must return a Value"):
        gradient_check(lambda x: 3.0, [1.0])  # type: ignore[arg-type, return-value]
