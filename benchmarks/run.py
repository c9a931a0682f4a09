"""Speed and memory of this engine against micrograd and plain Python floats.

Each engine runs each workload in a process of its own; the parent prints
the times and the ratios, all measured in the same run. Times are the CPU
time of the worker process, so that other work on the machine disturbs
them less. A worker keeps the fastest of a few timings, the one least
disturbed by the rest of the machine. The workers run in rounds, each
round measuring every engine once, so that an engine and its peer are
measured close together; a ratio is the median of the rounds' ratios, and
its range over the rounds is printed beside it. Run it with `nox -s bench`
(``-- --rounds N`` for more rounds).

Workloads, on micrograd's demo (MLP 2-16-16-1 with ReLU, 100 two-moons
points, hinge loss plus 1e-4 L2, weights from ``random.seed(1337)``):
- train-nn: a training step as a user writes it (forward, zero_grad,
  backward, SGD update), with ``autograd.nn`` against ``micrograd.nn``. The
  steps run back to back, so each graph is built while the previous one is
  still alive, as in a training loop;
- train-ops: the same step with the network written by hand with ``*`` and
  ``+`` (micrograd's own code for its neuron, on this engine's `Value`);
- train-nn in pause_gc(): the train-nn step inside ``autograd.pause_gc()``;
- replayed step: the train-ops and train-nn steps with the graph recorded
  once by ``autograd.replay`` and replayed, after a check that a replay gives
  the floats of a fresh graph and ``backward()``;
- 100-step loop: the loop of the replay issue, timed whole: the graph built
  once, recorded and compiled, then 100 replayed SGD steps; micrograd's time
  for it is 100 of its training steps;
- floats: the same step on plain floats, forward and backward written out
  by hand: the floor that no engine written in Python can beat. Its gradient
  is checked against the engine's before anything is timed;
- chain: 100,000 steps of ``x * 1.0001 + 0.0001``, forward and backward;
- memory per binary node: bytes (tracemalloc) per node of a 10,000-step
  chain after backward;
- memory of the demo step's graph: bytes held by one step's whole graph
  after backward.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
CHAIN_STEPS = 100_000
LOOP_STEPS = 100  # steps of the training loop timed with its recording
MEMORY_STEPS = 10_000  # bytes per node do not depend on the length; tracemalloc is slow
SIZES = [2, 16, 16, 1]
ALPHA = 1e-4
# Consecutive steps per timing, and timings per workload (the fastest is kept).
STEPS = {"autograd": 10, "floats": 10, "micrograd": 2}
REPEATS = 3


def moons() -> tuple[list[tuple[float, float]], list[int]]:
    sys.path.insert(0, str(ROOT))
    from autograd.datasets import make_moons

    return make_moons(100, noise=0.1, seed=1)


def micrograd_style_mlp(Value: Any) -> Any:
    """micrograd's `nn` module, word for word, on the given `Value` class."""

    class Neuron:
        def __init__(self, nin: int, nonlin: bool = True) -> None:
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin

        def __call__(self, x: list[Any]) -> Any:
            act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
            return act.relu() if self.nonlin else act

        def parameters(self) -> list[Any]:
            return [*self.w, self.b]

    class Layer:
        def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x: list[Any]) -> Any:
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self) -> list[Any]:
            return [p for n in self.neurons for p in n.parameters()]

    class MLP:
        def __init__(self, nin: int, nouts: list[int]) -> None:
            sz = [nin, *nouts]
            self.layers = [
                Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
            ]

        def __call__(self, x: list[Any]) -> Any:
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self) -> list[Any]:
            return [p for layer in self.layers for p in layer.parameters()]

        def zero_grad(self) -> None:
            for p in self.parameters():
                p.grad = 0.0

    return MLP


def demo_loss(Value: Any, model: Any, X: list[Any], y: list[int]) -> Callable[[], Any]:
    """micrograd's demo loss, written with the operators."""

    def loss() -> Any:
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    return loss


def nn_loss(model: Any, X: list[Any], y: list[int]) -> Callable[[], Any]:
    """The same loss with `autograd.nn`'s functions (one sum node each)."""
    from autograd import Value
    from autograd.nn import hinge_loss, l2_penalty

    def loss() -> Any:
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        return hinge_loss(scores, y) + l2_penalty(model.parameters(), ALPHA)

    return loss


def training_step(model: Any, loss: Callable[[], Any]) -> Callable[[], None]:
    """One SGD step; the previous step's graph stays alive until the new one is built."""
    state: dict[str, Any] = {"total": None, "k": 0}
    params = model.parameters()

    def step() -> None:
        state["total"] = total = loss()  # the previous graph is dropped only now
        model.zero_grad()
        total.backward()
        rate = 1.0 - 0.9 * state["k"] / 100
        for p in params:
            p.data -= rate * p.grad
        state["k"] += 1

    return step


Layers = list[tuple[list[list[float]], list[float]]]


def float_layers() -> Layers:
    """The demo network's weights and biases as lists of floats, micrograd's from seed 1337."""
    random.seed(1337)
    return [
        ([[random.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)], [0.0] * n_out)
        for n_in, n_out in itertools.pairwise(SIZES)
    ]


def float_gradients(layers: Layers, X: list[Any], y: list[int]) -> Layers:
    """The gradient of the demo's hinge loss (without L2), derived and written by hand."""
    last = len(layers) - 1
    grads = [([[0.0] * len(W[0]) for _ in W], [0.0] * len(B)) for W, B in layers]
    n = len(X)
    for x, yi in zip(X, y, strict=True):
        acts = [list(x)]
        for depth, (W, B) in enumerate(layers):
            a_in = acts[-1]
            z = []
            for row, b in zip(W, B, strict=True):
                act = b
                for wi, xi in zip(row, a_in, strict=True):
                    act += wi * xi
                z.append(act)
            acts.append(z if depth == last else [v if v > 0.0 else 0.0 for v in z])
        score = acts[-1][0]
        delta = [-yi / n] if 1.0 - yi * score > 0.0 else [0.0]
        for depth in range(last, -1, -1):
            W, _ = layers[depth]
            gW, gB = grads[depth]
            a_in, a_out = acts[depth], acts[depth + 1]
            if depth != last:
                delta = [d if a > 0.0 else 0.0 for d, a in zip(delta, a_out, strict=True)]
            back = [0.0] * len(a_in)
            for j, d in enumerate(delta):
                gB[j] += d
                row, grow = W[j], gW[j]
                for i, xi in enumerate(a_in):
                    grow[i] += d * xi
                    back[i] += d * row[i]
            delta = back
    return grads


def float_training_step(X: list[Any], y: list[int]) -> Callable[[], None]:
    """The demo's step on plain floats: forward, backward and update by hand."""
    layers = float_layers()
    state = {"k": 0}

    def step() -> None:
        grads = float_gradients(layers, X, y)
        rate = 1.0 - 0.9 * state["k"] / 100
        for (W, B), (gW, gB) in zip(layers, grads, strict=True):
            for row, grow in zip(W, gW, strict=True):
                for i, w in enumerate(row):
                    row[i] = w - rate * (grow[i] + 2 * ALPHA * w)
            for j, b in enumerate(B):
                B[j] = b - rate * (gB[j] + 2 * ALPHA * b)
        state["k"] += 1

    return step


def check_floor(X: list[Any], y: list[int]) -> dict[str, float]:
    """How far the floor's gradient is from the engine's, for the demo's first step.

    The floor adds up in another order than the engine, so the two agree to
    rounding, not to the bit; the largest difference is returned relative
    to the largest gradient.
    """
    layers = float_layers()
    grads = float_gradients(layers, X, y)
    floor = [
        g + 2 * ALPHA * p
        for (W, B), (gW, gB) in zip(layers, grads, strict=True)
        for row, b, grow, gb in zip(W, B, gW, gB, strict=True)
        for p, g in [*zip(row, grow, strict=True), (b, gb)]
    ]
    Value, _ = load("autograd")
    random.seed(1337)
    model = micrograd_style_mlp(Value)(2, SIZES[1:])
    model.zero_grad()
    demo_loss(Value, model, X, y)().backward()
    engine = [p.grad for p in model.parameters()]
    scale = max(map(abs, engine))
    difference = max(abs(a - b) for a, b in zip(floor, engine, strict=True)) / scale
    return {"relative_difference": difference, "parameters": len(engine)}


def replayed_step(model: Any, loss: Callable[[], Any]) -> Callable[[], None]:
    """The training step with the graph recorded once and replayed, checked bit for bit."""
    from autograd import replay

    params = model.parameters()
    run = replay(loss())
    model.zero_grad()
    replayed = [run(), *(p.grad for p in params)]
    model.zero_grad()
    fresh = loss()
    fresh.backward()
    if [fresh.data, *(p.grad for p in params)] != replayed:
        raise SystemExit("the replayed step does not give the engine's floats")
    state = {"k": 0}

    def step() -> None:
        for p in params:
            p.grad = 0.0
        run()
        rate = 1.0 - 0.9 * state["k"] / 100
        for p in params:
            p.data -= rate * p.grad
        state["k"] += 1

    return step


def replayed_loop(X: list[Any], y: list[int]) -> dict[str, float]:
    """The whole 100-step loop of the replay issue, building, recording and compiling included.

    Compiled code is cached by the structure of the graph; the cache is
    emptied before each timing, so each pays the compiler.
    """
    from autograd import Value, replay
    from autograd.record import _compile

    times, recordings = [], []
    for _ in range(REPEATS):
        random.seed(1337)
        model = micrograd_style_mlp(Value)(2, SIZES[1:])
        params = model.parameters()
        total_loss = demo_loss(Value, model, X, y)
        _compile.cache_clear()
        start = time.process_time()
        loss = total_loss()  # build the graph once
        built = time.process_time()
        run = replay(loss)
        recordings.append(time.process_time() - built)
        for _ in range(LOOP_STEPS):
            for p in params:
                p.grad = 0.0
            run()
            for p in params:
                p.data -= 0.05 * p.grad
        times.append(time.process_time() - start)
    return {"seconds": min(times), "recording": min(recordings)}


def per_step(engine: str, step: Callable[[], None]) -> float:
    """The fastest of REPEATS timings of the mean time of consecutive steps."""
    steps = STEPS[engine]
    step()  # warm up, and leave a graph alive as a running loop does
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        for _ in range(steps):
            step()
        times.append((time.process_time() - start) / steps)
    return min(times)


def load(engine: str) -> tuple[Any, Any]:
    """The engine's Value class and its MLP class."""
    sys.path.insert(0, str(ROOT))
    if engine == "autograd":
        from autograd import Value
        from autograd.nn import MLP

        return Value, MLP
    from micrograd.engine import Value  # type: ignore[import-not-found]
    from micrograd.nn import MLP  # type: ignore[import-not-found]

    return Value, MLP


def worker(engine: str, workload: str) -> dict[str, float]:
    X, y = moons()
    if engine == "floats":
        if workload == "check":
            return check_floor(X, y)
        return {"seconds": per_step("floats", float_training_step(X, y))}
    if workload == "replay-loop":
        return replayed_loop(X, y)
    Value, MLP = load(engine)
    random.seed(1337)

    if workload in ("train-nn", "train-paused"):
        model = MLP(2, SIZES[1:])
        loss = nn_loss(model, X, y) if engine == "autograd" else demo_loss(Value, model, X, y)
        step = training_step(model, loss)
        if workload == "train-paused":
            from autograd import pause_gc

            with pause_gc():
                return {"seconds": per_step(engine, step)}
        return {"seconds": per_step(engine, step)}
    if workload == "train-ops":
        model = micrograd_style_mlp(Value)(2, SIZES[1:])
        return {"seconds": per_step(engine, training_step(model, demo_loss(Value, model, X, y)))}
    if workload == "replay-ops":
        model = micrograd_style_mlp(Value)(2, SIZES[1:])
        return {"seconds": per_step(engine, replayed_step(model, demo_loss(Value, model, X, y)))}
    if workload == "replay-nn":
        model = MLP(2, SIZES[1:])
        return {"seconds": per_step(engine, replayed_step(model, nn_loss(model, X, y)))}
    if workload == "graph-memory":
        model = MLP(2, SIZES[1:])
        loss = nn_loss(model, X, y) if engine == "autograd" else demo_loss(Value, model, X, y)
        tracemalloc.start()
        total = loss()
        total.backward()
        traced, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"bytes": traced}

    sys.setrecursionlimit(10 * CHAIN_STEPS)  # micrograd's backward recurses

    def chain(steps: int = CHAIN_STEPS) -> Any:
        v = Value(1.0)
        for _ in range(steps):
            v = v * 1.0001 + 0.0001
        return v

    if workload == "chain":
        chain().backward()  # warm up
        times = []
        for _ in range(REPEATS):
            start = time.process_time()
            chain().backward()
            times.append(time.process_time() - start)
        return {"seconds": min(times)}
    if workload == "node-memory":
        tracemalloc.start()
        root = chain(MEMORY_STEPS)
        root.backward()
        traced, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        nodes = count_nodes(engine, root)
        return {"bytes_per_node": traced / nodes, "nodes": nodes}
    raise SystemExit(f"unknown workload {workload}")


def count_nodes(engine: str, root: Any) -> int:
    """How many node objects the graph holds in memory.

    This engine keeps a plain-number operand as a float inside its parent
    rather than as a node, so its nodes are counted by its own walk.
    """
    if engine == "autograd":
        from autograd import topological_order

        return len(topological_order(root))
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


def measure(engine: str, workload: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", engine, workload],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{engine} {workload} failed:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def duration(seconds: float) -> str:
    """``seconds`` for the table: milliseconds, or seconds from 10 s up."""
    return f"{seconds:.1f}s" if seconds >= 10 else f"{seconds * 1e3:.1f}ms"


class Row(NamedTuple):
    """A line of the speed table: a workload of this engine against its peer's."""

    label: str
    mine: tuple[str, str]  # (engine, workload) measured
    peer: tuple[str, str]
    target: float | None  # the speed-up over the peer to reach, if any
    peer_steps: int = 1  # the peer measures one step; mine this many
    floor_target: float | None = None  # at most this many times the floats floor


SPEED_ROWS = (
    Row("training step, autograd.nn", ("autograd", "train-nn"), ("micrograd", "train-nn"), 60.0),
    Row(
        "training step, written with * and +",
        ("autograd", "train-ops"),
        ("micrograd", "train-nn"),
        15.0,
    ),
    Row(
        "training step, autograd.nn in pause_gc()",
        ("autograd", "train-paused"),
        ("micrograd", "train-nn"),
        None,
    ),
    Row(
        "replayed step, written with * and +",
        ("autograd", "replay-ops"),
        ("micrograd", "train-nn"),
        150.0,
        floor_target=2.0,
    ),
    Row(
        "replayed step, autograd.nn",
        ("autograd", "replay-nn"),
        ("micrograd", "train-nn"),
        None,
        floor_target=2.0,
    ),
    Row(
        f"{LOOP_STEPS}-step loop through replay(), all included",
        ("autograd", "replay-loop"),
        ("micrograd", "train-nn"),
        50.0,
        peer_steps=LOOP_STEPS,
    ),
    Row(
        f"chain of {CHAIN_STEPS:,} steps, fwd+bwd",
        ("autograd", "chain"),
        ("micrograd", "chain"),
        14.0,
    ),
)
FLOATS = ("floats", "train")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "WORKLOAD"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of measurements")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    check = measure("floats", "check")
    jobs = list(dict.fromkeys([FLOATS, *(job for row in SPEED_ROWS for job in row[1:3])]))
    results: dict[tuple[str, str], list[dict[str, float]]] = {job: [] for job in jobs}
    for _ in range(args.rounds):
        for job in jobs:
            results[job].append(measure(*job))
    seconds = {job: [result["seconds"] for result in runs] for job, runs in results.items()}
    floor = statistics.median(seconds[FLOATS])

    print(
        f"{'workload':<42} {'autograd':>9} {'micrograd':>10} {'speed-up':>9} {'range':>13}"
        f" {'target':>9} {'vs floats':>9}"
    )
    failed = False
    for row in SPEED_ROWS:
        ratios = [
            row.peer_steps * t / o
            for o, t in zip(seconds[row.mine], seconds[row.peer], strict=True)
        ]
        ratio = statistics.median(ratios)
        verdict = ""
        if row.target is not None:
            ok = ratio >= row.target
            failed |= not ok
            verdict = f">= {row.target:.0f}x {'ok' if ok else 'MISSED'}"
        ours = statistics.median(seconds[row.mine])
        versus_floats = ""
        if row.mine[1].startswith(("train", "replay-ops", "replay-nn")):
            per_round = [o / f for o, f in zip(seconds[row.mine], seconds[FLOATS], strict=True)]
            versus_floats = f"{statistics.median(per_round):>8.2f}x"
            if row.floor_target is not None:
                ok = statistics.median(per_round) <= row.floor_target
                failed |= not ok
                versus_floats += (
                    f" ({min(per_round):.2f}-{max(per_round):.2f}x)"
                    f" <= {row.floor_target:.0f}x {'ok' if ok else 'MISSED'}"
                )
        peer = statistics.median(seconds[row.peer]) * row.peer_steps
        print(
            f"{row.label:<42} {duration(ours):>9} {duration(peer):>10}"
            f" {ratio:>8.1f}x {min(ratios):>6.1f}-{max(ratios):<5.1f}x {verdict:<10}"
            f"{versus_floats}"
        )
    print(
        f"{'training step on plain floats (the floor)':<42} {duration(floor):>9}"
        f"   ({args.rounds} rounds; 'vs floats' is how many times the floor a step takes)"
    )
    recording = statistics.median(r["recording"] for r in results[("autograd", "replay-loop")])
    print(
        f"(the loop's micrograd time is {LOOP_STEPS} of its steps; of the loop's time, replay()"
        f" recording and compiling the graph took {recording * 1e3:.0f}ms)"
    )
    ok = check["relative_difference"] <= 1e-12
    failed |= not ok
    print(
        f"{'floor checked against the engine':<42} its gradient of the {check['parameters']:.0f}"
        f" parameters differs by {check['relative_difference']:.1e} of the largest"
        f" <= 1e-12 {'ok' if ok else 'MISSED'}"
    )

    per_ours = measure("autograd", "node-memory")
    per_theirs = measure("micrograd", "node-memory")
    ok = per_ours["bytes_per_node"] <= 150
    failed |= not ok
    print(
        f"{'memory per binary node (tracemalloc)':<42} {per_ours['bytes_per_node']:>8.0f}B"
        f" {per_theirs['bytes_per_node']:>9.0f}B"
        f" {per_theirs['bytes_per_node'] / per_ours['bytes_per_node']:>8.1f}x {'':>13}"
        f" <= 150 B {'ok' if ok else 'MISSED'}"
    )
    graph_ours = measure("autograd", "graph-memory")["bytes"]
    graph_theirs = measure("micrograd", "graph-memory")["bytes"]
    ok = graph_ours * 5 <= graph_theirs
    failed |= not ok
    print(
        f"{'memory of the demo step graph':<42} {graph_ours / 1e6:>7.2f}MB"
        f" {graph_theirs / 1e6:>8.2f}MB {graph_theirs / graph_ours:>8.1f}x {'':>13}"
        f" >= 5x {'ok' if ok else 'MISSED'}"
    )
    print(
        f"(nodes in memory for the chain: autograd {per_ours['nodes']:,.0f}, micrograd "
        f"{per_theirs['nodes']:,.0f}, which makes a node of each constant)"
    )
    if failed:
        raise SystemExit("a target was missed")


if __name__ == "__main__":
    main()
