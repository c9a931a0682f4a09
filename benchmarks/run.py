"""Speed and memory of this engine against micrograd and plain Python floats.

Each engine runs each workload in a process of its own; the parent prints
the medians and the ratios. Run it with `nox -s bench`.

Workloads:
- mlp: micrograd's demo network (MLP 2-16-16-1, ReLU, 100 points, hinge loss
  plus 1e-4 L2), forward and backward;
- train: a full training step (zero_grad, forward, backward, update);
- chain: 100,000 steps of ``x * 1.0001 + 0.0001``, forward and backward;
- memory: bytes per graph node (tracemalloc) of a 10,000-step chain, after
  backward.
Plain floats run the forward passes only: the floor no engine can beat.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("autograd", "micrograd", "floats")
CHAIN_STEPS = 100_000
MEMORY_STEPS = 10_000  # bytes per node do not depend on the length; tracemalloc is slow
REPEATS = 5


def load(engine: str) -> tuple[Any, Any]:
    """The engine's Value class and MLP class (None for plain floats)."""
    if engine == "autograd":
        sys.path.insert(0, str(ROOT))
        from autograd import Value
        from autograd.nn import MLP

        return Value, lambda: MLP(2, [16, 16, 1], seed=1337)
    if engine == "micrograd":
        import random

        from micrograd.engine import Value
        from micrograd.nn import MLP

        random.seed(1337)
        return Value, lambda: MLP(2, [16, 16, 1])
    return float, None


def moons() -> tuple[list[tuple[float, float]], list[int]]:
    sys.path.insert(0, str(ROOT))
    from autograd.datasets import make_moons

    return make_moons(100, noise=0.1, seed=1)


def float_network() -> Callable[[list[float]], float]:
    """The same 2-16-16-1 ReLU network on plain floats (forward only)."""
    import random

    rng = random.Random(1337)
    sizes = [2, 16, 16, 1]
    layers = [
        [([rng.uniform(-1, 1) for _ in range(n_in)], 0.0) for _ in range(n_out)]
        for n_in, n_out in itertools.pairwise(sizes)
    ]

    def forward(x: list[float]) -> float:
        for depth, layer in enumerate(layers):
            out = []
            for w, b in layer:
                act = b
                for wi, xi in zip(w, x, strict=True):
                    act = act + wi * xi
                out.append(act if depth == len(layers) - 1 else max(act, 0.0))
            x = out
        return x[0]

    forward.parameters = [w for layer in layers for ws, _ in layer for w in ws]  # type: ignore[attr-defined]
    return forward


def worker(engine: str, workload: str) -> dict[str, float]:
    Value, make_model = load(engine)
    X, y = moons()

    if engine == "floats":
        if workload == "mlp":
            model = float_network()
            params = model.parameters  # type: ignore[attr-defined]

            def run() -> None:
                scores = [model(list(x)) for x in X]
                losses = [max(1 + -yi * s, 0.0) for yi, s in zip(y, scores, strict=True)]
                sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)

            return {"seconds": timed(run)}
        if workload == "chain":

            def run() -> None:
                v = 1.0
                for _ in range(CHAIN_STEPS):
                    v = v * 1.0001 + 0.0001

            return {"seconds": timed(run)}
        raise SystemExit(f"floats have no {workload} workload")

    if workload in ("mlp", "train"):
        model = make_model()
        inputs = [list(map(Value, x)) for x in X]

        def loss() -> Any:
            scores = list(map(model, inputs))
            losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores, strict=True)]
            data_loss = sum(losses) * (1.0 / len(losses))
            return data_loss + 1e-4 * sum(p * p for p in model.parameters())

        if workload == "mlp":

            def run() -> None:
                loss().backward()

        else:

            def run() -> None:
                model.zero_grad()
                total = loss()
                total.backward()
                for p in model.parameters():
                    p.data -= 0.05 * p.grad

        return {"seconds": timed(run)}

    sys.setrecursionlimit(10 * CHAIN_STEPS)  # micrograd's backward recurses

    def chain(steps: int = CHAIN_STEPS) -> Any:
        v = Value(1.0)
        for _ in range(steps):
            v = v * 1.0001 + 0.0001
        return v

    if workload == "chain":
        return {"seconds": timed(lambda: chain().backward())}
    if workload == "memory":
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


def timed(run: Callable[[], None]) -> float:
    run()  # warm up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(engine: str, workload: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", engine, workload],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "WORKLOAD"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return

    rows = []
    for workload, label, target in (
        ("mlp", "MLP 2-16-16-1, forward+backward", 10.0),
        ("train", "MLP training step", 15.0),
        ("chain", f"chain of {CHAIN_STEPS:,} steps, fwd+bwd", 8.0),
    ):
        ours = measure("autograd", workload)["seconds"]
        theirs = measure("micrograd", workload)["seconds"]
        floor_workload = "chain" if workload == "chain" else "mlp"
        floor = measure("floats", floor_workload)["seconds"]
        rows.append((label, ours, theirs, floor, theirs / ours, target))
    memory_ours = measure("autograd", "memory")
    memory_theirs = measure("micrograd", "memory")

    print(
        f"{'workload':<36} {'autograd':>10} {'micrograd':>10} {'floats':>9} {'speed-up':>9}  target"
    )
    failed = False
    for label, ours, theirs, floor, ratio, target in rows:
        ok = ratio >= target
        failed |= not ok
        print(
            f"{label:<36} {ours * 1e3:>8.1f}ms {theirs * 1e3:>8.1f}ms {floor * 1e3:>7.1f}ms"
            f" {ratio:>8.1f}x  >= {target:.0f}x {'ok' if ok else 'MISSED'}"
        )
    per_ours = memory_ours["bytes_per_node"]
    per_theirs = memory_theirs["bytes_per_node"]
    ok = per_ours <= 150
    failed |= not ok
    print(
        f"{'memory per graph node (tracemalloc)':<36} {per_ours:>9.0f}B {per_theirs:>9.0f}B"
        f" {'':>9} {per_theirs / per_ours:>8.1f}x  <= 150 B {'ok' if ok else 'MISSED'}"
    )
    print(
        f"(nodes in memory for the chain: autograd {memory_ours['nodes']:,.0f}, micrograd "
        f"{memory_theirs['nodes']:,.0f}, which makes a node of each constant; "
        "the floats column is forward only)"
    )
    if failed:
        raise SystemExit("a target was missed")


if __name__ == "__main__":
    main()
