"""The neural-net pieces: seeded networks, losses, SGD, two moons."""

import pytest

from autograd import Value, central_difference
from autograd.datasets import make_moons
from autograd.nn import (
    MLP,
    SGD,
    Layer,
    Neuron,
    accuracy,
    hinge_loss,
    l2_penalty,
    mean_squared_error,
)


def test_same_seed_same_network() -> None:
    first = [p.data for p in MLP(2, [4, 4, 1], seed=7).parameters()]
    second = [p.data for p in MLP(2, [4, 4, 1], seed=7).parameters()]
    other = [p.data for p in MLP(2, [4, 4, 1], seed=8).parameters()]
    assert first == second
    assert first != other


def test_parameter_count() -> None:
    assert len(MLP(2, [16, 16, 1]).parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1


def test_neuron_computes_weighted_sum_then_nonlinearity() -> None:
    neuron = Neuron(2, nonlinearity="tanh", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.5, -1.0, 0.25
    out = neuron([2.0, 1.0])
    assert out.data == pytest.approx(0.2449186624037092)  # tanh(1 - 1 + 0.25)


def test_last_layer_is_linear() -> None:
    model = MLP(1, [3, 1], seed=0)
    assert model.layers[-1].neurons[0].nonlinearity == "linear"
    assert model.layers[0].neurons[0].nonlinearity == "relu"


def test_bad_nonlinearity_and_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        Neuron(2, nonlinearity="softsign")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="inputs"):
        Neuron(0)
    with pytest.raises(ValueError, match="outputs"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])


def test_zero_grad() -> None:
    model = MLP(2, [3, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    (out * out).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_losses_by_hand() -> None:
    assert hinge_loss([Value(0.5), Value(-2.0)], [1, 1]).data == pytest.approx((0.5 + 3.0) / 2)
    assert mean_squared_error([Value(1.0)], [3.0]).data == 4.0
    assert l2_penalty([Value(3.0)], 0.1).data == pytest.approx(0.9)
    with pytest.raises(ValueError, match="labels -1 or \\+1"):
        hinge_loss([Value(1.0)], [0])


def test_network_gradient_matches_finite_differences() -> None:
    model = MLP(2, [3, 1], nonlinearity="tanh", seed=3)
    w = model.parameters()[0]
    out = model([0.4, -0.9])
    assert isinstance(out, Value)
    out.backward()

    def output_at(t: float) -> float:
        saved = w.data
        w.data = t
        value = model([0.4, -0.9])
        w.data = saved
        assert isinstance(value, Value)
        return value.data

    assert w.grad == pytest.approx(central_difference(output_at, w.data), rel=1e-6)


def test_sgd_moves_against_the_gradient() -> None:
    w = Value(2.0)
    optimizer = SGD([w], learning_rate=0.25)
    (w * w).backward()  # grad 4
    optimizer.step()
    assert w.data == 1.0
    optimizer.zero_grad()
    assert w.grad == 0.0


def test_two_moons_is_seeded_and_balanced() -> None:
    X, y = make_moons(100, noise=0.1, seed=1)
    assert (X, y) == make_moons(100, noise=0.1, seed=1)
    assert make_moons(100, noise=0.1, seed=2)[0] != X
    assert y.count(-1) == y.count(1) == 50


def test_two_moons_without_noise_lie_on_the_half_circles() -> None:
    X, y = make_moons(10, noise=0.0)
    for (px, py), label in zip(X, y, strict=True):
        cx, cy = (0.0, 0.0) if label == -1 else (1.0, 0.5)
        assert (px - cx) ** 2 + (py - cy) ** 2 == pytest.approx(1.0)


def test_training_reaches_full_accuracy_on_two_moons() -> None:
    X, y = make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=1)
    optimizer = SGD(model.parameters(), learning_rate=1.0)
    inputs = [[Value(a), Value(b)] for a, b in X]
    for step in range(50):
        scores = [model(x) for x in inputs]
        loss = hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)  # type: ignore[arg-type]
        optimizer.zero_grad()
        loss.backward()
        optimizer.learning_rate = 1.0 - 0.9 * step / 50
        optimizer.step()
    scores = [model(x) for x in inputs]
    assert accuracy(scores, y) == 1.0  # type: ignore[arg-type]
