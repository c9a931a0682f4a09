"""Derivatives by finite differences, and a check of `backward()` against them.

The lessons estimate a slope by bumping an input a little and watching the
output move. The same idea, made careful, checks a whole graph's gradients.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from autograd.engine import Number, Value

__all__ = [
    "GradientCheck",
    "GradientMismatchError",
    "InputCheck",
    "central_difference",
    "gradient_check",
    "numerical_derivative",
]


def numerical_derivative(f: Callable[[float], float], x: Number, h: float = 1e-9) -> float:
    """The one-sided slope ``(f(x + h) - f(x)) / h``.

    >>> def f(x):
    ...     return 3 * x**2 - 4 * x + 5
    >>> round(numerical_derivative(f, 3.0), 4)
    14.0
    """
    if h == 0:
        raise ValueError("the step h must not be zero")
    return (f(x + h) - f(x)) / h


def central_difference(f: Callable[[float], float], x: Number, h: float = 1e-6) -> float:
    """The centred slope ``(f(x + h) - f(x - h)) / (2 h)``.

    Its error shrinks with h**2 rather than h, so it is the better estimate.

    >>> def f(x):
    ...     return 3 * x**2 - 4 * x + 5
    >>> round(central_difference(f, 3.0), 6)
    14.0
    """
    if h == 0:
        raise ValueError("the step h must not be zero")
    return (f(x + h) - f(x - h)) / (2 * h)


@dataclass(frozen=True)
class InputCheck:
    """How the gradient of one input compares with its finite difference.

    >>> check = InputCheck("x", analytic=2.0, numeric=2.0000001, ok=True)
    >>> round(check.error, 7)
    1e-07
    """

    name: str
    analytic: float
    numeric: float
    ok: bool

    @property
    def error(self) -> float:
        """The absolute difference between the two estimates."""
        return abs(self.analytic - self.numeric)


class GradientMismatchError(AssertionError):
    """Raised by `GradientCheck.raise_for_mismatch` when a gradient disagrees.

    >>> result = gradient_check(lambda x: x * x.data, [3.0])
    >>> result.raise_for_mismatch()
    Traceback (most recent call last):
    ...
    autograd.numeric.GradientMismatchError: backward() disagrees with finite differences:
    input        backward()        numeric  ok
    x0             3.000000       6.000000  NO
    """


@dataclass(frozen=True)
class GradientCheck:
    """The result of `gradient_check`: one `InputCheck` per input.

    >>> result = gradient_check(lambda x, y: x * y, [2.0, 5.0])
    >>> result.ok, [check.analytic for check in result.inputs]
    (True, [5.0, 2.0])
    """

    inputs: tuple[InputCheck, ...]

    @property
    def ok(self) -> bool:
        """True when every input's gradient matches its finite difference."""
        return all(check.ok for check in self.inputs)

    @property
    def mismatches(self) -> tuple[InputCheck, ...]:
        """The inputs whose gradients disagree."""
        return tuple(check for check in self.inputs if not check.ok)

    def raise_for_mismatch(self) -> None:
        """Raise `GradientMismatchError` naming every input that disagrees."""
        if not self.ok:
            raise GradientMismatchError(
                "backward() disagrees with finite differences:\n" + str(self)
            )

    def __str__(self) -> str:
        lines = [f"{'input':<8} {'backward()':>14} {'numeric':>14}  ok"]
        for check in self.inputs:
            mark = "yes" if check.ok else "NO"
            lines.append(f"{check.name:<8} {check.analytic:>14.6f} {check.numeric:>14.6f}  {mark}")
        return "\n".join(lines)


def gradient_check(
    f: Callable[..., Value],
    inputs: Sequence[Number] | Mapping[str, Number],
    *,
    h: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> GradientCheck:
    """Compare ``backward()`` with central differences for every input of ``f``.

    ``f`` takes one `Value` per input (by position for a sequence, by name
    for a mapping) and returns the output `Value`. An input passes when the
    two gradients agree as ``math.isclose`` judges them: their difference
    is at most ``max(rtol * max(|backward|, |numeric|), atol)``.

    >>> def f(x, y):
    ...     return x * y + y.tanh()
    >>> result = gradient_check(f, {"x": 0.5, "y": -1.5})
    >>> result.ok
    True
    >>> print(result)
    input        backward()        numeric  ok
    x             -1.500000      -1.500000  yes
    y              0.680707       0.680707  yes
    """
    if isinstance(inputs, Mapping):
        names = list(inputs)
        points = [float(inputs[name]) for name in names]
    else:
        points = [float(x) for x in inputs]
        names = [f"x{i}" for i in range(len(points))]

    def call(values: list[Value]) -> Value:
        if isinstance(inputs, Mapping):
            out = f(**dict(zip(names, values, strict=True)))
        else:
            out = f(*values)
        if not isinstance(out, Value):
            raise TypeError(f"f must return a Value, got {type(out).__name__}")
        return out

    leaves = [Value(x, label=name) for x, name in zip(points, names, strict=True)]
    call(leaves).backward()

    def evaluate_at(i: int, x: float) -> float:
        moved = [Value(x if j == i else p) for j, p in enumerate(points)]
        return call(moved).data

    checks = []
    for i, (leaf, name) in enumerate(zip(leaves, names, strict=True)):
        numeric = central_difference(partial(evaluate_at, i), points[i], h)
        ok = math.isclose(leaf.grad, numeric, rel_tol=rtol, abs_tol=atol)
        checks.append(InputCheck(name, leaf.grad, numeric, ok))
    return GradientCheck(tuple(checks))
