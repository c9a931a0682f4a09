"""Code written for micrograd, and its lecture, runs on this engine unchanged.

Numbered after the problems such code used to hit: 1 extra attributes,
2 custom operations, 3 `autograd.nn` like `micrograd.nn`, 4 drawing the
lecture's graphs, 5 pickling and copying, 6 NaN and infinite derivatives,
7 hand-built nodes, 8 no state kept per exponent. micrograd 0.1.0 itself is
installed with the tests, so its numbers are computed, not copied.
"""

import copy
import math
import pickle
import random
import subprocess
import sys
import tracemalloc

import pytest

from autograd import Value, draw_dot, trace
from autograd.datasets import make_moons
from autograd.graph import GraphTooLargeError
from autograd.nn import MLP, Layer, Neuron

# micrograd's demo.ipynb training loop; only the package name is filled in.
DEMO = """
import random
from {package}.engine import Value
from {package}.nn import Neuron, Layer, MLP

random.seed(1337)
model = MLP(2, [16, 16, 1])
initial = [p.data for p in model.parameters()]

def loss(batch_size=None):
    Xb, yb = X, y
    inputs = [list(map(Value, xrow)) for xrow in Xb]
    scores = list(map(model, inputs))
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

history = []
for k in range(steps):
    total_loss, acc = loss()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    history.append((total_loss.data, acc))
final = [p.data for p in model.parameters()]
"""


def run_demo(package: str, steps: int = 4) -> dict[str, object]:
    X, y = make_moons(30, noise=0.1, seed=1)
    namespace: dict[str, object] = {"X": X, "y": y, "steps": steps}
    exec(DEMO.format(package=package), namespace)
    return namespace


@pytest.fixture(scope="module")
def micrograd_demo() -> dict[str, object]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # micrograd recurses
    return run_demo("micrograd")


def test_the_demo_gives_micrograds_weights_losses_and_accuracy(
    micrograd_demo: dict[str, object],
) -> None:
    ours = run_demo("autograd")
    assert ours["initial"] == micrograd_demo["initial"]  # the same random draws
    our_history = ours["history"]
    their_history = micrograd_demo["history"]
    assert isinstance(our_history, list) and isinstance(their_history, list)
    assert [acc for _, acc in our_history] == [acc for _, acc in their_history]
    assert [loss for loss, _ in our_history] == pytest.approx(
        [loss for loss, _ in their_history], rel=1e-12
    )
    assert ours["final"] == pytest.approx(micrograd_demo["final"], rel=1e-9, abs=1e-12)


# --- 1: extra attributes -------------------------------------------------------


def test_nodes_take_extra_attributes() -> None:
    x = Value(1.0)
    y = (x * 2).tanh()
    x.m, x.v = 0.0, 0.0
    y.tag = "activation"
    assert (x.m, x.v, y.tag) == (0.0, 0.0, "activation")


def test_an_adam_optimizer_that_keeps_state_on_the_parameters() -> None:
    w = Value(0.0)
    beta1, beta2, rate = 0.9, 0.999, 0.1
    for t in range(1, 301):
        loss = (w - 3.0) ** 2
        w.grad = 0.0
        loss.backward()
        if t == 1:
            w.m, w.v = 0.0, 0.0
        w.m = beta1 * w.m + (1 - beta1) * w.grad
        w.v = beta2 * w.v + (1 - beta2) * w.grad**2
        m_hat, v_hat = w.m / (1 - beta1**t), w.v / (1 - beta2**t)
        w.data -= rate * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert w.data == pytest.approx(3.0, abs=1e-2)


# --- 2: custom operations, the micrograd way -------------------------------------


def test_a_custom_operation_written_the_micrograd_way() -> None:
    def sin(self: Value) -> Value:
        out = Value(math.sin(self.data), (self,), "sin")

        def _backward() -> None:
            self.grad += math.cos(self.data) * out.grad

        out._backward = _backward  # type: ignore[method-assign]
        return out

    x = Value(1.2)
    y = sin(x * x)
    y.backward()
    assert y._op == "sin"
    assert x.grad == pytest.approx(math.cos(1.44) * 2 * 1.2)  # chain rule by hand


# --- 3: autograd.nn like micrograd.nn ----------------------------------------------


def test_random_seed_gives_micrograds_weights() -> None:
    from micrograd import nn as micrograd_nn

    random.seed(1337)
    theirs = [p.data for p in micrograd_nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    assert ours == theirs


def test_micrograds_signatures() -> None:
    assert Neuron(3, nonlin=False).nonlinearity == "linear"
    assert Neuron(3, nonlin=True).nonlinearity == "relu"
    assert Neuron(3, False).nonlinearity == "linear"
    assert [n.nonlinearity for n in Layer(3, 2, nonlin=False).neurons] == ["linear", "linear"]
    model = MLP(3, [4, 4, 1])
    assert [n.nonlinearity for layer in model.layers for n in layer.neurons[:1]] == [
        "relu",
        "relu",
        "linear",
    ]


def test_a_layer_with_one_output_returns_a_value() -> None:
    out = Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(out, Value)
    outs = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 3


def test_a_neuron_is_one_dot_node_and_matches_its_operators() -> None:
    neuron = Neuron(3, nonlinearity="tanh", seed=5)
    x = [Value(0.5), Value(-1.5), Value(2.0)]
    out = neuron(x)
    act = out._prev[0]
    assert act._op == "dot"
    assert act._prev == (neuron.w[0], x[0], neuron.w[1], x[1], neuron.w[2], x[2], neuron.b)
    by_hand = neuron.b
    for w, xi in zip(neuron.w, x, strict=True):
        by_hand = by_hand + w * xi
    assert out.data == by_hand.tanh().data


def test_a_neuron_sees_weights_replaced_after_it_was_made() -> None:
    neuron = Neuron(2, nonlinearity="linear", seed=0)
    assert neuron([1.0, 1.0]).data == neuron.w[0].data + neuron.w[1].data
    neuron.w[1] = Value(10.0)
    neuron.b = Value(1.0)
    assert neuron([1.0, 1.0]).data == neuron.w[0].data + 10.0 + 1.0


# --- 4: drawing the lecture's graphs --------------------------------------------------


def test_the_lectures_four_sample_mlp_draws_with_the_default_limit() -> None:
    class LectureNeuron:
        def __init__(self, nin: int) -> None:
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(random.uniform(-1, 1))

        def __call__(self, x: list[float]) -> Value:
            act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
            return act.tanh()

    random.seed(0)
    sizes = [3, 4, 4, 1]
    layers = [[LectureNeuron(sizes[i]) for _ in range(sizes[i + 1])] for i in range(3)]
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    ypred = []
    for x in xs:
        values: list = x
        for layer in layers:
            values = [neuron(values) for neuron in layer]
        ypred.append(values[0])
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
    assert isinstance(loss, Value)
    # Counted by hand, as micrograd makes them: 41 parameters; per sample, each
    # neuron makes nin products, nin sums and a tanh (4*7 + 4*9 + 9 = 73) and each
    # input number becomes a leaf in layer 1 (4*3 = 12); per sample the loss adds
    # the constant -ygt, a sum and a square (3); sum() adds 0 and four sums (5).
    # 41 + 4 * (73 + 12 + 3) + 5 = 398, the size of the lecture's graph.
    assert len(trace(loss)[0]) == 41 + 4 * (73 + 12 + 3) + 5 == 398
    assert "digraph" in draw_dot(loss).source


def test_a_graph_over_the_limit_says_how_to_raise_it() -> None:
    v = Value(0.0)
    for _ in range(2000):
        v = v + 1.0
    with pytest.raises(GraphTooLargeError, match="pass a larger max_nodes"):
        draw_dot(v)
    assert "digraph" in draw_dot(v, max_nodes=5000).source


# --- 5: pickling and copying ------------------------------------------------------------


def test_a_pickled_power_backpropagates_in_a_fresh_process() -> None:
    data = pickle.dumps(Value(3.0) ** 2)
    code = (
        "import pickle, sys; v = pickle.loads(sys.stdin.buffer.read()); v.backward(); "
        "print(v._op, v.data, v._prev[0].grad)"
    )
    result = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True)
    assert result.stdout.decode().split() == ["**2", "9.0", "6.0"], result.stderr.decode()


def deep_chain(depth: int) -> tuple[Value, Value]:
    x = Value(1.0, label="x")
    v = x
    for _ in range(depth):
        v = (v * 1.0001).tanh() + 0.001
    return x, v


def test_pickling_a_deep_chain_keeps_its_graph_and_gradients() -> None:
    x, out = deep_chain(10_000)
    out.backward()
    loaded_x, loaded_out = pickle.loads(pickle.dumps([x, out]))
    assert loaded_out.data == out.data and loaded_x.label == "x"
    loaded_x.grad = 0.0
    loaded_out.backward()
    assert loaded_x.grad == x.grad  # and loaded_x is the leaf of loaded_out's graph


def test_deepcopy_of_a_deep_chain_is_independent_and_exact() -> None:
    x, out = deep_chain(10_000)
    x_copy, out_copy = copy.deepcopy([x, out])
    assert x_copy is not x and out_copy.data == out.data
    out_copy.backward()
    assert x.grad == 0.0
    out.backward()
    assert x_copy.grad == x.grad


def test_copying_keeps_shared_nodes_shared() -> None:
    a = Value(2.0)
    b = a * a + a
    b2 = copy.deepcopy(b)
    a2 = b2._prev[0]._prev[0]
    assert a2 is b2._prev[0]._prev[1] is b2._prev[1]
    b2.backward()
    assert a2.grad == 5.0  # 2a + 1


# --- 6: NaN and infinite derivatives -------------------------------------------------------


def test_relu_keeps_nan() -> None:
    x = Value(float("nan"))
    out = x.relu()
    assert math.isnan(out.data)
    out.backward()
    assert x.grad == 1.0  # as PyTorch: the gradient is blocked only where relu(x) <= 0


def test_an_infinite_derivative_times_relus_zero_is_zero() -> None:
    x = Value(-1.0)
    r = x.relu()
    out = r**0.5  # sqrt at 0: the derivative is infinite
    out.backward()
    assert r.grad == math.inf
    assert x.grad == 0.0  # relu's zero comes first


def test_a_zero_gradient_through_a_power_stays_zero() -> None:
    x = Value(0.0)
    out = (x**0.5) * 0.0
    out.backward()
    assert x.grad == 0.0


def test_power_of_a_negative_base_by_a_value() -> None:
    a, b = Value(-2.0), Value(3.0)
    (a**b).backward()
    assert a.grad == 12.0  # 3 * (-2)**2
    assert math.isnan(b.grad)  # (-2)**3 * ln(-2) is not real


def test_power_of_zero_by_a_value() -> None:
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)  # 2 * 0**1, and 0**b is flat in b at b > 0


# --- 7: hand-built nodes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "children", "message"),
    [
        ("+", 1, "'\\+' takes 2 children, got 1"),
        ("*", 3, "'\\*' takes 2 children, got 3"),
        ("tanh", 2, "'tanh' takes 1 child, got 2"),
        ("**2", 2, "'\\*\\*2' takes 1 child, got 2"),
        ("sum", 0, "'sum' needs at least one child, got none"),
    ],
)
def test_a_hand_built_node_with_the_wrong_number_of_children_is_refused(
    op: str, children: int, message: str
) -> None:
    a = Value(1.0)
    with pytest.raises(ValueError, match=message):
        Value(2.0, (a,) * children, op)


def test_a_hand_built_power_backpropagates() -> None:
    a = Value(3.0)
    out = Value(27.0, (a,), "**3")
    out.backward()
    assert a.grad == 27.0  # 3 * a**2


# --- 8: no state kept per exponent -----------------------------------------------------------


def test_powers_by_many_exponents_leave_nothing_behind() -> None:
    x = Value(1.5)
    rng = random.Random(0)
    for _ in range(1000):  # warm up whatever is cached once
        x ** rng.random()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    for _ in range(20_000):
        out = x ** rng.random()
    del out
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert after - before < 2_000  # bytes: nothing grows with the number of exponents


def test_the_name_of_a_power_shows_its_exponent() -> None:
    x = Value(1.0)
    assert [(x**k)._op for k in (2, 2.0, -1, 0.5, 1e20)] == [
        "**2",
        "**2",
        "**-1",
        "**0.5",
        "**1e+20",
    ]


# --- strict input stays strict ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["3", True])
def test_text_and_booleans_are_not_numbers(bad: object) -> None:
    with pytest.raises(TypeError, match="Value data must be a real number"):
        Value(bad)  # type: ignore[arg-type]
