"""Find the piece of a graph that repeats, so that it can run as the body of a loop.

A training graph is mostly one subgraph again and again: the network and
its loss for each sample, the square of each parameter. `find_loops` finds
runs of such repetition in the order that ``backward()`` walks the nodes.
Each node gets a signature: its operation, and each operand as "a leaf", "a
number" or "the node ``d`` places earlier in the order". Two nodes with the
same signature are the same computation on different values, so a stretch
of the order whose signatures repeat every ``period`` places is one loop
body run ``repeats`` times.

Because a loop covers a stretch of that order, running its body for each
repetition in turn, and back-propagating through the repetitions in reverse,
does exactly what ``backward()`` does, one node at a time in the same order.

>>> from autograd.loops import find_loops
>>> a, b, c, d = 7, 8, 9, 10
>>> signatures = [0, *[a, b, c, d] * 6, 5]
>>> find_loops(signatures, [[]] * 26, list(range(1, 27)))
[Loop(start=1, period=4, repeats=6)]
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Sequence
from itertools import compress
from typing import Any, NamedTuple

__all__ = ["Loop", "find_loops"]

NODE = 0
"""The tag of an operand that is an interior node, in `autograd.record`'s operands."""

MIN_SAVED = 16
"""A loop must save at least this many nodes' worth of code, or the graph stays straight."""

MAX_CANDIDATES = 8
"""How many periods are tried (see `_candidate_periods`)."""


class Loop(NamedTuple):
    """Nodes ``start`` to ``start + period * repeats - 1`` of the order: ``repeats``
    repetitions of ``period`` nodes."""

    start: int
    period: int
    repeats: int


def find_loops(
    signatures: Sequence[int],
    operands: Sequence[Sequence[tuple[int, Any]]],
    last_use: Sequence[int],
) -> list[Loop]:
    """The loops that cover the repeated stretches of a graph's order, by start.

    ``signatures[i]`` is node i's signature as a number; ``operands[i]`` its
    operands as ``(tag, payload)`` pairs, ``(NODE, j)`` for node j; and
    ``last_use[i]`` the position of the last node that uses node i
    (``len(signatures)`` for the root). A loop is kept only if its body can
    refer to each node it needs: a node of the same repetition, one of the
    repetition just before, or one outside the loop; see `fits`.
    """
    size = len(signatures)
    covered = bytearray(size)
    loops: list[Loop] = []
    candidates = _candidate_periods(signatures)
    while True:  # each round, the loop that saves the most lines of code
        found = [
            loop
            for period in candidates
            for loop in _loops_of(period, signatures, covered, operands, last_use)
        ]
        best = max(found, key=lambda loop: loop.period * (loop.repeats - 1), default=None)
        if best is None or best.period * (best.repeats - 1) < MIN_SAVED:
            break
        end = best.start + best.period * best.repeats
        covered[best.start : end] = b"\x01" * (end - best.start)
        loops.append(best)
    return sorted(loops)


def _loops_of(
    period: int,
    signatures: Sequence[int],
    covered: bytearray,
    operands: Sequence[Sequence[tuple[int, Any]]],
    last_use: Sequence[int],
) -> list[Loop]:
    """The loops of ``period`` in the stretches that no loop covers yet."""
    loops = []
    for match in re.finditer(rb"\x00+", covered):
        first, end = match.span()
        if end - first < 2 * period:
            continue
        same = bytes(
            map(operator.eq, signatures[first : end - period], signatures[first + period : end])
        )
        for run in re.finditer(rb"\x01{%d,}" % period, same):
            start, stop = first + run.start(), first + run.end() + period
            loop = _fitted(Loop(start, period, (stop - start) // period), operands, last_use)
            if loop is not None:
                loops.append(loop)
    return loops


def _candidate_periods(signatures: Sequence[int]) -> list[int]:
    """The distances between nodes of the same signature, the likeliest periods first.

    Each signature seen once per repetition of a loop is seen again one
    period later, so a period is seen about as many times as there are
    such signatures and repetitions: ``times * period`` estimates how many
    nodes its loops could cover, and ranks it.
    """
    by_signature = sorted(range(len(signatures)), key=signatures.__getitem__)
    ordered = list(map(signatures.__getitem__, by_signature))
    distances = Counter(
        compress(
            map(operator.sub, by_signature[1:], by_signature),
            map(operator.eq, ordered[1:], ordered),
        )
    )
    ranked = sorted(((times * period, period) for period, times in distances.items()), reverse=True)
    return [period for _, period in ranked[:MAX_CANDIDATES]]


def _fitted(
    loop: Loop, operands: Sequence[Sequence[tuple[int, Any]]], last_use: Sequence[int]
) -> Loop | None:
    """``loop``, or its longest part that `fits`, or None if no part of two repetitions does."""
    start, period, count = loop
    while count >= 2:
        problem = fits(Loop(start, period, count), operands, last_use)
        if problem is None:
            return Loop(start, period, count)
        where, repetition = problem
        if where == "start":  # begin one repetition later
            start, count = start + period, count - 1
        else:  # end with the repetition whose node is used after the loop
            count = repetition + 1
    return None


def fits(
    loop: Loop, operands: Sequence[Sequence[tuple[int, Any]]], last_use: Sequence[int]
) -> tuple[str, int] | None:
    """None if ``loop`` can be a loop; else where it cannot: ``("start", 0)`` or
    ``("end", k)`` for the repetition k whose node is used after the loop.

    The body refers to a node of its own repetition, or of the one before
    (as a loop-carried variable); anything farther back is not a loop of
    this period. A node that a repetition takes from the one before is
    carried: in the first repetition it comes from just before the loop,
    and that node must have no other use after the loop's first repetition;
    in later repetitions it must not be used after the loop, except in the
    last one, whose carried values the loop hands on.
    """
    start, period, count = loop
    end = start + period * count
    carried = set()
    for offset in range(period):
        for tag, position in operands[start + offset]:
            if tag != NODE:
                continue
            target = position - start
            if target < -period:
                return "never", 0
            if target < 0:
                carried.add(target + period)
    for offset in carried:
        if last_use[start + offset - period] >= start + period:
            return "start", 0
        for k in range(count - 1):
            if last_use[start + k * period + offset] >= end:
                return "end", k
    return None
