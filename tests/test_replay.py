"""`replay`: the floats of a fresh graph and backward(), or a refusal at recording time."""

from __future__ import annotations

import math
import random
import tracemalloc
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from autograd import Constant, ReplayError, Value, register_operation, replay
from autograd.datasets import make_moons
from autograd.nn import MLP, hinge_loss, l2_penalty


@register_operation("test-replay-sin", children=1, forward=math.sin)
def _sin_backward(out: Value) -> None:
    (x,) = out._prev
    x.grad += math.cos(x.data) * out.grad


def _product(*values: float) -> float:
    return math.prod(values)


@register_operation("test-replay-product", children=None, forward=_product)
def _product_backward(out: Value) -> None:
    for i, child in enumerate(out._prev):
        others = math.prod(c.data for j, c in enumerate(out._prev) if j != i)
        child.grad += others * out.grad


@register_operation("test-replay-no-forward", children=1)
def _no_forward_backward(out: Value) -> None:
    out._prev[0].grad += out.grad


def sin(x: Value) -> Value:
    return Value(math.sin(x.data), (x,), "test-replay-sin")


def product(*values: Value) -> Value:
    return Value(math.prod(v.data for v in values), values, "test-replay-product")


# -- random graphs -------------------------------------------------------------------

Op = Callable[[Sequence[Value]], Value]

OPERATIONS: list[tuple[str, int, Op]] = [
    ("+", 2, lambda v: v[0] + v[1]),
    ("-", 2, lambda v: v[0] - v[1]),
    ("*", 2, lambda v: v[0] * v[1]),
    ("/", 2, lambda v: v[0] / (v[1] * v[1] + 1.0)),
    ("/ number", 1, lambda v: v[0] / -2.5),
    ("number /", 1, lambda v: 2.0 / (v[0] * v[0] + 0.25)),
    ("neg", 1, lambda v: -v[0]),
    ("+ number", 1, lambda v: v[0] + 1.5),
    ("number -", 1, lambda v: 3.0 - v[0]),
    ("* number", 1, lambda v: v[0] * -0.5),
    ("number *", 1, lambda v: 2 * v[0]),
    ("** 2", 1, lambda v: v[0] ** 2),
    ("** 3", 1, lambda v: v[0] ** 3),
    ("** -1", 1, lambda v: (v[0] * v[0] + 1.0) ** -1),
    ("** 0.5", 1, lambda v: (v[0] * v[0] + 0.5) ** 0.5),
    ("** value", 2, lambda v: (v[0] * v[0] + 0.5) ** v[1].tanh()),
    ("number ** value", 1, lambda v: 2.0 ** v[0].tanh()),
    ("tanh", 1, lambda v: v[0].tanh()),
    ("exp", 1, lambda v: v[0].tanh().exp()),
    ("log", 1, lambda v: (v[0] * v[0] + 1.0).log()),
    ("relu", 1, lambda v: v[0].relu()),
    ("sigmoid", 1, lambda v: v[0].sigmoid()),
    ("sum", 3, lambda v: Value.sum([v[0], v[1], v[0], 0.5, v[2]])),
    ("dot", 3, lambda v: Value.dot([v[0], v[1]], [v[2], -1.5])),
    ("dot with bias", 3, lambda v: Value.dot([v[0], 2.0], [v[1], v[2]], v[0])),
    ("registered", 1, lambda v: sin(v[0])),
    ("registered, many children", 3, lambda v: product(v[0], v[1], v[0], v[2])),
    ("constant node", 1, lambda v: v[0] * Constant(0.75)),
]

Program = list[tuple[int, list[int]]]  # (operation, operand indices) per node


@st.composite
def programs(draw: st.DrawFn, inputs: int, max_size: int = 12) -> Program:
    """A straight-line program over ``inputs`` values: each step uses earlier ones."""
    program: Program = []
    for step in range(draw(st.integers(1, max_size))):
        operation = draw(st.integers(0, len(OPERATIONS) - 1))
        available = inputs + step
        arity = OPERATIONS[operation][1]
        # Mostly recent values, so that the graph is deep rather than flat.
        picks = st.integers(max(0, available - 4), available - 1) | st.integers(0, available - 1)
        program.append((operation, [draw(picks) for _ in range(arity)]))
    return program


def run_program(program: Program, values: list[Value]) -> Value:
    values = list(values)
    for operation, picks in program:
        values.append(OPERATIONS[operation][2]([values[i] for i in picks]))
    return values[-1]


numbers = st.floats(-2.0, 2.0, allow_nan=False) | st.sampled_from([0.0, -0.0, 1.0, -1.0])


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Callable[[list[Value]], Value], int, str]:
    """A loss over leaves: a per-sample piece, repeated, with shared parameters, then combined."""
    params = draw(st.integers(1, 3))
    prelude = draw(st.none() | programs(params, max_size=3))  # values every sample shares
    shared_count = params + (prelude is not None)
    per_sample = draw(st.integers(1, 2))
    samples = draw(st.integers(1, 12))
    piece = draw(programs(shared_count + per_sample + 1))
    labels = draw(st.lists(st.sampled_from([-1.0, 1.0, 0.5]), min_size=samples, max_size=samples))
    combine = draw(st.sampled_from(["python sum", "Value.sum", "chain", "recurrence", "dot"]))
    tail = draw(programs(2, max_size=3))

    def loss(leaves: list[Value]) -> Value:
        shared = leaves[:params]
        if prelude is not None:
            shared = [*shared, run_program(prelude, shared)]
        outs = [
            run_program(
                piece,
                [
                    *shared,
                    *leaves[params + k * per_sample : params + (k + 1) * per_sample],
                    Constant(labels[k]),  # a plain number of the sample, like its label
                ],
            )
            for k in range(samples)
        ]
        if combine == "python sum":
            total = sum(outs)  # 0 + a + b + ..., a chain of additions
        elif combine == "Value.sum":
            total = Value.sum(outs)
        elif combine == "chain":
            total = outs[0]
            for out in outs[1:]:
                total = total * 0.5 + out.tanh()
        elif combine == "recurrence":  # every state is also used at the end
            states = [outs[0]]
            for out in outs[1:]:
                states.append((states[-1] * shared[0] + out).tanh())
            total = Value.sum(states)
        else:
            total = Value.dot(outs, [1.0 / samples] * samples)
        assert isinstance(total, Value)
        return run_program(tail, [total, shared[-1]])

    def names(program: Program | None) -> list[tuple[str, list[int]]]:
        return [(OPERATIONS[op][0], picks) for op, picks in program or []]

    text = f"prelude {names(prelude)}; {samples} x {names(piece)} via {combine}; then {names(tail)}"
    return loss, params + samples * per_sample, text


def bits(values: Sequence[float]) -> list[str]:
    return [float(v).hex() for v in values]


def reference(loss: Callable[[list[Value]], Value], data: list[float]) -> list[str]:
    """The loss and the leaves' gradients from a fresh graph and backward()."""
    leaves = [Value(x) for x in data]
    root = loss(leaves)
    root.backward()
    return bits([root.data] + [leaf.grad for leaf in leaves])


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data())
def test_replay_gives_the_bits_of_backward_on_random_graphs(
    graph: tuple[Callable[[list[Value]], Value], int, str], data: st.DataObject
) -> None:
    loss, size, text = graph
    note(text)
    first = data.draw(st.lists(numbers, min_size=size, max_size=size))
    leaves = [Value(x) for x in first]
    run = replay(loss(leaves))
    assert bits([run()] + [leaf.grad for leaf in leaves]) == reference(loss, first)
    # New data in the leaves: the replay still gives what a fresh graph would.
    second = data.draw(st.lists(numbers, min_size=size, max_size=size))
    for leaf, x in zip(leaves, second, strict=True):
        leaf.data, leaf.grad = x, 0.0
    assert bits([run()] + [leaf.grad for leaf in leaves]) == reference(loss, second)


# -- training -------------------------------------------------------------------------


def micrograd_demo_loss(model: MLP, X: list[tuple[float, float]], y: list[int]) -> Value:
    """micrograd's demo loss, written with the operators."""
    scores = [model(list(map(Value, x))) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]  # type: ignore[operator]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters())  # type: ignore[no-any-return]


def nn_loss(model: MLP, X: list[tuple[float, float]], y: list[int]) -> Value:
    scores = [model(list(map(Value, x))) for x in X]
    return hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)  # type: ignore[arg-type]


@pytest.mark.parametrize("make_loss", [micrograd_demo_loss, nn_loss])
def test_a_training_loop_through_replay_takes_the_same_steps(
    make_loss: Callable[[MLP, list[tuple[float, float]], list[int]], Value],
) -> None:
    X, y = make_moons(30, noise=0.1, seed=2)

    def train(use_replay: bool) -> list[str]:
        model = MLP(2, [8, 8, 1], seed=5)
        params = model.parameters()
        run = replay(make_loss(model, X, y)) if use_replay else None
        trace = []
        for _ in range(5):
            for p in params:
                p.grad = 0.0
            if run is None:
                loss = make_loss(model, X, y)
                loss.backward()
                value = loss.data
            else:
                value = run()
            trace += bits([value] + [p.grad for p in params])
            for p in params:
                p.data -= 0.05 * p.grad
        return trace + bits([p.data for p in params])

    assert train(use_replay=True) == train(use_replay=False)


@pytest.mark.parametrize("make_loss", [micrograd_demo_loss, nn_loss])
def test_a_per_sample_graph_becomes_a_loop_whose_code_does_not_grow_with_the_samples(
    make_loss: Callable[[MLP, list[tuple[float, float]], list[int]], Value],
) -> None:
    def recorded(samples: int) -> tuple[int, int, int]:
        X, y = make_moons(samples, noise=0.1, seed=2)
        run = replay(make_loss(MLP(2, [8, 8, 1], seed=5), X, y))
        looped = sum(loop.period * loop.repeats for loop in run.loops)
        return run.nodes, looped, len(run.source.splitlines())

    nodes, looped, lines = recorded(20)
    more_nodes, more_looped, more_lines = recorded(60)
    assert looped >= 0.95 * nodes and more_looped >= 0.95 * more_nodes
    assert more_nodes > 2.5 * nodes
    assert more_lines - lines < 5


def test_a_long_chain_is_a_loop_that_carries_its_value() -> None:
    x = Value(1.0)
    v = x
    for _ in range(20_000):
        v = v * 1.0001 + 0.0001
    built = v.data
    run = replay(v)
    assert len(run.source.splitlines()) < 100
    replayed = bits([run(), x.grad])
    x.grad = 0.0
    v.backward()
    assert replayed == bits([built, x.grad])
    assert x.grad > 1.0  # d/dx of x * 1.0001**20000 + ...


# -- what a run does ------------------------------------------------------------------------


def test_gradients_add_up_over_runs_as_over_backward_calls() -> None:
    a, b = Value(1.5), Value(-2.0)
    run = replay((a * b).tanh() + a)
    run()
    run()
    twice = [a.grad, b.grad]
    a.grad = b.grad = 0.0
    root = (a * b).tanh() + a
    root.backward()
    root.backward()
    assert bits(twice) == bits([a.grad, b.grad])


def test_a_gradient_of_minus_zero_in_a_leaf_is_kept_as_backward_keeps_it() -> None:
    a = Value(2.0)
    run = replay(-(a * 0.0))
    a.grad = -0.0
    run()
    replayed = a.grad
    a.grad = -0.0
    (-(a * 0.0)).backward()
    assert bits([replayed]) == bits([a.grad])


def test_run_sets_the_root_and_leaves_interior_nodes_as_they_were() -> None:
    x = Value(2.0)
    inner = x * x
    root = inner + 1.0
    run = replay(root)
    x.data = 3.0
    assert run() == 10.0
    assert (root.data, root.grad) == (10.0, 1.0)
    assert (inner.data, inner.grad) == (4.0, 0.0)


def test_the_graph_is_freed_once_only_the_replay_holds_its_root() -> None:
    x = Value(0.5)
    xs = [Value(float(k)) for k in range(20_000)]
    tracemalloc.start()
    root = Value.sum([(x * xk).tanh() for xk in xs])
    run = replay(root)
    expected = run()  # the leaves' gradients now exist, in both measurements
    with_graph, _ = tracemalloc.get_traced_memory()
    del root
    assert run() == expected
    without_graph, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # What stays: the leaves' gradients, the program's table of the 20,000 inputs.
    assert without_graph < with_graph / 5


def test_relu_is_recomputed_but_python_control_flow_is_frozen() -> None:
    x = Value(1.0)
    root = x.relu() * 3.0 if x.data > 0 else x * 0.0  # Python chose the first branch
    run = replay(root)
    x.data = -1.0
    assert run() == 0.0  # relu saw the new, negative input
    assert x.grad == 0.0
    x.data = 2.0
    assert run() == 6.0
    assert x.grad == 3.0


def test_plain_numbers_are_frozen_and_leaves_are_read_at_every_run() -> None:
    c = Constant(2.0)
    x = Value(1.0)
    run = replay(x * c + 1.0)
    c.data, x.data = 100.0, 5.0
    assert run() == 11.0


def test_a_leaf_as_the_root() -> None:
    x = Value(4.0)
    run = replay(x)
    assert run() == 4.0
    assert x.grad == 1.0


def test_graphs_of_the_same_structure_share_their_compiled_code() -> None:
    def graph() -> Value:
        return Value.sum([Value(float(i)) * Value(2.0) for i in range(5)])

    first, second = replay(graph()), replay(graph())
    assert first.source == second.source
    assert first._function.__code__ is second._function.__code__  # type: ignore[union-attr]


# -- what cannot replay --------------------------------------------------------------------


def test_a_node_with_its_own_backward_closure_is_refused_when_recording() -> None:
    x = Value(0.5)
    out = Value(math.sin(x.data), (x,), "my-sin")

    def _backward() -> None:
        x.grad += math.cos(x.data) * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    with pytest.raises(ReplayError, match="has its own _backward function"):
        replay(out * 2.0)


def test_a_built_in_node_given_its_own_backward_is_refused() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a + b
    out._backward = lambda: None  # type: ignore[method-assign]
    with pytest.raises(ReplayError, match="has its own _backward function"):
        replay(out)


def test_an_operation_registered_without_its_forward_rule_is_refused() -> None:
    x = Value(1.0)
    out = Value(1.0, (x,), "test-replay-no-forward")
    with pytest.raises(ReplayError, match="registered without a forward rule"):
        replay(out + 1.0)


def test_an_operation_with_no_rule_is_refused() -> None:
    out = Value(1.0, (Value(2.0),), "test-replay-mystery")
    with pytest.raises(ReplayError, match="'test-replay-mystery' has no registered rule"):
        replay(out)


def test_a_micrograd_value_is_refused() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    with pytest.raises(TypeError, match="replay needs a Value"):
        replay(micrograd.Value(1.0))


def test_a_registered_operation_replays_inside_a_loop() -> None:
    w = Value(0.3)
    xs = [Value(float(k) / 4) for k in range(6)]
    loss = Value.sum([sin(w * x) * product(w, x, w) for x in xs])
    run = replay(loss)
    assert run.loops
    w.data = -0.7
    replayed = bits([run(), w.grad] + [x.grad for x in xs])
    w.grad = 0.0
    for x in xs:
        x.grad = 0.0
    fresh = Value.sum([sin(w * x) * product(w, x, w) for x in xs])
    fresh.backward()
    assert replayed == bits([fresh.data, w.grad] + [x.grad for x in xs])


def test_random_reuse_of_interior_nodes() -> None:
    rng = random.Random(7)
    for _ in range(50):
        data = [rng.uniform(-2, 2) for _ in range(4)]

        def loss(leaves: list[Value], seed: int = rng.randrange(10**6)) -> Value:
            pick = random.Random(seed)
            values = list(leaves)
            for _ in range(30):
                _, arity, op = OPERATIONS[pick.randrange(len(OPERATIONS))]
                values.append(op([pick.choice(values) for _ in range(arity)]))
            return Value.sum(values[4:])

        leaves = [Value(x) for x in data]
        run = replay(loss(leaves))
        assert bits([run()] + [leaf.grad for leaf in leaves]) == reference(loss, data)
