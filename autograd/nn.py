"""A tiny neural-network library on top of `Value`: neurons, layers, an MLP.

Weights are drawn from `random.Random(seed)` when a seed is given, so the
same seed gives the same network on every machine and in every process.
Without one they come from the `random` module, as in micrograd: after
``random.seed(1337)``, ``MLP(2, [16, 16, 1])`` has micrograd's weights. The
signatures accept micrograd's too (``Neuron(nin, nonlin=True)``,
``Layer(nin, nout, **kwargs)``, ``MLP(nin, nouts)``), so its code runs
unchanged apart from the import.

>>> model = MLP(2, [4, 1], seed=0)
>>> len(model.parameters())
17
>>> round(model([1.0, -1.0]).data, 6) == round(MLP(2, [4, 1], seed=0)([1.0, -1.0]).data, 6)
True
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from operator import is_
from typing import Literal, Protocol

from autograd.engine import Constant, Number, Value, _dot

__all__ = [
    "MLP",
    "SGD",
    "Layer",
    "Module",
    "Neuron",
    "Nonlinearity",
    "accuracy",
    "hinge_loss",
    "l2_penalty",
    "mean_squared_error",
]

Nonlinearity = Literal["relu", "tanh", "sigmoid", "linear"]
_NONLINEARITIES = ("relu", "tanh", "sigmoid", "linear")


class _RandomSource(Protocol):
    def uniform(self, a: float, b: float, /) -> float: ...


def _random_source(seed: int | random.Random | None) -> _RandomSource:
    """``random.Random(seed)``; with no seed, the `random` module's own generator."""
    if seed is None:
        return random
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _seeded(seed: int | random.Random | None) -> random.Random | None:
    """What a module passes on to its parts: one shared generator, or None."""
    if seed is None or isinstance(seed, random.Random):
        return seed
    return random.Random(seed)


def _nonlinearity(nonlinearity: Nonlinearity | bool, nonlin: bool | None) -> Nonlinearity:
    """The nonlinearity's name; micrograd's ``nonlin=True/False`` means relu/linear."""
    if nonlin is not None:
        nonlinearity = nonlin
    if nonlinearity is True:
        return "relu"
    if nonlinearity is False:
        return "linear"
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(
            f"nonlinearity must be one of {', '.join(_NONLINEARITIES)}; got {nonlinearity!r}"
        )
    return nonlinearity


def _as_nodes(x: Sequence[Value | Number]) -> tuple[Value, ...]:
    """The inputs as nodes: a plain number becomes a `Constant`."""
    return tuple([v if isinstance(v, Value) else Constant(v) for v in x])


class Module:
    """Something with parameters: they can be listed and their gradients reset.

    >>> neuron = Neuron(3, seed=1)
    >>> neuron.zero_grad()
    >>> [p.grad for p in neuron.parameters()]
    [0.0, 0.0, 0.0, 0.0]
    """

    def parameters(self) -> list[Value]:
        """Every trainable `Value` of this module."""
        return []

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``nonlinearity(w . x + b)`` with one weight per input and a bias.

    Weights start uniform in [-1, 1]; the bias starts at 0. The weighted sum
    is one `Value.dot` node, then one node for the nonlinearity.
    ``nonlinearity`` may also be given as micrograd's ``nonlin=True``
    (relu) or ``nonlin=False`` (linear).

    >>> neuron = Neuron(2, nonlinearity="tanh", seed=3)
    >>> out = neuron([0.5, -1.0])
    >>> -1.0 < out.data < 1.0
    True
    >>> out._prev[0]._op
    'dot'
    """

    def __init__(
        self,
        inputs: int,
        nonlinearity: Nonlinearity | bool = "relu",
        *,
        seed: int | random.Random | None = None,
        nonlin: bool | None = None,
    ) -> None:
        if isinstance(inputs, bool) or not isinstance(inputs, int) or inputs < 1:
            raise ValueError(f"a neuron needs a whole number of inputs >= 1, got {inputs!r}")
        self.nonlinearity = _nonlinearity(nonlinearity, nonlin)
        rng = _random_source(seed)
        self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(inputs)]
        self.b = Value(0.0)
        self._weights_and_bias: tuple[Value, ...] = ()

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        return self._forward(_as_nodes(x))

    def _forward(self, x: tuple[Value, ...]) -> Value:
        # Every output of this neuron shares one tuple of its parameters,
        # made again only when ``w`` or ``b`` was changed.
        params = self._weights_and_bias
        w = self.w
        if len(params) != len(w) + 1 or params[-1] is not self.b or not all(map(is_, w, params)):
            params = self._weights_and_bias = (*w, self.b)
        act = _dot(params, x)
        nonlinearity = self.nonlinearity
        if nonlinearity == "relu":
            return act.relu()
        if nonlinearity == "linear":
            return act
        if nonlinearity == "tanh":
            return act.tanh()
        return act.sigmoid()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, nonlinearity={self.nonlinearity!r})"


class Layer(Module):
    """A row of neurons that all see the same inputs.

    It returns a list of outputs, or the `Value` itself when it has one
    neuron, as in micrograd.

    >>> layer = Layer(2, 3, seed=0)
    >>> len(layer([1.0, 2.0]))
    3
    >>> Layer(2, 1, nonlin=False, seed=0)([1.0, 2.0])._op
    'dot'
    """

    def __init__(
        self,
        inputs: int,
        outputs: int,
        nonlinearity: Nonlinearity | bool = "relu",
        *,
        seed: int | random.Random | None = None,
        nonlin: bool | None = None,
    ) -> None:
        if isinstance(outputs, bool) or not isinstance(outputs, int) or outputs < 1:
            raise ValueError(f"a layer needs a whole number of outputs >= 1, got {outputs!r}")
        kind = _nonlinearity(nonlinearity, nonlin)
        rng = _seeded(seed)
        self.neurons = [Neuron(inputs, kind, seed=rng) for _ in range(outputs)]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        out = self._forward(x)
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Value | Number]) -> list[Value]:
        inputs = len(self.neurons[0].w)
        if len(x) != inputs:
            raise ValueError(f"this layer takes {inputs} inputs, got {len(x)}")
        nodes = _as_nodes(x)
        return [neuron._forward(nodes) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        return f"Layer({', '.join(map(repr, self.neurons))})"


class MLP(Module):
    """A multi-layer perceptron; the last layer is linear.

    ``MLP(2, [16, 16, 1])`` has two inputs, two hidden layers of 16 and one
    output.

    >>> model = MLP(2, [16, 16, 1], seed=1337)
    >>> len(model.parameters())
    337
    """

    def __init__(
        self,
        inputs: int,
        layer_sizes: Sequence[int],
        nonlinearity: Nonlinearity = "relu",
        *,
        seed: int | random.Random | None = None,
    ) -> None:
        if not layer_sizes:
            raise ValueError("an MLP needs at least one layer size")
        rng = _seeded(seed)
        sizes = [inputs, *layer_sizes]
        last = len(layer_sizes) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                "linear" if i == last else nonlinearity,
                seed=rng,
            )
            for i in range(len(layer_sizes))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """The output: one `Value` for a single-output network, else a list."""
        out: Sequence[Value | Number] = x
        for layer in self.layers:
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"


def hinge_loss(scores: Sequence[Value], labels: Sequence[Number]) -> Value:
    """The mean of ``max(0, 1 - y * score)``, for labels -1 and +1.

    >>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data
    0.75
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    for y in labels:
        if y not in (-1, 1):
            raise ValueError(f"hinge loss needs labels -1 or +1, got {y!r}")
    if not scores:
        raise ValueError("cannot take the mean of nothing")
    losses = [(1 - y * s).relu() for s, y in zip(scores, labels, strict=True)]
    return Value.sum(losses) * (1.0 / len(losses))


def mean_squared_error(predictions: Sequence[Value], targets: Sequence[Number]) -> Value:
    """The mean of ``(prediction - target) ** 2``.

    >>> mean_squared_error([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions but {len(targets)} targets")
    if not predictions:
        raise ValueError("cannot take the mean of nothing")
    squares = [(p - t) ** 2 for p, t in zip(predictions, targets, strict=True)]
    return Value.sum(squares) * (1.0 / len(squares))


def l2_penalty(parameters: Sequence[Value], alpha: float) -> Value:
    """``alpha`` times the sum of the squared parameters (weight decay).

    >>> l2_penalty([Value(1.0), Value(-2.0)], 0.5).data
    2.5
    """
    return alpha * Value.sum([p * p for p in parameters])


def accuracy(scores: Sequence[Value], labels: Sequence[Number]) -> float:
    """The fraction of scores whose sign matches the label (-1 or +1).

    >>> accuracy([Value(0.3), Value(-2.0), Value(1.0)], [1, -1, -1])
    0.6666666666666666
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    right = sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels, strict=True))
    return right / len(labels)


class SGD:
    """Gradient descent steps: ``p.data -= learning_rate * p.grad`` for each parameter.

    It steps against whatever gradients ``backward()`` left. The descent is
    stochastic, as the name (from PyTorch's ``torch.optim.SGD``) says, when
    each step's loss is computed on a random minibatch of the data; with a
    loss over all the data it is plain full-batch gradient descent.

    >>> w = Value(1.0)
    >>> optimizer = SGD([w], learning_rate=0.1)
    >>> (w * w).backward()
    >>> optimizer.step()
    >>> w.data
    0.8
    """

    def __init__(self, parameters: Iterable[Value], learning_rate: float) -> None:
        self.parameters = list(parameters)
        self.learning_rate = learning_rate

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.parameters:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter against its gradient."""
        rate = self.learning_rate
        for p in self.parameters:
            p.data -= rate * p.grad
