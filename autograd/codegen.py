"""Write a recorded graph as one Python function: the forward pass, then the backward pass.

Each interior node becomes a line of float arithmetic on local variables:
``v1 = v0 + 1.0`` computes node 1 from node 0, and its gradient is a local
``g1``. The backward pass visits the nodes in the reverse of ``backward()``'s
order and writes each contribution as the engine's rule adds it,
``a0 = a0 + d0 * g1``, so every float comes out the same, bit for bit. A
stretch that `autograd.loops` found repeated is written once, as the body of
a ``for`` loop over its repetitions.

Leaves are read into locals once per run (``d0 = o0.data``) and their
gradients added up in locals (``a0``) written back at the end; a leaf that
differs from one repetition of a loop to the next (a sample's input) is
read from a table inside the loop instead.

>>> from autograd import Value, replay
>>> x = Value(3.0)
>>> print(replay((x * x + 1.0).tanh()).source)
def _replay(o0):
    d0 = o0.data
    v0 = d0 * d0
    v1 = v0 + 1.0
    v2 = _tanh(v1)
    out = v2
    g1 = 0.0 + (1.0 - v2 * v2) * 1.0
    a0 = o0.grad
    a0 = a0 + d0 * g1
    a0 = a0 + d0 * g1
    o0.grad = a0
    return out
<BLANKLINE>
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from autograd import engine
from autograd.engine import Value
from autograd.loops import Loop

__all__ = ["RUNTIME", "Program", "Recording", "generate"]

NODE, LEAF, CONST = 0, 1, 2
"""Operand tags, as `autograd.record` makes them."""


class Recording(Protocol):
    """What code is generated from: a recording, as `autograd.record.Recorded` makes it."""

    kinds: list[str]
    operands: list[list[tuple[int, Any]]]

    def forward(self, position: int) -> Callable[..., float]:
        """The forward rule of the registered operation of node ``position``."""

    def proxy(self, position: int) -> tuple[Value, list[Value]]:
        """A node like node ``position`` over stand-ins for its children, and those."""


RUN = 8
"""A sum of at least this many outputs of one loop is written as a loop of its own."""

CHUNK = 64
"""Terms per line of a long sum or dot product (a deeper expression strains the compiler)."""

Emit = Callable[[str], None]


class Program(NamedTuple):
    """The source of the function, and the arguments to call it with."""

    source: str
    arguments: tuple[Any, ...]


def _literal(number: float) -> str:
    """``number`` as Python source that gives the same float."""
    if math.isnan(number):
        return "_nan"
    if math.isinf(number):
        return "_inf" if number > 0 else "(-_inf)"
    text = repr(number)
    return f"({text})" if text.startswith("-") else text


def _sigmoid(x: float) -> float:
    """The engine's sigmoid, the same floats."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _exponent_term(x: float, k: float, out: float, g: float) -> float:
    """What ``a ** b`` passes back to ``b``, as the engine computes it."""
    if x > 0.0:
        return out * math.log(x) * g
    if x == 0.0:
        return (0.0 if k >= 0.0 else -math.inf) * g
    return math.nan


RUNTIME: dict[str, Any] = {
    "__builtins__": {"range": range},
    "_power": engine._power,
    "_power_slope": engine._power_slope,
    "_exponent_term": _exponent_term,
    "_tanh": math.tanh,
    "_exp": math.exp,
    "_log": math.log,
    "_sigmoid": _sigmoid,
    "_inf": math.inf,
    "_nan": math.nan,
}
"""The globals of the generated function, the few names that its code calls."""


# -- the engine's rules, as text ----------------------------------------------------------

Contribution = tuple[int, str, str, bool]
"""(operand slot, sign, expression, is_copy): the engine's ``child.grad += expression``
(``-=`` for sign ``-``). ``is_copy`` marks an expression that is a node's whole
gradient, which is never -0.0, so a first contribution may start from it
rather than from ``0.0 + it``."""


def _forward_lines(kind: str, target: str, values: list[str]) -> list[str]:
    """Statements that compute a node of ``kind`` into ``target`` from its operands' values."""
    if kind in ("+", "-", "*", "/"):
        return [f"{target} = {values[0]} {kind} {values[1]}"]
    if kind == "neg":
        return [f"{target} = -{values[0]}"]
    if kind == "relu":
        return [f"{target} = 0.0 if {values[0]} <= 0.0 else {values[0]}"]
    if kind in ("tanh", "exp", "log", "sigmoid"):
        return [f"{target} = _{kind}({values[0]})"]
    if kind == "**k" and _is_whole(values[1]):  # never complex, so no check is needed
        return [f"{target} = {values[0]} ** {values[1]}"]
    if kind in ("**", "**k"):
        return [f"{target} = _power({values[0]}, {values[1]})"]
    if kind == "sum":
        return _running_sum(target, "0.0", values)
    if kind == "dot":
        n = len(values) // 2
        m = len(values) - n
        first = values[n] if m > n else "0.0"
        products = [f"{w} * {x}" for w, x in zip(values[:n], values[m:], strict=True)]
        return _running_sum(target, first, products)
    raise AssertionError(kind)


def _is_whole(text: str) -> bool:
    try:
        return float(text.strip("()")).is_integer()
    except ValueError:
        return False


def _running_sum(target: str, first: str, terms: list[str]) -> list[str]:
    """``target = first + t1 + t2 + ...``, added left to right, in lines of CHUNK terms."""
    lines = []
    for i in range(0, len(terms), CHUNK):
        head = first if i == 0 else target
        lines.append(f"{target} = {' + '.join([head, *terms[i : i + CHUNK]])}")
    return lines


def _backward_rule(
    kind: str, values: list[str], out: str, g: str
) -> tuple[str | None, list[Contribution]]:
    """When a node passes gradient on (a condition, or None for always), and what it passes."""
    if kind == "+":
        return None, [(0, "+", g, True), (1, "+", g, True)]
    if kind == "-":
        return None, [(0, "+", g, True), (1, "-", g, False)]
    if kind == "*":
        return None, [(0, "+", f"{values[1]} * {g}", False), (1, "+", f"{values[0]} * {g}", False)]
    if kind == "/":
        return None, [
            (0, "+", f"{g} / {values[1]}", False),
            (1, "-", f"{g} * {out} / {values[1]}", False),
        ]
    if kind == "neg":
        return None, [(0, "-", g, False)]
    if kind in ("**", "**k"):
        x, k = values
        contributions = [(0, "+", f"_power_slope({x}, {k}) * {g}", False)]
        if kind == "**":
            contributions.append((1, "+", f"_exponent_term({x}, {k}, {out}, {g})", False))
        return f"{g} != 0.0", contributions
    if kind == "tanh":
        return None, [(0, "+", f"(1.0 - {out} * {out}) * {g}", False)]
    if kind == "exp":
        return None, [(0, "+", f"{out} * {g}", False)]
    if kind == "log":
        return None, [(0, "+", f"{g} / {values[0]}", False)]
    if kind == "relu":
        return f"not {out} <= 0.0", [(0, "+", g, True)]
    if kind == "sigmoid":
        return None, [(0, "+", f"{out} * (1.0 - {out}) * {g}", False)]
    if kind == "sum":
        return None, [(i, "+", g, True) for i in range(len(values))]
    if kind == "dot":  # values: w1, ..., wn[, b], x1, ..., xn
        n = len(values) // 2
        m = len(values) - n
        passed: list[Contribution] = []
        for i in range(n):
            passed.append((i, "+", f"{values[m + i]} * {g}", False))
            passed.append((m + i, "+", f"{values[i]} * {g}", False))
        if m > n:
            passed.append((n, "+", g, True))
        return None, passed
    raise AssertionError(kind)


# -- where gradients are added up ----------------------------------------------------------


class _Acc:
    """A gradient being added up, as the code is written.

    ``kind`` is ``"temp"`` for a local that may stand for another expression
    until something is added to it (``alias``), ``"var"`` for a local that
    must hold the sum, and ``"place"`` for a list item or an attribute, which
    always holds the sum so far.
    """

    __slots__ = ("alias", "kind", "name", "started")

    def __init__(self, name: str, kind: str, started: bool = False) -> None:
        self.name = name
        self.kind = kind
        self.started = started or kind == "place"
        self.alias: str | None = None

    def read(self) -> str:
        """The sum so far, as an expression."""
        if not self.started:
            return "0.0"
        return self.alias or self.name

    def add(self, emit: Emit, sign: str, expr: str, copy: bool) -> None:
        """Add ``expr`` as the engine's ``grad += expr`` (``-=`` for sign ``-``) would."""
        if self.kind == "place":
            emit(f"{self.name} {sign}= {expr}")
        elif self.started:
            emit(f"{self.name} = {self.read()} {sign} {expr}")
            self.alias = None
        elif copy and sign == "+" and self.kind == "temp":
            self.alias, self.started = expr, True
        elif copy and sign == "+":
            emit(f"{self.name} = {expr}")
            self.started = True
        else:  # the engine starts from 0.0, and 0.0 + c is not c when c is -0.0
            emit(f"{self.name} = 0.0 {sign} {expr}")
            self.started = True

    def settle(self, emit: Emit) -> None:
        """Make the local hold the sum, before code that may not run adds to it."""
        if self.kind == "place":
            return
        if not self.started:
            emit(f"{self.name} = 0.0")
        elif self.alias is not None:
            emit(f"{self.name} = {self.alias}")
        self.started, self.alias = True, None

    def set_to(self, emit: Emit, expr: str) -> None:
        """The sum is now ``expr``: what a registered rule added, read back."""
        emit(f"{self.name} = {expr}")
        if self.kind != "place":
            self.started, self.alias = True, None


def _contribute(
    emit: Emit,
    kind: str,
    guard: str | None,
    contributions: list[Contribution],
    targets: Sequence[_Acc | None],
    out: str,
) -> None:
    """Write a node's contributions to its operands (a plain number's target is None)."""
    live = [(targets[slot], sign, expr, copy) for slot, sign, expr, copy in contributions]
    if guard is None:
        for acc, sign, expr, copy in live:
            if acc is not None:
                acc.add(emit, sign, expr, copy)
        return
    accs = [acc for acc, *_ in live if acc is not None]
    if not accs:
        return
    first = accs[0]
    if kind == "relu" and first.kind != "place" and not first.started:
        emit(f"{first.name} = 0.0 if {out} <= 0.0 else {live[0][2]}")
        first.started = True
        return
    for acc in accs:
        acc.settle(emit)
    emit(f"if {guard}:")
    for acc, sign, expr, _ in live:
        if acc is not None:
            emit(f"    {acc.name} = {acc.name} {sign} {expr}")


# -- the function ------------------------------------------------------------------------------


class _LoopFacts:
    """What the code around a loop needs to know about it."""

    def __init__(self, loop: Loop) -> None:
        self.loop = loop
        self.carried: set[int] = set()  # offsets that the next repetition reads
        self.values_out: set[int] = set()  # offsets read after the loop, not only in the last one
        self.grads_out: set[int] = set()  # offsets given gradient from outside the loop
        self.carry_acc: dict[int, _Acc] = {}
        self.forward: list[str] = []
        self.backward: list[str] = []
        self.saved: list[str] = []
        self.leaves_local: set[int] = set()
        self.leaves_object: set[int] = set()
        self.varying_leaves: set[int] = set()  # ids of the leaves in its tables


class _Writer:
    """Writes the function for one recorded graph."""

    def __init__(self, recorded: Recording, loops: Sequence[Loop]) -> None:
        self.recorded = recorded
        self.kinds = recorded.kinds
        self.operands = recorded.operands
        self.size = len(recorded.kinds)
        self.lines: list[str] = []
        self.parameters: list[str] = []
        self.arguments: list[Any] = []
        self.leaf_number: dict[int, int] = {}
        self.leaf_objects: list[Any] = []
        self.leaf_state: list[str] = []  # "object": leaf.grad holds the sum; "local": a{n} does
        self.tables: dict[tuple[int, ...], str] = {}
        self.accs: dict[int, _Acc] = {}
        self.loop_of = [-1] * self.size
        self.facts = [_LoopFacts(loop) for loop in loops]
        for number, facts in enumerate(self.facts):
            start, period, count = facts.loop
            self.loop_of[start : start + period * count] = [number] * (period * count)
        self._mark_loop_edges()

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def argument(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.arguments)}"
        self.parameters.append(name)
        self.arguments.append(value)
        return name

    def leaf(self, obj: Any) -> int:
        """The number of a leaf read by the straight code or as a loop's fixed operand."""
        number = self.leaf_number.get(id(obj))
        if number is None:
            number = self.leaf_number[id(obj)] = len(self.leaf_state)
            self.parameters.append(f"o{number}")
            self.arguments.append(obj)
            self.leaf_objects.append(obj)
            self.leaf_state.append("object")
        return number

    def table(self, column: tuple[Any, ...]) -> str:
        """The name of an argument that holds one value per repetition of a loop."""
        key = tuple(map(id, column))
        name = self.tables.get(key)
        if name is None:
            name = self.tables[key] = self.argument("T", column)
        return name

    def leaf_local(self, number: int) -> _Acc:
        if self.leaf_state[number] == "object":
            self.emit(f"a{number} = o{number}.grad")
            self.leaf_state[number] = "local"
        return _Acc(f"a{number}", "var", started=True)

    def leaf_object(self, number: int) -> None:
        if self.leaf_state[number] == "local":
            self.emit(f"o{number}.grad = a{number}")
            self.leaf_state[number] = "object"

    # -- a node, seen from outside any loop ---------------------------------------------

    def where(self, position: int) -> tuple[_LoopFacts, int, int] | None:
        number = self.loop_of[position]
        if number < 0:
            return None
        facts = self.facts[number]
        k, offset = divmod(position - facts.loop.start, facts.loop.period)
        return facts, k, offset

    def value(self, position: int) -> str:
        place = self.where(position)
        if place is None:
            return f"v{position}"
        facts, k, offset = place
        start, _, count = facts.loop
        # After the loop, its variables hold the last repetition's values.
        return f"v{start + offset}" if k == count - 1 else f"xv{start + offset}[{k}]"

    def acc(self, position: int) -> _Acc:
        place = self.where(position)
        if place is None:
            acc = self.accs.get(position)
            if acc is None:
                acc = self.accs[position] = _Acc(f"g{position}", "temp")
            return acc
        facts, k, offset = place
        if offset in facts.carried:  # used from outside only in the last repetition
            return facts.carry_acc[offset]
        return _Acc(f"xg{facts.loop.start + offset}[{k}]", "place")

    def operand_value(self, tag: int, payload: Any) -> str:
        if tag == NODE:
            return self.value(payload)
        if tag == LEAF:
            return f"d{self.leaf(payload)}"
        return _literal(payload)

    def _mark_loop_edges(self) -> None:
        """Find what each loop carries from one repetition to the next, and hands out."""
        for facts in self.facts:
            start, period, _ = facts.loop
            for offset in range(period):
                for tag, position in self.operands[start + offset]:
                    if tag == NODE and position < start:
                        facts.carried.add(position - start + period)
            facts.carry_acc = {o: _Acc(f"cg{start + o}", "var") for o in facts.carried}
        # Only the straight code, and a loop's first repetition, reach outside their loop.
        loop_of = self.loop_of
        readers = [p for p in range(self.size) if loop_of[p] < 0]
        for facts in self.facts:
            readers += range(facts.loop.start, facts.loop.start + facts.loop.period)
        for position in readers:
            mine = loop_of[position]
            for tag, used in self.operands[position]:
                if tag == NODE and loop_of[used] not in (-1, mine):
                    self._used_outside(used)
        if self.size:
            self._used_outside(self.size - 1)  # the root, seeded with 1.0

    def _used_outside(self, position: int) -> None:
        place = self.where(position)
        if place is None:
            return
        facts, k, offset = place
        if k < facts.loop.repeats - 1:
            facts.values_out.add(offset)
        if offset not in facts.carried:
            facts.grads_out.add(offset)

    # -- the whole function ---------------------------------------------------------------

    def write(self) -> Program:
        for facts in self.facts:
            _LoopWriter(self, facts).write()
        position = 0
        while position < self.size:  # the forward pass
            number = self.loop_of[position]
            if number >= 0:
                position = self._forward_loop(self.facts[number])
            else:
                self._forward_node(position)
                position += 1
        root = self.size - 1
        self.emit(f"out = {self.value(root)}")  # before a backward loop reuses its variables
        for facts in self.facts:
            for offset in sorted(facts.grads_out):
                self.emit(f"xg{facts.loop.start + offset} = [0.0] * {facts.loop.repeats}")
        self.acc(root).add(self.emit, "+", "1.0", True)  # backward() seeds the root with 1.0
        position = root
        while position >= 0:  # the backward pass
            number = self.loop_of[position]
            if number >= 0:
                position = self._backward_loop(self.facts[number])
            else:
                self._backward_node(position)
                position -= 1
        for number, state in enumerate(self.leaf_state):
            if state == "local":
                self.emit(f"o{number}.grad = a{number}")
        self.emit("return out")
        used = _names(self.lines)
        reads = [f"    d{n} = o{n}.data" for n in range(len(self.leaf_state)) if f"d{n}" in used]
        header = f"def _replay({', '.join(self.parameters)}):"
        return Program("\n".join([header, *reads, *self.lines, ""]), tuple(self.arguments))

    def _forward_node(self, position: int) -> None:
        if self.kinds[position] == "sum":
            self._forward_sum(position)
            return
        values = [self.operand_value(tag, payload) for tag, payload in self.operands[position]]
        if self.kinds[position] == "custom":
            function = self.argument("f", self.recorded.forward(position))
            self.emit(f"v{position} = {function}({', '.join(values)})")
            return
        for line in _forward_lines(self.kinds[position], f"v{position}", values):
            self.emit(line)

    def _backward_node(self, position: int) -> None:
        kind, operands = self.kinds[position], self.operands[position]
        values = [self.operand_value(tag, payload) for tag, payload in operands]
        g = self.acc(position).read()
        if kind == "custom":
            self._backward_custom(position, values, g)
            return
        if kind == "sum":
            self._backward_sum(position, g)
            return
        targets: list[_Acc | None] = []
        for tag, payload in operands:
            if tag == NODE:
                targets.append(self.acc(payload))
            elif tag == LEAF:
                targets.append(self.leaf_local(self.leaf(payload)))
            else:
                targets.append(None)  # a constant's gradient is dropped
        guard, contributions = _backward_rule(kind, values, f"v{position}", g)
        _contribute(self.emit, kind, guard, contributions, targets, f"v{position}")

    def _sum_terms(self, position: int) -> list[tuple[int, Any] | tuple[str, range]]:
        """A sum's operands, with each run of one loop node over consecutive repetitions
        as ``(list name, range of repetitions)``: the sum of a loss over the samples."""
        terms: list[Any] = []
        operands = self.operands[position]
        i = 0
        while i < len(operands):
            end = i + 1
            place = self.where(operands[i][1]) if operands[i][0] == NODE else None
            if place is not None:
                facts, k, offset = place
                step = 0
                while end < len(operands) and operands[end][0] == NODE:
                    following = self.where(operands[end][1])
                    if following is None or following[0] is not facts or following[2] != offset:
                        break
                    if step == 0 and abs(following[1] - k) == 1:
                        step = following[1] - k
                    if step == 0 or following[1] != k + step * (end - i):
                        break
                    end += 1
                if end - i >= RUN and offset in facts.values_out and offset in facts.grads_out:
                    name = str(facts.loop.start + offset)
                    terms.append((name, range(k, k + step * (end - i), step)))
                    i = end
                    continue
            terms.append(operands[i])
            i += 1
        return terms

    def _forward_sum(self, position: int) -> None:
        target, pending = f"v{position}", ["0.0"]
        for term in self._sum_terms(position):
            if isinstance(term[1], range):
                self.emit(f"{target} = {' + '.join(pending)}")
                pending = [target]
                self.emit(f"for k in {term[1]!r}:")
                self.emit(f"    {target} = {target} + xv{term[0]}[k]")
                continue
            pending.append(self.operand_value(*term))
            if len(pending) > CHUNK:
                self.emit(f"{target} = {' + '.join(pending)}")
                pending = [target]
        if pending != [target]:
            self.emit(f"{target} = {' + '.join(pending)}")

    def _backward_sum(self, position: int, g: str) -> None:
        for term in self._sum_terms(position):
            tag, payload = term
            if isinstance(payload, range):
                self.emit(f"for k in {payload!r}:")
                self.emit(f"    xg{tag}[k] += {g}")
            elif tag == NODE:
                self.acc(payload).add(self.emit, "+", g, True)
            elif tag == LEAF:
                self.leaf_local(self.leaf(payload)).add(self.emit, "+", g, True)

    def _backward_custom(self, position: int, values: list[str], g: str) -> None:
        """Hand the registered rule a stand-in node whose children hold the current values."""
        proxy, children = self.recorded.proxy(position)
        node = self.argument("q", proxy)
        self.emit(f"{node}.data = v{position}")
        self.emit(f"{node}.grad = {g}")
        stand_ins: dict[int, str] = {}
        operands = self.operands[position]
        for (tag, payload), child, value in zip(operands, children, values, strict=True):
            if tag == NODE and payload not in stand_ins:
                name = stand_ins[payload] = self.argument("p", child)
                self.emit(f"{name}.data = {value}")
                self.emit(f"{name}.grad = {self.acc(payload).read()}")
            elif tag == LEAF:
                self.leaf_object(self.leaf(payload))
        self.emit(f"{node}._backward()")
        for used, name in stand_ins.items():
            self.acc(used).set_to(self.emit, f"{name}.grad")

    def _forward_loop(self, facts: _LoopFacts) -> int:
        start, period, count = facts.loop
        for offset in sorted(facts.carried):  # the first repetition takes them from before
            self.emit(f"v{start + offset} = {self.value(start + offset - period)}")
        for offset in sorted(facts.values_out):
            self.emit(f"xv{start + offset} = [0.0] * {count}")
        if facts.saved:
            self.emit(f"S{start} = [None] * {count}")
        self.emit(f"for k in range({count}):")
        self.lines.extend("        " + line for line in facts.forward)
        return start + period * count

    def _backward_loop(self, facts: _LoopFacts) -> int:
        start, period, count = facts.loop
        for number in sorted(facts.leaves_local):
            self.leaf_local(number)
        for number in sorted(facts.leaves_object):
            self.leaf_object(number)
        for number in sorted(self.leaf_number.get(i, -1) for i in facts.varying_leaves):
            if number >= 0:
                self.leaf_object(number)
        for offset in sorted(facts.carried):
            facts.carry_acc[offset].settle(self.emit)
        self.emit(f"for k in range({count - 1}, -1, -1):")
        self.lines.extend("        " + line for line in facts.backward)
        for offset in sorted(facts.carried):  # what the first repetition passed back
            self.acc(start + offset - period).add(self.emit, "+", f"cg{start + offset}", True)
        return start - 1


VARYING = 10
"""Added to an operand's tag in a loop when the operand differs between repetitions."""


class _LoopWriter:
    """Writes the two bodies of one loop: one repetition forward, then one backward."""

    def __init__(self, program: _Writer, facts: _LoopFacts) -> None:
        self.program = program
        self.facts = facts
        self.start, self.period, self.repeats = facts.loop
        self.data_read: set[str] = set()
        self.constants_read: set[str] = set()
        self.objects_used: set[str] = set()
        self.stand_ins: list[tuple[str, list[str]]] = []
        self.columns = [self._column(offset) for offset in range(self.period)]
        varying = facts.varying_leaves
        for offset, slots in enumerate(self.columns):
            custom = program.kinds[self.start + offset] == "custom"
            for tag, payload in slots:
                if tag != LEAF:
                    continue
                # A registered rule, or a table of the loop, adds to the leaf's own grad.
                if custom or id(program.leaf_objects[payload]) in varying:
                    facts.leaves_object.add(payload)
                else:
                    facts.leaves_local.add(payload)
        facts.leaves_local -= facts.leaves_object

    def _column(self, offset: int) -> list[tuple[int, Any]]:
        """How the body reads each operand of the node at ``offset``."""
        program, start, period = self.program, self.start, self.period
        positions = range(start + offset, start + period * self.repeats, period)
        slots: list[tuple[int, Any]] = []
        for slot, (tag, payload) in enumerate(program.operands[start + offset]):
            if tag == NODE:
                slots.append((NODE, payload - start))  # negative: the repetition before
                continue
            column = tuple([program.operands[p][slot][1] for p in positions])
            if tag == LEAF and column.count(column[0]) == len(column):
                slots.append((LEAF, program.leaf(payload)))
            elif tag == CONST and len(set(map(repr, column))) == 1:
                slots.append((CONST, payload))
            else:
                slots.append((tag + VARYING, program.table(column)))
                if tag == LEAF:
                    self.facts.varying_leaves.update(map(id, column))
        return slots

    def value(self, offset: int, slot: int, backward: bool) -> str:
        tag, payload = self.columns[offset][slot]
        if tag == NODE:
            if payload >= 0:
                return f"v{self.start + payload}"
            source = payload + self.period
            if backward or source < offset:  # v... already holds this repetition's value
                return f"c{self.start + source}"
            return f"v{self.start + source}"
        if tag == LEAF:
            return f"d{payload}"
        if tag == CONST:
            return _literal(payload)
        if tag == LEAF + VARYING:
            self.data_read.add(payload)
            return f"x{payload}"
        self.constants_read.add(payload)
        return f"k{payload}"

    def target(self, offset: int, slot: int) -> _Acc | None:
        tag, payload = self.columns[offset][slot]
        if tag == NODE:
            return self.accs[payload] if payload >= 0 else self.carry[payload + self.period]
        if tag == LEAF:
            if payload in self.facts.leaves_object:
                return _Acc(f"o{payload}.grad", "place")
            return _Acc(f"a{payload}", "var", started=True)
        if tag == LEAF + VARYING:
            self.objects_used.add(payload)
            return _Acc(f"t{payload}.grad", "place")
        return None

    def write(self) -> None:
        facts, start = self.facts, self.start
        backward = self._backward_body()
        used = _names(backward)
        everything = {f"{v}{start + o}" for o in range(self.period) for v in "vc"}
        facts.saved = sorted(used & everything)
        head = []
        if facts.saved:
            head.append(f"{', '.join(facts.saved)}, = S{start}[k]")
        head += [f"k{t} = {t}[k]" for t in sorted(self.constants_read) if f"k{t}" in used]
        data = sorted(t for t in self.data_read if f"x{t}" in used)
        head += [f"t{t} = {t}[k]" for t in sorted(self.objects_used.union(data))]
        head += [f"x{t} = t{t}.data" for t in data]
        head += [f"{', '.join(names)}, = {table}[k]" for table, names in self.stand_ins]
        facts.backward = head + backward
        self.data_read, self.constants_read = set(), set()
        forward = self._forward_body()
        used = _names(forward)
        head = [f"k{t} = {t}[k]" for t in sorted(self.constants_read) if f"k{t}" in used]
        head += [f"x{t} = {t}[k].data" for t in sorted(self.data_read) if f"x{t}" in used]
        copies = [o for o in range(self.period) if f"c{start + o}" in used]
        head += [f"c{start + o} = v{start + o}" for o in copies]
        facts.forward = head + forward

    def _forward_body(self) -> list[str]:
        lines: list[str] = []
        start, program, facts = self.start, self.program, self.facts
        for offset in range(self.period):
            values = [self.value(offset, s, False) for s in range(len(self.columns[offset]))]
            target = f"v{start + offset}"
            if program.kinds[start + offset] == "custom":
                function = program.argument("f", program.recorded.forward(start + offset))
                lines.append(f"{target} = {function}({', '.join(values)})")
            else:
                lines.extend(_forward_lines(program.kinds[start + offset], target, values))
            if offset in facts.values_out:
                lines.append(f"xv{target[1:]}[k] = {target}")
        if facts.saved:
            lines.append(f"S{start}[k] = {', '.join(facts.saved)},")
        return lines

    def _backward_body(self) -> list[str]:
        lines: list[str] = []
        emit = lines.append
        start, period, facts = self.start, self.period, self.facts
        self.accs = [_Acc(f"g{start + offset}", "temp") for offset in range(period)]
        self.carry = {offset: _Acc(f"cg{start + offset}", "var") for offset in facts.carried}
        for offset in sorted(facts.carried):  # what the repetition after (or outside) passed
            emit(f"g{start + offset} = cg{start + offset}")
            self.accs[offset].started = True
        for offset in sorted(facts.grads_out):
            emit(f"g{start + offset} = xg{start + offset}[k]")
            self.accs[offset].started = True
        for offset in range(period - 1, -1, -1):
            kind = self.program.kinds[start + offset]
            slots = range(len(self.columns[offset]))
            values = [self.value(offset, slot, True) for slot in slots]
            g = self.accs[offset].read()
            out = f"v{start + offset}"
            if kind == "custom":
                self._backward_custom(emit, offset, values, g, out)
                continue
            guard, contributions = _backward_rule(kind, values, out, g)
            targets = [self.target(offset, slot) for slot in slots]
            _contribute(emit, kind, guard, contributions, targets, out)
        for offset in sorted(facts.carried):
            self.carry[offset].settle(emit)
        return lines

    def _backward_custom(
        self, emit: Emit, offset: int, values: list[str], g: str, out: str
    ) -> None:
        program, start = self.program, self.start
        positions = range(start + offset, start + self.period * self.repeats, self.period)
        proxies = [program.recorded.proxy(p) for p in positions]
        interior: dict[int, int] = {}  # body offset of a child -> its first slot
        for slot, (tag, payload) in enumerate(self.columns[offset]):
            if tag == NODE:
                interior.setdefault(payload, slot)
        column = tuple(
            (proxy, *(children[slot] for slot in interior.values())) for proxy, children in proxies
        )
        node = f"u{start + offset}"  # arguments are q..., p...: these are the body's own
        names = [node, *(f"u{start + offset}_{i}" for i in range(len(interior)))]
        self.stand_ins.append((program.table(column), names))
        emit(f"{node}.data = {out}")
        emit(f"{node}.grad = {g}")
        read_back = []
        for slot, name in zip(interior.values(), names[1:], strict=True):
            acc = self.target(offset, slot)
            assert acc is not None
            read_back.append((acc, name))
            emit(f"{name}.data = {values[slot]}")
            emit(f"{name}.grad = {acc.read()}")
        emit(f"{node}._backward()")
        for acc, name in read_back:
            acc.set_to(emit, f"{name}.grad")


def _names(lines: list[str]) -> set[str]:
    return set(re.findall(r"\w+", "\n".join(lines)))


def generate(recorded: Recording, loops: Sequence[Loop]) -> Program:
    """The function that replays ``recorded``, with ``loops`` written as loops."""
    return _Writer(recorded, loops).write()
