"""A small, fast scalar automatic-differentiation engine.

>>> from autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x**2 + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from autograd.drawing import describe_graph, draw_dot, local_derivatives, with_edge_labels
from autograd.engine import (
    Constant,
    Number,
    Value,
    pause_gc,
    register_operation,
    topological_order,
)
from autograd.graph import GraphTooLargeError, trace
from autograd.network import describe_network, draw_network, network_diagram
from autograd.numeric import (
    GradientCheck,
    GradientMismatchError,
    central_difference,
    gradient_check,
    numerical_derivative,
)
from autograd.record import ReplayError, replay

__all__ = [
    "Constant",
    "GradientCheck",
    "GradientMismatchError",
    "GraphTooLargeError",
    "Number",
    "ReplayError",
    "Value",
    "central_difference",
    "describe_graph",
    "describe_network",
    "draw_dot",
    "draw_network",
    "gradient_check",
    "local_derivatives",
    "network_diagram",
    "numerical_derivative",
    "pause_gc",
    "register_operation",
    "replay",
    "topological_order",
    "trace",
    "with_edge_labels",
]

__version__ = "0.1.0"
